"""Calendar feeds: the whole schedule, and one volunteer's own signups by their personal link."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, url_for

from . import calendar, views
from .tokens import BadToken, contact_key, read_manage_token

bp = Blueprint("feeds", __name__)

ICS_TYPE = "text/calendar; charset=utf-8"


def manage_url_for(token: str) -> str:
    """The absolute address of a personal manage page, on the host this request came to."""
    return url_for("schedule.my_signups", token=token, _external=True)


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
        site_url=url_for("schedule.week", _external=True),
        stamp=views.content_changed_at(),
    )
    return _ics(body, "sumo-livechat-schedule.ics", "public, max-age=300")


@bp.get("/my/<token>.ics")
def my_ics(token: str):
    """The signups made with the contact a personal link names, cancelled ones included."""
    config = current_app.config
    try:
        contact = read_manage_token(config["SECRET_KEY"], token, config["MANAGE_LINK_DAYS"])
    except BadToken as error:
        return views._error_page(403, "This calendar link does not work", error.message)
    now = views.now()
    mine = calendar.signups_for_contact(views.reader().latest().signups, contact_key(contact), now)
    body = calendar.signups_calendar(mine, views.content_changed_at(), manage_url_for(token))
    # Personal: shared caches must not keep it.
    return _ics(body, "sumo-livechat-my-shifts.ics", "private, max-age=300")
