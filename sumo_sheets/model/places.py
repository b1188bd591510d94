"""Which confirmed rows hold places: the first ones in sheet order, up to each maximum."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .records import Signup
from .refusals import format_utc
from .roles import ANCHORS_PER_BLOCK, HOUR, Role
from .schedule import Block, ScheduleEntry, Settings, blocks_for_week, week_start


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
    places = _Places(schedule, settings)
    holding: list[Signup] = []
    over: list[OverMaximum] = []
    for signup in sorted((s for s in signups if not s.cancelled), key=lambda s: s.row):
        reason = places.take(signup)
        if reason is None:
            holding.append(signup)
        else:
            over.append(OverMaximum(signup, reason))
    return holding, over


class _Places:
    """The places taken so far by the rows read in sheet order."""

    def __init__(self, schedule: Sequence[ScheduleEntry], settings: Settings) -> None:
        self.schedule = schedule
        self.settings = settings
        self.taken: dict[tuple[Role, datetime], int] = {}  # (role, hour) -> places taken
        self.anchors: dict[datetime, int] = {}  # block start -> Anchors taken
        self.weeks: dict[date, list[Block]] = {}

    def take(self, signup: Signup) -> str | None:
        """Take the row's places; if it does not fit, take nothing and say why."""
        if signup.role is Role.ANCHOR:
            return self._take_anchor(signup)
        return self._take_hours(signup)

    def _take_anchor(self, signup: Signup) -> str | None:
        around = self._blocks_around(signup.start)
        blocks = {b.start for b in around if signup.overlaps(b.start, b.end)}
        if any(self.anchors.get(start, 0) >= ANCHORS_PER_BLOCK for start in blocks):
            return "this block already has its Anchor in a row above"
        for start in blocks:
            self.anchors[start] = self.anchors.get(start, 0) + 1
        return None

    def _take_hours(self, signup: Signup) -> str | None:
        role = signup.role
        maximum = self.settings.maximum.get(role)
        hours = _hours_touched(signup)
        if maximum is not None:
            full = next((h for h in hours if self.taken.get((role, h), 0) >= maximum), None)
            if full is not None:
                return f"{role.plural} are full at {format_utc(full)} (at most {maximum} an hour)"
        for hour in hours:
            self.taken[(role, hour)] = self.taken.get((role, hour), 0) + 1
        return None

    def _blocks_around(self, moment: datetime) -> list[Block]:
        """The blocks of the local week holding ``moment`` and of the weeks either side."""
        zone = self.settings.time_zone
        monday = week_start(moment.astimezone(zone).date())
        found = []
        for offset in (-7, 0, 7):
            day = monday + timedelta(days=offset)
            if day not in self.weeks:
                self.weeks[day] = blocks_for_week(self.schedule, day, zone)
            found.extend(self.weeks[day])
        return found


def _hours_touched(signup: Signup) -> list[datetime]:
    """The clock hours a signup shares time with (a hand-typed 14:30 start touches 14:00)."""
    at = signup.start.replace(minute=0, second=0, microsecond=0)
    hours = []
    while at < signup.end and len(hours) < 24 * 7:
        hours.append(at)
        at += HOUR
    return hours
