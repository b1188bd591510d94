"""Running the site without a Google account: the emulator's --dev-instance set-up."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time

import requests

from sumo_sheets import create_app
from sumo_sheets.emulator.dev import DEV_SHEET_ID, ensure_dev_key, ensure_dev_sheet
from sumo_sheets.emulator.state import State
from sumo_sheets.storage.gsheets import load_service_account_info


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_dev_key_is_a_private_service_account_key_and_is_kept_once_written(tmp_path):
    key = tmp_path / "credentials.json"
    email = ensure_dev_key(key)
    first = key.read_text()

    assert load_service_account_info([key])["client_email"] == email
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert ensure_dev_key(key) == email
    assert key.read_text() == first


def test_the_dev_sheet_is_made_once_and_follows_a_new_key(tmp_path):
    state = State(tmp_path / "emulator.json")
    assert ensure_dev_sheet(state, "a@x.iam.gserviceaccount.com") == DEV_SHEET_ID
    state.spreadsheets[DEV_SHEET_ID].sheets[0].set(0, 0, "kept")
    state.save()

    reloaded = State(tmp_path / "emulator.json")
    reloaded.load()
    ensure_dev_sheet(reloaded, "b@x.iam.gserviceaccount.com")

    assert list(reloaded.spreadsheets) == [DEV_SHEET_ID]
    sheet = reloaded.spreadsheets[DEV_SHEET_ID]
    assert sheet.owner == "b@x.iam.gserviceaccount.com"
    assert sheet.sheets[0].cells[0][0] == "kept"


def test_the_documented_dev_command_gives_a_sheet_the_site_can_set_up_and_use(tmp_path):
    port = _free_port()
    emulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sumo_sheets.emulator",
            "--port",
            str(port),
            "--state-file",
            str(tmp_path / "emulator.json"),
            "--dev-instance",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/_emulator/", timeout=1)
                break
            except requests.ConnectionError:
                assert emulator.poll() is None, emulator.stderr.read()
                assert time.monotonic() < deadline, "the emulator did not start"
                time.sleep(0.1)
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test",
                "SHEET_ID": DEV_SHEET_ID,
                "SHEETS_EMULATOR_HOST": f"127.0.0.1:{port}",
                "CREDENTIALS_FILES": [str(tmp_path / "credentials.json")],
            }
        )
        result = app.test_cli_runner().invoke(args=["sheet", "init"])
        assert "The sheet is ready (google-sheets)" in result.output, result.output

        assert app.test_client().get("/").status_code == 200
        dump = requests.get(
            f"http://127.0.0.1:{port}/_emulator/spreadsheets/{DEV_SHEET_ID}", timeout=5
        ).json()
        assert {"Signups", "Schedule", "Settings"} <= {tab["title"] for tab in dump["sheets"]}
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    # What the site wrote is in the state file for the next start.
    saved = json.loads((tmp_path / "emulator.json").read_text())
    assert any(s["id"] == DEV_SHEET_ID for s in saved["spreadsheets"])
    assert os.path.exists(tmp_path / "credentials.json")
