"""Refusals keep the moments they talk about: ``message`` says them in UTC, ``describe``
in whatever zone the reader is in."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sumo_sheets.model import (
    ANCHORS_PER_BLOCK,
    OutsideSchedule,
    PlaceTaken,
    Refusal,
    Role,
    ScheduleEntry,
    Settings,
    Signup,
    SignupRefused,
    SignupRequest,
    SlotFull,
    blocks_for_week,
    build_block_views,
    check_signup,
    format_utc,
)

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
AT_14 = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
BLOCKS = blocks_for_week(
    [ScheduleEntry(0, time(14), time(16), {Role.HELPER: 2})], date(2026, 11, 30), ZoneInfo("UTC")
)
BERLIN = ZoneInfo("Europe/Berlin")


def in_berlin(moment: datetime) -> str:
    return f"{moment.astimezone(BERLIN):%H:%M} Berlin"


def refusal_for(role: Role, start: datetime, hours: int = 1, signups=(), **settings):
    request = SignupRequest("New", "new@example.org", role, start, hours)
    with pytest.raises(SignupRefused) as refused:
        check_signup(request, BLOCKS, signups, Settings(**settings), NOW)
    return refused.value


def test_a_refusal_keeps_its_moment_and_says_it_in_utc_or_in_the_readers_zone():
    refusal = refusal_for(Role.ANCHOR, AT_14 + timedelta(hours=1))
    assert isinstance(refusal, OutsideSchedule)
    assert refusal.moments == {"start": AT_14}
    assert refusal.message == "An Anchor takes the whole block, which starts at 14:00 UTC."
    assert str(refusal) == refusal.message
    assert refusal.describe(in_berlin) == (
        "An Anchor takes the whole block, which starts at 15:00 Berlin."
    )


def test_too_many_hours_names_the_blocks_end_and_the_hours_field():
    refusal = refusal_for(Role.HELPER, AT_14 + timedelta(hours=1), hours=2)
    assert refusal.field == "hours"
    assert refusal.describe(in_berlin).startswith("This block ends at 17:00 Berlin:")
    assert refusal.message.startswith("This block ends at 16:00 UTC:")


def test_a_full_hour_is_named_in_the_readers_zone():
    others = [
        Signup(f"P{i}", f"p{i}@example.org", Role.MONITOR, AT_14, AT_14 + timedelta(hours=1))
        for i in range(2)
    ]
    refusal = refusal_for(Role.MONITOR, AT_14, signups=others)
    assert isinstance(refusal, SlotFull)
    assert refusal.message == "Room monitors are full at 14:00 UTC (at most 2 an hour)."
    assert refusal.describe(in_berlin) == (
        "Room monitors are full at 15:00 Berlin (at most 2 an hour)."
    )


def test_a_refusal_without_moments_reads_the_same_everywhere():
    refusal = SlotFull("Full {not a placeholder}.")
    assert refusal.message == refusal.describe(in_berlin) == "Full {not a placeholder}."
    taken = PlaceTaken("Taken at {at}.", suggestion=AT_14, moments={"at": AT_14})
    assert (taken.message, taken.suggestion) == ("Taken at 14:00 UTC.", AT_14)
    assert isinstance(taken, Refusal) and format_utc(AT_14) == "14:00 UTC"


def test_the_anchor_maximum_has_one_home():
    assert ANCHORS_PER_BLOCK == 1
    anchor = Signup("A", "a@example.org", Role.ANCHOR, AT_14, AT_14 + timedelta(hours=2))
    (view,) = build_block_views(BLOCKS, [anchor], Settings(), NOW)
    assert view.hours[0].maximum[Role.ANCHOR] == ANCHORS_PER_BLOCK
    assert not view.hours[0].has_room(Role.ANCHOR)
    refusal = refusal_for(Role.ANCHOR, AT_14, signups=[anchor])
    assert isinstance(refusal, SlotFull) and "already has its Anchor" in refusal.message
