"""Use cases: read the sheet, show a week, sign up, cancel, check and set up the sheet.

Each takes a storage object that honours the contract in ``storage``; none knows which
backend it is, and none imports Flask.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import logging
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tenacity import RetryCallState

from . import contacts
from . import sheet_format as fmt
from .model import (
    HOUR,
    HOURLY_ROLES,
    Block,
    BlockView,
    Coverage,
    HourView,
    PlaceTaken,
    Role,
    ScheduleEntry,
    Settings,
    Signup,
    SignupRefused,
    SignupRequest,
    SlotFull,
    block_at,
    blocks_for_week,
    build_block_views,
    check_room,
    check_signup,
    holding_places,
    week_start,
)
from .retry import RetryPolicy
from .sheet_format import Problem
from .storage import Grid, SheetMissing, Storage, StorageError, TabRepair

log = logging.getLogger(__name__)

_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: IDs get read aloud


@dataclass
class SheetData:
    """Everything the site reads from the sheet, parsed, with what it had to skip."""

    schedule: list[ScheduleEntry]
    settings: Settings
    signups: list[Signup]
    signup_header: list[str]
    problems: list[Problem] = field(default_factory=list)
    # Set when this is the last good copy, shown because the sheet cannot be read now.
    stale_since: datetime | None = None
    _by_start: tuple[list[datetime], list[Signup], timedelta] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def signups_between(self, start: datetime, end: datetime) -> list[Signup]:
        """Signups that share any time with [start, end), found without a look at the rest.

        A week's page touches only its week, however many rows the sheet has: the rows are
        sorted by start once per read, then found by bisection.
        """
        if self._by_start is None:
            ordered = sorted(self.signups, key=lambda s: s.start)
            longest = max((s.end - s.start for s in ordered), default=timedelta(0))
            self._by_start = ([s.start for s in ordered], ordered, longest)
        starts, ordered, longest = self._by_start
        first = bisect.bisect_left(starts, start - longest)
        last = bisect.bisect_left(starts, end)
        return [s for s in ordered[first:last] if s.overlaps(start, end)]

    def blocks_for(self, monday: date) -> list[Block]:
        """The schedule placed on the week that starts on ``monday`` (in the sheet's zone)."""
        return blocks_for_week(self.schedule, monday, self.settings.time_zone)

    def blocks_near(self, moment: datetime) -> list[Block]:
        """Blocks of the weeks around a moment: a UTC hour can fall in a neighbouring local week."""
        monday = week_start(moment.astimezone(self.settings.time_zone).date())
        return [
            block
            for offset in (-7, 0, 7)
            for block in self.blocks_for(monday + timedelta(days=offset))
        ]


def read_sheet(storage: Storage) -> SheetData:
    """Read all three tabs in one call and parse them."""
    return parse_sheet(storage.read_tabs(fmt.TAB_TITLES))


def parse_sheet(grids: Mapping[str, Grid]) -> SheetData:
    """The site's view of the three tabs' grids, with what it had to skip."""
    schedule, schedule_problems = fmt.parse_schedule(grids[fmt.SCHEDULE])
    settings, settings_problems = fmt.parse_settings(grids[fmt.SETTINGS])
    signups, signup_problems = fmt.parse_signups(grids[fmt.SIGNUPS])
    signups, over_problems = _mark_over_maximum(signups, schedule, settings)
    signup_grid = grids[fmt.SIGNUPS]
    return SheetData(
        schedule=schedule,
        settings=settings,
        signups=signups,
        signup_header=list(signup_grid[0]) if signup_grid else [],
        problems=schedule_problems + settings_problems + signup_problems + over_problems,
    )


def _mark_over_maximum(
    signups: list[Signup], schedule: Sequence[ScheduleEntry], settings: Settings
) -> tuple[list[Signup], list[Problem]]:
    """Flag the confirmed rows that hold no place (model.holding_places), so that no reader
    counts them, and report each for coordinators. Every row stays in the list."""
    _, over = holding_places(signups, schedule, settings)
    if not over:
        return signups, []
    flagged = {id(o.signup) for o in over}
    problems = []
    for item in over:
        if item.signup.role is Role.ANCHOR:
            advice = "Cancel one of the two rows."
        else:
            advice = f"Raise '{fmt.MAXIMUM[item.signup.role]}' in Settings or cancel a row."
        problems.append(
            Problem(
                fmt.SIGNUPS,
                item.signup.row,
                f"{item.reason}, so this row does not count. {advice}",
            )
        )
    marked = [replace(s, over_maximum=True) if id(s) in flagged else s for s in signups]
    return marked, sorted(problems, key=lambda p: p.row)


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
    copies of one form take turns.
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
    ) -> None:
        self.storage = storage
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

    def findings(self, now: datetime, days: int = 30) -> list[fmt.Finding]:
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


