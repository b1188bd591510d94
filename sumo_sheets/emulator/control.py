"""The control API under /_emulator/: counters, reset, latency, faults, quotas, inspection."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from . import cells as cellmod
from .app import current_emulator
from .runtime import Fault
from .state import Permission, Sheet

control = Blueprint("emulator_control", __name__, url_prefix="/_emulator")

_FAULT_STATUSES = range(400, 600)


class ControlError(Exception):
    """A bad control request, answered as 400 {"error": message}."""


@control.errorhandler(ControlError)
def _control_error(error: ControlError) -> tuple[Response, int]:
    return jsonify({"error": str(error)}), 400


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True, force=True)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body


def _number(body: dict[str, Any], key: str, default: float = 0) -> float:
    try:
        return float(body.get(key, default))
    except (TypeError, ValueError) as error:
        raise ControlError(f"{key} must be a number") from error


@control.get("/")
def index() -> Response:
    """What the emulator holds, in brief (also a readiness probe)."""
    emulator = current_emulator()
    return jsonify(
        {
            "spreadsheets": len(emulator.state.spreadsheets),
            "latency_ms": emulator.runtime.latency_ms,
            "quotas": emulator.runtime.quota_settings(),
            "faults": emulator.runtime.pending_faults(),
        }
    )


@control.get("/requests")
def request_counts() -> Response:
    """How many calls each API method got, plus their total."""
    return jsonify(current_emulator().runtime.snapshot())


@control.post("/reset")
def reset() -> Response:
    """Clear counters, pending faults and quota usage; with {"data": true} wipe spreadsheets."""
    emulator = current_emulator()
    body = _body()
    emulator.runtime.reset()
    if body.get("data"):
        emulator.state.wipe()
        emulator.state.save()
    return jsonify({"ok": True, "data_wiped": bool(body.get("data"))})


@control.route("/latency", methods=["GET", "POST"])
def latency() -> Response:
    """Add `ms` (plus up to `jitter_ms` at random) to every API call."""
    runtime = current_emulator().runtime
    if request.method == "POST":
        body = _body()
        runtime.set_latency(_number(body, "ms"), _number(body, "jitter_ms"))
    return jsonify({"ms": runtime.latency_ms, "jitter_ms": runtime.jitter_ms})


@control.route("/faults", methods=["GET", "POST", "DELETE"])
def faults() -> Response:
    """Queue a fault for the next `count` matching calls; GET lists, DELETE clears them."""
    runtime = current_emulator().runtime
    if request.method == "POST":
        body = _body()
        count = int(_number(body, "count", 1))
        status = body.get("status")
        drop = bool(body.get("drop_after_apply", False))
        if count < 1:
            raise ControlError("count must be at least 1")
        if drop == (status is not None):
            raise ControlError("give either a status or drop_after_apply: true")
        if status is not None and (not isinstance(status, int) or status not in _FAULT_STATUSES):
            raise ControlError("status must be an HTTP error code, e.g. 429, 500 or 503")
        method = body.get("method")
        if method is not None and not isinstance(method, str):
            raise ControlError("method must be a Google method name")
        runtime.add_fault(Fault(count=count, status=status, drop_after_apply=drop, method=method))
    elif request.method == "DELETE":
        runtime.clear_faults()
    return jsonify({"faults": runtime.pending_faults()})


@control.route("/quotas", methods=["GET", "POST"])
def quotas() -> Response:
    """Switch per-minute quotas on (with optional limits) or off with {"enabled": false}."""
    runtime = current_emulator().runtime
    if request.method == "POST":
        body = _body()
        try:
            return jsonify(runtime.configure_quotas(body))
        except (TypeError, ValueError) as error:
            raise ControlError("quota limits must be whole numbers") from error
    return jsonify(runtime.quota_settings())


@control.get("/spreadsheets")
def list_spreadsheets() -> Response:
    """Every spreadsheet's id, title, owner and who it is shared with."""
    state = current_emulator().state
    with state.lock:
        listing = [
            {
                "id": s.id,
                "title": s.title,
                "owner": s.owner,
                "shared_with": [p.to_json() for p in s.permissions],
                "sheets": s.titles(),
            }
            for s in state.spreadsheets.values()
        ]
    return jsonify({"spreadsheets": listing})


@control.get("/spreadsheets/<spreadsheet_id>")
def dump_spreadsheet(spreadsheet_id: str) -> Response | tuple[Response, int]:
    """One spreadsheet's tabs with values, frozen rows, validations and merges."""
    state = current_emulator().state
    with state.lock:
        spreadsheet = state.spreadsheets.get(spreadsheet_id)
        if spreadsheet is None:
            return jsonify({"error": f"no spreadsheet {spreadsheet_id}"}), 404
        return jsonify(spreadsheet.dump())


@control.post("/spreadsheets")
def create_spreadsheet() -> tuple[Response, int]:
    """Create a spreadsheet for `owner` directly, with optional tabs, values and sharing."""
    body = _body()
    owner = body.get("owner")
    if not isinstance(owner, str) or "@" not in owner:
        raise ControlError("owner must be the owning account's email")
    tabs = []
    for number, spec in enumerate(body.get("sheets") or [{"title": "Sheet1"}]):
        sheet = Sheet(
            sheet_id=int(spec.get("sheetId", number)),
            title=str(spec.get("title") or f"Sheet{number + 1}"),
            row_count=int(spec.get("rowCount", 1000)),
            column_count=int(spec.get("columnCount", 26)),
            frozen_row_count=int(spec.get("frozenRowCount", 0)),
        )
        for row, line in enumerate(spec.get("values") or []):
            for col, value in enumerate(line):
                parsed = cellmod.parse_input(value, cellmod.RAW, f"{row}][{col}")
                if parsed is not cellmod.SKIP:
                    sheet.set(row, col, parsed)  # type: ignore[arg-type]
        sheet.row_count = max(sheet.row_count, len(sheet.cells))
        sheet.column_count = max([sheet.column_count, *(len(line) for line in sheet.cells)])
        tabs.append(sheet)
    state = current_emulator().state
    with state.lock:
        spreadsheet = state.create_spreadsheet(
            owner, title=str(body.get("title") or "Untitled spreadsheet"), sheets=tabs
        )
        for role in ("writer", "reader"):
            for email in body.get(f"{role}s") or []:
                spreadsheet.permissions.append(
                    Permission(f"control-{role}-{email}", "user", role, email_address=email)
                )
        state.save()
        return jsonify(spreadsheet.dump()), 201
