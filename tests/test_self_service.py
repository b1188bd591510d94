"""Volunteer self-service: their own time zone, the personal manage link, cancelling, repeats."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from sumo_sheets import create_app, services, tokens
from sumo_sheets import sheet_format as fmt

from . import support
from .smtp import smtp_server_fixture  # noqa: F401  (the smtp_server fixture)
from .support import (
    NOW,
    build_workbook,
    contact_token,
    drain_mail,
    is_contact_link_for,
    page_text,
    read_workbook,
)

FORM = {**support.FORM, "note": ""}


text = page_text


def signup_rows(workbook_path) -> list[dict]:
    rows = read_workbook(workbook_path, "Signups")
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:] if any(r)]


def app_at(workbook_path, moment: datetime, **settings):
    """The site on the same workbook with the clock at ``moment``."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "WORKBOOK": str(workbook_path),
            "WTF_CSRF_ENABLED": False,
            "CLOCK": lambda: moment,
            **settings,
        }
    )


def schedule_in(workbook_path, zone: str, *rows) -> None:
    """A sheet whose Schedule is kept in ``zone`` with the given rows."""
    build_workbook(
        workbook_path,
        {
            "Signups": [list(fmt.SIGNUP_HEADERS)],
            "Schedule": [list(fmt.SCHEDULE_HEADERS), *rows],
            "Settings": [["Setting", "Value"], ["Time zone", zone]],
        },
    )


# -- the viewer's time zone -------------------------------------------------------------------


def test_times_show_in_the_zone_asked_for_and_it_is_remembered(client):
    page = client.get("/?week=2026-W49&tz=Europe/Berlin")
    words = text(page)
    assert "Times are in Europe/Berlin" in words
    # Monday's 14:00 UTC block is 15:00 in Berlin in winter, with UTC beside.
    assert "15:00–17:00 (14:00–16:00 UTC)" in words
    assert "tz_chosen=Europe/Berlin" in " ".join(page.headers.getlist("Set-Cookie"))

    again = text(client.get("/?week=2026-W49"))
    assert "Times are in Europe/Berlin" in again


def test_a_zone_that_does_not_exist_is_a_400_with_the_reason(client):
    response = client.get("/?tz=Mars/Olympus_Mons")
    assert response.status_code == 400
    assert "is not a time zone name" in text(response)


def test_a_garbled_zone_cookie_falls_back_to_utc(client):
    client.set_cookie("tz", "../../etc/passwd")
    assert "Times are in UTC" in text(client.get("/"))


def test_a_block_is_shown_on_the_viewers_own_day(client):
    # Monday 16:00-19:00 UTC is Tuesday 01:00-04:00 in Tokyo.
    page = text(client.get("/?week=2026-W49&tz=Asia/Tokyo"))
    tuesday = page.split("Tuesday 1 December")[1].split("Wednesday 2 December")[0]
    assert "01:00–04:00 (16:00–19:00 UTC)" in tuesday


def test_the_week_of_the_us_clock_change_keeps_los_angeles_hours_put(workbook_path):
    # Daylight time starts in Los Angeles on Sunday 14 March 2027.
    schedule_in(
        workbook_path,
        "America/Los_Angeles",
        ["Saturday", "9:00", "10:00", 1, 0, 0],
        ["Sunday", "9:00", "10:00", 1, 0, 0],
    )
    client = app_at(workbook_path, datetime(2027, 3, 1, tzinfo=UTC)).test_client()
    blocks = client.get("/api/week?week=2027-W10&tz=America/Los_Angeles").get_json()["blocks"]
    assert [(b["day"], b["start"]) for b in blocks] == [
        ("2027-03-13", "2027-03-13T17:00Z"),  # 09:00 PST
        ("2027-03-14", "2027-03-14T16:00Z"),  # 09:00 PDT
    ]
    page = text(client.get("/?week=2027-W10"))
    assert page.count("09:00–10:00") == 2


def test_the_week_of_the_european_clock_change_moves_utc_hours_for_a_berlin_viewer(client):
    # Summer time starts in Berlin on Sunday 28 March 2027; the schedule is kept in UTC.
    late = app_at(client.application.config["WORKBOOK"], datetime(2027, 3, 1, tzinfo=UTC))
    viewer = late.test_client()
    before = text(viewer.get("/?week=2027-W12&tz=Europe/Berlin"))
    after = text(viewer.get("/?week=2027-W13&tz=Europe/Berlin"))
    assert "Monday 22 March" in before and "15:00–17:00 (14:00–16:00 UTC)" in before
    assert "Monday 29 March" in after and "16:00–18:00 (14:00–16:00 UTC)" in after


