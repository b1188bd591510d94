"""The Google backend when Google fails or a coordinator edits mid-write (emulator faults).

Real gspread talks HTTP to the emulator; faults, latency and request counts are set through
its control API. Waits are tiny so that retries stay fast, and every test leaves the emulator
without faults or latency.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest
import requests

from sumo_sheets.emulator.client import redirect_session_to_emulator, session_hook
from sumo_sheets.sheet_format import TAB_SPECS
from sumo_sheets.storage import StorageError
from sumo_sheets.storage.google_tabs import TabIndex
from sumo_sheets.storage.gsheets import GoogleSheetsStorage

HEADER = ["ID", "Name", "Status", "Notes"]
ROWS = [
    ["id-c", "Cleo", "confirmed", "c"],
    ["id-a", "Ann", "confirmed", "a"],
    ["", "Hand typed", "confirmed", "no ID"],
    ["id-b", "Bo", "confirmed", "b"],
    ["id-d", "Dee", "confirmed", "d"],
]
FAST = {"retry_attempts": 6, "retry_wait": 0.01, "retry_budget": 1.0, "timeout": 2.0}


def control(emulator, path: str, body: dict | None = None, method: str = "POST") -> dict:
    """Call the emulator's control API."""
    reply = requests.request(method, f"{emulator.url}/_emulator/{path}", json=body, timeout=5)
    reply.raise_for_status()
    return reply.json()


def fault(emulator, **spec) -> None:
    control(emulator, "faults", spec)


def counts(emulator) -> dict:
    return control(emulator, "requests", method="GET")


@pytest.fixture(autouse=True)
def clean_emulator(emulator):
    """No faults, latency or counts left over from this test or into the next."""
    control(emulator, "reset", {})
    yield
    control(emulator, "latency", {"ms": 0, "jitter_ms": 0})
    control(emulator, "reset", {})


@pytest.fixture
def signups_tab(google_sheet):
    """A coordinator's Signups tab: rows out of order, one typed by hand without an ID."""
    worksheet = google_sheet.add_worksheet("Signups", rows=30, cols=6)
    worksheet.update([HEADER, *ROWS], "A1")
    return worksheet


def make_storage(emulator, site_account, google_sheet, cls=GoogleSheetsStorage, **settings):
    """The site's backend on the coordinator's sheet, with fast retries unless told."""
    return cls(
        google_sheet.id,
        credentials_files=[site_account[1]],
        session_hook=session_hook(emulator.host_port),
        **{**FAST, **settings},
    )


@pytest.fixture
def storage(emulator, site_account, google_sheet, signups_tab):
    """Fast-retrying storage that has already learnt the tabs and has a token."""
    storage = make_storage(emulator, site_account, google_sheet)
    storage.read_tabs(["Signups"])
    control(emulator, "reset", {})
    return storage


# -- retried reads -----------------------------------------------------------------------


def test_a_read_succeeds_through_two_503s_and_a_429(storage, emulator):
    fault(emulator, count=2, status=503, method="spreadsheets.values.batchGet")
    fault(emulator, count=1, status=429, method="spreadsheets.values.batchGet")
    grid = storage.read_tabs(["Signups"])["Signups"]
    assert grid == [HEADER, *ROWS]
    assert counts(emulator)["spreadsheets.values.batchGet"] == 4


def test_the_metadata_fetch_is_retried_too(emulator, site_account, google_sheet, signups_tab):
    storage = make_storage(emulator, site_account, google_sheet)
    control(emulator, "reset", {})  # forget the coordinator's calls
    fault(emulator, count=2, status=500, method="spreadsheets.get")
    assert storage.read_tabs(["Signups"])["Signups"] == [HEADER, *ROWS]
    assert counts(emulator)["spreadsheets.get"] == 3


@pytest.mark.parametrize(
    ("status", "message"),
    [(503, "having trouble right now"), (429, "the request quota is used up")],
)
def test_a_read_gives_up_after_the_attempts_with_a_transient_error(
    storage, emulator, status, message
):
    storage.retry_attempts = 3
    fault(emulator, count=100, status=status)
    with pytest.raises(StorageError) as raised:
        storage.read_tabs(["Signups"])
    assert raised.value.transient
    assert message in raised.value.message
    assert "after 3 attempts" in raised.value.detail
    assert counts(emulator)["spreadsheets.values.batchGet"] == 3


