"""What a new volunteer does, in a real browser on a phone and on a desktop."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .support import assert_no_sideways_scroll, check_a11y, device_of

# Each device signs up in its own hour of 2026-W49, since both share the site.
VOLUNTEER = {
    "phone": ("Pat Phone", "pat.phone@example.org", "Monday", "2026-11-30"),
    "desktop": ("Dee Desktop", "dee.desktop@example.org", "Tuesday", "2026-12-01"),
}


def day_section(page, day: str):
    """The week's section for one day (an ISO date)."""
    return page.locator(f'section[aria-labelledby="day-{day}"]')


def test_a_new_volunteer_signs_up_from_the_week_sees_their_name_and_cancels(page, shoot):
    name, contact, weekday, day = VOLUNTEER[device_of(page)]

    page.goto("/")
    page.get_by_role("link", name="Next week →").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Live Chat schedule, week of 30 November 2026"
    )
    assert_no_sideways_scroll(page)
    check_a11y(page)
    shoot(page, "week")

    # An open place, found by the name a screen reader hears for its link.
    page.get_by_role("link", name=f"Sign up as Helper at 14:00 on {weekday}", exact=True).click()
    expect(page).to_have_title("Sign up · SUMO Live Chat")
    expect(page.get_by_label("Helper")).to_be_checked()
    expect(page.get_by_label("Starting at")).to_have_value(f"{day}T14:00Z")

    # A mistake: half an email address.
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email or chat nick").fill(contact.split(".org")[0])
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_title("Error: Sign up · SUMO Live Chat")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Email or chat nick: That email address does not look right")
    expect(summary).to_be_focused()
    field = page.get_by_label("Email or chat nick")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", re.compile(r"\bcontact-error\b"))
    expect(page.locator("#contact-error")).to_be_visible()
    # Everything typed or chosen is still there.
    expect(field).to_have_value(contact.split(".org")[0])
    expect(page.get_by_label("Your name")).to_have_value(name)
    expect(page.get_by_label("Helper")).to_be_checked()
    expect(page.get_by_label("Starting at")).to_have_value(f"{day}T14:00Z")
    assert_no_sideways_scroll(page)
    check_a11y(page)
    shoot(page, "error", full_page=True)

    field.fill(contact)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/signup/done/[A-Z2-9]{8}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Thank you, {name}!")
    manage_link = page.locator(".manage-link a")
    expect(manage_link).to_have_attribute("href", re.compile(r"/my/"))
    manage_url = manage_link.get_attribute("href")
    assert_no_sideways_scroll(page)
    check_a11y(page)
    shoot(page, "done")

    page.get_by_role("link", name="See it on the schedule").click()
    expect(day_section(page, day)).to_contain_text(name)
    expect(day_section(page, day).locator("mark.you")).to_contain_text(name)

    page.goto(manage_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your Live Chat signups")
    expect(page.locator(".my-signups")).to_contain_text(f"Helper, {weekday[:3]}")
    assert_no_sideways_scroll(page)
    check_a11y(page)
    shoot(page, "manage")

    expect(page.locator(".my-signups a", has_text="Google Calendar")).to_have_attribute(
        "href", re.compile(r"^https://calendar\.google\.com/calendar/render\?action=TEMPLATE")
    )
    expect(page.get_by_role("link", name="Subscribe in your calendar")).to_have_attribute(
        "href", re.compile(r"^webcal://")
    )

    # Cancel asks first, naming the shift; nothing changes until it is confirmed.
    page.get_by_role("link", name=re.compile(r"^Cancel Helper")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel this signup?")
    expect(page.locator(".lede")).to_contain_text(f"Helper, {weekday[:3]}")
    assert_no_sideways_scroll(page)
    check_a11y(page)
    shoot(page, "cancel-confirm")
    page.get_by_role("button", name=re.compile(r"^Yes, cancel Helper")).click()
    expect(page.get_by_role("status")).to_contain_text(f"Cancelled: Helper, {weekday[:3]}")
    expect(page.get_by_text("No upcoming signups.")).to_be_visible()
    check_a11y(page)
    shoot(page, "cancelled")

    page.goto("/?week=2026-W49")
    expect(day_section(page, day)).not_to_contain_text(name)


def test_the_first_tab_reaches_the_skip_link_which_moves_focus_to_the_content(page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # hidden until focused, then seen
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


def test_the_signup_form_is_filled_in_reading_order_and_sent_with_the_keyboard_alone(desktop):
    page = desktop
    page.goto("/signup")
    page.get_by_label("Your name").focus()
    order = []
    for _ in range(8):
        order.append(page.evaluate("document.activeElement.name || document.activeElement.type"))
        page.keyboard.press("Tab")
    assert order == ["name", "contact", "role", "start", "hours", "repeat_weeks", "note", "submit"]

    # Sent with only a name: the summary takes focus, and its link leads to the field.
    page.get_by_label("Your name").focus()
    page.keyboard.type("Kim Keys")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Email or chat nick")).to_be_focused()
    page.keyboard.type("kim_keys")
    page.keyboard.press("Tab")  # the first role, Helper
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # the start list, on its first open hour
    page.keyboard.press("Tab")  # hours
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, Kim Keys!")


def test_the_week_is_a_day_by_day_list_of_hour_cards_on_a_phone(phone, shoot):
    phone.goto("/?week=2026-W50")
    days = phone.locator("section.day h2").all_inner_texts()
    assert days == [
        "Monday 7 December",
        "Tuesday 8 December",
        "Wednesday 9 December",
        "Thursday 10 December",
        "Friday 11 December",
        "Saturday 12 December",
        "Sunday 13 December",
    ]
    assert_no_sideways_scroll(phone)
    # Within an hour, the coverage and each role sit below the hour, not beside it.
    hour = phone.locator("table.hours tbody tr").first
    boxes = [cell.bounding_box() for cell in hour.locator("th, td").all()]
    assert len(boxes) == 5
    for above, below in zip(boxes, boxes[1:], strict=False):
        assert below["y"] >= above["y"] + above["height"] - 1
        assert below["x"] == pytest.approx(boxes[0]["x"], abs=1)
    assert max(box["x"] + box["width"] for box in boxes) <= 360
    # Coverage in words and an icon, never colour alone.
    for label in phone.locator("table.hours .cov").all_inner_texts():
        assert re.fullmatch(r"(✓ Covered|! Thin|✗ Uncovered)", label)
    check_a11y(phone)
    shoot(phone)
    phone.locator("section.day").first.evaluate("day => day.scrollIntoView()")
    shoot(phone, "monday")


def test_the_week_is_a_grid_of_hours_and_roles_on_a_desktop(desktop, shoot):
    desktop.goto("/?week=2026-W50")
    expect(desktop.locator("table.hours thead").first).to_be_visible()
    hour = desktop.locator("table.hours tbody tr").first
    tops = [cell.bounding_box()["y"] for cell in hour.locator("th, td").all()]
    assert max(tops) - min(tops) < 1, "an hour's cells should be one row"
    assert_no_sideways_scroll(desktop)
    check_a11y(desktop)
    shoot(desktop)


def test_choosing_a_zone_changes_the_times_shown_and_is_remembered(page, shoot):
    page.goto("/?week=2026-W49")
    first_block = page.locator("article.block h3").first
    expect(first_block).to_have_text("14:00–16:00 UTC")

    page.get_by_label("Times shown in").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Change").click()
    expect(page.locator(".lede")).to_contain_text("Times are in Asia/Tokyo")
    # Monday's 14:00 UTC block is 23:00 in Tokyo, with UTC beside; the week stays put.
    expect(first_block).to_have_text("23:00–01:00 (14:00–16:00 UTC)")
    assert "week=2026-W49" in page.url
    assert_no_sideways_scroll(page)
    shoot(page)

    page.get_by_role("link", name="Roles", exact=True).click()
    expect(page.get_by_label("Times shown in")).to_have_value("Asia/Tokyo")
    page.goto("/?week=2026-W49")
    expect(first_block).to_have_text("23:00–01:00 (14:00–16:00 UTC)")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies["tz_chosen"] == "Asia/Tokyo"


def test_a_zone_the_browser_reported_follows_it_when_it_moves(open_page, site):
    # The laptop was in Berlin last time (tz.js kept that), and is now set to Tokyo.
    page = open_page("desktop", timezone_id="Asia/Tokyo")
    page.context.add_cookies([{"name": "tz", "value": "Europe%2FBerlin", "url": site}])
    page.goto("/?week=2026-W49")
    expect(page.locator(".lede")).to_contain_text("Times are in Asia/Tokyo")
    expect(page.locator("article.block h3").first).to_have_text("23:00–01:00 (14:00–16:00 UTC)")
    assert {c["name"]: c["value"] for c in page.context.cookies()}["tz"] == "Asia%2FTokyo"


def test_a_chosen_zone_sticks_when_the_browser_is_elsewhere_until_the_device_is_followed(
    open_page, shoot
):
    page = open_page("phone", timezone_id="Asia/Tokyo")
    page.goto("/?week=2026-W49&tz=Europe/Berlin")
    page.goto("/?week=2026-W49")
    expect(page.locator(".lede")).to_contain_text("Times are in Europe/Berlin")
    expect(page.locator("article.block h3").first).to_have_text("15:00–17:00 (14:00–16:00 UTC)")
    # The selector offers the device's own zone back, right under the chosen one.
    options = page.locator("#tz > option")
    expect(options.nth(0)).to_have_text("Berlin (UTC+01:00)")
    expect(options.nth(1)).to_have_text("This device: Tokyo (UTC+09:00)")
    shoot(page)
    page.get_by_label("Times shown in").select_option("auto")
    page.get_by_role("button", name="Change").click()
    expect(page.locator(".lede")).to_contain_text("Times are in Asia/Tokyo")
    page.goto("/?week=2026-W49")
    expect(page.locator(".lede")).to_contain_text("Times are in Asia/Tokyo")
    assert "tz_chosen" not in {c["name"] for c in page.context.cookies()}


def test_the_zone_selector_lists_places_by_region_with_their_offset_and_the_current_first(
    open_page, shoot
):
    page = open_page("desktop", timezone_id="America/Los_Angeles")
    page.goto("/?week=2026-W49")
    expect(page.locator(".lede")).to_contain_text("Times are in America/Los Angeles")
    select = page.get_by_label("Times shown in")
    expect(select.locator("option").first).to_have_text("Los Angeles (UTC-08:00)")
    regions = select.locator("optgroup").evaluate_all("groups => groups.map(g => g.label)")
    assert regions[:3] == ["UTC", "Africa", "America"] and "Europe" in regions
    values = select.locator("option").evaluate_all("options => options.map(o => o.value)")
    assert "Europe/Berlin" in values and "Asia/Kolkata" in values
    assert not [value for value in values if value.startswith(("US/", "Etc/"))]
    expect(select.locator('optgroup[label="Asia"] option[value="Asia/Kathmandu"]')).to_have_text(
        "Kathmandu (UTC+05:45)"
    )
    check_a11y(page)
    shoot(page)


def test_a_city_name_is_a_zone_and_a_misspelt_one_gets_a_suggestion(page, shoot):
    page.goto("/?week=2026-W49&tz=berlin")
    expect(page.locator(".lede")).to_contain_text("Times are in Europe/Berlin")
    response = page.goto("/?week=2026-W49&tz=Berlinn")
    assert response.status == 400
    expect(page.locator("main")).to_contain_text("did you mean Europe/Berlin?")
    assert_no_sideways_scroll(page)


@pytest.mark.parametrize(
    ("device", "zone", "first_block"),
    [
        ("phone", "Europe/Berlin", "15:00–17:00 (14:00–16:00 UTC)"),
        ("desktop", "America/Los_Angeles", "06:00–08:00 (14:00–16:00 UTC)"),
    ],
    ids=["phone-Berlin", "desktop-Los_Angeles"],
)
def test_the_browsers_own_zone_is_used_from_the_first_visit(
    open_page, shoot, device, zone, first_block
):
    page = open_page(device, timezone_id=zone)
    page.goto("/?week=2026-W49")
    # The page was drawn in UTC; tz.js remembers the browser's zone and reloads it.
    expect(page.locator(".lede")).to_contain_text(f"Times are in {zone.replace('_', ' ')}")
    expect(page.locator("article.block h3").first).to_have_text(first_block)
    expect(page.get_by_label("Times shown in")).to_have_value(zone)
    assert {c["name"]: c["value"] for c in page.context.cookies()}["tz"] == zone.replace("/", "%2F")
    shoot(page)


def test_a_volunteer_drops_the_first_hour_of_a_long_signup_on_a_phone(phone, shoot):
    phone.goto("/signup?role=advisor&start=2026-12-02T16:00Z")
    phone.get_by_label("Your name").fill("Sam Shorter")
    phone.get_by_label("Email or chat nick").fill("sam.shorter@example.org")
    phone.get_by_label("Hours").fill("3")
    phone.get_by_role("button", name="Sign up").click()
    phone.goto(phone.locator(".manage-link a").get_attribute("href"))

    phone.get_by_role("link", name=re.compile(r"^Cancel or shorten Advisor")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Cancel this signup?")
    phone.get_by_label("Hours to keep").select_option(label="Keep 17:00–19:00, drop 16:00–17:00")
    assert_no_sideways_scroll(phone)
    check_a11y(phone)
    shoot(phone, "choose")
    phone.get_by_role("button", name="Shorten my signup").click()

    expect(phone.get_by_role("status")).to_contain_text(
        "Shortened: you are now Advisor, Wed 2 Dec 2026, 17:00–19:00 UTC"
    )
    expect(phone.locator(".my-signups")).to_contain_text("Advisor, Wed 2 Dec 17:00")
