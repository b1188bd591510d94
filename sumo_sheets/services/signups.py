"""The signup protocol: check a request, append its row exactly once, confirm it in sheet
order; weekly repeats; copies of one form (a double click, a resend) taking turns.

Appending is ``appending``'s, confirming and replaying ``confirming``'s.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from .. import contacts
from .. import sheet_format as fmt
from ..model import HOUR, Role, Signup, SignupRefused, SignupRequest, check_signup
from ..retry import RetryPolicy
from ..storage import StorageError
from .appending import SignupUncertain, append_once
from .confirming import (
    SignupOutcome,
    confirm_in_sheet_order,
    note_uncertain,
    replay,
    row_key,
)
from .ids import new_request_key, new_signup_id
from .reader import SheetReader
from .reading import SheetData


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


def _sign_up(
    reader: SheetReader,
    request: SignupRequest,
    now: datetime,
    data: SheetData | None = None,
    retry: RetryPolicy | None = None,
) -> SignupOutcome:
    """Check a request, append it exactly once, then confirm it in sheet order.

    The new row keeps its place only if it still fits behind every row that was there
    before it (``confirm_in_sheet_order``); otherwise it is marked cancelled and PlaceTaken
    (or the rule it broke) is raised. ``request.request_id`` makes a resent form find its
    first row instead of adding another. ``data`` may be a fresh read made moments ago in
    the same request, used only to refuse early and to lay out the row.
    """
    retry = retry or RetryPolicy()
    data = data or reader.fresh()
    earlier = _row_for_request(data, request.request_id)
    if earlier is not None and not _same_request(earlier, request):
        # The key was used for something else (the back button and a changed slot, or a
        # key copied from the sheet): this is a new request, under a key of its own.
        request = replace(request, request_id=new_request_key())
    elif earlier is not None and not earlier.cancelled:
        return replay(reader, data, earlier, now)
    # A key whose rows were all cancelled (a lost race) tries again under the same key.
    start, end = check_signup(
        request, data.blocks_near(request.start), data.signups, data.settings, now
    )
    signup = _new_signup(data, request, start, end, now)
    there_before = [row_key(s) for s in data.signups]
    row = fmt.signup_row(_signup_header(reader, data), signup)
    try:
        after, landed_at = append_once(reader, row, signup, retry)
        return confirm_in_sheet_order(
            reader, after, signup.id, request, there_before, landed_at, now
        )
    except SignupUncertain:
        # The row may stand confirmed past its role's maximum: no reader counts it then,
        # and the next good read, in any process, withdraws it or tells the volunteer.
        note_uncertain(reader, signup)
        raise


def _signup_header(reader: SheetReader, data: SheetData) -> list[str]:
    """The Signups tab's header row; refused (StorageError) when the tab or a column a signup
    cannot be kept without is gone (``SheetData.require_signups_tab``)."""
    # Only `sheet init` makes tabs and headers: with no Signups tab the signup is refused.
    data.require_signups_tab()
    return data.signup_header


def _new_signup(
    data: SheetData, request: SignupRequest, start: datetime, end: datetime, now: datetime
) -> Signup:
    """The row a checked request becomes, under an ID no row has."""
    return Signup(
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
