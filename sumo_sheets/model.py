"""The Live Chat domain: roles, schedule blocks, hourly slots, signup rules and coverage.

Pure Python with no I/O: every function takes what it needs and returns values, so the
rules are the same whichever spreadsheet the data came from.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from . import contacts

HOUR = timedelta(hours=1)


class Role(enum.Enum):
    """What a volunteer does during a slot; the value is the form and URL spelling."""

    HELPER = "helper"
    ANCHOR = "anchor"
    ADVISOR = "advisor"
    MONITOR = "monitor"

    @property
    def label(self) -> str:
        """The name coordinators and volunteers read."""
        return _ROLE_LABELS[self]

    @property
    def plural(self) -> str:
        """The plural label, as used in the Schedule tab's headers."""
        return _ROLE_LABELS[self] + "s"

    @property
    def answers_users(self) -> bool:
        """Helpers and Anchors take user questions; Advisors and Room monitors do not."""
        return self in (Role.HELPER, Role.ANCHOR)


_ROLE_LABELS = {
    Role.HELPER: "Helper",
    Role.ANCHOR: "Anchor",
    Role.ADVISOR: "Advisor",
    Role.MONITOR: "Room monitor",
}

# Roles a volunteer picks by the hour; an Anchor always takes a whole block.
HOURLY_ROLES = (Role.HELPER, Role.ADVISOR, Role.MONITOR)


class Coverage(enum.Enum):
    """How well an hour is staffed, shown with an icon and a word as well as a colour."""

    UNCOVERED = ("uncovered", "✗", "Uncovered: nobody is answering users")
    THIN = ("thin", "!", "Thin: users are answered but helpers lack back-up")
    COVERED = ("covered", "✓", "Covered")

    def __init__(self, slug: str, icon: str, description: str) -> None:
        self.slug = slug
        self.icon = icon
        self.description = description

    @property
    def label(self) -> str:
        """One word for the state."""
        return self.slug.capitalize()


@dataclass(frozen=True)
class ScheduleEntry:
    """One row of the Schedule tab: a weekly block in the schedule's own time zone."""

    weekday: int  # Monday is 0, as in datetime.weekday()
    start: time
    end: time  # an end at or before the start runs past midnight
    wanted: dict[Role, int]

    @property
    def length(self) -> timedelta:
        """How long the block lasts."""
        start = datetime.combine(date(2000, 1, 3), self.start)
        end = datetime.combine(date(2000, 1, 3), self.end)
        if end <= start:
            end += timedelta(days=1)
        return end - start


@dataclass(frozen=True)
class Block:
    """A staffed block on a real date: one Anchor wanted, hourly slots for the other roles."""

    local_day: date
    start: datetime  # UTC
    end: datetime  # UTC
    wanted: dict[Role, int]

    @property
    def hours(self) -> list[datetime]:
        """The UTC start of each one-hour slot in the block."""
        slots, at = [], self.start
        while at + HOUR <= self.end:
            slots.append(at)
            at += HOUR
        return slots

    def contains(self, start: datetime, end: datetime) -> bool:
        """True when [start, end) lies inside the block."""
        return self.start <= start and end <= self.end


@dataclass(frozen=True)
class Signup:
    """A volunteer in a role for [start, end); ``row`` is where the sheet holds it."""

    name: str
    contact: str
    role: Role
    start: datetime  # UTC
    end: datetime  # UTC
    cancelled: bool = False
    id: str = ""
    signed_up_at: datetime | None = None
    notes: str = ""
    row: int = 0
    request_id: str = ""
    # The volunteer's own IANA zone when they signed up, for their emails; blank if unknown.
    time_zone: str = ""
    # Confirmed in the sheet, but past its role's maximum behind the rows above it: it holds
    # no place and counts nowhere (see holding_places).
    over_maximum: bool = False

    @property
    def confirmed(self) -> bool:
        """Counts on the schedule: not cancelled, and holding a place."""
        return not self.cancelled and not self.over_maximum

    @property
    def contact_key(self) -> str:
        """The contact as compared between signups, by the rule in contacts.py."""
        return contacts.contact_key(self.contact)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """True when this signup shares any time with [start, end)."""
        return self.start < end and start < self.end

    @property
    def hours(self) -> float:
        """Length in hours."""
        return (self.end - self.start) / HOUR


