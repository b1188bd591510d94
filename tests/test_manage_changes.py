"""Issue 17, points 6 and 7: cancel asks first, a long signup can be shortened, and calendars
are one click (webcal, Google, Outlook; /schedule.ics from today, by role)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from icalendar import Calendar

from .support import NOW
from .support import page_text as text
from .test_self_service import app_at, manage_link, signup_rows


def test_cancel_first_asks_naming_the_shift_and_nothing_changes_until_confirmed(app, workbook_path):
    client = app.test_client()
    link = manage_link(client, hours="2")
    (row,) = signup_rows(workbook_path)
    page = client.get(link).get_data(as_text=True)
    assert f'href="{link}/cancel/{row["ID"]}"' in page
    assert 'class="button secondary"' in page

    ask = text(client.get(f"{link}/cancel/{row['ID']}"))
    assert "Cancel this signup?" in ask
    assert "Helper, Mon 30 Nov 2026, 14:00–16:00 UTC" in ask
    assert "No, keep my signup as it is" in ask
    assert signup_rows(workbook_path)[0]["Status"] == "confirmed"

    client.post(f"{link}/cancel/{row['ID']}")
    assert signup_rows(workbook_path)[0]["Status"] == "cancelled"


def test_a_long_signup_is_shortened_at_its_start_or_end_through_its_own_cells(app, workbook_path):
    client = app.test_client()
    link = manage_link(client, start="2026-11-30T16:00Z", hours="3")
    (row,) = signup_rows(workbook_path)
    ask = text(client.get(f"{link}/cancel/{row['ID']}"))
    assert "Keep 17:00–19:00, drop 16:00–17:00" in ask
    assert "Keep 16:00–17:00, drop 17:00–19:00" in ask

    response = client.post(f"{link}/shorten/{row['ID']}", data={"keep": "1-3"})
    assert response.status_code == 303
    assert "Shortened: you are now Helper, Mon 30 Nov 2026, 17:00–19:00 UTC" in text(
        client.get(response.location)
    )
    (after,) = signup_rows(workbook_path)
    assert after == {**row, "Start (UTC)": after["Start (UTC)"]}
    assert str(after["Start (UTC)"]).startswith("17:00")


def test_shortening_refuses_hours_outside_the_signup_and_an_anchors_block(app, workbook_path):
    client = app.test_client()
    link = manage_link(client, hours="2")
    (row,) = signup_rows(workbook_path)
    for keep in ("0-2", "1-4", "2-1", "x"):
        client.post(f"{link}/shorten/{row['ID']}", data={"keep": keep})
    assert signup_rows(workbook_path) == [row]

    anchor_link = manage_link(app.test_client(), role="anchor", name="Bo", contact="bo@example.org")
    anchors = [r for r in signup_rows(workbook_path) if r["Role"] == "Anchor"]
    assert "Or keep part of it" not in text(
        app.test_client().get(f"{anchor_link}/cancel/{anchors[0]['ID']}")
    )


def test_the_manage_page_offers_webcal_google_and_outlook(app):
    client = app.test_client()
    link = manage_link(client, hours="2")
    page = client.get(link).get_data(as_text=True).replace("&amp;", "&")
    assert f'href="webcal://localhost{link}.ics"' in page
    google = next(p for p in page.split('"') if p.startswith("https://calendar.google.com/"))
    query = parse_qs(urlsplit(google).query)
    assert query["action"] == ["TEMPLATE"]
    assert query["dates"] == ["20261130T140000Z/20261130T160000Z"]
    assert "Helper" in query["text"][0] and "/my/" in query["details"][0]
    outlook = next(p for p in page.split('"') if p.startswith("https://outlook.live.com/"))
    query = parse_qs(urlsplit(outlook).query)
    assert query["startdt"] == ["2026-11-30T14:00:00Z"]
    assert query["enddt"] == ["2026-11-30T16:00:00Z"]


def _starts(response) -> list:
    calendar = Calendar.from_ical(response.get_data())
    return sorted(e.decoded("dtstart") for e in calendar.walk("VEVENT"))


def test_the_schedule_feed_starts_today_and_filters_by_role(workbook_path):
    client = app_at(workbook_path, NOW).test_client()
    starts = _starts(client.get("/schedule.ics"))
    assert starts and starts[0].date() >= NOW.date()
    monitors = client.get("/schedule.ics?role=monitor")
    assert monitors.status_code == 200
    assert b"Room monitor" in monitors.get_data().replace(b"\r\n ", b"")
    assert b"Helpers:" not in monitors.get_data().replace(b"\r\n ", b"")
    bad = client.get("/schedule.ics?role=boss")
    assert bad.status_code == 400
    assert "helper, anchor, advisor, monitor" in text(bad)


def test_the_week_marks_you_as_soon_as_this_browser_signed_up(app):
    client = app.test_client()
    manage_link(client, hours="2")
    page = client.get("/?week=2026-W49").get_data(as_text=True)
    assert '<mark class="you">Ann Example <span class="tag">you</span></mark>' in page
    assert '<mark class="you">' not in app.test_client().get("/?week=2026-W49").get_data(
        as_text=True
    )
