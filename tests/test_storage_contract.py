"""The storage contract, run against every backend: what the rest of the site relies on."""

from __future__ import annotations

import openpyxl
import pytest

from sumo_sheets.storage import TabSpec
from sumo_sheets.storage.memory import MemoryStorage
from sumo_sheets.storage.workbook import WorkbookStorage

BACKENDS = ["workbook", "google-sheets", "memory"]

SPEC = TabSpec(
    "Signups",
    ("ID", "Name", "Role", "Status"),
    seed_rows=(),
    choices={"Role": ("Helper", "Anchor"), "Status": ("confirmed", "cancelled")},
)


class WorkbookCoordinator:
    """A coordinator editing the workbook file directly, as a spreadsheet program would."""

    def __init__(self, path):
        self.path = path

    def rewrite_tab(self, title: str, rows: list[list[str]]) -> None:
        """Replace a tab's contents (a sort, a deleted row, an inserted row)."""
        book = openpyxl.load_workbook(self.path)
        sheet = book[title]
        sheet.delete_rows(1, sheet.max_row)
        for row in rows:
            sheet.append(row)
        book.save(self.path)


class GoogleCoordinator:
    """A coordinator editing the Google Sheet with their own gspread client."""

    def __init__(self, spreadsheet):
        self.spreadsheet = spreadsheet

    def rewrite_tab(self, title: str, rows: list[list[str]]) -> None:
        """Replace a tab's contents (a sort, a deleted row, an inserted row)."""
        worksheet = self.spreadsheet.worksheet(title)
        worksheet.clear()
        worksheet.update(rows, "A1")


class MemoryCoordinator:
    """A coordinator editing the in-memory sheet."""

    def __init__(self, storage: MemoryStorage):
        self.storage = storage

    def rewrite_tab(self, title: str, rows: list[list[str]]) -> None:
        """Replace a tab's contents (a sort, a deleted row, an inserted row)."""
        self.storage.edit_tab(title, rows)


@pytest.fixture(params=BACKENDS)
def backend_and_coordinator(request, tmp_path):
    """An empty spreadsheet on each backend in turn, and a second editor of it."""
    if request.param == "workbook":
        path = tmp_path / "contract.xlsx"
        return WorkbookStorage(path), WorkbookCoordinator(path)
    if request.param == "google-sheets":
        storage = request.getfixturevalue("google_storage")
        return storage, GoogleCoordinator(request.getfixturevalue("google_sheet"))
    if request.param == "memory":
        storage = MemoryStorage()
        return storage, MemoryCoordinator(storage)
    raise AssertionError(f"no fixture for backend {request.param}")


@pytest.fixture
def backend(backend_and_coordinator):
    """The storage under test."""
    return backend_and_coordinator[0]


@pytest.fixture
def coordinator(backend_and_coordinator):
    """Someone else editing the same spreadsheet."""
    return backend_and_coordinator[1]


def test_a_missing_tab_reads_as_an_empty_grid(backend):
    assert backend.read_tabs(["Nowhere"]) == {"Nowhere": []}


def test_ensure_tab_creates_the_tab_with_headers_and_seed_rows(backend):
    spec = TabSpec("Schedule", ("Day", "Start"), seed_rows=(("Monday", "14:00"),))
    repair = backend.ensure_tab(spec)
    assert repair.created
    assert backend.read_tabs(["Schedule"])["Schedule"] == [["Day", "Start"], ["Monday", "14:00"]]


def test_ensure_tab_twice_changes_nothing_the_second_time(backend):
    backend.ensure_tab(SPEC)
    backend.append_rows("Signups", [["A1", "Ann", "Helper", "confirmed"]])
    again = backend.ensure_tab(SPEC)
    assert not again.changed
    assert backend.read_tabs(["Signups"])["Signups"] == [
        ["ID", "Name", "Role", "Status"],
        ["A1", "Ann", "Helper", "confirmed"],
    ]


def test_ensure_tab_adds_missing_headers_at_the_right_end_and_keeps_rows(backend):
    backend.ensure_tab(TabSpec("Signups", ("Name", "Coordinator notes", "ID")))
    backend.append_rows("Signups", [["Ann", "great", "A1"]])
    repair = backend.ensure_tab(SPEC)
    assert repair.added_headers == ["Role", "Status"]
    assert backend.read_tabs(["Signups"])["Signups"] == [
        ["Name", "Coordinator notes", "ID", "Role", "Status"],
        ["Ann", "great", "A1"],
    ]


def test_ensure_tab_finds_a_tab_whatever_the_case_of_its_title(backend):
    backend.ensure_tab(TabSpec("signups", ("ID",)))
    repair = backend.ensure_tab(TabSpec("Signups", ("ID",)))
    assert not repair.created


