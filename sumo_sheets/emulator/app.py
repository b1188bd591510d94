"""The emulator's HTTP face: Google's paths dispatched to the Sheets, Drive and token methods."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from . import batch, drive, metadata, spreadsheets, values
from .auth import Caller, OAuthError, TokenStore
from .errors import ApiError, bad_request, not_found, permission_denied
from .fields import apply_fields, parse_fields
from .runtime import TOKEN_METHOD, Runtime
from .state import ROLES_THAT_WRITE, Spreadsheet, State

log = logging.getLogger(__name__)

EXTENSION_KEY = "sheets_emulator"
HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


class Emulator:
    """Everything one emulator instance holds: spreadsheets, tokens, counters and knobs."""

    def __init__(
        self,
        state_file: str | os.PathLike | None = None,
        latency_ms: float = 0,
        jitter_ms: float = 0,
        quotas: bool = False,
    ) -> None:
        self.state = State(state_file)
        self.state.load()
        self.tokens = TokenStore()
        self.runtime = Runtime(latency_ms=latency_ms, jitter_ms=jitter_ms, quotas=quotas)

    def spreadsheet_for(self, caller: Caller, spreadsheet_id: str, write: bool) -> Spreadsheet:
        """A spreadsheet the caller may read (or write), else Google's 404 or 403."""
        spreadsheet = self.state.spreadsheets.get(spreadsheet_id)
        if spreadsheet is None:
            raise not_found()
        role = spreadsheet.role_of(caller.email)
        if role is None or (write and role not in ROLES_THAT_WRITE):
            raise permission_denied()
        return spreadsheet


def current_emulator() -> Emulator:
    """The Emulator of the app serving this request."""
    return current_app.extensions[EXTENSION_KEY]


@dataclass(frozen=True)
class Call:
    """One API request as the handlers see it."""

    emulator: Emulator
    caller: Caller
    path: dict[str, str]
    params: Any  # a werkzeug MultiDict: .get() and .getlist()
    body: dict[str, Any]

    @property
    def state(self) -> State:
        return self.emulator.state


Handler = Callable[[Call], "dict[str, Any] | None"]


@dataclass(frozen=True)
class Route:
    """A Google method: its HTTP method and path, name, API family and whether it writes."""

    http_method: str
    pattern: re.Pattern[str]
    name: str
    api: str  # "sheets" or "drive"
    writes: bool
    handler: Handler
    default_fields: str | None = None  # Drive answers with few fields unless asked for more


_ID = r"(?P<sid>[^/:]+)"
_FILE = r"(?P<fid>[^/]+)"


# -- Sheets ------------------------------------------------------------------------------


def _spreadsheets_get(call: Call) -> dict[str, Any]:
    spreadsheet = call.emulator.spreadsheet_for(call.caller, call.path["sid"], write=False)
    include = str(call.params.get("includeGridData", "false")).lower() == "true"
    return spreadsheets.spreadsheet_resource(
        spreadsheet, include_grid_data=include, ranges=call.params.getlist("ranges")
    )


def _developer_metadata_get(call: Call) -> dict[str, Any]:
    spreadsheet = call.emulator.spreadsheet_for(call.caller, call.path["sid"], write=False)
    found = metadata.find(spreadsheet, int(call.path["mid"]))
    if found is None:
        raise ApiError(404, f"No developer metadata with ID: {call.path['mid']}")
    return found


def _spreadsheets_create(call: Call) -> dict[str, Any]:
    spreadsheet = spreadsheets.create_from_request(call.state, call.caller.email, call.body)
    log.info("Created spreadsheet %s for %s", spreadsheet.id, call.caller.email)
    return spreadsheets.spreadsheet_resource(spreadsheet)


def _spreadsheets_batch_update(call: Call) -> dict[str, Any]:
    spreadsheet = call.emulator.spreadsheet_for(call.caller, call.path["sid"], write=True)
    working, reply = batch.batch_update(call.state, spreadsheet, call.body)
    call.state.spreadsheets[spreadsheet.id] = working
    if str(call.body.get("includeSpreadsheetInResponse", "")).lower() == "true":
        reply["updatedSpreadsheet"] = spreadsheets.spreadsheet_resource(
            working,
            include_grid_data=str(call.body.get("responseIncludeGridData", "")).lower() == "true",
        )
    return reply


