"""`flask sheet init | check | demo` on the workbook."""

from __future__ import annotations

from datetime import timedelta

from sumo_sheets import services
from sumo_sheets import sheet_format as fmt
from sumo_sheets.model import Role, week_start

from .support import NOW, build_workbook, read_workbook


def test_init_on_a_new_workbook_reports_every_tab_ready(runner):
    result = runner.invoke(args=["sheet", "init"])
    assert result.exit_code == 0
    assert "The sheet is ready (workbook)." in result.output


def test_init_repairs_missing_tabs_and_headers_without_touching_rows(workbook_path, runner):
    build_workbook(
        workbook_path,
        {"Signups": [["Name", "Role", "Mine"], ["Ann", "helper", "keep me"]]},
    )
    result = runner.invoke(args=["sheet", "init"])
    assert result.exit_code == 0, result.output
    assert "Signups: added columns ID, Contact, Date" in result.output
    assert "Schedule: created" in result.output and "Settings: created" in result.output
    rows = read_workbook(workbook_path, "Signups")
    assert rows[0][:3] == ["Name", "Role", "Mine"]
    assert rows[1] == ["Ann", "helper", "keep me"] + [None] * (len(rows[0]) - 3)
    again = runner.invoke(args=["sheet", "init"])
    assert "Signups: ok" in again.output


def test_check_lists_each_skipped_row_with_its_number_and_fails(workbook_path, runner):
    build_workbook(
        workbook_path,
        {
            "Signups": [
                list(fmt.SIGNUP_HEADERS),
                ["A1", "Ann", "", "cook", "2026-11-30", "14:00"],
                ["A2", "Bo", "", "helper", "2026-11-30", "14:00"],
                ["A3", "Cy", "", "helper", "someday", "14:00"],
            ],
            "Schedule": [list(fmt.SCHEDULE_HEADERS), ["Moonday", "9", "10"]],
            "Settings": [["Setting", "Value"], ["Time zone", "Nowhere/Special"]],
        },
    )
    result = runner.invoke(args=["sheet", "check"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "Signups row 2: role 'cook' is not one of Helper, Anchor, Advisor, Room monitor" in lines
    assert "Signups row 4: date 'someday' is not like 2026-11-30" in lines
    assert "Schedule row 2: day 'Moonday' is not a day of the week" in lines
    assert any(line.startswith("Settings row 2: time zone 'Nowhere/Special'") for line in lines)
    # This older sheet has no Findings tab: findings are refused until `sheet init` adds it.
    assert any(line.startswith("Findings: The sheet has no Findings tab") for line in lines)
    assert "5 problem(s) found." in lines


def test_check_passes_on_a_clean_sheet(runner):
    result = runner.invoke(args=["sheet", "check"])
    assert result.exit_code == 0
    assert "every row is readable" in result.output


def test_demo_fills_the_coming_seven_days_within_the_rules(runner, storage):
    result = runner.invoke(args=["sheet", "demo", "--seed", "7"])
    assert result.exit_code == 0, result.output
    data = services.read_sheet(storage)
    assert data.problems == []
    assert len(data.signups) >= 20
    assert f"Added {len(data.signups)} demo signups to the 7 days from 2026-11-25 10:00 UTC." in (
        result.output
    )
    # Every block starting in the coming 7 days, and none before or after.
    assert min(s.start for s in data.signups) >= NOW
    assert max(s.start for s in data.signups) < NOW + timedelta(days=7)
    assert {s.start.date() for s in data.signups} >= {
        NOW.date() + timedelta(days=n) for n in (1, 6)
    }
    monday = week_start(NOW.date())
    for block in data.blocks_for(monday) + data.blocks_for(monday + timedelta(weeks=1)):
        anchors = [
            s for s in data.signups if s.role is Role.ANCHOR and s.overlaps(block.start, block.end)
        ]
        assert len(anchors) <= 1
        for hour in block.hours:
            monitors = [
                s for s in data.signups if s.role is Role.MONITOR and s.start <= hour < s.end
            ]
            assert len(monitors) <= 2


def test_demo_fills_as_many_days_as_asked(runner, storage):
    result = runner.invoke(args=["sheet", "demo", "--days", "2", "--seed", "7"])
    assert result.exit_code == 0, result.output
    starts = [s.start for s in services.read_sheet(storage).signups]
    assert starts and NOW <= min(starts) and max(starts) < NOW + timedelta(days=2)


def test_demo_refuses_zero_days(runner):
    result = runner.invoke(args=["sheet", "demo", "--days", "0"])
    assert result.exit_code == 2
    assert "--days" in result.output