@dataclass
class DayView:
    """One day of the week in the schedule's zone, with its blocks (maybe none)."""

    day: date
    blocks: list[BlockView]


@dataclass
class WeekView:
    """A Monday-to-Sunday week as the schedule page and the API show it."""

    monday: date
    days: list[DayView]
    settings: Settings
    problems: list[Problem]
    stale_since: datetime | None = None
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    @property
    def previous_monday(self) -> date:
        """The Monday before."""
        return self.monday - timedelta(days=7)

    @property
    def next_monday(self) -> date:
        """The Monday after."""
        return self.monday + timedelta(days=7)


def blocks_in_week(data: SheetData, monday: date, zone: ZoneInfo) -> list[Block]:
    """The staffed blocks that start in the Monday-to-Sunday week of ``monday`` in ``zone``.

    The viewer's week need not line up with the schedule's (a Tokyo Monday morning is a
    Sunday evening in Los Angeles), so the schedule's weeks on either side are placed too.
    """
    last = monday + timedelta(days=6)
    return [
        block
        for offset in (-7, 0, 7)
        for block in data.blocks_for(monday + timedelta(days=offset))
        if monday <= block.start.astimezone(zone).date() <= last
    ]


def _signups_for(data: SheetData, blocks: Sequence[Block]) -> list[Signup]:
    """The signups that can matter to these blocks."""
    if not blocks:
        return []
    return data.signups_between(min(b.start for b in blocks), max(b.end for b in blocks))


def week_view(
    data: SheetData, monday: date, now: datetime, zone: ZoneInfo | None = None
) -> WeekView:
    """Who is on, what is wanted and how well covered, for every staffed hour of a week.

    Days are the viewer's (``zone``, UTC by default): each block is shown on the day it
    starts for them.
    """
    zone = zone or ZoneInfo("UTC")
    blocks = blocks_in_week(data, monday, zone)
    views = build_block_views(blocks, _signups_for(data, blocks), data.settings, now)
    days = [
        DayView(day, [v for v in views if v.block.start.astimezone(zone).date() == day])
        for day in (monday + timedelta(days=n) for n in range(7))
    ]
    return WeekView(monday, days, data.settings, data.problems, data.stale_since, zone)


def open_hours(
    data: SheetData, monday: date, now: datetime, weeks: int = 2, zone: ZoneInfo | None = None
) -> list[Block]:
    """Staffed blocks that have not ended, from the week of ``monday`` on, for the form's list."""
    zone = zone or ZoneInfo("UTC")
    return [
        block
        for n in range(weeks)
        for block in blocks_in_week(data, monday + timedelta(days=7 * n), zone)
        if block.end > now
    ]


def new_signup_id(taken: set[str]) -> str:
    """A short random ID, unique in the sheet, that a coordinator can read out."""
    while True:
        candidate = "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))
        if candidate not in taken:
            return candidate


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.warning(
        "signup write: attempt %d failed (%s); trying again in %.2f s",
        state.attempt_number,
        getattr(error, "message", error),
        state.next_action.sleep if state.next_action else 0,
    )


class SignupNotSaved(StorageError):
    """The sheet stayed busy or out of reach, and the signup is known not to be in it."""


class SignupUncertain(StorageError):
    """A write may have landed but the sheet could not be read to say; resending is safe."""


@dataclass
class SignupOutcome:
    """A signup as it stands in the sheet, and whether this form had been sent before."""

    signup: Signup
    repeated: bool = False


def sign_up(
    reader: SheetReader,
    request: SignupRequest,
    now: datetime,
    data: SheetData | None = None,
    retry: RetryPolicy | None = None,
) -> SignupOutcome:
    """Sign up (``_sign_up``), taking turns with any other copy of the same form.

    Copies of one form (a double click, a resend) share ``request.request_id``: they are
    serialised (``reader.request_locks``), and a copy that finds the key used lately reads
    the sheet again, so it finds the rows the first copy made and replays them instead of
    appending its own.
    """
    with _form_turn(reader, request.request_id) as again:
        return _sign_up(reader, request, now, reader.fresh() if again else data, retry)


@contextlib.contextmanager
def _form_turn(reader: SheetReader, request_id: str) -> Iterator[bool]:
    """Hold this form key's turn; yields True when an earlier copy used the key lately."""
    locks = reader.request_locks
    if locks is None or not request_id:
        yield False
        return
    with locks.hold(request_id) as again:
        yield again


