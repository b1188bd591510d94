"""Reading the tabs as coordinators leave them, and writing rows that fit their layout."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from sumo_sheets import sheet_format as fmt
from sumo_sheets.model import Role, Signup

HEADER = list(fmt.SIGNUP_HEADERS)


def signup_grid(*rows, header=HEADER):
    return [list(header), *[list(r) for r in rows]]


def row(
    name="Ann",
    role="Helper",
    day="2026-11-30",
    start="14:00",
    end="15:00",
    status="confirmed",
    id_="A1",
    contact="ann@example.org",
):
    return [id_, name, contact, role, day, start, end, status, "2026-11-25 10:00", ""]


def test_a_clean_row_reads_as_a_signup():
    signups, problems = fmt.parse_signups(signup_grid(row()))
    assert problems == []
    (ann,) = signups
    assert (ann.id, ann.name, ann.role, ann.row) == ("A1", "Ann", Role.HELPER, 2)
    assert ann.start == datetime(2026, 11, 30, 14, tzinfo=UTC)
    assert ann.end == datetime(2026, 11, 30, 15, tzinfo=UTC)
    assert ann.signed_up_at == datetime(2026, 11, 25, 10, tzinfo=UTC)


def test_columns_are_found_by_name_in_any_order_case_and_spacing_among_others():
    header = ["  role ", "Coordinator's remark", "name", "DATE", "start (utc)", "Id", "end"]
    grid = [header, ["helper", "lovely", "Bo", "2026-11-30", "9:00", "B2", "11:00"]]
    (bo,), problems = fmt.parse_signups(grid)
    assert problems == []
    assert (bo.name, bo.id, bo.role) == ("Bo", "B2", Role.HELPER)
    assert (bo.start.hour, bo.end.hour) == (9, 11)


def test_the_documented_header_wins_over_an_alias_column():
    header = ["Start", "Name", "Role", "Date", "Start (UTC)"]
    (bo,), _ = fmt.parse_signups([header, ["08:00", "Bo", "helper", "2026-11-30", "09:00"]])
    assert bo.start.hour == 9


@pytest.mark.parametrize(
    ("typed", "role"),
    [
        ("helper", Role.HELPER),
        (" Helper ", Role.HELPER),
        ("HELPERS", Role.HELPER),
        ("room monitor", Role.MONITOR),
        ("Room-Monitor", Role.MONITOR),
        ("monitor", Role.MONITOR),
        ("Adviser", Role.ADVISOR),
        ("anchor", Role.ANCHOR),
    ],
)
def test_roles_are_read_in_the_spellings_people_type(typed, role):
    assert fmt.parse_role(typed) is role


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("9:00", time(9)),
        ("09:00", time(9)),
        ("9", time(9)),
        ("14:00:00", time(14)),
        ("9am", time(9)),
        ("2:30 pm", time(14, 30)),
        ("12 am", time(0)),
        ("24:00", time(0)),
        ("9.30", time(9, 30)),
    ],
)
def test_times_are_read_in_the_forms_people_type(typed, expected):
    assert fmt.parse_time(typed) == expected


@pytest.mark.parametrize("typed", ["25:00", "9:75", "noon", "13pm", ""])
def test_impossible_times_are_refused(typed):
    with pytest.raises(fmt.CellError):
        fmt.parse_time(typed)


def test_blank_rows_are_skipped_without_a_problem():
    signups, problems = fmt.parse_signups(signup_grid(row(), [], ["", "  "], row(id_="B2")))
    assert [s.id for s in signups] == ["A1", "B2"]
    assert [s.row for s in signups] == [2, 5]
    assert problems == []


def test_a_hand_typed_row_without_id_or_end_counts_as_one_hour():
    hand = ["", "Cy", "", "advisor", "2026-11-30", "16:00", "", "", "", ""]
    (cy,), problems = fmt.parse_signups(signup_grid(hand))
    assert problems == []
    assert cy.id == "" and cy.confirmed
    assert cy.end == datetime(2026, 11, 30, 17, tzinfo=UTC)


@pytest.mark.parametrize("typed", ["cancelled", "CANCELLED", " Cancelled ", "canceled"])
def test_cancelled_in_any_case_frees_the_place(typed):
    (signup,), _ = fmt.parse_signups(signup_grid(row(status=typed)))
    assert signup.cancelled


def test_a_shift_past_midnight_ends_the_next_day():
    (late,), _ = fmt.parse_signups(signup_grid(row(start="23:00", end="01:00")))
    assert late.end == datetime(2026, 12, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (row(day="30/11/2026"), "not like 2026-11-30"),
        (row(day="2026-02-30"), "does not exist"),
        (row(role="cook"), "role 'cook'"),
        (row(start="lunch"), "time 'lunch'"),
        (row(status="maybe"), "status 'maybe'"),
        (row(name=""), "no name"),
    ],
)
def test_an_unreadable_row_is_skipped_and_reported_with_its_row_number(bad, reason):
    signups, problems = fmt.parse_signups(signup_grid(row(id_="OK1"), bad, row(id_="OK2")))
    assert [s.id for s in signups] == ["OK1", "OK2"]
    (problem,) = problems
    assert (problem.tab, problem.row) == ("Signups", 3)
    assert reason in problem.message
    assert str(problem).startswith("Signups row 3: ")


def test_a_signups_tab_without_a_role_column_is_reported_not_guessed():
    header = [h for h in HEADER if h != "Role"]
    signups, problems = fmt.parse_signups([header, ["A1", "Ann"]])
    assert signups == []
    assert problems[0].row == 1 and "Role" in problems[0].message


def test_an_empty_signups_tab_is_reported():
    signups, problems = fmt.parse_signups([])
    assert signups == [] and "sheet init" in problems[0].message


def test_a_new_row_follows_the_sheets_own_column_order_and_leaves_others_columns_blank():
    header = ["Status", "Mine", "name", "ID", "Role", "Date", "Start", "End", "Contact"]
    signup = Signup(
        id="Z9",
        name="Di",
        contact="di@example.org",
        role=Role.MONITOR,
        start=datetime(2026, 11, 30, 14, tzinfo=UTC),
        end=datetime(2026, 11, 30, 16, tzinfo=UTC),
    )
    assert fmt.signup_row(header, signup) == [
        "confirmed",
        "",
        "Di",
        "Z9",
        "Room monitor",
        "2026-11-30",
        "14:00",
        "16:00",
        "di@example.org",
    ]


def schedule(*rows):
    return [list(fmt.SCHEDULE_HEADERS), *[list(r) for r in rows]]


def test_the_default_schedule_reads_without_problems():
    entries, problems = fmt.parse_schedule(schedule(*fmt.DEFAULT_SCHEDULE))
    assert problems == []
    assert len(entries) == len(fmt.DEFAULT_SCHEDULE)
    assert entries[0].wanted == {Role.HELPER: 2, Role.ADVISOR: 1, Role.MONITOR: 1}


@pytest.mark.parametrize("day", ["Monday", "monday", " MON ", "Mondays"])
def test_schedule_days_are_read_in_any_case_or_short_form(day):
    (entry,), problems = fmt.parse_schedule(schedule([day, "9:00", "11:00", "2", "1", "1"]))
    assert entry.weekday == 0 and problems == []


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (["Funday", "9:00", "11:00", "2", "1", "1"], "not a day"),
        (["Monday", "9:00", "10:30", "2", "1", "1"], "whole number of hours"),
        (["Monday", "9:00", "11:00", "lots", "1", "1"], "not a number"),
        (["Monday", "10:00", "12:00", "2", "1", "1"], "overlaps the Monday block from 09:00"),
    ],
)
def test_bad_schedule_rows_are_skipped_and_reported(bad, reason):
    good = ["Monday", "9:00", "11:00", "2", "1", "1"]
    entries, problems = fmt.parse_schedule(schedule(good, bad))
    assert len(entries) == 1
    (problem,) = problems
    assert problem.row == 3 and reason in problem.message


def test_blank_wanted_counts_mean_nobody_wanted():
    (entry,), _ = fmt.parse_schedule(schedule(["Tuesday", "9", "10"]))
    assert entry.wanted == {Role.HELPER: 0, Role.ADVISOR: 0, Role.MONITOR: 0}


def settings_grid(*rows):
    return [list(fmt.SETTINGS_HEADERS), *[list(r) for r in rows]]


def test_settings_are_read_and_applied():
    settings, problems = fmt.parse_settings(
        settings_grid(
            ["time zone", "America/Los_Angeles"],
            ["Most helpers an hour", "4"],
            ["Most room monitors an hour", ""],
            ["Weeks open for signup", "3"],
        )
    )
    assert problems == []
    assert settings.time_zone.key == "America/Los_Angeles"
    assert settings.maximum == {Role.HELPER: 4, Role.ADVISOR: None, Role.MONITOR: None}
    assert settings.weeks_open == 3


def test_unknown_and_bad_settings_are_reported_and_the_default_used():
    settings, problems = fmt.parse_settings(
        settings_grid(
            ["Time zone", "Mars/Olympus"], ["Colour", "blue"], ["Weeks open for signup", "99"]
        )
    )
    assert settings.time_zone.key == "UTC"
    assert settings.weeks_open == 8
    messages = [str(p) for p in problems]
    assert any("Settings row 2" in m and "Mars/Olympus" in m for m in messages)
    assert any("unknown setting 'Colour'" in m for m in messages)
    assert any("Settings row 4" in m and "between 1 and 52" in m for m in messages)
