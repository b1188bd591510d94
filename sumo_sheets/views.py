"""Pages and JSON: the week, the signup form, its confirmation, roles, API and health."""

from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime, timedelta
from functools import cache
from urllib.parse import unquote
from zoneinfo import ZoneInfo, available_timezones

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    get_flashed_messages,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, SecurityError
from wtforms.fields.choices import SelectChoice

from . import services
from .contacts import is_email
from .forms import (
    BadParameter,
    CancelForm,
    FindingForm,
    LostLinkForm,
    SignupForm,
    format_utc_start,
    format_week,
    parse_local_time,
    parse_month,
    parse_role,
    parse_utc_start,
    parse_week,
    parse_zone,
)
from .model import HOUR, HOURLY_ROLES, PlaceTaken, Role, SignupRefused, week_start
from .sheet_format import Finding
from .storage import Storage, StorageError
from .tokens import BadToken, Grant, ManageLinks, manage_url

log = logging.getLogger(__name__)

bp = Blueprint("schedule", __name__)


def storage() -> Storage:
    """The app's storage backend."""
    return current_app.extensions["sumo_storage"]


def reader() -> services.SheetReader:
    """The app's sheet reader, which keeps the last good copy for when reads fail."""
    return current_app.extensions["sumo_reader"]


def now() -> datetime:
    """The current UTC time (tests may fix it with the CLOCK setting)."""
    clock = current_app.config.get("CLOCK")
    return clock() if clock else datetime.now(UTC)


TZ_COOKIE = "tz"
UTC_ZONE = ZoneInfo("UTC")


def viewer_zone(strict: bool = True) -> ZoneInfo:
    """The zone to show times in: ?tz=, else the remembered choice, else UTC.

    ``strict`` answers a garbled ?tz= with a 400; pages drawn for an error ignore it.
    """
    if "viewer_zone" not in g:
        try:
            zone = parse_zone(request.args["tz"]) if request.args.get("tz") else None
        except BadParameter as error:
            if strict:
                abort(400, description=str(error))
            zone = None
        if zone is not None:
            g.remember_zone = zone.key
        else:
            try:
                zone = parse_zone(unquote(request.cookies.get(TZ_COOKIE, "")))
            except BadParameter:
                zone = UTC_ZONE
        g.viewer_zone = zone
    return g.viewer_zone


