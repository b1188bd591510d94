"""Coordinators delete the Schedule or the Settings tab, or one of the Signups columns the
site needs: each has its own consequence, said where people look, and nothing is made again
behind their back (only `sheet init` makes tabs and headers).
"""

from __future__ import annotations

import pytest

from sumo_sheets import create_app

from . import test_coordinator_tabs
from .support import FORM, page_text, sign_up

# Both backends, each with a sheet made by `sheet init` (the fixture of the tab tests).
site = test_coordinator_tabs.site


def delete_tab(sheet, title: str) -> None:
    if hasattr(sheet, "spreadsheet"):
        sheet.spreadsheet.del_worksheet(sheet.spreadsheet.worksheet(title))
    else:
        sheet._edit(lambda book: book.remove(book[title]))


def delete_signups_column(sheet, header: str) -> None:
    if hasattr(sheet, "spreadsheet"):
        tab = sheet.spreadsheet.worksheet("Signups")
        tab.delete_columns(tab.row_values(1).index(header) + 1)
    else:

        def drop(book):
            tab = book["Signups"]
            names = [cell.value for cell in tab[1]]
            tab.delete_cols(names.index(header) + 1)

        sheet._edit(drop)


@pytest.mark.parametrize("cache_seconds", [5, 0], ids=["cache-on", "cache-off"])
def test_without_the_schedule_nothing_is_staffed_and_every_place_says_why(site, cache_seconds):
    config, sheet = site
    delete_tab(sheet, "Schedule")
    app = create_app({**config, "SHEET_CACHE_SECONDS": cache_seconds})
    client = app.test_client()
    before = sheet.snapshot()
    assert "The sheet has no Schedule tab" in page_text(client.get("/?week=2026-W49"))
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["missing_tabs"] == ["Schedule"]
    refused = client.post("/signup", data=FORM)
    assert refused.status_code == 503 and "no Schedule tab" in page_text(refused)
    assert 'value="Ann Example"' in refused.get_data(as_text=True)  # the input is kept
    check = app.test_cli_runner().invoke(args=["sheet", "check"])
    assert check.exit_code == 1 and "no Schedule tab" in check.output
    assert sheet.snapshot() == before  # nothing written, no tab made again


def test_without_settings_the_defaults_apply_and_sheet_check_says_so(site):
    config, sheet = site
    delete_tab(sheet, "Settings")
    app = create_app({**config, "SHEET_CACHE_SECONDS": 0})
    client = app.test_client()
    assert sign_up(client).status_code == 303
    check = app.test_cli_runner().invoke(args=["sheet", "check"])
    assert check.exit_code == 0
    assert "no Settings tab, so the defaults apply" in check.output
    assert "Settings" not in sheet.snapshot()


@pytest.mark.parametrize("header", ["Contact", "Status"])
def test_without_a_column_the_site_needs_signups_pause_and_no_header_is_added(site, header):
    config, sheet = site
    delete_signups_column(sheet, header)
    app = create_app({**config, "SHEET_CACHE_SECONDS": 0})
    before = sheet.snapshot()
    refused = sign_up(app.test_client())
    assert refused.status_code == 503
    assert f"The Signups tab has no '{header}' column" in page_text(refused)
    assert sheet.snapshot() == before
