"""Signups rows <-> Signup: reading the tab forgivingly, and laying out a new row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from ..model import Signup
from .cells import (
    CellError,
    Problem,
    format_date,
    format_time,
    format_timestamp,
    lay_out,
    parse_date,
    parse_role,
    parse_status,
    parse_time,
    parse_timestamp,
    read_rows,
    unusable_tab,
)
from .layout import (
    CANCELLED,
    CONFIRMED,
    CONTACT,
    DATE,
    END_UTC,
    ID,
    NAME,
    NOTES,
    REQUEST_ID,
    ROLE,
    SIGNED_UP_AT,
    SIGNUP_HEADERS,
    SIGNUPS,
    START_UTC,
    STATUS,
    VOLUNTEER_ZONE,
)


def parse_signups(grid: Sequence[Sequence[str]]) -> tuple[list[Signup], list[Problem]]:
    """Read the Signups tab; rows that cannot be read are skipped and reported."""
    unusable = unusable_tab(grid, SIGNUPS, (NAME, ROLE, DATE, START_UTC))
    if unusable is not None:
        return [], [unusable]
    return read_rows(grid, SIGNUPS, SIGNUP_HEADERS, _signup_from_cells)


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
    return lay_out(header_row, values)
