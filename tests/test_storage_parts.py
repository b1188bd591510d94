"""The storage-neutral parts both backends share: cell text, the tab repair plan, putting back
a row write that went astray, and how the Google backend is pointed at the emulator."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, time

import pytest

from sumo_sheets.config import cache_seconds
from sumo_sheets.storage import TabSpec
from sumo_sheets.storage.cells import cell_text
from sumo_sheets.storage.row_writes import PendingWrite, RowWrite, cells_to_restore
from sumo_sheets.storage.tab_repair import plan_tab

SPEC = TabSpec("Signups", ("ID", "Name", "Status"), seed_rows=(("x", "y", "z"),))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("=1+1", "=1+1"),
        (True, "TRUE"),
        (False, "FALSE"),
        (3.0, "3"),
        (2.5, "2.5"),
        (7, "7"),
        (datetime(2026, 11, 30), "2026-11-30"),
        (datetime(2026, 11, 30, 14, 5), "2026-11-30 14:05"),
        (date(2026, 11, 30), "2026-11-30"),
        (time(9, 30), "09:30"),
    ],
)
def test_a_cell_reads_as_the_text_a_person_sees(value, text):
    assert cell_text(value) == text


def test_a_new_tab_gets_headers_and_seed_rows():
    plan = plan_tab(SPEC, [], created=True)
    assert (plan.column, plan.block) == (1, [["ID", "Name", "Status"], ["x", "y", "z"]])
    assert plan.repair.created and plan.repair.added_headers == []


def test_a_tab_without_a_header_row_but_with_rows_gets_headers_only():
    plan = plan_tab(SPEC, [[], ["typed", "by hand"]], created=False)
    assert plan.block == [["ID", "Name", "Status"]]
    assert plan.repair.added_headers == ["ID", "Name", "Status"]


def test_missing_headers_go_at_the_right_end_and_rows_are_untouched():
    plan = plan_tab(SPEC, [["name", "Notes"], ["Ann", "hi"]], created=False)
    assert (plan.column, plan.block) == (3, [["ID", "Status"]])
    assert plan.header == ["name", "Notes", "ID", "Status"]
    assert plan.repair.added_headers == ["ID", "Status"]


def test_a_whole_tab_needs_nothing_and_its_dropdowns_follow_its_header():
    spec = TabSpec("Signups", ("ID", "Status"), choices={"Status": ("a", "b"), "Gone": ("c",)})
    plan = plan_tab(spec, [["Status", "ID"]], created=False)
    assert plan.block == [] and not plan.repair.changed
    assert plan.dropdowns(spec) == [(0, ("a", "b"))]


def test_a_write_that_landed_in_a_moved_row_is_put_back_as_that_row_had_it():
    before = [["ID", "Name", "Status"], ["a", "Ann", "confirmed"], ["b", "Bo", "confirmed"]]
    write = RowWrite("Signups", "a", {"Status": "cancelled"}, "ID")
    write.pending = PendingWrite(before, [(2, 3, "cancelled")])
    # Sorted by a coordinator between the read and the write: Bo's row took row 2.
    after = [["ID", "Name", "Status"], ["b", "Bo", "cancelled"], ["a", "Ann", "confirmed"]]
    assert not write.in_place(after)
    assert cells_to_restore(write, after) == [(2, 3, "confirmed")]


def test_cache_seconds_come_from_the_setting_or_else_the_backend():
    class Backend:
        default_cache_seconds = 5.0

    assert cache_seconds({"SHEET_CACHE_SECONDS": None}, Backend()) == 5.0
    assert cache_seconds({"SHEET_CACHE_SECONDS": "2"}, Backend()) == 2.0


def test_the_google_backend_does_not_load_the_emulator():
    code = (
        "import sys, sumo_sheets.storage.gsheets; "
        "print([m for m in sys.modules if m.startswith('sumo_sheets.emulator')])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
