"""The spreadsheet's public format: tabs, headers, value formats, and rows <-> model.

Coordinators edit the sheet by hand, so reading is forgiving: columns are found by header
name (any case and spacing, in any order, among columns of their own), values are read in
the forms people type, and a row that still cannot be understood is skipped and reported
as a Problem, never guessed at. See docs/sheet-format.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .model import Role, ScheduleEntry, Settings, Signup
from .storage import TabSpec

SIGNUPS = "Signups"
SCHEDULE = "Schedule"
SETTINGS = "Settings"
FINDINGS = "Findings"

# Signups columns. The site writes new rows with all of them and afterwards changes only
# Status; everything else in a row belongs to the coordinators.
ID = "ID"
NAME = "Name"
CONTACT = "Contact"
ROLE = "Role"
DATE = "Date"
START_UTC = "Start (UTC)"
END_UTC = "End (UTC)"
STATUS = "Status"
SIGNED_UP_AT = "Signed up at (UTC)"
NOTES = "Notes"
# The form submission a row came from (its idempotency key); blank on hand-typed rows.
REQUEST_ID = "Request ID"
# The volunteer's own time zone (IANA name), so their emails show their local times.
VOLUNTEER_ZONE = "Volunteer time zone"
SIGNUP_HEADERS = (
    ID,
    NAME,
    CONTACT,
    ROLE,
    DATE,
    START_UTC,
    END_UTC,
    STATUS,
    SIGNED_UP_AT,
    NOTES,
    REQUEST_ID,
    VOLUNTEER_ZONE,
)

CONFIRMED = "confirmed"
CANCELLED = "cancelled"

# Schedule columns.
DAY = "Day"
START = "Start"
END = "End"
WANTED = {
    Role.HELPER: "Helpers wanted",
    Role.ADVISOR: "Advisors wanted",
    Role.MONITOR: "Room monitors wanted",
}
SCHEDULE_HEADERS = (DAY, START, END, *WANTED.values())

# Settings rows (name -> value) and their defaults as written on a new sheet.
SETTING = "Setting"
VALUE = "Value"
ABOUT = "About"
SETTINGS_HEADERS = (SETTING, VALUE, ABOUT)
TIME_ZONE = "Time zone"
MAXIMUM = {
    Role.HELPER: "Most helpers an hour",
    Role.ADVISOR: "Most advisors an hour",
    Role.MONITOR: "Most room monitors an hour",
}
WEEKS_OPEN = "Weeks open for signup"

# Findings tab: what room monitors (or anyone on shift) noticed, for coordinators to read.
LOGGED_AT = "Logged at (UTC)"
TIME_UTC = "Time (UTC)"
SEEN = "What was seen"
ADVICE = "Advice given"
LINK = "Link"
FINDING_HEADERS = (ID, LOGGED_AT, DATE, TIME_UTC, NAME, CONTACT, SEEN, ADVICE, LINK, REQUEST_ID)

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

DEFAULT_SCHEDULE = tuple(
    (day, start, end, helpers, "1", "1")
    for day in DAYS[:5]
    for start, end, helpers in (("14:00", "16:00", "2"), ("16:00", "19:00", "3"))
) + (("Saturday", "15:00", "17:00", "2", "1", "1"),)

DEFAULT_SETTINGS = (
    (TIME_ZONE, "UTC", "IANA name, e.g. America/Los_Angeles. Schedule hours are in this zone."),
    (MAXIMUM[Role.HELPER], "", "Blank for no maximum."),
    (MAXIMUM[Role.ADVISOR], "", "Blank for no maximum."),
    (MAXIMUM[Role.MONITOR], "2", "Blank for no maximum."),
    (WEEKS_OPEN, "8", "How far ahead volunteers can sign up."),
)

ROLE_CHOICES = tuple(role.label for role in Role)
STATUS_CHOICES = (CONFIRMED, CANCELLED)

TAB_SPECS = (
    TabSpec(
        SIGNUPS,
        SIGNUP_HEADERS,
        choices={ROLE: ROLE_CHOICES, STATUS: STATUS_CHOICES},
    ),
    TabSpec(SCHEDULE, SCHEDULE_HEADERS, seed_rows=DEFAULT_SCHEDULE),
    TabSpec(SETTINGS, SETTINGS_HEADERS, seed_rows=DEFAULT_SETTINGS),
    TabSpec(FINDINGS, FINDING_HEADERS),
)
# The tabs a schedule page needs, read together in one request.
TAB_TITLES = (SIGNUPS, SCHEDULE, SETTINGS)


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


def header_key(text: str) -> str:
    """Header names match whatever their case, spacing and punctuation."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(text).casefold()).split())


