"""Calendar feeds, parsed back with the icalendar library: /schedule.ics and /my/<token>.ics."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from sumo_sheets import services
from sumo_sheets.calendar import recent_and_coming, signup_uid
from sumo_sheets.model import Role, Signup, SignupRequest
from sumo_sheets.storage import StorageError

from .support import NOW, contact_token

MONDAY_2PM = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


def sign_up(storage, name, contact, role, start, hours=1, **extra) -> Signup:
    request = SignupRequest(name, contact, role, start, hours, **extra)
    return services.sign_up(services.SheetReader(storage), request, NOW).signup


def parse(response) -> Calendar:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.data)


def by_uid(calendar: Calendar) -> dict[str, Event]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def utc(event: Event, name: str) -> datetime:
    """A date-time property, which must be written in UTC (with Z)."""
    moment = event.decoded(name)
    assert moment.utcoffset() == timedelta(0), f"{name} is not in UTC"
    assert event[name].to_ical().endswith(b"Z")
    return moment


def unfolded(response) -> str:
    """The feed's text with folded lines joined (iCalendar folds lines at 75 octets)."""
    return response.get_data(as_text=True).replace("\r\n ", "")


def token_for(contact: str) -> str:
    return contact_token(contact)


def test_the_schedule_feed_is_a_calendar_of_every_block_in_the_open_weeks(client):
    calendar = parse(client.get("/schedule.ics"))
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == "-//Mozilla SUMO//Live Chat signup//EN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "SUMO Live Chat schedule"
    events = calendar.walk("VEVENT")
    # The default schedule has 11 blocks a week; 8 weeks are open, from this week (W48) on,
    # and the feed starts today (Wednesday): this week's Monday and Tuesday blocks are over.
    assert len(events) == 11 * 8 - 4
    starts = sorted(utc(event, "DTSTART") for event in events)
    assert starts[0] == datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    assert starts[-1] == datetime(2027, 1, 16, 15, 0, tzinfo=UTC)  # Saturday of week 8


def test_a_block_event_has_utc_times_a_stamp_and_who_is_on_by_name(client, storage):
    sign_up(storage, "Bo Anchor", "bo@example.org", Role.ANCHOR, MONDAY_2PM)
    sign_up(storage, "Ann Example", "ann@example.org", Role.HELPER, MONDAY_2PM, 2)
    sign_up(storage, "Cy", "cy_nick", Role.ADVISOR, MONDAY_2PM + timedelta(hours=1))
    events = by_uid(parse(client.get("/schedule.ics")))
    block = events["block-20261130T140000Z@sumo-livechat"]
    assert utc(block, "DTSTART") == MONDAY_2PM
    assert utc(block, "DTEND") == MONDAY_2PM + timedelta(hours=2)
    assert utc(block, "DTSTAMP") == NOW
    # 14:00 has no Advisor, so the block is thin; one Helper of two wanted.
    assert str(block["SUMMARY"]) == "SUMO Live Chat — Thin, needs Helper, Advisor, Room monitor"
    assert str(block["TRANSP"]) == "TRANSPARENT"
    assert str(block["URL"]) == "http://localhost/?week=2026-W49"
    description = str(block["DESCRIPTION"]).splitlines()
    assert description[0] == "Anchor: Bo Anchor"
    assert "14:00–15:00 UTC — Thin" in description
    assert "  Helpers: Ann Example (1 of 2)" in description
    assert "  Advisors: — (0 of 1)" in description
    assert "15:00–16:00 UTC — Covered" in description
    assert "  Advisors: Cy (1 of 1)" in description
    untouched = events["block-20261130T160000Z@sumo-livechat"]
    assert str(untouched["SUMMARY"]).startswith("SUMO Live Chat — Uncovered, needs Helper, Anchor")
    assert str(untouched["DESCRIPTION"]).startswith("Anchor: nobody yet")


def test_the_schedule_feed_never_shows_a_contact_or_a_note(client, storage):
    sign_up(storage, "Ann Example", "Ann@Example.org", Role.HELPER, MONDAY_2PM, notes="secret")
    sign_up(storage, "Cy", "cy_nick", Role.ADVISOR, MONDAY_2PM)
    body = unfolded(client.get("/schedule.ics"))
    assert "Ann Example" in body and "Cy" in body
    for private in ("ann@example.org", "cy_nick", "secret"):
        assert private not in body.casefold()


def test_block_uids_stay_the_same_across_fetches_while_the_content_changes(client, storage):
    first = by_uid(parse(client.get("/schedule.ics")))
    sign_up(storage, "Ann Example", "ann@example.org", Role.HELPER, MONDAY_2PM)
    second = by_uid(parse(client.get("/schedule.ics")))
    assert first.keys() == second.keys()
    uid = "block-20261130T140000Z@sumo-livechat"
    assert "Ann Example" not in str(first[uid]["DESCRIPTION"])
    assert "Ann Example" in str(second[uid]["DESCRIPTION"])