def _note_uncertain(reader: SheetReader, signup: Signup) -> None:
    """A row may be in the sheet, unconfirmed: note it so the next good read settles it."""
    if reader.ledger is not None:
        try:
            reader.ledger.record(signup)
        except OSError as error:
            log.error("could not note signup %s as unconfirmed: %s", signup.id, error)


def _forget_uncertain(reader: SheetReader, signup: Signup) -> None:
    if reader.ledger is not None:
        try:
            reader.ledger.forget(signup.id)
        except OSError as error:
            log.error("could not update the note of signup %s: %s", signup.id, error)


def _sign_up(
    reader: SheetReader,
    request: SignupRequest,
    now: datetime,
    data: SheetData | None = None,
    retry: RetryPolicy | None = None,
) -> SignupOutcome:
    """Check a request, append it exactly once, then confirm it in sheet order.

    The sheet is the point of order between processes and hosts: after appending, the
    sheet is read back, and the new row keeps its place only if it still fits behind every
    row that was there before it. Otherwise it is marked cancelled and PlaceTaken (or the
    rule it broke) is raised. ``request.request_id`` makes a resent form find its first row
    instead of adding another. ``data`` may be a fresh read made moments ago in the same
    request, used only to refuse early and to lay out the row.
    """
    retry = retry or RetryPolicy()
    data = data or reader.fresh()
    earlier = _row_for_request(data, request.request_id)
    if earlier is not None and not _same_request(earlier, request):
        # The key was used for something else (the back button and a changed slot, or a
        # key copied from the sheet): this is a new request, under a key of its own.
        request = replace(request, request_id=secrets.token_urlsafe(18))
    elif earlier is not None and not earlier.cancelled:
        return _replay(reader, data, earlier, now)
    # A key whose rows were all cancelled (a lost race) tries again under the same key.
    start, end = check_signup(
        request, data.blocks_near(request.start), data.signups, data.settings, now
    )
    header = data.signup_header
    if fmt.missing_headers(header, fmt.SIGNUP_HEADERS):
        # A coordinator removed one of our columns (or the tab): put it back before writing.
        reader.storage.ensure_tab(fmt.TAB_SPECS[0])
        header = reader.storage.read_tabs([fmt.SIGNUPS])[fmt.SIGNUPS][0]
    signup = Signup(
        id=new_signup_id({s.id for s in data.signups}),
        name=request.name.strip(),
        contact=request.contact.strip(),
        role=request.role,
        start=start,
        end=end,
        signed_up_at=now,
        notes=request.notes.strip(),
        request_id=request.request_id,
        time_zone=request.time_zone,
    )
    there_before = [_row_key(s) for s in data.signups]
    try:
        after, landed_at = _append_once(reader, fmt.signup_row(header, signup), signup.id, retry)
        return _confirm_in_sheet_order(
            reader, after, signup.id, request, there_before, landed_at, now
        )
    except SignupUncertain:
        # The row may stand confirmed past its role's maximum: no reader counts it then,
        # and the next good read, in any process, withdraws it or tells the volunteer.
        _note_uncertain(reader, signup)
        raise


@dataclass
class WeekOutcome:
    """One week of a weekly repeat: the signup kept, or why that week was not taken."""

    start: datetime
    signup: Signup | None = None
    refusal: str = ""


def weekly_starts(start: datetime, weeks: int, zone: ZoneInfo) -> list[datetime]:
    """The same wall-clock hour in the schedule's zone, week after week, in UTC.

    Live Chat's hours stay put locally across daylight-saving changes, so a weekly
    signup follows them rather than a fixed UTC hour.
    """
    local = start.astimezone(zone)
    return [(local + timedelta(weeks=n)).astimezone(UTC) for n in range(weeks)]


def sign_up_weekly(
    reader: SheetReader,
    request: SignupRequest,
    weeks: int,
    now: datetime,
    data: SheetData | None = None,
    retry: RetryPolicy | None = None,
) -> list[WeekOutcome]:
    """Sign up for the same hours week after week: every week checked first, then each kept.

    Each week is its own row with its own request key (the form's key plus the week), so a
    resent form finds every week it already made. A week that breaks a rule, or loses its
    place in a race, is reported; the others still go ahead. Copies of one form take turns,
    as in ``sign_up``.
    """
    with _form_turn(reader, request.request_id) as again:
        data = reader.fresh() if again else data
        return _sign_up_weekly(reader, request, weeks, now, data, retry)


