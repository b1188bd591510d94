"""Developer metadata at a tab's location, as the Sheets API documents it (docs/emulator.md)."""

from __future__ import annotations

import pytest
from gspread.exceptions import APIError


def _tag(spreadsheet, sheet_id, key="app.tab", value="Signups", **extra):
    metadata = {
        "metadataKey": key,
        "metadataValue": value,
        "location": {"sheetId": sheet_id},
        "visibility": "DOCUMENT",
        **extra,
    }
    reply = spreadsheet.batch_update(
        {"requests": [{"createDeveloperMetadata": {"developerMetadata": metadata}}]}
    )
    return reply["replies"][0]["createDeveloperMetadata"]["developerMetadata"]


def _metadata(spreadsheet):
    fields = "sheets(properties(sheetId,title),developerMetadata)"
    return spreadsheet.fetch_sheet_metadata(params={"fields": fields})["sheets"]


def test_created_metadata_is_returned_with_its_location_and_a_positive_id(spreadsheet, ws):
    made = _tag(spreadsheet, ws.id)
    assert made["metadataId"] > 0
    assert made == {
        "metadataId": made["metadataId"],
        "metadataKey": "app.tab",
        "metadataValue": "Signups",
        "location": {"locationType": "SHEET", "sheetId": ws.id},
        "visibility": "DOCUMENT",
    }
    assert _metadata(spreadsheet) == [
        {"properties": {"sheetId": ws.id, "title": "Sheet1"}, "developerMetadata": [made]}
    ]


def test_a_tab_without_metadata_has_no_developer_metadata_field(spreadsheet, ws):
    assert "developerMetadata" not in _metadata(spreadsheet)[0]


def test_metadata_stays_with_a_renamed_and_moved_tab(spreadsheet, ws):
    made = _tag(spreadsheet, ws.id)
    other = spreadsheet.add_worksheet("Other", 10, 5)
    ws.update_title("Sign-ups 2026")
    ws.update_index(1)
    tabs = {t["properties"]["title"]: t for t in _metadata(spreadsheet)}
    assert tabs["Sign-ups 2026"]["developerMetadata"] == [made]
    assert "developerMetadata" not in tabs[other.title]


def test_metadata_goes_with_a_deleted_tab(spreadsheet, ws, api):
    other = spreadsheet.add_worksheet("Other", 10, 5)
    made = _tag(spreadsheet, other.id)
    spreadsheet.del_worksheet(other)
    assert ["developerMetadata" in t for t in _metadata(spreadsheet)] == [False]
    reply = api.get(f"{api.sheets}/{spreadsheet.id}/developerMetadata/{made['metadataId']}")
    assert reply.status_code == 404


def test_a_duplicated_tab_does_not_carry_the_metadata_in_the_emulator(spreadsheet, ws):
    made = _tag(spreadsheet, ws.id)
    copy = spreadsheet.duplicate_sheet(ws.id)
    tabs = {t["properties"]["sheetId"]: t for t in _metadata(spreadsheet)}
    assert tabs[ws.id]["developerMetadata"] == [made]
    assert "developerMetadata" not in tabs[copy.id]


def test_developer_metadata_get_by_id(spreadsheet, ws, api, control):
    made = _tag(spreadsheet, ws.id)
    reply = api.get(f"{api.sheets}/{spreadsheet.id}/developerMetadata/{made['metadataId']}")
    assert reply.status_code == 200
    assert reply.json() == made
    assert control.get("/requests")["spreadsheets.developerMetadata.get"] == 1


def test_an_id_may_be_given_but_not_twice(spreadsheet, ws):
    assert _tag(spreadsheet, ws.id, metadataId=77)["metadataId"] == 77
    with pytest.raises(APIError) as caught:
        _tag(spreadsheet, ws.id, metadataId=77)
    assert caught.value.code == 400


@pytest.mark.parametrize(
    "change", [{"metadataKey": ""}, {"visibility": None}, {"location": {"spreadsheet": True}}]
)
def test_a_key_a_visibility_and_a_tab_location_are_required(spreadsheet, ws, change):
    metadata = {
        "metadataKey": "k",
        "location": {"sheetId": ws.id},
        "visibility": "DOCUMENT",
        **change,
    }
    with pytest.raises(APIError) as caught:
        spreadsheet.batch_update(
            {"requests": [{"createDeveloperMetadata": {"developerMetadata": metadata}}]}
        )
    assert caught.value.code == 400
    assert "developerMetadata" not in _metadata(spreadsheet)[0]


def test_delete_by_a_lookup_on_the_key(spreadsheet, ws):
    made = _tag(spreadsheet, ws.id)
    _tag(spreadsheet, ws.id, key="other")
    reply = spreadsheet.batch_update(
        {
            "requests": [
                {
                    "deleteDeveloperMetadata": {
                        "dataFilter": {"developerMetadataLookup": {"metadataKey": "app.tab"}}
                    }
                }
            ]
        }
    )
    assert reply["replies"][0]["deleteDeveloperMetadata"]["deletedDeveloperMetadata"] == [made]
    assert [m["metadataKey"] for m in _metadata(spreadsheet)[0]["developerMetadata"]] == ["other"]


def test_metadata_survives_a_state_file_round_trip(tmp_path):
    from sumo_sheets.emulator.state import Sheet

    sheet = Sheet(sheet_id=5, title="Signups")
    sheet.developer_metadata.append(
        {"metadataId": 9, "metadataKey": "k", "metadataValue": "v", "visibility": "DOCUMENT"}
    )
    assert Sheet.from_json(sheet.to_json()).developer_metadata == sheet.developer_metadata
