"""The signup form as a volunteer from a chat room meets it (issue 17, "form")."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .support import assert_no_sideways_scroll, check_a11y


def count_loads(page) -> list[str]:
    """Every page load of the main frame, in order (a redirect's target counts once)."""
    loads: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: loads.append(frame.url) if frame == page.main_frame else None,
    )
    return loads


def test_a_chat_link_to_a_confirmed_first_signup_takes_few_taps_on_a_phone(phone, shoot):
    loads = count_loads(phone)
    taps = 0
    phone.goto("/")  # the link from the chat room
    # The first open place on the landing page, as a newcomer would pick it.
    phone.get_by_role("link", name=re.compile(r"^Sign up as Advisor at ")).first.click()
    taps += 1
    phone.get_by_label("Your name").tap()
    phone.keyboard.type("Tap Counter")
    taps += 1
    phone.get_by_label("Email or chat nick").tap()
    phone.keyboard.type("tap_counter")
    taps += 1
    phone.get_by_role("button", name="Sign up").tap()
    taps += 1
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you, Tap Counter!")
    print(f"\nfrom a chat link to a confirmed signup: {taps} taps, {len(loads)} page loads")
    print("  " + "\n  ".join(loads))
    assert taps <= 4
    assert len(loads) <= 3

    # The next signup, from the chat link again: name and contact are already there.
    loads.clear()
    phone.goto("/")
    phone.get_by_role("link", name=re.compile(r"^Sign up as Advisor at ")).last.click()
    expect(phone.get_by_label("Your name")).to_have_value("Tap Counter")
    phone.get_by_role("button", name="Sign up").tap()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you, Tap Counter!")
    print(f"the next signup: 2 taps, {len(loads)} page loads")
    assert len(loads) <= 3


def test_the_chosen_start_shows_its_day_and_an_anchor_sees_the_whole_block(page, shoot):
    page.goto("/signup?role=anchor&start=2026-12-02T14:00Z")
    start = page.get_by_label("Starting at")
    expect(start.locator("option:checked")).to_have_text(re.compile(r"^Wed 2 Dec, 14:00–15:00"))
    # An Anchor books the whole block: no hours question, the block said instead.
    expect(page.get_by_text("An Anchor takes the whole block, 14:00–16:00 UTC.")).to_be_visible()
    expect(page.get_by_label("Hours")).to_be_hidden()
    assert_no_sideways_scroll(page)
    check_a11y(page)
    shoot(page, "anchor", full_page=True)
    # Another role asks for hours again, with no script.
    page.get_by_label("Helper").check()
    expect(page.get_by_label("Hours")).to_be_visible()
    expect(page.get_by_text("An Anchor takes the whole block")).to_be_hidden()


def test_each_role_is_a_finger_sized_target_on_a_phone(phone):
    phone.goto("/signup")
    for role in ("Helper", "Anchor", "Advisor"):
        box = phone.locator(".choice", has=phone.get_by_label(role, exact=True)).bounding_box()
        assert box["height"] >= 44, f"{role}: {box['height']} px tall"
    phone.locator(".choice label", has_text="Advisor").tap()
    expect(phone.get_by_label("Advisor", exact=True)).to_be_checked()


def test_an_old_link_for_a_past_hour_warns_before_the_form_is_sent(phone, shoot):
    phone.goto("/signup?role=helper&start=2026-11-24T14:00Z")
    expect(phone.get_by_role("status")).to_contain_text(
        "This link is for Tue 24 Nov 14:00 UTC, which has already passed"
    )
    check_a11y(phone)
    shoot(phone, full_page=True)


def test_without_mail_the_lost_link_page_shows_the_way_back(phone, shoot):
    phone.goto("/signup?role=monitor&start=2026-12-03T15:00Z")
    phone.get_by_label("Your name").fill("Nick Only")
    phone.get_by_label("Email or chat nick").fill("nick_only")
    phone.get_by_role("button", name="Sign up").click()
    expect(phone.get_by_text("Bookmark this link")).to_be_visible()
    expect(phone.get_by_text("We cannot email a chat nick")).to_be_visible()
    shoot(phone, "done", full_page=True)

    # "Sign up for another slot" keeps the name and contact.
    phone.get_by_role("link", name="Sign up for another slot").click()
    expect(phone.get_by_label("Your name")).to_have_value("Nick Only")
    expect(phone.get_by_label("Email or chat nick")).to_have_value("nick_only")

    phone.goto("/my")
    expect(phone.locator("main")).not_to_contain_text("emailed")
    expect(phone.locator("main")).to_contain_text("ask a coordinator")
    expect(phone.locator(".made-here a")).to_have_attribute("href", re.compile(r"/my/"))
    assert_no_sideways_scroll(phone)
    check_a11y(phone)
    shoot(phone, "lost-link", full_page=True)
