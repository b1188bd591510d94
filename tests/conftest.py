"""Shared fixtures: an app on a temporary workbook, its clients, and storage backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from sumo_sheets import create_app
from sumo_sheets.sheet_format import TAB_SPECS
from sumo_sheets.storage.workbook import WorkbookStorage

from .support import NOW


@pytest.fixture(autouse=True)
def own_instance_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test keeps its own mail counts, revoked links, ledger, locks and signup record
    (not instance/)."""
    monkeypatch.setenv("SUMO_MAIL_COUNT_FILE", str(tmp_path / "mail-sent.json"))
    monkeypatch.setenv("SUMO_REVOKED_LINKS_FILE", str(tmp_path / "revoked-links.json"))
    monkeypatch.setenv("SUMO_RUN_STATE_FOLDER", str(tmp_path / "run-state"))
    monkeypatch.setenv("SUMO_SIGNUP_RECORD_FILE", str(tmp_path / "signup-record.jsonl"))


@pytest.fixture
def workbook_path(tmp_path: Path) -> Path:
    """Where this test's workbook lives (created on first use)."""
    return tmp_path / "sumo-schedule.xlsx"


@pytest.fixture
def app(workbook_path: Path):
    """The site on a fresh workbook with the default tabs, at a fixed time."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "WORKBOOK": str(workbook_path),
            "WTF_CSRF_ENABLED": False,
            "CLOCK": lambda: NOW,
        }
    )
    yield app


@pytest.fixture
def client(app):
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for the app's commands."""
    return app.test_cli_runner()


@pytest.fixture
def storage(app):
    """The app's own storage backend."""
    return app.extensions["sumo_storage"]


@pytest.fixture
def fresh_workbook(workbook_path: Path) -> WorkbookStorage:
    """A workbook storage with the site's tabs, outside any app."""
    return WorkbookStorage(workbook_path, new_file_tabs=TAB_SPECS)


# The Google backend's fixtures, shared by the contract suite and the Google tests.
from .google import (  # noqa: E402,F401
    coordinator_client,
    emulator,
    google_config,
    google_sheet,
    google_storage,
    site_account,
)
