"""A volunteer's own signups by their personal link: the page, cancelling, and asking for
the link again by email."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from .. import calendar, mail, services, timezones
from ..contacts import is_email
from ..forms import CancelForm, LostLinkForm
from ..model import HOUR
from ..services import shortening
from ..storage import StorageError
from ..tokens import BadToken, Grant, ManageLinks, manage_url
from .web import (
    contact_url,
    grant_or_none,
    links,
    mail_on,
    manage_page_url,
    now,
    outbox,
    owned,
    reader,
    send_mail,
    site_url,
    viewer_zone,
)

log = logging.getLogger(__name__)

bp = Blueprint("mine", __name__)

NOT_YOURS = "That signup is not one of yours, or it was already cancelled."


def _grant_from(token: str) -> Grant:
    """What a manage link reaches; a 403 page saying why if it does not work."""
    try:
        return links().read(token)
    except BadToken as error:
        abort(403, description=error.message)


def _cutoff() -> timedelta:
    """How long before a shift volunteers may still cancel it themselves."""
    return timedelta(hours=float(current_app.config["CANCEL_CUTOFF_HOURS"]))


@bp.get("/my/<token>")
def signups(token: str):
    """A volunteer's upcoming signups, hours per role per week, and a cancel button each."""
    grant = _grant_from(token)
    # From now on the schedule marks this volunteer's own places in this browser.
    session["me"] = token
    zone = viewer_zone()
    data = reader().latest()
    mine = owned(data, grant)
    at = now()
    upcoming = [s for s in mine if s.end > at and s.confirmed]
    cutoff = _cutoff()
    return render_template(
        "my.html",
        token=token,
        whole_contact=grant.whole_contact,
        upcoming=upcoming,
        recently_cancelled=[s for s in mine if s.cancelled and s.end > at],
        not_counted=[s for s in mine if s.over_maximum and not s.cancelled and s.end > at],
        weeks=services.hours_by_week(upcoming, zone),
        can_cancel={s.id: services.can_cancel(s, at, cutoff) for s in upcoming},
        add_links=_add_links(upcoming, manage_page_url(token)),
        webcal_url=_webcal(url_for("feeds.my_ics", token=token)),
        cutoff=cutoff,
        stale_since=data.stale_since,
        zone=zone,
        messages=get_flashed_messages(with_categories=True),
        form=CancelForm(),
    )


def _add_links(signups: list, manage: str) -> dict[str, tuple[str, str]]:
    """Per signup: its "Add to Google Calendar" and Outlook addresses."""
    return {
        s.id: (calendar.google_link(s, manage), calendar.outlook_link(s, manage)) for s in signups
    }


def _webcal(path: str) -> str:
    """A feed's subscribe address: the site's own address with webcal:// for its scheme."""
    base = site_url().rstrip("/")
    return "webcal://" + base.split("://", 1)[-1] + path


def _held(grant: Grant, signup_id: str):
    """The confirmed upcoming signup with that ID this link reaches, from the cached copy."""
    held = next((s for s in owned(reader().latest(), grant) if s.id == signup_id), None)
    return held if held is not None and held.confirmed and held.end > now() else None


@bp.get("/my/<token>/cancel/<signup_id>")
def confirm_cancel(token: str, signup_id: str):
    """Ask before cancelling, naming the shift; offer to keep only part of a long one."""
    grant = _grant_from(token)
    held = _held(grant, signup_id)
    if held is None:
        flash(NOT_YOURS, "error")
        return redirect(url_for(".signups", token=token), code=303)
    zone = viewer_zone()
    spans = shortening.shorter_spans(held) if shortening.can_shorten(held) else []
    return render_template(
        "my_cancel.html",
        token=token,
        signup=held,
        shift=timezones.format_span(held.start, held.end, zone),
        can_cancel=services.can_cancel(held, now(), _cutoff()),
        spans=[(_span_value(held, a, b), _span_label(held, a, b, zone)) for a, b in spans],
        form=CancelForm(),
    )


def _span_value(signup, start, end) -> str:
    return f"{int((start - signup.start) / HOUR)}-{int((end - signup.start) / HOUR)}"


def _span_label(signup, start, end, zone) -> str:
    dropped = []
    if start > signup.start:
        dropped.append(f"{timezones.clock(signup.start, zone)}–{timezones.clock(start, zone)}")
    if end < signup.end:
        dropped.append(f"{timezones.clock(end, zone)}–{timezones.clock(signup.end, zone)}")
    kept = f"{timezones.clock(start, zone)}–{timezones.clock(end, zone)}"
    return f"Keep {kept}, drop {' and '.join(dropped)}"


