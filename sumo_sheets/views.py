"""Pages and JSON: the week, the signup form, its confirmation, roles, API and health."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from wtforms.fields.choices import SelectChoice

from . import services
from .forms import (
    BadParameter,
    SignupForm,
    format_utc_start,
    format_week,
    parse_role,
    parse_utc_start,
    parse_week,
)
from .model import HOUR, HOURLY_ROLES, Block, PlaceTaken, Role, SignupRefused, week_start
from .storage import Storage, StorageError

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
    monday = _query("week", parse_week) or week_start(now().date())
    view = services.week_view(reader().latest(), monday, now())
    return render_template("week.html", view=view, hourly_roles=HOURLY_ROLES)


@bp.get("/api/week")
def api_week():
    """The same week as JSON, with UTC times; names only, never contacts."""
    monday = _query("week", parse_week) or week_start(now().date())
    view = services.week_view(reader().latest(), monday, now())
    blocks = []
    for day in view.days:
        for block_view in day.blocks:
            block = block_view.block
            blocks.append(
                {
                    "day": block.local_day.isoformat(),
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
    return jsonify(
        week=format_week(view.monday),
        monday=view.monday.isoformat(),
        time_zone=view.settings.time_zone.key,
        blocks=blocks,
        skipped_rows=len(view.problems),
        stale_since=format_utc_start(view.stale_since) if view.stale_since else None,
    )


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """The signup form, pre-filled from ?role= and ?start=; Post/Redirect/Get on success."""
    form = SignupForm()
    if request.method == "GET":
        role = _query("role", parse_role)
        start = _query("start", parse_utc_start)
        if role:
            form.role.data = role.value
        if start:
            form.start.data = format_utc_start(start)
    form.ensure_request_id()
    problem, suggestion, data, taken = None, None, None, False
    try:
        # A signup is only ever decided on a fresh read, never on the last good copy.
        data = reader().fresh() if request.method == "POST" else reader().latest()
    except StorageError as error:
        problem = f"{error.message} Your signup was not saved; please try again in a minute."
        data = reader().last_good()
    _offer_start_times(form, data)
    if data is not None and data.stale_since and problem is None:
        problem = "The sheet cannot be read right now, so signups cannot be saved at the moment."

    if problem is None and form.validate_on_submit():
        try:
            outcome = services.sign_up(
                reader(),
                form.to_request(),
                now(),
                data,
                services.RetryPolicy.from_config(current_app.config),
            )
        except PlaceTaken as refusal_taken:
            form.start.errors.append(refusal_taken.message)
            suggestion, taken = refusal_taken.suggestion, True
        except SignupRefused as refusal:
            getattr(form, refusal.field).errors.append(refusal.message)
        except StorageError as error:
            log.error("signup not completed: %s %s", error.message, error.detail)
            problem = error.message
        else:
            return redirect(url_for(".signed_up", signup_id=outcome.signup.id), code=303)
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
        ),
        status,
    )


def _offer_start_times(form: SignupForm, data: services.SheetData | None) -> None:
    """Fill the start list with open hours of the chosen week and the next, grouped by day."""
    try:
        chosen = parse_utc_start(form.start.data) if form.start.data else None
    except BadParameter:
        chosen = None
    moment = chosen or now()
    options: list[SelectChoice] = []
    blocks = []
    if data is not None:
        monday = week_start(moment.astimezone(data.settings.time_zone).date())
        blocks = services.open_hours(data, monday, now())
    for block in blocks:
        for hour in block.hours:
            if hour >= now() or hour == chosen:
                value = format_utc_start(hour)
                options.append(SelectChoice(value, _hour_label(hour), optgroup=_day_label(block)))
    if chosen and form.start.data not in {option.value for option in options}:
        # Keep what the volunteer asked for in the list, so the error beside it makes sense.
        label = f"{chosen:%a %d %b %H:%M} UTC"
        options.insert(0, SelectChoice(form.start.data, label, optgroup="Your choice"))
    form.start.choices = options


def _day_label(block: Block) -> str:
    return f"{block.local_day:%A %d %B}"


def _hour_label(hour: datetime) -> str:
    return f"{hour:%H:%M}–{hour + HOUR:%H:%M} UTC"


@bp.get("/signup/done/<signup_id>")
def signed_up(signup_id: str):
    """Confirmation after a signup, read back from the sheet."""
    made = next((s for s in reader().latest().signups if s.id == signup_id), None)
    if made is None:
        abort(404, description="No signup with that ID; it may have been removed by a coordinator.")
    return render_template("done.html", signup=made)


@bp.get("/roles")
def roles():
    """What each role does and who it is for."""
    return render_template("roles.html")


@bp.get("/healthz")
def healthz():
    """ok when the sheet reads; degraded (200) while pages show the last good copy; else 503."""
    backend = storage()
    try:
        reader().fresh()
    except StorageError as error:
        log.warning("health check failed: %s %s", error.message, error.detail)
        data = reader().last_good()
        if data is not None:
            return jsonify(
                status="degraded",
                storage=backend.backend_name,
                error=error.message,
                stale_since=format_utc_start(data.stale_since),
            )
        return jsonify(status="unavailable", storage=backend.backend_name, error=error.message), 503
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
        return now().date()
