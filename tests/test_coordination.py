"""Pages for coordinators and people on shift: where help is needed, findings, hours."""

from __future__ import annotations

import re

import openpyxl

from sumo_sheets import sheet_format as fmt

from . import support
from .support import build_workbook, page_text, read_workbook

FORM = {**support.FORM, "start": "2026-11-25T14:00Z"}
FINDING = {
    "name": "Mo Monitor",
    "contact": "mo@example.org",
    "when": "2026-11-25T10:30",
    "seen": "Users ask how to restore Firefox bookmarks after a profile reset.",
    "advice": "Pointed them to the Restore bookmarks article.",
    "link": "https://support.mozilla.org/kb/restore-bookmarks",
}


text = page_text


def section(page: str, heading: str, next_heading: str) -> str:
    return page.split(heading, 1)[1].split(next_heading, 1)[0]


# -- where help is needed ---------------------------------------------------------------------


def test_needed_lists_uncovered_hours_first_each_with_a_prefilled_form_link(client):
    page = client.get("/needed").get_data(as_text=True)
    uncovered = section(page, 'id="uncovered"', 'id="thin"')
    # Today (Wednesday 25 November) from 14:00 UTC is the first hour nobody answers.
    first = re.search(r'<time datetime="([^"]+)"', uncovered)[1]
    assert first == "2026-11-25T14:00:00Z"
    assert "/signup?role=helper&amp;start=2026-11-25T14:00Z" in uncovered
    # Two weeks ahead and no further: Tuesday 8 December is the last day listed.
    starts = re.findall(r'<time datetime="(\d{4}-\d\d-\d\d)T', uncovered)
    assert max(starts) == "2026-12-08" and min(starts) == "2026-11-25"


def test_a_helper_moves_an_hour_from_uncovered_to_thin_and_an_anchor_clears_the_block(client):
    assert client.post("/signup", data=FORM).status_code == 303
    page = client.get("/needed").get_data(as_text=True)
    hour = '<time datetime="2026-11-25T14:00:00Z">'
    assert hour not in section(page, 'id="uncovered"', 'id="thin"')
    assert hour in section(page, 'id="thin"', 'id="anchors"')
    assert hour in section(page, 'id="anchors"', "</main>")

    anchor = {**FORM, "name": "Bo", "contact": "bo@example.org", "role": "anchor"}
    assert client.post("/signup", data=anchor).status_code == 303
    page = client.get("/needed").get_data(as_text=True)
    assert hour not in section(page, 'id="anchors"', "</main>")


# -- room monitor findings ----------------------------------------------------------------------


def findings_rows(workbook_path) -> list[dict]:
    rows = read_workbook(workbook_path, fmt.FINDINGS)
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:] if any(r)]


def test_a_finding_is_appended_to_the_findings_tab_in_utc_and_listed_without_the_contact(
    client, workbook_path
):
    client.get("/findings?tz=Europe/Berlin")  # the monitor's own zone: 10:30 there is 09:30 UTC
    response = client.post("/findings", data=FINDING)
    assert response.status_code == 303
    (row,) = findings_rows(workbook_path)
    assert (row["Date"], row["Time (UTC)"], row["Name"], row["Contact"]) == (
        "2026-11-25",
        "09:30",
        "Mo Monitor",
        "mo@example.org",
    )
    assert row["What was seen"] == FINDING["seen"] and row["Link"] == FINDING["link"]
    page = text(client.get(response.headers["Location"]))
    assert "your finding is logged" in page
    assert "Mo Monitor" in page and FINDING["seen"] in page
    assert "mo@example.org" not in client.get("/findings").get_data(as_text=True)


def test_a_finding_sent_twice_is_logged_once(client, workbook_path):
    form = {**FINDING, "request_id": "finding-key-000000001"}
    assert client.post("/findings", data=form).status_code == 303
    assert client.post("/findings", data=form).status_code == 303
    assert len(findings_rows(workbook_path)) == 1


def test_a_finding_with_a_script_link_or_a_future_time_is_refused_with_input_kept(
    client, workbook_path
):
    bad_link = client.post("/findings", data={**FINDING, "link": "javascript:alert(1)"})
    assert bad_link.status_code == 422
    assert "starting with https://" in text(bad_link)
    assert FINDING["seen"] in text(bad_link)
    future = client.post("/findings", data={**FINDING, "when": "2026-12-25T10:00"})
    assert future.status_code == 422 and "not the future" in text(future)
    assert findings_rows(workbook_path) == []


def test_an_older_sheet_without_a_findings_tab_refuses_a_finding_until_sheet_init(
    app, workbook_path
):
    build_workbook(
        workbook_path,
        {
            "Signups": [list(fmt.SIGNUP_HEADERS)],
            "Schedule": [list(fmt.SCHEDULE_HEADERS)],
            "Settings": [["Setting", "Value"]],
        },
    )
    client = app.test_client()
    assert "No findings in the last 30 days" in text(client.get("/findings"))
    refused = client.post("/findings", data=FINDING)
    assert refused.status_code == 503
    assert "The sheet has no Findings tab" in text(refused)
    assert "sheet init" in text(refused)
    assert FINDING["seen"] in refused.get_data(as_text=True)  # what they typed is kept
    assert openpyxl.load_workbook(workbook_path).sheetnames == ["Signups", "Schedule", "Settings"]
    assert app.test_cli_runner().invoke(args=["sheet", "init"]).exit_code == 0
    assert client.post("/findings", data=FINDING).status_code == 303
    assert read_workbook(workbook_path, fmt.FINDINGS)[0] == list(fmt.FINDING_HEADERS)


# -- volunteer hours --------------------------------------------------------------------------


def test_hours_add_up_per_volunteer_and_role_by_contact_and_show_no_contacts(client):
    for changes in (
        {"role": "anchor", "start": "2026-11-30T14:00Z"},
        {"role": "advisor", "start": "2026-11-30T16:00Z", "hours": "3"},
        {"name": "Ann E.", "role": "helper", "start": "2026-12-01T14:00Z", "hours": "2"},
        {"name": "Bo", "contact": "bo@example.org", "start": "2026-11-30T14:00Z"},
    ):
        assert client.post("/signup", data={**FORM, **changes}).status_code == 303
    response = client.get("/hours?week=2026-W49")
    page = text(response)
    # One person (one contact) under their latest name: Helper 2 h, Anchor 2 h, Advisor 3 h.
    assert "Volunteer Helpers Anchors Advisors Total" in page
    assert "Ann E. 2 h 2 h 3 h 7 h" in page
    assert "Bo 1 h 0 h 0 h 1 h" in page
    assert "@example.org" not in response.get_data(as_text=True)
    assert "No confirmed hours" in text(client.get("/hours?week=2026-W50"))
    assert "Ann E." in text(client.get("/hours?month=2026-12"))
    assert "Bo 1 h" not in text(client.get("/hours?month=2026-12"))


def test_hours_refuse_a_garbled_month_with_a_400(client):
    response = client.get("/hours?month=2026-13")
    assert response.status_code == 400
    assert "month must look like 2026-11" in text(response)
