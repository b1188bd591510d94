"""Synthetic sheets in the site's format: plausible signups laid over the default schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sumo_sheets import sheet_format as fmt
from sumo_sheets.model import HOUR, Block, Role, Signup, blocks_for_week, week_start

# After the Anchor, each hour fills up in this order, so a busy hour looks like a real one.
HOURLY_ORDER = (Role.HELPER, Role.ADVISOR, Role.MONITOR, Role.HELPER, Role.HELPER)
# One row in twenty is cancelled, as volunteers' plans change.
CANCELLED_EVERY = 20
FORTNIGHT = 14 * 24 * 60  # minutes
SPREAD_STEP = 7919  # a prime, so consecutive rows' sign-up minutes scatter over the fortnight


def this_monday(now: datetime | None = None) -> date:
    """The Monday of the current UTC week."""
    return week_start((now or datetime.now(UTC)).date())


def default_blocks(first_monday: date, weeks: int) -> list[Block]:
    """The default schedule's blocks on ``weeks`` weeks from ``first_monday``."""
    entries, problems = fmt.parse_schedule([list(fmt.SCHEDULE_HEADERS), *fmt.DEFAULT_SCHEDULE])
    assert not problems, problems
    return [
        block
        for n in range(weeks)
        for block in blocks_for_week(entries, first_monday + timedelta(weeks=n), ZoneInfo("UTC"))
    ]


def signups(count: int, first_monday: date, weeks: int) -> list[Signup]:
    """``count`` signups over the weeks: an Anchor per block, then hours filled round-robin."""
    blocks = default_blocks(first_monday, weeks)
    hours = [at for block in blocks for at in block.hours]
    made: list[Signup] = []

    def add(role: Role, start: datetime, end: datetime) -> None:
        """One more signup, numbered in order."""
        number = len(made)
        made.append(
            Signup(
                id=f"BENCH{number:06d}",
                name=f"Volunteer {number}",
                contact=f"v{number}@example.org",
                role=role,
                start=start,
                end=end,
                cancelled=number % CANCELLED_EVERY == CANCELLED_EVERY - 1,
                # Each at its own minute in the fortnight before, as people sign up: values
                # that repeat would flatter any memoised parsing.
                signed_up_at=start - timedelta(minutes=1 + number * SPREAD_STEP % FORTNIGHT),
            )
        )

    for block in blocks:
        if len(made) < count:
            add(Role.ANCHOR, block.start, block.end)
    layer = 0
    while len(made) < count:
        role = HOURLY_ORDER[layer % len(HOURLY_ORDER)]
        for at in hours[: count - len(made)]:
            add(role, at, at + HOUR)
        layer += 1
    return made


def grids(rows: list[Signup]) -> dict[str, list[list[str]]]:
    """The site's tabs as grids: the signups, the default Schedule and Settings, no Findings."""
    header = list(fmt.SIGNUP_HEADERS)
    return {
        fmt.SIGNUPS: [header, *(fmt.signup_row(header, s) for s in rows)],
        fmt.SCHEDULE: [list(fmt.SCHEDULE_HEADERS), *map(list, fmt.DEFAULT_SCHEDULE)],
        fmt.SETTINGS: [list(fmt.SETTINGS_HEADERS), *map(list, fmt.DEFAULT_SETTINGS)],
        fmt.FINDINGS: [list(fmt.FINDING_HEADERS)],
    }


class MemoryStorage:
    """Just enough of the storage contract to read: grids held in memory."""

    backend_name = "memory"
    display_name = "The sheet"
    atomic_row_updates = True
    default_cache_seconds = 0.0

    def __init__(self, tabs: dict[str, list[list[str]]]) -> None:
        self.tabs = tabs

    def read_tabs(self, titles):
        """The tabs asked for, a missing one as an empty grid."""
        return {title: self.tabs.get(title, []) for title in titles}
