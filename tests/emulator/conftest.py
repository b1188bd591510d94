"""Fixtures: one emulator per session on a free loopback port, and real gspread clients on it."""

from __future__ import annotations

import uuid

import pytest
import requests

from sumo_sheets.emulator import EmulatorServer
from sumo_sheets.emulator.testing import emulator_gspread_client, make_service_account_info

OWNER_EMAIL = "sumo-test@sumo-test.iam.gserviceaccount.com"
OTHER_EMAIL = "someone-else@other-project.iam.gserviceaccount.com"


class Control:
    """The emulator's control API, as tests call it over HTTP."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url + "/_emulator"

    def get(self, path: str) -> dict:
        response = requests.get(self.base_url + path, timeout=10)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: dict | None = None) -> dict:
        response = requests.post(self.base_url + path, json=body or {}, timeout=10)
        response.raise_for_status()
        return response.json()

    def counts(self) -> dict:
        return self.get("/requests")

    def dump(self, spreadsheet_id: str) -> dict:
        return self.get(f"/spreadsheets/{spreadsheet_id}")

    def tab(self, spreadsheet_id: str, title: str) -> dict:
        return next(t for t in self.dump(spreadsheet_id)["sheets"] if t["title"] == title)


@pytest.fixture(scope="session")
def emulator_server():
    """The emulator under test, for the whole session."""
    with EmulatorServer(host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture(scope="session")
def control(emulator_server) -> Control:
    return Control(emulator_server.url)


@pytest.fixture(autouse=True)
def _settle_emulator(control):
    """Each test starts with zero counters, no faults, no latency and quotas off."""
    control.post("/reset")
    control.post("/latency", {"ms": 0})
    control.post("/quotas", {"enabled": False})
    yield
    requests.delete(control.base_url + "/faults", timeout=10)


@pytest.fixture(scope="session")
def owner_info(emulator_server) -> dict:
    return make_service_account_info(OWNER_EMAIL, f"{emulator_server.url}/token")


@pytest.fixture(scope="session")
def other_info(emulator_server) -> dict:
    return make_service_account_info(OTHER_EMAIL, f"{emulator_server.url}/token")


@pytest.fixture(scope="session")
def gc(emulator_server, owner_info):
    """gspread for the owning service account."""
    return emulator_gspread_client(emulator_server.host_port, owner_info)


@pytest.fixture(scope="session")
def other_gc(emulator_server, other_info):
    """gspread for a second service account the owner has not shared with."""
    return emulator_gspread_client(emulator_server.host_port, other_info)


@pytest.fixture
def spreadsheet(gc):
    """A new spreadsheet owned by the test account, made through gspread's Client.create."""
    return gc.create(f"Emulator test {uuid.uuid4().hex[:8]}")


@pytest.fixture
def ws(spreadsheet):
    """The spreadsheet's first tab (Sheet1, 1000x26)."""
    return spreadsheet.sheet1


@pytest.fixture
def api(gc, emulator_server):
    """Raw authorized HTTP to Google's URLs (redirected), for checking exact reply shapes."""
    session = gc.http_client.session

    class Api:
        sheets = "https://sheets.googleapis.com/v4/spreadsheets"
        drive = "https://www.googleapis.com/drive/v3"

        def __getattr__(self, name):
            return getattr(session, name)

    return Api()