def test_a_read_gives_up_within_the_time_budget(storage, emulator):
    storage.retry_attempts = 1000
    storage.retry_wait = 0.1
    storage.retry_budget = 1.0
    fault(emulator, count=1000, status=503)
    started = time.monotonic()
    with pytest.raises(StorageError) as raised:
        storage.read_tabs(["Signups"])
    elapsed = time.monotonic() - started
    assert raised.value.transient
    assert elapsed < 1.0 + 0.5  # no wait starts that would end past the budget
    assert 3 <= counts(emulator)["spreadsheets.values.batchGet"] < 40


@pytest.mark.parametrize(
    ("status", "message"),
    [(403, "not shared with the site"), (404, "No Google Sheet has the ID"), (400, "refused")],
)
def test_errors_that_will_not_pass_are_not_retried(storage, emulator, status, message):
    fault(emulator, count=10, status=status, method="spreadsheets.values.batchGet")
    with pytest.raises(StorageError) as raised:
        storage.read_tabs(["Signups"])
    assert not raised.value.transient
    assert message in raised.value.message
    assert counts(emulator)["spreadsheets.values.batchGet"] == 1


def test_a_wrong_sheet_key_is_asked_about_once(emulator, site_account):
    storage = GoogleSheetsStorage(
        "no-such-sheet", [site_account[1]], session_hook=session_hook(emulator.host_port), **FAST
    )
    with pytest.raises(StorageError, match="No Google Sheet has the ID") as raised:
        storage.read_tabs(["Signups"])
    assert not raised.value.transient
    assert counts(emulator)["spreadsheets.get"] == 1


def test_retry_settings_come_from_config_even_as_strings():
    storage = GoogleSheetsStorage.from_config(
        {
            "SHEET_ID": "any-key",
            "SHEETS_RETRY_ATTEMPTS": "2",
            "SHEETS_RETRY_BUDGET": 3,
            "SHEETS_RETRY_WAIT": 0.25,
            "SHEETS_TIMEOUT": "4.5",
        }
    )
    assert (storage.retry_attempts, storage.retry_budget) == (2, 3.0)
    assert (storage.retry_wait, storage.timeout) == (0.25, 4.5)
    with pytest.raises(ValueError, match="SHEETS_RETRY_BUDGET must be a number"):
        GoogleSheetsStorage.from_config({"SHEET_ID": "x", "SHEETS_RETRY_BUDGET": "soon"})


# -- appends: tried once, saying whether they may have landed ----------------------------


def names(worksheet) -> list[str]:
    return [row[1] for row in worksheet.get_all_values()[1:]]


@pytest.mark.parametrize("status", [500, 503])
def test_an_append_answered_with_a_5xx_is_transient_and_may_have_landed(
    storage, emulator, signups_tab, status
):
    fault(emulator, count=5, status=status, method="spreadsheets.values.append")
    with pytest.raises(StorageError) as raised:
        storage.append_rows("Signups", [["id-e", "Eve", "confirmed", ""]])
    assert raised.value.transient and raised.value.maybe_applied
    assert counts(emulator)["spreadsheets.values.append"] == 1


def test_an_append_refused_for_quota_is_transient_and_did_not_land(storage, emulator, signups_tab):
    fault(emulator, count=5, status=429, method="spreadsheets.values.append")
    with pytest.raises(StorageError) as raised:
        storage.append_rows("Signups", [["id-e", "Eve", "confirmed", ""]])
    assert raised.value.transient and not raised.value.maybe_applied
    assert counts(emulator)["spreadsheets.values.append"] == 1
    assert "Eve" not in names(signups_tab)


def test_an_append_whose_connection_drops_after_applying_may_have_landed_and_did(
    storage, emulator, signups_tab
):
    fault(emulator, count=1, drop_after_apply=True, method="spreadsheets.values.append")
    with pytest.raises(StorageError) as raised:
        storage.append_rows("Signups", [["id-e", "Eve", "confirmed", ""]])
    assert raised.value.transient and raised.value.maybe_applied
    assert counts(emulator)["spreadsheets.values.append"] == 1
    assert names(signups_tab).count("Eve") == 1


def test_an_append_that_times_out_waiting_for_the_reply_may_have_landed(
    emulator, site_account, google_sheet, signups_tab
):
    storage = make_storage(emulator, site_account, google_sheet, timeout=0.2)
    storage.read_tabs(["Signups"])  # the token and the tabs, before the network slows
    control(emulator, "latency", {"ms": 600})
    with pytest.raises(StorageError) as raised:
        storage.append_rows("Signups", [["id-e", "Eve", "confirmed", ""]])
    assert raised.value.transient and raised.value.maybe_applied
    control(emulator, "latency", {"ms": 0})
    deadline = time.monotonic() + 3
    while "Eve" not in names(signups_tab) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert names(signups_tab).count("Eve") == 1


