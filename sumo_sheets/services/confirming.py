"""Confirming a signup in sheet order once its row has landed, and replaying a resent form.

The sheet is the point of order between processes and hosts: after appending, the sheet is
read back, and the new row keeps its place only if it still fits behind every row that was
there before it. Otherwise it is withdrawn and the volunteer told why. Rows whose fate the
volunteer could not be told are noted in the reader's ledger (``settling``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..model import (
    PlaceTaken,
    Signup,
    SignupRefused,
    SignupRequest,
    SlotFull,
    block_at,
    check_room,
)
from ..storage import StorageError
from .appending import SignupNotSaved, SignupUncertain
from .cancellations import withdraw_rows
from .queries import nearest_open_start
from .reader import SheetReader
from .reading import SheetData
from .record import note_confirmed

log = logging.getLogger(__name__)

# A form sent again this soon may find a row its first copy left unsettled.
REPLAY_WINDOW = timedelta(minutes=10)


@dataclass
class SignupOutcome:
    """A signup as it stands in the sheet, and whether this form had been sent before."""

    signup: Signup
    repeated: bool = False


def note_uncertain(reader: SheetReader, signup: Signup) -> None:
    """A row may be in the sheet, unconfirmed: note it so the next good read settles it."""
    if reader.ledger is not None:
        try:
            reader.ledger.record(signup)
        except OSError as error:
            log.error("could not note signup %s as unconfirmed: %s", signup.id, error)


def forget_uncertain(reader: SheetReader, signup: Signup) -> None:
    """The volunteer is told how this row ended: nothing is left to settle for them."""
    if reader.ledger is not None:
        try:
            reader.ledger.forget(signup.id)
        except OSError as error:
            log.error("could not update the note of signup %s: %s", signup.id, error)


def row_key(signup: Signup) -> tuple:
    """What tells rows apart: the ID, or a hand-typed row's content."""
    if signup.id:
        return (signup.id,)
    return (signup.name, signup.contact_key, signup.role, signup.start, signup.end)


def confirm_in_sheet_order(
    reader: SheetReader,
    data: SheetData,
    signup_id: str,
    request: SignupRequest,
    there_before: list[tuple],
    landed_at: int | None,
    now: datetime,
) -> SignupOutcome:
    """Keep the new row only if it fits behind every row ahead of it; else cancel it.

    Rows that were in the sheet when the request was checked are ahead of it wherever a
    sort has put them since. Rows that arrived meanwhile are ordered by their place in the
    sheet, which is the order Google applied the appends in, unless the tab was sorted or
    rows were moved since: then every one of them counts as ahead (a place may go unfilled,
    but none is filled twice).
    """
    mine = next((s for s in data.signups if s.id == signup_id), None)
    if mine is None:
        # Deleted by a coordinator in the moment since it landed: nothing left to confirm.
        raise SignupNotSaved(
            "Your signup was removed from the sheet as it was saved; please try again."
        )
    reordered = _reordered_since(data, mine, there_before, landed_at)
    if reordered:
        log.info("signup %s: the tab was reordered meanwhile; deciding conservatively", signup_id)
    twin = _twin_above(data, mine, reordered)
    if twin is not None:
        return _give_way_to_twin(reader, mine, twin, reordered)
    ahead = _rows_ahead(data, mine, there_before, reordered)
    _keep_if_it_fits(reader, data, mine, request, ahead, now)
    note_confirmed(reader, mine)  # the site's record, for `sheet audit`
    return SignupOutcome(mine)


def _is_twin(other: Signup, mine: Signup) -> bool:
    """Another row made by the same form (the same request key)."""
    return bool(other.request_id) and other.request_id == mine.request_id and other != mine


def _twin_above(data: SheetData, mine: Signup, reordered: bool) -> Signup | None:
    """The same form may reach the sheet twice through two processes (a double click): the
    row above stands. If the tab was reordered meanwhile, which is above cannot be told,
    and every confirmed twin counts as above."""
    return next(
        (
            s
            for s in data.signups
            if _is_twin(s, mine) and s.confirmed and (reordered or s.row < mine.row)
        ),
        None,
    )


def _give_way_to_twin(
    reader: SheetReader, mine: Signup, twin: Signup, reordered: bool
) -> SignupOutcome:
    """Withdraw this row for its twin; if both may have given way, say it was not kept."""
    _cancel_own_row(reader, mine)
    if reordered:
        # The twin may have given way to this row at the same moment: say so if it did.
        again = next((s for s in reader.fresh().signups if s.id == twin.id), None)
        if again is None or not again.confirmed:
            raise SignupNotSaved(
                "This form arrived twice at the same moment and neither copy could be kept; "
                "please send it again."
            )
    return SignupOutcome(twin, repeated=True)


