"""The site's writes on a workbook LibreOffice saved change only what they write: every other
zip part stays byte for byte, the coordinator's table grows over new rows, and LibreOffice
opens the result and shows every row and the coordinator's formula results."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pytest

from sumo_sheets import sheet_format as fmt
from sumo_sheets.storage import TabSpec
from sumo_sheets.storage.workbook import WorkbookStorage

from .libreoffice import ORIGINAL_ROWS, coordinator_workbook, parts, tabs_as_csv

SIGNUPS_PART = "xl/worksheets/sheet1.xml"
TABLE_PART = "xl/tables/table1.xml"


@pytest.fixture(scope="module")
def saved_by_libreoffice(tmp_path_factory) -> Path:
    return coordinator_workbook(tmp_path_factory.mktemp("coordinator"))


@pytest.fixture
def workbook(saved_by_libreoffice, tmp_path) -> Path:
    copy = tmp_path / "sumo-schedule.xlsx"
    shutil.copyfile(saved_by_libreoffice, copy)
    return copy


def signup(number: int) -> list[str]:
    return [f"S{number:04d}", f"New volunteer {number}", f"n{number}@example.org", "Helper"] + [
        "2026-12-01",
        "09:00",
        "10:00",
        "confirmed",
        "2026-11-25 10:00",
    ]


def changed_parts(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    assert set(before) <= set(after), "a part of the coordinator's file was dropped"
    return sorted(name for name in after if before.get(name) != after[name])


def test_the_fixture_holds_what_a_coordinator_made(saved_by_libreoffice):
    names = set(parts(saved_by_libreoffice))
    for expected in ("xl/media/image1.png", "xl/charts/chart1.xml", "docProps/custom.xml"):
        assert expected in names
    assert "xl/comments1.xml" in names and TABLE_PART in names
    sheet = parts(saved_by_libreoffice)[SIGNUPS_PART].decode()
    assert re.search(r"<f[^>]*>COUNTIF", sheet) and "<conditionalFormatting" in sheet


def test_signups_and_cancels_change_only_the_signups_part_and_its_table(workbook):
    before = parts(workbook)
    storage = WorkbookStorage(workbook, new_file_tabs=fmt.TAB_SPECS)
    for number in range(1, 101):
        storage.append_rows("Signups", [signup(number)])
    for number in range(1, 101, 5):
        assert storage.update_row("Signups", f"S{number:04d}", {"Status": "cancelled"})
    assert changed_parts(before, parts(workbook)) == sorted([SIGNUPS_PART, TABLE_PART])
    table = parts(workbook)[TABLE_PART].decode()
    last = ORIGINAL_ROWS + 1 + 100
    assert f'ref="A1:N{last}"' in table
    assert table.count(f'ref="A1:N{last}"') == 2  # the table and its autofilter
    grid = WorkbookStorage(workbook).read_tabs(["Signups"])["Signups"]
    assert len(grid) == last
    assert sum(row[7] == "cancelled" for row in grid if row[0].startswith("S")) == 20


def test_text_is_written_as_inline_strings_never_formulas(workbook):
    storage = WorkbookStorage(workbook, new_file_tabs=fmt.TAB_SPECS)
    storage.append_rows("Signups", [["S1", "=1+1", "+44 20 7946 0000", "", " spaced "]])
    sheet = parts(workbook)[SIGNUPS_PART].decode()
    row = re.search(rf'<row r="{ORIGINAL_ROWS + 2}".*?</row>', sheet).group(0)
    assert "<f>" not in row
    assert 't="inlineStr"><is><t>=1+1</t></is></c>' in row
    assert '<t xml:space="preserve"> spaced </t>' in row
    grid = WorkbookStorage(workbook).read_tabs(["Signups"])["Signups"]
    assert grid[-1][:5] == ["S1", "=1+1", "+44 20 7946 0000", "", " spaced "]


def test_a_new_row_keeps_the_coordinators_look(workbook):
    storage = WorkbookStorage(workbook, new_file_tabs=fmt.TAB_SPECS)
    storage.append_rows("Signups", [signup(1)])
    sheet = parts(workbook)[SIGNUPS_PART].decode()
    above = re.search(rf'<c r="A{ORIGINAL_ROWS + 1}" s="(\d+)"', sheet).group(1)
    new = re.search(rf'<c r="A{ORIGINAL_ROWS + 2}" s="(\d+)"', sheet).group(1)
    assert new == above != "0"  # the coordinator's fill on column A


def test_libreoffice_opens_the_result_and_sees_every_row_and_formula_result(workbook, tmp_path):
    original = tabs_as_csv(workbook, tmp_path / "before")
    storage = WorkbookStorage(workbook, new_file_tabs=fmt.TAB_SPECS)
    storage.append_rows("Signups", [signup(1), signup(2)])
    storage.update_row("Signups", "C001", {"Status": "cancelled"})
    storage.update_row("Signups", "S0002", {"Status": "cancelled"})
    after = tabs_as_csv(workbook, tmp_path / "after")
    assert set(after) == set(original)
    for title in set(original) - {"Signups"}:
        assert after[title] == original[title]
    rows = [row for row in after["Signups"] if any(row)]
    assert len(rows) == ORIGINAL_ROWS + 3
    assert rows[1][7] == "cancelled" and rows[-1][7] == "cancelled"
    assert rows[-2][:2] == ["S0001", "New volunteer 1"]
    # The coordinator's COUNTIF column shows its results, as LibreOffice saved them.
    old_rows = [row for row in original["Signups"] if any(row)]
    assert [row[13] for row in rows[1 : ORIGINAL_ROWS + 1]] == [
        row[13] for row in old_rows[1 : ORIGINAL_ROWS + 1]
    ]
    assert all(row[13].isdigit() for row in rows[1 : ORIGINAL_ROWS + 1])


def test_a_new_tab_adds_its_part_and_one_entry_in_three_parts(workbook, tmp_path):
    before = parts(workbook)
    storage = WorkbookStorage(workbook, new_file_tabs=fmt.TAB_SPECS)
    spec = TabSpec("Rota", ("Who", "When"), choices={"When": ("am", "pm")})
    repair = storage.ensure_tab(spec)
    assert repair.created
    after = parts(workbook)
    assert changed_parts(before, after) == [
        "[Content_Types].xml",
        "xl/_rels/workbook.xml.rels",
        "xl/workbook.xml",
        "xl/worksheets/sheet6.xml",
    ]
    assert '<sheet name="Rota" sheetId="6"' in after["xl/workbook.xml"].decode()
    storage.append_rows("Rota", [["Ann", "am"]])
    shown = tabs_as_csv(workbook, tmp_path / "csv")
    assert [row for row in shown["Rota"] if any(row)] == [["Who", "When"], ["Ann", "am"]]
    assert WorkbookStorage(workbook).read_tabs(["Rota"])["Rota"] == [["Who", "When"], ["Ann", "am"]]


def test_added_headers_change_only_the_tab_part(workbook):
    before = parts(workbook)
    storage = WorkbookStorage(workbook, new_file_tabs=fmt.TAB_SPECS)
    repair = storage.ensure_tab(TabSpec("Findings", (*fmt.FINDING_HEADERS, "Extra")))
    assert repair.added_headers == ["Extra"]
    assert changed_parts(before, parts(workbook)) == ["xl/worksheets/sheet4.xml"]


def test_a_sheet_autofilter_and_its_hidden_name_grow_over_new_rows(tmp_path):
    path = tmp_path / "filtered.xlsx"
    WorkbookStorage(path, new_file_tabs=fmt.TAB_SPECS).create_if_missing()
    book = openpyxl.load_workbook(path)
    book["Signups"].append(signup(1))
    book["Signups"].auto_filter.ref = "A1:L2"
    book.save(path)
    WorkbookStorage(path, new_file_tabs=fmt.TAB_SPECS).append_rows("Signups", [signup(2)])
    content = parts(path)
    assert '<autoFilter ref="A1:L3"' in content[SIGNUPS_PART].decode()
    assert "!$A$1:$L$3</definedName>" in content["xl/workbook.xml"].decode()
