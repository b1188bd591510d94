"""The rows of the domain: a Signup, a SignupRequest a volunteer makes, and a Finding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import contacts
from .roles import HOUR, Role


@dataclass(frozen=True)
class Signup:
    """A volunteer in a role for [start, end); ``row`` is where the sheet holds it."""

    name: str
    contact: str
    role: Role
    start: datetime  # UTC
    end: datetime  # UTC
    cancelled: bool = False
    id: str = ""
    signed_up_at: datetime | None = None
    notes: str = ""
    row: int = 0
    request_id: str = ""
    # The volunteer's own IANA zone when they signed up, for their emails; blank if unknown.
    time_zone: str = ""
    # Confirmed in the sheet, but past its role's maximum behind the rows above it: it holds
    # no place and counts nowhere (see holding_places).
    over_maximum: bool = False

    @property
    def confirmed(self) -> bool:
        """Counts on the schedule: not cancelled, and holding a place."""
        return not self.cancelled and not self.over_maximum

    @property
    def contact_key(self) -> str:
        """The contact as compared between signups, by the rule in contacts.py."""
        return contacts.contact_key(self.contact)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """True when this signup shares any time with [start, end)."""
        return self.start < end and start < self.end

    @property
    def hours(self) -> float:
        """Length in hours."""
        return (self.end - self.start) / HOUR


@dataclass(frozen=True)
class SignupRequest:
    """What a volunteer asks for; ``hours`` is ignored for Anchors, who take the whole block."""

    name: str
    contact: str
    role: Role
    start: datetime
    hours: int = 1
    notes: str = ""
    # The form submission's idempotency key: a resent form finds the row it already made.
    request_id: str = ""
    # The zone the volunteer saw the form in (IANA name), kept for their emails.
    time_zone: str = ""


@dataclass(frozen=True)
class Finding:
    """Something noticed in the chat room, and the advice given."""

    id: str
    logged_at: datetime | None
    at: datetime  # UTC
    name: str
    contact: str
    seen: str
    advice: str = ""
    link: str = ""
    request_id: str = ""