def _rows_ahead(
    data: SheetData, mine: Signup, there_before: list[tuple], reordered: bool
) -> list[Signup]:
    """The rows the new row must fit behind (see ``confirm_in_sheet_order``)."""
    before = set(there_before)
    ahead = [
        s
        for s in data.signups
        if s.id != mine.id
        and not _is_twin(s, mine)
        and (row_key(s) in before or reordered or s.row < mine.row)
    ]
    if reordered:
        # Sheet order no longer says who was first: every row ahead counts, even one that a
        # sort has put below a row over the maximum (ours, maybe) for the moment.
        ahead = [replace(s, over_maximum=False) for s in ahead]
    return ahead


def _reordered_since(
    data: SheetData, mine: Signup, there_before: list[tuple], landed_at: int | None
) -> bool:
    """True when the tab may have been sorted or rows moved since the request was checked."""
    if landed_at is None or mine.row != landed_at:
        return True
    position = {row_key(s): s.row for s in data.signups}
    old_rows = [position[key] for key in there_before if key in position]
    if old_rows != sorted(old_rows):
        return True
    # Appends land below every row already there; a newer row above an older one was moved.
    last_old = max(old_rows, default=0)
    before = set(there_before)
    return any(s.row < last_old for s in data.signups if row_key(s) not in before)


def _keep_if_it_fits(
    reader: SheetReader,
    data: SheetData,
    mine: Signup,
    request: SignupRequest,
    ahead: Sequence[Signup],
    now: datetime,
) -> None:
    """Cancel ``mine`` and say why if it breaks a rule behind the rows ahead of it."""
    block = block_at(data.blocks_near(mine.start), mine.start)
    if block is None:
        return  # the hours were changed meanwhile; a coordinator decides
    try:
        check_room(request, block, mine.start, mine.end, ahead, data.settings)
    except SignupRefused as refusal:
        log.info("signup %s lost the race for its place: %s", mine.id, refusal.message)
        _cancel_own_row(reader, mine)
        others = [s for s in data.signups if s.id != mine.id]
        if isinstance(refusal, SlotFull) and not isinstance(refusal, PlaceTaken):
            raise PlaceTaken(
                f"Someone took the last {request.role.label} place just before you, so this "
                "signup was not kept.",
                suggestion=nearest_open_start(data, request, others, now),
            ) from refusal
        raise


def replay(reader: SheetReader, data: SheetData, earlier: Signup, now: datetime) -> SignupOutcome:
    """A form sent again: its first row stands, unless it never finished being checked.

    A first try that lost its race but could not withdraw its row (the sheet stopped
    answering) left it confirmed; checked here again in sheet order, it is withdrawn now.
    """
    recent = earlier.signed_up_at is not None and now - earlier.signed_up_at <= REPLAY_WINDOW
    if not earlier.cancelled and recent:
        # Only a row from moments ago can be one a lost race left behind; an older row stands
        # even if the limits were lowered since (that is for a coordinator to settle).
        ahead = [s for s in data.signups if s.row < earlier.row and s.id != earlier.id]
        as_asked = SignupRequest(
            earlier.name,
            earlier.contact,
            earlier.role,
            earlier.start,
            max(1, round(earlier.hours)),
            request_id=earlier.request_id,
        )
        try:
            _keep_if_it_fits(reader, data, earlier, as_asked, ahead, now)
        except SignupUncertain:
            note_uncertain(reader, earlier)
            raise
        except SignupRefused:
            forget_uncertain(reader, earlier)  # withdrawn, and the volunteer is told now
            raise
    elif earlier.over_maximum:
        # An old row that holds no place (a maximum was lowered since): not a signup to promise.
        raise SlotFull(
            f"{earlier.role.plural} are full at that hour, so this signup does not count; "
            "please pick another hour."
        )
    forget_uncertain(reader, earlier)  # the volunteer is told now: no later notice
    note_confirmed(reader, earlier)  # kept now, if its first try was left uncertain
    return SignupOutcome(earlier, repeated=True)


def _cancel_own_row(reader: SheetReader, mine: Signup, settle_seconds: float = 1.0) -> None:
    """Withdraw a row this request added; if that fails, the volunteer must send again."""
    try:
        withdraw_rows(reader, [mine], settle_seconds)
    except StorageError as error:
        raise SignupUncertain(
            "Someone else was signing up for the same place at the same moment, and the sheet "
            "stopped answering before your signup could be settled. Please send the form "
            "again: it is safe, it will not sign you up twice.",
            detail=error.detail,
            transient=True,
        ) from error
