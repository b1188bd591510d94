"""Attack: one form sent ten times at once (a double click, a resend) must not litter the sheet.

Ten parallel copies of one 3-week weekly form, with the same hidden request_id, used to give
the right 3 signups and 26 cancelled junk rows: each copy appended its own rows, and all but
the first gave way. Copies of one form now take turns (a lock per form key, across threads
and processes on the host), and each later copy finds the rows the first made.
"""

from __future__ import annotations

import threading

import pytest
import requests

from sumo_sheets import create_app, services

from . import support
from .support import NOW

FORM = {
    **support.FORM,
    "name": "Ann",
    "repeat_weeks": "3",
    "request_id": "double-click-key-0123456789",
}


def send_together(apps: list, copies: int) -> list:
    """``copies`` POSTs of the same form at once, spread over the apps, one thread each."""
    start = threading.Barrier(copies, timeout=60)
    responses: list = []

    def send(app) -> None:
        client = app.test_client()
        start.wait()
        responses.append(client.post("/signup", data=FORM))

    threads = [threading.Thread(target=send, args=(apps[n % len(apps)],)) for n in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return responses


def assert_one_signup_per_week_and_no_junk(responses, storage) -> None:
    assert [r.status_code for r in responses] == [303] * 10
    assert len({r.headers["Location"] for r in responses}) == 1
    rows = services.read_sheet(storage).signups
    assert len(rows) == 3
    assert [s.cancelled for s in rows] == [False, False, False]
    assert sorted(s.start.date().isoformat() for s in rows) == [
        "2026-11-30",
        "2026-12-07",
        "2026-12-14",
    ]
    assert responses[0].headers["Location"].endswith(f"/signup/done/{rows[0].id}")


def workbook_app(workbook_path, state):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "WORKBOOK": str(workbook_path),
            "CLOCK": lambda: NOW,
            "RUN_STATE_FOLDER": str(state),
        }
    )


def test_ten_copies_of_a_weekly_form_on_the_workbook_make_three_rows(tmp_path):
    app = workbook_app(tmp_path / "book.xlsx", tmp_path / "state")
    app.test_cli_runner().invoke(args=["sheet", "init"])
    responses = send_together([app], 10)
    assert_one_signup_per_week_and_no_junk(responses, app.extensions["sumo_storage"])


def test_copies_reaching_two_processes_on_one_host_take_turns_too(tmp_path):
    # Two app instances stand for two worker processes: no shared memory, one instance folder.
    apps = [workbook_app(tmp_path / "book.xlsx", tmp_path / "state") for _ in range(2)]
    apps[0].test_cli_runner().invoke(args=["sheet", "init"])
    responses = send_together(apps, 10)
    assert_one_signup_per_week_and_no_junk(responses, apps[0].extensions["sumo_storage"])


@pytest.mark.parametrize("cache", ["default cache", "cache off"])
def test_ten_copies_of_a_weekly_form_on_google_make_three_rows(
    cache, emulator, google_config, google_storage, tmp_path
):
    requests.post(f"{emulator.url}/_emulator/reset", json={}, timeout=5)
    config = {**google_config, "CLOCK": lambda: NOW, "RUN_STATE_FOLDER": str(tmp_path / "s")}
    if cache == "default cache":
        del config["SHEET_CACHE_SECONDS"]
    app = create_app(config)
    app.test_cli_runner().invoke(args=["sheet", "init"])
    app.test_client().get("/signup")  # a warm cache, as when the form was shown
    responses = send_together([app], 10)
    assert_one_signup_per_week_and_no_junk(responses, google_storage)
