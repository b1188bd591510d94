"""The signup form and its confirmation page, read back from the sheet."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from wtforms.fields.choices import SelectChoice

from .. import mail, services, timezones
from ..contacts import is_email
from ..forms import BadParameter, SignupForm, format_utc_start, parse_role, parse_utc_start
from ..model import HOUR, PlaceTaken, SignupRefused, SlotFull, block_at, week_start
from ..storage import StorageError
from .web import (
    contact_url,
    grant_or_none,
    lasting_read_error,
    links,
    mail_on,
    manage_page_url,
    now,
    query,
    reader,
    send_mail,
    viewer_zone,
)

log = logging.getLogger(__name__)

bp = Blueprint("signup", __name__)

# How many recent signups a browser keeps links to (the session cookie must stay small).
REMEMBERED_SIGNUPS = 8
PUT_BACK_GRACE_SECONDS = 1.0


@dataclass
class _Trouble:
    """Why the form is shown again: the sheet's problem, or a place just taken."""

    problem: str | None = None
    suggestion: datetime | None = None
    taken: bool = False


@bp.route("/signup", methods=["GET", "POST"])
def form():
    """The signup form, pre-filled from ?role= and ?start=; Post/Redirect/Get on success."""
    zone = viewer_zone()
    most_weeks = int(current_app.config["REPEAT_WEEKS_MAX"])
    form = SignupForm(most_weeks=most_weeks)
    warning = _prefill(form, zone) if request.method == "GET" else None
    form.ensure_request_id()
    if timezones.zone_or(form.time_zone.data or "", None) is None:
        form.time_zone.data = zone.key  # the zone the volunteer sees, kept for their mail
    data, problem = _sheet_for_form()
    _offer_start_times(form, data, zone)
    trouble = _Trouble(problem)
    if problem is None and form.validate_on_submit():
        answer = _submit(form, data, zone)
        if not isinstance(answer, _Trouble):
            return answer
        trouble = answer
    if trouble.problem and request.method == "POST":
        status = 503
    elif trouble.taken:
        status = 409
    else:
        status = 422 if form.errors else 200
    page = render_template(
        "signup.html",
        form=form,
        settings=data.settings if data else None,
        problem=trouble.problem,
        suggestion=trouble.suggestion,
        most_weeks=most_weeks,
        warning=warning,
        anchor_block=_anchor_block(form, data, zone),
    )
    return page, status


def _prefill(form: SignupForm, zone: ZoneInfo) -> str | None:
    """The role and start a link asked for (?role=, ?start=), and the name and contact this
    browser last signed up with; a warning when the link's hour has already begun."""
    role = query("role", parse_role)
    start = query("start", parse_utc_start)
    if role:
        form.role.data = role.value
    form.name.data, form.contact.data = session.get("signer") or (None, None)
    if start and start < now():
        # An old link from a chat room: say so now, not after the form is sent.
        passed = "has already passed" if start + HOUR <= now() else "has already started"
        return f"This link is for {timezones.when(start, zone)}, which {passed}. Pick another hour."
    if start:
        form.start.data = format_utc_start(start)
    return None


def _anchor_block(form: SignupForm, data: services.SheetData | None, zone: ZoneInfo) -> str:
    """What an Anchor takes: the whole block of the chosen start (14:00–16:00 UTC)."""
    try:
        start = parse_utc_start(form.start.data) if form.start.data else None
    except BadParameter:
        start = None
    block = block_at(data.blocks_near(start), start) if data and start else None
    if block is None:
        return "the whole block the start you pick is in"
    local = f"{timezones.clock(block.start, zone)}–{timezones.clock(block.end, zone)}"
    if zone.key == "UTC":
        return f"the whole block, {local} UTC"
    return f"the whole block, {local} ({block.start:%H:%M}–{block.end:%H:%M} UTC)"


_NOT_SAVED = {"POST": " Your signup was not saved."}


