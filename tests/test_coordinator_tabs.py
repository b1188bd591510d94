"""Coordinators rename, duplicate and delete the Signups tab while volunteers sign up.

On both backends, with the read cache on (the default on Google; 5 s on the workbook too) and
off, the edit lands between a volunteer opening the form and sending it ("form"), or between
the site's append and its confirming read ("append"). Each test checks what the volunteer is
told and every cell of the sheet afterwards. Only `sheet init` makes tabs: no signup ever
brings a deleted tab back or writes to a copy.
"""

from __future__ import annotations

import re

import openpyxl
import pytest

from sumo_sheets import create_app
from sumo_sheets import sheet_format as fmt
from sumo_sheets.emulator.client import session_hook
from sumo_sheets.storage import open_storage

from .support import NOW, page_text, sign_up

RENAMED = "Sign-ups 2026"


class Workbook:
    """The workbook as a coordinator's spreadsheet program edits it."""

    copy_name = "Signups (2)"  # Excel's name for a copy

    def __init__(self, path):
        self.path = path

    def snapshot(self) -> dict[str, list[list[str]]]:
        book = openpyxl.load_workbook(self.path)
        return {sheet.title: _trimmed(sheet.iter_rows(values_only=True)) for sheet in book}

    def _edit(self, change) -> None:
        book = openpyxl.load_workbook(self.path)
        change(book)
        book.save(self.path)

    def rename(self) -> None:
        self._edit(lambda book: setattr(book["Signups"], "title", RENAMED))

    def duplicate(self) -> None:
        def copy(book):
            book.copy_worksheet(book["Signups"]).title = self.copy_name

        self._edit(copy)

    def delete(self) -> None:
        self._edit(lambda book: book.remove(book["Signups"]))


class GoogleSheet:
    """The Google Sheet as a coordinator edits it in the browser (their own gspread client)."""

    copy_name = "Copy of Signups"  # Google's name for a copy

    def __init__(self, spreadsheet):
        self.spreadsheet = spreadsheet

    def snapshot(self) -> dict[str, list[list[str]]]:
        return {ws.title: _trimmed(ws.get_all_values()) for ws in self.spreadsheet.worksheets()}

    def rename(self) -> None:
        self.spreadsheet.worksheet("Signups").update_title(RENAMED)

    def duplicate(self) -> None:
        self.spreadsheet.duplicate_sheet(self.spreadsheet.worksheet("Signups").id)

    def delete(self) -> None:
        self.spreadsheet.del_worksheet(self.spreadsheet.worksheet("Signups"))


def _trimmed(rows) -> list[list[str]]:
    grid = []
    for row in rows:
        cells = ["" if v is None else str(v) for v in row]
        while cells and cells[-1] == "":
            cells.pop()
        grid.append(cells)
    while grid and not grid[-1]:
        grid.pop()
    return grid


class EditAfterAppend:
    """The site's storage, with a coordinator's edit landing right after its append returns."""

    def __init__(self, inner, edit):
        self._inner = inner
        self.edit = edit

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def append_rows(self, title, rows):
        landed = self._inner.append_rows(title, rows)
        if title == fmt.SIGNUPS and self.edit is not None:
            edit, self.edit = self.edit, None
            edit()
        return landed


@pytest.fixture(params=["workbook", "google"])
def site(request, tmp_path):
    """(config, the sheet as a coordinator sees it) for a sheet set up by `sheet init`."""
    if request.param == "workbook":
        path = tmp_path / "sumo-schedule.xlsx"
        config = {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "WORKBOOK": str(path),
            "WTF_CSRF_ENABLED": False,
        }
        sheet = Workbook(path)
    else:
        config = dict(request.getfixturevalue("google_config"))
        sheet = GoogleSheet(request.getfixturevalue("google_sheet"))
    config["CLOCK"] = lambda: NOW
    assert create_app(config).test_cli_runner().invoke(args=["sheet", "init"]).exit_code == 0
    return config, sheet


def _app(config, cache_seconds, edit_after_append=None):
    config = {**config, "SHEET_CACHE_SECONDS": cache_seconds}
    if config.get("SHEETS_EMULATOR_HOST"):
        config["SHEETS_SESSION_HOOK"] = session_hook(config["SHEETS_EMULATOR_HOST"])
    storage = open_storage(config, fmt.TAB_SPECS)
    return create_app(config, storage=EditAfterAppend(storage, edit_after_append))


def _row_cells(header, row) -> dict[str, str]:
    return dict(zip(header, row + [""] * (len(header) - len(row)), strict=True))


def _assert_is_anns_row(header, row) -> None:
    cells = _row_cells(header, row)
    assert re.fullmatch(r"[A-Z0-9]{4,}", cells.pop(fmt.ID))
    assert cells.pop(fmt.REQUEST_ID)
    assert cells.pop(fmt.SIGNED_UP_AT) == "2026-11-25 10:00"
    assert cells == {
        fmt.NAME: "Ann Example",
        fmt.CONTACT: "ann@example.org",
        fmt.ROLE: "Helper",
        fmt.DATE: "2026-11-30",
        fmt.START_UTC: "14:00",
        fmt.END_UTC: "15:00",
        fmt.STATUS: "confirmed",
        fmt.NOTES: "",
        fmt.VOLUNTEER_ZONE: cells[fmt.VOLUNTEER_ZONE],
    }


