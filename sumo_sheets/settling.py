"""Settling rows the site made but could not confirm, and taking turns on one form's key.

- ``UncertainLedger``: the signups whose confirming read (or withdrawal) failed, so that the
  volunteer can be told how it ended. In memory, plus a JSON file under a file lock so that
  every process on the host sees it.
- ``Settler``: after a read that brings new content, keeps or withdraws those rows. A row
  the site made recently that holds no place (it is over its role's maximum, see
  ``model.holding_places``) is withdrawn; the ledger's rows that hold a place are kept.
  Either way ``on_settled(signup, kept)`` is called once.
- ``RequestLocks``: copies of one form (same request key) take turns, across threads and
  processes on the host, so a later copy finds the first copy's rows instead of adding its own.

None of this imports Flask or gspread: the composition root (``create_app``) builds these
and hands them to the ``SheetReader``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from .model import Role, Signup, holding_places
from .storage import StorageError

log = logging.getLogger(__name__)

# A row the site made this long ago or less is still its own to withdraw; older rows over a
# maximum (a coordinator lowered it, or typed rows in) are only reported.
SETTLE_WINDOW = timedelta(hours=1)
# The process that appended a row settles it itself if it can: others wait this long first.
SETTLE_GRACE = timedelta(seconds=60)


def _no_notice(signup: Signup, kept: bool) -> None:
    """The default ``on_settled``: nobody is told (the web layer wires mail in)."""


def _to_json(signup: Signup) -> dict[str, Any]:
    fields = asdict(signup)
    fields["role"] = signup.role.value
    for name in ("start", "end", "signed_up_at"):
        fields[name] = fields[name].isoformat() if fields[name] else None
    return fields


def _from_json(fields: dict[str, Any]) -> Signup:
    fields = dict(fields)
    fields["role"] = Role(fields["role"])
    for name in ("start", "end", "signed_up_at"):
        fields[name] = datetime.fromisoformat(fields[name]) if fields[name] else None
    return Signup(**fields)


class UncertainLedger:
    """Signups that ended in SignupUncertain, until they are settled (or ``keep`` passes).

    With a ``path`` the ledger is a JSON file (under a file lock beside it), shared by the
    processes of the host; without, it lives in this process only.
    """

    def __init__(
        self,
        path: str | os.PathLike | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        keep: timedelta = 2 * SETTLE_WINDOW,
    ) -> None:
        self.path = Path(path) if path else None
        self._clock = clock
        self._keep = keep
        self._thread_lock = threading.Lock()
        self._memory: dict[str, Any] = {"pending": {}, "settled": {}}
        self._version = 0

    def record(self, signup: Signup) -> None:
        """Note a row whose fate the volunteer could not be told."""
        if not signup.id:
            return
        with self._open() as state:
            state["pending"][signup.id] = _to_json(signup)
        log.info("signup %s noted as not yet confirmed", signup.id)

    def pending(self) -> list[Signup]:
        """The noted rows not settled yet."""
        with self._open(write=False) as state:
            return [_from_json(f) for f in state["pending"].values()]

    def forget(self, signup_id: str) -> None:
        """The row's fate is known to its volunteer (a resent form, say): nothing to tell."""
        with self._open() as state:
            state["pending"].pop(signup_id, None)

    def settle(self, signup_id: str) -> bool:
        """Mark a row settled; False if some process on this host settled it already."""
        with self._open() as state:
            state["pending"].pop(signup_id, None)
            if signup_id in state["settled"]:
                return False
            state["settled"][signup_id] = self._clock().isoformat()
            return True

    def was_settled(self) -> set[str]:
        """IDs settled lately by any process of the host."""
        with self._open(write=False) as state:
            return set(state["settled"])

    def stamp(self) -> object:
        """Changes whenever any process records or settles a row (a cheap check)."""
        if self.path is None:
            return self._version
        try:
            return self.path.stat().st_mtime_ns
        except OSError:
            return None

    @contextlib.contextmanager
    def _open(self, write: bool = True) -> Iterator[dict[str, Any]]:
        with self._thread_lock:
            if self.path is None:
                yield self._memory
                if write:
                    self._prune(self._memory)
                    self._version += 1
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with FileLock(str(self.path) + ".lock", timeout=30):
                try:
                    state = json.loads(self.path.read_text())
                except (OSError, ValueError):
                    state = {}
                state.setdefault("pending", {})
                state.setdefault("settled", {})
                yield state
                if write:
                    self._prune(state)
                    temporary = self.path.with_name(self.path.name + ".tmp")
                    temporary.write_text(json.dumps(state, indent=1, sort_keys=True))
                    os.replace(temporary, self.path)

    def _prune(self, state: dict[str, Any]) -> None:
        oldest = self._clock() - self._keep
        state["pending"] = {
            key: fields
            for key, fields in state["pending"].items()
            if not fields.get("signed_up_at")
            or datetime.fromisoformat(fields["signed_up_at"]) >= oldest
        }
        state["settled"] = {
            key: at for key, at in state["settled"].items() if datetime.fromisoformat(at) >= oldest
        }


