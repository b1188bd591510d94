"""Roles, blocks, signup rules and coverage, on plain values."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sumo_sheets.model import (
    AlreadySignedUp,
    Coverage,
    NotOpenYet,
    OutsideSchedule,
    Role,
    RoleClash,
    ScheduleEntry,
    Settings,
    Signup,
    SignupRequest,
    SlotFull,
    blocks_for_week,
    build_block_views,
    check_signup,
)

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
MONDAY = date(2026, 11, 30)
AT_14 = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
AT_15 = AT_14 + timedelta(hours=1)
WANTED = {Role.HELPER: 2, Role.ADVISOR: 1, Role.MONITOR: 1}
UTC_ZONE = ZoneInfo("UTC")


def monday_block(start=time(14), end=time(17)) -> ScheduleEntry:
    return ScheduleEntry(0, start, end, dict(WANTED))


BLOCKS = blocks_for_week([monday_block()], MONDAY, UTC_ZONE)


def person(name, role, start=AT_14, hours=1, contact=None, cancelled=False) -> Signup:
    return Signup(
        name=name,
        contact=contact or f"{name.lower()}@example.org",
        role=role,
        start=start,
        end=start + timedelta(hours=hours),
        cancelled=cancelled,
    )


def ask(role, start=AT_14, hours=1, contact="new@example.org") -> SignupRequest:
    return SignupRequest("New Volunteer", contact, role, start, hours)


DEFAULT_SETTINGS = Settings()


def check(request, signups=(), settings=DEFAULT_SETTINGS):
    return check_signup(request, BLOCKS, signups, settings, NOW)


def test_a_helper_gets_the_hours_asked_for():
    assert check(ask(Role.HELPER, hours=2)) == (AT_14, AT_14 + timedelta(hours=2))


def test_an_anchor_takes_the_whole_block_whatever_hours_were_asked():
    assert check(ask(Role.ANCHOR, hours=1)) == (AT_14, AT_14 + timedelta(hours=3))


def test_an_anchor_starting_mid_block_is_refused():
    with pytest.raises(OutsideSchedule, match="starts at 14:00"):
        check(ask(Role.ANCHOR, start=AT_15))


def test_a_second_anchor_for_a_block_is_refused():
    with pytest.raises(SlotFull, match="already has its Anchor"):
        check(ask(Role.ANCHOR), [person("Ann", Role.ANCHOR, hours=3)])


def test_a_cancelled_anchor_frees_the_block():
    assert check(ask(Role.ANCHOR), [person("Ann", Role.ANCHOR, hours=3, cancelled=True)])


def test_third_room_monitor_in_an_hour_is_refused():
    two = [person("Ann", Role.MONITOR), person("Bo", Role.MONITOR)]
    with pytest.raises(SlotFull, match="at most 2"):
        check(ask(Role.MONITOR), two)


def test_room_monitor_maximum_counts_each_hour_of_a_longer_signup():
    two_later = [person("Ann", Role.MONITOR, start=AT_15), person("Bo", Role.MONITOR, start=AT_15)]
    assert check(ask(Role.MONITOR), two_later)  # 14:00 alone is fine
    with pytest.raises(SlotFull, match="15:00"):
        check(ask(Role.MONITOR, hours=2), two_later)


def test_helpers_have_no_maximum_by_default():
    crowd = [person(f"H{n}", Role.HELPER) for n in range(20)]
    assert check(ask(Role.HELPER), crowd)


def test_a_helper_maximum_from_settings_is_enforced():
    settings = Settings(maximum={Role.HELPER: 1, Role.ADVISOR: None, Role.MONITOR: 2})
    with pytest.raises(SlotFull):
        check(ask(Role.HELPER), [person("Ann", Role.HELPER)], settings)


def test_the_same_person_cannot_hold_two_roles_in_one_hour():
    mine = [person("Me", Role.ADVISOR, contact="new@example.org")]
    with pytest.raises(RoleClash, match="already has a signup that overlaps these hours"):
        check(ask(Role.HELPER), mine)


def test_the_same_person_cannot_sign_up_twice_for_an_hour_whatever_the_case_of_the_contact():
    mine = [person("Me", Role.HELPER, start=AT_15, contact=" NEW@Example.org ")]
    with pytest.raises(AlreadySignedUp):
        check(ask(Role.HELPER, hours=2), mine)


def test_one_person_can_take_different_roles_in_different_hours():
    mine = [person("Me", Role.ANCHOR, start=AT_14, contact="new@example.org")]
    later_block = blocks_for_week([monday_block(time(18), time(20))], MONDAY, UTC_ZONE)
    start = datetime(2026, 11, 30, 18, tzinfo=UTC)
    assert check_signup(ask(Role.ADVISOR, start=start), later_block, mine, Settings(), NOW)


def test_an_hour_outside_the_schedule_is_refused():
    with pytest.raises(OutsideSchedule):
        check(ask(Role.HELPER, start=AT_14 - timedelta(hours=1)))


def test_hours_running_past_the_block_end_are_refused_on_the_hours_field():
    with pytest.raises(OutsideSchedule, match="at most 2 hours") as refused:
        check(ask(Role.HELPER, start=AT_15, hours=3))
    assert refused.value.field == "hours"


def test_an_hour_that_has_started_is_refused():
    with pytest.raises(NotOpenYet, match="already started"):
        check_signup(ask(Role.HELPER), BLOCKS, [], Settings(), AT_14 + timedelta(minutes=5))


def test_an_hour_beyond_the_signup_horizon_is_refused():
    monday_in_two_weeks = MONDAY + timedelta(days=14)
    blocks = blocks_for_week([monday_block()], monday_in_two_weeks, UTC_ZONE)
    request = ask(Role.HELPER, start=blocks[0].start)
    assert check_signup(request, blocks, [], Settings(weeks_open=3), NOW)
    with pytest.raises(NotOpenYet, match="2 weeks ahead"):
        check_signup(request, blocks, [], Settings(weeks_open=2), NOW)


def hour_coverage(signups):
    views = build_block_views(BLOCKS, signups, Settings(), NOW)
    return views[0].hours[0].coverage


def test_an_hour_with_nobody_answering_users_is_uncovered():
    assert hour_coverage([person("A", Role.ADVISOR), person("M", Role.MONITOR)]) is (
        Coverage.UNCOVERED
    )


def test_an_hour_without_an_advisor_is_thin():
    signups = [person("An", Role.ANCHOR, hours=3), person("H", Role.HELPER)]
    assert hour_coverage(signups) is Coverage.THIN


def test_an_hour_whose_block_has_no_anchor_is_thin():
    assert hour_coverage([person("H", Role.HELPER), person("A", Role.ADVISOR)]) is Coverage.THIN


def test_an_anchored_advised_hour_is_covered_even_without_a_helper():
    signups = [person("An", Role.ANCHOR, hours=3), person("A", Role.ADVISOR)]
    assert hour_coverage(signups) is Coverage.COVERED


def test_cancelled_signups_do_not_count_towards_coverage():
    signups = [person("H", Role.HELPER, cancelled=True)]
    assert hour_coverage(signups) is Coverage.UNCOVERED


def test_schedule_hours_stay_put_locally_across_daylight_saving():
    la = ZoneInfo("America/Los_Angeles")
    entry = ScheduleEntry(0, time(9), time(11), dict(WANTED))
    before = blocks_for_week([entry], date(2027, 3, 8), la)[0]
    after = blocks_for_week([entry], date(2027, 3, 15), la)[0]
    assert (before.start.hour, after.start.hour) == (17, 16)
    assert len(before.hours) == len(after.hours) == 2


def test_a_block_on_the_night_the_clocks_spring_forward_loses_the_skipped_hour():
    la = ZoneInfo("America/Los_Angeles")
    sunday_night = ScheduleEntry(6, time(1), time(3), dict(WANTED))  # 2027-03-14
    block = blocks_for_week([sunday_night], date(2027, 3, 8), la)[0]
    assert block.start == datetime(2027, 3, 14, 9, tzinfo=UTC)
    assert block.end == datetime(2027, 3, 14, 10, tzinfo=UTC)


def test_a_block_past_midnight_ends_the_next_day():
    late = ScheduleEntry(0, time(23), time(1), dict(WANTED))
    block = blocks_for_week([late], MONDAY, UTC_ZONE)[0]
    assert block.end == datetime(2026, 12, 1, 1, tzinfo=UTC)
    assert len(block.hours) == 2


def test_role_labels_read_as_coordinators_write_them():
    assert [r.label for r in Role] == ["Helper", "Anchor", "Advisor", "Room monitor"]
    assert [r.answers_users for r in Role] == [True, True, False, False]
