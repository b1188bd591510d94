"""The site on a Google Sheet (through the emulator) while a coordinator edits the same sheet."""

from __future__ import annotations

import html

import pytest
import requests
from gspread.exceptions import APIError

from sumo_sheets import create_app, services
from sumo_sheets import sheet_format as fmt
from sumo_sheets.emulator.client import session_hook
from sumo_sheets.storage import StorageError
from sumo_sheets.storage.google_errors import explain
from sumo_sheets.storage.gsheets import GoogleSheetsStorage

from . import support
from .google import SITE_EMAIL
from .support import NOW

FORM = {**support.FORM, "name": "Ann"}


@pytest.fixture
def google_app(google_config):
    """The site on the coordinator's Google Sheet, at a fixed time."""
    return create_app({**google_config, "CLOCK": lambda: NOW})


@pytest.fixture
def ready_app(google_app):
    """The site after `sheet init` has set the sheet up."""
    result = google_app.test_cli_runner().invoke(args=["sheet", "init"])
    assert result.exit_code == 0, result.output
    return google_app


def emulator_counts(emulator) -> dict:
    return requests.get(f"http://{emulator.host_port}/_emulator/requests", timeout=5).json()


def reset_counts(emulator) -> None:
    requests.post(f"http://{emulator.host_port}/_emulator/reset", json={}, timeout=5)


def records(worksheet) -> list[dict]:
    """The coordinator's view of a tab: each row keyed by the header as it is now."""
    rows = worksheet.get_all_values()
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:] if any(row)]


def test_sheet_init_creates_the_tabs_with_headers_frozen_and_dropdowns(google_app, google_sheet):
    result = google_app.test_cli_runner().invoke(args=["sheet", "init"])
    assert result.exit_code == 0, result.output
    assert "Signups: created" in result.output
    assert "The sheet is ready (google-sheets)." in result.output
    titles = [ws.title for ws in google_sheet.worksheets()]
    assert titles == ["Sheet1", "Signups", "Schedule", "Settings", "Findings"]
    assert google_sheet.worksheet("Signups").row_values(1) == list(fmt.SIGNUP_HEADERS)
    assert google_sheet.worksheet("Schedule").get_all_values()[1:] == [
        list(r) for r in fmt.DEFAULT_SCHEDULE
    ]
    metadata = google_sheet.fetch_sheet_metadata()
    frozen = {
        s["properties"]["title"]: s["properties"]["gridProperties"].get("frozenRowCount", 0)
        for s in metadata["sheets"]
    }
    assert frozen == {"Sheet1": 0, "Signups": 1, "Schedule": 1, "Settings": 1, "Findings": 1}


def test_sheet_init_keeps_a_coordinators_rows_and_adds_only_missing_headers(
    google_app, google_sheet
):
    existing = google_sheet.add_worksheet("signups", rows=50, cols=5)
    existing.update([["Name", "ROLE", "Mine"], ["Ann", "helper", "keep me"]], "A1")
    result = google_app.test_cli_runner().invoke(args=["sheet", "init"])
    assert "signups: added columns ID, Contact, Date" in result.output.replace("Signups", "signups")
    rows = existing.get_all_values()
    assert rows[0][:3] == ["Name", "ROLE", "Mine"]
    assert len(rows[0]) == 3 + len(fmt.SIGNUP_HEADERS) - 2
    assert rows[1][:3] == ["Ann", "helper", "keep me"]
    again = google_app.test_cli_runner().invoke(args=["sheet", "init"])
    assert "Signups: ok" in again.output


def test_a_signup_lands_in_the_google_sheet_as_text(ready_app, google_sheet):
    client = ready_app.test_client()
    response = client.post("/signup", data={**FORM, "name": "=1+1 Ann"})
    assert response.status_code == 303
    (row,) = records(google_sheet.worksheet("Signups"))
    assert row["Name"] == "=1+1 Ann"
    assert (row["Role"], row["Date"], row["Start (UTC)"], row["End (UTC)"], row["Status"]) == (
        "Helper",
        "2026-11-30",
        "14:00",
        "15:00",
        "confirmed",
    )
    raw = google_sheet.worksheet("Signups").get("B2", value_render_option="UNFORMATTED_VALUE")
    assert raw == [["=1+1 Ann"]]  # stored as text, never evaluated
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you, =1+1 Ann!" in done