def test_the_form_offers_start_times_in_the_viewers_zone_and_keeps_it_with_the_signup(
    client, workbook_path
):
    form = client.get("/signup?role=helper&start=2026-11-30T14:00Z&tz=Europe/Berlin")
    page = form.get_data(as_text=True)
    assert (
        '<option selected value="2026-11-30T14:00Z">Mon 30 Nov, 15:00–16:00 (14:00 UTC)</option>'
        in page
    )
    assert 'name="time_zone" type="hidden" value="Europe/Berlin"' in page

    assert client.post("/signup", data={**FORM, "time_zone": "Europe/Berlin"}).status_code == 303
    assert signup_rows(workbook_path)[0][fmt.VOLUNTEER_ZONE] == "Europe/Berlin"


# -- the personal manage link -----------------------------------------------------------------


def manage_link(client, **changes) -> str:
    response = client.post("/signup", data={**FORM, **changes})
    assert response.status_code == 303, text(response)
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    return re.search(r'href="http://localhost(/my/[^"]+)"', done)[1]


def test_the_confirmation_gives_the_manage_link_only_to_the_browser_that_signed_up(app):
    volunteer = app.test_client()
    link = manage_link(volunteer)
    assert volunteer.get(link).status_code == 200
    # A link to this signup only: the contact's link goes by mail alone.
    assert not is_contact_link_for(link[4:], "ann@example.org")

    location = "/signup/done/" + signup_rows(app.config["WORKBOOK"])[0]["ID"]
    assert "/my/" in volunteer.get(location).get_data(as_text=True)
    stranger = app.test_client()
    assert "/my/" not in stranger.get(location).get_data(as_text=True)


def test_the_manage_page_lists_upcoming_signups_with_hours_per_role_per_week(app):
    client = app.test_client()
    manage_link(client, role="anchor")
    manage_link(client, role="advisor", start="2026-11-30T16:00Z", hours="3")
    manage_link(client, role="helper", start="2026-12-07T14:00Z", hours="2")
    page = text(client.get("/my/" + contact_token("ann@example.org")))
    assert "Week of 30 November: Anchor 2 h, Advisor 3 h" in page
    assert "Week of 7 December: Helper 2 h" in page
    assert page.count("Cancel") >= 3


def test_cancelling_an_anchor_frees_the_block_and_changes_only_the_status(app, workbook_path):
    client = app.test_client()
    link = manage_link(client, role="anchor", note="bring snacks")
    assert "Sign up as Anchor for Monday 14:00" not in text(client.get("/?week=2026-W49"))
    (row,) = signup_rows(workbook_path)

    response = client.post(f"{link}/cancel/{row['ID']}")
    assert response.status_code == 303
    assert "Cancelled: Anchor, Mon 30 Nov 14:00" in text(client.get(response.headers["Location"]))
    (after,) = signup_rows(workbook_path)
    assert after == {**row, "Status": "cancelled"}
    assert "Sign up as Anchor for Monday 14:00" in text(client.get("/?week=2026-W49"))


def test_cancelling_is_refused_and_explained_inside_the_cut_off(workbook_path):
    early = app_at(workbook_path, NOW)
    client = early.test_client()
    link = manage_link(client, start="2026-11-25T14:00Z")  # today, 4 hours ahead
    (row,) = signup_rows(workbook_path)

    late = app_at(workbook_path, NOW + timedelta(hours=2, minutes=30)).test_client()
    page = text(late.get(link))
    assert "too close to the start to cancel here" in page
    response = late.post(f"{link}/cancel/{row['ID']}")
    assert "cancelling here closes 2 hours before the start" in text(late.get(response.location))
    assert signup_rows(workbook_path)[0]["Status"] == "confirmed"


def test_a_link_cannot_cancel_someone_elses_signup(app, workbook_path):
    client = app.test_client()
    manage_link(client, name="Bo", contact="bo@example.org")
    (bos,) = signup_rows(workbook_path)
    annes_link = "/my/" + contact_token("ann@example.org")

    response = client.post(f"{annes_link}/cancel/{bos['ID']}")
    assert "not one of yours" in text(client.get(response.location))
    assert signup_rows(workbook_path)[0]["Status"] == "confirmed"


