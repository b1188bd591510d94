"""Opt-in: the storage contract against a real Google Sheet.

Runs only when SUMO_LIVE_SHEET_ID (a sheet shared as Editor with the service account) and
GOOGLE_APPLICATION_CREDENTIALS (its key file) are set. It works in a new, uniquely named tab
and deletes that tab afterwards, so the sheet's own tabs are never touched.
"""

from __future__ import annotations

import os
import secrets

import pytest

from sumo_sheets.storage import TabSpec
from sumo_sheets.storage.gsheets import (
    GoogleSheetsStorage,
    load_service_account_info,
    make_client,
    sheet_key,
)

LIVE_SHEET = os.environ.get("SUMO_LIVE_SHEET_ID", "")
KEY_FILE = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")

pytestmark = pytest.mark.skipif(
    not (LIVE_SHEET and KEY_FILE),
    reason="live Google test: set SUMO_LIVE_SHEET_ID and GOOGLE_APPLICATION_CREDENTIALS to run",
)


def test_the_storage_contract_holds_on_a_real_google_sheet():
    key = sheet_key(LIVE_SHEET)
    storage = GoogleSheetsStorage(key, [KEY_FILE])
    title = f"sumo-live-test-{secrets.token_hex(3)}"
    spec = TabSpec(title, ("ID", "Name", "Status"), choices={"Status": ("confirmed", "cancelled")})
    try:
        assert storage.ensure_tab(spec).created
        storage.append_rows(title, [["A1", "=1+1", "confirmed"], ["B2", "Bo", "confirmed"]])
        assert storage.read_tabs([title])[title] == [
            ["ID", "Name", "Status"],
            ["A1", "=1+1", "confirmed"],
            ["B2", "Bo", "confirmed"],
        ]
        assert storage.update_row(title, "B2", {"Status": "cancelled"})
        assert storage.read_tabs([title])[title][2] == ["B2", "Bo", "cancelled"]
        assert not storage.ensure_tab(spec).changed
    finally:
        spreadsheet = make_client(load_service_account_info([KEY_FILE])).open_by_key(key)
        for worksheet in spreadsheet.worksheets():
            if worksheet.title == title:
                spreadsheet.del_worksheet(worksheet)
