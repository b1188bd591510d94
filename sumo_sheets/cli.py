"""`flask --app app sheet ...` and `reminders send`: the sheet and reminder emails from cron."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from . import reminders as reminder_mail
from . import services
from .storage import StorageError


def _storage():
    return current_app.extensions["sumo_storage"]


@click.group()
def sheet() -> None:
    """Set up, check and fill the signup sheet."""


@sheet.command("init")
@with_appcontext
def init_command() -> None:
    """Create or repair the tabs and headers, leaving existing rows alone."""
    storage = _storage()
    try:
        create = getattr(storage, "create_if_missing", None)
        if create is not None and create():  # a workbook gone missing is made anew here
            click.echo(f"Made a new workbook: {storage.path}")
        repairs = services.init_sheet(storage)
    except StorageError as error:
        raise click.ClickException(error.message) from error
    for repair in repairs:
        if repair.created:
            click.echo(f"{repair.title}: created")
        elif repair.added_headers:
            click.echo(f"{repair.title}: added columns {', '.join(repair.added_headers)}")
        else:
            click.echo(f"{repair.title}: ok")
    click.echo(f"The sheet is ready ({storage.backend_name}).")


@sheet.command("check")
@with_appcontext
def check_command() -> None:
    """List every row the site skips and why; exit code 1 if there is any."""
    try:
        problems = services.check_sheet(_storage())
        notes = services.tab_notes(_storage())
    except StorageError as error:
        raise click.ClickException(error.message) from error
    for note in notes:
        click.echo(note)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        raise SystemExit(1)
    click.echo("No problems: every row is readable.")


@sheet.command("demo")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=7,
    show_default=True,
    help="Fill the blocks that start within this many days from now.",
)
@click.option("--seed", type=int, default=None, help="Random seed, for the same demo every time.")
@with_appcontext
def demo_command(days: int, seed: int | None) -> None:
    """Fill the coming days with realistic demo signups, through the normal rules."""
    now = _now()
    try:
        made = services.fill_demo(_storage(), now, days=days, rng=random.Random(seed))
    except StorageError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Added {len(made)} demo signups to the {days} days from {now:%Y-%m-%d %H:%M} UTC.")


@sheet.command("audit")
@with_appcontext
def audit_command() -> None:
    """List the signups the site confirmed that are no longer in the sheet; exit 1 if any."""
    try:
        report = services.audit(_storage(), current_app.extensions["sumo_record"])
    except StorageError as error:
        raise click.ClickException(error.message) from error
    for recorded in report.removed_again:
        click.echo(f"Restored once, removed again (not listed as lost): {_described(recorded)}")
    if not report.missing:
        click.echo(f"Every signup the site confirmed is in the sheet ({report.checked} checked).")
        return
    click.echo(
        f"{len(report.missing)} signup(s) the site confirmed are no longer in the Signups tab:"
    )
    for recorded in report.missing:
        click.echo(f"  {_described(recorded)}")
    click.echo("Put one back with: flask --app app sheet restore ID", err=True)
    raise SystemExit(1)


@sheet.command("restore")
@click.argument("signup_id", metavar="ID")
@with_appcontext
def restore_command(signup_id: str) -> None:
    """Put back a signup that `sheet audit` lists, once, as the site appends rows."""
    retry = services.RetryPolicy.from_config(current_app.config)
    record = current_app.extensions["sumo_record"]
    try:
        restored = services.restore(_storage(), record, signup_id, retry)
    except services.RestoreRefused as refusal:
        raise click.ClickException(refusal.message) from refusal
    except StorageError as error:
        raise click.ClickException(error.message) from error
    where = f" at row {restored.row}" if restored.row else ""
    click.echo(f"Restored signup {restored.signup.id}{where} of the Signups tab.")
    if not restored.holds_place:
        click.echo(
            f"Note: {restored.signup.role.plural} were filled meanwhile at that hour, so this "
            "row holds no place; cancel a row or raise the maximum in Settings.",
            err=True,
        )


def _described(recorded: services.Recorded) -> str:
    """One signup for coordinators: ID, name, role and hours (never the contact)."""
    signup = recorded.signup
    return (
        f"{signup.id}  {signup.name}  {signup.role.label}  "
        f"{signup.start:%Y-%m-%d %H:%M}-{signup.end:%H:%M} UTC  "
        f"(confirmed {recorded.confirmed_at:%Y-%m-%d %H:%M} UTC)"
    )


def _now() -> datetime:
    """The current UTC time (tests fix it with the CLOCK setting)."""
    clock = current_app.config.get("CLOCK")
    return clock() if clock else datetime.now(UTC)


@click.group()
def reminders() -> None:
    """Email volunteers before their shifts."""


@reminders.command("send")
@with_appcontext
def send_reminders_command() -> None:
    """Send the reminders that are due now, each only once (run it from cron)."""
    config = current_app.config
    now = _now()
    state = Path(current_app.instance_path) / config.get(
        "REMINDERS_STATE_FILE", "reminders-sent.json"
    )
    try:
        report = reminder_mail.send_due_reminders(_storage(), config, now, state)
    except reminder_mail.ReminderError as error:
        raise click.ClickException(str(error)) from error
    except StorageError as error:
        raise click.ClickException(f"{error.message} No reminders were sent.") from error
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(report.summary())
    if report.failed:
        raise SystemExit(1)


@click.group()
def links() -> None:
    """Volunteers' personal links."""


@links.command("revoke")
@click.argument("contact")
@with_appcontext
def revoke_command(contact: str) -> None:
    """Stop every link of CONTACT (an email address or chat nick) made until now.

    For a leaked link: the manage links and calendar feeds of that contact stop working
    at once, on this host. The volunteer gets a new link by asking at /my (by email), or
    by signing up again (chat nicks).
    """
    if not contact.strip():
        raise click.BadParameter("give the contact as the volunteer typed it", param_hint="CONTACT")
    if current_app.config.get("SECRET_KEY_IS_DEV_KEY"):
        click.echo(
            "Note: using this folder's development key (instance/secret_key), so this revokes "
            "the links of the site run here with --debug. For a production site, run it with "
            "that site's SUMO_SECRET_KEY.",
            err=True,
        )
    manage = current_app.extensions["sumo_links"]
    manage.revoke(contact)
    click.echo(
        "Every link made for that contact until now no longer works (manage pages and "
        "calendar feeds). Run this on every host that serves the site, unless they share "
        "the instance folder."
    )