def _values(method: Callable[..., dict[str, Any]], writes: bool, *parts: str) -> Handler:
    """A handler passing the spreadsheet plus the named parts of the call to a values method."""

    def handler(call: Call) -> dict[str, Any]:
        spreadsheet = call.emulator.spreadsheet_for(call.caller, call.path["sid"], write=writes)
        sources = {
            "range": lambda: call.path["range"],
            "ranges": lambda: call.params.getlist("ranges"),
            "params": lambda: call.params,
            "body": lambda: call.body,
        }
        return method(spreadsheet, *(sources[p]() for p in parts))

    return handler


# -- Drive -------------------------------------------------------------------------------


def _files_create(call: Call) -> dict[str, Any]:
    return drive.files_create(call.state, call.caller, call.body)


def _files_list(call: Call) -> dict[str, Any]:
    return drive.files_list(call.state, call.caller, call.params)


def _files_get(call: Call) -> dict[str, Any]:
    return drive.files_get(call.state, call.caller, call.path["fid"])


def _files_delete(call: Call) -> None:
    drive.files_delete(call.state, call.caller, call.path["fid"])


def _permissions_create(call: Call) -> dict[str, Any]:
    return drive.permissions_create(
        call.state, call.caller, call.path["fid"], call.body, call.params
    )


def _permissions_list(call: Call) -> dict[str, Any]:
    return drive.permissions_list(call.state, call.caller, call.path["fid"])


def _permissions_delete(call: Call) -> None:
    drive.permissions_delete(call.state, call.caller, call.path["fid"], call.path["pid"])


def _files_copy(call: Call) -> dict[str, Any]:
    return drive.files_copy(call.state, call.caller, call.path["fid"], call.body)


def _comments_list(call: Call) -> dict[str, Any]:
    return drive.comments_list(call.state, call.caller, call.path["fid"])


def _route(
    method: str,
    path: str,
    name: str,
    api: str,
    writes: bool,
    handler: Handler,
    default_fields: str | None = None,
) -> Route:
    return Route(method, re.compile(path), name, api, writes, handler, default_fields)


# Drive v3's default partial responses.
FILE_FIELDS = "kind,id,name,mimeType"
PERMISSION_FIELDS = "kind,id,type,role"