# Other spellings coordinators might use for a column, by canonical header.
_ALIASES = {
    START_UTC: ("Start", "Start time", "From"),
    END_UTC: ("End", "End time", "Until", "To"),
    SIGNED_UP_AT: ("Signed up at", "Signed up", "Timestamp"),
    NOTES: ("Note", "Comments", "Comment"),
    CONTACT: ("Email", "E-mail", "Nick", "IRC nick"),
    DAY: ("Weekday",),
}


def column_index(header_row: Sequence[str], header: str) -> int | None:
    """The position of a column by its name, else by an alias; the leftmost match wins."""
    keys = [header_key(cell) for cell in header_row]
    for name in (header, *_ALIASES.get(header, ())):
        if header_key(name) in keys:
            return keys.index(header_key(name))
    return None


def missing_headers(header_row: Sequence[str], headers: Sequence[str]) -> list[str]:
    """The headers of ``headers`` that the header row lacks."""
    return [h for h in headers if column_index(header_row, h) is None]


def _cell(row: Sequence[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    return str(row[index]).strip()


@lru_cache(maxsize=4096)
def parse_date(text: str) -> date:
    """Read 2026-11-30 (also 2026/11/30, or with a midnight time after it)."""
    match = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]0?0:00(?::00)?)?", text)
    if not match:
        raise CellError(f"date {text!r} is not like 2026-11-30")
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError as error:
        raise CellError(f"date {text!r} does not exist") from error


@lru_cache(maxsize=4096)
def parse_time(text: str) -> time:
    """Read 14:00, 9:00, 09:00:00, 9, 9am, 2:30 pm or 24:00 (the end of a day)."""
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


def parse_signups(grid: Sequence[Sequence[str]]) -> tuple[list[Signup], list[Problem]]:
    """Read the Signups tab; rows that cannot be read are skipped and reported."""
    if not grid:
        return [], [Problem(SIGNUPS, 0, "the tab is missing or empty (run `sheet init`)")]
    header = grid[0]
    columns = {h: column_index(header, h) for h in SIGNUP_HEADERS}
    required = (NAME, ROLE, DATE, START_UTC)
    absent = [h for h in required if columns[h] is None]
    if absent:
        return [], [Problem(SIGNUPS, 1, f"no {', '.join(absent)} column in the header row")]

    signups, problems = [], []
    for number, row in enumerate(grid[1:], start=2):
        cells = {h: _cell(row, i) for h, i in columns.items()}
        if not any(_cell(row, i) for i in range(len(row))):
            continue  # a blank row: coordinators leave them as spacers
        try:
            signups.append(_signup_from_cells(cells, number))
        except CellError as error:
            problems.append(Problem(SIGNUPS, number, str(error)))
    return signups, problems


def _signup_from_cells(cells: dict[str, str], row: int) -> Signup:
    if not cells[NAME]:
        raise CellError("no name")
    role = parse_role(cells[ROLE])
    day = parse_date(cells[DATE])
    start = datetime.combine(day, parse_time(cells[START_UTC]), tzinfo=UTC)
    if cells[END_UTC]:
        end = datetime.combine(day, parse_time(cells[END_UTC]), tzinfo=UTC)
        if end <= start:
            end += timedelta(days=1)  # 23:00 to 01:00 runs past midnight
    else:
        end = start + timedelta(hours=1)  # a hand-typed row without an end is one hour
    return Signup(
        id=cells[ID],
        name=cells[NAME],
        contact=cells[CONTACT],
        role=role,
        start=start,
        end=end,
        cancelled=parse_status(cells[STATUS]),
        signed_up_at=parse_timestamp(cells[SIGNED_UP_AT]),
        notes=cells[NOTES],
        row=row,
        request_id=cells[REQUEST_ID],
        time_zone=cells[VOLUNTEER_ZONE],
    )


def signup_row(header_row: Sequence[str], signup: Signup) -> list[str]:
    """Lay a new signup out under the sheet's current header row, blank in others' columns."""
    values = {
        ID: signup.id,
        NAME: signup.name,
        CONTACT: signup.contact,
        ROLE: signup.role.label,
        DATE: format_date(signup.start.date()),
        START_UTC: format_time(signup.start),
        END_UTC: format_time(signup.end),
        STATUS: CANCELLED if signup.cancelled else CONFIRMED,
        SIGNED_UP_AT: format_timestamp(signup.signed_up_at) if signup.signed_up_at else "",
        NOTES: signup.notes,
        REQUEST_ID: signup.request_id,
        VOLUNTEER_ZONE: signup.time_zone,
    }
    return _lay_out(header_row, values)


