"""Questions asked of a read: a week, the form's hours, where help is needed, hours worked."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sumo_sheets import services
from sumo_sheets.model import Role

from ..support import NOW
from .conftest import MONDAY_14, ask, later


def test_a_week_has_seven_days_and_the_schedules_blocks(reader):
    services.sign_up(reader, ask("Ann"), NOW)
    week = services.week_view(reader.fresh(), MONDAY_14.date(), NOW)
    assert [d.day.weekday() for d in week.days] == list(range(7))
    assert [len(d.blocks) for d in week.days] == [2, 2, 2, 2, 2, 1, 0]
    monday = week.days[0].blocks[0]
    assert [s.name for h in monday.hours for s in h.people[Role.HELPER]] == ["Ann"]


def test_a_week_in_another_zone_shows_each_block_on_its_local_day(reader):
    tokyo = ZoneInfo("Asia/Tokyo")
    week = services.week_view(reader.fresh(), MONDAY_14.date(), NOW, tokyo)
    # 16:00 UTC is 01:00 the next day in Tokyo, and Saturday's 15:00 is Sunday's midnight.
    assert [len(d.blocks) for d in week.days] == [1, 2, 2, 2, 2, 1, 1]


def test_open_hours_leave_out_blocks_that_have_ended(reader):
    blocks = services.open_hours(reader.fresh(), NOW.date() - timedelta(days=2), NOW)
    assert blocks and all(b.end > NOW for b in blocks)
    assert blocks[0].start.date() == NOW.date()


def test_help_is_needed_most_where_nobody_answers(reader):
    for name in ("Ann", "Bo"):
        services.sign_up(reader, ask(name, start=MONDAY_14), NOW)
    needed = services.help_needed(reader.fresh(), NOW, days=7)
    assert MONDAY_14 not in [h.start for h in needed.uncovered]
    assert MONDAY_14 + timedelta(hours=1) in [h.start for h in needed.uncovered]
    assert all(NOW <= h.start < later(24 * 7) for h in needed.uncovered + needed.thin)
    assert needed.anchorless


def test_hours_per_volunteer_and_per_week(reader):
    services.sign_up(reader, ask("Ann", hours=2), NOW)
    services.sign_up(reader, ask("Bo", Role.ADVISOR), NOW)
    services.sign_up(reader, ask("Ann", Role.ADVISOR, start=later(24 * 6 + 4)), NOW)
    data = reader.fresh()
    people = services.volunteer_hours(data, NOW, later(24 * 14))
    assert [(p.name, p.total) for p in people] == [("Ann", 3), ("Bo", 1)]
    mine = services.signups_of(data, "ann@example.org")
    assert [s.role for s in mine] == [Role.HELPER, Role.ADVISOR]
    weeks = services.hours_by_week(mine, ZoneInfo("UTC"))
    assert weeks == [(MONDAY_14.date(), {Role.HELPER: 2, Role.ADVISOR: 1})]
    assert services.signups_of(data, "") == []
