"""Web forms (one per use case) and strict parsing of the values they and the URLs carry."""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from .contacts import looks_like_email
from .model import Role, SignupRequest

# IRC nicks (RFC 2812 letters plus the usual specials) and Matrix IDs (@user:server).
_NICK = re.compile(r"@?[A-Za-z0-9_\-\[\]\\^{}|`.]{2,50}(:[A-Za-z0-9.\-]+(:\d+)?)?")
_WEEK = re.compile(r"(\d{4})-?W(\d{2})", re.IGNORECASE)
_ISO_HOUR = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?([Zz]|[+-]\d\d:?\d\d)?")
_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")

log = logging.getLogger(__name__)


def new_request_id() -> str:
    """A fresh idempotency key for one form: unguessable, URL- and sheet-safe."""
    return secrets.token_urlsafe(18)


class BadParameter(ValueError):
    """A URL or form value that is not in the expected form; the message says which form."""


def parse_utc_start(text: str) -> datetime:
    """Read an ISO 8601 hour such as 2026-11-30T14:00Z as an aware UTC datetime."""
    cleaned = (text or "").strip()
    # fromisoformat alone lets stray characters through (a trailing NUL, for one).
    if not _ISO_HOUR.fullmatch(cleaned):
        raise BadParameter("start must be a UTC time like 2026-11-30T14:00Z")
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError as error:
        raise BadParameter("start must be a UTC time like 2026-11-30T14:00Z") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not 2000 <= moment.year <= 2100:
        raise BadParameter("start is out of range")
    return moment.astimezone(UTC)


def format_utc_start(moment: datetime) -> str:
    """The form and URL spelling of a slot start."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def parse_week(text: str) -> date:
    """Read an ISO week such as 2026-W49 and return its Monday."""
    match = _WEEK.fullmatch((text or "").strip())
    if not match:
        raise BadParameter("week must look like 2026-W49")
    year, week = int(match[1]), int(match[2])
    if not 2000 <= year <= 2100:
        raise BadParameter("week is out of range")
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError as error:
        raise BadParameter(f"{year} has no week {week}") from error


def format_week(monday: date) -> str:
    """The URL spelling of the ISO week holding ``monday``."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def parse_role(text: str) -> Role:
    """Read a role's form spelling: helper, anchor, advisor or monitor."""
    try:
        return Role((text or "").strip().lower())
    except ValueError as error:
        choices = ", ".join(r.value for r in Role)
        raise BadParameter(f"role must be one of {choices}") from error


# Everything Unicode or a program may take as the end of a line: CR, LF, VT, FF, the file,
# group and record separators, NEL, and the line and paragraph separators (Zl, Zp).
LINE_BREAKS = frozenset("\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029")
# Invisible joiners that real names and emoji need (Persian and Indic names, 👩‍💻).
JOINERS = frozenset("\u200c\u200d")
HIDDEN = ("Cc", "Cf", "Cs", "Co", "Zl", "Zp")


def hidden_characters(text: str, multiline: bool = False) -> str | None:
    """Why ``text`` cannot be kept as typed, or None.

    One-line text may hold no line break of any kind and no control, format, surrogate or
    private-use character, except a zero-width joiner or non-joiner between two visible
    characters. ``multiline`` text may also hold CR, LF and tab.
    """
    for position, character in enumerate(text):
        if multiline and character in "\n\r\t":
            continue
        if character in LINE_BREAKS:
            return "Please keep this on one line: remove the line breaks."
        if unicodedata.category(character) not in HIDDEN:
            continue
        if character in JOINERS and _between_visible(text, position):
            continue
        return "Please remove the hidden or control characters."
    return None


def _between_visible(text: str, position: int) -> bool:
    if position == 0 or position == len(text) - 1:
        return False
    neighbours = (text[position - 1], text[position + 1])
    return all(not c.isspace() and unicodedata.category(c) not in HIDDEN for c in neighbours)


