"""Fast and nearly free on the API: the read cache, single flight, Redis, the week index, 304s.

API calls are counted by the emulator; Redis is a real redis-server started for these tests.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from sumo_sheets import create_app, services
from sumo_sheets.model import Role, Signup

from . import support
from .support import NOW, contact_token

FORM = {**support.FORM, "name": "Ann"}


def counts(emulator) -> dict:
    return requests.get(f"{emulator.url}/_emulator/requests", timeout=5).json()


def reset(emulator) -> None:
    requests.post(f"{emulator.url}/_emulator/reset", json={}, timeout=5)


def reads(emulator) -> int:
    c = counts(emulator)
    return sum(c.get(m, 0) for m in ("spreadsheets.values.batchGet", "spreadsheets.values.get"))


@pytest.fixture
def cached_app(google_config):
    """The site on the emulated Google Sheet with a 30-second read cache."""
    app = create_app({**google_config, "SHEET_CACHE_SECONDS": 30, "CLOCK": lambda: NOW})
    result = app.test_cli_runner().invoke(args=["sheet", "init"])
    assert result.exit_code == 0, result.output
    return app


def test_steady_page_views_cost_no_reads_once_the_cache_is_warm(cached_app, emulator):
    client = cached_app.test_client()
    client.get("/")
    reset(emulator)
    for _ in range(20):
        assert client.get("/?week=2026-W49").status_code == 200
        assert client.get("/api/week?week=2026-W49").status_code == 200
    assert reads(emulator) == 0


def test_requests_that_miss_together_share_one_read(cached_app, emulator):
    reader = cached_app.extensions["sumo_reader"]
    reader.invalidate()
    reset(emulator)
    requests.post(f"{emulator.url}/_emulator/latency", json={"ms": 300}, timeout=5)
    try:
        threads = [threading.Thread(target=reader.latest) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        requests.post(f"{emulator.url}/_emulator/latency", json={"ms": 0}, timeout=5)
    assert reads(emulator) == 1


def test_a_signup_on_a_warm_cache_costs_one_append_and_one_read_and_shows_at_once(
    cached_app, emulator
):
    client = cached_app.test_client()
    client.get("/signup")
    reset(emulator)
    assert client.post("/signup", data=FORM).status_code == 303
    c = counts(emulator)
    assert c.get("spreadsheets.values.append") == 1
    assert reads(emulator) == 1  # the read that confirms the row in sheet order
    assert c["total"] == 2
    assert "Ann" in client.get("/?week=2026-W49").get_data(as_text=True)


def test_a_coordinators_edit_shows_once_the_cache_period_is_over(google_config, google_sheet):
    app = create_app({**google_config, "SHEET_CACHE_SECONDS": 0.5, "CLOCK": lambda: NOW})
    app.test_cli_runner().invoke(args=["sheet", "init"])
    client = app.test_client()
    client.get("/")
    tab = google_sheet.worksheet("Signups")
    header = tab.row_values(1)
    row = dict.fromkeys(header, "")
    row.update({"Name": "Typed In", "Role": "Helper", "Date": "2026-11-30", "Start (UTC)": "14:00"})
    tab.append_row([row[h] for h in header])
    time.sleep(0.6)
    assert "Typed In" in client.get("/?week=2026-W49").get_data(as_text=True)


def test_when_the_cache_runs_out_during_an_outage_the_last_good_copy_is_shown(
    google_config, emulator
):
    app = create_app({**google_config, "SHEET_CACHE_SECONDS": 0.2, "CLOCK": lambda: NOW})
    app.test_cli_runner().invoke(args=["sheet", "init"])
    client = app.test_client()
    assert client.get("/").status_code == 200
    time.sleep(0.3)
    requests.post(f"{emulator.url}/_emulator/faults", json={"count": 50, "status": 503}, timeout=5)
    try:
        page = client.get("/").get_data(as_text=True)
        assert "may be out of date since" in page
        assert client.get("/healthz").get_json()["status"] == "degraded"
    finally:
        requests.delete(f"{emulator.url}/_emulator/faults", timeout=5)


# -- conditional GETs ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/?week=2026-W49", "/api/week?week=2026-W49", "/schedule.ics"])
def test_an_unchanged_page_answers_304_and_a_signup_changes_its_etag(client, path):
    first = client.get(path)
    assert first.status_code == 200 and first.headers["ETag"] and first.headers["Last-Modified"]
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""

    assert client.post("/signup", data={**FORM, "start": "2026-11-30T15:00Z"}).status_code == 303
    changed = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != first.headers["ETag"]


def test_a_personal_feed_answers_304_until_its_signups_change(app, client):

    assert client.post("/signup", data=FORM).status_code == 303
    path = f"/my/{contact_token('ann@example.org')}.ics"
    first = client.get(path)
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert first.headers["Cache-Control"].startswith("private")


# -- the week index -----------------------------------------------------------------------------


def test_the_week_index_finds_exactly_the_signups_that_overlap_a_span():
    base = datetime(2026, 11, 30, 14, tzinfo=UTC)
    signups = [
        Signup(
            f"P{n}",
            f"p{n}@x.org",
            Role.HELPER,
            base + timedelta(hours=n),
            base + timedelta(hours=n + 1 + n % 3),
        )
        for n in range(-30, 200, 3)
    ]
    data = services.SheetData([], services.fmt.parse_settings([])[0], signups, [])
    for start_hours, length in ((0, 1), (5, 24), (-40, 10), (190, 50)):
        start = base + timedelta(hours=start_hours)
        end = start + timedelta(hours=length)
        expected = [s for s in signups if s.overlaps(start, end)]
        assert sorted(data.signups_between(start, end), key=id) == sorted(expected, key=id)


# -- a cache shared through Redis -----------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_url():
    """A real redis-server on a free loopback port, for this module."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: apt-get install -y redis-server (CI does)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis(port=port).ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