def test_append_rows_lands_after_the_last_row_even_past_blank_rows(backend):
    backend.ensure_tab(SPEC)
    backend.append_rows("Signups", [["A1", "Ann", "Helper", "confirmed"], [], []])
    backend.append_rows("Signups", [["", "Typed by hand", "Advisor", ""]])
    backend.append_rows("Signups", [["B2", "Bo", "Anchor", "confirmed"]])
    rows = backend.read_tabs(["Signups"])["Signups"]
    assert rows[1] == ["A1", "Ann", "Helper", "confirmed"]
    assert rows[-2] == ["", "Typed by hand", "Advisor"]
    assert rows[-1] == ["B2", "Bo", "Anchor", "confirmed"]


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+44 20 7946 0000",
        "-5",
        "@sumo_fan",
        '=HYPERLINK("http://x")',
        "007",
        "1e5",
        "TRUE",
        "2026-11-30",
        "14:00",
        "Elif Yılmaz",
        "محمد",
        "名前",
    ],
)
def test_appended_text_reads_back_exactly_as_text(backend, text):
    backend.ensure_tab(SPEC)
    backend.append_rows("Signups", [["X1", text, "Helper", "confirmed"]])
    assert backend.read_tabs(["Signups"])["Signups"][1][1] == text


def test_read_trims_trailing_empty_cells_and_rows(backend):
    backend.ensure_tab(SPEC)
    backend.append_rows("Signups", [["A1", "Ann", "", ""]])
    assert backend.read_tabs(["Signups"])["Signups"] == [
        ["ID", "Name", "Role", "Status"],
        ["A1", "Ann"],
    ]


def test_read_tabs_reads_several_tabs_at_once(backend):
    backend.ensure_tab(TabSpec("One", ("A",), seed_rows=(("1",),)))
    backend.ensure_tab(TabSpec("Two", ("B",), seed_rows=(("2",),)))
    assert backend.read_tabs(["One", "Two"]) == {"One": [["A"], ["1"]], "Two": [["B"], ["2"]]}


def test_update_row_changes_only_the_named_cells_of_the_row_with_that_id(backend):
    backend.ensure_tab(TabSpec("Signups", ("Name", "Status", "ID", "Mine")))
    backend.append_rows(
        "Signups",
        [["Ann", "confirmed", "A1", "note a"], ["Bo", "confirmed", "B2", "note b"]],
    )
    assert backend.update_row("Signups", "B2", {"status": "cancelled"})
    assert backend.read_tabs(["Signups"])["Signups"] == [
        ["Name", "Status", "ID", "Mine"],
        ["Ann", "confirmed", "A1", "note a"],
        ["Bo", "cancelled", "B2", "note b"],
    ]


def test_update_row_finds_the_row_after_a_coordinator_sorted_and_inserted_rows(
    backend, coordinator
):
    backend.ensure_tab(TabSpec("Signups", ("ID", "Status")))
    backend.append_rows("Signups", [["A1", "confirmed"], ["B2", "confirmed"]])
    backend.read_tabs(["Signups"])  # the storage has seen the old order
    coordinator.rewrite_tab(
        "Signups", [["ID", "Status"], ["", "typed"], ["B2", "confirmed"], ["A1", "confirmed"]]
    )
    assert backend.update_row("Signups", "A1", {"Status": "cancelled"})
    assert backend.read_tabs(["Signups"])["Signups"][1:] == [
        ["", "typed"],
        ["B2", "confirmed"],
        ["A1", "cancelled"],
    ]


def test_an_append_after_a_coordinator_edit_keeps_the_edit(backend, coordinator):
    backend.ensure_tab(TabSpec("Signups", ("ID", "Name")))
    backend.append_rows("Signups", [["A1", "Ann"]])
    backend.read_tabs(["Signups"])
    coordinator.rewrite_tab("Signups", [["ID", "Name"], ["A1", "Ann (fixed typo)"], ["", "Cy"]])
    backend.append_rows("Signups", [["B2", "Bo"]])
    assert backend.read_tabs(["Signups"])["Signups"] == [
        ["ID", "Name"],
        ["A1", "Ann (fixed typo)"],
        ["", "Cy"],
        ["B2", "Bo"],
    ]


def test_update_row_with_an_unknown_id_changes_nothing(backend):
    backend.ensure_tab(TabSpec("Signups", ("ID", "Status")))
    backend.append_rows("Signups", [["A1", "confirmed"]])
    assert not backend.update_row("Signups", "ZZZ", {"Status": "cancelled"})
    assert not backend.update_row("Signups", "", {"Status": "cancelled"})
    assert backend.read_tabs(["Signups"])["Signups"] == [["ID", "Status"], ["A1", "confirmed"]]


def test_backend_names_itself(backend):
    assert backend.backend_name in ("workbook", "google-sheets", "memory")


def test_backend_states_the_capabilities_the_services_rely_on(backend):
    assert isinstance(backend.atomic_row_updates, bool)
    assert isinstance(backend.default_cache_seconds, float) and backend.default_cache_seconds >= 0
    assert backend.display_name and backend.display_name[0].isupper()


def test_appending_to_a_missing_tab_writes_nothing_and_says_which_tab(backend):
    from sumo_sheets.storage import TabMissing

    with pytest.raises(TabMissing) as refused:
        backend.append_rows("Signups", [["X1", "Ann"]])
    assert refused.value.title == "Signups" and "sheet init" in refused.value.message
    assert backend.read_tabs(["Signups"])["Signups"] == []