def _sign_up_weekly(
    reader: SheetReader,
    request: SignupRequest,
    weeks: int,
    now: datetime,
    data: SheetData | None,
    retry: RetryPolicy | None,
) -> list[WeekOutcome]:
    data = data or reader.fresh()
    asks = [
        replace(request, start=start, request_id=_week_key(request.request_id, n))
        for n, start in enumerate(weekly_starts(request.start, weeks, data.settings.time_zone))
    ]
    outcomes = [WeekOutcome(ask.start) for ask in asks]
    for ask, outcome in zip(asks, outcomes, strict=True):
        if _row_for_request(data, ask.request_id) is not None:
            continue  # made by this form before; sign_up below finds it again
        try:
            check_signup(ask, data.blocks_near(ask.start), data.signups, data.settings, now)
        except SignupRefused as refusal:
            outcome.refusal = refusal.message
    for ask, outcome in zip(asks, outcomes, strict=True):
        if outcome.refusal:
            continue
        try:
            outcome.signup = _sign_up(reader, ask, now, data, retry).signup
        except SignupRefused as refusal:
            outcome.refusal = refusal.message
        except StorageError as error:
            # The sheet stopped answering: say so for this week and every one after it.
            for rest in outcomes[outcomes.index(outcome) :]:
                if rest.signup is None and not rest.refusal:
                    rest.refusal = f"Not saved: {error.message}"
            break
    return outcomes


def _week_key(request_id: str, week: int) -> str:
    """The request key of one week of a repeat; the first week keeps the form's own key."""
    return request_id if week == 0 or not request_id else f"{request_id}-w{week}"


def _same_request(row: Signup, request: SignupRequest) -> bool:
    """True when a row is what this request asks for: same contact, role and hours."""
    if row.contact_key != contacts.contact_key(request.contact) or row.role is not request.role:
        return False
    if request.role is Role.ANCHOR:
        return row.start == request.start
    return row.start == request.start and row.end == request.start + request.hours * HOUR


def _row_for_request(data: SheetData, request_id: str) -> Signup | None:
    """The row a form submission made, if it reached the sheet: a confirmed one first."""
    if not request_id:
        return None
    rows = [s for s in data.signups if s.request_id == request_id]
    return next((s for s in rows if s.confirmed), rows[0] if rows else None)


def _row_key(signup: Signup) -> tuple:
    """What tells rows apart: the ID, or a hand-typed row's content."""
    if signup.id:
        return (signup.id,)
    return (signup.name, signup.contact_key, signup.role, signup.start, signup.end)


def _append_once(
    reader: SheetReader, row: list[str], signup_id: str, retry: RetryPolicy
) -> tuple[SheetData, int | None]:
    """Append the row so that it lands exactly once; return a fresh read holding it, and
    the row number the append reported (None when it landed but its reply was lost).

    An append that failed may still have landed (the reply was lost), so before trying
    again the sheet is read to see whether the row is there.
    """

    def landed(data: SheetData) -> bool:
        return any(s.id == signup_id for s in data.signups)

    may_have_landed = False
    landed_at: int | None = None
    try:
        for attempt in retry.retrying():
            with attempt:
                if may_have_landed:
                    data = reader.fresh()
                    if landed(data):
                        return data, landed_at
                try:
                    landed_at = reader.storage.append_rows(fmt.SIGNUPS, [row])
                except StorageError as error:
                    may_have_landed = may_have_landed or error.maybe_applied
                    raise
                # It landed; from here on a failed read must not lead to a second append.
                may_have_landed = True
                return reader.fresh(), landed_at
    except StorageError as error:
        if not error.transient:
            raise
        last_error = error
    # Out of tries: say truthfully whether the signup is in the sheet.
    if may_have_landed:
        try:
            data = reader.fresh()
        except StorageError as error:
            raise SignupUncertain(
                "The sheet did not answer in time, so we cannot tell whether your signup "
                "was saved. Please check the schedule in a minute; sending this form again is "
                "safe, it will not sign you up twice.",
                detail=f"{last_error.detail} / {error.detail}",
                transient=True,
            ) from error
        if landed(data):
            return data, landed_at
    where = "Google Sheets is" if reader.storage.backend_name == "google-sheets" else "The sheet is"
    raise SignupNotSaved(
        f"{where} busy, your signup was not saved — try again.",
        detail=last_error.detail,
        transient=True,
    ) from last_error


