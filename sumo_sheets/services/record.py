"""``SignupRecord``: the site's own record of the signups it confirmed and of the status
changes it made, so that `sheet audit` can name a confirmed signup that vanished from the
sheet and `sheet restore` can put it back, once (``audit``).

An append-only JSON-lines file (``instance/signup-record.jsonl`` by default), one event a
line, written under a file lock beside it and synced::

    {"event": "confirmed", "id": "X1", "at": "...", "signup": {"name": ..., "contact": ...}}
    {"event": "cancelled", "id": "X1", "at": "..."}     (the volunteer cancelled on the site)
    {"event": "withdrawn", "id": "X1", "at": "..."}     (the site withdrew its own row)
    {"event": "restored", "id": "X1", "at": "...", "row": 42}

A confirmed event keeps the row's cells, contact included, because a restore needs them:
the file is made readable by its owner only (mode 600), as is the last good copy of the
sheet. Nothing here raises into a signup: a record that cannot be written is logged (by
ID only) and the signup stands.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

from ..model import Role, Signup

log = logging.getLogger(__name__)

CONFIRMED = "confirmed"
CANCELLED = "cancelled"
WITHDRAWN = "withdrawn"
RESTORED = "restored"
# The fields of a Signup kept in a confirmed event: what its row is laid out from.
_KEPT = ("id", "name", "contact", "notes", "request_id", "time_zone")


@dataclass
class Recorded:
    """One signup as the site last left it: its row's content and its status."""

    signup: Signup
    confirmed_at: datetime
    status: str = CONFIRMED  # or CANCELLED / WITHDRAWN, by the site
    changed_at: datetime | None = None
    restored_at: datetime | None = None
    restored_row: int | None = None


def _signup_json(signup: Signup) -> dict[str, Any]:
    fields: dict[str, Any] = {name: getattr(signup, name) for name in _KEPT}
    fields["role"] = signup.role.value
    fields["start"] = signup.start.isoformat()
    fields["end"] = signup.end.isoformat()
    fields["signed_up_at"] = signup.signed_up_at.isoformat() if signup.signed_up_at else None
    return fields


def _signup_from_json(fields: dict[str, Any]) -> Signup:
    at = fields.get("signed_up_at")
    return Signup(
        **{name: str(fields.get(name) or "") for name in _KEPT},
        role=Role(fields["role"]),
        start=datetime.fromisoformat(fields["start"]),
        end=datetime.fromisoformat(fields["end"]),
        signed_up_at=datetime.fromisoformat(at) if at else None,
    )


class SignupRecord:
    """The record file; every process of the host appends to it under one file lock."""

    def __init__(
        self,
        path: str | os.PathLike,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.path = Path(path)
        self._clock = clock
        self._lock = FileLock(str(self.path) + ".lock", timeout=30)
        # Restores take turns on a lock of their own, so that signups never wait for one.
        self._restore_lock = FileLock(str(self.path) + ".restore.lock", timeout=60)

    def confirmed(self, signup: Signup) -> None:
        """The site confirmed this signup: keep its row's content."""
        if signup.id:
            self._append({"event": CONFIRMED, "id": signup.id, "signup": _signup_json(signup)})

    def status_changed(self, signup_id: str, status: str) -> None:
        """The site marked a row cancelled (a volunteer) or withdrawn (the site itself)."""
        if signup_id:
            self._append({"event": status, "id": signup_id})

    def restored(self, signup_id: str, row: int | None) -> None:
        """`sheet restore` put the row back (at ``row``, when the sheet said where)."""
        self._append({"event": RESTORED, "id": signup_id, "row": row})

    def signups(self) -> dict[str, Recorded]:
        """Every signup the site confirmed, by ID, as it last left it."""
        with self._lock:
            return _fold(self._events())

    @contextlib.contextmanager
    def restoring(self) -> Iterator[None]:
        """Hold the turn of restores: one at a time on this host."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._restore_lock:
            yield

    def _events(self) -> Iterator[dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        for line in text.splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue  # a line a writer killed mid-write left unfinished
            if isinstance(event, dict) and event.get("id"):
                yield event

    def _append(self, event: dict[str, Any]) -> None:
        event["at"] = self._clock().astimezone(UTC).isoformat()
        payload = (json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.fchmod(fd, 0o600)  # personal data: the owner only, whatever the umask
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    payload = b"\n" + payload  # a writer killed mid-line left it unfinished
                os.write(fd, payload)
                os.fsync(fd)
            finally:
                os.close(fd)


def _fold(events: Iterable[dict[str, Any]]) -> dict[str, Recorded]:
    """The record's events, oldest first, folded into each signup's last state."""
    state: dict[str, Recorded] = {}
    for event in events:
        kind, signup_id = event.get("event"), str(event["id"])
        at = _moment(event.get("at"))
        known = state.get(signup_id)
        if kind == CONFIRMED and isinstance(event.get("signup"), dict):
            try:
                signup = _signup_from_json(event["signup"])
            except (KeyError, TypeError, ValueError):
                continue
            if known is None:
                state[signup_id] = Recorded(signup, at or datetime.now(UTC))
            else:  # confirmed again (a resent form): the latest content, restores kept
                known.signup, known.status = signup, CONFIRMED
        elif known is None:
            continue  # a change to a row the site never confirmed (a lost race's own row)
        elif kind in (CANCELLED, WITHDRAWN):
            known.status, known.changed_at = kind, at
        elif kind == RESTORED:
            known.restored_at, known.restored_row = at, event.get("row")
    return state


def _moment(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


# -- the hooks where a signup is confirmed or its status changes ---------------------------


def note_confirmed(reader: Any, signup: Signup) -> None:
    """Keep a signup the site just confirmed in the reader's record, if it has one."""
    _note(reader, signup.id, lambda record: record.confirmed(signup))


def note_status(reader: Any, signup_id: str, status: str) -> None:
    """Keep a status the site just gave a row (CANCELLED or WITHDRAWN) in the record."""
    _note(reader, signup_id, lambda record: record.status_changed(signup_id, status))


def note_settled(reader: Any, outcomes: Iterable[tuple[Signup, bool]]) -> None:
    """Rows left uncertain and settled as kept are confirmed now."""
    for signup, kept in outcomes:
        if kept:
            note_confirmed(reader, signup)


def _note(reader: Any, signup_id: str, write: Callable[[SignupRecord], None]) -> None:
    record = getattr(reader, "record", None)
    if record is None:
        return
    try:
        write(record)
    except (OSError, TimeoutError) as error:
        # The signup stands in the sheet; only `sheet audit` loses sight of it.
        log.error("could not keep signup %s in the site's record: %r", signup_id, error)
