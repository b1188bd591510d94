"""Pages for coordinators and people on shift: where help is needed, findings, and hours."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import (
    Blueprint,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)

from .. import services
from ..forms import BadParameter, FindingForm, parse_local_time, parse_month
from ..model import HOURLY_ROLES, Role
from ..sheet_format import Finding
from ..storage import StorageError, TabMissing
from .schedule import monday_asked
from .web import now, query, reader, storage, viewer_zone

bp = Blueprint("coordinators", __name__)


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
        finding = _finding_from(form, zone)
        if finding is not None:
            try:
                services.log_finding(storage(), finding)
                reader().invalidate_findings()
            except StorageError as error:
                again = "" if isinstance(error, TabMissing) else "; please try again"
                problem = f"{error.message} Your finding was not saved{again}."
            else:
                flash("Thank you: your finding is logged for the coordinators.", "done")
                return redirect(url_for(".findings"), code=303)
    try:
        # At most one read of the Findings tab per cache period: a public page.
        recent = reader().findings(now())
    except StorageError as error:
        recent, problem = [], problem or error.message
    status = 503 if problem and request.method == "POST" else (422 if form.errors else 200)
    page = render_template(
        "findings.html",
        form=form,
        recent=recent,
        problem=problem,
        zone=zone,
        messages=get_flashed_messages(with_categories=True),
    )
    return page, status


def _finding_from(form: FindingForm, zone) -> Finding | None:
    """The finding the form describes, or None with the reason put beside the time."""
    try:
        at = parse_local_time(form.when.data, zone)
    except BadParameter as error:
        form.when.errors.append(f"Please {error}.")
        return None
    if not services.finding_time_allowed(at, now()):
        form.when.errors.append(services.FINDING_TIME_RULE)
        return None
    return Finding(
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


@bp.get("/hours")
def hours():
    """Hours per volunteer per role for a week or a month, to thank people: names only."""
    zone = viewer_zone()
    month = query("month", parse_month)
    if month is not None:
        first, after = month, _next_month(month)
        title = f"{first:%B %Y}"
    else:
        first = monday_asked(zone)
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


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)
