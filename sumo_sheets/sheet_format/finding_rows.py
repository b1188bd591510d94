"""Findings rows <-> Finding: what was noticed in the chat room, read and written."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from ..model import Finding
from .cells import (
    CellError,
    Problem,
    format_date,
    format_time,
    format_timestamp,
    lay_out,
    parse_date,
    parse_time,
    parse_timestamp,
    read_rows,
)
from .layout import (
    ADVICE,
    CONTACT,
    DATE,
    FINDING_HEADERS,
    FINDINGS,
    ID,
    LINK,
    LOGGED_AT,
    NAME,
    REQUEST_ID,
    SEEN,
    TIME_UTC,
)


def parse_findings(grid: Sequence[Sequence[str]]) -> tuple[list[Finding], list[Problem]]:
    """Read the Findings tab; rows that cannot be read are skipped and reported."""
    return read_rows(grid, FINDINGS, FINDING_HEADERS, _finding_from_cells)


def _finding_from_cells(cells: dict[str, str], row: int) -> Finding:
    if not cells[SEEN]:
        raise CellError("nothing in What was seen")
    day = parse_date(cells[DATE])
    return Finding(
        id=cells[ID],
        logged_at=parse_timestamp(cells[LOGGED_AT]),
        at=datetime.combine(day, parse_time(cells[TIME_UTC] or "0:00"), tzinfo=UTC),
        name=cells[NAME],
        contact=cells[CONTACT],
        seen=cells[SEEN],
        advice=cells[ADVICE],
        link=cells[LINK],
        request_id=cells[REQUEST_ID],
    )


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
    return lay_out(header_row, values)
