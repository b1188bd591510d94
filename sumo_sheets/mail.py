"""Email to volunteers (confirmations, cancellations, manage links, reminders) over SMTP.

Off unless MAIL_SERVER is set. Takes a config mapping, not the Flask app, so the CLI and
tests can send the same mail. An email is a courtesy on top of a signup already saved,
so sending never raises: failures are logged and reported as False.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from email_validator import validate_email
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from . import calendar
from .contacts import is_email  # the one home of what counts as an address
from .model import Signup
from .timezones import format_span, short_time

log = logging.getLogger(__name__)

Config = Mapping[str, Any]

# Plain-text bodies, never HTML: escaping would turn O'Brien into O&#39;Brien in the email.
_TEMPLATES = Environment(  # nosec B701
    loader=FileSystemLoader(Path(__file__).resolve().parent.parent / "templates" / "mail"),
    autoescape=False,
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
# Seconds an SMTP connection may take, so a stuck server cannot hold a request for long.
DEFAULT_TIMEOUT = 10


def mail_enabled(config: Config) -> bool:
    """True when a mail server is configured."""
    return bool(config.get("MAIL_SERVER"))


def send_signup_confirmation(
    config: Config,
    signups: Sequence[Signup],
    manage_url: str,
    zone: ZoneInfo,
    now: datetime | None = None,
) -> bool:
    """One email for a signup (or a weekly repeat's rows) with the manage link and an .ics."""
    if not signups or not _wanted(config, signups[0].contact):
        return False
    first = signups[0]
    more = f" (+{len(signups) - 1} more)" if len(signups) > 1 else ""
    subject = f"You're signed up: SUMO Live Chat, {short_time(first.start, zone)}{more}"

    def compose() -> EmailMessage:
        message = _message(
            config,
            _recipient(first.contact, first.name),
            subject,
            _render(
                "signup_confirmation.txt",
                name=first.name,
                shifts=[_shift(s, zone) for s in signups],
                manage_url=manage_url,
                cutoff_hours=config.get("CANCEL_CUTOFF_HOURS", 2),
            ),
        )
        _attach_ics(message, calendar.signups_calendar(signups, _now(now), manage_url))
        return message

    return _send(config, compose, "signup confirmation", first.id)


def send_cancellation(
    config: Config,
    signup: Signup,
    manage_url: str,
    zone: ZoneInfo,
    now: datetime | None = None,
) -> bool:
    """Tell a volunteer a signup is cancelled, with an .ics that marks the event cancelled."""
    if not _wanted(config, signup.contact):
        return False
    cancelled = replace(signup, cancelled=True)

    def compose() -> EmailMessage:
        message = _message(
            config,
            _recipient(signup.contact, signup.name),
            f"Cancelled: SUMO Live Chat, {short_time(signup.start, zone)}",
            _render(
                "cancellation.txt",
                name=signup.name,
                shift=_shift(cancelled, zone),
                manage_url=manage_url,
            ),
        )
        _attach_ics(message, calendar.signups_calendar([cancelled], _now(now), manage_url))
        return message

    return _send(config, compose, "cancellation", signup.id)


def send_settled(
    config: Config, signup: Signup, kept: bool, manage_url: str, zone: ZoneInfo
) -> bool:
    """Tell a volunteer whose signup could not be confirmed at the time how it was settled."""
    if not _wanted(config, signup.contact):
        return False
    outcome = "kept" if kept else "not kept"
    site = manage_url.split("/my/", 1)[0]

    def compose() -> EmailMessage:
        return _message(
            config,
            _recipient(signup.contact),
            f"Your SUMO Live Chat signup was {outcome}: {short_time(signup.start, zone)}",
            _render(
                "settled.txt",
                name=signup.name,
                shift=_shift(signup, zone),
                kept=kept,
                manage_url=manage_url,
                needed_url=f"{site}/needed",
            ),
        )

    return _send(config, compose, f"settled ({outcome})", signup.id)


def send_manage_link(config: Config, contact: str, manage_url: str) -> bool:
    """Email a volunteer their personal link to see and cancel their signups."""
    if not _wanted(config, contact):
        return False

    def compose() -> EmailMessage:
        return _message(
            config,
            _recipient(contact, ""),
            "Your SUMO Live Chat signups link",
            _render(
                "manage_link.txt",
                manage_url=manage_url,
                days=config.get("MANAGE_LINK_DAYS", 365),
            ),
        )

    return _send(config, compose, "manage link", "")


def send_reminder(
    config: Config, signup: Signup, manage_url: str, zone: ZoneInfo, now: datetime
) -> bool:
    """Remind a volunteer of a shift that starts soon."""
    if not _wanted(config, signup.contact):
        return False
    left = _time_left(signup.start - now)

    def compose() -> EmailMessage:
        return _message(
            config,
            _recipient(signup.contact, signup.name),
            f"Reminder: SUMO Live Chat in {left}, {short_time(signup.start, zone)}",
            _render(
                "reminder.txt",
                name=signup.name,
                shift=_shift(signup, zone),
                left=left,
                manage_url=manage_url,
                cutoff_hours=config.get("CANCEL_CUTOFF_HOURS", 2),
            ),
        )

    return _send(config, compose, "reminder", signup.id)


def _time_left(span: timedelta) -> str:
    minutes = max(round(span.total_seconds() / 60), 1)
    if minutes < 90:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    return f"{hours} hours"


def _wanted(config: Config, contact: str) -> bool:
    """Mail is on and the contact can receive it: nicks get no email."""
    return mail_enabled(config) and is_email(contact)


def _shift(signup: Signup, zone: ZoneInfo) -> dict[str, str]:
    return {
        "role": signup.role.label,
        "when": format_span(signup.start, signup.end, zone),
        "id": signup.id,
    }


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _render(template: str, **context: Any) -> str:
    return _TEMPLATES.get_template(template).render(**context)


def _recipient(contact: str, name: str = "") -> Address:
    """The address alone: the typed name is never put in the To header, where a mail program
    shows it as if the site had named the reader so (a stranger's text, our sender)."""
    address = validate_email(contact.strip(), check_deliverability=False).normalized
    return Address(addr_spec=address)


def _message(config: Config, to: Address, subject: str, body: str) -> EmailMessage:
    sender = str(config.get("MAIL_SENDER") or "SUMO Live Chat <livechat-noreply@localhost>")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    # Tells mail systems not to send vacation auto-replies back (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message


def _attach_ics(message: EmailMessage, ics: bytes) -> None:
    message.add_attachment(
        ics,
        maintype="text",
        subtype="calendar",
        filename="sumo-livechat.ics",
        params={"method": "PUBLISH"},
    )


def _send(config: Config, compose, what: str, reference: str) -> bool:
    """Compose and send one message; log and return False on any failure."""
    about = f"{what} {reference}".strip()
    try:
        message = compose()
    except Exception:
        # Our own bug or an odd row: the volunteer's signup stands, so never raise.
        log.exception("%s: could not compose the email", about)
        return False
    try:
        _deliver(config, message)
    except (smtplib.SMTPException, OSError, ValueError) as error:
        log.warning("%s: email not sent: %s", about, _describe(error))
        return False
    log.info("%s: email sent", about)
    return True


def _deliver(config: Config, message: EmailMessage) -> None:
    host = str(config["MAIL_SERVER"])
    use_ssl = bool(config.get("MAIL_USE_SSL"))
    port = int(config.get("MAIL_PORT") or (465 if use_ssl else 25))
    timeout = float(config.get("MAIL_TIMEOUT") or DEFAULT_TIMEOUT)
    if use_ssl:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if config.get("MAIL_USE_TLS") and not use_ssl:
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(str(config["MAIL_USERNAME"]), str(config.get("MAIL_PASSWORD") or ""))
        smtp.send_message(message)


def _describe(error: Exception) -> str:
    """The failure without addresses or credentials: the SMTP code and reply, or the OS error."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in error.recipients.values()})
        return f"recipient refused ({', '.join(map(str, codes))})"
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        if isinstance(reply, bytes):
            reply = reply.decode(errors="replace")
        return f"{type(error).__name__} {error.smtp_code} {reply}"
    return f"{type(error).__name__}: {error}"