def test_the_week_stays_right_while_a_coordinator_sorts_and_edits_the_tab(ready_app, google_sheet):
    client = ready_app.test_client()
    for form in (
        FORM,
        {**FORM, "name": "Bo", "contact": "bo@example.org", "role": "advisor", "hours": "2"},
        {**FORM, "name": "Cy", "contact": "cy@example.org", "role": "anchor"},
    ):
        assert client.post("/signup", data=form).status_code == 303
    tab = google_sheet.worksheet("Signups")

    # A coordinator's morning: sort by name (Z-A), add a notes column, shout a header,
    # move Contact to the end, leave blank rows, type a volunteer in, and remove Bo.
    tab.sort((2, "des"), range=f"A2:J{tab.row_count}")
    tab.insert_cols([["Coordinator notes", "thanks!"]], col=2)
    tab.update_acell("C1", "NAME")
    google_sheet.batch_update(
        {
            "requests": [
                {
                    "moveDimension": {
                        "source": {
                            "sheetId": tab.id,
                            "dimension": "COLUMNS",
                            "startIndex": 3,
                            "endIndex": 4,
                        },
                        "destinationIndex": 11,
                    }
                }
            ]
        }
    )
    tab.insert_rows([[], []], row=3)
    header = tab.row_values(1)
    typed = dict.fromkeys(header, "")
    typed.update({"NAME": "Di", "Role": "helper", "Date": "2026-11-30", "Start (UTC)": "14:00"})
    tab.append_row([typed[h] for h in header], value_input_option="USER_ENTERED")
    bo_row = next(i for i, r in enumerate(tab.get_all_values(), start=1) if "Bo" in r)
    tab.delete_rows(bo_row)

    week = client.get("/api/week?week=2026-W49").get_json()
    slot = week["blocks"][0]["slots"][0]
    assert slot["roles"]["helper"]["names"] == ["Ann", "Di"]
    assert slot["roles"]["advisor"]["names"] == []
    assert week["blocks"][0]["anchor"]["names"] == ["Cy"]

    assert (
        client.post(
            "/signup",
            data={
                **FORM,
                "name": "Eve",
                "contact": "eve@example.org",
                "start": "2026-11-30T15:00Z",
            },
        ).status_code
        == 303
    )
    rows = records(tab)
    eve = next(r for r in rows if r["NAME"] == "Eve")
    assert (eve["Role"], eve["Start (UTC)"], eve["Contact"], eve["Coordinator notes"]) == (
        "Helper",
        "15:00",
        "eve@example.org",
        "",
    )
    assert next(r for r in rows if r["NAME"] == "Cy")["Coordinator notes"] == "thanks!"
    assert len(rows) == 4  # Ann, Cy, Di, Eve: nothing duplicated, nothing lost


def test_cancelling_after_a_sort_changes_only_that_rows_status(ready_app, google_sheet):
    from sumo_sheets import services

    client = ready_app.test_client()
    client.post("/signup", data=FORM)
    client.post("/signup", data={**FORM, "name": "Bo", "contact": "bo@example.org"})
    storage = ready_app.extensions["sumo_storage"]
    bo = next(s for s in services.read_sheet(storage).signups if s.name == "Bo")
    tab = google_sheet.worksheet("Signups")
    tab.sort((2, "asc"), range=f"A2:J{tab.row_count}")  # Ann, Bo: Bo moves
    before = tab.get_all_values()
    assert services.cancel_signup(storage, bo.id)
    after = tab.get_all_values()
    changed = [
        (r, c)
        for r, row in enumerate(after)
        for c, value in enumerate(row)
        if before[r][c] != value
    ]
    status_column = before[0].index("Status")
    bo_row = next(r for r, row in enumerate(after) if bo.id in row)
    assert changed == [(bo_row, status_column)]
    assert after[bo_row][status_column] == "cancelled"
    assert client.get("/api/week?week=2026-W49").get_json()["blocks"][0]["slots"][0]["roles"][
        "helper"
    ]["names"] == ["Ann"]


def test_sheet_check_reports_unreadable_rows_on_google(ready_app, google_sheet):
    tab = google_sheet.worksheet("Signups")
    tab.append_row(["", "Zed", "", "juggler", "2026-11-30", "14:00"])
    result = ready_app.test_cli_runner().invoke(args=["sheet", "check"])
    assert result.exit_code == 1
    assert "Signups row 2: role 'juggler' is not one of" in result.output