def _confirm_in_sheet_order(
    reader: SheetReader,
    data: SheetData,
    signup_id: str,
    request: SignupRequest,
    there_before: list[tuple],
    landed_at: int | None,
    now: datetime,
) -> SignupOutcome:
    """Keep the new row only if it fits behind every row ahead of it; else cancel it.

    Rows that were in the sheet when the request was checked are ahead of it wherever a
    sort has put them since. Rows that arrived meanwhile are ordered by their place in the
    sheet, which is the order Google applied the appends in, unless the tab was sorted or
    rows were moved since: then every one of them counts as ahead (a place may go unfilled,
    but none is filled twice).
    """
    mine = next((s for s in data.signups if s.id == signup_id), None)
    if mine is None:
        # Deleted by a coordinator in the moment since it landed: nothing left to confirm.
        raise SignupNotSaved(
            "Your signup was removed from the sheet as it was saved; please try again."
        )
    reordered = _reordered_since(data, mine, there_before, landed_at)
    if reordered:
        log.info("signup %s: the tab was reordered meanwhile; deciding conservatively", signup_id)
    before = set(there_before)

    def is_ahead(other: Signup) -> bool:
        return _row_key(other) in before or reordered or other.row < mine.row

    def is_twin(other: Signup) -> bool:
        return bool(other.request_id) and other.request_id == mine.request_id and other != mine

    # The same form may reach the sheet twice through two processes (a double click): the
    # row above stands. If the tab was reordered meanwhile, which is above cannot be told,
    # and this row gives way (both may: the volunteer is then told it was not kept).
    twin = next(
        (s for s in data.signups if is_twin(s) and s.confirmed and (reordered or s.row < mine.row)),
        None,
    )
    if twin is not None:
        _cancel_own_row(reader, mine)
        if reordered:
            # The twin may have given way to this row at the same moment: say so if it did.
            again = next((s for s in reader.fresh().signups if s.id == twin.id), None)
            if again is None or not again.confirmed:
                raise SignupNotSaved(
                    "This form arrived twice at the same moment and neither copy could be kept; "
                    "please send it again."
                )
        return SignupOutcome(twin, repeated=True)
    ahead = [s for s in data.signups if s.id != signup_id and not is_twin(s) and is_ahead(s)]
    if reordered:
        # Sheet order no longer says who was first: every row ahead counts, even one that a
        # sort has put below a row over the maximum (ours, maybe) for the moment.
        ahead = [replace(s, over_maximum=False) for s in ahead]
    _keep_if_it_fits(reader, data, mine, request, ahead, now)
    return SignupOutcome(mine)


def _reordered_since(
    data: SheetData, mine: Signup, there_before: list[tuple], landed_at: int | None
) -> bool:
    """True when the tab may have been sorted or rows moved since the request was checked."""
    if landed_at is None or mine.row != landed_at:
        return True
    position = {_row_key(s): s.row for s in data.signups}
    old_rows = [position[key] for key in there_before if key in position]
    if old_rows != sorted(old_rows):
        return True
    # Appends land below every row already there; a newer row above an older one was moved.
    last_old = max(old_rows, default=0)
    before = set(there_before)
    return any(s.row < last_old for s in data.signups if _row_key(s) not in before)


def _keep_if_it_fits(
    reader: SheetReader,
    data: SheetData,
    mine: Signup,
    request: SignupRequest,
    ahead: Sequence[Signup],
    now: datetime,
) -> None:
    """Cancel ``mine`` and say why if it breaks a rule behind the rows ahead of it."""
    block = block_at(data.blocks_near(mine.start), mine.start)
    if block is None:
        return  # the hours were changed meanwhile; a coordinator decides
    try:
        check_room(request, block, mine.start, mine.end, ahead, data.settings)
    except SignupRefused as refusal:
        log.info("signup %s lost the race for its place: %s", mine.id, refusal.message)
        _cancel_own_row(reader, mine)
        others = [s for s in data.signups if s.id != mine.id]
        if isinstance(refusal, SlotFull) and not isinstance(refusal, PlaceTaken):
            raise PlaceTaken(
                f"Someone took the last {request.role.label} place just before you, so this "
                "signup was not kept.",
                suggestion=nearest_open_start(data, request, others, now),
            ) from refusal
        raise


REPLAY_WINDOW = timedelta(minutes=10)


