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
    session,
    url_for,
)

from .. import mail, services, timezones
from ..contacts import is_email
from ..forms import CancelForm, LostLinkForm
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
        cutoff=cutoff,
        stale_since=data.stale_since,
        zone=zone,
        messages=get_flashed_messages(with_categories=True),
        form=CancelForm(),
    )


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