def _volunteer_signs_up(config, sheet, cache_seconds, timing, edit):
    """Open the form, then send it, with the coordinator's ``edit`` at ``timing``."""
    app = _app(config, cache_seconds, edit if timing == "append" else None)
    client = app.test_client()
    assert client.get("/signup").status_code == 200  # warms the cache
    assert client.get("/").status_code == 200
    if timing == "form":
        edit()
    return client, sign_up(client)


CACHE = pytest.mark.parametrize("cache_seconds", [5, 0], ids=["cache-on", "cache-off"])
TIMING = pytest.mark.parametrize("timing", ["form", "append"])


@CACHE
@TIMING
def test_a_renamed_signups_tab_is_followed(site, cache_seconds, timing):
    config, sheet = site
    before = sheet.snapshot()
    client, response = _volunteer_signs_up(config, sheet, cache_seconds, timing, sheet.rename)
    assert response.status_code == 303, page_text(response)
    after = sheet.snapshot()
    assert list(after) == [RENAMED if t == "Signups" else t for t in before]  # no new tab
    header, row = after[RENAMED]
    assert header == list(fmt.SIGNUP_HEADERS)
    _assert_is_anns_row(header, row)
    assert {t: g for t, g in after.items() if t != RENAMED} == {
        t: g for t, g in before.items() if t != "Signups"
    }
    # The site shows the signup (it reads the renamed tab), and counts the place as taken.
    assert "Ann Example" in page_text(client.get("/?week=2026-W49"))
    result = create_app(config).test_cli_runner().invoke(args=["sheet", "check"])
    assert f"The Signups tab is now called '{RENAMED}'; the site follows it." in result.output
    assert result.exit_code == 0, result.output


@CACHE
@TIMING
def test_a_copy_of_the_signups_tab_is_never_taken_for_it(site, cache_seconds, timing):
    config, sheet = site
    before = sheet.snapshot()
    client, response = _volunteer_signs_up(config, sheet, cache_seconds, timing, sheet.duplicate)
    assert response.status_code == 303, page_text(response)
    after = sheet.snapshot()
    assert set(after) == {*before, sheet.copy_name}
    header, row = after["Signups"]
    _assert_is_anns_row(header, row)
    # A copy made before the signup has the header only; one made after it, the row too.
    assert after[sheet.copy_name] == ([header] if timing == "form" else [header, row])
    assert {t: g for t, g in after.items() if t not in ("Signups", sheet.copy_name)} == {
        t: g for t, g in before.items() if t != "Signups"
    }
    result = create_app(config).test_cli_runner().invoke(args=["sheet", "check"])
    assert f"Warning: the tab '{sheet.copy_name}' looks like a copy of the Signups tab" in (
        result.output
    )


@CACHE
@TIMING
def test_a_deleted_signups_tab_refuses_signups_with_the_fix_and_is_never_made_again(
    site, cache_seconds, timing
):
    config, sheet = site
    before = sheet.snapshot()
    client, response = _volunteer_signs_up(config, sheet, cache_seconds, timing, sheet.delete)
    after = sheet.snapshot()
    # Nothing was made: no Signups tab, every other tab as it was.
    assert after == {t: g for t, g in before.items() if t != "Signups"}
    text = page_text(response)
    assert response.status_code == 503, text
    # Told what is wrong and how to fix it, with what they typed kept (when the tab went as
    # the row was saved, the row went with it: not saved either).
    assert "The sheet has no Signups tab" in text and "sheet init" in text
    assert "Your signup was not saved." in text
    assert 'value="Ann Example"' in response.get_data(as_text=True)
    # From now on, every page says so until a coordinator fixes it.
    app = _app(config, cache_seconds)
    client = app.test_client()
    week = page_text(client.get("/?week=2026-W49"))
    assert "The sheet has no Signups tab" in week and "Signups are paused" in week
    again = sign_up(client)
    assert again.status_code == 503
    assert "The sheet has no Signups tab" in page_text(again)
    assert 'value="Ann Example"' in again.get_data(as_text=True)
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json["missing_tabs"] == ["Signups"]
    assert "no Signups tab" in health.json["error"]
    result = app.test_cli_runner().invoke(args=["sheet", "check"])
    assert result.exit_code == 1
    assert "Signups: The sheet has no Signups tab" in result.output
    assert sheet.snapshot() == after


def test_a_google_copy_that_kept_the_sites_tag_is_never_taken_for_the_tab(
    google_config, google_sheet
):
    """Google does not document whether duplicating a tab copies its developer metadata: if
    it does, the copy carries a tag naming the original's sheetId, and is still told apart."""
    import json

    from sumo_sheets.storage.google_tabs import tag_request

    config = {**google_config, "CLOCK": lambda: NOW}
    assert create_app(config).test_cli_runner().invoke(args=["sheet", "init"]).exit_code == 0
    original = google_sheet.worksheet("Signups")
    copy = google_sheet.duplicate_sheet(original.id, new_sheet_name="Copy of Signups")
    tag = tag_request("Signups", original.id)
    tag["createDeveloperMetadata"]["developerMetadata"]["location"] = {"sheetId": copy.id}
    assert json.loads(tag["createDeveloperMetadata"]["developerMetadata"]["metadataValue"])
    google_sheet.batch_update({"requests": [tag]})

    sheet = GoogleSheet(google_sheet)
    app = _app(config, 5)
    response = sign_up(app.test_client())
    assert response.status_code == 303
    after = sheet.snapshot()
    assert len(after["Signups"]) == 2 and len(after["Copy of Signups"]) == 1
    check = app.test_cli_runner().invoke(args=["sheet", "check"])
    assert "Copy of Signups" in check.output
