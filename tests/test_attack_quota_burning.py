"""Attack: a stranger burning the Google read quota through public pages.

Google allows 60 reads a minute per account; every read a stranger can cause at will brings
the failures of a spent quota (tests/test_attack_capacity_failed_reads.py) nearer.
``GET /signup/done/<random id>`` used to read the sheet afresh each time, and ``GET
/findings`` read the Findings tab each time. Both now cost at most one read per cache
period per process, counted by the emulator.
"""

from __future__ import annotations

import secrets

import pytest
import requests

from sumo_sheets import create_app

from . import support
from .support import NOW

FORM = {**support.FORM, "name": "Ann"}


def reads(emulator) -> int:
    counts = requests.get(f"{emulator.url}/_emulator/requests", timeout=5).json()
    return sum(
        counts.get(m, 0)
        for m in ("spreadsheets.values.batchGet", "spreadsheets.values.get", "spreadsheets.get")
    )


def reset(emulator) -> None:
    requests.post(f"{emulator.url}/_emulator/reset", json={}, timeout=5)


def site(google_config, tmp_path, name: str = "a"):
    """The site on the emulated sheet with the default read cache (5 s on Google)."""
    config = {**google_config, "CLOCK": lambda: NOW, "RUN_STATE_FOLDER": str(tmp_path / name)}
    del config["SHEET_CACHE_SECONDS"]
    app = create_app(config)
    assert app.test_cli_runner().invoke(args=["sheet", "init"]).exit_code == 0
    return app


@pytest.fixture
def app(google_config, tmp_path):
    return site(google_config, tmp_path)


def test_fifty_random_confirmation_ids_cost_at_most_one_read(app, emulator):
    client = app.test_client()
    client.get("/")
    reset(emulator)
    for _ in range(50):
        assert client.get(f"/signup/done/{secrets.token_hex(4).upper()}").status_code == 404
    assert reads(emulator) <= 1


def test_a_browser_asking_again_for_its_own_missing_signup_is_throttled_too(app, emulator):
    client = app.test_client()
    client.get("/")
    with client.session_transaction() as session:
        session["made"] = ["GONEGONE"]
    reset(emulator)
    answers = {client.get("/signup/done/GONEGONE").status_code for _ in range(50)}
    # The first look reads the sheet and says it is not there; later ones within the cache
    # period say it is being read back (and refresh), without another read.
    assert answers <= {404, 200}
    assert reads(emulator) <= 1


def test_fifty_views_of_the_findings_page_cost_at_most_one_read(app, emulator):
    client = app.test_client()
    client.get("/findings")
    reset(emulator)
    for _ in range(50):
        assert client.get("/findings").status_code == 200
    assert reads(emulator) <= 1


def test_a_new_finding_shows_at_once(app):
    client = app.test_client()
    client.get("/findings")
    finding = {
        "name": "Mo",
        "contact": "mo@example.org",
        "when": "2026-11-25T09:00",
        "seen": "A spam wave in the room",
    }
    assert client.post("/findings", data=finding).status_code == 303
    assert "A spam wave in the room" in client.get("/findings").get_data(as_text=True)


def test_the_browser_that_signed_up_in_another_process_still_sees_its_confirmation(
    google_config, tmp_path, emulator
):
    one, two = site(google_config, tmp_path, "one"), site(google_config, tmp_path, "two")
    browser = two.test_client()
    browser.get("/")  # process two's copy is warm and does not hold the new row
    posted = one.test_client().post("/signup", data=FORM)
    assert posted.status_code == 303
    signup_id = posted.headers["Location"].rsplit("/", 1)[1]
    # A stranger who guesses the ID is answered from process two's copy, at no cost.
    reset(emulator)
    assert two.test_client().get(f"/signup/done/{signup_id}").status_code == 404
    assert reads(emulator) == 0
    # The browser that made it (its session says so) gets a fresh look.
    with browser.session_transaction() as session:
        session["made"] = [signup_id]
    page = browser.get(f"/signup/done/{signup_id}")
    assert page.status_code == 200 and "Ann" in page.get_data(as_text=True)


def test_a_signup_remembers_its_ids_in_the_session(app):
    client = app.test_client()
    response = client.post("/signup", data=FORM)
    with client.session_transaction() as session:
        assert session["made"] == [response.headers["Location"].rsplit("/", 1)[1]]


def test_fifty_cancels_of_a_signup_the_link_does_not_hold_cost_no_read(app, emulator):
    client = app.test_client()
    response = client.post("/signup", data=FORM)
    assert response.status_code == 303
    done = client.get(response.location).get_data(as_text=True)
    link = done.split('class="manage-link"><a href="', 1)[1].split('"', 1)[0]
    link = "/my/" + link.rsplit("/my/", 1)[1]
    client.get(link)
    reset(emulator)
    for _ in range(50):
        client.post(f"{link}/cancel/{secrets.token_hex(4).upper()}")
    assert reads(emulator) <= 1


def test_while_reads_fail_public_pages_cost_one_read_per_period(app, emulator):
    client = app.test_client()
    client.get("/")  # a good copy to fall back on
    requests.post(
        f"{emulator.url}/_emulator/faults",
        json={"method": "spreadsheets.values.batchGet", "status": 429, "count": 1000},
        timeout=5,
    )
    reset_counts = requests.get(f"{emulator.url}/_emulator/requests", timeout=5).json()
    before = sum(reset_counts.get(m, 0) for m in ("spreadsheets.values.batchGet",))
    app.extensions["sumo_reader"].invalidate(shared=False)
    try:
        for path in ["/", "/needed", "/api/week", "/healthz", "/schedule.ics"] * 4:
            assert client.get(path).status_code == 200
        after = requests.get(f"{emulator.url}/_emulator/requests", timeout=5).json()
    finally:
        reset(emulator)  # no faults left for the tests after this one
    tries = after.get("spreadsheets.values.batchGet", 0) - before
    assert tries <= int(app.config["SHEETS_RETRY_ATTEMPTS"])  # one read, with its retries
