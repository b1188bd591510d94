"""Coordinators restructure the Signups columns while volunteers sign up (issue 14).

Every edit is made as a coordinator makes it: on Google through their own gspread client
(moveDimension, insertDimension, deleteDimension, sortRange, a typed header), in the
workbook by a spreadsheet program saving the file. Each lands (a) between a volunteer
opening the form, which warms the read cache, and sending it, and (b) between the site's
append and the read that confirms it; with the read cache on (the default on Google, 5 s
on the workbook) and off; on both backends. Each test checks what the volunteer is told and
every cell of the Signups tab afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import openpyxl
import pytest

from sumo_sheets import create_app, services
from sumo_sheets import sheet_format as fmt
from sumo_sheets.storage.workbook import WorkbookStorage

from .support import FORM, NOW, TEST_SECRET, page_text

Grid = list[list[str]]
REQUEST_ID = "ann-request-key-0001"
ZONE = "Europe/Berlin"
# The Signups tab as a coordinator keeps it: a column of their own between Name and Contact.
HEADER = [
    "ID",
    "Name",
    "Coordinator notes",
    "Contact",
    "Role",
    "Date",
    "Start (UTC)",
    "End (UTC)",
    "Status",
    "Signed up at (UTC)",
    "Notes",
    "Request ID",
    "Volunteer time zone",
]
BEA = ["BEA00001", "Bea", "from the forum", "bea@example.org", "Helper", "2026-11-30"]
BEA += ["14:00", "15:00", "confirmed", "2026-11-20 09:00", "", "", ""]
CY = ["CY000002", "Cy", "", "cy@example.org", "Advisor", "2026-11-30"]
CY += ["14:00", "15:00", "confirmed", "2026-11-21 09:00", "", "", "UTC"]
# Ann's row by header: what the site writes for FORM (its ID is known once it is written).
ANN = {
    "Name": "Ann Example",
    "Contact": "ann@example.org",
    "Role": "Helper",
    "Date": "2026-11-30",
    "Start (UTC)": "14:00",
    "End (UTC)": "15:00",
    "Status": "confirmed",
    "Signed up at (UTC)": "2026-11-25 10:00",
    "Notes": "",
    "Request ID": REQUEST_ID,
    "Volunteer time zone": ZONE,
}


# -- the edits: each as a grid change (what the sheet looks like after) and as Google's call --


@dataclass
class Edit:
    name: str
    on_grid: Callable[[Grid], Grid]
    on_google: Callable[[object, int], None]


def _move(grid: Grid, source: int, destination: int) -> Grid:
    """Column ``source`` moved to stand at ``destination`` (0-based, as in the result)."""
    width = max(len(r) for r in grid)
    out = []
    for row in grid:
        cells = row + [""] * (width - len(row))
        cell = cells.pop(source)
        cells.insert(destination, cell)
        out.append(cells)
    return out


def _google_move(source: int, destination: int):
    def edit(spreadsheet, sheet_id):
        # moveDimension's destinationIndex is counted before the move is made.
        target = destination + 1 if destination > source else destination
        move = {
            "source": {
                "sheetId": sheet_id,
                "dimension": "COLUMNS",
                "startIndex": source,
                "endIndex": source + 1,
            },
            "destinationIndex": target,
        }
        spreadsheet.batch_update({"requests": [{"moveDimension": move}]})

    return edit


def _insert(grid: Grid) -> Grid:
    return [[*row[:1], "Shift lead" if n == 0 else "", *row[1:]] for n, row in enumerate(grid)]


def _google_insert(spreadsheet, sheet_id):
    span = {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": 1, "endIndex": 2}
    spreadsheet.batch_update({"requests": [{"insertDimension": {"range": span}}]})
    spreadsheet.worksheet(fmt.SIGNUPS).update([["Shift lead"]], "B1", raw=True)


def _delete(grid: Grid) -> Grid:
    return [row[:2] + row[3:] for row in grid]


def _google_delete(spreadsheet, sheet_id):
    span = {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": 2, "endIndex": 3}
    spreadsheet.batch_update({"requests": [{"deleteDimension": {"range": span}}]})


def _recase(grid: Grid) -> Grid:
    return [["id", "NAME", *grid[0][2:3], "contact", *grid[0][4:]], *grid[1:]]


def _google_recase(spreadsheet, sheet_id):
    spreadsheet.worksheet(fmt.SIGNUPS).update([["id", "NAME"]], "A1", raw=True)
    spreadsheet.worksheet(fmt.SIGNUPS).update([["contact"]], "D1", raw=True)


def _sort(grid: Grid) -> Grid:
    name = grid[0].index("Name") if "Name" in grid[0] else 1
    return [grid[0], *sorted(grid[1:], key=lambda row: row[name])]


def _google_sort(spreadsheet, sheet_id):
    span = {"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": 0}
    order = [{"dimensionIndex": 1, "sortOrder": "ASCENDING"}]
    spreadsheet.batch_update({"requests": [{"sortRange": {"range": span, "sortSpecs": order}}]})


EDITS = [
    Edit("own-column-moved", lambda g: _move(g, 2, 12), _google_move(2, 12)),
    Edit("column-inserted", _insert, _google_insert),
    Edit("own-column-deleted", _delete, _google_delete),
    Edit("site-column-moved", lambda g: _move(g, 1, 12), _google_move(1, 12)),
    Edit("header-recased", _recase, _google_recase),
    Edit("rows-sorted", _sort, _google_sort),
]


# -- the two backends, each with a coordinator at the sheet ---------------------------------


class Sheet:
    """The Signups tab as the coordinator sees it, and their hands on it."""

    def rows(self) -> Grid: ...

    def edit(self, change: Edit) -> None: ...


class WorkbookSheet(Sheet):
    def __init__(self, path):
        self.path = path

    def rows(self) -> Grid:
        sheet = openpyxl.load_workbook(self.path)[fmt.SIGNUPS]
        return _trim([["" if v is None else str(v) for v in row] for row in sheet.values])

    def write(self, grid: Grid) -> None:
        book = openpyxl.load_workbook(self.path)
        sheet = book[fmt.SIGNUPS]
        sheet.delete_rows(1, sheet.max_row)
        for row in grid:
            sheet.append([value or None for value in row])
        book.save(self.path)

    def edit(self, change: Edit) -> None:
        self.write(change.on_grid(self.rows()))


class GoogleSheet(Sheet):
    def __init__(self, spreadsheet):
        self.spreadsheet = spreadsheet

    def rows(self) -> Grid:
        values = self.spreadsheet.worksheet(fmt.SIGNUPS).get_all_values()
        return _trim(values)

    def write(self, grid: Grid) -> None:
        worksheet = self.spreadsheet.worksheet(fmt.SIGNUPS)
        worksheet.clear()
        worksheet.update(grid, "A1", raw=True)

    def edit(self, change: Edit) -> None:
        change.on_google(self.spreadsheet, self.spreadsheet.worksheet(fmt.SIGNUPS).id)


def _trim(grid) -> Grid:
    rows = []
    for row in grid:
        cells = list(row)
        while cells and cells[-1] == "":
            cells.pop()
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    return rows


class EditAfterAppend:
    """The site's storage, with a coordinator's edit landing right after the append returns."""

    def __init__(self, inner, sheet: Sheet):
        self.inner = inner
        self.sheet = sheet
        self.pending: Edit | None = None
        self.backend_name = inner.backend_name
        self.display_name = inner.display_name
        self.atomic_row_updates = inner.atomic_row_updates
        self.default_cache_seconds = inner.default_cache_seconds

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def append_rows(self, title, rows):
        landed = self.inner.append_rows(title, rows)
        if self.pending is not None:
            change, self.pending = self.pending, None
            self.sheet.edit(change)
        return landed


@pytest.fixture(params=["workbook", "google"])
def backend(request, tmp_path):
    """(storage, sheet, settings) for the site on each backend, initialised."""
    if request.param == "workbook":
        path = tmp_path / "schedule.xlsx"
        storage = WorkbookStorage(path, new_file_tabs=fmt.TAB_SPECS)
        services.init_sheet(storage)
        sheet = WorkbookSheet(path)
        return storage, sheet, {"WORKBOOK": str(path)}, 5
    config = request.getfixturevalue("google_config")
    storage = request.getfixturevalue("google_storage")
    services.init_sheet(storage)
    sheet = GoogleSheet(request.getfixturevalue("google_sheet"))
    return storage, sheet, config, None  # the backend's default cache (5 s)


def _site(backend, cache_on: bool, wrapper=None):
    storage, sheet, config, cache = backend
    sheet.write([HEADER, BEA, CY])
    wrapped = (wrapper or EditAfterAppend)(storage, sheet)
    app = create_app(
        {
            **config,
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "WTF_CSRF_ENABLED": False,
            "CLOCK": lambda: NOW,
            "SHEET_CACHE_SECONDS": cache if cache_on else 0,
        },
        storage=wrapped,
    )
    return app.test_client(), sheet, wrapped


def _ann_row(header: list[str], signup_id: str) -> list[str]:
    """Ann's row as it should stand under ``header`` (headers match whatever their case)."""
    values = {name.lower(): value for name, value in {**ANN, "ID": signup_id}.items()}
    return [values.get(name.strip().lower(), "") for name in header]


