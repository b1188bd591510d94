"""Settling rows the site made but could not confirm.

``Settler``: after a read that brings new content, keeps or withdraws those rows. A row the
site made recently that holds no place (it is over its role's maximum, see
``model.holding_places``) is withdrawn; the ledger's rows (``ledger.UncertainLedger``) that
hold a place are kept. Either way ``on_settled(signup, kept)`` is called once.

None of this imports Flask or gspread: the composition root (``create_app``) builds the
settler, its ledger and the ``RequestLocks``, and hands them to the ``SheetReader``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from ..model import Signup, holding_places
from ..storage import StorageError
from .cancellations import withdraw_rows
from .ledger import SETTLE_WINDOW, UncertainLedger
from .record import note_settled

log = logging.getLogger(__name__)

# The process that appended a row settles it itself if it can: others wait this long first.
SETTLE_GRACE = timedelta(seconds=60)


def _no_notice(signup: Signup, kept: bool) -> None:
    """The default ``on_settled``: nobody is told (the web layer wires mail in)."""


@dataclass
class _Later:
    """The earliest moment a row not settled now becomes due (None: none waits)."""

    at: datetime | None = None

    def add(self, moment: datetime) -> None:
        self.at = moment if self.at is None else min(self.at, moment)


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
        now = self._clock()
        self._ledger_seen = self.ledger.stamp()
        noted = {s.id: s for s in self.ledger.pending()}
        later = _Later()
        due = self._over_and_due(data, now, noted, later)
        try:
            withdraw_rows(reader, due)
        except StorageError as error:
            log.warning("could not withdraw the rows over a maximum yet: %s", error.message)
            self._due_at = now + timedelta(seconds=10)
            return []  # some may be withdrawn: the next read tells, and settles them
        outcomes: list[tuple[Signup, bool]] = []
        for signup in due:
            log.info("signup %s was over its role's maximum and is withdrawn", signup.id)
            if self.ledger.settle(signup.id):
                outcomes.append((signup, False))
        outcomes += self._noted_outcomes(data, noted, now, later)
        self._due_at = later.at
        note_settled(reader, outcomes)  # rows kept are confirmed now: the site's record
        self._tell(outcomes)
        return outcomes

    def _over_and_due(
        self, data: Any, now: datetime, noted: dict[str, Signup], later: _Later
    ) -> list[Signup]:
        """The site's recent rows over a maximum whose grace period has passed."""
        done = self.ledger.was_settled()
        over_by_time = _over_in_signup_order(data)
        due: list[Signup] = []
        for signup in data.signups:
            if not signup.over_maximum or not signup.id or signup.id in done:
                continue
            if signup.id not in over_by_time:
                # Over in sheet order only: a sort may have lifted a newer row above this
                # one for the moment. A row is withdrawn only if it is over either way.
                later.add(now + self.grace)
                continue
            if not (signup.request_id or signup.id in noted) or signup.signed_up_at is None:
                continue  # typed by hand: for a coordinator
            age = now - signup.signed_up_at
            if age > self.window:
                continue  # an old row: reported by `sheet check`, never withdrawn here
            if age < self.grace:
                later.add(signup.signed_up_at + self.grace)
                continue
            due.append(signup)
        return due

    def _noted_outcomes(
        self, data: Any, noted: dict[str, Signup], now: datetime, later: _Later
    ) -> list[tuple[Signup, bool]]:
        """How the ledger's rows ended: kept if confirmed in this read, else withdrawn."""
        rows = {s.id: s for s in data.signups if s.id}
        outcomes = []
        for signup_id, noted_row in noted.items():
            row = rows.get(signup_id)
            if row is not None and row.over_maximum:
                continue  # withdrawn above, or still within its grace period
            made_at = noted_row.signed_up_at or now
            if row is None and now - made_at < self.grace:
                later.add(made_at + self.grace)
                continue  # may not be in this copy yet
            kept = row is not None and row.confirmed
            if self.ledger.settle(signup_id):
                outcomes.append((row or noted_row, kept))
        return outcomes

    def _tell(self, outcomes: list[tuple[Signup, bool]]) -> None:
        for signup, kept in outcomes:
            try:
                self.on_settled(signup, kept)
            except Exception:
                log.exception("telling the volunteer of signup %s failed", signup.id)


def _over_in_signup_order(data: Any) -> set[str]:
    """IDs of rows over a maximum when rows are taken in the order they were signed up."""
    far_past = datetime.min.replace(tzinfo=UTC)
    by_time = sorted(data.signups, key=lambda s: (s.signed_up_at or far_past, s.row))
    ranked = [replace(s, row=n) for n, s in enumerate(by_time, start=1)]
    _, over = holding_places(ranked, data.schedule, data.settings)
    return {o.signup.id for o in over if o.signup.id}