class Settler:
    """Keeps or withdraws the site's unconfirmed rows after reads that bring new content.

    ``SheetReader`` calls ``notice`` on every read it keeps; settling runs only when the
    content is new (or a row waiting out its grace period, or a new ledger entry, is due),
    in a background thread, never twice at once in a process and, with a lock folder, in
    one process of the host at a time.
    """

    def __init__(
        self,
        ledger: UncertainLedger | None = None,
        on_settled: Callable[[Signup, bool], None] = _no_notice,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        lock_folder: str | os.PathLike | None = None,
        grace: timedelta = SETTLE_GRACE,
        window: timedelta = SETTLE_WINDOW,
        background: bool = True,
    ) -> None:
        self.ledger = ledger or UncertainLedger(clock=clock)
        self.on_settled = on_settled
        self._clock = clock
        self._lock_file = Path(lock_folder) / "settle.lock" if lock_folder else None
        self.grace = grace
        self.window = window
        self.background = background
        self.runs = 0
        self._lock = threading.Lock()
        self._running = False
        self._again = False
        self._idle = threading.Event()
        self._idle.set()
        self._due_at: datetime | None = None
        self._ledger_seen: object = self.ledger.stamp()

    def notice(self, reader: Any, data: Any, changed: bool) -> None:
        """A read was kept; settle if it brings something new to settle."""
        if not changed and not self._due():
            return
        with self._lock:
            if self._running:
                self._again = True
                return
            self._running, self._again = True, False
            self._idle.clear()
        if self.background:
            threading.Thread(target=self._run, args=(reader, data), daemon=True).start()
        else:
            self._run(reader, data)

    def wait(self, timeout: float = 30.0) -> bool:
        """Wait until no settling is under way (for tests and shutdown)."""
        return self._idle.wait(timeout)

    def _due(self) -> bool:
        due = self._due_at is not None and self._clock() >= self._due_at
        return due or self.ledger.stamp() != self._ledger_seen

    def _run(self, reader: Any, data: Any) -> None:
        try:
            while True:
                self.runs += 1
                try:
                    self.settle(reader, data)
                except Exception:  # a bug here must not stop later settling
                    log.exception("settling the sheet's rows failed")
                with self._lock:
                    if not self._again:
                        self._running = False
                        self._idle.set()
                        return
                    self._again = False
                data = reader.last_good() or data
        except BaseException:
            with self._lock:
                self._running = False
                self._idle.set()
            raise

    def settle(self, reader: Any, data: Any) -> list[tuple[Signup, bool]]:
        """Withdraw the site's recent rows that hold no place; tell how noted rows ended."""
        host_lock = FileLock(str(self._lock_file), timeout=0) if self._lock_file else None
        if host_lock is not None:
            self._lock_file.parent.mkdir(parents=True, exist_ok=True)
            try:
                host_lock.acquire()
            except Timeout:
                # Another process of the host is settling: look again on a later read.
                self._due_at = self._clock() + timedelta(seconds=5)
                return []
        try:
            return self._settle(reader, data)
        finally:
            if host_lock is not None:
                host_lock.release()

    def _settle(self, reader: Any, data: Any) -> list[tuple[Signup, bool]]:
        # Imported here: services imports nothing of this module, and must not need to.
        from .services import withdraw_rows

        now = self._clock()
        self._ledger_seen = self.ledger.stamp()
        noted = {s.id: s for s in self.ledger.pending()}
        done = self.ledger.was_settled()
        due_at: datetime | None = None
        outcomes: list[tuple[Signup, bool]] = []

        def later(moment: datetime) -> None:
            nonlocal due_at
            due_at = moment if due_at is None else min(due_at, moment)

        rows = {s.id: s for s in data.signups if s.id}
        over_by_time = _over_in_signup_order(data)
        due: list[Signup] = []
        for signup in data.signups:
            if not signup.over_maximum or not signup.id or signup.id in done:
                continue
            if signup.id not in over_by_time:
                # Over in sheet order only: a sort may have lifted a newer row above this
                # one for the moment. A row is withdrawn only if it is over either way.
                later(now + self.grace)
                continue
            if not (signup.request_id or signup.id in noted) or signup.signed_up_at is None:
                continue  # typed by hand: for a coordinator
            age = now - signup.signed_up_at
            if age > self.window:
                continue  # an old row: reported by `sheet check`, never withdrawn here
            if age < self.grace:
                later(signup.signed_up_at + self.grace)
                continue
            due.append(signup)
        try:
            withdraw_rows(reader, due)
        except StorageError as error:
            log.warning("could not withdraw the rows over a maximum yet: %s", error.message)
            self._due_at = now + timedelta(seconds=10)
            return []  # some may be withdrawn: the next read tells, and settles them
        for signup in due:
            log.info("signup %s was over its role's maximum and is withdrawn", signup.id)
            if self.ledger.settle(signup.id):
                outcomes.append((signup, False))
        for signup_id, noted_row in noted.items():
            row = rows.get(signup_id)
            if row is not None and row.over_maximum:
                continue  # withdrawn above, or still within its grace period
            if row is None and now - (noted_row.signed_up_at or now) < self.grace:
                later((noted_row.signed_up_at or now) + self.grace)
                continue  # may not be in this copy yet
            kept = row is not None and row.confirmed
            if self.ledger.settle(signup_id):
                outcomes.append((row or noted_row, kept))
        self._due_at = due_at
        for signup, kept in outcomes:
            try:
                self.on_settled(signup, kept)
            except Exception:
                log.exception("telling the volunteer of signup %s failed", signup.id)
        return outcomes