def test_a_tampered_link_is_a_403_that_says_so_and_offers_a_new_one(client):
    good = contact_token("ann@example.org")
    response = client.get("/my/" + good[:-3] + "abc")
    assert response.status_code == 403
    page = text(response)
    assert "This link is not valid" in page and "Ask for a new link" in page
    assert client.post("/my/" + good[:-3] + "abc/cancel/ANYTHING").status_code == 403


def test_an_expired_link_is_a_403_that_says_it_expired(client):
    class LongAgo(TimestampSigner):
        def get_timestamp(self):
            return int((datetime.now(UTC) - timedelta(days=400)).timestamp())

    old = URLSafeTimedSerializer("test-secret", salt=tokens._SALT, signer=LongAgo).dumps(
        "ann@example.org"
    )
    response = client.get("/my/" + old)
    assert response.status_code == 403
    assert "This link has expired" in text(response)


def test_asking_for_the_link_again_answers_the_same_for_known_and_unknown_addresses(app):
    client = app.test_client()
    manage_link(client)
    known = text(client.post("/my", data={"email": "ann@example.org"}))
    unknown = text(client.post("/my", data={"email": "nobody@example.org"}))
    # Without mail, the page says nothing was sent, alike for any address.
    assert "Nothing was sent: this site cannot send email" in known
    assert "emailed" not in known
    assert known == unknown
    assert "does not look right" in text(client.post("/my", data={"email": "not an address"}))


# -- repeating every week -----------------------------------------------------------------


def test_a_weekly_repeat_takes_the_free_weeks_and_says_which_were_full(app, workbook_path):
    client = app.test_client()
    for person in ("mo", "ned"):  # Room monitors: at most 2 an hour; week 2 is full
        assert (
            client.post(
                "/signup",
                data={
                    **FORM,
                    "name": person,
                    "contact": f"{person}@example.org",
                    "role": "monitor",
                    "start": "2026-12-07T14:00Z",
                },
            ).status_code
            == 303
        )
    response = client.post(
        "/signup", data={**FORM, "role": "monitor", "repeat_weeks": "3", "request_id": "r" * 20}
    )
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert "✓ Signed up — Mon 30 Nov 14:00 UTC" in page
    assert "✗ Not taken — Mon 7 Dec 14:00 UTC: Room monitors are full at 14:00 UTC" in page
    assert "✓ Signed up — Mon 14 Dec 14:00 UTC" in page
    anns = [r for r in signup_rows(workbook_path) if r["Name"] == "Ann Example"]
    assert [(r["Date"], r["Request ID"]) for r in anns] == [
        ("2026-11-30", "r" * 20),
        ("2026-12-14", "r" * 20 + "-w2"),
    ]

    # The same form sent again (a double click) adds nothing and reports the same.
    again = client.post(
        "/signup", data={**FORM, "role": "monitor", "repeat_weeks": "3", "request_id": "r" * 20}
    )
    assert again.headers["Location"] == response.headers["Location"]
    assert len(signup_rows(workbook_path)) == 4


def test_a_repeat_with_no_week_free_is_refused_week_by_week_with_nothing_written(
    app, workbook_path
):
    client = app.test_client()
    assert client.post("/signup", data=FORM).status_code == 303
    for week in (7, 14):
        start = f"2026-12-{week:02d}T14:00Z"
        assert client.post("/signup", data={**FORM, "start": start}).status_code == 303
    response = client.post("/signup", data={**FORM, "repeat_weeks": "3", "request_id": "x" * 20})
    assert response.status_code == 422
    page = text(response)
    assert "None of the weeks could be taken" in page
    for day in ("Mon 30 Nov", "Mon 7 Dec", "Mon 14 Dec"):
        assert f"{day} 14:00 UTC: This contact already has a signup that overlaps" in page
    assert len(signup_rows(workbook_path)) == 3


def test_a_repeat_longer_than_the_setting_is_refused_beside_the_field(app):
    response = app.test_client().post("/signup", data={**FORM, "repeat_weeks": "9"})
    assert response.status_code == 422
    assert "Pick from 1 to 8 weeks." in text(response)


