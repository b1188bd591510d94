"""The public schedule: the week page, the same week as JSON, the roles page and /healthz."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, timedelta

from flask import Blueprint, current_app, jsonify, render_template, request, session

from .. import services
from ..forms import format_utc_start, format_week, parse_day, parse_week
from ..model import HOURLY_ROLES, BlockView, HourView, Role, week_start
from ..storage import StorageError
from .web import (
    conditional,
    grant_or_none,
    lasting_read_error,
    now,
    owned,
    query,
    reader,
    storage,
    viewer_zone,
)

log = logging.getLogger(__name__)

bp = Blueprint("schedule", __name__)


def monday_asked(zone) -> date:
    """The Monday of ?day= or ?week=, else of the viewer's current week."""
    day = query("day", parse_day)
    if day is not None:
        return week_start(day)
    return query("week", parse_week) or week_start(now().astimezone(zone).date())


# How many weeks ahead the landing page looks for an open place when this week has none.
WEEKS_AHEAD = 4


@bp.get("/")
def week():
    """The week's schedule: who is on, what is wanted, and coverage, hour by hour.

    With no ?week=, a week with no open place left (a Sunday evening) gives way to the next
    week that has one, labelled as such: a link from chat must never land on a dead page.
    """
    zone = viewer_zone()
    monday = monday_asked(zone)
    data = reader().latest()
    view = services.week_view(data, monday, now(), zone)
    moved_from = None
    asked = request.args.get("week") is not None or request.args.get("day") is not None
    if not asked and not view.has_open_place:
        later = _next_open_week(data, monday, zone)
        if later is not None:
            moved_from, view = monday, later
    only_open = request.args.get("open") == "1"
    if only_open:
        view = services.only_open(view)
    one_day = query("day", parse_day)
    if one_day is not None:
        # The compact day view: one day of the week, with the days either side a tap away.
        view = replace(view, days=[d for d in view.days if d.day == one_day])
    page = render_template(
        "week.html",
        view=view,
        one_day=one_day,
        moved_from=moved_from,
        only_open=only_open,
        still_wanted=services.still_wanted,
        hourly_roles=HOURLY_ROLES,
        mine=_my_signup_ids(data),
        tab_notices=data.tab_notices,
        stale_reason=lasting_read_error() if data.stale_since else None,
    )
    return conditional(current_app.make_response(page))


def _next_open_week(data, monday: date, zone) -> services.WeekView | None:
    """The first of the next few weeks with an open place, if any."""
    for n in range(1, WEEKS_AHEAD + 1):
        view = services.week_view(data, monday + timedelta(days=7 * n), now(), zone)
        if view.has_open_place:
            return view
    return None


def _my_signup_ids(data: services.SheetData) -> set[str]:
    """IDs of the viewer's own signups: those this browser made, and all its manage link
    reaches once it has been opened here."""
    made = {str(i) for i in session.get("made") or []}
    token = session.get("me")
    grant = grant_or_none(token) if token else None
    return made | ({s.id for s in owned(data, grant)} if grant else set())


@bp.get("/api/week")
def api_week():
    """The same week as JSON, with UTC times; names only, never contacts."""
    zone = viewer_zone()
    monday = monday_asked(zone)
    view = services.week_view(reader().latest(), monday, now(), zone)
    blocks = [_block_json(day.day, block) for day in view.days for block in day.blocks]
    return conditional(
        jsonify(
            week=format_week(view.monday),
            monday=view.monday.isoformat(),
            time_zone=view.settings.time_zone.key,
            viewer_time_zone=zone.key,
            blocks=blocks,
            skipped_rows=len(view.problems),
            stale_since=format_utc_start(view.stale_since) if view.stale_since else None,
        )
    )


def _block_json(day, block_view: BlockView) -> dict:
    block = block_view.block
    hours = block_view.hours
    return {
        "day": day.isoformat(),
        "start": format_utc_start(block.start),
        "end": format_utc_start(block.end),
        "anchor": {
            "names": [s.name for s in block_view.anchors],
            # The model's numbers for the Anchor, the same in every hour of a block.
            "wanted": hours[0].wanted.get(Role.ANCHOR, 0) if hours else 0,
            "maximum": hours[0].maximum.get(Role.ANCHOR) if hours else None,
        },
        "slots": [_hour_json(hour) for hour in hours],
    }


def _hour_json(hour: HourView) -> dict:
    return {
        "start": format_utc_start(hour.start),
        "end": format_utc_start(hour.end),
        "coverage": hour.coverage.slug,
        "roles": {
            role.value: {
                "names": [s.name for s in hour.people[role]],
                "wanted": hour.wanted.get(role, 0),
                "maximum": hour.maximum.get(role),
            }
            for role in Role
        },
    }


@bp.get("/roles")
def roles():
    """What each role does and who it is for."""
    return render_template("roles.html")


@bp.get("/healthz")
def healthz():
    """ok when the sheet reads; degraded (200) while pages show the last good copy; else 503."""
    backend = storage()
    try:
        # The cached copy counts: a health check every few seconds must not cost a read each.
        data = reader().latest()
    except StorageError as error:
        log.warning("health check failed: %s %s", error.message, error.detail)
        return jsonify(status="unavailable", storage=backend.backend_name, error=error.message), 503
    if data.tab_notices:
        # A tab the site cannot work without is gone: signups are refused until it is back.
        return jsonify(
            status="unavailable",
            storage=backend.backend_name,
            error=" ".join(data.tab_notices),
            missing_tabs=data.missing_tabs,
        ), 503
    if data.stale_since is not None:
        error = reader().last_error
        return jsonify(
            status="degraded",
            storage=backend.backend_name,
            error=error.message if error else "The sheet cannot be read right now.",
            stale_since=format_utc_start(data.stale_since),
        )
    return jsonify(status="ok", storage=backend.backend_name)