@dataclass(frozen=True)
class Settings:
    """Coordinator settings from the Settings tab, with defaults for what is missing."""

    time_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    maximum: dict[Role, int | None] = field(
        default_factory=lambda: {Role.HELPER: None, Role.ADVISOR: None, Role.MONITOR: 2}
    )
    weeks_open: int = 8


@dataclass(frozen=True)
class SignupRequest:
    """What a volunteer asks for; ``hours`` is ignored for Anchors, who take the whole block."""

    name: str
    contact: str
    role: Role
    start: datetime
    hours: int = 1
    notes: str = ""
    # The form submission's idempotency key: a resent form finds the row it already made.
    request_id: str = ""
    # The zone the volunteer saw the form in (IANA name), kept for their emails.
    time_zone: str = ""


class SignupRefused(Exception):
    """A signup breaks a rule; ``field`` names the form field the message belongs next to."""

    field = "start"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OutsideSchedule(SignupRefused):
    """The hours asked for are not (all) inside a staffed block."""


class SlotFull(SignupRefused):
    """The role has no place left in one of the hours."""

    field = "role"


# The refusal when the contact already has a signup in the hours asked for, either class.
ALREADY_ON = (
    "This contact already has a signup that overlaps these hours; "
    "one person takes one place an hour."
)


class AlreadySignedUp(SignupRefused):
    """The same contact already holds this role in one of the hours."""


class RoleClash(SignupRefused):
    """The same contact already holds another role in one of the hours."""

    field = "role"


class NotOpenYet(SignupRefused):
    """The hour is too far ahead, or has already started."""


class PlaceTaken(SlotFull):
    """Someone else's signup for the last place reached the sheet just before this one."""

    def __init__(self, message: str, suggestion: datetime | None = None) -> None:
        super().__init__(message)
        # The nearest hour where the same signup would fit now, to offer instead.
        self.suggestion = suggestion


def week_start(day: date) -> date:
    """The Monday of the ISO week that holds ``day``."""
    return day - timedelta(days=day.weekday())


def blocks_for_week(entries: Iterable[ScheduleEntry], monday: date, tz: ZoneInfo) -> list[Block]:
    """Place the weekly schedule on the dates of one week, converting local hours to UTC."""
    blocks = []
    for entry in entries:
        day = monday + timedelta(days=entry.weekday)
        local_start = datetime.combine(day, entry.start, tzinfo=tz)
        start = local_start.astimezone(UTC)
        # Add the block's wall-clock length in local time, so a block keeps its local hours
        # on the day the clocks change (it is then an hour longer or shorter in UTC).
        local_end = datetime.combine(day, entry.start) + entry.length
        end = local_end.replace(tzinfo=tz).astimezone(UTC)
        if end > start:
            blocks.append(Block(day, start, end, dict(entry.wanted)))
    return sorted(blocks, key=lambda b: b.start)


def block_at(blocks: Sequence[Block], start: datetime) -> Block | None:
    """The block in which ``start`` begins an hourly slot, if any."""
    for block in blocks:
        if start in block.hours:
            return block
    return None


