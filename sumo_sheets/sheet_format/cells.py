"""Cells: reading values in the forms people type, writing them as the sheet keeps them,
and the row-by-row reading every tab shares (a row that cannot be read is a Problem)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TypeVar

from ..headers import column_index, header_key, missing_headers
from ..model import Role
from .layout import CANCELLED, CONFIRMED, ROLE_CHOICES

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """Something in the sheet the site could not use: which tab, which row, and why."""

    tab: str
    row: int  # 1-based sheet row; 0 for a problem with the whole tab
    message: str

    def __str__(self) -> str:
        where = f"{self.tab} row {self.row}" if self.row else self.tab
        return f"{where}: {self.message}"


class CellError(ValueError):
    """A cell's value cannot be read; the message says what was expected."""


def cell(row: Sequence[str], index: int | None) -> str:
    """The stripped text of a row's cell; blank when the column or the cell is absent."""
    if index is None or index >= len(row):
        return ""
    return str(row[index]).strip()


def unusable_tab(
    grid: Sequence[Sequence[str]], tab: str, required: Sequence[str]
) -> Problem | None:
    """Why a tab cannot be read at all (missing, or lacking a required column), else None."""
    if not grid:
        return Problem(tab, 0, "the tab is missing or empty (run `sheet init`)")
    absent = missing_headers(grid[0], required)
    if absent:
        return Problem(tab, 1, f"no {', '.join(absent)} column in the header row")
    return None


def read_rows(
    grid: Sequence[Sequence[str]],
    tab: str,
    headers: Sequence[str],
    read: Callable[[dict[str, str], int], T],
) -> tuple[list[T], list[Problem]]:
    """``read(cells by header, row number)`` for each row under the header row.

    Blank rows are skipped (coordinators leave them as spacers); a row ``read`` refuses
    with a CellError is skipped and reported.
    """
    if not grid:
        return [], []
    columns = {h: column_index(grid[0], h) for h in headers}
    found, problems = [], []
    for number, row in enumerate(grid[1:], start=2):
        if not any(cell(row, i) for i in range(len(row))):
            continue
        try:
            found.append(read({h: cell(row, i) for h, i in columns.items()}, number))
        except CellError as error:
            problems.append(Problem(tab, number, str(error)))
    return found, problems


def lay_out(header_row: Sequence[str], values: dict[str, str]) -> list[str]:
    """Values placed under their headers wherever they are, blank in everyone else's columns."""
    row = [""] * len(header_row)
    for header, value in values.items():
        index = column_index(header_row, header)
        if index is not None:
            row[index] = value
    return row


# A date cell whose format was cleared shows its serial number: days since 1899-12-30 (the 1900
# date system of LibreOffice, Excel and Google Sheets). Whole numbers in this range (2000-01-01
# to 2099-12-31) in a Date column are read as dates; anything else numeric is refused.
DATE_SERIAL_EPOCH = date(1899, 12, 30)
FIRST_DATE_SERIAL, LAST_DATE_SERIAL = 36526, 73050
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
# A time cell whose format was cleared shows the fraction of a day: 0.583333333333333 is 14:00.
# In a time column, 0.<digits> (or 0,<digits>) is read so, as is 1.0 (24:00, the end of a
# day); 9.30 or 14.00 (an hour above 0, a dot, two digits) are still hours.minutes.
_DAY_FRACTION = re.compile(r"0(?:[.,]\d+)?|1[.,]0")


@lru_cache(maxsize=4096)
def parse_date(text: str) -> date:
    """Read 2026-11-30 (also 2026/11/30, or with a midnight time after it), or a date serial
    number from 2000 to 2099 (a date cell whose format was cleared)."""
    if _NUMBER.fullmatch(text):
        number = float(text.replace(",", "."))
        if number.is_integer() and FIRST_DATE_SERIAL <= number <= LAST_DATE_SERIAL:
            return DATE_SERIAL_EPOCH + timedelta(days=int(number))
        raise CellError(
            f"date {text!r} is a number, not a date like 2026-11-30 (a whole number from "
            f"{FIRST_DATE_SERIAL} to {LAST_DATE_SERIAL} is read as the date it stands for)"
        )
    match = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]0?0:00(?::00)?)?", text)
    if not match:
        raise CellError(f"date {text!r} is not like 2026-11-30")
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError as error:
        raise CellError(f"date {text!r} does not exist") from error


