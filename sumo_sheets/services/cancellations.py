"""Cancelling: a volunteer's own signup (until the cut-off), a row by ID, and the site
withdrawing rows it made itself.

``can_cancel`` is the one home of the cut-off rule: pages ask it which signups to offer a
cancel button for, and ``cancel_own_signup`` enforces it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from .. import sheet_format as fmt
from ..model import Signup
from ..storage import Storage
from .reader import SheetReader
from .record import CANCELLED, WITHDRAWN, note_status

log = logging.getLogger(__name__)


class TooLateToCancel(Exception):
    """The shift starts within the cut-off: only a coordinator can change it now.

    Carries the moment it talks about (``start``) and the ``cutoff``; ``describe`` words it
    for a viewer's zone, ``message`` in UTC (for the CLI, logs and tests).
    """

    def __init__(self, start: datetime, cutoff: timedelta) -> None:
        self.start = start
        self.cutoff = cutoff
        self.message = self.describe(lambda moment: f"{moment.astimezone(UTC):%H:%M} UTC")
        super().__init__(self.message)

    def describe(self, format_time: Callable[[datetime], str]) -> str:
        """The refusal, with the start shown by ``format_time``."""
        return (
            f"This shift starts at {format_time(self.start)}; cancelling here closes "
            f"{_hours_text(self.cutoff)} before the start. Please tell a coordinator instead."
        )


def can_cancel(signup: Signup, now: datetime, cutoff: timedelta) -> bool:
    """True while a volunteer may still cancel this signup themselves: it has an ID and
    starts more than ``cutoff`` after ``now``."""
    return bool(signup.id) and signup.start - cutoff > now


def cancel_signup(storage: Storage, signup_id: str) -> bool:
    """Mark a signup cancelled, touching only its Status cell; False if no row has that ID."""
    return storage.update_row(fmt.SIGNUPS, signup_id, {fmt.STATUS: fmt.CANCELLED})


def cancel_own_signup(
    reader: SheetReader,
    owns: Callable[[Signup], bool],
    signup_id: str,
    now: datetime,
    cutoff: timedelta,
) -> Signup | None:
    """A volunteer cancels one of their own signups, until ``cutoff`` before it starts.

    ``owns`` says which signups the volunteer's link reaches. Returns the signup as it was,
    or None if the link reaches no confirmed signup with that ID. Raises TooLateToCancel
    past the cut-off.
    """
    signup = next((s for s in reader.fresh().signups if s.id == signup_id and owns(s)), None)
    if signup is None or not signup.confirmed:
        return None
    if not can_cancel(signup, now, cutoff):
        raise TooLateToCancel(signup.start, cutoff)
    cancelled = cancel_signup(reader.storage, signup.id)
    reader.invalidate()
    if not cancelled:
        return None
    log.info("signup %s cancelled by its volunteer", signup.id)
    note_status(reader, signup.id, CANCELLED)
    return signup


def _hours_text(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:g} hour{'s' if hours != 1 else ''}"


def withdraw_rows(reader: SheetReader, rows: Sequence[Signup], settle_seconds: float = 1.0) -> None:
    """Mark rows the site made cancelled, touching only their Status cells.

    Where row updates are not atomic (``storage.atomic_row_updates`` is False: Google
    Sheets), another process whose update went astray during a coordinator's sort may put a
    cell back as it saw it a moment ago. So after a pause the rows are checked once more,
    and withdrawn again if need be. Raises StorageError if the sheet stops answering.
    """
    for row in rows:
        reader.storage.update_row(fmt.SIGNUPS, row.id, {fmt.STATUS: fmt.CANCELLED})
        note_status(reader, row.id, WITHDRAWN)
    if reader.storage.atomic_row_updates or settle_seconds <= 0 or not rows:
        return
    time.sleep(settle_seconds)
    ids = {row.id for row in rows}
    for again in reader.fresh().signups:
        if again.id in ids and not again.cancelled:
            log.warning("signup %s: withdrawal undone meanwhile; withdrawing again", again.id)
            reader.storage.update_row(fmt.SIGNUPS, again.id, {fmt.STATUS: fmt.CANCELLED})
