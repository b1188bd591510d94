"""Calendar feeds: the whole schedule, and one volunteer's own signups by their personal link."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from . import calendar, views
from .tokens import BadToken, manage_url

bp = Blueprint("feeds", __name__)

ICS_TYPE = "text/calendar; charset=utf-8"


def _ics(body: bytes, filename: str, cache: str) -> Response:
    response = Response(body, content_type=ICS_TYPE)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response = views.conditional(response)
    response.headers["Cache-Control"] = cache
    return response


@bp.get("/schedule.ics")
def schedule_ics():
    """Every staffed block of the open weeks with who is on, to subscribe to."""
    data = views.reader().latest()
    body = calendar.schedule_calendar(
        data,
        views.now(),
        data.settings.weeks_open,
        site_url=views.site_url(),
        stamp=views.content_changed_at(),
    )
    # Shared caches may keep it only when its links come from SITE_URL, not from a Host
    # header the requester chose.
    shared = "public" if current_app.config.get("SITE_URL") else "private"
    return _ics(body, "sumo-livechat-schedule.ics", f"{shared}, max-age=300")


@bp.get("/my/<token>.ics")
def my_ics(token: str):
    """The signups made with the contact a personal link names, cancelled ones included."""
    links = current_app.extensions["sumo_links"]
    try:
        grant = links.read(token)
    except BadToken as error:
        return views._error_page(403, "This calendar link does not work", error.message)
    now = views.now()
    owned = [s for s in views.reader().latest().signups if links.owns(grant, s.contact, s.id)]
    mine = calendar.recent_and_coming(owned, now)
    link = manage_url(views.site_url(), token)
    body = calendar.signups_calendar(mine, views.content_changed_at(), link)
    # Personal: shared caches must not keep it.
    return _ics(body, "sumo-livechat-my-shifts.ics", "private, max-age=300")
