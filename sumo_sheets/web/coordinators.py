"""Pages for coordinators and people on shift: where help is needed, findings, and hours."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import (
    Blueprint,
    Response,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)

from .. import services, timezones
from ..forms import BadParameter, FindingForm, parse_local_time, parse_month
from ..model import HOURLY_ROLES, Role, week_start
from ..sheet_format import Finding
from ..storage import StorageError, TabMissing
from .schedule import monday_asked
from .web import now, query, reader, signup_url, site_url, storage, viewer_zone

bp = Blueprint("coordinators", __name__)


@bp.get("/needed")
def needed():
    """Where help is needed over the next two weeks: the link coordinators post in chat."""
    data = reader().latest()
    zone = viewer_zone()
    help_needed = services.help_needed(data, now())
    return render_template(
        "needed.html",
        needed=help_needed,
        summary=_summary(help_needed, zone),
        hourly_roles=HOURLY_ROLES,
        stale_since=data.stale_since,
        zone=zone,
    )


@bp.get("/needed.txt")
def needed_text():
    """The same as plain text, short enough to paste into a Matrix or IRC room."""
    data = reader().latest()
    zone = viewer_zone()
    help_needed = services.help_needed(data, now())
    base = site_url()
    lines = [f"Live Chat: where help is needed (times in {zone.key.replace('_', ' ')})"]
    lines += _summary(help_needed, zone)
    if help_needed.uncovered:
        lines += ["", "Nobody answering users (sign up as Helper):"]
        lines += [
            f"- {timezones.when(h.start, zone)}: {base}{signup_url(Role.HELPER, h.start)}"
            for h in help_needed.uncovered[:TEXT_ENTRIES]
        ]
    if help_needed.anchorless:
        lines += ["", "Blocks without an Anchor:"]
        for view in help_needed.anchorless[:TEXT_ENTRIES]:
            start = view.block.start
            lines.append(f"- {timezones.when(start, zone)}: {base}{signup_url(Role.ANCHOR, start)}")
    lines += ["", f"Everything: {base}{url_for('.needed')}"]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


# At most this many entries a list in /needed.txt: a chat message, not a page.
TEXT_ENTRIES = 8
# At most this many stretches of hours named in a summary line.
SUMMARY_RUNS = 6


def _summary(help_needed: services.HelpNeeded, zone) -> list[str]:
    """A line for this week and one for next (the viewer's weeks): the uncovered hours."""
    monday = week_start(now().astimezone(zone).date())
    after = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=zone)
    this_week = [h for h in help_needed.uncovered if h.start < after]
    next_week = [h for h in help_needed.uncovered if h.start >= after]
    return [
        _summary_line("This week", this_week, zone),
        _summary_line("Next week", next_week, zone),
    ]


def _summary_line(label: str, hours: list, zone) -> str:
    if not hours:
        return f"{label}: every staffed hour has someone answering users."
    runs: list[list] = []
    for hour in hours:
        if runs and runs[-1][1] == hour.start:
            runs[-1][1] = hour.end
        else:
            runs.append([hour.start, hour.end])
    named = ", ".join(_run_text(start, end, zone) for start, end in runs[:SUMMARY_RUNS])
    more = ", …" if len(runs) > SUMMARY_RUNS else ""
    count = f"{len(hours)} hour{'s' if len(hours) != 1 else ''}"
    return f"{label}: {count} with nobody answering — {named}{more}"


def _run_text(start: datetime, end: datetime, zone) -> str:
    """Tue 14–16, or Tue 14:30–16:30 when hours do not start on the hour."""
    first, last = start.astimezone(zone), end.astimezone(zone)
    spell = "%H" if first.minute == 0 and last.minute == 0 else "%H:%M"
    return f"{first:%a} {first.strftime(spell)}–{last.strftime(spell)}"


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
    done, planned = services.hours_done_and_planned(data, start, end, now())
    return render_template(
        "hours.html",
        done=done,
        planned=planned,
        roles_shown=[role for role in Role if any(role in p.by_role for p in done + planned)],
        title=title,
        month=month,
        first=first,
        stale_since=data.stale_since,
        zone=zone,
    )


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)
