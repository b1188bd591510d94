"""A1 parsing and printing, without HTTP."""

from __future__ import annotations

import pytest

from sumo_sheets.emulator.errors import ApiError
from sumo_sheets.emulator.ranges import (
    WHOLE_SHEET,
    Area,
    column_index,
    column_letters,
    format_range,
    parse_range,
    quote_title,
)

TITLES = ["Signups", "My tab", "Ann's list", "2026"]


@pytest.mark.parametrize(
    ("index", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (701, "ZZ"), (702, "AAA")]
)
def test_column_letters_round_trip(index, letters):
    assert column_letters(index) == letters
    assert column_index(letters) == index


@pytest.mark.parametrize(
    ("text", "title", "area"),
    [
        ("Signups!A1:J20", "Signups", Area(0, 0, 20, 10)),
        ("'My tab'!A2:F", "My tab", Area(1, 0, None, 6)),
        ("'Ann''s list'!B:D", "Ann's list", Area(0, 1, None, 4)),
        ("'2026'!2:5", "2026", Area(1, 0, 5, None)),
        ("Signups!C3", "Signups", Area(2, 2, 3, 3, single_cell=True)),
        ("Signups", "Signups", WHOLE_SHEET),
        ("'My tab'", "My tab", WHOLE_SHEET),
        ("signups!A1", "Signups", Area(0, 0, 1, 1, single_cell=True)),
        ("A1:B2", "Signups", Area(0, 0, 2, 2)),
        ("A:Z", "Signups", Area(0, 0, None, 26)),
        ("B2:A1", "Signups", Area(0, 0, 2, 2)),
        ("Signups!$A$1:$B$2", "Signups", Area(0, 0, 2, 2)),
        ("Signups!A3:3", "Signups", Area(2, 0, 3, None)),
        ("Signups!B:D5", "Signups", Area(0, 1, 5, 4)),
    ],
)
def test_parse_range(text, title, area):
    parsed = parse_range(text, TITLES)
    assert (parsed.title, parsed.area) == (title, area)


@pytest.mark.parametrize(
    "text", ["Nope!A1", "'Nope'", "Signups!A", "Signups!A1:", "Signups!A:5", "'Signups", "A0"]
)
def test_unparseable_ranges_are_google_400s(text):
    with pytest.raises(ApiError) as caught:
        parse_range(text, TITLES)
    assert caught.value.code == 400
    assert caught.value.status == "INVALID_ARGUMENT"
    assert caught.value.message == f"Unable to parse range: {text}"


@pytest.mark.parametrize(
    ("title", "printed"),
    [
        ("Signups", "Signups"),
        ("Sheet1", "Sheet1"),
        ("My tab", "'My tab'"),
        ("Ann's list", "'Ann''s list'"),
        ("2026", "'2026'"),
        ("AB12", "'AB12'"),
        ("R1C1", "'R1C1'"),
    ],
)
def test_titles_are_quoted_only_when_needed(title, printed):
    assert quote_title(title) == printed


def test_format_range_prints_single_cells_and_rectangles():
    assert format_range("Signups", 0, 0, 20, 10) == "Signups!A1:J20"
    assert format_range("My tab", 4, 2, 5, 3) == "'My tab'!C5"
