"""Fixtures for the Google backend: the offline Sheets API emulator, accounts, and sheets.

Real gspread and google-auth talk HTTP to the project's emulator on a loopback port. As in
real life, a coordinator's account owns the sheet and shares it with the site's account.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sumo_sheets.emulator.client import session_hook
from sumo_sheets.storage.gsheets import GoogleSheetsStorage

SITE_EMAIL = "sumo-site@sumo-test.iam.gserviceaccount.com"
COORDINATOR_EMAIL = "coordinator@sumo-test.iam.gserviceaccount.com"


@pytest.fixture(scope="session")
def emulator():
    """One emulator for the test session, on a free loopback port."""
    from sumo_sheets.emulator import EmulatorServer

    with EmulatorServer(host="127.0.0.1", port=0) as server:
        yield server


def _account(emulator, folder: Path, email: str) -> tuple[dict, Path]:
    from sumo_sheets.emulator.testing import make_service_account_info

    info = make_service_account_info(email, f"http://{emulator.host_port}/token")
    key_file = folder / f"{email.split('@')[0]}.json"
    key_file.write_text(json.dumps(info))
    return info, key_file


@pytest.fixture(scope="session")
def site_account(emulator, tmp_path_factory):
    """The site's service account: its key and key file."""
    return _account(emulator, tmp_path_factory.mktemp("site-key"), SITE_EMAIL)


@pytest.fixture(scope="session")
def coordinator_client(emulator, tmp_path_factory):
    """A coordinator editing the sheet with their own gspread client."""
    from sumo_sheets.emulator.testing import emulator_gspread_client

    info, _ = _account(emulator, tmp_path_factory.mktemp("coordinator-key"), COORDINATOR_EMAIL)
    return emulator_gspread_client(emulator.host_port, info)


@pytest.fixture
def google_sheet(coordinator_client):
    """A new spreadsheet the coordinator owns and has shared with the site's account."""
    spreadsheet = coordinator_client.create("SUMO Live Chat schedule")
    spreadsheet.share(SITE_EMAIL, perm_type="user", role="writer", notify=False)
    return spreadsheet


@pytest.fixture
def google_storage(emulator, site_account, google_sheet):
    """The Google backend on that sheet, through the emulator."""
    return GoogleSheetsStorage(
        google_sheet.id,
        credentials_files=[site_account[1]],
        session_hook=session_hook(emulator.host_port),
    )


@pytest.fixture
def google_config(emulator, site_account, google_sheet, tmp_path):
    """App settings that select the Google backend on that sheet."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "SHEET_ID": google_sheet.id,
        "CREDENTIALS_FILES": [str(site_account[1])],
        "SHEETS_EMULATOR_HOST": emulator.host_port,
        "WORKBOOK": str(tmp_path / "unused.xlsx"),
        # Retries as in production, but with waits short enough for tests.
        "SHEETS_RETRY_ATTEMPTS": 3,
        "SHEETS_RETRY_WAIT": 0.01,
        "SHEETS_RETRY_BUDGET": 1,
        # Every read goes to the sheet, so tests see a coordinator's edit at once; the
        # cache has tests of its own.
        "SHEET_CACHE_SECONDS": 0,
    }