@lru_cache(maxsize=4096)
def parse_time(text: str) -> time:
    """Read 14:00, 9:00, 09:00:00, 9, 9am, 2:30 pm or 24:00 (the end of a day), or the
    fraction of a day a time cell whose format was cleared shows (0.583333333333333)."""
    if _DAY_FRACTION.fullmatch(text):
        minutes = round(float(text.replace(",", ".")) * 24 * 60)
        return time(0, 0) if minutes == 24 * 60 else time(minutes // 60, minutes % 60)
    match = re.fullmatch(r"(\d{1,2})(?:[:.h](\d{2}))?(?::(\d{2}))?\s*([ap]\.?m\.?)?", text.lower())
    if not match:
        raise CellError(f"time {text!r} is not like 14:00")
    hour, minute = int(match[1]), int(match[2] or 0)
    if match[4]:
        if not 1 <= hour <= 12:
            raise CellError(f"time {text!r} has an hour out of range")
        hour = hour % 12 + (12 if match[4].startswith("p") else 0)
    if (hour, minute) == (24, 0):
        return time(0, 0)
    if hour > 23 or minute > 59:
        raise CellError(f"time {text!r} is out of range")
    return time(hour, minute)


@lru_cache(maxsize=4096)
def parse_timestamp(text: str) -> datetime | None:
    """Read 2026-11-25 14:03 as UTC; blank or unreadable gives None (it is informative only)."""
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})(?::\d{2}(?:\.\d+)?)?Z?", text)
    if not match:
        return None
    try:
        return datetime.combine(parse_date(match[1]), parse_time(match[2]), tzinfo=UTC)
    except CellError:
        return None


_ROLE_WORDS = {
    "helper": Role.HELPER,
    "anchor": Role.ANCHOR,
    "advisor": Role.ADVISOR,
    "adviser": Role.ADVISOR,
    "room monitor": Role.MONITOR,
    "monitor": Role.MONITOR,
}


@lru_cache(maxsize=4096)
def parse_role(text: str) -> Role:
    """Read a role in any case or spacing, singular or plural ('helper', ' Helpers ')."""
    key = header_key(text)
    role = _ROLE_WORDS.get(key) or _ROLE_WORDS.get(key.removesuffix("s"))
    if role is None:
        raise CellError(f"role {text!r} is not one of {', '.join(ROLE_CHOICES)}")
    return role


@lru_cache(maxsize=4096)
def parse_status(text: str) -> bool:
    """Return True for a cancelled row; blank or 'confirmed' (any case) counts as confirmed."""
    key = header_key(text)
    if key in ("", CONFIRMED):
        return False
    if key in (CANCELLED, "canceled"):
        return True
    raise CellError(f"status {text!r} is not {CONFIRMED} or {CANCELLED}")


def parse_count(text: str, what: str) -> int:
    """Read a whole number of people, blank meaning none."""
    if not text:
        return 0
    try:
        number = float(text)
    except ValueError as error:
        raise CellError(f"{what} {text!r} is not a number") from error
    if number < 0 or number != int(number):
        raise CellError(f"{what} {text!r} is not a whole number of people")
    return int(number)


def format_date(value: date) -> str:
    """The date as the sheet writes it."""
    return value.strftime("%Y-%m-%d")


def format_time(value: datetime | time) -> str:
    """The time as the sheet writes it."""
    return value.strftime("%H:%M")


def format_timestamp(value: datetime) -> str:
    """A UTC moment as the sheet writes it."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