def _told(response) -> str:
    """What the form page says went wrong (its error box), without the rest of the page."""
    text = page_text(response)
    start = text.find("Not saved")
    return text[start : start + 300] if start >= 0 else text[-300:]


def _post(client):
    return client.post("/signup", data={**FORM, "request_id": REQUEST_ID, "time_zone": ZONE})


@pytest.mark.parametrize("cache_on", [True, False], ids=["cache-on", "cache-off"])
@pytest.mark.parametrize("when", ["form-open", "after-append"])
@pytest.mark.parametrize("edit", EDITS, ids=[e.name for e in EDITS])
def test_a_signup_lands_under_the_headers_as_they_are(backend, edit, when, cache_on):
    client, sheet, storage = _site(backend, cache_on)
    assert client.get("/signup").status_code == 200  # the volunteer opens the form
    before = sheet.rows()
    if when == "form-open":
        sheet.edit(edit)
    else:
        storage.pending = edit

    response = _post(client)

    assert response.status_code == 303, _told(response)
    signup_id = response.headers["Location"].rsplit("/", 1)[1]
    done = page_text(client.get(response.headers["Location"]))
    assert "Thank you, Ann Example!" in done
    if when == "form-open":
        edited = edit.on_grid(before)
        expected = [*edited, _ann_row(edited[0], signup_id)]
    else:
        expected = edit.on_grid([*before, _ann_row(before[0], signup_id)])
    assert sheet.rows() == _trim(expected)


