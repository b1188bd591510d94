"""The control API: counters, reset, latency, faults, quotas, inspection; state file; CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import requests
from gspread.exceptions import APIError

from sumo_sheets.emulator import EmulatorServer

from .conftest import OTHER_EMAIL, OWNER_EMAIL


def test_requests_are_counted_per_google_method(control, spreadsheet, ws):
    control.post("/reset")
    ws.append_row(["a"])
    ws.get_all_values()
    ws.update([["b"]], "B1")
    spreadsheet.batch_update({"requests": [{"addSheet": {"properties": {"title": "T"}}}]})
    spreadsheet.values_batch_get(["A1", "T!A1"])
    ws.spreadsheet.fetch_sheet_metadata()
    assert control.counts() == {
        "spreadsheets.batchUpdate": 1,
        "spreadsheets.get": 1,
        "spreadsheets.values.append": 1,
        "spreadsheets.values.batchGet": 1,
        "spreadsheets.values.get": 1,
        "spreadsheets.values.update": 1,
        "total": 6,
    }


def test_create_and_share_are_counted_as_drive_methods(control, gc):
    control.post("/reset")
    gc.create("counted").share(OTHER_EMAIL, perm_type="user", role="writer", notify=False)
    counts = control.counts()
    assert counts["drive.files.create"] == 1
    assert counts["drive.permissions.create"] == 1
    assert counts["spreadsheets.get"] == 1  # gspread's open_by_key after the create


def test_reset_clears_counters_and_with_data_wipes_spreadsheets(control, gc):
    gc.create("to be wiped")
    assert control.post("/reset") == {"ok": True, "data_wiped": False}
    assert control.counts() == {}
    assert control.get("/spreadsheets")["spreadsheets"]
    control.post("/reset", {"data": True})
    assert control.get("/spreadsheets") == {"spreadsheets": []}


def test_latency_is_added_to_api_calls_but_not_control_calls(control, ws):
    ws.get_all_values()
    started = time.perf_counter()
    ws.get_all_values()
    fast = time.perf_counter() - started
    assert control.post("/latency", {"ms": 200}) == {"ms": 200.0, "jitter_ms": 0.0}
    started = time.perf_counter()
    ws.get_all_values()
    slow = time.perf_counter() - started
    started = time.perf_counter()
    control.counts()
    control_call = time.perf_counter() - started
    assert slow >= 0.2 > fast
    assert control_call < 0.2


@pytest.mark.parametrize("status", [429, 500, 503])
def test_injected_faults_reach_gspread_as_api_errors(control, ws, status):
    control.post("/faults", {"count": 2, "status": status})
    for _ in range(2):
        with pytest.raises(APIError) as caught:
            ws.get_all_values()
        assert caught.value.code == status
        assert caught.value.error["status"] in ("RESOURCE_EXHAUSTED", "INTERNAL", "UNAVAILABLE")
    assert ws.get_all_values() == [[]]
    assert control.get("/faults") == {"faults": []}


def test_a_fault_for_one_method_leaves_others_alone(control, ws):
    control.post("/faults", {"count": 1, "status": 503, "method": "spreadsheets.values.append"})
    ws.get_all_values()
    ws.update([["fine"]], "A1")
    with pytest.raises(APIError) as caught:
        ws.append_row(["fails"])
    assert caught.value.code == 503
    ws.append_row(["works"])
    assert ws.get_all_values() == [["fine"], ["works"]]


def test_drop_after_apply_writes_but_the_client_sees_a_connection_error(control, ws, spreadsheet):
    control.post(
        "/faults",
        {"count": 1, "drop_after_apply": True, "method": "spreadsheets.values.append"},
    )
    with pytest.raises(requests.exceptions.ConnectionError):
        ws.append_row(["applied but unanswered"])
    assert control.tab(spreadsheet.id, "Sheet1")["values"] == [["applied but unanswered"]]
    # The client recovers on its next call.
    ws.append_row(["next"])
    assert ws.get_all_values() == [["applied but unanswered"], ["next"]]


def test_bad_fault_requests_are_refused(control):
    response = requests.post(control.base_url + "/faults", json={"count": 1}, timeout=10)
    assert response.status_code == 400
    response = requests.post(control.base_url + "/faults", json={"status": 200}, timeout=10)
    assert response.status_code == 400


def test_quotas_answer_429_resource_exhausted_when_on(control, ws):
    control.post("/quotas", {"per_user_read_per_minute": 3, "read_per_minute": 100})
    for _ in range(3):
        ws.get_all_values()
    with pytest.raises(APIError) as caught:
        ws.get_all_values()
    assert caught.value.code == 429
    assert caught.value.error["status"] == "RESOURCE_EXHAUSTED"
    assert caught.value.error["message"].startswith(
        "Quota exceeded for quota metric 'Read requests' and limit "
        "'Read requests per minute per user' of service 'sheets.googleapis.com'"
    )
    ws.update([["writes have their own quota"]], "A1")
    control.post("/quotas", {"enabled": False})
    assert ws.get_all_values() == [["writes have their own quota"]]


def test_quotas_are_off_by_default(control, ws):
    assert control.get("/quotas")["enabled"] is False
    for _ in range(70):  # more than Google's 60 reads per minute per user
        ws.spreadsheet.values_get("Sheet1!A1")


def test_control_creates_lists_and_dumps_spreadsheets(control, other_gc):
    created = control.post(
        "/spreadsheets",
        {
            "owner": OWNER_EMAIL,
            "title": "Seeded",
            "sheets": [{"title": "Signups", "frozenRowCount": 1, "values": [["Name"], ["Ann"]]}],
            "writers": [OTHER_EMAIL],
        },
    )
    assert created["sheets"][0]["values"] == [["Name"], ["Ann"]]
    listed = {s["id"]: s for s in control.get("/spreadsheets")["spreadsheets"]}
    assert listed[created["id"]]["owner"] == OWNER_EMAIL
    assert listed[created["id"]]["sheets"] == ["Signups"]
    tab = other_gc.open_by_key(created["id"]).worksheet("Signups")
    assert tab.get_all_records() == [{"Name": "Ann"}]
    assert tab.frozen_row_count == 1


def test_state_file_keeps_spreadsheets_across_restarts(tmp_path, owner_info):
    from sumo_sheets.emulator.testing import emulator_gspread_client

    state_file = tmp_path / "state.json"
    with EmulatorServer(state_file=state_file) as first:
        client = emulator_gspread_client(first.host_port, owner_info)
        spreadsheet = client.create("Persistent")
        spreadsheet.sheet1.update([["=1+1", "kept"]], "A1", raw=False)
        spreadsheet.sheet1.freeze(rows=1)
    saved = json.loads(state_file.read_text())
    assert [s["title"] for s in saved["spreadsheets"]] == ["Persistent"]
    with EmulatorServer(state_file=state_file) as second:
        client = emulator_gspread_client(second.host_port, owner_info)
        reopened = client.open_by_key(spreadsheet.id).sheet1
        assert reopened.get("A1:B1", value_render_option="FORMULA") == [["=1+1", "kept"]]
        assert reopened.frozen_row_count == 1


def test_command_line_serves_until_stopped(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "sumo_sheets.emulator", "--port", "0", "--quotas"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = ""
        deadline = time.monotonic() + 20
        while "SHEETS_EMULATOR_HOST=" not in line and time.monotonic() < deadline:
            line = process.stderr.readline()
        host_port = line.split("SHEETS_EMULATOR_HOST=", 1)[1].split(")", 1)[0]
        status = requests.get(f"http://{host_port}/_emulator/quotas", timeout=10).json()
        assert status["enabled"] is True
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_project_quota_is_shared_by_accounts_of_one_project(control, emulator_server, spreadsheet):
    from sumo_sheets.emulator.testing import emulator_gspread_client, make_service_account_info

    colleague = "colleague@sumo-test.iam.gserviceaccount.com"
    spreadsheet.share(colleague, perm_type="user", role="reader", notify=False)
    info = make_service_account_info(colleague, f"{emulator_server.url}/token")
    colleague_sheet = emulator_gspread_client(emulator_server.host_port, info).open_by_key(
        spreadsheet.id
    )
    control.post("/quotas", {"read_per_minute": 4})
    spreadsheet.values_get("Sheet1!A1")
    spreadsheet.values_get("Sheet1!A1")
    colleague_sheet.values_get("Sheet1!A1")
    colleague_sheet.values_get("Sheet1!A1")
    with pytest.raises(APIError) as caught:
        colleague_sheet.values_get("Sheet1!A1")  # each account made only two reads
    assert "limit 'Read requests per minute'" in caught.value.error["message"]


def test_concurrent_appends_all_land(emulator_server, owner_info, spreadsheet, control):
    import threading

    from sumo_sheets.emulator.testing import emulator_gspread_client

    spreadsheet.sheet1.append_row(["Header"])

    def append_many(worker: int) -> None:
        client = emulator_gspread_client(emulator_server.host_port, owner_info)
        tab = client.open_by_key(spreadsheet.id).sheet1
        for n in range(10):
            tab.append_row([f"{worker}-{n}"], insert_data_option="INSERT_ROWS")

    threads = [threading.Thread(target=append_many, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    values = control.tab(spreadsheet.id, "Sheet1")["values"]
    assert values[0] == ["Header"]
    assert sorted(v[0] for v in values[1:]) == sorted(
        f"{w}-{n}" for w in range(4) for n in range(10)
    )


def test_importing_the_package_does_no_work():
    code = (
        "import sys, sumo_sheets.emulator, sumo_sheets.emulator.client; "
        "print(sorted(m for m in sys.modules if m.startswith('sumo_sheets.emulator')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "['sumo_sheets.emulator', 'sumo_sheets.emulator.client']"