def test_demo_works_on_google_too(ready_app):
    result = ready_app.test_cli_runner().invoke(args=["sheet", "demo", "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert "demo signups to the 7 days from" in result.output
    names = ready_app.test_client().get("/api/week?week=2026-W49").get_json()["blocks"][0]
    assert names["slots"][0]["roles"]


def test_a_page_view_costs_one_values_request_and_no_metadata_fetch(ready_app, emulator):
    client = ready_app.test_client()
    client.get("/")  # the process learns the spreadsheet's tabs once
    reset_counts(emulator)
    for _ in range(5):
        assert client.get("/").status_code == 200
    counts = emulator_counts(emulator)
    assert counts.get("spreadsheets.values.batchGet") == 5
    assert counts.get("spreadsheets.get", 0) == 0
    assert counts.get("spreadsheets.values.get", 0) == 0


def test_a_sheet_not_shared_with_the_site_says_which_email_to_share_it_with(
    coordinator_client, google_config
):
    private = coordinator_client.create("Not shared")
    client = create_app({**google_config, "SHEET_ID": private.id}).test_client()
    page = client.get("/")
    assert page.status_code == 503
    assert f"share it as Editor with {SITE_EMAIL}" in page.get_data(as_text=True)
    assert client.get("/healthz").status_code == 503


def test_a_wrong_sheet_id_is_explained(google_config):
    client = create_app({**google_config, "SHEET_ID": "no-such-sheet-key"}).test_client()
    page = client.get("/")
    assert page.status_code == 503
    text = html.unescape(page.get_data(as_text=True))
    assert "No Google Sheet has the ID 'no-such-sheet-key'" in text
    health = client.get("/healthz").get_json()
    assert health["status"] == "unavailable" and "SUMO_SHEET_ID" in health["error"]


def inject_faults(emulator, status: int, count: int = 100) -> None:
    requests.post(
        f"http://{emulator.host_port}/_emulator/faults",
        json={"count": count, "status": status},
        timeout=5,
    )


def clear_faults(emulator) -> None:
    requests.delete(f"http://{emulator.host_port}/_emulator/faults", timeout=5)


@pytest.mark.parametrize(
    ("status", "message"),
    [(429, "the request quota is used up"), (503, "having trouble right now")],
)
def test_quota_and_outages_are_explained_then_the_site_recovers(
    ready_app, emulator, status, message
):
    # A process that has not read the sheet yet has no copy to fall back on.
    client = create_app(ready_app.config).test_client()
    inject_faults(emulator, status)
    try:
        page = client.get("/")
        assert page.status_code == 503
        assert message in page.get_data(as_text=True)
        assert client.get("/healthz").status_code == 503
    finally:
        clear_faults(emulator)
    assert client.get("/").status_code == 200


def test_when_reads_fail_the_last_good_copy_is_shown_and_signups_wait(ready_app, emulator):
    client = ready_app.test_client()
    assert client.post("/signup", data=FORM).status_code == 303
    inject_faults(emulator, 503)
    try:
        page = client.get("/?week=2026-W49")
        text = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "may be out of date since 10:00 UTC" in text
        assert "Ann" in text
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.get_json()["status"] == "degraded"
        assert client.get("/api/week?week=2026-W49").get_json()["stale_since"] == (
            "2026-11-25T10:00Z"
        )

        refused = client.post("/signup", data={**FORM, "name": "Bo", "contact": "bo@x.org"})
        form = html.unescape(refused.get_data(as_text=True))
        assert refused.status_code == 503
        assert "Your signup was not saved" in form
        assert 'value="Bo"' in form and 'value="bo@x.org"' in form
    finally:
        clear_faults(emulator)
    assert "Bo" not in [
        s.name for s in services.read_sheet(ready_app.extensions["sumo_storage"]).signups
    ]
    assert "out of date" not in client.get("/?week=2026-W49").get_data(as_text=True)
    assert client.get("/healthz").get_json()["status"] == "ok"


def test_a_disabled_sheets_api_is_explained(google_storage):
    response = requests.models.Response()
    response.status_code = 403
    response._content = (
        b'{"error": {"code": 403, "status": "PERMISSION_DENIED", "message": "Google Sheets API '
        b'has not been used in project 123 before or it is disabled."}}'
    )
    explained = explain(APIError(response), google_storage.key, SITE_EMAIL)
    assert isinstance(explained, StorageError)
    assert "Google Sheets API is not enabled" in explained.message


def test_the_backend_fetches_nothing_until_first_used(emulator, site_account):
    reset_counts(emulator)
    GoogleSheetsStorage("any-key", [site_account[1]], session_hook=session_hook(emulator.host_port))
    assert emulator_counts(emulator).get("total", 0) == 0


def test_a_signup_costs_two_reads_and_one_append(ready_app, emulator):
    client = ready_app.test_client()
    client.get("/")  # the process learns the spreadsheet's tabs once
    reset_counts(emulator)
    assert client.post("/signup", data=FORM).status_code == 303
    counts = emulator_counts(emulator)
    # One read to check the rules, the append, and one read to confirm it in sheet order.
    assert counts.get("spreadsheets.values.batchGet") == 2
    assert counts.get("spreadsheets.values.append") == 1
    assert counts.get("spreadsheets.get", 0) == 0