# -- status changes find their row and column by header in a fresh read --------------------

STATUS_FIRST = Edit("status-moved-first", lambda g: _move(g, 8, 0), _google_move(8, 0))


@pytest.mark.parametrize("cache_on", [True, False], ids=["cache-on", "cache-off"])
def test_cancelling_after_the_status_column_moved_changes_only_the_status(backend, cache_on):
    client, sheet, _ = _site(backend, cache_on)
    response = _post(client)
    assert response.status_code == 303, _told(response)
    signup_id = response.headers["Location"].rsplit("/", 1)[1]
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(r'href="https?://[^"/]+(/my/[^"]+)"', done)[1]
    assert client.get(link).status_code == 200  # the volunteer's page, read (and cached)
    sheet.edit(STATUS_FIRST)
    expected = sheet.rows()

    response = client.post(f"{link}/cancel/{signup_id}")

    assert response.status_code == 303
    assert "cancelled" in page_text(client.get(response.headers["Location"])).lower()
    ann = next(n for n, row in enumerate(expected) if row[1] == signup_id)
    expected[ann][0] = "cancelled"
    assert sheet.rows() == expected


class RivalFirst(EditAfterAppend):
    """A rival's row lands just before ours; then the coordinator's edit, right after ours."""

    rival: list[str] = []

    def append_rows(self, title, rows):
        if self.rival:
            self.inner.append_rows(title, [self.rival])
        return super().append_rows(title, rows)


RAE = ["RAE00003", "Rae", "", "rae@example.org", "Anchor", "2026-11-30"]
RAE += ["14:00", "16:00", "confirmed", "2026-11-25 10:00", "", "", ""]


