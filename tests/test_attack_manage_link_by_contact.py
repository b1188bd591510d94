"""Attack: a stranger who knows a volunteer's contact (an email, or a nick from the chat room)
signs up once with it and tries to list and cancel that volunteer's shifts.

Typing a contact proves nothing: the browser that signs up may manage only the signups it
made, and the link to all of a contact's signups goes only by mail, to that address.
"""

from __future__ import annotations

import re

from .smtp import body_text
from .smtp import smtp_server_fixture as smtp_server_fixture  # noqa: F401 (the fixture)
from .support import drain_mail, make_site, page_text, read_workbook
from .support import sign_up_for_link as sign_up

SITE = "http://localhost"


make_app = make_site


def signups(workbook_path) -> dict[str, dict[str, object]]:
    header, *rows = read_workbook(workbook_path, "Signups")
    return {row[0]: dict(zip(header, row, strict=False)) for row in rows if row[0]}


def test_a_stranger_who_signs_up_with_a_volunteers_email_cannot_list_or_cancel_their_shifts(
    app, workbook_path
):
    anns_id, _ = sign_up(app.test_client())
    stranger = app.test_client()
    own_id, link = sign_up(stranger, name="Not Ann", start="2026-12-02T16:00Z")
    assert link is not None  # the stranger may manage what they made themselves

    page = page_text(stranger.get(link))
    assert "Wed 2 Dec 16:00" in page
    assert "Mon 30 Nov" not in page  # Ann's shift is not listed
    stranger.post(f"{link}/cancel/{anns_id}")
    assert signups(workbook_path)[anns_id]["Status"] == "confirmed"
    # The feed behind the same link holds only the stranger's own signup too.
    feed = stranger.get(f"{link}.ics").get_data(as_text=True)
    assert f"signup-{own_id}@" in feed and f"signup-{anns_id}@" not in feed


def test_a_stranger_who_signs_up_with_a_volunteers_chat_nick_cannot_cancel_their_shift(
    app, workbook_path
):
    anns_id, _ = sign_up(app.test_client(), contact="ann_sumo")
    stranger = app.test_client()
    _, link = sign_up(stranger, contact="ANN_SUMO", start="2026-12-02T16:00Z")
    response = stranger.post(f"{link}/cancel/{anns_id}")
    assert "not one of yours" in page_text(stranger.get(response.location))
    assert signups(workbook_path)[anns_id]["Status"] == "confirmed"


def test_a_nick_volunteer_gets_a_link_to_that_signup_with_an_honest_bookmark_note(app):
    client = app.test_client()
    signup_id, link = sign_up(client, contact="sumo_fan")
    response = client.get(f"/signup/done/{signup_id}")
    page = page_text(response)
    assert "Bookmark this link" in page
    assert "We cannot email a chat nick" in page
    assert client.get(link).status_code == 200


def test_the_link_to_all_of_a_contacts_signups_goes_only_to_the_mailbox(workbook_path, smtp_server):
    site = make_app(workbook_path, SITE_URL=SITE, **smtp_server.config)
    first_browser, second_browser = site.test_client(), site.test_client()
    first_id, first_link = sign_up(first_browser)
    second_id, second_link = sign_up(second_browser, start="2026-12-02T16:00Z")

    # Each browser's link reaches the signup that browser made, and nothing else.
    assert "Wed 2 Dec" not in page_text(first_browser.get(first_link))
    assert "Mon 30 Nov" not in page_text(second_browser.get(second_link))
    drain_mail(site)
    mailed = re.search(r"/my/\S+", body_text(smtp_server.messages[-1]))[0]
    both = page_text(site.test_client().get(mailed))
    assert "Mon 30 Nov 14:00" in both and "Wed 2 Dec 16:00" in both
    assert "We have also emailed" in page_text(first_browser.get(f"/signup/done/{first_id}"))


def test_the_confirmation_of_someone_elses_signup_shows_no_link(app):
    signup_id, _ = sign_up(app.test_client())
    stranger = app.test_client()
    sign_up(stranger, name="Not Ann", start="2026-12-02T16:00Z")  # has links of its own
    assert "/my/" not in stranger.get(f"/signup/done/{signup_id}").get_data(as_text=True)
