"""Refusals: a rule saying no, with the moments it talks about kept as moments.

A refusal's text names its moments as ``{placeholders}``; ``describe(format_time)`` fills
them in with any formatter (the web passes one for the viewer's time zone), and
``message`` is the text with UTC times, for the CLI, the logs and the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime


def format_utc(moment: datetime) -> str:
    """A moment as a refusal's ``message`` says it: its UTC hour, like 14:00 UTC."""
    return f"{moment.astimezone(UTC):%H:%M} UTC"


class Refusal(Exception):
    """A rule said no; the text is safe to show the person who asked.

    ``moments`` maps each ``{placeholder}`` in the text to the moment it stands for. A text
    without moments is shown as it is (braces and all).
    """

    def __init__(self, text: str, *, moments: Mapping[str, datetime] | None = None) -> None:
        self.text = text
        self.moments = dict(moments or {})
        self.message = self.describe(format_utc)
        super().__init__(self.message)

    def describe(self, format_time: Callable[[datetime], str]) -> str:
        """The text with each moment written by ``format_time``."""
        if not self.moments:
            return self.text
        return self.text.format_map({name: format_time(at) for name, at in self.moments.items()})


class SignupRefused(Refusal):
    """A signup breaks a rule; ``field`` names the form field the message belongs next to."""

    field = "start"


class OutsideSchedule(SignupRefused):
    """The hours asked for are not (all) inside a staffed block."""


class SlotFull(SignupRefused):
    """The role has no place left in one of the hours."""

    field = "role"


# The refusal when the contact already has a signup in the hours asked for, either class.
ALREADY_ON = (
    "This contact already has a signup that overlaps these hours; "
    "one person takes one place an hour."
)


class AlreadySignedUp(SignupRefused):
    """The same contact already holds this role in one of the hours."""


class RoleClash(SignupRefused):
    """The same contact already holds another role in one of the hours."""

    field = "role"


class NotOpenYet(SignupRefused):
    """The hour is too far ahead, or has already started."""


class PlaceTaken(SlotFull):
    """Someone else's signup for the last place reached the sheet just before this one."""

    def __init__(
        self,
        text: str,
        suggestion: datetime | None = None,
        *,
        moments: Mapping[str, datetime] | None = None,
    ) -> None:
        super().__init__(text, moments=moments)
        # The nearest hour where the same signup would fit now, to offer instead.
        self.suggestion = suggestion
