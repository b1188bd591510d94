"""Shortening: a volunteer drops hours at the start or the end of their own signup.

The row's Date, Start and End cells change through ``storage.update_row``, the same
coordinator-safe write a cancel uses (the row is found by its ID in a fresh read). A shorter
signup holds a subset of the hours it held, so it never over-fills a role; an Anchor takes a
whole block and cannot be shortened.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from .. import sheet_format as fmt
from ..model import HOUR, Role, Signup
from .cancellations import TooLateToCancel, can_cancel
from .reader import SheetReader
from .record import note_confirmed

log = logging.getLogger(__name__)


class CannotShorten(Exception):
    """The new hours are not a shorter part of the signup (or it is an Anchor's block)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def can_shorten(signup: Signup) -> bool:
    """True for a confirmed hourly signup of two hours or more."""
    return (
        signup.confirmed
        and bool(signup.id)
        and signup.role is not Role.ANCHOR
        and signup.end - signup.start >= 2 * HOUR
    )


def shorter_spans(signup: Signup) -> list[tuple[datetime, datetime]]:
    """Every shorter span a signup can keep: whole hours, cut at its start, its end, or both."""
    hours = int((signup.end - signup.start) / HOUR)
    return [
        (signup.start + first * HOUR, signup.start + last * HOUR)
        for first in range(hours)
        for last in range(first + 1, hours + 1)
        if (first, last) != (0, hours)
    ]


def check_shorter(signup: Signup, start: datetime, end: datetime) -> None:
    """Raise CannotShorten unless ``start``–``end`` is one of the signup's shorter spans."""
    if not can_shorten(signup):
        raise CannotShorten(
            "Only a signup of two hours or more, not an Anchor's, can be shortened."
        )
    if (start, end) not in shorter_spans(signup):
        raise CannotShorten("Choose whole hours inside your signup, and drop at least one.")


def shorten_own_signup(
    reader: SheetReader,
    owns: Callable[[Signup], bool],
    signup_id: str,
    span: tuple[datetime, datetime],
    now: datetime,
    cutoff: timedelta,
) -> tuple[Signup, Signup] | None:
    """Keep only ``span`` of one of the volunteer's own signups; (before, after), or None if
    the link reaches no confirmed signup with that ID.

    Read fresh, like a cancel; the cut-off for cancelling applies to its start. Raises
    CannotShorten for a span that is not a shorter part of it, TooLateToCancel past the cut-off.
    """
    signup = next((s for s in reader.fresh().signups if s.id == signup_id and owns(s)), None)
    if signup is None or not signup.confirmed:
        return None
    if not can_cancel(signup, now, cutoff):
        raise TooLateToCancel(signup.start, cutoff)
    start, end = span
    check_shorter(signup, start, end)
    changes = {
        fmt.DATE: fmt.format_date(start.date()),
        fmt.START_UTC: fmt.format_time(start),
        fmt.END_UTC: fmt.format_time(end),
    }
    written = reader.storage.update_row(fmt.SIGNUPS, signup.id, changes)
    reader.invalidate()
    if not written:
        return None
    after = dataclasses.replace(signup, start=start, end=end)
    log.info("signup %s shortened by its volunteer", signup.id)
    note_confirmed(reader, after)
    return signup, after
