"""Fixtures: the real site on a loopback port, Chromium, and pages on a phone or a desktop."""

from __future__ import annotations

import os
import random
import threading
from datetime import UTC, datetime

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from sumo_sheets import create_app, services

from ..support import NOW
from .support import CHROMIUM, CHROMIUM_ARGS, DEVICES, SCREENSHOTS, device_of

# The flows sign up in the (empty) week after NOW's, 2026-W49; this one is filled with demo
# volunteers, to show a lived-in week.
BUSY_MONDAY = datetime(2026, 12, 7, tzinfo=UTC)


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without its line per request, which would drown pytest's report."""

    def log_request(self, code="-", size="-") -> None:
        pass


@pytest.fixture(scope="package")
def site(tmp_path_factory) -> str:
    """The real site, served on a free 127.0.0.1 port from a temporary workbook, at NOW."""
    workbook = tmp_path_factory.mktemp("site") / "sumo-schedule.xlsx"
    app = create_app(
        {
            "WORKBOOK": str(workbook),
            "SECRET_KEY": "browser-test-secret",
            "CLOCK": lambda: NOW,
            # Whatever the environment says: the local workbook and no email.
            "SHEET_ID": "",
            "MAIL_SERVER": "",
            # Set before the per-test environment is: keep the site's record out of instance/.
            "SIGNUP_RECORD_FILE": str(workbook.parent / "signup-record.jsonl"),
        }
    )
    services.fill_demo(app.extensions["sumo_storage"], BUSY_MONDAY, rng=random.Random(7))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="browser-test-site", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture(scope="package")
def browser():
    """Debian's Chromium under Playwright: CI installs it, so its absence is a failure."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"The browser tests need Debian's Chromium at {CHROMIUM}: "
            "apt-get install -y chromium (.ci/run installs it when missing).",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, site):
    """Open pages as a new visitor on a device, in a browser time zone, with no internet.

    Anything the page asks of another host, and any script error, fails the test.
    """
    contexts, problems = [], []

    def refuse(route) -> None:
        problems.append(f"asked another host for {route.request.url}")
        route.abort()

    def open_page(device: str, timezone_id: str = "UTC"):
        context = browser.new_context(
            base_url=site, timezone_id=timezone_id, locale="en-GB", **DEVICES[device]
        )
        contexts.append(context)
        context.set_default_timeout(5000)
        context.route(lambda url: not url.startswith(site), refuse)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def phone(open_page):
    """A page on a 360 px wide touch phone whose clock is in UTC."""
    return open_page("phone")


@pytest.fixture
def desktop(open_page):
    """A page on a 1280 px wide desktop whose clock is in UTC."""
    return open_page("desktop")


@pytest.fixture(params=list(DEVICES))
def page(request, open_page):
    """A page on each device in turn: the test runs once on a phone, once on a desktop."""
    return open_page(request.param)


@pytest.fixture
def shoot(request):
    """Save screenshots/<test>[-<step>]-<phone|desktop>.png (the folder is git-ignored)."""

    def shoot(page, step: str = "", full_page: bool = False) -> None:
        name = "-".join(part for part in (request.node.originalname, step, device_of(page)) if part)
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(
            path=SCREENSHOTS / f"{name}.png", full_page=full_page, animations="disabled"
        )

    return shoot