def check_signup(
    request: SignupRequest,
    blocks: Sequence[Block],
    signups: Iterable[Signup],
    settings: Settings,
    now: datetime,
) -> tuple[datetime, datetime]:
    """Apply every rule to a request; return its UTC [start, end) or raise SignupRefused."""
    block = block_at(blocks, request.start)
    if block is None:
        raise OutsideSchedule("Live Chat is not staffed at that hour; pick an hour from the list.")
    if request.role is Role.ANCHOR:
        if request.start != block.start:
            raise OutsideSchedule(
                f"An Anchor takes the whole block, which starts at {block.start:%H:%M} UTC."
            )
        start, end = block.start, block.end
    else:
        start, end = request.start, request.start + request.hours * HOUR
        if end > block.end:
            most = int((block.end - start) / HOUR)
            raise _too_long(block, most)
    if start < now:
        raise NotOpenYet("That hour has already started; pick a later one.")
    if start >= now + timedelta(weeks=settings.weeks_open):
        raise NotOpenYet(f"Signups open {settings.weeks_open} weeks ahead; pick an earlier hour.")

    check_room(request, block, start, end, signups, settings)
    return start, end


def check_room(
    request: SignupRequest,
    block: Block,
    start: datetime,
    end: datetime,
    signups: Iterable[Signup],
    settings: Settings,
) -> None:
    """The rules that depend on other signups: the person is free and the role has room."""
    confirmed = [s for s in signups if s.confirmed]
    _check_person_is_free(request, start, end, confirmed)
    _check_role_has_room(request.role, block, start, end, confirmed, settings)


def _too_long(block: Block, most: int) -> OutsideSchedule:
    error = OutsideSchedule(
        f"This block ends at {block.end:%H:%M} UTC: from that start you can take at most "
        f"{most} hour{'s' if most != 1 else ''}."
    )
    error.field = "hours"
    return error


def _check_person_is_free(
    request: SignupRequest, start: datetime, end: datetime, confirmed: Iterable[Signup]
) -> None:
    # Anyone can type any contact into the form, so the refusal says only that this
    # contact has an overlapping signup: never its role or hours, which would tell a
    # stranger when that volunteer is on shift.
    key = contacts.contact_key(request.contact)
    for signup in confirmed:
        if signup.contact_key != key or not signup.overlaps(start, end):
            continue
        if signup.role is request.role:
            raise AlreadySignedUp(ALREADY_ON)
        raise RoleClash(ALREADY_ON)


def _check_role_has_room(
    role: Role,
    block: Block,
    start: datetime,
    end: datetime,
    confirmed: Sequence[Signup],
    settings: Settings,
) -> None:
    if role is Role.ANCHOR:
        if any(s.role is Role.ANCHOR and s.overlaps(block.start, block.end) for s in confirmed):
            raise SlotFull("This block already has its Anchor; sign up as a Helper instead?")
        return
    maximum = settings.maximum.get(role)
    if maximum is None:
        return
    at = start
    while at < end:
        taken = sum(1 for s in confirmed if s.role is role and s.overlaps(at, at + HOUR))
        if taken >= maximum:
            raise SlotFull(f"{role.plural} are full at {at:%H:%M} UTC (at most {maximum} an hour).")
        at += HOUR


@dataclass(frozen=True)
class OverMaximum:
    """A confirmed row that does not fit behind the rows above it, and why."""

    signup: Signup
    reason: str


