"""Parse and render time of the week page for big sheets, in-process, with no network."""

from __future__ import annotations

import logging
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import render_template

from sumo_sheets import create_app, services
from sumo_sheets.model import HOURLY_ROLES

from . import sheet

log = logging.getLogger(__name__)

SIZES = (1_000, 10_000, 50_000)
# Six months of signups, the current week in the middle of them.
WEEKS = 26


@dataclass
class RenderTiming:
    """Median milliseconds to parse the tabs and to lay out and render the week."""

    rows: int
    parse_ms: float
    render_ms: float
    week_rows: int  # signups in the rendered week
    page_bytes: int
    first_parse_ms: float  # the first of the runs, before any memoised parsing has warmed up

    @property
    def total_ms(self) -> float:
        """Parse plus render."""
        return self.parse_ms + self.render_ms


def time_week(rows: int, repeats: int = 5) -> RenderTiming:
    """Time read_sheet (parse) and week_view plus week.html (render) on ``rows`` signups."""
    now = datetime.now(UTC)
    monday = sheet.this_monday(now)
    first = monday - timedelta(weeks=WEEKS // 2)
    storage = sheet.MemoryStorage(sheet.grids(sheet.signups(rows, first, WEEKS)))
    app = create_app({"SECRET_KEY": "bench", "TESTING": True}, storage=storage)
    parse_times, render_times = [], []
    page, data = "", None
    for _ in range(repeats):
        began = time.perf_counter()
        data = services.read_sheet(storage)
        parsed = time.perf_counter()
        with app.test_request_context("/"):
            view = services.week_view(data, monday, now)
            page = render_template("week.html", view=view, hourly_roles=HOURLY_ROLES, mine=set())
        done = time.perf_counter()
        parse_times.append(parsed - began)
        render_times.append(done - parsed)
    assert data is not None and "Live Chat schedule" in page
    week_end = monday + timedelta(days=7)
    in_week = sum(1 for s in data.signups if monday <= s.start.date() < week_end)
    return RenderTiming(
        rows,
        statistics.median(parse_times) * 1000,
        statistics.median(render_times) * 1000,
        in_week,
        len(page.encode()),
        parse_times[0] * 1000,
    )


def run(sizes=SIZES, repeats: int = 5) -> list[RenderTiming]:
    """Time every size, smallest first."""
    results = []
    for rows in sizes:
        results.append(time_week(rows, repeats))
        log.info("render %d rows: %s", rows, results[-1])
    return results