SHEETS = "/v4/spreadsheets"
ROUTES = [
    _route("GET", rf"{SHEETS}/{_ID}", "spreadsheets.get", "sheets", False, _spreadsheets_get),
    _route("POST", SHEETS, "spreadsheets.create", "sheets", True, _spreadsheets_create),
    _route(
        "GET",
        rf"{SHEETS}/{_ID}/developerMetadata/(?P<mid>[0-9]+)",
        "spreadsheets.developerMetadata.get",
        "sheets",
        False,
        _developer_metadata_get,
    ),
    _route(
        "POST",
        rf"{SHEETS}/{_ID}:batchUpdate",
        "spreadsheets.batchUpdate",
        "sheets",
        True,
        _spreadsheets_batch_update,
    ),
    _route(
        "GET",
        rf"{SHEETS}/{_ID}/values:batchGet",
        "spreadsheets.values.batchGet",
        "sheets",
        False,
        _values(values.values_batch_get, False, "ranges", "params"),
    ),
    _route(
        "POST",
        rf"{SHEETS}/{_ID}/values:batchUpdate",
        "spreadsheets.values.batchUpdate",
        "sheets",
        True,
        _values(values.values_batch_update, True, "body"),
    ),
    _route(
        "POST",
        rf"{SHEETS}/{_ID}/values:batchClear",
        "spreadsheets.values.batchClear",
        "sheets",
        True,
        _values(values.values_batch_clear, True, "body"),
    ),
    _route(
        "POST",
        rf"{SHEETS}/{_ID}/values/(?P<range>.+):append",
        "spreadsheets.values.append",
        "sheets",
        True,
        _values(values.values_append, True, "range", "params", "body"),
    ),
    _route(
        "POST",
        rf"{SHEETS}/{_ID}/values/(?P<range>.+):clear",
        "spreadsheets.values.clear",
        "sheets",
        True,
        _values(values.values_clear, True, "range"),
    ),
    _route(
        "GET",
        rf"{SHEETS}/{_ID}/values/(?P<range>.+)",
        "spreadsheets.values.get",
        "sheets",
        False,
        _values(values.values_get, False, "range", "params"),
    ),
    _route(
        "PUT",
        rf"{SHEETS}/{_ID}/values/(?P<range>.+)",
        "spreadsheets.values.update",
        "sheets",
        True,
        _values(values.values_update, True, "range", "params", "body"),
    ),
    _route(
        "POST",
        "/drive/v3/files",
        "drive.files.create",
        "drive",
        True,
        _files_create,
        FILE_FIELDS,
    ),
    _route(
        "GET",
        "/drive/v3/files",
        "drive.files.list",
        "drive",
        False,
        _files_list,
        f"kind,incompleteSearch,nextPageToken,files({FILE_FIELDS})",
    ),
    _route(
        "GET",
        rf"/drive/v3/files/{_FILE}",
        "drive.files.get",
        "drive",
        False,
        _files_get,
        FILE_FIELDS,
    ),
    _route(
        "DELETE", rf"/drive/v3/files/{_FILE}", "drive.files.delete", "drive", True, _files_delete
    ),
    _route(
        "POST",
        rf"/drive/v3/files/{_FILE}/copy",
        "drive.files.copy",
        "drive",
        True,
        _files_copy,
        FILE_FIELDS,
    ),
    _route(
        "GET",
        rf"/drive/v3/files/{_FILE}/comments",
        "drive.comments.list",
        "drive",
        False,
        _comments_list,
    ),
    _route(
        "POST",
        rf"/drive/v3/files/{_FILE}/permissions",
        "drive.permissions.create",
        "drive",
        True,
        _permissions_create,
        PERMISSION_FIELDS,
    ),
    _route(
        "GET",
        rf"/drive/v3/files/{_FILE}/permissions",
        "drive.permissions.list",
        "drive",
        False,
        _permissions_list,
        f"kind,nextPageToken,permissions({PERMISSION_FIELDS})",
    ),
    _route(
        "DELETE",
        rf"/drive/v3/files/{_FILE}/permissions/(?P<pid>[^/]+)",
        "drive.permissions.delete",
        "drive",
        True,
        _permissions_delete,
    ),
]
TOKEN_PATHS = ("/token", "/oauth2/v4/token")
# google-auth looks this up in the background after getting a token (regional access
# boundaries); it is answered but not counted, so its timing cannot disturb counters.
ALLOWED_LOCATIONS = re.compile(r"/v1/projects/[^/]+/serviceAccounts/[^/]+/allowedLocations")


def find_route(http_method: str, path: str) -> Route | None:
    """The API method a request calls, if any."""
    for route in ROUTES:
        if route.http_method == http_method and route.pattern.fullmatch(path):
            return route
    return None


# -- responses ---------------------------------------------------------------------------


def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    response = Response(
        json.dumps(body, ensure_ascii=False, indent=2) + "\n",
        status=status,
        mimetype="application/json",
    )
    response.headers["Content-Type"] = "application/json; charset=UTF-8"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _error(error: ApiError) -> Response:
    return _json(error.body(), error.code, error.headers)


def _drop_connection() -> None:
    """Close the client's socket before any reply is written, so it sees a dropped connection."""
    sock = request.environ.get("werkzeug.socket")
    if sock is None:
        log.warning("No socket to drop: this server does not expose werkzeug.socket")
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _read_body() -> dict[str, Any]:
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise bad_request("Invalid JSON payload received. Unexpected token.") from error
    if not isinstance(body, dict):
        raise bad_request("Invalid JSON payload received. Expected an object.")
    return body