def test_the_personal_feed_holds_each_of_that_volunteers_signups(client, storage):
    early = sign_up(storage, "Ann Example", "ann@example.org", Role.HELPER, MONDAY_2PM, 2)
    later = sign_up(
        storage,
        "Ann Example",
        "ann@example.org",
        Role.ANCHOR,
        MONDAY_2PM + timedelta(days=1, hours=2),
    )
    sign_up(storage, "Bo", "bo@example.org", Role.ADVISOR, MONDAY_2PM)
    token = token_for(" ANN@example.org")  # matched as signups are: case and spaces aside
    calendar = parse(client.get(f"/my/{token}.ics"))
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "SUMO Live Chat: my shifts"
    events = by_uid(calendar)
    assert list(events) == [f"signup-{early.id}@sumo-livechat", f"signup-{later.id}@sumo-livechat"]
    manage = f"http://localhost/my/{token}"
    helper = events[f"signup-{early.id}@sumo-livechat"]
    assert utc(helper, "DTSTART") == MONDAY_2PM
    assert utc(helper, "DTEND") == MONDAY_2PM + timedelta(hours=2)
    assert utc(helper, "DTSTAMP") == NOW
    assert utc(helper, "CREATED") == NOW
    assert str(helper["SUMMARY"]) == "SUMO Live Chat — Helper"
    assert str(helper["STATUS"]) == "CONFIRMED"
    assert helper.decoded("SEQUENCE") == 0
    assert str(helper["URL"]) == manage
    assert str(helper["DESCRIPTION"]).splitlines() == [
        "You are Helper on SUMO Live Chat, 14:00–16:00 UTC.",
        f"Signup ID: {early.id}",
        f"See or cancel your signups: {manage}",
    ]
    anchor = events[f"signup-{later.id}@sumo-livechat"]
    assert str(anchor["SUMMARY"]) == "SUMO Live Chat — Anchor"
    assert utc(anchor, "DTSTART") == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert utc(anchor, "DTEND") == datetime(2026, 12, 1, 19, 0, tzinfo=UTC)


def test_a_cancelled_signup_keeps_its_uid_and_supersedes_as_cancelled(client, storage):
    signup = sign_up(storage, "Ann Example", "ann@example.org", Role.HELPER, MONDAY_2PM)
    url = f"/my/{token_for('ann@example.org')}.ics"
    uid = f"signup-{signup.id}@sumo-livechat"
    before = by_uid(parse(client.get(url)))[uid]
    assert services.cancel_signup(storage, signup.id)
    after = by_uid(parse(client.get(url)))[uid]
    assert str(before["STATUS"]) == "CONFIRMED" and str(after["STATUS"]) == "CANCELLED"
    assert after.decoded("SEQUENCE") > before.decoded("SEQUENCE")
    assert utc(after, "DTSTART") == MONDAY_2PM
    assert str(after["DESCRIPTION"]).startswith("Cancelled: Helper on SUMO Live Chat")


def test_a_tampered_personal_link_gets_403_with_the_reason(client, storage):
    sign_up(storage, "Ann Example", "ann@example.org", Role.HELPER, MONDAY_2PM)
    token = token_for("ann@example.org")
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    response = client.get(f"/my/{tampered}.ics")
    assert response.status_code == 403
    assert response.mimetype == "text/html"
    assert "This link is not valid" in response.get_data(as_text=True)


def test_an_expired_personal_link_gets_403_saying_so(client, monkeypatch):
    with monkeypatch.context() as past:
        long_ago = time.time() - 400 * 86400
        past.setattr(time, "time", lambda: long_ago)
        token = token_for("ann@example.org")
    response = client.get(f"/my/{token}.ics")
    assert response.status_code == 403
    assert "This link has expired" in response.get_data(as_text=True)


def test_the_feeds_are_served_from_the_last_good_copy_when_the_sheet_fails(
    client, storage, monkeypatch
):
    sign_up(storage, "Ann Example", "ann@example.org", Role.HELPER, MONDAY_2PM)
    assert client.get("/schedule.ics").status_code == 200  # keeps a good copy

    def unreachable(titles):
        raise StorageError("The sheet cannot be reached.", transient=True)

    monkeypatch.setattr(storage, "read_tabs", unreachable)
    assert "Ann Example" in unfolded(client.get("/schedule.ics"))
    mine = parse(client.get(f"/my/{token_for('ann@example.org')}.ics"))
    assert len(mine.walk("VEVENT")) == 1


def test_the_calendar_address_is_not_taken_by_a_manage_page_route(app):
    app.add_url_rule("/my/<token>", "manage_page_stand_in", lambda token: "page")
    response = app.test_client().get(f"/my/{token_for('ann@example.org')}.ics")
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"


def test_a_hand_typed_row_without_an_id_gets_a_stable_uid_without_its_contact():
    row = Signup("Ann", "ann@example.org", Role.HELPER, MONDAY_2PM, MONDAY_2PM + timedelta(hours=1))
    uid = signup_uid(row)
    assert uid == signup_uid(Signup(**{**row.__dict__, "contact": " ANN@example.org"}))
    assert uid.startswith("signup-h") and uid.endswith("@sumo-livechat")
    assert "ann" not in uid.split("@")[0].casefold()
    moved = Signup(**{**row.__dict__, "start": MONDAY_2PM + timedelta(hours=1)})
    assert signup_uid(moved) != uid


def test_a_personal_feed_drops_old_shifts_and_a_withdrawn_double_click():
    def row(start, **extra):
        return Signup(
            "Ann", "ann@example.org", Role.HELPER, start, start + timedelta(hours=1), **extra
        )

    kept = row(MONDAY_2PM, id="KEPT2345", request_id="form-1")
    twin = row(MONDAY_2PM, id="TWIN2345", request_id="form-1", cancelled=True)
    cancelled = row(MONDAY_2PM + timedelta(days=1), id="GONE2345", cancelled=True)
    old = row(NOW - timedelta(days=31), id="OLD23456")
    recent = row(NOW - timedelta(days=29), id="RECENT23")
    mine = recent_and_coming([kept, twin, cancelled, old, recent], NOW)
    assert [s.id for s in mine] == ["RECENT23", "KEPT2345", "GONE2345"]
