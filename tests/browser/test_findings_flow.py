"""A room monitor logs what they saw in the chat room, in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .support import assert_no_sideways_scroll, check_a11y, device_of

MONITOR = {
    "phone": ("Mo Phone", "mo.phone@example.org"),
    "desktop": ("Mona Desktop", "mona_desk"),
}


def test_a_room_monitor_logs_a_finding_shown_with_their_name_but_not_their_contact(page, shoot):
    name, contact = MONITOR[page_device := device_of(page)]
    seen = f"A user on {page_device} asked why sync stopped after the update."
    response = page.goto("/findings")
    assert response.status == 200, "/findings is not there yet"
    check_a11y(page)

    page.locator('[name="name"]').fill(name)
    page.locator('[name="contact"]').fill(contact)
    when = page.locator('[name="when"]')
    if when.evaluate("element => element.tagName") == "SELECT":
        when.select_option(index=0)
    else:
        when.fill("2026-11-25T09:30")  # half an hour before NOW, in the browser's UTC
    # Sent without what was seen: the error is beside the field and nothing typed is lost.
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        page.get_by_role("button", name="Log finding").click()
    assert sent.value.status == 422
    expect(page.get_by_role("alert")).to_be_visible()
    seen_field = page.locator('[name="seen"]')
    expect(seen_field).to_have_attribute("aria-invalid", "true")
    expect(page.locator('[name="name"]')).to_have_value(name)
    check_a11y(page)

    seen_field.fill(seen)
    page.locator('[name="advice"]').fill("Sign out and in again; then see the sync article.")
    page.locator('[name="link"]').fill("https://support.mozilla.org/kb/sync")
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        page.get_by_role("button", name="Log finding").click()
    assert sent.value.status == 303
    expect(page).to_have_url(re.compile(r"/findings$"))
    finding = page.locator("li", has_text=seen)
    expect(finding).to_contain_text(name)
    assert contact not in page.content()
    assert_no_sideways_scroll(page)
    check_a11y(page)
    shoot(page, full_page=True)