@bp.after_app_request
def remember_zone(response):
    """Keep a zone chosen with ?tz= for the next pages (a cookie, so no account is needed)."""
    if g.get("remember_zone"):
        response.set_cookie(
            TZ_COOKIE,
            g.remember_zone,
            max_age=365 * 86400,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


@cache
def zone_names() -> list[str]:
    """Every IANA zone name, for the zone selector."""
    return sorted(name for name in available_timezones() if "/" in name or name == "UTC")


@cache
def _zone_option_html() -> dict[str, str]:
    """Each zone's <option>, escaped once per process: the list is 550 entries long."""
    return {
        name: f'<option value="{escape(name)}">{escape(name.replace("_", " "))}</option>'
        for name in zone_names()
    }


def zone_options(selected: str) -> Markup:
    """The zone selector's options with ``selected`` chosen, without re-rendering 550 tags."""
    options = _zone_option_html()
    chosen = options.get(selected, "").replace("<option ", "<option selected ", 1)
    # Safe: every option was built from escape()d zone names in _zone_option_html.
    joined = "".join(chosen if name == selected else html for name, html in options.items())
    return Markup(joined)  # nosec B704


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


def _query(name: str, parse):
    """A query parameter parsed strictly: absent gives None, garbage a 400 with the reason."""
    text = request.args.get(name)
    if text is None or text == "":
        return None
    try:
        return parse(text)
    except BadParameter as error:
        abort(400, description=str(error))


@bp.get("/")
def week():
    """The week's schedule: who is on, what is wanted, and coverage, hour by hour."""
    zone = viewer_zone()
    monday = _query("week", parse_week) or week_start(now().astimezone(zone).date())
    data = reader().latest()
    view = services.week_view(data, monday, now(), zone)
    page = render_template(
        "week.html", view=view, hourly_roles=HOURLY_ROLES, mine=_my_signup_ids(data)
    )
    return conditional(current_app.make_response(page))


def _my_signup_ids(data: services.SheetData) -> set[str]:
    """IDs of the viewer's own signups, known once they have opened their manage link here."""
    token = session.get("me")
    grant = _grant_or_none(token) if token else None
    return {s.id for s in _owned(data, grant)} if grant else set()


@bp.get("/api/week")
def api_week():
    """The same week as JSON, with UTC times; names only, never contacts."""
    zone = viewer_zone()
    monday = _query("week", parse_week) or week_start(now().astimezone(zone).date())
    view = services.week_view(reader().latest(), monday, now(), zone)
    blocks = []
    for day in view.days:
        for block_view in day.blocks:
            block = block_view.block
            blocks.append(
                {
                    "day": day.day.isoformat(),
                    "start": format_utc_start(block.start),
                    "end": format_utc_start(block.end),
                    "anchor": {
                        "names": [s.name for s in block_view.anchors],
                        "wanted": 1,
                        "maximum": 1,
                    },
                    "slots": [
                        {
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
                        for hour in block_view.hours
                    ],
                }
            )
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


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """The signup form, pre-filled from ?role= and ?start=; Post/Redirect/Get on success."""
    form = SignupForm()
    zone = viewer_zone()
    if request.method == "GET":
        role = _query("role", parse_role)
        start = _query("start", parse_utc_start)
        if role:
            form.role.data = role.value
        if start:
            form.start.data = format_utc_start(start)
    form.ensure_request_id()
    try:
        parse_zone(form.time_zone.data or "")
    except BadParameter:
        form.time_zone.data = zone.key
    most_weeks = int(current_app.config["REPEAT_WEEKS_MAX"])
    form.repeat_weeks.validators[1].max = most_weeks  # the setting, not a fixed number
    form.repeat_weeks.validators[1].message = f"Pick from 1 to {most_weeks} weeks."
    problem, suggestion, data, taken = None, None, None, False
    try:
        # The cached copy may only refuse early: a signup is decided on the read made after
        # its row is appended (services.sign_up), and never while the copy is stale.
        data = reader().latest()
    except StorageError as error:
        problem = f"{error.message} Your signup was not saved; please try again in a minute."
        data = reader().last_good()
    _offer_start_times(form, data, zone)
    if data is not None and data.stale_since and problem is None:
        problem = "The sheet cannot be read right now, so signups cannot be saved at the moment."
        if request.method == "POST":
            problem = (
                "The sheet cannot be read right now. Your signup was not saved; please try "
                "again in a minute."
            )

    if problem is None and form.validate_on_submit():
        retry = services.RetryPolicy.from_config(current_app.config)
        weeks = form.repeat_weeks.data or 1
        try:
            if weeks > 1:
                outcomes = services.sign_up_weekly(
                    reader(), form.to_request(), weeks, now(), data, retry
                )
                kept = [o.signup for o in outcomes if o.signup is not None]
                if kept:
                    return _signed_up(kept, outcomes, zone)
                form.start.errors.append(_weeks_refused(outcomes, zone))
            else:
                outcome = services.sign_up(reader(), form.to_request(), now(), data, retry)
                return _signed_up([outcome.signup], [], zone)
        except PlaceTaken as refusal_taken:
            form.start.errors.append(refusal_taken.message)
            suggestion, taken = refusal_taken.suggestion, True
        except SignupRefused as refusal:
            getattr(form, refusal.field).errors.append(refusal.message)
        except StorageError as error:
            log.error("signup not completed: %s %s", error.message, error.detail)
            problem = error.message
    if problem and request.method == "POST":
        status = 503
    elif taken:
        status = 409
    else:
        status = 422 if form.errors else 200
    return (
        render_template(
            "signup.html",
            form=form,
            settings=data.settings if data else None,
            problem=problem,
            suggestion=suggestion,
            most_weeks=most_weeks,
        ),
        status,
    )


def _signed_up(kept: list, outcomes: list, zone: ZoneInfo):
    """Give this browser a link to the signups it just made, mail the contact, and redirect.

    The browser gets a link to these signups only, never to the contact's others: typing a
    contact proves nothing. The link to all of a contact's signups goes only by mail, to
    that address.
    """
    first = kept[0]
    ids = kept_ids(kept)
    _remember_made(first.id, ids, _links().for_signups(first.contact, ids))
    if outcomes:
        session["week_report"] = {
            "first": first.id,
            "weeks": [
                [format_utc_start(o.start), o.signup.id if o.signup else "", o.refusal]
                for o in outcomes
            ],
        }
    try:
        zone = parse_zone(first.time_zone)  # the zone they saw the form in
    except BadParameter:
        pass
    _mail(first.contact, "send_signup_confirmation", kept, _contact_url(first.contact), zone)
    return redirect(url_for(".signed_up", signup_id=first.id), code=303)


def kept_ids(kept: list) -> list[str]:
    """The IDs of the signups a form made."""
    return [s.id for s in kept if s.id]


# How many recent signups a browser keeps links to (the session cookie must stay small).
REMEMBERED_SIGNUPS = 8


def _remember_made(first_id: str, ids: list[str], token: str) -> None:
    """Keep, in this browser's session, the IDs it signed up and the link to manage them."""
    links = dict(session.get("signup_links") or {})
    links[first_id] = token
    session["signup_links"] = dict(list(links.items())[-REMEMBERED_SIGNUPS:])
    # The IDs this browser made: only these may cost a fresh read on the confirmation.
    made = ids + [i for i in session.get("made") or [] if i not in ids]
    session["made"] = made[: 4 * REMEMBERED_SIGNUPS]


def _weeks_refused(outcomes: list, zone: ZoneInfo) -> str:
    """Why no week of a repeat could be taken, week by week."""
    lines = [f"{_when(o.start, zone)}: {o.refusal}" for o in outcomes]
    return "None of the weeks could be taken. " + " ".join(lines)


def _links() -> ManageLinks:
    """Makes and reads the site's manage links."""
    return current_app.extensions["sumo_links"]


def site_url() -> str:
    """The site's public address: SITE_URL, never the request's Host when it is set.

    Without SITE_URL (allowed only while mail is off), the address the request came to.
    """
    return current_app.config.get("SITE_URL") or request.url_root.rstrip("/")


def _manage_url(token: str) -> str:
    """The absolute address of a manage page, under the site's own address."""
    return manage_url(site_url(), token)


def _contact_url(contact: str) -> str:
    """The link to every signup of a contact: only ever put in mail to that contact."""
    return _manage_url(_links().for_contact(contact))


def _mail(address: str, name: str, *args) -> bool:
    """Send one of the volunteer emails after the response, if mail is on; never fail the page.

    Only to an email address, and within MAIL_PER_ADDRESS for that address.
    """
    config = current_app.config
    if not config.get("MAIL_SERVER") or not is_email(address):
        return False
    from . import mail

    send = getattr(mail, name)
    current_app.extensions["sumo_outbox"].mail(address, lambda: send(config, *args), name)
    return True


def _when(moment: datetime, zone: ZoneInfo) -> str:
    """A moment as a volunteer reads it: their day and time, with UTC beside."""
    local = moment.astimezone(zone)
    if zone.key == "UTC":
        return f"{local:%a %-d %b %H:%M} UTC"
    return f"{local:%a %-d %b %H:%M} ({moment.astimezone(UTC):%H:%M} UTC)"


def _offer_start_times(form: SignupForm, data: services.SheetData | None, zone: ZoneInfo) -> None:
    """Fill the start list with open hours of the chosen week and the next, grouped by day."""
    try:
        chosen = parse_utc_start(form.start.data) if form.start.data else None
    except BadParameter:
        chosen = None
    moment = chosen or now()
    options: list[SelectChoice] = []
    blocks = []
    if data is not None:
        monday = week_start(moment.astimezone(zone).date())
        blocks = services.open_hours(data, monday, now(), zone=zone)
    for block in blocks:
        day = f"{block.start.astimezone(zone):%A %-d %B}"
        for hour in block.hours:
            if hour >= now() or hour == chosen:
                value = format_utc_start(hour)
                options.append(SelectChoice(value, _hour_label(hour, zone), optgroup=day))
    if chosen and form.start.data not in {option.value for option in options}:
        # Keep what the volunteer asked for in the list, so the error beside it makes sense.
        options.insert(
            0, SelectChoice(form.start.data, _when(chosen, zone), optgroup="Your choice")
        )
    form.start.choices = options


def _hour_label(hour: datetime, zone: ZoneInfo) -> str:
    local, end = hour.astimezone(zone), (hour + HOUR).astimezone(zone)
    if zone.key == "UTC":
        return f"{local:%H:%M}–{end:%H:%M} UTC"
    return f"{local:%H:%M}–{end:%H:%M} ({hour:%H:%M} UTC)"


@bp.get("/signup/done/<signup_id>")
def signed_up(signup_id: str):
    """Confirmation after a signup, read back from the sheet."""
    data = reader().latest()
    made = next((s for s in data.signups if s.id == signup_id), None)
    if (made is None or not made.confirmed) and signup_id in (session.get("made") or []):
        # This process's copy can be seconds old: another process may have just made the
        # row, or put back a Status cell that a coordinator's sort sent astray. For the
        # browser that made the signup, the rare answers (not found, not kept) are checked
        # against the sheet, at most once per cache period per process (a stranger's guessed
        # IDs are answered from the cached copy, at no cost in Google's read quota).
        data, read_now = reader().fresh_if_due()
        made = next((s for s in data.signups if s.id == signup_id), None)
        if read_now and made is not None and made.cancelled and _just_made(made):
            # A just-made row read as cancelled may be another process's astray write
            # in the second before it is put back (Sheets has no conditional write).
            time.sleep(PUT_BACK_GRACE_SECONDS)
            try:
                data = reader().fresh()
            except StorageError:
                pass
        made = next((s for s in data.signups if s.id == signup_id), None)
        if made is None and not read_now:
            # Made moments ago in another process, and this one has just spent its read:
            # the next look, in a few seconds, reads the sheet.
            page = render_template(
                "error.html",
                title="Your signup is being read back",
                message="It was saved a moment ago; this page shows it in a few seconds.",
                status=200,
            )
            return page, 200, {"Refresh": "3"}
    if made is None:
        abort(404, description="No signup with that ID; it may have been removed by a coordinator.")
    # Only the browser that made this signup holds a link to it (the ID in this URL is no
    # proof of anything: it is in mails, calendar files and screenshots people share).
    token = (session.get("signup_links") or {}).get(signup_id)
    grant = _grant_or_none(token) if token else None
    if grant is None or not _links().owns(grant, made.contact, made.id):
        token = None
    report = session.get("week_report")
    weeks = []
    if report and report.get("first") == signup_id:
        by_id = {s.id: s for s in data.signups}
        weeks = [
            (parse_utc_start(start), by_id.get(kept_id), refusal)
            for start, kept_id, refusal in report["weeks"]
        ]
    return render_template(
        "done.html",
        signup=made,
        manage_url=_manage_url(token) if token else None,
        emailed=bool(token and current_app.config.get("MAIL_SERVER") and is_email(made.contact)),
        weeks=weeks,
        zone=viewer_zone(),
    )


PUT_BACK_GRACE_SECONDS = 1.0


def _just_made(signup) -> bool:
    """True for a row signed up in the last two minutes."""
    return signup.signed_up_at is not None and now() - signup.signed_up_at < timedelta(minutes=2)


# -- a volunteer's own signups: the personal manage link ---------------------------------


def _grant_or_none(token: str) -> Grant | None:
    """What a manage link reaches, or None if it does not work (any more)."""
    try:
        return _links().read(token)
    except BadToken:
        return None


def _grant_from(token: str) -> Grant:
    """What a manage link reaches; a 403 page saying why if it does not work."""
    try:
        return _links().read(token)
    except BadToken as error:
        abort(403, description=error.message)


def _owned(data: services.SheetData, grant: Grant) -> list:
    """The signups a link reaches, in time order."""
    links = _links()
    return sorted(
        (s for s in data.signups if links.owns(grant, s.contact, s.id)),
        key=lambda s: (s.start, s.row),
    )


@bp.get("/my/<token>")
def my_signups(token: str):
    """A volunteer's upcoming signups, hours per role per week, and a cancel button each."""
    grant = _grant_from(token)
    # From now on the schedule marks this volunteer's own places in this browser.
    session["me"] = token
    zone = viewer_zone()
    data = reader().latest()
    mine = _owned(data, grant)
    upcoming = [s for s in mine if s.end > now() and s.confirmed]
    cutoff = timedelta(hours=float(current_app.config["CANCEL_CUTOFF_HOURS"]))
    return render_template(
        "my.html",
        token=token,
        whole_contact=grant.whole_contact,
        upcoming=upcoming,
        recently_cancelled=[s for s in mine if s.cancelled and s.end > now()],
        not_counted=[s for s in mine if s.over_maximum and not s.cancelled and s.end > now()],
        weeks=services.hours_by_week(upcoming, zone),
        can_cancel={s.id: bool(s.id) and s.start - cutoff > now() for s in upcoming},
        cutoff=cutoff,
        stale_since=data.stale_since,
        zone=zone,
        messages=get_flashed_messages(with_categories=True),
        form=CancelForm(),
    )


@bp.post("/my/<token>/cancel/<signup_id>")
def cancel_mine(token: str, signup_id: str):
    """Cancel one of the signups this link reaches (only its Status cell changes)."""
    grant = _grant_from(token)
    if not CancelForm().validate_on_submit():
        abort(400, description="This form has expired; please reload the page and try again.")
    cutoff = timedelta(hours=float(current_app.config["CANCEL_CUTOFF_HOURS"]))
    links = _links()
    # The cached copy first: a link that holds no such signup costs no read of the sheet,
    # however often it is posted.
    held = next((s for s in _owned(reader().latest(), grant) if s.id == signup_id), None)
    if held is None or not held.confirmed:
        flash("That signup is not one of yours, or it was already cancelled.", "error")
        return redirect(url_for(".my_signups", token=token), code=303)
    try:
        cancelled = services.cancel_own_signup(
            reader(), lambda s: links.owns(grant, s.contact, s.id), signup_id, now(), cutoff
        )
    except services.TooLateToCancel as refusal:
        flash(str(refusal), "error")
        return redirect(url_for(".my_signups", token=token), code=303)
    if cancelled is None:
        flash("That signup is not one of yours, or it was already cancelled.", "error")
        return redirect(url_for(".my_signups", token=token), code=303)
    zone = viewer_zone()
    flash(
        f"Cancelled: {cancelled.role.label}, {_when(cancelled.start, zone)}. Thank you for "
        "letting us know.",
        "done",
    )
    _mail(
        cancelled.contact,
        "send_cancellation",
        cancelled,
        _contact_url(cancelled.contact),
        zone,
    )
    return redirect(url_for(".my_signups", token=token), code=303)


@bp.route("/my", methods=["GET", "POST"])
def lost_link():
    """Ask for the manage link again; it goes only to that address, and the answer never says."""
    form = LostLinkForm()
    sent = False
    if form.validate_on_submit():
        address = form.email.data
        if current_app.config.get("MAIL_SERVER") and is_email(address):
            # Looked up after the response, like every mail: the page answers alike, and
            # as fast, for an address that signed up and one that did not.
            _outbox().submit(_lost_link_job(address, site_url()))
        sent = True
    return render_template(
        "lost_link.html",
        form=form,
        sent=sent,
        mail_on=bool(current_app.config.get("MAIL_SERVER")),
    ), (422 if form.errors else 200)


def _outbox():
    return current_app.extensions["sumo_outbox"]


def _lost_link_job(address: str, base_url: str):
    """Mail a contact's link to the address, if it has signed up (run after the response)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def job() -> None:
        from . import mail

        links: ManageLinks = app.extensions["sumo_links"]
        sheet = app.extensions["sumo_reader"]
        try:
            data = sheet.latest()  # the cached copy: this form must not spend read quota
        except StorageError as error:
            log.warning("lost-link lookup failed: %s", error.message)
            return
        wanted = links.contact_hash(address)
        if not any(links.contact_hash(s.contact) == wanted for s in data.signups):
            return
        url = manage_url(base_url, links.for_contact(address))
        app.extensions["sumo_outbox"].send_now(
            address, lambda: mail.send_manage_link(app.config, address, url), "manage link"
        )

    return job


# -- for coordinators and people on shift ---------------------------------------------------


@bp.get("/needed")
def needed():
    """Where help is needed over the next two weeks: the link coordinators post in chat."""
    data = reader().latest()
    return render_template(
        "needed.html",
        needed=services.help_needed(data, now()),
        hourly_roles=HOURLY_ROLES,
        stale_since=data.stale_since,
        zone=viewer_zone(),
    )


@bp.route("/findings", methods=["GET", "POST"])
def findings():
    """Room monitors (or anyone on shift) log what they saw; recent findings, names only."""
    form = FindingForm()
    zone = viewer_zone()
    form.ensure_request_id()
    if request.method == "GET" and not form.when.data:
        form.when.data = now().astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    problem = None
    if form.validate_on_submit():
        try:
            at = parse_local_time(form.when.data, zone)
        except BadParameter as error:
            form.when.errors.append(f"Please {error}.")
        else:
            if not now() - timedelta(days=60) <= at <= now() + timedelta(hours=1):
                form.when.errors.append("Give a time from the last 60 days, not the future.")
            else:
                finding = Finding(
                    id="",
                    logged_at=now(),
                    at=at,
                    name=form.name.data.strip(),
                    contact=form.contact.data.strip(),
                    seen=form.seen.data.strip(),
                    advice=(form.advice.data or "").strip(),
                    link=form.link.data or "",
                    request_id=form.request_id.data,
                )
                try:
                    services.log_finding(storage(), finding)
                    reader().invalidate_findings()
                except StorageError as error:
                    problem = f"{error.message} Your finding was not saved; please try again."
                else:
                    flash("Thank you: your finding is logged for the coordinators.", "done")
                    return redirect(url_for(".findings"), code=303)
    try:
        # At most one read of the Findings tab per cache period: a public page.
        recent = reader().findings(now())
    except StorageError as error:
        recent, problem = [], problem or error.message
    status = 503 if problem and request.method == "POST" else (422 if form.errors else 200)
    return render_template(
        "findings.html",
        form=form,
        recent=recent,
        problem=problem,
        zone=zone,
        messages=get_flashed_messages(with_categories=True),
    ), status


@bp.get("/hours")
def hours():
    """Hours per volunteer per role for a week or a month, to thank people: names only."""
    zone = viewer_zone()
    month = _query("month", parse_month)
    if month is not None:
        first = month
        after = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        title = f"{first:%B %Y}"
    else:
        first = _query("week", parse_week) or week_start(now().astimezone(zone).date())
        after = first + timedelta(days=7)
        title = f"week of {first:%-d %B %Y}"
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(after, datetime.min.time(), tzinfo=zone)
    data = reader().latest()
    people = services.volunteer_hours(data, start, end)
    return render_template(
        "hours.html",
        people=people,
        roles_shown=[role for role in Role if any(role in p.by_role for p in people)],
        title=title,
        month=month,
        first=first,
        stale_since=data.stale_since,
        zone=zone,
    )


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
    if data.stale_since is not None:
        error = reader().last_error
        return jsonify(
            status="degraded",
            storage=backend.backend_name,
            error=error.message if error else "The sheet cannot be read right now.",
            stale_since=format_utc_start(data.stale_since),
        )
    return jsonify(status="ok", storage=backend.backend_name)


def register_error_pages(app: Flask) -> None:
    """Friendly pages for errors, with the reason, instead of tracebacks."""

    @app.errorhandler(StorageError)
    def storage_unavailable(error: StorageError):
        log.error("storage error: %s %s", error.message, error.detail)
        return _error_page(503, "The schedule cannot be reached", error.message)

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError):
        return _error_page(
            400,
            "This form has expired",
            "Please go back, reload the page and send the form again.",
        )

    @app.errorhandler(SecurityError)
    def untrusted_host(error: SecurityError):
        # No page with links can be drawn for a host that is not ours: a plain answer.
        return Response(
            "400 Bad Request: this site answers only at its own address.\n",
            status=400,
            content_type="text/plain; charset=utf-8",
        )

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge):
        kib = int(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // 1024
        return _error_page(
            413,
            "That was too much to send",
            f"That was more than a form on this site can hold ({kib} KiB at most), so "
            "nothing was saved. Please go back, shorten what you typed (a note or a finding "
            "is at most 2,000 characters) and send it again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _error_page(error.code or 500, error.name, error.description or "")


def _error_page(status: int, title: str, message: str):
    if request.path.startswith("/api/") or request.path == "/healthz":
        return jsonify(error=title, message=message), status
    return render_template("error.html", title=title, message=message, status=status), status


def register_template_helpers(app: Flask) -> None:
    """Filters and globals the templates use to show times and build links."""
    app.jinja_env.filters["utc_start"] = format_utc_start
    app.jinja_env.filters["week"] = format_week
    app.jinja_env.globals["roles"] = Role

    @app.template_filter("local")
    def local_time(moment: datetime, zone) -> str:
        return moment.astimezone(zone).strftime("%H:%M")

    @app.template_global()
    def signup_url(role: Role, start: datetime) -> str:
        return url_for("schedule.signup", role=role.value, start=format_utc_start(start))

    @app.template_global()
    def today() -> date:
        return now().astimezone(viewer_zone(strict=False)).date()

    app.jinja_env.globals["viewer_zone"] = lambda: viewer_zone(strict=False)
    app.jinja_env.globals["zone_names"] = zone_names
    app.jinja_env.globals["zone_options"] = zone_options
    app.jinja_env.globals.update(
        timedelta1=timedelta(days=1), timedelta4=timedelta(days=4), timedelta7=timedelta(days=7)
    )

    @app.template_filter("at")
    def at(moment: datetime) -> str:
        """A moment's time of day for the viewer."""
        return moment.astimezone(viewer_zone(strict=False)).strftime("%H:%M")

    @app.template_filter("when")
    def when(moment: datetime) -> str:
        """A moment's day and time for the viewer, with UTC beside."""
        return _when(moment, viewer_zone(strict=False))

    @app.template_filter("utc_iso")
    def utc_iso(moment: datetime) -> str:
        """A moment in ISO 8601 UTC, for <time datetime=...>."""
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