def plain_text(form: FlaskForm, field) -> None:
    """Refuse line breaks (in one-line fields) and control and invisible formatting
    characters, which only hide what text says or break the lines of feeds and emails."""
    problem = hidden_characters(field.data or "", multiline=field.type == "TextAreaField")
    if problem:
        # Stop here: an email check of the same text would only add a vaguer message.
        raise StopValidation(problem)


def contact_address(form: FlaskForm, field) -> None:
    """An email address, or an IRC/Matrix nick, so coordinators can reach the volunteer."""
    value = (field.data or "").strip()
    if looks_like_email(value):
        try:
            field.data = validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError as error:
            raise ValidationError(f"That email address does not look right: {error}") from error
    elif not _NICK.fullmatch(value):
        raise ValidationError(
            "Give an email address, or a chat nick such as sumo_fan or @you:matrix.org."
        )


def name_field(description: str) -> StringField:
    """A volunteer's name as shown publicly: required, plain text, at most 80 characters."""
    return StringField(
        "Your name",
        validators=[DataRequired("Please tell us your name."), Length(max=80), plain_text],
        description=description,
    )


def contact_field(description: str) -> StringField:
    """How coordinators reach a volunteer: an email address or a chat nick, never shown."""
    return StringField(
        "Email or chat nick",
        validators=[
            DataRequired("Please give an email address or chat nick."),
            Length(max=120),
            plain_text,
            contact_address,
        ],
        description=description,
    )


class HoneypotForm(FlaskForm):
    """A form with a field people never see (it is hidden) and form-filling bots fill in."""

    website = StringField("Leave this empty", validators=[Length(max=200)])

    def validate_website(self, field) -> None:
        """Refuse a filled honeypot, so nothing is saved, and empty it for a person to resend."""
        if field.data:
            # Which form only: what was typed may be personal data.
            log.info("honeypot filled on %s; nothing saved", type(self).__name__)
            field.data = ""
            raise ValidationError(
                "This form looks automated; please leave the last field empty and send again."
            )


class KeyedForm(HoneypotForm):
    """A form whose every copy carries its own key, so sending it twice acts once."""

    request_id = HiddenField()

    def ensure_request_id(self) -> None:
        """Give the form its key, or replace a missing or malformed one with a new key."""
        if not _REQUEST_ID.fullmatch(self.request_id.data or ""):
            self.request_id.data = new_request_id()


def utc_hour(form: FlaskForm, field) -> None:
    """The start must be a UTC hour in ISO form."""
    if not field.data:
        raise ValidationError("Please pick a time slot.")
    try:
        parse_utc_start(field.data)
    except BadParameter as error:
        raise ValidationError(str(error)) from error


def hours_field() -> IntegerField:
    """How many consecutive hours a signup takes: 1 to 12."""
    return IntegerField(
        "Hours",
        default=1,
        validators=[
            InputRequired("Please say how many hours."),
            NumberRange(1, 12, "Pick from 1 to 12 hours."),
        ],
        description="Consecutive hours within one block. Anchors always take the whole block.",
    )