def closed_port() -> str:
    """host:port where nothing listens, so connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def test_an_append_refused_a_connection_is_transient_and_did_not_land(storage, signups_tab):
    # The token is fetched; then Google's address stops answering.
    redirect_session_to_emulator(storage._http().session, closed_port())
    with pytest.raises(StorageError, match="cannot be reached") as raised:
        storage.append_rows("Signups", [["id-e", "Eve", "confirmed", ""]])
    assert raised.value.transient and not raised.value.maybe_applied
    assert "Eve" not in names(signups_tab)


def test_an_append_that_cannot_get_a_token_is_transient_and_did_not_land(site_account):
    storage = GoogleSheetsStorage(
        "any-key", [site_account[1]], session_hook=session_hook(closed_port()), **FAST
    )
    storage._index = TabIndex([{"properties": {"title": "Signups", "sheetId": 1}}])
    storage._tabs_fetched_at = time.monotonic()
    with pytest.raises(StorageError, match="cannot be reached") as raised:
        storage.append_rows("Signups", [["id-e", "Eve", "confirmed", ""]])
    assert raised.value.transient and not raised.value.maybe_applied


# -- ensure_tab: addSheet is not sent twice ----------------------------------------------


def test_a_new_tab_whose_add_reply_is_lost_is_made_once(emulator, site_account, google_sheet):
    storage = make_storage(emulator, site_account, google_sheet)
    fault(emulator, count=1, drop_after_apply=True, method="spreadsheets.batchUpdate")
    spec = TAB_SPECS[0]
    repair = storage.ensure_tab(spec)
    assert repair.created
    titles = [ws.title for ws in google_sheet.worksheets()]
    assert titles.count(spec.title) == 1
    assert google_sheet.worksheet(spec.title).row_values(1) == list(spec.headers)


# -- update_row while a coordinator edits ------------------------------------------------


class RacingStorage(GoogleSheetsStorage):
    """Storage that lets a coordinator act just before its row writes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.races: list = []  # called, in turn, before each write; then no more races
        self.writes = 0

    def _write_cells(self, tab, cells):
        self.writes += 1
        if self.races:
            self.races.pop(0)()
        super()._write_cells(tab, cells)


@pytest.fixture
def racing(emulator, site_account, google_sheet, signups_tab):
    """Racing storage on the Signups tab, warmed up."""
    storage = make_storage(emulator, site_account, google_sheet, cls=RacingStorage)
    storage.read_tabs(["Signups"])
    return storage


def sort_by_name(google_sheet, worksheet, descending=False) -> None:
    order = "DESCENDING" if descending else "ASCENDING"
    google_sheet.batch_update(
        {
            "requests": [
                {
                    "sortRange": {
                        "range": {"sheetId": worksheet.id, "startRowIndex": 1},
                        "sortSpecs": [{"dimensionIndex": 1, "sortOrder": order}],
                    }
                }
            ]
        }
    )


def insert_blank_rows(google_sheet, worksheet, before_row: int, count: int) -> None:
    google_sheet.batch_update(
        {
            "requests": [
                {
                    "insertDimension": {
                        "range": {
                            "sheetId": worksheet.id,
                            "dimension": "ROWS",
                            "startIndex": before_row - 1,
                            "endIndex": before_row - 1 + count,
                        }
                    }
                }
            ]
        }
    )


def with_status(grid: list[list[str]], row_id: str, status: str) -> list[list[str]]:
    """The grid with one row's Status changed: what update_row should leave."""
    return [[*row[:2], status, *row[3:]] if row[0] == row_id else list(row) for row in grid]


def race(worksheet, action, seen: list) -> Callable[[], None]:
    """A coordinator's edit, remembering the tab as it left it."""

    def run():
        action()
        seen.append(worksheet.get_all_values())

    return run


def type_row_at(google_sheet, worksheet, row: int, values: list[str]) -> None:
    insert_blank_rows(google_sheet, worksheet, row, 1)
    worksheet.update([values], f"A{row}")


@pytest.mark.parametrize(
    ("edit", "row_id"),
    [
        ("sort", "id-b"),
        ("insert blank rows above", "id-b"),
        ("insert blank rows at the row", "id-b"),
        ("delete a row above", "id-b"),
        ("delete a row above the last row", "id-d"),
        ("delete the row below", "id-b"),
    ],
)
def test_update_row_changes_only_its_row_when_a_coordinator_edits_before_the_write(
    racing, google_sheet, signups_tab, edit, row_id
):
    # id-b is in row 5 and id-d in row 6 when the row is found; the write is aimed there.
    actions = {
        "sort": lambda: sort_by_name(google_sheet, signups_tab),
        "insert blank rows above": lambda: insert_blank_rows(google_sheet, signups_tab, 2, 2),
        "insert blank rows at the row": lambda: insert_blank_rows(google_sheet, signups_tab, 5, 2),
        "delete a row above": lambda: signups_tab.delete_rows(3),
        "delete a row above the last row": lambda: signups_tab.delete_rows(2),
        "delete the row below": lambda: signups_tab.delete_rows(6),
    }
    seen: list = []
    racing.races = [race(signups_tab, actions[edit], seen)]
    assert racing.update_row("Signups", row_id, {"Status": "cancelled"})
    assert signups_tab.get_all_values() == with_status(seen[0], row_id, "cancelled")