def test_processes_sharing_redis_cost_one_read_between_them(google_config, emulator, redis_url):
    settings = {**google_config, "SHEET_CACHE_SECONDS": 30, "REDIS_URL": redis_url}
    first, second, third = (create_app({**settings, "CLOCK": lambda: NOW}) for _ in range(3))
    first.test_cli_runner().invoke(args=["sheet", "init"])
    first.extensions["sumo_reader"].invalidate()
    reset(emulator)
    for app in (first, second, third):
        assert app.test_client().get("/?week=2026-W49").status_code == 200
    assert reads(emulator) == 1


def test_a_signup_in_one_process_shows_in_another_that_shares_redis(
    google_config, emulator, redis_url
):
    settings = {**google_config, "SHEET_CACHE_SECONDS": 30, "REDIS_URL": redis_url}
    first, second = (create_app({**settings, "CLOCK": lambda: NOW}) for _ in range(2))
    first.test_cli_runner().invoke(args=["sheet", "init"])
    assert "Ann" not in second.test_client().get("/?week=2026-W49").get_data(as_text=True)
    assert first.test_client().post("/signup", data=FORM).status_code == 303
    # The first process's confirming read went to Redis: once the second's own copy is
    # due, it takes that one instead of reading the sheet.
    reset(emulator)
    second.extensions["sumo_reader"].invalidate(shared=False)
    assert "Ann" in second.test_client().get("/?week=2026-W49").get_data(as_text=True)
    assert reads(emulator) == 0


def test_with_redis_down_pages_still_read_the_sheet(google_config, emulator):
    settings = {**google_config, "SHEET_CACHE_SECONDS": 30, "REDIS_URL": "redis://127.0.0.1:1/0"}
    app = create_app({**settings, "CLOCK": lambda: NOW})
    app.test_cli_runner().invoke(args=["sheet", "init"])
    assert app.test_client().get("/?week=2026-W49").status_code == 200