def _sheet_for_form() -> tuple[services.SheetData | None, str | None]:
    """The copy of the sheet to draw the form from, and why signups cannot be saved now."""
    try:
        # The cached copy may only refuse early: a signup is decided on the read made after
        # its row is appended (services.sign_up), and never while the copy is stale.
        data = reader().latest()
    except StorageError as error:
        again = "; please try again in a minute" if error.transient else ""
        return reader().last_good(), f"{error.message} Your signup was not saved{again}."
    if data.tab_notices and not data.stale_since:
        # No Signups tab (or no Schedule): say what is wrong and how to fix it; the form keeps
        # what the volunteer typed, and nothing is written.
        return data, " ".join(data.tab_notices) + _NOT_SAVED.get(request.method, "")
    if not data.stale_since:
        return data, None
    lasting = lasting_read_error()
    if request.method == "POST":
        if lasting:
            return data, f"{lasting} Your signup was not saved."
        return data, (
            "The sheet cannot be read right now. Your signup was not saved; please try "
            "again in a minute."
        )
    if lasting:
        return data, f"{lasting} Until then signups cannot be saved."
    return data, "The sheet cannot be read right now, so signups cannot be saved at the moment."


def _submit(form: SignupForm, data: services.SheetData | None, zone: ZoneInfo):
    """Sign up as the form asks: a redirect to the confirmation, or why the form is back."""
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
    except PlaceTaken as taken:
        form.start.errors.append(timezones.describe(taken, zone))
        return _Trouble(suggestion=taken.suggestion, taken=True)
    except SlotFull as full:
        form.role.errors.append(timezones.describe(full, zone))
        return _Trouble(suggestion=_nearest_open(form, data))
    except SignupRefused as refusal:
        getattr(form, refusal.field).errors.append(timezones.describe(refusal, zone))
    except StorageError as error:
        log.error("signup not completed: %s %s", error.message, error.detail)
        return _Trouble(problem=_tab_gone_meanwhile() or error.message)
    return _Trouble()


def _nearest_open(form: SignupForm, data: services.SheetData | None) -> datetime | None:
    """The nearest hour where the same signup (same role) would be taken now."""
    if data is None or (form.repeat_weeks.data or 1) > 1:
        return None
    return services.nearest_open_start(data, form.to_request(), data.signups, now())


def _tab_gone_meanwhile() -> str | None:
    """When a signup failed because a coordinator deleted the Signups tab as it was saved,
    say that (and how to fix it) rather than "try again"; one read, on this error path only."""
    try:
        notices = reader().fresh().tab_notices
    except StorageError:
        return None
    return " ".join(notices) + _NOT_SAVED["POST"] if notices else None


def _signed_up(kept: list, outcomes: list, zone: ZoneInfo):
    """Give this browser a link to the signups it just made, mail the contact, and redirect.

    The browser gets a link to these signups only, never to the contact's others: typing a
    contact proves nothing. The link to all of a contact's signups goes only by mail, to
    that address.
    """
    first = kept[0]
    ids = [s.id for s in kept if s.id]
    # "Sign up for another slot" in this browser starts with the same name and contact.
    session["signer"] = [first.name, first.contact]
    _remember_made(first.id, ids, links().for_signups(first.contact, ids))
    if outcomes:
        session["week_report"] = {
            "first": first.id,
            "weeks": [
                [format_utc_start(o.start), o.signup.id if o.signup else "", o.refusal]
                for o in outcomes
            ],
        }
    zone = timezones.zone_or(first.time_zone, zone)  # the zone they saw the form in
    send_mail(first.contact, mail.send_signup_confirmation, kept, contact_url(first.contact), zone)
    return redirect(url_for(".done", signup_id=first.id), code=303)


def _remember_made(first_id: str, ids: list[str], token: str) -> None:
    """Keep, in this browser's session, the IDs it signed up and the link to manage them."""
    made_links = dict(session.get("signup_links") or {})
    made_links[first_id] = token
    session["signup_links"] = dict(list(made_links.items())[-REMEMBERED_SIGNUPS:])
    # The IDs this browser made: only these may cost a fresh read on the confirmation.
    made = ids + [i for i in session.get("made") or [] if i not in ids]
    session["made"] = made[: 4 * REMEMBERED_SIGNUPS]


def _weeks_refused(outcomes: list, zone: ZoneInfo) -> str:
    """Why no week of a repeat could be taken, week by week."""
    lines = [f"{timezones.when(o.start, zone)}: {o.refusal}" for o in outcomes]
    return "None of the weeks could be taken. " + " ".join(lines)