@dataclass(frozen=True)
class Finding:
    """Something noticed in the chat room, and the advice given."""

    id: str
    logged_at: datetime | None
    at: datetime  # UTC
    name: str
    contact: str
    seen: str
    advice: str = ""
    link: str = ""
    request_id: str = ""


def parse_findings(grid: Sequence[Sequence[str]]) -> tuple[list[Finding], list[Problem]]:
    """Read the Findings tab; rows that cannot be read are skipped and reported."""
    if not grid:
        return [], []
    header = grid[0]
    columns = {h: column_index(header, h) for h in FINDING_HEADERS}
    findings, problems = [], []
    for number, row in enumerate(grid[1:], start=2):
        cells = {h: _cell(row, i) for h, i in columns.items()}
        if not any(_cell(row, i) for i in range(len(row))):
            continue
        try:
            if not cells[SEEN]:
                raise CellError("nothing in What was seen")
            day = parse_date(cells[DATE])
            at = datetime.combine(day, parse_time(cells[TIME_UTC] or "0:00"), tzinfo=UTC)
        except CellError as error:
            problems.append(Problem(FINDINGS, number, str(error)))
            continue
        findings.append(
            Finding(
                id=cells[ID],
                logged_at=parse_timestamp(cells[LOGGED_AT]),
                at=at,
                name=cells[NAME],
                contact=cells[CONTACT],
                seen=cells[SEEN],
                advice=cells[ADVICE],
                link=cells[LINK],
                request_id=cells[REQUEST_ID],
            )
        )
    return findings, problems


def finding_row(header_row: Sequence[str], finding: Finding) -> list[str]:
    """Lay a new finding out under the tab's current header row."""
    values = {
        ID: finding.id,
        LOGGED_AT: format_timestamp(finding.logged_at) if finding.logged_at else "",
        DATE: format_date(finding.at.date()),
        TIME_UTC: format_time(finding.at),
        NAME: finding.name,
        CONTACT: finding.contact,
        SEEN: finding.seen,
        ADVICE: finding.advice,
        LINK: finding.link,
        REQUEST_ID: finding.request_id,
    }
    return _lay_out(header_row, values)


def _lay_out(header_row: Sequence[str], values: dict[str, str]) -> list[str]:
    """Values placed under their headers wherever they are, blank in everyone else's columns."""
    row = [""] * len(header_row)
    for header, value in values.items():
        index = column_index(header_row, header)
        if index is not None:
            row[index] = value
    return row


def parse_schedule(grid: Sequence[Sequence[str]]) -> tuple[list[ScheduleEntry], list[Problem]]:
    """Read the Schedule tab; overlapping or unreadable blocks are skipped and reported."""
    if not grid:
        return [], [Problem(SCHEDULE, 0, "the tab is missing or empty (run `sheet init`)")]
    header = grid[0]
    columns = {h: column_index(header, h) for h in SCHEDULE_HEADERS}
    absent = [h for h in (DAY, START, END) if columns[h] is None]
    if absent:
        return [], [Problem(SCHEDULE, 1, f"no {', '.join(absent)} column in the header row")]

    entries: list[ScheduleEntry] = []
    problems = []
    for number, row in enumerate(grid[1:], start=2):
        cells = {h: _cell(row, i) for h, i in columns.items()}
        if not any(_cell(row, i) for i in range(len(row))):
            continue
        try:
            entry = _schedule_entry(cells)
            clash = next((e for e in entries if _entries_overlap(e, entry)), None)
            if clash is not None:
                raise CellError(
                    f"overlaps the {DAYS[clash.weekday]} block from {clash.start:%H:%M}"
                )
            entries.append(entry)
        except CellError as error:
            problems.append(Problem(SCHEDULE, number, str(error)))
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
    values: dict[str, tuple[int, str]] = {}
    problems = []
    known = {header_key(n): n for n in (TIME_ZONE, WEEKS_OPEN, *MAXIMUM.values())}
    for number, row in enumerate(grid[1:], start=2):
        name, value = _cell(row, 0), _cell(row, 1)
        if not name:
            continue
        canonical = known.get(header_key(name))
        if canonical is None:
            problems.append(Problem(SETTINGS, number, f"unknown setting {name!r} is ignored"))
        else:
            values[canonical] = (number, value)

    def setting(name, parse, default):
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
