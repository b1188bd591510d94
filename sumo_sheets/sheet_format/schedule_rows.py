"""Schedule and Settings rows: the weekly blocks, and the coordinators' settings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..headers import header_key
from ..model import ScheduleEntry, Settings
from .cells import CellError, Problem, cell, parse_count, parse_time, read_rows, unusable_tab
from .layout import (
    DAY,
    DAYS,
    END,
    MAXIMUM,
    SCHEDULE,
    SCHEDULE_HEADERS,
    SETTINGS,
    START,
    TIME_ZONE,
    WANTED,
    WEEKS_OPEN,
)

T = TypeVar("T")


def parse_schedule(grid: Sequence[Sequence[str]]) -> tuple[list[ScheduleEntry], list[Problem]]:
    """Read the Schedule tab; overlapping or unreadable blocks are skipped and reported."""
    unusable = unusable_tab(grid, SCHEDULE, (DAY, START, END))
    if unusable is not None:
        return [], [unusable]
    entries: list[ScheduleEntry] = []

    def read(cells: dict[str, str], row: int) -> ScheduleEntry:
        entry = _schedule_entry(cells)
        clash = next((e for e in entries if _entries_overlap(e, entry)), None)
        if clash is not None:
            raise CellError(f"overlaps the {DAYS[clash.weekday]} block from {clash.start:%H:%M}")
        entries.append(entry)
        return entry

    _, problems = read_rows(grid, SCHEDULE, SCHEDULE_HEADERS, read)
    return entries, problems


def _schedule_entry(cells: dict[str, str]) -> ScheduleEntry:
    day_key = header_key(cells[DAY]).removesuffix("s")
    # Full names or any unambiguous start of three letters or more: "Mon", "tues", "Thursday".
    weekday = next(
        (
            i
            for i, name in enumerate(DAYS)
            if len(day_key) >= 3 and name.lower().startswith(day_key)
        ),
        None,
    )
    if weekday is None:
        raise CellError(f"day {cells[DAY]!r} is not a day of the week")
    entry = ScheduleEntry(
        weekday=weekday,
        start=parse_time(cells[START]),
        end=parse_time(cells[END]),
        wanted={role: parse_count(cells[h], h) for role, h in WANTED.items()},
    )
    if entry.length % timedelta(hours=1):
        raise CellError("a block must last a whole number of hours")
    return entry


def _entries_overlap(a: ScheduleEntry, b: ScheduleEntry) -> bool:
    def span(e: ScheduleEntry) -> tuple[timedelta, timedelta]:
        start = timedelta(days=e.weekday, hours=e.start.hour, minutes=e.start.minute)
        return start, start + e.length

    week = timedelta(days=7)
    (a0, a1), (b0, b1) = span(a), span(b)
    # Compare across the week's wrap too: a Sunday-night block can run into Monday.
    return any(a0 < b1 + shift and b0 + shift < a1 for shift in (-week, timedelta(0), week))


def parse_settings(grid: Sequence[Sequence[str]]) -> tuple[Settings, list[Problem]]:
    """Read the Settings tab; unknown or bad settings are reported and the default used."""
    defaults = Settings()
    if not grid:
        return defaults, [Problem(SETTINGS, 0, "the tab is missing or empty; using defaults")]
    values, problems = _setting_cells(grid)

    def setting(name: str, parse: Callable[[str], T], default: T) -> T:
        if name not in values:
            return default
        number, value = values[name]
        try:
            return parse(value)
        except CellError as error:
            problems.append(Problem(SETTINGS, number, f"{error}; using {default!r}"))
            return default

    maximum = {
        role: setting(MAXIMUM[role], _parse_maximum, defaults.maximum[role]) for role in MAXIMUM
    }
    settings = Settings(
        time_zone=setting(TIME_ZONE, _parse_zone, defaults.time_zone),
        maximum=maximum,
        weeks_open=setting(WEEKS_OPEN, _parse_weeks, defaults.weeks_open),
    )
    return settings, problems


def _setting_cells(
    grid: Sequence[Sequence[str]],
) -> tuple[dict[str, tuple[int, str]], list[Problem]]:
    """Each known setting's (row, value) by its canonical name; unknown names reported."""
    values: dict[str, tuple[int, str]] = {}
    problems = []
    known = {header_key(n): n for n in (TIME_ZONE, WEEKS_OPEN, *MAXIMUM.values())}
    for number, row in enumerate(grid[1:], start=2):
        name, value = cell(row, 0), cell(row, 1)
        if not name:
            continue
        canonical = known.get(header_key(name))
        if canonical is None:
            problems.append(Problem(SETTINGS, number, f"unknown setting {name!r} is ignored"))
        else:
            values[canonical] = (number, value)
    return values, problems


def _parse_zone(text: str) -> ZoneInfo:
    try:
        return ZoneInfo(text.strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise CellError(f"time zone {text!r} is not an IANA name like Europe/Berlin") from error


def _parse_maximum(text: str) -> int | None:
    return None if not text else parse_count(text, "maximum")


def _parse_weeks(text: str) -> int:
    weeks = parse_count(text, "weeks")
    if not 1 <= weeks <= 52:
        raise CellError(f"weeks {text!r} is not between 1 and 52")
    return weeks
