"""Calendar feeds: the whole schedule, and one volunteer's own signups by their personal link."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from .. import calendar
from ..model import Role
from ..tokens import BadToken
from .web import (
    conditional,
    content_changed_at,
    error_page,
    links,
    manage_page_url,
    now,
    owned,
    reader,
    site_url,
)

bp = Blueprint("feeds", __name__)

ICS_TYPE = "text/calendar; charset=utf-8"


def _ics(body: bytes, filename: str, cache: str) -> Response:
    response = Response(body, content_type=ICS_TYPE)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response = conditional(response)
    response.headers["Cache-Control"] = cache
    return response


@bp.get("/schedule.ics")
def schedule_ics():
    """Every staffed block from today to the end of the open weeks with who is on, to
    subscribe to; ``?role=monitor`` (helper, anchor, advisor, monitor) keeps one role."""
    asked = request.args.get("role", "").strip().lower()
    try:
        role = Role(asked) if asked else None
    except ValueError:
        names = ", ".join(r.value for r in Role)
        return error_page(400, "No such role", f"The role must be one of {names}.")
    data = reader().latest()
    body = calendar.schedule_calendar(
        data,
        now(),
        data.settings.weeks_open,
        site_url=site_url(),
        stamp=content_changed_at(),
        role=role,
    )
    # Shared caches may keep it only when its links come from SITE_URL, not from a Host
    # header the requester chose.
    shared = "public" if current_app.config.get("SITE_URL") else "private"
    name = f"sumo-livechat-{role.value}s.ics" if role else "sumo-livechat-schedule.ics"
    return _ics(body, name, f"{shared}, max-age=300")


@bp.get("/my/<token>.ics")
def my_ics(token: str):
    """The signups made with the contact a personal link names, cancelled ones included."""
    try:
        grant = links().read(token)
    except BadToken as error:
        return error_page(403, "This calendar link does not work", error.message)
    mine = calendar.recent_and_coming(owned(reader().latest(), grant), now())
    body = calendar.signups_calendar(mine, content_changed_at(), manage_page_url(token))
    # Personal: shared caches must not keep it.
    return _ics(body, "sumo-livechat-my-shifts.ics", "private, max-age=300")
