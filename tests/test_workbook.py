"""The local workbook: made whole, reloaded when edited, saved atomically, shared safely."""

from __future__ import annotations

import multiprocessing
from datetime import datetime, time

import openpyxl
import pytest

from sumo_sheets import sheet_format as fmt
from sumo_sheets.storage import StorageError, TabSpec, workbook_files
from sumo_sheets.storage.workbook import WorkbookStorage

from .support import build_workbook


def test_a_new_workbook_is_created_with_all_tabs_frozen_headers_and_dropdowns(
    fresh_workbook, workbook_path
):
    grids = fresh_workbook.read_tabs(fmt.TAB_TITLES)
    assert grids["Signups"] == [list(fmt.SIGNUP_HEADERS)]
    assert grids["Schedule"][1:] == [list(r) for r in fmt.DEFAULT_SCHEDULE]
    assert [r[0] for r in grids["Settings"][1:]] == [r[0] for r in fmt.DEFAULT_SETTINGS]
    book = openpyxl.load_workbook(workbook_path)
    assert book.sheetnames == ["Signups", "Schedule", "Settings", "Findings"]
    signups = book["Signups"]
    assert signups.freeze_panes == "A2"
    dropdowns = {str(v.sqref): v.formula1 for v in signups.data_validations.dataValidation}
    assert dropdowns["D2:D10000"] == '"Helper,Anchor,Advisor,Room monitor"'
    assert dropdowns["H2:H10000"] == '"confirmed,cancelled"'


def test_an_edit_saved_by_a_spreadsheet_program_is_seen_on_the_next_read(
    fresh_workbook, workbook_path
):
    fresh_workbook.read_tabs(["Settings"])
    book = openpyxl.load_workbook(workbook_path)
    book["Settings"]["B2"] = "Europe/Berlin"
    book.save(workbook_path)
    assert fresh_workbook.read_tabs(["Settings"])["Settings"][1][1] == "Europe/Berlin"


def test_typed_dates_times_and_numbers_read_as_the_text_people_see(tmp_path):
    path = build_workbook(
        tmp_path / "typed.xlsx",
        {
            "Signups": [
                ["Date", "Start", "Count", "Flag", "When"],
                [datetime(2026, 11, 30), time(9, 0), 2.0, True, datetime(2026, 11, 30, 14, 5)],
            ]
        },
    )
    grid = WorkbookStorage(path).read_tabs(["Signups"])["Signups"]
    assert grid[1] == ["2026-11-30", "09:00", "2", "TRUE", "2026-11-30 14:05"]


def test_formula_like_text_is_stored_as_a_string_cell_not_a_formula(fresh_workbook, workbook_path):
    fresh_workbook.append_rows("Signups", [["X1", '=HYPERLINK("http://evil")']])
    cell = openpyxl.load_workbook(workbook_path)["Signups"]["B2"]
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://evil")'


def test_a_failed_save_leaves_the_old_file_whole_and_no_temporary_files(
    fresh_workbook, workbook_path, monkeypatch
):
    fresh_workbook.append_rows("Signups", [["A1", "Ann"]])
    before = workbook_path.read_bytes()

    def crash_mid_write(source, target, edits):
        target.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    # A write patches the file (xlsx_patch); only a brand-new file is saved by openpyxl.
    monkeypatch.setattr(workbook_files, "patch_xlsx", crash_mid_write)
    with pytest.raises(StorageError, match="could not be saved"):
        fresh_workbook.append_rows("Signups", [["B2", "Bo"]])
    monkeypatch.undo()
    assert workbook_path.read_bytes() == before
    assert sorted(p.name for p in workbook_path.parent.iterdir()) == [
        workbook_path.name,
        workbook_path.name + ".lock",
    ]
    rows = WorkbookStorage(workbook_path).read_tabs(["Signups"])["Signups"]
    assert rows[1:] == [["A1", "Ann"]]


def test_an_unreadable_file_is_a_storage_error_with_a_plain_message(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(StorageError, match="broken.xlsx is a text file, not a spreadsheet"):
        WorkbookStorage(path).read_tabs(["Signups"])


def test_appending_to_a_missing_tab_says_to_run_sheet_init(tmp_path):
    storage = WorkbookStorage(tmp_path / "w.xlsx")
    with pytest.raises(StorageError, match="sheet init"):
        storage.append_rows("Signups", [["A1"]])


def _append_many(path: str, writer: int, count: int) -> None:
    storage = WorkbookStorage(path)
    for n in range(count):
        storage.append_rows("Signups", [[f"W{writer}-{n}", f"writer {writer}"]])


def test_processes_appending_at_once_lose_no_row(tmp_path):
    path = tmp_path / "shared.xlsx"
    WorkbookStorage(path).ensure_tab(TabSpec("Signups", ("ID", "Name")))
    writers, each = 4, 15
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_append_many, args=(str(path), w, each)) for w in range(writers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    ids = [row[0] for row in WorkbookStorage(path).read_tabs(["Signups"])["Signups"][1:]]
    assert len(ids) == writers * each
    assert set(ids) == {f"W{w}-{n}" for w in range(writers) for n in range(each)}