@bp.post("/my/<token>/shorten/<signup_id>")
def shorten(token: str, signup_id: str):
    """Keep only part of a multi-hour signup (its Date/Start/End cells change, nothing else)."""
    grant = _grant_from(token)
    if not CancelForm().validate_on_submit():
        abort(400, description="This form has expired; please reload the page and try again.")
    back = redirect(url_for(".signups", token=token), code=303)
    held = _held(grant, signup_id)
    span = _span_asked(held, request.form.get("keep", "")) if held else None
    if held is None or span is None:
        flash(NOT_YOURS if held is None else "Choose which hours to keep.", "error")
        return back
    manage = links()
    zone = viewer_zone()
    try:
        result = shortening.shorten_own_signup(
            reader(),
            lambda s: manage.owns(grant, s.contact, s.id),
            signup_id,
            span,
            now(),
            _cutoff(),
        )
    except (services.TooLateToCancel, shortening.CannotShorten) as refusal:
        flash(timezones.describe(refusal, zone), "error")
        return back
    if result is None:
        flash(NOT_YOURS, "error")
        return back
    after = result[1]
    shift = timezones.format_span(after.start, after.end, zone)
    flash(f"Shortened: you are now {after.role.label}, {shift}. Thank you.", "done")
    return back


def _span_asked(signup, text: str):
    """The span a "first-last" hour pair names, or None if it is not a number pair."""
    first, _, last = text.partition("-")
    if not (first.isdigit() and last.isdigit()):
        return None
    return signup.start + int(first) * HOUR, signup.start + int(last) * HOUR


@bp.post("/my/<token>/cancel/<signup_id>")
def cancel(token: str, signup_id: str):
    """Cancel one of the signups this link reaches (only its Status cell changes)."""
    grant = _grant_from(token)
    if not CancelForm().validate_on_submit():
        abort(400, description="This form has expired; please reload the page and try again.")
    back = redirect(url_for(".signups", token=token), code=303)
    # The cached copy first: a link that holds no such signup costs no read of the sheet,
    # however often it is posted.
    held = next((s for s in owned(reader().latest(), grant) if s.id == signup_id), None)
    if held is None or not held.confirmed:
        flash(NOT_YOURS, "error")
        return back
    manage = links()
    zone = viewer_zone()
    try:
        cancelled = services.cancel_own_signup(
            reader(), lambda s: manage.owns(grant, s.contact, s.id), signup_id, now(), _cutoff()
        )
    except services.TooLateToCancel as refusal:
        flash(timezones.describe(refusal, zone), "error")
        return back
    if cancelled is None:
        flash(NOT_YOURS, "error")
        return back
    flash(
        f"Cancelled: {cancelled.role.label}, {timezones.when(cancelled.start, zone)}. Thank "
        "you for letting us know.",
        "done",
    )
    url = contact_url(cancelled.contact)
    send_mail(cancelled.contact, mail.send_cancellation, cancelled, url, zone)
    return back


@bp.route("/my", methods=["GET", "POST"])
def lost_link():
    """Ask for the manage link again; it goes only to that address, and the answer never says."""
    form = LostLinkForm()
    sent = False
    if form.validate_on_submit():
        address = form.email.data
        if mail_on() and is_email(address):
            # Looked up after the response, like every mail: the page answers alike, and
            # as fast, for an address that signed up and one that did not.
            outbox().submit(_lost_link_job(address, site_url()))
        sent = True
    page = render_template(
        "lost_link.html",
        form=form,
        sent=sent,
        mail_on=mail_on(),
        made_here=_links_made_here(),
    )
    return page, (422 if form.errors else 200)


def _links_made_here() -> list[tuple[str, str]]:
    """The manage links this browser was given on its confirmation pages (signup ID, URL),
    newest first: the way back for a chat nick, or when no mail can be sent."""
    made = []
    for signup_id, token in (session.get("signup_links") or {}).items():
        if grant_or_none(token) is not None:
            made.append((signup_id, manage_page_url(token)))
    return made[::-1]


def _lost_link_job(address: str, base_url: str):
    """Mail a contact's link to the address, if it has signed up (run after the response)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def job() -> None:
        manage: ManageLinks = app.extensions["sumo_links"]
        try:
            data = app.extensions["sumo_reader"].latest()  # cached: no read quota spent
        except StorageError as error:
            log.warning("lost-link lookup failed: %s", error.message)
            return
        wanted = manage.contact_hash(address)
        if not any(manage.contact_hash(s.contact) == wanted for s in data.signups):
            return
        url = manage_url(base_url, manage.for_contact(address))
        app.extensions["sumo_outbox"].send_now(
            address, lambda: mail.send_manage_link(app.config, address, url), "manage link"
        )

    return job