def test_a_weekly_repeat_follows_los_angeles_hours_across_the_clock_change(workbook_path):
    schedule_in(workbook_path, "America/Los_Angeles", ["Monday", "9:00", "10:00", 1, 0, 0])
    client = app_at(workbook_path, datetime(2027, 3, 1, tzinfo=UTC)).test_client()
    response = client.post(
        "/signup", data={**FORM, "start": "2027-03-08T17:00Z", "repeat_weeks": "2"}
    )
    assert response.status_code == 303
    starts = [(r["Date"], r["Start (UTC)"]) for r in signup_rows(workbook_path)]
    assert starts == [("2027-03-08", "17:00"), ("2027-03-15", "16:00")]  # 09:00 PST, PDT


@pytest.mark.parametrize("weeks", [1, 2])
def test_weekly_starts_keep_the_wall_clock_hour_of_the_schedules_zone(weeks):
    from zoneinfo import ZoneInfo

    starts = services.weekly_starts(
        datetime(2027, 3, 8, 17, tzinfo=UTC), weeks, ZoneInfo("America/Los_Angeles")
    )
    assert [s.astimezone(ZoneInfo("America/Los_Angeles")).hour for s in starts] == [9] * weeks


# -- the emails the pages send ------------------------------------------------------------------


def mail_app(workbook_path, smtp_server):
    return app_at(workbook_path, NOW, SITE_URL="http://localhost", **smtp_server.config)


def test_signing_up_emails_a_confirmation_with_the_manage_link_in_the_volunteers_zone(
    workbook_path, smtp_server
):
    site = mail_app(workbook_path, smtp_server)
    client = site.test_client()
    response = client.post("/signup", data={**FORM, "time_zone": "Europe/Berlin"})
    assert response.status_code == 303
    drain_mail(site)
    (message,) = smtp_server.messages
    assert message["To"].addresses[0].addr_spec == "ann@example.org"
    body = message.get_body(("plain",)).get_content()
    link = re.search(r"/my/(\S+)", body)[1]
    assert is_contact_link_for(link, "ann@example.org")
    assert "15:00–16:00 CET (14:00–15:00 UTC)" in body
    attachments = [part.get_filename() for part in message.iter_attachments()]
    assert any(name and name.endswith(".ics") for name in attachments)


def test_a_chat_nick_gets_no_email_but_is_signed_up(workbook_path, smtp_server):
    site = mail_app(workbook_path, smtp_server)
    client = site.test_client()
    assert client.post("/signup", data={**FORM, "contact": "sumo_fan"}).status_code == 303
    drain_mail(site)
    assert smtp_server.messages == []


def test_cancelling_emails_the_volunteer(workbook_path, smtp_server):
    site = mail_app(workbook_path, smtp_server)
    client = site.test_client()
    link = manage_link(client)
    (row,) = signup_rows(workbook_path)
    client.post(f"{link}/cancel/{row['ID']}")
    drain_mail(site)
    assert len(smtp_server.messages) == 2
    cancelled = smtp_server.messages[-1]
    assert cancelled["To"].addresses[0].addr_spec == "ann@example.org"
    assert "cancel" in cancelled["Subject"].lower()


def test_a_lost_link_is_emailed_only_to_an_address_that_signed_up(workbook_path, smtp_server):
    site = mail_app(workbook_path, smtp_server)
    client = site.test_client()
    manage_link(client)
    drain_mail(site)
    before = len(smtp_server.messages)
    client.post("/my", data={"email": "nobody@example.org"})
    drain_mail(site)
    assert len(smtp_server.messages) == before
    answer = text(client.post("/my", data={"email": "ANN@example.org"}))
    assert "If that address has signed up, we have emailed its link" in answer
    drain_mail(site)
    (sent,) = smtp_server.messages[before:]
    assert sent["To"].addresses[0].addr_spec.lower() == "ann@example.org"
    link = re.search(r"/my/(\S+)", sent.get_body(("plain",)).get_content())[1]
    assert is_contact_link_for(link, "ann@example.org")


def test_after_opening_the_manage_link_the_week_marks_the_volunteers_own_places(app):
    client = app.test_client()
    link = manage_link(client, role="anchor")
    manage_link(app.test_client(), name="Bo", contact="bo@example.org")
    stranger = app.test_client()
    assert '<mark class="you">' not in stranger.get("/?week=2026-W49").get_data(as_text=True)

    client.get(link)
    page = client.get("/?week=2026-W49").get_data(as_text=True)
    assert page.count('<mark class="you">Ann Example <span class="tag">you</span></mark>') == 1
    assert '<mark class="you">Bo' not in page
