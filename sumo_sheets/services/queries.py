"""Questions asked of a read of the sheet: a week's view, the form's open hours, where help
is needed, a volunteer's signups and everyone's hours, and the nearest start that would fit.

All work on ``SheetData`` already read: none reads or writes the sheet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .. import contacts
from ..model import (
    HOURLY_ROLES,
    Block,
    BlockView,
    Coverage,
    HourView,
    Role,
    Settings,
    Signup,
    SignupRefused,
    SignupRequest,
    build_block_views,
    check_signup,
    week_start,
)
from ..sheet_format import Problem
from .reading import SheetData


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

    @property
    def has_open_place(self) -> bool:
        """True while some hour of the week could still take a signup."""
        return any(
            block.wants_anchor or any(h.has_room(r) for h in block.hours for r in HOURLY_ROLES)
            for day in self.days
            for block in day.blocks
        )


def still_wanted(hour: HourView, role: Role) -> int:
    """How many more people the hour wants in a role (0 when past or full)."""
    if not hour.has_room(role):
        return 0
    return max(0, hour.wanted.get(role, 0) - len(hour.people[role]))


def only_open(view: WeekView) -> WeekView:
    """The week cut to its open places: hours still wanting someone, blocks wanting an Anchor."""
    days = []
    for day in view.days:
        blocks = []
        for block in day.blocks:
            hours = [h for h in block.hours if any(still_wanted(h, r) for r in HOURLY_ROLES)]
            if hours or block.wants_anchor:
                blocks.append(replace(block, hours=hours))
        days.append(DayView(day.day, blocks))
    return replace(view, days=days)


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


def blocks_starting(data: SheetData, start: datetime, end: datetime) -> list[Block]:
    """The staffed blocks that start in [start, end), in time order."""
    monday = week_start(start.astimezone(data.settings.time_zone).date())
    weeks = (end - start).days // 7 + 2
    found = [
        block
        for week in range(weeks)
        for block in data.blocks_for(monday + timedelta(weeks=week))
        if start <= block.start < end
    ]
    return sorted(found, key=lambda block: block.start)


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


# -- for coordinators: where help is needed, and hours ----------------------------------


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


@dataclass
class VolunteerHours:
    """One volunteer's confirmed hours in a period, by role (names only: no contacts)."""

    name: str
    by_role: dict[Role, float]

    @property
    def total(self) -> float:
        """All their hours."""
        return sum(self.by_role.values())


def volunteer_hours(
    data: SheetData, start: datetime, end: datetime, keep=None
) -> list[VolunteerHours]:
    """Hours per volunteer per role for signups that start in [start, end), most first.

    A volunteer is their contact (so two people named Sam stay two); the name shown is the
    one on their latest signup. ``keep``, when given, picks the signups to count.
    """
    people: dict[tuple[str, str], VolunteerHours] = {}
    for signup in sorted(data.signups, key=lambda s: s.start):
        if not signup.confirmed or not start <= signup.start < end:
            continue
        if keep is not None and not keep(signup):
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


def hours_done_and_planned(
    data: SheetData, start: datetime, end: datetime, now: datetime
) -> tuple[list[VolunteerHours], list[VolunteerHours]]:
    """The period's hours split in two: shifts that have ended, and those still to come
    (a shift under way counts as planned until it ends)."""
    done = volunteer_hours(data, start, end, keep=lambda s: s.end <= now)
    planned = volunteer_hours(data, start, end, keep=lambda s: s.end > now)
    return done, planned