def _replay(reader: SheetReader, data: SheetData, earlier: Signup, now: datetime) -> SignupOutcome:
    """A form sent again: its first row stands, unless it never finished being checked.

    A first try that lost its race but could not withdraw its row (the sheet stopped
    answering) left it confirmed; checked here again in sheet order, it is withdrawn now.
    """
    recent = earlier.signed_up_at is not None and now - earlier.signed_up_at <= REPLAY_WINDOW
    if not earlier.cancelled and recent:
        # Only a row from moments ago can be one a lost race left behind; an older row stands
        # even if the limits were lowered since (that is for a coordinator to settle).
        ahead = [s for s in data.signups if s.row < earlier.row and s.id != earlier.id]
        as_asked = SignupRequest(
            earlier.name,
            earlier.contact,
            earlier.role,
            earlier.start,
            max(1, round(earlier.hours)),
            request_id=earlier.request_id,
        )
        try:
            _keep_if_it_fits(reader, data, earlier, as_asked, ahead, now)
        except SignupUncertain:
            _note_uncertain(reader, earlier)
            raise
        except SignupRefused:
            _forget_uncertain(reader, earlier)  # withdrawn, and the volunteer is told now
            raise
    elif earlier.over_maximum:
        # An old row that holds no place (a maximum was lowered since): not a signup to promise.
        raise SlotFull(
            f"{earlier.role.plural} are full at that hour, so this signup does not count; "
            "please pick another hour."
        )
    _forget_uncertain(reader, earlier)  # the volunteer is told now: no later notice
    return SignupOutcome(earlier, repeated=True)


def _cancel_own_row(reader: SheetReader, mine: Signup, settle_seconds: float = 1.0) -> None:
    """Withdraw a row this request added; if that fails, the volunteer must send again."""
    try:
        withdraw_rows(reader, [mine], settle_seconds)
    except StorageError as error:
        raise SignupUncertain(
            "Someone else was signing up for the same place at the same moment, and the sheet "
            "stopped answering before your signup could be settled. Please send the form "
            "again: it is safe, it will not sign you up twice.",
            detail=error.detail,
            transient=True,
        ) from error


def withdraw_rows(reader: SheetReader, rows: Sequence[Signup], settle_seconds: float = 1.0) -> None:
    """Mark rows the site made cancelled, touching only their Status cells.

    Where row updates are not atomic (Google Sheets), another process whose update went
    astray during a coordinator's sort may put a cell back as it saw it a moment ago.
    So after a pause the rows are checked once more, and withdrawn again if need be.
    Raises StorageError if the sheet stops answering.
    """
    for row in rows:
        reader.storage.update_row(fmt.SIGNUPS, row.id, {fmt.STATUS: fmt.CANCELLED})
    if getattr(reader.storage, "atomic_row_updates", False) or settle_seconds <= 0 or not rows:
        return
    time.sleep(settle_seconds)
    ids = {row.id for row in rows}
    for again in reader.fresh().signups:
        if again.id in ids and not again.cancelled:
            log.warning("signup %s: withdrawal undone meanwhile; withdrawing again", again.id)
            reader.storage.update_row(fmt.SIGNUPS, again.id, {fmt.STATUS: fmt.CANCELLED})


def nearest_open_start(
    data: SheetData, request: SignupRequest, signups: Sequence[Signup], now: datetime
) -> datetime | None:
    """The start nearest to the one asked for where the same signup would be accepted."""
    candidates = set()
    for block in data.blocks_near(request.start):
        starts = [block.start] if request.role is Role.ANCHOR else list(block.hours)
        candidates.update(h for h in starts if h != request.start and h >= now)
    for start in sorted(candidates, key=lambda h: (abs(h - request.start), h)):
        try:
            check_signup(
                replace(request, start=start),
                data.blocks_near(start),
                signups,
                data.settings,
                now,
            )
        except SignupRefused:
            continue
        return start
    return None


def find_signup(storage: Storage, signup_id: str) -> Signup | None:
    """The signup with this ID, as the sheet holds it now."""
    if not signup_id:
        return None
    return next((s for s in read_sheet(storage).signups if s.id == signup_id), None)


def cancel_signup(storage: Storage, signup_id: str) -> bool:
    """Mark a signup cancelled, touching only its Status cell; False if no row has that ID."""
    return storage.update_row(fmt.SIGNUPS, signup_id, {fmt.STATUS: fmt.CANCELLED})


class TooLateToCancel(Exception):
    """The shift starts within the cut-off: only a coordinator can change it now."""


def signups_of(data: SheetData, contact_key: str) -> list[Signup]:
    """Every signup (confirmed or not) made with this contact, in time order.

    ``contact_key`` is a contact or its key (a manage link's); a blank one has no signups.
    """
    key = contacts.contact_key(contact_key)
    if not key:
        return []
    return sorted((s for s in data.signups if s.contact_key == key), key=lambda s: (s.start, s.row))