def _token_view(emulator: Emulator) -> Response:
    """POST /token: exchange a service-account JWT for an access token."""
    emulator.runtime.count(TOKEN_METHOD)
    emulator.runtime.delay()
    fault = emulator.runtime.take_fault(TOKEN_METHOD)
    if fault is not None and fault.status:
        return _json(
            {"error": "internal_failure", "error_description": "Injected fault."}, fault.status
        )
    try:
        reply = emulator.tokens.grant(request.form.to_dict())
    except OAuthError as error:
        return _json({"error": error.error, "error_description": error.description}, error.status)
    if fault is not None and fault.drop_after_apply:
        _drop_connection()
    return _json(reply, headers={"Cache-Control": "no-cache, no-store, max-age=0"})


def api_view(path: str = "") -> Response:
    """Every Google URL: authenticate, count, delay, inject faults, check quotas, dispatch."""
    emulator = current_emulator()
    full_path = "/" + path
    if request.method == "POST" and full_path in TOKEN_PATHS:
        return _token_view(emulator)
    if request.method == "GET" and ALLOWED_LOCATIONS.fullmatch(full_path):
        try:
            emulator.tokens.authenticate(request.headers.get("Authorization"))
        except ApiError as error:
            return _error(error)
        return _json({"locations": [], "encodedLocations": "0x0"})
    route = find_route(request.method, full_path)
    if route is None:
        return _error(ApiError(404, f"Method not found: {request.method} {full_path}"))
    runtime = emulator.runtime
    runtime.count(route.name)
    runtime.delay()
    fault = None
    try:
        caller = emulator.tokens.authenticate(request.headers.get("Authorization"))
        caller.require(route.api, "write" if route.writes else "read")
        fault = runtime.take_fault(route.name)
        if fault is not None and fault.status:
            log.info("Injected %s fault on %s", fault.status, route.name)
            # Drive errors name a reason instead of a status, as Drive's own do.
            reason = "rateLimitExceeded" if fault.status == 429 else "backendError"
            raise ApiError(fault.status, drive_reason=reason if route.api == "drive" else None)
        runtime.check_quota(route.name, caller.email)
        body = _read_body()
        with emulator.state.lock:
            call = Call(
                emulator, caller, route.pattern.fullmatch(full_path).groupdict(), request.args, body
            )
            reply = route.handler(call)
            if route.writes:
                # Drive's modifiedTime moves with content changes, not with sharing or copying.
                changed = emulator.state.spreadsheets.get(call.path.get("sid", ""))
                if changed is not None:
                    changed.touch()
                emulator.state.save()
    except ApiError as error:
        log.debug("%s -> %s", route.name, error)
        response = _error(error)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        # A body of the wrong shape ("startIndex": "x", a list for an object): Google says 400.
        log.warning("Malformed %s request: %r", route.name, error, exc_info=True)
        response = _error(bad_request(f"Invalid JSON payload received. {error!r}"))
    else:
        log.debug("%s -> 200", route.name)
        if reply is None:
            response = Response(status=204)
        else:
            fields = request.args.get("fields") or route.default_fields
            try:
                response = _json(apply_fields(reply, parse_fields(fields)) if fields else reply)
            except ApiError as error:
                response = _error(error)
    if fault is not None and fault.drop_after_apply:
        log.info("Dropping the connection after applying %s", route.name)
        _drop_connection()
    return response


def create_emulator_app(
    state_file: str | os.PathLike | None = None,
    latency_ms: float = 0,
    jitter_ms: float = 0,
    quotas: bool = False,
) -> Flask:
    """A Flask app serving the emulator (loads `state_file` if given and it exists)."""
    from .control import control

    app = Flask(__name__)
    app.extensions[EXTENSION_KEY] = Emulator(state_file, latency_ms, jitter_ms, quotas)
    app.register_blueprint(control)
    app.add_url_rule("/", "api_root", api_view, methods=HTTP_METHODS)
    app.add_url_rule("/<path:path>", "api", api_view, methods=HTTP_METHODS)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return _error(ApiError(error.code or 500, error.description))
        log.exception("Emulator bug while serving %s %s", request.method, request.path)
        return _error(ApiError(500))

    return app