def _offer_start_times(form: SignupForm, data: services.SheetData | None, zone: ZoneInfo) -> None:
    """Fill the start list with open hours of the chosen week and the next, grouped by day."""
    try:
        chosen = parse_utc_start(form.start.data) if form.start.data else None
    except BadParameter:
        chosen = None
    blocks = []
    if data is not None:
        monday = week_start((chosen or now()).astimezone(zone).date())
        blocks = services.open_hours(data, monday, now(), zone=zone)
    options = [
        SelectChoice(
            format_utc_start(hour),
            _start_label(hour, zone),
            optgroup=timezones.day_heading(block.start, zone),
        )
        for block in blocks
        for hour in block.hours
        if hour >= now() or hour == chosen
    ]
    if chosen and form.start.data not in {option.value for option in options}:
        # Keep what the volunteer asked for in the list, so the error beside it makes sense.
        options.insert(
            0,
            SelectChoice(form.start.data, timezones.when(chosen, zone), optgroup="Your choice"),
        )
    form.start.choices = options


def _start_label(hour: datetime, zone: ZoneInfo) -> str:
    """One start option with its day, so the chosen one reads whole: Mon 30 Nov, 15:00–16:00."""
    return f"{hour.astimezone(zone):%a %-d %b}, {timezones.hour_label(hour, zone)}"


# -- the confirmation -----------------------------------------------------------------------


def _find(data: services.SheetData, signup_id: str):
    return next((s for s in data.signups if s.id == signup_id), None)


@bp.get("/signup/done/<signup_id>")
def done(signup_id: str):
    """Confirmation after a signup, read back from the sheet."""
    data = reader().latest()
    made = _find(data, signup_id)
    if (made is None or not made.confirmed) and signup_id in (session.get("made") or []):
        data, made, read_now = _read_back(signup_id)
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
    token = _link_to(made)
    return render_template(
        "done.html",
        signup=made,
        manage_url=manage_page_url(token) if token else None,
        emailed=bool(token and mail_on() and is_email(made.contact)),
        by_mail=is_email(made.contact),
        weeks=_week_report(data, signup_id),
        zone=viewer_zone(),
    )


def _read_back(signup_id: str):
    """The sheet as read now (at most once per cache period per process), the signup in
    it, and whether it was read now.

    This process's copy can be seconds old: another process may have just made the row, or
    put back a Status cell that a coordinator's sort sent astray. For the browser that made
    the signup, the rare answers (not found, not kept) are checked against the sheet (a
    stranger's guessed IDs are answered from the cached copy, at no cost in read quota).
    """
    data, read_now = reader().fresh_if_due()
    made = _find(data, signup_id)
    if read_now and made is not None and made.cancelled and _just_made(made):
        # A just-made row read as cancelled may be another process's astray write
        # in the second before it is put back (Sheets has no conditional write).
        time.sleep(PUT_BACK_GRACE_SECONDS)
        try:
            data = reader().fresh()
        except StorageError:
            pass
        made = _find(data, signup_id)
    return data, made, read_now


def _just_made(signup) -> bool:
    """True for a row signed up in the last two minutes."""
    return signup.signed_up_at is not None and now() - signup.signed_up_at < timedelta(minutes=2)


def _link_to(made) -> str | None:
    """This browser's manage link to the signup, if it made it.

    Only the browser that made this signup holds a link to it (the ID in the URL is no
    proof of anything: it is in mails, calendar files and screenshots people share).
    """
    token = (session.get("signup_links") or {}).get(made.id)
    grant = grant_or_none(token) if token else None
    if grant is None or not links().owns(grant, made.contact, made.id):
        return None
    return token


def _week_report(data: services.SheetData, signup_id: str) -> list:
    """Each week a repeat asked for, with the signup kept or why it was not."""
    report = session.get("week_report")
    if not report or report.get("first") != signup_id:
        return []
    by_id = {s.id: s for s in data.signups}
    return [
        (parse_utc_start(start), by_id.get(kept_id), refusal)
        for start, kept_id, refusal in report["weeks"]
    ]