class SignupForm(KeyedForm):
    """A volunteer signs up for a role, from a start hour, for some hours.

    Its inherited request_id: sending the same form twice (double click, back button, a
    retry after a timeout) finds the row the first one made instead of adding another.
    """

    name = name_field("Shown on the public schedule.")
    contact = contact_field("Only coordinators see this; it is never shown on the site.")
    role = RadioField(
        "Role",
        choices=[SelectChoice(role.value, role.label) for role in Role],
        validators=[InputRequired("Please pick a role.")],
    )
    start = SelectField("Starting at", validators=[utc_hour], validate_choice=False)
    hours = hours_field()
    note = TextAreaField(
        "Note for coordinators (optional)", validators=[Length(max=500), plain_text]
    )
    repeat_weeks = IntegerField(
        "Repeat every week for",
        default=1,
        # Left out (an older form, a script) means once; the range is each form's own.
        validators=[Optional()],
        description="1 means just this once. Each week is checked on its own.",
    )
    # The zone the volunteer sees times in, kept with the signup for their emails.
    time_zone = HiddenField()

    def __init__(self, *args, most_weeks: int = 52, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # This form's own range (REPEAT_WEEKS_MAX): validators given in the class body are
        # shared by every form, so they must never be changed for one of them.
        self.repeat_weeks.validators = [
            Optional(),
            NumberRange(1, most_weeks, f"Pick from 1 to {most_weeks} weeks."),
        ]

    def to_request(self) -> SignupRequest:
        """The validated form as a domain request."""
        return SignupRequest(
            name=self.name.data.strip(),
            contact=self.contact.data.strip(),
            role=Role(self.role.data),
            start=parse_utc_start(self.start.data),
            hours=self.hours.data,
            notes=(self.note.data or "").strip(),
            request_id=self.request_id.data or "",
            time_zone=self.time_zone.data or "",
        )


class CancelForm(FlaskForm):
    """A volunteer cancels one of their signups (the button carries only the CSRF token)."""


class LostLinkForm(HoneypotForm):
    """A volunteer asks for their manage link again, by email."""

    email = StringField(
        "Your email address",
        validators=[
            DataRequired("Please give the email address you signed up with."),
            Length(max=120),
            plain_text,
        ],
    )

    def validate_email(self, field) -> None:
        """Only an email address can receive the link."""
        try:
            field.data = validate_email(
                (field.data or "").strip(), check_deliverability=False
            ).normalized
        except EmailNotValidError as error:
            raise ValidationError(f"That email address does not look right: {error}") from error


_MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_day(text: str) -> date:
    """Read a day such as 2026-12-01."""
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError as error:
        raise BadParameter("day must look like 2026-12-01") from error
    if not 2000 <= day.year <= 2100 or len(text.strip()) != 10:
        raise BadParameter("day must look like 2026-12-01")
    return day


def parse_month(text: str) -> date:
    """Read a month such as 2026-11 and return its first day."""
    match = _MONTH.fullmatch((text or "").strip())
    if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2100:
        raise BadParameter("month must look like 2026-11")
    return date(int(match[1]), int(match[2]), 1)


def parse_local_time(text: str, zone: ZoneInfo) -> datetime:
    """A browser's date-and-time (2026-11-25T14:30) in ``zone``, as an aware UTC datetime."""
    try:
        moment = datetime.fromisoformat((text or "").strip())
    except ValueError as error:
        raise BadParameter("give a date and time, like 2026-11-25 14:30") from error
    # Checked before any conversion: year 9999 in Los Angeles is year 10000 in UTC, which
    # Python cannot hold (OverflowError), and no finding is that far from today anyway.
    if not 2000 <= moment.year <= 2100:
        raise BadParameter("give a date from this year, like 2026-11-25 14:30")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError) as error:  # a zone's rules far from today
        raise BadParameter("give a date from this year, like 2026-11-25 14:30") from error


def web_link(form: FlaskForm, field) -> None:
    """An optional http(s) address: anything else could run script when clicked."""
    value = (field.data or "").strip()
    field.data = value
    if value and not re.fullmatch(r"https?://[^\s<>\"]+", value, re.IGNORECASE):
        raise ValidationError("Give a web address starting with https:// (or leave it empty).")


class FindingForm(KeyedForm):
    """Someone on shift logs what they saw in the chat room and the advice given."""

    name = name_field("Shown with the finding on the site.")
    contact = contact_field("Only coordinators see this, in case they have a question.")
    when = StringField(
        "When",
        validators=[DataRequired("Please say when you saw it.")],
        description="Your local time.",
    )
    seen = TextAreaField(
        "What was seen",
        validators=[DataRequired("Please say what you saw."), Length(max=2000), plain_text],
        description="The question or problem, and anything new about it.",
    )
    advice = TextAreaField("Advice given (optional)", validators=[Length(max=2000), plain_text])
    link = StringField(
        "Link (optional)",
        validators=[Length(max=500), plain_text, web_link],
        description="A support article, bug or chat log that helps.",
    )
