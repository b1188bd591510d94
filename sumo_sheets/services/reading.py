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
from ..storage import Grid, Storage, StorageError, TabMissing, tab_missing_message

# The Signups columns a signup cannot be kept without: who, which role, when, and the ID and
# Status the site confirms it by. Without one of them signups are refused (never a header
# added behind a coordinator's back); the other columns (notes, request ID, time zone, signed
# up at) may be deleted, and new rows are written without them.
ESSENTIAL_SIGNUP_COLUMNS = (
    fmt.ID,
    fmt.NAME,
    fmt.CONTACT,
    fmt.ROLE,
    fmt.DATE,
    fmt.START_UTC,
    fmt.END_UTC,
    fmt.STATUS,
)


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
    # The site's tabs the sheet lacks (or that have no header row): only `sheet init` makes
    # them, so pages say so (``tab_notices``) and signups are refused while Signups is gone.
    missing_tabs: list[str] = field(default_factory=list)
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

    def require_signups_tab(self) -> None:
        """Raise TabMissing when there is no Signups tab to write to, or a StorageError when
        it lacks a column a signup cannot be kept without (nothing is written)."""
        if fmt.SIGNUPS in self.missing_tabs:
            raise TabMissing(fmt.SIGNUPS)
        absent = fmt.missing_headers(self.signup_header, ESSENTIAL_SIGNUP_COLUMNS)
        if absent:
            raise StorageError(_columns_missing_message(absent), detail=f"no {absent} column")

    @property
    def tab_notices(self) -> list[str]:
        """What pages say about missing tabs: what is wrong, what it means, how to fix it."""
        notices = []
        if fmt.SIGNUPS in self.missing_tabs:
            notices.append(tab_missing_message(fmt.SIGNUPS) + " Signups are paused until then.")
        elif absent := fmt.missing_headers(self.signup_header, ESSENTIAL_SIGNUP_COLUMNS):
            notices.append(_columns_missing_message(absent))
        if fmt.SCHEDULE in self.missing_tabs:
            notices.append(
                tab_missing_message(fmt.SCHEDULE) + " Until then no hours are staffed or open."
            )
        return notices

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


def _columns_missing_message(absent: Sequence[str]) -> str:
    names = ", ".join(f"'{name}'" for name in absent)
    return (
        f"The Signups tab has no {names} column, so signups are paused. A coordinator can "
        f"put the column back (anywhere in the header row) or run `flask --app app sheet "
        f"init`, which adds missing columns at the right end."
    )


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
        missing_tabs=[title for title in fmt.TAB_TITLES if not grids.get(title)],
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