def holding_places(
    signups: Iterable[Signup], schedule: Sequence[ScheduleEntry], settings: Settings
) -> tuple[list[Signup], list[OverMaximum]]:
    """Which confirmed rows hold places: the first ones in sheet order, up to each maximum.

    Rows are taken in sheet order (``Signup.row``); a row holds its place only if, in every
    hour it covers, its role is still under the Settings maximum counting the rows already
    taken (an Anchor: no Anchor taken yet in any block it overlaps). The rest are over the
    maximum, whoever wrote them and whenever: to have more people, raise the maximum.
    Cancelled rows are in neither list.
    """
    holding: list[Signup] = []
    over: list[OverMaximum] = []
    taken: dict[tuple[Role, datetime], int] = {}
    anchored: set[datetime] = set()  # starts of blocks whose Anchor is taken
    weeks: dict[date, list[Block]] = {}

    def blocks_around(moment: datetime) -> list[Block]:
        monday = week_start(moment.astimezone(settings.time_zone).date())
        found = []
        for offset in (-7, 0, 7):
            day = monday + timedelta(days=offset)
            if day not in weeks:
                weeks[day] = blocks_for_week(schedule, day, settings.time_zone)
            found.extend(weeks[day])
        return found

    for signup in sorted((s for s in signups if not s.cancelled), key=lambda s: s.row):
        if signup.role is Role.ANCHOR:
            around = blocks_around(signup.start)
            blocks = {b.start for b in around if signup.overlaps(b.start, b.end)}
            if blocks & anchored:
                reason = "this block already has its Anchor in a row above"
                over.append(OverMaximum(signup, reason))
                continue
            anchored |= blocks
            holding.append(signup)
            continue
        maximum = settings.maximum.get(signup.role)
        hours = _hours_touched(signup)
        if maximum is not None:
            full = next((h for h in hours if taken.get((signup.role, h), 0) >= maximum), None)
            if full is not None:
                reason = (
                    f"{signup.role.plural} are full at {full:%H:%M} UTC (at most {maximum} an hour)"
                )
                over.append(OverMaximum(signup, reason))
                continue
        for hour in hours:
            taken[(signup.role, hour)] = taken.get((signup.role, hour), 0) + 1
        holding.append(signup)
    return holding, over


def _hours_touched(signup: Signup) -> list[datetime]:
    """The clock hours a signup shares time with (a hand-typed 14:30 start touches 14:00)."""
    at = signup.start.replace(minute=0, second=0, microsecond=0)
    hours = []
    while at < signup.end and len(hours) < 24 * 7:
        hours.append(at)
        at += HOUR
    return hours


def coverage(people: dict[Role, Sequence[Signup]], block_has_anchor: bool) -> Coverage:
    """Uncovered with nobody answering users; thin without an Advisor or Anchor; else covered."""
    answering = people.get(Role.HELPER) or people.get(Role.ANCHOR)
    if not answering:
        return Coverage.UNCOVERED
    if not people.get(Role.ADVISOR) or not block_has_anchor:
        return Coverage.THIN
    return Coverage.COVERED


@dataclass
class HourView:
    """One staffed hour of a week: who is on in each role, what is wanted, and coverage."""

    start: datetime
    end: datetime
    people: dict[Role, list[Signup]]
    wanted: dict[Role, int]
    maximum: dict[Role, int | None]
    coverage: Coverage
    is_past: bool

    def has_room(self, role: Role) -> bool:
        """True when a new signup in this role could still fit this hour."""
        limit = 1 if role is Role.ANCHOR else self.maximum.get(role)
        return not self.is_past and (limit is None or len(self.people[role]) < limit)


@dataclass
class BlockView:
    """A block with its Anchor and its hours."""

    block: Block
    anchors: list[Signup]
    hours: list[HourView]
    is_past: bool

    @property
    def wants_anchor(self) -> bool:
        """True when the block has no Anchor yet and has not started."""
        return not self.anchors and not self.is_past


def build_block_views(
    blocks: Sequence[Block], signups: Iterable[Signup], settings: Settings, now: datetime
) -> list[BlockView]:
    """Lay the confirmed signups over the blocks, hour by hour."""
    confirmed = [s for s in signups if s.confirmed]
    views = []
    for block in blocks:
        in_block = [s for s in confirmed if s.overlaps(block.start, block.end)]
        anchors = [s for s in in_block if s.role is Role.ANCHOR]
        hours = []
        for at in block.hours:
            people = {
                role: sorted(
                    (s for s in in_block if s.role is role and s.overlaps(at, at + HOUR)),
                    key=lambda s: (s.start, s.name.casefold()),
                )
                for role in Role
            }
            hours.append(
                HourView(
                    start=at,
                    end=at + HOUR,
                    people=people,
                    wanted={**block.wanted, Role.ANCHOR: 1},
                    maximum={**settings.maximum, Role.ANCHOR: 1},
                    coverage=coverage(people, bool(anchors)),
                    is_past=at < now,
                )
            )
        views.append(BlockView(block, anchors, hours, is_past=block.start < now))
    return views
