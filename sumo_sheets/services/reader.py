"""``SheetReader``: the sheet read for pages, cached for a few seconds, shared, never blank.

Signups decide on a fresh read (``fresh``); pages take a recent copy (``latest``), and when
the sheet cannot be read they get the last good copy marked stale.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from .. import sheet_format as fmt
from ..storage import Grid, SheetMissing, Storage, StorageError
from .findings import FINDINGS_DAYS, recent_findings
from .reading import SheetData, parse_sheet

log = logging.getLogger(__name__)


def _fingerprint(grids: Mapping[str, Grid]) -> str:
    """Tells two reads of the sheet apart (same content, same fingerprint)."""
    return hashlib.sha256(json.dumps(grids, sort_keys=True).encode()).hexdigest()[:16]


# The longest pause, in seconds, between reads for pages while the sheet keeps failing.
MAX_READ_BACKOFF = 60.0


class SheetReader:
    """Reads the sheet for pages: cached for a few seconds, shared, and never blank.

    - ``latest()`` serves pages: a copy at most ``ttl_seconds`` old. When it is older, one
      request reads the sheet while any others that arrive meanwhile wait for that read
      (single flight), and with a shared cache one process reads for all of them. If the
      sheet cannot be read, the last good copy is returned marked stale: this process's,
      or the one all processes share (``last_good_store``), whichever is newer, so that
      every process shows the same thing. A sheet that is gone (SheetMissing) is never
      stood in for.
    - ``fresh()`` always reads the sheet: it is what signups are decided on.
    - ``fresh_if_due()`` is ``fresh()`` at most once per cache period (for public pages
      that may need a look past the cache), else ``latest()``.
    - ``invalidate()`` after this site writes, so its own change shows at once.

    Optional parts, passed in by the composition root (``create_app``): a ``settler``
    (``settling.Settler``) told of every read kept, which settles the site's unconfirmed
    rows when the content is new; a ``ledger`` (``settling.UncertainLedger``) where
    signups left uncertain are noted; ``request_locks`` (``settling.RequestLocks``) so that
    copies of one form take turns; a ``record`` (``record.SignupRecord``) of the signups
    the site confirmed and the status changes it made, for `sheet audit`.
    """

    def __init__(
        self,
        storage: Storage,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        ttl_seconds: float = 0.0,
        shared: Any = None,
        settler: Any = None,
        ledger: Any = None,
        request_locks: Any = None,
        last_good_store: Any = None,
        record: Any = None,
    ) -> None:
        self.storage = storage
        # The site's record of the signups it confirmed (``record.SignupRecord``), if kept.
        self.record = record
        self._last_good_store = last_good_store
        self._stored_fingerprint = ""
        self._clock = clock
        self.ttl_seconds = float(ttl_seconds)
        self._shared = shared
        self.settler = settler
        self.ledger = ledger if ledger is not None else getattr(settler, "ledger", None)
        self.request_locks = request_locks
        self._throttled_at = float("-inf")  # monotonic time of fresh_if_due's last read
        self._findings: tuple[float, list[fmt.Finding]] | None = None
        self._lock = threading.Lock()
        self._flight: threading.Event | None = None
        self._flight_error: StorageError | None = None
        self._last_good: SheetData | None = None
        self._last_good_at: datetime | None = None
        self._read_at = float("-inf")  # monotonic time of the cached copy
        self._fingerprint = ""
        self.changed_at: datetime | None = None  # when the content last changed, as seen
        self.last_error: StorageError | None = None
        self._failures = 0  # reads for pages that failed in a row
        self._failed_until = float("-inf")  # monotonic time before which pages do not read

    def fresh(self) -> SheetData:
        """Read the sheet now; raise StorageError if it cannot be read."""
        try:
            grids = self.storage.read_tabs(fmt.TAB_TITLES)
        except StorageError as error:
            with self._lock:
                self.last_error = error
            raise
        data = self._keep(grids)
        if self._shared is not None:
            self._shared.put(grids, time.time(), self.ttl_seconds)
        return data

    def latest(self) -> SheetData:
        """A copy at most ttl_seconds old, or the last good copy marked stale; else raise.

        After a failed read, pages do not read again until a back-off has passed (the cache
        period, doubling with each failure up to a minute): while Google answers 429, public
        traffic must not keep the quota spent.
        """
        with self._lock:
            if self._last_good is not None and self._age() < self.ttl_seconds:
                return self._last_good
            backing_off = time.monotonic() < self._failed_until and self.last_error is not None
            error = self.last_error
        if backing_off and error is not None:
            return self._stale_or_raise(error)
        with self._lock:
            flight = self._flight
            leader = flight is None
            if leader:
                flight = self._flight = threading.Event()
                self._flight_error = None
        if not leader:
            landed = flight.wait(timeout=60)
            with self._lock:
                data, error = self._last_good, self._flight_error
            if landed and error is None and data is not None:
                return data
            return self._stale_or_raise(error or StorageError("The sheet could not be read."))
        try:
            data = self._refresh()
        except StorageError as error:
            with self._lock:
                self._flight_error = error
                self._failures += 1
                if self.ttl_seconds > 0:
                    pause = min(self.ttl_seconds * 2 ** (self._failures - 1), MAX_READ_BACKOFF)
                    self._failed_until = time.monotonic() + pause
            return self._stale_or_raise(error)
        else:
            with self._lock:
                self._failures, self._failed_until = 0, float("-inf")
            return data
        finally:
            with self._lock:
                self._flight = None
            flight.set()

    def fresh_if_due(self, wait_seconds: float = 0.0) -> tuple[SheetData, bool]:
        """A fresh read if none was made this way within the cache period, else the cached
        copy; with ``wait_seconds``, wait that long at most for the period to pass.

        Returns the copy and whether it was read just now. This is what a public page may
        spend: at most one read per cache period per process, whoever asks and how often.
        """
        deadline = time.monotonic() + wait_seconds
        while True:
            with self._lock:
                due_in = self._throttled_at + self.ttl_seconds - time.monotonic()
                if due_in <= 0:
                    self._throttled_at = time.monotonic()
                    break
            if time.monotonic() + due_in > deadline:
                return self.latest(), False
            time.sleep(due_in)
        try:
            return self.fresh(), True
        except StorageError:
            return self.latest(), False

    def findings(self, now: datetime, days: int = FINDINGS_DAYS) -> list[fmt.Finding]:
        """Recent findings (``recent_findings``), read at most once per cache period."""
        with self._lock:
            cached = self._findings
        if cached is not None and time.monotonic() - cached[0] < self.ttl_seconds:
            return cached[1]
        try:
            recent = recent_findings(self.storage, now, days)
        except StorageError:
            if cached is None:
                raise
            return cached[1]
        with self._lock:
            self._findings = (time.monotonic(), recent)
        return recent

    def invalidate_findings(self) -> None:
        """A finding was logged here: the next findings page reads the tab again."""
        with self._lock:
            self._findings = None

    def invalidate(self, shared: bool = True) -> None:
        """Forget the cached copy (this site just wrote); the next page reads afresh.

        With ``shared=False`` only this process's copy goes, and the next page takes the
        shared cache's copy if it is recent enough.
        """
        with self._lock:
            self._read_at = float("-inf")
        if shared and self._shared is not None:
            self._shared.drop()

    def last_good(self) -> SheetData | None:
        """The last copy read successfully, with ``stale_since`` set to when; None if none."""
        with self._lock:
            copy, since = self._last_good, self._last_good_at
        return None if copy is None else replace(copy, stale_since=since)

    def _refresh(self) -> SheetData:
        """Bring the cached copy up to date: from the shared cache, or by reading the sheet."""
        if self._shared is None or self.ttl_seconds <= 0:
            return self.fresh()
        entry = self._shared.get()
        if entry is not None and time.time() - entry[1] < self.ttl_seconds:
            return self._keep(entry[0], age=time.time() - entry[1])
        token = self._shared.try_lock(seconds=max(2.0, self.ttl_seconds))
        if token is None:
            # Another process is reading the sheet right now: use its read.
            entry = self._shared.wait_for_entry(newer_than=time.time() - 1, seconds=5)
            if entry is not None:
                return self._keep(entry[0], age=time.time() - entry[1])
            return self.fresh()
        try:
            return self.fresh()
        finally:
            self._shared.unlock(token)

    def _keep(self, grids: Mapping[str, Grid], age: float = 0.0) -> SheetData:
        """Make these grids the cached copy, parsing them only if their content changed."""
        fingerprint = _fingerprint(grids)
        with self._lock:
            same = fingerprint == self._fingerprint and self._last_good is not None
        data = self._last_good if same else parse_sheet(grids)
        with self._lock:
            if not same:
                self._fingerprint = fingerprint
                self.changed_at = self._clock()
            self._last_good, self._last_good_at = data, self._clock()
            self._read_at = time.monotonic() - age
            self.last_error = None
            store = self._last_good_store is not None and fingerprint != self._stored_fingerprint
            self._stored_fingerprint = fingerprint
            read_at = self._last_good_at
        if store:
            self._last_good_store.put(dict(grids), read_at.timestamp())
        if self.settler is not None:
            # Settling looks only at reads with new content (or rows it is waiting on), and
            # runs in the background: a page view does not wait for it.
            self.settler.notice(self, data, changed=not same)
        return data

    def _age(self) -> float:
        return time.monotonic() - self._read_at

    def _stale_or_raise(self, error: StorageError) -> SheetData:
        if isinstance(error, SheetMissing):
            raise error
        copy = self.last_good()
        shared = self._last_good_store.get() if self._last_good_store is not None else None
        if shared is not None and (copy is None or shared[1] > copy.stale_since.timestamp()):
            try:
                copy = replace(
                    parse_sheet(shared[0]), stale_since=datetime.fromtimestamp(shared[1], UTC)
                )
            except (KeyError, TypeError, ValueError, AttributeError) as damaged:
                log.warning("the shared last good copy is unusable: %r", damaged)
        if copy is None:
            raise error
        log.warning(
            "showing the copy read at %s: %s %s", copy.stale_since, error.message, error.detail
        )
        return copy
