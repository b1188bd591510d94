"""Plumbing every blueprint shares: the reader and the clock, the viewer's zone, strict
query parameters, conditional GET, manage links and mail, error pages and template helpers."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from urllib.parse import unquote

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, SecurityError

from .. import services, timezones
from ..contacts import is_email
from ..forms import BadParameter, format_utc_start, format_week
from ..model import Role
from ..storage import Storage, StorageError
from ..tokens import BadToken, Grant, ManageLinks, manage_url

log = logging.getLogger(__name__)


def storage() -> Storage:
    """The app's storage backend."""
    return current_app.extensions["sumo_storage"]


def reader() -> services.SheetReader:
    """The app's sheet reader, which keeps the last good copy for when reads fail."""
    return current_app.extensions["sumo_reader"]


def lasting_read_error() -> str | None:
    """Why the sheet cannot be read, when waiting will not fix it (a workbook saved in another
    format, say): pages showing the last good copy say so, with what to do."""
    error = reader().last_error
    return error.message if error is not None and not error.transient else None


def now() -> datetime:
    """The current UTC time (tests may fix it with the CLOCK setting)."""
    clock = current_app.config.get("CLOCK")
    return clock() if clock else datetime.now(UTC)


def viewer_zone(strict: bool = True):
    """The zone to show times in: ?tz=, else the zone chosen before, else the browser's (which
    static/tz.js keeps in a cookie), else UTC. ?tz=auto forgets a choice.

    ``strict`` answers a garbled ?tz= with a 400; pages drawn for an error ignore it.
    """
    if "viewer_zone" not in g:
        asked = request.args.get("tz")
        chosen_before = request.cookies.get(timezones.TZ_CHOSEN_COOKIE)
        if asked == timezones.FOLLOW_BROWSER:
            g.forget_zone, asked, chosen_before = bool(chosen_before), None, None
        try:
            chosen = timezones.chosen_zone(asked, strict)
        except timezones.UnknownZone as error:
            abort(400, description=str(error))
        if chosen is not None:
            g.remember_zone = chosen.key
        browser = request.cookies.get(timezones.TZ_COOKIE)
        g.viewer_zone = chosen or timezones.remembered_zone(chosen_before, browser)
        before = timezones.zone_or(unquote(chosen_before or ""), None)
        g.zone_chosen = chosen is not None or before is not None
    return g.viewer_zone


def _browser_zone_key() -> str | None:
    """The browser's own zone as tz.js last saw it, when it names one."""
    zone = timezones.zone_or(unquote(request.cookies.get(timezones.TZ_COOKIE) or ""), None)
    return zone.key if zone else None


def remember_zone(response):
    """Keep a zone chosen with ?tz= for the next pages (a cookie, so no account is needed),
    or forget it after ?tz=auto. The browser's own zone is tz.js's cookie, never set here."""
    if g.get("remember_zone"):
        response.set_cookie(
            timezones.TZ_CHOSEN_COOKIE,
            g.remember_zone,
            max_age=365 * 86400,
            samesite="Lax",
            secure=request.is_secure,
        )
    elif g.get("forget_zone"):
        response.delete_cookie(timezones.TZ_CHOSEN_COOKIE, samesite="Lax", secure=request.is_secure)
    return response


def query(name: str, parse):
    """A query parameter parsed strictly: absent gives None, garbage a 400 with the reason."""
    text = request.args.get(name)
    if text is None or text == "":
        return None
    try:
        return parse(text)
    except BadParameter as error:
        abort(400, description=str(error))


def content_changed_at() -> datetime:
    """When the sheet's content last changed as this process saw it (else now)."""
    return reader().changed_at or now()


def conditional(response):
    """Let browsers and calendar apps poll cheaply: an ETag, Last-Modified, and 304s.

    The ETag is the body's hash. Last-Modified is when the sheet's content last changed, or
    the start of this hour if later, since pages also change as hours pass.
    """
    response.add_etag()
    hour = now().replace(minute=0, second=0, microsecond=0)
    response.last_modified = max(content_changed_at(), hour)
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Cookie")
    return response.make_conditional(request)


# -- manage links and mail ------------------------------------------------------------------


def links() -> ManageLinks:
    """Makes and reads the site's manage links."""
    return current_app.extensions["sumo_links"]


def outbox():
    """Sends mail after the response, within each address's cap."""
    return current_app.extensions["sumo_outbox"]


def grant_or_none(token: str) -> Grant | None:
    """What a manage link reaches, or None if it does not work (any more)."""
    try:
        return links().read(token)
    except BadToken:
        return None


def owned(data: services.SheetData, grant: Grant) -> list:
    """The signups a link reaches, in time order."""
    manage = links()
    return sorted(
        (s for s in data.signups if manage.owns(grant, s.contact, s.id)),
        key=lambda s: (s.start, s.row),
    )


def site_url() -> str:
    """The site's public address: SITE_URL, never the request's Host when it is set.

    Without SITE_URL (allowed only while mail is off), the address the request came to.
    """
    return current_app.config.get("SITE_URL") or request.url_root.rstrip("/")


def manage_page_url(token: str) -> str:
    """The absolute address of a manage page, under the site's own address."""
    return manage_url(site_url(), token)


