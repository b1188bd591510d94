"""Every public page in a real browser: axe-core finds nothing serious, on a phone or desktop."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .support import assert_no_sideways_scroll, check_a11y

# Pages a visitor can reach without signing up (the flows check the others on their way).
PAGES = {
    "week": ("/", 200),
    "busy-week": ("/?week=2026-W50", 200),
    "one-day": ("/?day=2026-12-08", 200),
    "signup-form": ("/signup?role=helper&start=2026-11-30T15:00Z", 200),
    "roles": ("/roles", 200),
    "lost-link": ("/my", 200),
    "bad-manage-link": ("/my/not-a-real-link", 403),
    "not-found": ("/no-such-page", 404),
    "help-needed": ("/needed", 200),
    "findings": ("/findings", 200),
    "hours": ("/hours", 200),
    "busy-hours": ("/hours?week=2026-W50", 200),
}


@pytest.mark.parametrize(("path", "status"), PAGES.values(), ids=PAGES.keys())
def test_every_public_page_has_no_serious_accessibility_violations(page, path, status):
    response = page.goto(path)
    assert response.status == status
    check_a11y(page)
    assert_no_sideways_scroll(page)
    assert re.fullmatch(r".+ · SUMO Live Chat", page.title())


def test_every_page_has_a_language_landmarks_a_favicon_and_a_footer_link_to_the_roles(desktop):
    desktop.goto("/")
    expect(desktop.locator("html")).to_have_attribute("lang", "en")
    for role in ("banner", "navigation", "main", "contentinfo"):
        expect(desktop.get_by_role(role).first).to_be_visible()
    footer = desktop.get_by_role("contentinfo")
    footer.get_by_role("link", name="What each role does").click()
    expect(desktop).to_have_url(re.compile(r"/roles$"))
    icon = desktop.locator('link[rel="icon"]').get_attribute("href")
    answer = desktop.request.get(icon)
    assert answer.ok and answer.headers["content-type"].startswith("image/svg+xml")


def test_the_lost_link_form_announces_its_error_beside_the_field(page):
    page.goto("/my")
    page.get_by_role("button", name="Send my link").click()
    expect(page.get_by_role("alert")).to_contain_text("Please give the email address")
    expect(page.get_by_role("alert")).to_be_focused()
    field = page.get_by_label("Your email address")
    expect(field).to_have_attribute("aria-describedby", "email-error")
    expect(field).to_have_attribute("aria-invalid", "true")
    check_a11y(page)
