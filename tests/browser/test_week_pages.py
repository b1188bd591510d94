"""Issue 17, the week and coordinators' pages: the landing page on a finished week, past
hours, /needed for chat, what covers an hour, /hours done and planned, and a shorter phone page."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from sumo_sheets import create_app

from .conftest import QuietRequestHandler
from .support import DEVICES, assert_no_sideways_scroll, check_a11y

# Sunday evening of 2026-W48: every block of the week has begun, so nothing is open.
SUNDAY = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sunday_site(tmp_path_factory):
    """The site on an empty workbook, on the Sunday evening that ends a week."""
    workbook = tmp_path_factory.mktemp("sunday") / "sumo-schedule.xlsx"
    app = create_app(
        {
            "WORKBOOK": str(workbook),
            "SECRET_KEY": "browser-test-secret",
            "CLOCK": lambda: SUNDAY,
            "SHEET_ID": "",
            "MAIL_SERVER": "",
            "SIGNUP_RECORD_FILE": str(workbook.parent / "signup-record.jsonl"),
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="sunday-site", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def sunday_phone(browser, sunday_site):
    context = browser.new_context(
        base_url=sunday_site, timezone_id="UTC", locale="en-GB", **DEVICES["phone"]
    )
    yield context.new_page()
    context.close()


def test_a_chat_link_on_a_finished_week_lands_on_next_weeks_open_places(sunday_phone, shoot):
    page = sunday_phone
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Live Chat schedule, week of 30 November 2026"
    )
    expect(page.get_by_role("status").first).to_contain_text(
        "This week is over — next week's open places"
    )
    expect(page.get_by_role("link", name="Sign up as Helper at 14:00 on Monday")).to_be_visible()
    shoot(page, "landing")
    # The finished week is still one link away, and asking for it shows it.
    page.get_by_role("link", name="See this week anyway").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Live Chat schedule, week of 23 November 2026"
    )
    check_a11y(page)
    assert_no_sideways_scroll(page)


def test_past_hours_read_as_past_and_offer_no_signup(page, shoot):
    # NOW is Wednesday 25 November, 10:00 UTC: Monday and Tuesday are over.
    page.goto("/?week=2026-W48")
    monday = page.locator('section[aria-labelledby="day-2026-11-23"]')
    expect(monday.locator(".block h3").first).to_contain_text("Past")
    expect(monday.locator("table.hours tbody th").first).to_contain_text("past")
    expect(monday.get_by_role("link", name=re.compile("Sign up"))).to_have_count(0)
    check_a11y(page)
    monday.locator(".block").first.evaluate("block => block.scrollIntoView()")
    shoot(page)


def test_needed_has_a_summary_and_no_stray_colons(page, shoot):
    page.goto("/needed")
    summary = page.locator("p.summary").first
    expect(summary).to_contain_text(re.compile(r"This week: \d+ hours? with nobody answering — "))
    for line in page.locator("ul.needed li").all_inner_texts():
        assert not any(part.strip().startswith(":") for part in line.splitlines()), line
    assert_no_sideways_scroll(page)
    check_a11y(page)
    shoot(page)


def test_needed_txt_is_plain_text_to_paste_into_chat(desktop):
    answer = desktop.request.get("/needed.txt")
    assert answer.ok
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    text = answer.text()
    assert text.startswith("Live Chat: where help is needed")
    assert re.search(r"This week: \d+ hours? with nobody answering — ", text)
    assert "<" not in text and "/signup?" in text


def test_an_hour_covered_by_the_anchor_says_so_and_what_is_still_wanted(desktop):
    desktop.goto("/?week=2026-W50")
    notes = desktop.locator("table.hours .cov-note").all_inner_texts()
    assert any(re.fullmatch(r"by the Anchor; \d+ Helpers? still wanted", n) for n in notes), notes


def test_hours_separate_done_from_planned(desktop, shoot):
    desktop.goto("/hours?week=2026-W50")
    expect(desktop.get_by_role("heading", name="Planned: not happened yet")).to_be_visible()
    expect(desktop.get_by_role("heading", name="Done")).to_be_visible()
    check_a11y(desktop)
    shoot(desktop)


def test_desktop_columns_line_up_from_block_to_block(desktop):
    desktop.goto("/?week=2026-W50")
    lefts = [
        [round(cell.bounding_box()["x"]) for cell in table.locator("thead th").all()]
        for table in desktop.locator("table.hours").all()
    ]
    assert len(lefts) > 1 and all(row == lefts[0] for row in lefts), lefts


def test_only_open_places_makes_the_phone_page_much_shorter(phone, shoot):
    phone.goto("/?week=2026-W50")
    full = phone.evaluate("document.documentElement.scrollHeight")
    phone.get_by_role("link", name="Only open places").click()
    expect(phone).to_have_url(re.compile(r"open=1"))
    short = phone.evaluate("document.documentElement.scrollHeight")
    print(f"week page on a 360 px phone: {full} px, only open places: {short} px")
    assert short < full * 0.6, (full, short)
    assert_no_sideways_scroll(phone)
    check_a11y(phone)
    shoot(phone, full_page=False)