def contact_url(contact: str) -> str:
    """The link to every signup of a contact: only ever put in mail to that contact."""
    return manage_page_url(links().for_contact(contact))


def mail_on() -> bool:
    """True when the site sends mail."""
    return bool(current_app.config.get("MAIL_SERVER"))


def send_mail(address: str, send, *args) -> bool:
    """Send one of the volunteer emails (``send(config, *args)``) after the response, if
    mail is on; never fail the page. Only to an email address, within MAIL_PER_ADDRESS."""
    config = current_app.config
    if not mail_on() or not is_email(address):
        return False
    outbox().mail(address, lambda: send(config, *args), send.__name__)
    return True


# -- error pages ----------------------------------------------------------------------------


def error_page(status: int, title: str, message: str):
    """An error as a page, or as JSON under /api and for /healthz."""
    if request.path.startswith("/api/") or request.path == "/healthz":
        return jsonify(error=title, message=message), status
    return render_template("error.html", title=title, message=message, status=status), status


def _storage_unavailable(error: StorageError):
    log.error("storage error: %s %s", error.message, error.detail)
    return error_page(503, "The schedule cannot be reached", error.message)


def _csrf_failed(error: CSRFError):
    return error_page(
        400, "This form has expired", "Please go back, reload the page and send the form again."
    )


def _untrusted_host(error: SecurityError):
    # No page with links can be drawn for a host that is not ours: a plain answer.
    return Response(
        "400 Bad Request: this site answers only at its own address.\n",
        status=400,
        content_type="text/plain; charset=utf-8",
    )


def _too_large(error: RequestEntityTooLarge):
    kib = int(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // 1024
    return error_page(
        413,
        "That was too much to send",
        f"That was more than a form on this site can hold ({kib} KiB at most), so "
        "nothing was saved. Please go back, shorten what you typed (a note or a finding "
        "is at most 2,000 characters) and send it again.",
    )


def _http_error(error: HTTPException):
    return error_page(error.code or 500, error.name, error.description or "")


def register_error_pages(app: Flask) -> None:
    """Friendly pages for errors, with the reason, instead of tracebacks."""
    app.register_error_handler(StorageError, _storage_unavailable)
    app.register_error_handler(CSRFError, _csrf_failed)
    app.register_error_handler(SecurityError, _untrusted_host)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(HTTPException, _http_error)


# -- template helpers -----------------------------------------------------------------------


@lru_cache(maxsize=2)
def _zone_groups_html(hour: datetime) -> str:
    """Every zone's <option>, by region, with its offset at ``hour``: built once an hour."""
    groups = []
    for region, names in timezones.zone_groups():
        options = "".join(
            f'<option value="{escape(name)}">{escape(timezones.zone_label(name, hour))}</option>'
            for name in names
        )
        groups.append(f'<optgroup label="{escape(region)}">{options}</optgroup>')
    return "".join(groups)


def zone_options(selected: str) -> Markup:
    """The zone selector's options: the zone shown first (selected), then the browser's own
    when the viewer chose another (choosing it follows the browser again), then every zone by
    region with its current offset."""
    hour = now().replace(minute=0, second=0, microsecond=0)
    first = f'<option value="{escape(selected)}" selected>{escape(_label(selected, hour))}</option>'
    browser = _browser_zone_key()
    if browser and browser != selected:
        follow = f"This device: {_label(browser, hour)}"
        first += f'<option value="{timezones.FOLLOW_BROWSER}">{escape(follow)}</option>'
    # Safe: every option was built from escape()d zone names and labels.
    return Markup(first + _zone_groups_html(hour))  # nosec B704


def _label(name: str, hour: datetime) -> str:
    """A zone's selector label; a zone off the list (an alias a browser reports) by its name."""
    if name in timezones.zone_names():
        return timezones.zone_label(name, hour)
    return f"{name.replace('_', ' ')} ({timezones.offset(timezones.ZoneInfo(name), hour)})"


def signup_url(role: Role, start: datetime) -> str:
    """The signup form pre-filled with a role and a start."""
    return url_for("signup.form", role=role.value, start=format_utc_start(start))


def today() -> date:
    """Today in the viewer's zone."""
    return now().astimezone(viewer_zone(strict=False)).date()


def at(moment: datetime) -> str:
    """A moment's time of day for the viewer."""
    return timezones.clock(moment, viewer_zone(strict=False))


def when(moment: datetime) -> str:
    """A moment's day and time for the viewer, with UTC beside."""
    return timezones.when(moment, viewer_zone(strict=False))


def utc_iso(moment: datetime) -> str:
    """A moment in ISO 8601 UTC, for <time datetime=...>."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def register_template_helpers(app: Flask) -> None:
    """Filters and globals the templates use to show times and build links."""
    app.jinja_env.filters.update(
        utc_start=format_utc_start, week=format_week, at=at, when=when, utc_iso=utc_iso
    )
    app.jinja_env.globals.update(
        roles=Role,
        signup_url=signup_url,
        today=today,
        viewer_zone=lambda: viewer_zone(strict=False),
        zone_chosen=lambda: g.get("zone_chosen", False),
        zone_options=zone_options,
        timedelta1=timedelta(days=1),
        timedelta4=timedelta(days=4),
        timedelta7=timedelta(days=7),
    )
    app.after_request(remember_zone)