def _over_in_signup_order(data: Any) -> set[str]:
    """IDs of rows over a maximum when rows are taken in the order they were signed up."""
    far_past = datetime.min.replace(tzinfo=UTC)
    by_time = sorted(data.signups, key=lambda s: (s.signed_up_at or far_past, s.row))
    ranked = [replace(s, row=n) for n, s in enumerate(by_time, start=1)]
    _, over = holding_places(ranked, data.schedule, data.settings)
    return {o.signup.id for o in over if o.signup.id}


class RequestLocks:
    """One lock per form key: copies of one form (a double click, a resend) take turns.

    ``hold(key)`` is a context manager held around a whole signup; it yields True when
    this key was used within ``recent`` (by any thread, or any process sharing ``folder``),
    so the caller reads the sheet again and finds what the earlier copy wrote.
    """

    def __init__(
        self,
        folder: str | os.PathLike | None = None,
        recent: timedelta = timedelta(minutes=10),
        timeout: float = 120.0,
    ) -> None:
        self.folder = Path(folder) if folder else None
        self.recent = recent.total_seconds()
        self.timeout = timeout
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}
        self._used: dict[str, float] = {}
        self._swept = 0.0

    @contextlib.contextmanager
    def hold(self, key: str) -> Iterator[bool]:
        """Take this key's turn; yields whether an earlier copy used the key lately."""
        if not key:
            yield False
            return
        name = hashlib.sha256(key.encode()).hexdigest()[:32]
        with self._guard:
            lock, users = self._locks.get(name, (threading.Lock(), 0))
            self._locks[name] = (lock, users + 1)
        try:
            if not lock.acquire(timeout=self.timeout):
                raise StorageError("This form is already being sent; please wait a moment.")
            try:
                with self._file_lock(name) as marker:
                    used = max(self._used.get(name, 0.0), self._marked(marker))
                    try:
                        yield time.time() - used < self.recent
                    finally:
                        self._used[name] = time.time()
                        if marker is not None:
                            marker.touch()
            finally:
                lock.release()
        finally:
            with self._guard:
                lock, users = self._locks[name]
                if users <= 1:
                    del self._locks[name]
                    self._used = {k: v for k, v in self._used.items() if self._fresh(v)}
                else:
                    self._locks[name] = (lock, users - 1)

    def _fresh(self, used: float) -> bool:
        return time.time() - used < self.recent

    @contextlib.contextmanager
    def _file_lock(self, name: str) -> Iterator[Path | None]:
        if self.folder is None:
            yield None
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self._sweep()
        try:
            with FileLock(str(self.folder / f"{name}.lock"), timeout=self.timeout):
                yield self.folder / f"{name}.used"
        except Timeout as error:
            raise StorageError("This form is already being sent; please wait a moment.") from error

    @staticmethod
    def _marked(marker: Path | None) -> float:
        try:
            return marker.stat().st_mtime if marker is not None else 0.0
        except OSError:
            return 0.0

    def _sweep(self) -> None:
        """Now and then, remove markers of keys not used for a day."""
        if self.folder is None or time.time() - self._swept < 3600:
            return
        self._swept = time.time()
        for marker in self.folder.glob("*.used"):
            with contextlib.suppress(OSError):
                if time.time() - marker.stat().st_mtime > 86400:
                    marker.unlink()
