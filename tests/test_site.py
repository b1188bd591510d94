"""The site through Flask's test client: the week, the form, confirmation, API, health."""

from __future__ import annotations

import functools
import html
import re

import pytest

from sumo_sheets import create_app
from sumo_sheets import sheet_format as fmt

from . import support
from .support import NOW, build_workbook, read_workbook

FORM = {**support.FORM, "hours": "2", "note": "first time!"}


def page_text(response) -> str:
    """A page's words as a person reads them: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))


sign_up = functools.partial(support.sign_up, form=FORM)


def signup_rows(workbook_path):
    rows = read_workbook(workbook_path, "Signups")
    return [r for r in rows[1:] if any(v not in (None, "") for v in r)]


def test_the_week_shows_every_staffed_hour_with_what_is_wanted(client):
    page = client.get("/?week=2026-W49").get_data(as_text=True)
    assert "week of 30 November 2026" in page
    assert page.count("Sign up as Anchor") == len(fmt.DEFAULT_SCHEDULE)
    assert "0 of 2 wanted" in page and "0 of 3 wanted" in page
    assert "✗ Uncovered" in page  # coverage in words and icon, not colour alone
    assert 'href="/signup?role=helper&amp;start=2026-11-30T14:00Z"' in page


def test_the_week_defaults_to_this_week_and_links_to_its_neighbours(client):
    page = client.get("/").get_data(as_text=True)
    assert "week of 23 November 2026" in page
    assert 'href="/?week=2026-W47"' in page and 'href="/?week=2026-W49"' in page


def test_past_hours_offer_no_signup_links(client):
    page = client.get("/?week=2026-W47").get_data(as_text=True)
    assert "Sign up<span" not in page and "Sign up as Anchor" not in page


def test_signing_up_redirects_to_a_confirmation_read_back_from_the_sheet(client, workbook_path):
    response = sign_up(client)
    assert response.status_code == 303
    assert re.fullmatch(r"/signup/done/[A-Z2-9]{8}", response.headers["Location"])
    done = page_text(client.get(response.headers["Location"]))
    assert "Thank you, Ann Example!" in done
    assert "Helper" in done and "14:00–16:00" in done and "UTC" in done


def test_a_signup_lands_in_the_sheet_in_the_documented_format(client, workbook_path):
    sign_up(client)
    (row,) = signup_rows(workbook_path)
    header = read_workbook(workbook_path, "Signups")[0]
    assert header == list(fmt.SIGNUP_HEADERS)
    record = dict(zip(header, row, strict=True))
    assert record["Name"] == "Ann Example"
    assert record["Contact"] == "ann@example.org"
    assert record["Role"] == "Helper"
    assert (record["Date"], record["Start (UTC)"], record["End (UTC)"]) == (
        "2026-11-30",
        "14:00",
        "16:00",
    )
    assert record["Status"] == "confirmed"
    assert record["Signed up at (UTC)"] == NOW.strftime("%Y-%m-%d %H:%M")
    assert record["Notes"] == "first time!"
    assert re.fullmatch(r"[A-Z2-9]{8}", record["ID"])


def test_the_name_appears_on_the_week_and_the_contact_never_does(client):
    sign_up(client)
    sign_up(client, name="Bo Anchor", contact="irc_bo", role="anchor", hours="1")
    for url in ("/?week=2026-W49", "/api/week?week=2026-W49"):
        page = client.get(url).get_data(as_text=True)
        assert "Ann Example" in page and "Bo Anchor" in page
        assert "ann@example.org" not in page and "irc_bo" not in page


def test_the_api_gives_the_week_with_utc_slots_names_and_coverage(client):
    sign_up(client, role="advisor", hours="1")
    sign_up(client, name="Bo", contact="bo@example.org", role="anchor")
    week = client.get("/api/week?week=2026-W49").get_json()
    assert week["week"] == "2026-W49" and week["time_zone"] == "UTC"
    first = week["blocks"][0]
    assert (first["start"], first["end"]) == ("2026-11-30T14:00Z", "2026-11-30T16:00Z")
    assert first["anchor"]["names"] == ["Bo"]
    slot = first["slots"][0]
    assert slot["roles"]["advisor"]["names"] == ["Ann Example"]
    assert slot["roles"]["helper"] == {"names": [], "wanted": 2, "maximum": None}
    assert slot["roles"]["monitor"]["maximum"] == 2
    assert slot["coverage"] == "covered"  # the Anchor answers users; advised and anchored
    assert first["slots"][1]["coverage"] == "thin"  # no Advisor at 15:00


def test_the_form_is_prefilled_from_the_link_on_the_week(client):
    page = client.get("/signup?role=monitor&start=2026-11-30T15:00Z").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*value="monitor"|value="monitor"[^>]*checked', page)
    assert re.search(r'<option selected value="2026-11-30T15:00Z"', page)


def test_the_start_list_offers_open_hours_grouped_by_day(client):
    page = client.get("/signup").get_data(as_text=True)
    assert '<optgroup label="Wednesday 25 November">' in page
    assert 'value="2026-11-25T14:00Z"' in page
    assert 'value="2026-11-24T14:00Z"' not in page  # yesterday is gone


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Please tell us your name."),
        ({"name": "x" * 81}, "name", "Field cannot be longer than 80 characters."),
        ({"name": "Ann\u202eevil"}, "name", "hidden or control characters"),
        ({"contact": ""}, "contact", "Please give an email address or chat nick."),
        ({"contact": "ann@"}, "contact", "something after the @-sign"),
        ({"contact": "not a nick!"}, "contact", "chat nick such as sumo_fan"),
        ({"contact": "ann@example"}, "contact", "email address does not look right"),
        ({"role": "boss"}, "role", "Not a valid choice"),
        ({"start": "tomorrow"}, "start", "UTC time like 2026-11-30T14:00Z"),
        ({"start": "2026-11-30T13:00Z"}, "start", "not staffed at that hour"),
        ({"start": "2026-11-23T14:00Z"}, "start", "already started"),
        ({"hours": "0"}, "hours", "Pick from 1 to 12 hours."),
        ({"hours": "3"}, "hours", "at most 2 hours"),
        ({"hours": "two"}, "hours", "Not a valid integer value."),
    ],
)
def test_bad_input_is_explained_next_to_its_field_and_keeps_what_was_typed(
    client, workbook_path, changes, field, message
):
    response = sign_up(client, **changes)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    assert error and message in error.group(1).replace("&#39;", "'")
    assert 'class="error-summary"' in page
    kept = {**FORM, **changes}
    if field != "name":
        assert 'value="Ann Example"' in page
    if field != "contact":
        assert f'value="{kept["contact"]}"' in page
    assert "first time!" in page
    assert signup_rows(workbook_path) == []


def test_a_full_role_is_refused_next_to_the_role_with_the_input_kept(client, workbook_path):
    for n in range(2):
        assert (
            sign_up(client, name=f"M{n}", contact=f"m{n}@example.org", role="monitor").status_code
            == 303
        )
    response = sign_up(client, role="monitor")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="role-error">Room monitors are full at Mon 30 Nov 14:00 UTC', page)
    assert 'value="Ann Example"' in page
    assert len(signup_rows(workbook_path)) == 2


def test_signing_up_twice_for_the_same_hour_is_refused(client, workbook_path):
    assert sign_up(client).status_code == 303
    response = sign_up(client, hours="1", contact="ANN@example.org")
    assert response.status_code == 422
    assert "already has a signup that overlaps these hours" in response.get_data(as_text=True)
    assert len(signup_rows(workbook_path)) == 1


def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(workbook_path):
    app = create_app({"SECRET_KEY": "s", "WORKBOOK": str(workbook_path), "CLOCK": lambda: NOW})
    client = app.test_client()
    response = client.post("/signup", data=FORM)
    assert response.status_code == 422
    assert "This form expired" in response.get_data(as_text=True)
    assert 'value="Ann Example"' in response.get_data(as_text=True)
    assert signup_rows(workbook_path) == []


def test_a_form_with_its_csrf_token_goes_through(workbook_path):
    app = create_app({"SECRET_KEY": "s", "WORKBOOK": str(workbook_path), "CLOCK": lambda: NOW})
    client = app.test_client()
    page = client.get("/signup").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/signup", data={**FORM, "csrf_token": token}).status_code == 303


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("/?week=next", "week must look like 2026-W49"),
        ("/?week=2026-W54", "2026 has no week 54"),
        ("/api/week?week=1999-W01", "out of range"),
        ("/signup?start=soon", "start must be a UTC time"),
        ("/signup?role=chef", "role must be one of helper, anchor, advisor, monitor"),
    ],
)
def test_garbage_in_the_query_gets_a_400_with_the_reason(client, url, reason):
    response = client.get(url)
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)


def test_an_unknown_confirmation_is_a_friendly_404(client):
    response = client.get("/signup/done/NOPE2345")
    assert response.status_code == 404
    assert "No signup with that ID" in response.get_data(as_text=True)


def test_the_roles_page_explains_every_role(client):
    page = client.get("/roles").get_data(as_text=True)
    for role in ("Helper", "Anchor", "Advisor", "Room monitor"):
        assert f">{role}</dt>" in page


def test_health_names_the_backend_when_the_sheet_can_be_read(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "storage": "workbook"}


def test_health_is_503_and_pages_explain_when_the_workbook_is_unreadable(app, workbook_path):
    # The app made the workbook when it started; no process has read a good copy of it.
    workbook_path.write_bytes(b"this is not a spreadsheet")
    client = app.test_client()  # a process with no good copy to fall back on
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["status"] == "unavailable"
    page = client.get("/")
    assert page.status_code == 503
    assert "is a text file, not a spreadsheet" in page.get_data(as_text=True)
    assert "Excel 2007-365 (.xlsx)" in page.get_data(as_text=True)


def test_an_unreadable_workbook_shows_the_last_good_copy_and_keeps_the_form(client, workbook_path):
    assert sign_up(client).status_code == 303
    workbook_path.write_bytes(b"this is not a spreadsheet")

    page = client.get("/?week=2026-W49").get_data(as_text=True)
    assert "may be out of date since 10:00 UTC" in page and "Ann" in page
    assert client.get("/healthz").get_json()["status"] == "degraded"
    refused = sign_up(client, name="Bo", contact="bo@example.org")
    assert refused.status_code == 503
    assert 'value="Bo"' in refused.get_data(as_text=True)


def test_a_messy_coordinator_workbook_still_shows_the_right_week(workbook_path):
    """Reordered and renamed columns, extra columns, typed dates, blank and bad rows."""
    from datetime import datetime, time

    build_workbook(
        workbook_path,
        {
            "Signups": [
                [
                    "Coordinator notes",
                    " status ",
                    "NAME",
                    "role",
                    "date",
                    "start (utc)",
                    "End (UTC)",
                    "id",
                    "contact",
                ],
                [
                    "",
                    "",
                    "Hand Typed",
                    " Helper ",
                    datetime(2026, 11, 30),
                    time(14, 0),
                    time(15, 0),
                    None,
                    "hand@example.org",
                ],
                [],
                [
                    "bad one",
                    "confirmed",
                    "Broken",
                    "chef",
                    "2026-11-30",
                    "14:00",
                    "15:00",
                    "X1",
                    "",
                ],
                ["", "CANCELLED", "Gone", "advisor", "2026-11-30", "9:00", "", "X2", ""],
                ["", "", "Ada", "advisor", "2026-11-30", "14:00", "16:00", "X3", "ada@x.org"],
            ],
            "Schedule": [list(fmt.SCHEDULE_HEADERS), ["monday", "14", "16", 2, 1, 1]],
            "Settings": [["Setting", "Value"], ["Time zone", "UTC"]],
        },
    )
    app = create_app(
        {
            "SECRET_KEY": "s",
            "WORKBOOK": str(workbook_path),
            "CLOCK": lambda: NOW,
            "WTF_CSRF_ENABLED": False,
        }
    )
    client = app.test_client()
    slot = client.get("/api/week?week=2026-W49").get_json()["blocks"][0]["slots"][0]
    assert slot["roles"]["helper"]["names"] == ["Hand Typed"]
    assert slot["roles"]["advisor"]["names"] == ["Ada"]
    page = client.get("/?week=2026-W49").get_data(as_text=True)
    assert "1 row(s) in the sheet could not be read" in page

    assert client.post("/signup", data={**FORM, "hours": "1"}).status_code == 303
    rows = read_workbook(workbook_path, "Signups")
    new = dict(zip(rows[0], rows[-1], strict=False))
    assert new["NAME"] == "Ann Example" and new[" status "] == "confirmed"
    assert new["Coordinator notes"] is None
    assert rows[1][4] == datetime(2026, 11, 30)  # the coordinator's typed date is untouched
    assert rows[3][0] == "bad one"


def test_a_schedule_kept_in_los_angeles_time_lands_on_the_right_utc_hours(workbook_path):
    build_workbook(
        workbook_path,
        {
            "Signups": [list(fmt.SIGNUP_HEADERS)],
            "Schedule": [list(fmt.SCHEDULE_HEADERS), ["Monday", "9:00", "11:00", 2, 1, 1]],
            "Settings": [["Setting", "Value"], ["Time zone", "America/Los_Angeles"]],
        },
    )
    app = create_app({"SECRET_KEY": "s", "WORKBOOK": str(workbook_path), "CLOCK": lambda: NOW})
    client = app.test_client()
    week = client.get("/api/week?week=2026-W49").get_json()
    assert week["time_zone"] == "America/Los_Angeles"
    assert [b["start"] for b in week["blocks"]] == ["2026-11-30T17:00Z"]  # 09:00 PST
    assert "17:00–19:00 UTC" in page_text(client.get("/?week=2026-W49"))
    in_la = page_text(client.get("/?week=2026-W49&tz=America/Los_Angeles"))
    assert "09:00–11:00 (17:00–19:00 UTC)" in in_la
    summer = client.get("/api/week?week=2027-W27").get_json()
    assert [b["start"] for b in summer["blocks"]] == ["2027-07-05T16:00Z"]  # 09:00 PDT


def test_the_form_carries_a_request_key_that_survives_a_refusal(client):
    form = client.get("/signup").get_data(as_text=True)
    key = re.search(r'name="request_id" type="hidden" value="([^"]+)"', form)[1]
    assert len(key) >= 16
    refused = sign_up(client, request_id=key, name="").get_data(as_text=True)
    assert f'value="{key}"' in refused
    assert key not in client.get("/signup").get_data(as_text=True)  # a new form, a new key


def test_a_form_sent_twice_shows_the_same_confirmation_and_makes_one_row(client, workbook_path):
    key = "double-click-key-0001"
    first = sign_up(client, request_id=key)
    second = sign_up(client, request_id=key)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    rows = signup_rows(workbook_path)
    assert len(rows) == 1
    assert rows[0][fmt.SIGNUP_HEADERS.index(fmt.REQUEST_ID)] == key


def test_a_malformed_request_key_is_replaced_not_stored(client, workbook_path):
    assert sign_up(client, request_id="=HYPERLINK(1)").status_code == 303
    stored = signup_rows(workbook_path)[0][fmt.SIGNUP_HEADERS.index(fmt.REQUEST_ID)]
    assert stored and stored != "=HYPERLINK(1)"


def test_losing_the_last_place_to_another_process_offers_the_nearest_open_hour(app, tmp_path):
    from sumo_sheets import services
    from sumo_sheets.model import Role

    from .test_signup_races import MONDAY_14, RivalAppendsFirst, rival

    storage = app.extensions["sumo_storage"]
    services.init_sheet(storage)
    racing = RivalAppendsFirst(storage, [rival("Rae", Role.ANCHOR, MONDAY_14, hours=2)])
    client = create_app(app.config, storage=racing).test_client()

    response = sign_up(client, role="anchor", name="Ann Lost", note="keep me")
    page = html.unescape(response.get_data(as_text=True))

    assert response.status_code == 409
    assert "Someone took the last Anchor place just before you" in page
    assert "/signup?role=anchor&start=2026-11-30T16:00Z" in page
    assert 'value="Ann Lost"' in page and "keep me" in page