def hours_by_week(
    signups: Sequence[Signup], zone: ZoneInfo
) -> list[tuple[date, dict[Role, float]]]:
    """Hours per role for each week (Mondays in ``zone``), e.g. Anchor 2 h, Advisor 5 h."""
    weeks: dict[date, dict[Role, float]] = {}
    for signup in signups:
        if signup.confirmed:
            monday = week_start(signup.start.astimezone(zone).date())
            per_role = weeks.setdefault(monday, {})
            per_role[signup.role] = per_role.get(signup.role, 0) + signup.hours
    return sorted(weeks.items())


def can_cancel(signup: Signup, now: datetime, cutoff: timedelta) -> bool:
    """True while a volunteer may still cancel a signup themselves: until ``cutoff``
    before it starts (a row without an ID cannot be named, so it cannot be cancelled)."""
    return bool(signup.id) and signup.start - cutoff > now


def cancel_own_signup(
    reader: SheetReader,
    owns: Callable[[Signup], bool],
    signup_id: str,
    now: datetime,
    cutoff: timedelta,
) -> Signup | None:
    """A volunteer cancels one of their own signups, until ``cutoff`` before it starts.

    ``owns`` says which signups the volunteer's link reaches. Returns the signup as it was,
    or None if the link reaches no confirmed signup with that ID.
    """
    signup = next((s for s in reader.fresh().signups if s.id == signup_id and owns(s)), None)
    if signup is None or not signup.confirmed:
        return None
    if not can_cancel(signup, now, cutoff):
        raise TooLateToCancel(
            f"This shift starts at {signup.start:%H:%M} UTC; cancelling here closes "
            f"{_hours_text(cutoff)} before the start. Please tell a coordinator instead."
        )
    cancelled = cancel_signup(reader.storage, signup.id)
    reader.invalidate()
    if not cancelled:
        return None
    log.info("signup %s cancelled by its volunteer", signup.id)
    return signup


def _hours_text(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:g} hour{'s' if hours != 1 else ''}"


def check_sheet(storage: Storage) -> list[Problem]:
    """Every row the site skips, and every setting it ignores, with the reason."""
    return read_sheet(storage).problems


def init_sheet(storage: Storage) -> list[TabRepair]:
    """Create missing tabs and headers without touching existing rows."""
    return [storage.ensure_tab(spec) for spec in fmt.TAB_SPECS]


DEMO_NAMES = (
    "Amara Okafor",
    "Bruno Costa",
    "Chen Wei",
    "Dana Kowalski",
    "Elif Yılmaz",
    "Farid Haddad",
    "Greta Lindqvist",
    "Hiroshi Tanaka",
    "Isabel Ruiz",
    "Jonas Becker",
    "Kavya Iyer",
    "Liam O'Connor",
    "Mariana Silva",
    "Nadia Petrova",
    "Oluwaseun Adeyemi",
    "Priya Nair",
)


def fill_demo(
    storage: Storage,
    monday: date,
    now: datetime,
    rng: random.Random | None = None,
) -> list[Signup]:
    """Sign up demo volunteers across a week, through the real rules, so the page looks lived in."""
    rng = rng or random.Random()
    reader = SheetReader(storage)
    blocks = reader.fresh().blocks_for(monday)
    # Sign up as if the week had not begun, so today's earlier hours get people too.
    as_of = min([now, *(block.start for block in blocks)])
    made: list[Signup] = []
    for block in blocks:
        people = rng.sample(DEMO_NAMES, k=min(len(DEMO_NAMES), 6))
        plan: list[tuple[Role, datetime, int]] = []
        if rng.random() < 0.7:
            plan.append((Role.ANCHOR, block.start, 1))
        for hour in block.hours:
            for role in HOURLY_ROLES:
                for _ in range(rng.choice(_DEMO_PEOPLE_PER_HOUR[role])):
                    plan.append((role, hour, rng.choice((1, 1, 2))))
        for role, start, hours in plan:
            name = rng.choice(people)
            contact = f"{name.split()[0].lower()}@example.org"
            request = SignupRequest(name, contact, role, start, hours)
            try:
                made.append(sign_up(reader, request, as_of).signup)
            except SignupRefused:
                continue  # the rules said no (person busy, role full): that is realistic
    return made


_DEMO_PEOPLE_PER_HOUR: dict[Role, Sequence[int]] = {
    Role.HELPER: (0, 1, 1, 2, 2, 3),
    Role.ADVISOR: (0, 0, 1),
    Role.MONITOR: (0, 0, 0, 1),
}


# -- for coordinators: where help is needed, findings, hours -----------------------------


