"""`flask sheet init | check | demo` on the workbook."""

from __future__ import annotations

from sumo_sheets import services
from sumo_sheets import sheet_format as fmt
from sumo_sheets.model import Role

from .support import build_workbook, read_workbook


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
    assert "4 problem(s) found." in lines


def test_check_passes_on_a_clean_sheet(runner):
    result = runner.invoke(args=["sheet", "check"])
    assert result.exit_code == 0
    assert "every row is readable" in result.output


def test_demo_fills_a_week_within_the_rules(runner, storage):
    result = runner.invoke(args=["sheet", "demo", "--week", "2026-W49", "--seed", "7"])
    assert result.exit_code == 0, result.output
    data = services.read_sheet(storage)
    assert data.problems == []
    assert len(data.signups) >= 20
    assert f"Added {len(data.signups)} demo signups to 2026-W49." in result.output
    for block in data.blocks_for(data.signups[0].start.date()):
        anchors = [
            s for s in data.signups if s.role is Role.ANCHOR and s.overlaps(block.start, block.end)
        ]
        assert len(anchors) <= 1
        for hour in block.hours:
            monitors = [
                s for s in data.signups if s.role is Role.MONITOR and s.start <= hour < s.end
            ]
            assert len(monitors) <= 2


def test_demo_refuses_a_malformed_week(runner):
    result = runner.invoke(args=["sheet", "demo", "--week", "soon"])
    assert result.exit_code == 2
    assert "week must look like 2026-W49" in result.output
