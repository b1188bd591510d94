"""The sheet's content as the site sees it: the three tabs parsed into ``SheetData``.

``read_sheet`` reads and parses once; ``parse_sheet`` parses grids already read. Confirmed
rows that hold no place (over their role's maximum) are flagged here, so no reader counts
them, and reported as problems for coordinators.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from .. import sheet_format as fmt
from ..model import (
    Block,
    Role,
    ScheduleEntry,
    Settings,
    Signup,
    blocks_for_week,
    holding_places,
    week_start,
)
from ..sheet_format import Problem
from ..storage import Grid, Storage


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