@dataclass
class HelpNeeded:
    """The next weeks' hours that lack people, most urgent first, and blocks with no Anchor."""

    uncovered: list[HourView]
    thin: list[HourView]
    anchorless: list[BlockView]


def help_needed(data: SheetData, now: datetime, days: int = 14) -> HelpNeeded:
    """Hours from now over ``days`` with nobody answering users, then thin ones, then
    blocks still wanting an Anchor; each in time order."""
    until = now + timedelta(days=days)
    monday = week_start(now.astimezone(data.settings.time_zone).date())
    blocks = [
        block
        for weeks in range(days // 7 + 2)
        for block in data.blocks_for(monday + timedelta(weeks=weeks))
        if block.end > now and block.start < until
    ]
    views = build_block_views(blocks, _signups_for(data, blocks), data.settings, now)
    hours = [h for v in views for h in v.hours if now <= h.start < until]
    return HelpNeeded(
        uncovered=[h for h in hours if h.coverage is Coverage.UNCOVERED],
        thin=[h for h in hours if h.coverage is Coverage.THIN],
        anchorless=[v for v in views if v.wants_anchor and v.block.start >= now],
    )


# The times a finding may be logged for: the last 60 days, up to an hour ahead (clocks).
FINDING_DAYS_BACK = 60
FINDING_LEEWAY = timedelta(hours=1)
FINDING_TIME_RULE = "Give a time from the last 60 days, not the future."


def finding_time_allowed(at: datetime, now: datetime) -> bool:
    """True when a finding may be logged for ``at`` (see FINDING_TIME_RULE)."""
    return now - timedelta(days=FINDING_DAYS_BACK) <= at <= now + FINDING_LEEWAY


def recent_findings(storage: Storage, now: datetime, days: int = 30) -> list[fmt.Finding]:
    """Findings logged over the last ``days``, newest first."""
    findings, _ = fmt.parse_findings(storage.read_tabs([fmt.FINDINGS])[fmt.FINDINGS])
    since = now - timedelta(days=days)
    return sorted((f for f in findings if f.at >= since), key=lambda f: f.at, reverse=True)


def log_finding(storage: Storage, finding: fmt.Finding) -> fmt.Finding:
    """Append a finding to the Findings tab (made if missing); a resent form adds nothing."""
    grid = storage.read_tabs([fmt.FINDINGS])[fmt.FINDINGS]
    header = list(grid[0]) if grid else []
    if fmt.missing_headers(header, fmt.FINDING_HEADERS):
        storage.ensure_tab(fmt.TAB_SPECS[-1])
        grid = storage.read_tabs([fmt.FINDINGS])[fmt.FINDINGS]
        header = list(grid[0])
    existing, _ = fmt.parse_findings(grid)
    if finding.request_id:
        earlier = next((f for f in existing if f.request_id == finding.request_id), None)
        if earlier is not None and (earlier.contact, earlier.seen) == (
            finding.contact,
            finding.seen,
        ):
            return earlier
        if earlier is not None:  # the same key for a different finding: a new one
            finding = replace(finding, request_id=secrets.token_urlsafe(18))
    made = replace(finding, id=new_signup_id({f.id for f in existing}))
    storage.append_rows(fmt.FINDINGS, [fmt.finding_row(header, made)])
    log.info("finding %s logged", made.id)
    return made


@dataclass
class VolunteerHours:
    """One volunteer's confirmed hours in a period, by role (names only: no contacts)."""

    name: str
    by_role: dict[Role, float]

    @property
    def total(self) -> float:
        """All their hours."""
        return sum(self.by_role.values())


def volunteer_hours(data: SheetData, start: datetime, end: datetime) -> list[VolunteerHours]:
    """Hours per volunteer per role for signups that start in [start, end), most first.

    A volunteer is their contact (so two people named Sam stay two); the name shown is the
    one on their latest signup.
    """
    people: dict[tuple[str, str], VolunteerHours] = {}
    for signup in sorted(data.signups, key=lambda s: s.start):
        if not signup.confirmed or not start <= signup.start < end:
            continue
        # Kept apart from every contact's key: a blank contact falls back on the name.
        key = (
            ("contact", signup.contact_key)
            if signup.contact_key
            else ("name", signup.name.casefold())
        )
        person = people.setdefault(key, VolunteerHours(signup.name, {}))
        person.name = signup.name
        person.by_role[signup.role] = person.by_role.get(signup.role, 0) + signup.hours
    return sorted(people.values(), key=lambda p: (-p.total, p.name.casefold()))
