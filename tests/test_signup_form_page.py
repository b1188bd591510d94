"""The signup form, its confirmation and the lost-link page say what is true, with days
(issue 17, "form"); the browser's side is in tests/browser/test_signup_form.py."""

from __future__ import annotations

import re

from .support import FORM, page_text, sign_up, sign_up_for_link


def selected_option(html: str) -> str:
    start_list = re.search(r'<select[^>]*id="start".*?</select>', html, re.DOTALL)[0]
    match = re.search(r"<option selected value=\"[^\"]+\">([^<]+)</option>", start_list)
    assert match, "no selected start option"
    return match[1]


def test_every_start_option_names_its_day(client):
    html = client.get("/signup?role=helper&start=2026-11-30T14:00Z&tz=Europe/Berlin").get_data(
        as_text=True
    )
    assert selected_option(html) == "Mon 30 Nov, 15:00–16:00 (14:00 UTC)"


def test_the_start_keeps_its_day_on_an_error_page(client):
    client.get("/?tz=Europe/Berlin")
    response = sign_up(client, contact="ann@example")
    assert response.status_code == 422
    assert selected_option(response.get_data(as_text=True)).startswith("Mon 30 Nov, ")


def test_an_anchor_form_shows_the_whole_block_and_no_hours_question(client):
    text = page_text(client.get("/signup?role=anchor&start=2026-11-30T14:00Z"))
    assert "the whole block, 14:00–16:00 UTC" in text


def test_a_full_role_offers_the_nearest_open_hour_in_the_same_role(client):
    for n in range(2):
        sign_up_for_link(client, role="monitor", contact=f"m{n}@example.org", name=f"M {n}")
    response = sign_up(client, role="monitor", contact="late@example.org", name="Late")
    text = page_text(response)
    assert "Room monitors are full at Mon 30 Nov 14:00 UTC" in text
    assert "The nearest hour with room: Mon 30 Nov 15:00 UTC" in text
    assert 'href="/signup?role=monitor&amp;start=2026-11-30T15:00Z"' in response.get_data(
        as_text=True
    )


def test_refusals_use_the_viewers_zone_with_utc_beside(client):
    client.get("/?tz=Asia/Tokyo")
    response = sign_up(client, role="anchor", start="2026-11-30T15:00Z")
    assert "An Anchor takes the whole block, which starts at Mon 30 Nov 23:00 (14:00 UTC)" in (
        page_text(response)
    )


def test_another_slot_keeps_the_name_and_contact_this_browser_gave(client):
    sign_up_for_link(client)
    html = client.get("/signup").get_data(as_text=True)
    assert 'value="Ann Example"' in html and 'value="ann@example.org"' in html
    # Another browser (no session) starts blank.
    assert "Ann Example" not in client.application.test_client().get("/signup").get_data(
        as_text=True
    )


def test_a_prefilled_link_for_a_past_hour_warns_before_anything_is_sent(client):
    text = page_text(client.get("/signup?role=helper&start=2026-11-23T14:00Z"))
    assert "This link is for Mon 23 Nov 14:00 UTC, which has already passed" in text


def test_without_mail_the_lost_link_page_promises_no_email(client):
    page = page_text(client.get("/my"))
    assert "bookmark" in page and "coordinator" in page
    sent = page_text(client.post("/my", data={"email": "ann@example.org"}))
    assert "emailed" not in sent and "spam" not in sent
    assert "coordinator" in sent


def test_the_lost_link_page_shows_the_links_this_browser_made(client):
    _, link = sign_up_for_link(client, contact="kim_nick")
    assert link
    html = client.get("/my").get_data(as_text=True)
    assert link in html


def test_without_mail_the_confirmation_does_not_say_a_mail_was_sent(client):
    _, _ = sign_up_for_link(client)
    html = page_text(client.get("/signup/done/" + _last_id(client)))
    assert "emailed" not in html and "cannot email a chat nick" not in html
    assert "Bookmark this link" in html


def _last_id(client) -> str:
    response = sign_up(client, {**FORM, "start": "2026-11-30T15:00Z", "request_id": "x" * 20})
    return response.headers["Location"].rsplit("/", 1)[1]