@pytest.mark.parametrize("cache_on", [True, False], ids=["cache-on", "cache-off"])
def test_a_row_that_lost_its_race_is_withdrawn_under_the_moved_status_column(backend, cache_on):
    client, sheet, racing = _site(backend, cache_on, RivalFirst)
    racing.rival, racing.pending = RAE, STATUS_FIRST
    before = sheet.rows()

    response = client.post(
        "/signup",
        data={**FORM, "role": "anchor", "request_id": REQUEST_ID, "time_zone": ZONE},
    )

    assert response.status_code == 409, _told(response)
    assert "just before you" in page_text(response)
    mine = next(row for row in sheet.rows() if row[1 + 1] == "Ann Example")  # after the move
    ann = {**ANN, "ID": mine[1], "Role": "Anchor", "End (UTC)": "16:00", "Status": "cancelled"}
    values = {name.lower(): value for name, value in ann.items()}
    expected = STATUS_FIRST.on_grid(
        [*before, RAE, [values.get(name.lower(), "") for name in before[0]]]
    )
    assert sheet.rows() == _trim(expected)


# -- replace_row: the row is found by what was written, on every backend -------------------

OLD_LAYOUT_ROW = ["id-z", "Zoe", "confirmed"]  # written under ID, Name, Status
REPLACEMENT = ["id-z", "confirmed", "Zoe"]  # the same row under ID, Status, Name


def test_replace_row_rewrites_the_row_written_and_no_other(backend):
    storage, sheet, _, _ = backend
    sheet.write([["ID", "Status", "Name"], ["id-c", "confirmed", "Cleo"], OLD_LAYOUT_ROW])
    assert storage.replace_row(fmt.SIGNUPS, OLD_LAYOUT_ROW, REPLACEMENT, near=3)
    assert sheet.rows() == [["ID", "Status", "Name"], ["id-c", "confirmed", "Cleo"], REPLACEMENT]
    # Done already (a lost reply, or a column move that carried it): nothing more to do.
    assert storage.replace_row(fmt.SIGNUPS, OLD_LAYOUT_ROW, REPLACEMENT, near=3)
    # Neither there (a coordinator changed or deleted it): nothing is written.
    assert not storage.replace_row(fmt.SIGNUPS, ["id-q", "Q"], ["id-q", "", "Q"], near=3)
    assert sheet.rows() == [["ID", "Status", "Name"], ["id-c", "confirmed", "Cleo"], REPLACEMENT]


def test_replace_row_on_google_puts_back_a_row_a_sort_moved_under_the_write(
    emulator, site_account, google_sheet
):
    from .test_google_faults import RacingStorage, make_storage, sort_by_name

    tab = google_sheet.add_worksheet(fmt.SIGNUPS, rows=30, cols=6)
    rows = [["ID", "Status", "Name"], ["id-c", "confirmed", "Cleo"], ["id-a", "confirmed", "Abe"]]
    tab.update([*rows, OLD_LAYOUT_ROW], "A1")
    racing = make_storage(emulator, site_account, google_sheet, cls=RacingStorage)
    # Sorted by Name, descending, just before the write: Abe's row is where ours was.
    racing.races = [lambda: sort_by_name(google_sheet, tab, descending=True)]

    assert racing.replace_row(fmt.SIGNUPS, OLD_LAYOUT_ROW, REPLACEMENT, near=4)

    assert tab.get_all_values() == [rows[0], REPLACEMENT, rows[1], rows[2]]
    assert racing.writes == 2


def test_a_row_laid_out_under_old_headers_is_found_after_more_columns_moved(backend):
    # The form was opened before Name was moved (so the row goes in one column off), and
    # another column moves right after the append: the misplaced row no longer holds what
    # was written, position by position, but it is still the site's (found by reliability.py).
    client, sheet, storage = _site(backend, cache_on=True)
    assert client.get("/signup").status_code == 200
    sheet.edit(EDITS[3])  # Name moved to the end
    storage.pending = EDITS[0]  # the third column (Contact now) moved to the end
    before = sheet.rows()

    response = _post(client)

    assert response.status_code == 303, _told(response)
    signup_id = response.headers["Location"].rsplit("/", 1)[1]
    edited = EDITS[0].on_grid(before)
    assert sheet.rows() == _trim([*edited, _ann_row(edited[0], signup_id)])