def test_update_row_puts_back_a_hand_typed_rows_cells_it_hit(racing, google_sheet, signups_tab):
    # Sorting by name, descending, puts the ID-less hand-typed row where Cleo's row 2 was.
    seen: list = []
    sort = lambda: sort_by_name(google_sheet, signups_tab, descending=True)  # noqa: E731
    racing.races = [race(signups_tab, sort, seen)]
    assert racing.update_row("Signups", "id-c", {"Status": "cancelled", "Notes": "moved"})
    assert seen[0][1][:2] == ["", "Hand typed"]
    expected = [
        [*row[:2], "cancelled", "moved", *row[4:]] if row[0] == "id-c" else row for row in seen[0]
    ]
    assert signups_tab.get_all_values() == expected


def test_update_row_leaves_and_logs_a_cell_it_hit_in_a_row_typed_since_the_read(
    racing, google_sheet, signups_tab, caplog
):
    seen: list = []
    new_row = ["", "New person", "", "typed just now"]
    racing.races = [
        race(signups_tab, lambda: type_row_at(google_sheet, signups_tab, 5, new_row), seen)
    ]
    with caplog.at_level("WARNING", logger="sumo_sheets.storage.gsheets"):
        assert racing.update_row("Signups", "id-b", {"Status": "cancelled"})
    assert "cannot be told apart" in caplog.text
    after = signups_tab.get_all_values()
    # Whose the stray value is cannot be known, so it stays; every other row is right.
    assert after[4] == ["", "New person", "cancelled", "typed just now"]
    assert after[:4] + after[5:] == with_status(seen[0][:4] + seen[0][5:], "id-b", "cancelled")


def test_update_row_returns_false_when_a_coordinator_deletes_the_row_first(racing, signups_tab):
    seen: list = []
    racing.races = [race(signups_tab, lambda: signups_tab.delete_rows(5), seen)]
    assert racing.update_row("Signups", "id-b", {"Status": "cancelled"}) is False
    assert signups_tab.get_all_values() == seen[0]
    assert "id-b" not in [row[0] for row in seen[0]]


def test_update_row_returns_false_for_an_id_that_is_not_there(storage, emulator):
    assert storage.update_row("Signups", "id-zz", {"Status": "cancelled"}) is False
    assert counts(emulator).get("spreadsheets.values.batchUpdate", 0) == 0


def test_update_row_gives_up_when_the_rows_keep_moving_and_leaves_them_as_they_were(
    racing, google_sheet, signups_tab
):
    # Ann (id-a) goes from row 3 to the last row, then the first, then the last again.
    seen: list = []
    racing.races = [
        race(signups_tab, lambda d=d: sort_by_name(google_sheet, signups_tab, d), seen)
        for d in (True, False, True, False)
    ]
    with pytest.raises(StorageError, match="kept changing") as raised:
        racing.update_row("Signups", "id-a", {"Status": "cancelled"})
    assert raised.value.transient
    assert racing.writes == 3
    assert signups_tab.get_all_values() == seen[-1]


def test_update_row_is_retried_whole_through_503s(storage, emulator, signups_tab):
    fault(emulator, count=3, status=503, method="spreadsheets.values.batchUpdate")
    assert storage.update_row("Signups", "id-b", {"Status": "cancelled"})
    assert signups_tab.get_all_values() == with_status([HEADER, *ROWS], "id-b", "cancelled")
    assert counts(emulator)["spreadsheets.values.batchUpdate"] == 4


def test_update_row_whose_reply_is_lost_checks_the_row_instead_of_writing_again(
    storage, emulator, signups_tab
):
    fault(emulator, count=1, drop_after_apply=True, method="spreadsheets.values.batchUpdate")
    assert storage.update_row("Signups", "id-b", {"Status": "cancelled"})
    assert signups_tab.get_all_values() == with_status([HEADER, *ROWS], "id-b", "cancelled")
    assert counts(emulator)["spreadsheets.values.batchUpdate"] == 1
