"""The signup rules: a request must fit a block, be open, and find the person and role free."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from .. import contacts
from .records import Signup, SignupRequest
from .refusals import (
    ALREADY_ON,
    AlreadySignedUp,
    NotOpenYet,
    OutsideSchedule,
    RoleClash,
    SlotFull,
)
from .roles import ANCHORS_PER_BLOCK, HOUR, Role
from .schedule import Block, Settings, block_at


def check_signup(
    request: SignupRequest,
    blocks: Sequence[Block],
    signups: Iterable[Signup],
    settings: Settings,
    now: datetime,
) -> tuple[datetime, datetime]:
    """Apply every rule to a request; return its UTC [start, end) or raise SignupRefused."""
    block = block_at(blocks, request.start)
    if block is None:
        raise OutsideSchedule("Live Chat is not staffed at that hour; pick an hour from the list.")
    start, end = _span_asked(request, block)
    if start < now:
        raise NotOpenYet("That hour has already started; pick a later one.")
    if start >= now + timedelta(weeks=settings.weeks_open):
        raise NotOpenYet(f"Signups open {settings.weeks_open} weeks ahead; pick an earlier hour.")

    check_room(request, block, start, end, signups, settings)
    return start, end


def _span_asked(request: SignupRequest, block: Block) -> tuple[datetime, datetime]:
    """The UTC [start, end) a request asks for in its block: an Anchor takes it whole."""
    if request.role is Role.ANCHOR:
        if request.start != block.start:
            raise OutsideSchedule(
                "An Anchor takes the whole block, which starts at {start}.",
                moments={"start": block.start},
            )
        return block.start, block.end
    start, end = request.start, request.start + request.hours * HOUR
    if end > block.end:
        raise _too_long(block, int((block.end - start) / HOUR))
    return start, end


def check_room(
    request: SignupRequest,
    block: Block,
    start: datetime,
    end: datetime,
    signups: Iterable[Signup],
    settings: Settings,
) -> None:
    """The rules that depend on other signups: the person is free and the role has room."""
    confirmed = [s for s in signups if s.confirmed]
    _check_person_is_free(request, start, end, confirmed)
    _check_role_has_room(request.role, block, start, end, confirmed, settings)


def _too_long(block: Block, most: int) -> OutsideSchedule:
    error = OutsideSchedule(
        "This block ends at {end}: from that start you can take at most "
        f"{most} hour{'s' if most != 1 else ''}.",
        moments={"end": block.end},
    )
    error.field = "hours"
    return error


def _check_person_is_free(
    request: SignupRequest, start: datetime, end: datetime, confirmed: Iterable[Signup]
) -> None:
    # Anyone can type any contact into the form, so the refusal says only that this
    # contact has an overlapping signup: never its role or hours, which would tell a
    # stranger when that volunteer is on shift.
    key = contacts.contact_key(request.contact)
    for signup in confirmed:
        if signup.contact_key != key or not signup.overlaps(start, end):
            continue
        if signup.role is request.role:
            raise AlreadySignedUp(ALREADY_ON)
        raise RoleClash(ALREADY_ON)


def _check_role_has_room(
    role: Role,
    block: Block,
    start: datetime,
    end: datetime,
    confirmed: Sequence[Signup],
    settings: Settings,
) -> None:
    if role is Role.ANCHOR:
        anchors = sum(
            1 for s in confirmed if s.role is Role.ANCHOR and s.overlaps(block.start, block.end)
        )
        if anchors >= ANCHORS_PER_BLOCK:
            raise SlotFull("This block already has its Anchor; sign up as a Helper instead?")
        return
    maximum = settings.maximum.get(role)
    if maximum is None:
        return
    at = start
    while at < end:
        taken = sum(1 for s in confirmed if s.role is role and s.overlaps(at, at + HOUR))
        if taken >= maximum:
            raise SlotFull(
                f"{role.plural} are full at {{at}} (at most {maximum} an hour).",
                moments={"at": at},
            )
        at += HOUR
