"""spreadsheets.get, spreadsheets.create and spreadsheets.batchUpdate through real gspread."""

from __future__ import annotations

import pytest
from gspread.exceptions import APIError, WorksheetNotFound
from gspread.utils import ValidationConditionType


def test_client_create_makes_a_google_like_spreadsheet(gc, spreadsheet, api):
    metadata = api.get(f"{api.sheets}/{spreadsheet.id}", params={"includeGridData": "false"}).json()
    assert metadata["spreadsheetId"] == spreadsheet.id
    assert len(spreadsheet.id) == 44
    assert metadata["properties"]["title"] == spreadsheet.title
    assert metadata["properties"]["locale"] == "en_US"
    assert "timeZone" in metadata["properties"]
    assert metadata["sheets"] == [
        {
            "properties": {
                "sheetId": 0,
                "title": "Sheet1",
                "index": 0,
                "sheetType": "GRID",
                "gridProperties": {"rowCount": 1000, "columnCount": 26},
            }
        }
    ]
    assert gc.open_by_key(spreadsheet.id).title == spreadsheet.title


def test_spreadsheets_create_with_tabs(api, control):
    reply = api.post(
        api.sheets,
        json={
            "properties": {"title": "Made by the Sheets API", "timeZone": "America/Los_Angeles"},
            "sheets": [
                {"properties": {"title": "Signups", "gridProperties": {"rowCount": 50}}},
                {"properties": {"title": "Settings"}},
            ],
        },
    ).json()
    assert reply["properties"]["timeZone"] == "America/Los_Angeles"
    assert [s["properties"]["title"] for s in reply["sheets"]] == ["Signups", "Settings"]
    assert reply["sheets"][0]["properties"]["gridProperties"]["rowCount"] == 50
    assert control.counts()["spreadsheets.create"] == 1


def test_add_worksheet_worksheet_and_del_worksheet(spreadsheet):
    tab = spreadsheet.add_worksheet("Signups", rows=100, cols=10)
    assert (tab.title, tab.row_count, tab.col_count, tab.index) == ("Signups", 100, 10, 1)
    assert tab.id != 0
    assert spreadsheet.worksheet("Signups").id == tab.id
    front = spreadsheet.add_worksheet("Front", rows=5, cols=5, index=0)
    assert [w.title for w in spreadsheet.worksheets()] == ["Front", "Sheet1", "Signups"]
    assert front.index == 0
    spreadsheet.del_worksheet(tab)
    with pytest.raises(WorksheetNotFound):
        spreadsheet.worksheet("Signups")


def test_add_sheet_refuses_a_title_taken_in_another_case(spreadsheet):
    spreadsheet.add_worksheet("Signups", rows=10, cols=5)
    with pytest.raises(APIError) as caught:
        spreadsheet.add_worksheet("signups", rows=10, cols=5)
    assert caught.value.code == 400
    assert caught.value.error["message"] == (
        'Invalid requests[0].addSheet: A sheet with the name "signups" already exists. '
        "Please enter another name."
    )


def test_the_last_sheet_cannot_be_deleted(spreadsheet, ws):
    with pytest.raises(APIError) as caught:
        spreadsheet.del_worksheet(ws)
    assert "You can't remove all the sheets in a document." in caught.value.error["message"]


def test_freeze_resize_and_rename(spreadsheet, ws, control):
    ws.freeze(rows=1)
    ws.resize(rows=20, cols=4)
    ws.update_title("Renamed")
    tab = control.tab(spreadsheet.id, "Renamed")
    assert (tab["frozenRowCount"], tab["rowCount"], tab["columnCount"]) == (1, 20, 4)
    properties = spreadsheet.worksheet("Renamed")._properties
    assert properties["gridProperties"] == {"rowCount": 20, "columnCount": 4, "frozenRowCount": 1}
    # The dotted field-mask spelling works as well as gspread's slashes.
    spreadsheet.batch_update(
        {
            "requests": [
                {
                    "updateSheetProperties": {
                        "properties": {"sheetId": ws.id, "gridProperties": {"frozenRowCount": 2}},
                        "fields": "gridProperties.frozenRowCount",
                    }
                }
            ]
        }
    )
    assert control.tab(spreadsheet.id, "Renamed")["frozenRowCount"] == 2


def test_the_fields_mask_limits_what_changes(spreadsheet, ws, control):
    spreadsheet.batch_update(
        {
            "requests": [
                {
                    "updateSheetProperties": {
                        "properties": {
                            "sheetId": ws.id,
                            "title": "Ignored",
                            "index": 0,
                            "gridProperties": {"rowCount": 7, "frozenRowCount": 3},
                        },
                        "fields": "gridProperties/rowCount",
                    }
                }
            ]
        }
    )
    tab = control.tab(spreadsheet.id, "Sheet1")
    assert (tab["rowCount"], tab["frozenRowCount"]) == (7, 0)


def test_resize_drops_cells_outside_the_new_grid(ws):
    ws.update([["a", "b"], ["c", "d"]], "A1")
    ws.resize(rows=1, cols=1)
    ws.resize(rows=10, cols=10)
    assert ws.get_all_values() == [["a"]]


def test_insert_and_delete_rows_keep_grid_size_and_validations_in_step(spreadsheet, ws, control):
    ws.update([["Name", "Role"], ["Ann", "helper"], ["Bob", "lead"], ["Cy", "helper"]], "A1")
    ws.freeze(rows=1)
    ws.add_validation(
        "B2:B", ValidationConditionType.one_of_list, ["helper", "lead"], showCustomUi=True
    )
    ws.delete_rows(2, 3)
    tab = control.tab(spreadsheet.id, "Sheet1")
    assert tab["values"] == [["Name", "Role"], ["Cy", "helper"]]
    assert tab["rowCount"] == 998
    assert tab["dataValidations"][0]["range"] == "Sheet1!B2:B998"
    spreadsheet.batch_update(
        {
            "requests": [
                {
                    "insertDimension": {
                        "range": {
                            "sheetId": ws.id,
                            "dimension": "ROWS",
                            "startIndex": 0,
                            "endIndex": 2,
                        }
                    }
                }
            ]
        }
    )
    tab = control.tab(spreadsheet.id, "Sheet1")
    assert tab["values"] == [[], [], ["Name", "Role"], ["Cy", "helper"]]
    assert (tab["rowCount"], tab["frozenRowCount"]) == (1000, 3)
    assert tab["dataValidations"][0]["gridRange"] == {
        "sheetId": ws.id,
        "startRowIndex": 3,
        "startColumnIndex": 1,
        "endColumnIndex": 2,
    }


def test_deleting_rows_that_do_not_exist_is_refused(ws):
    with pytest.raises(APIError) as caught:
        ws.delete_rows(999, 1001)
    assert caught.value.code == 400
    assert "Cannot delete a row that doesn't exist" in caught.value.error["message"]


def test_columns_insert_delete_move_and_append(spreadsheet, ws, control):
    ws.update([["a", "b", "c"]], "A1")

    def run(request):
        spreadsheet.batch_update({"requests": [request]})

    cols = {"sheetId": ws.id, "dimension": "COLUMNS"}
    run({"insertDimension": {"range": {**cols, "startIndex": 1, "endIndex": 2}}})
    assert ws.get_all_values() == [["a", "", "b", "c"]]
    run({"deleteDimension": {"range": {**cols, "startIndex": 1, "endIndex": 2}}})
    assert ws.get_all_values() == [["a", "b", "c"]]
    run(
        {
            "moveDimension": {
                "source": {**cols, "startIndex": 0, "endIndex": 1},
                "destinationIndex": 3,
            }
        }
    )
    assert ws.get_all_values() == [["b", "c", "a"]]
    run({"appendDimension": {"sheetId": ws.id, "dimension": "COLUMNS", "length": 4}})
    assert control.tab(spreadsheet.id, "Sheet1")["columnCount"] == 30


def test_a_column_moves_past_the_end_of_rows_shorter_than_the_destination(spreadsheet, ws):
    # The second row has nothing past B: its moved cell still lands in column D, as in Sheets.
    ws.update([["a", "b", "c", "d"], ["1", "2"]], "A1")
    move = {
        "source": {"sheetId": ws.id, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1},
        "destinationIndex": 4,
    }
    spreadsheet.batch_update({"requests": [{"moveDimension": move}]})
    assert ws.get_all_values() == [["b", "c", "d", "a"], ["2", "", "", "1"]]


def test_move_rows(spreadsheet, ws):
    ws.update([["1"], ["2"], ["3"], ["4"]], "A1")
    spreadsheet.batch_update(
        {
            "requests": [
                {
                    "moveDimension": {
                        "source": {
                            "sheetId": ws.id,
                            "dimension": "ROWS",
                            "startIndex": 3,
                            "endIndex": 4,
                        },
                        "destinationIndex": 1,
                    }
                }
            ]
        }
    )
    assert ws.col_values(1) == ["1", "4", "2", "3"]


def test_sort_with_several_specs_keeps_the_frozen_header(ws):
    ws.update(
        [
            ["Name", "Role", "Hours"],
            ["bob", "helper", "2"],
            ["Ann", "lead", "1"],
            ["cy", "helper", "5"],
            ["Dee", "lead", "3"],
            ["", "", "9"],
        ],
        "A1",
        raw=False,
    )
    ws.freeze(rows=1)
    ws.sort((2, "asc"), (3, "des"))
    assert ws.get_all_values() == [
        ["Name", "Role", "Hours"],
        ["cy", "helper", "5"],
        ["bob", "helper", "2"],
        ["Dee", "lead", "3"],
        ["Ann", "lead", "1"],
        ["", "", "9"],  # blanks sort last whichever the order
    ]
    ws.sort((1, "asc"), range="A2:C5")
    assert ws.col_values(1) == ["Name", "Ann", "bob", "cy", "Dee"]


def test_sort_puts_numbers_before_text(ws):
    ws.update([["b"], [10], ["a"], [2]], "A1")
    ws.sort((1, "asc"))
    assert ws.col_values(1) == ["2", "10", "a", "b"]


def test_set_data_validation_is_stored_for_inspection(spreadsheet, ws, control, api):
    ws.add_validation(
        "C2:C10", ValidationConditionType.one_of_list, ["helper", "lead"], strict=True
    )
    rule = control.tab(spreadsheet.id, "Sheet1")["dataValidations"][0]
    assert rule["range"] == "Sheet1!C2:C10"
    assert rule["rule"] == {
        "condition": {
            "type": "ONE_OF_LIST",
            "values": [{"userEnteredValue": "helper"}, {"userEnteredValue": "lead"}],
        },
        "showCustomUi": False,
        "strict": True,
    }
    # Google's own view: the rule appears on the cells in grid data.
    ws.update([["x"]], "C3")
    grid = api.get(
        f"{api.sheets}/{spreadsheet.id}", params={"includeGridData": "true", "ranges": "Sheet1!C3"}
    ).json()
    cell = grid["sheets"][0]["data"][0]["rowData"][0]["values"][0]
    assert cell["formattedValue"] == "x"
    assert cell["dataValidation"]["condition"]["type"] == "ONE_OF_LIST"


def test_formatting_requests_are_accepted_and_ignored(spreadsheet, ws):
    ws.format("A1:B1", {"textFormat": {"bold": True}})
    ws.columns_auto_resize(0, 3)
    reply = spreadsheet.batch_update(
        {
            "requests": [
                {"updateBorders": {"range": {"sheetId": ws.id}, "top": {"style": "SOLID"}}},
                {
                    "addConditionalFormatRule": {
                        "rule": {"ranges": [{"sheetId": ws.id}], "booleanRule": {}},
                        "index": 0,
                    }
                },
                {
                    "updateDimensionProperties": {
                        "range": {"sheetId": ws.id, "dimension": "COLUMNS"},
                        "properties": {"pixelSize": 120},
                        "fields": "pixelSize",
                    }
                },
            ]
        }
    )
    assert reply == {"spreadsheetId": spreadsheet.id, "replies": [{}, {}, {}]}


def test_merge_cells_are_reported_in_metadata(spreadsheet, ws):
    ws.merge_cells("A1:B2")
    sheet = spreadsheet.fetch_sheet_metadata()["sheets"][0]
    assert sheet["merges"] == [{"sheetId": 0, "endRowIndex": 2, "endColumnIndex": 2}]


def test_unknown_request_kind_is_a_google_400_and_nothing_is_applied(spreadsheet, ws):
    with pytest.raises(APIError) as caught:
        spreadsheet.batch_update(
            {
                "requests": [
                    {"addSheet": {"properties": {"title": "Never"}}},
                    {"frobnicate": {}},
                ]
            }
        )
    assert caught.value.code == 400
    assert caught.value.error["status"] == "INVALID_ARGUMENT"
    assert caught.value.error["message"] == (
        "Invalid JSON payload received. Unknown name \"frobnicate\" at 'requests[1]': "
        "Cannot find field."
    )
    assert [w.title for w in spreadsheet.worksheets()] == ["Sheet1"]


def test_a_missing_sheet_id_is_refused(spreadsheet):
    with pytest.raises(APIError) as caught:
        spreadsheet.batch_update({"requests": [{"deleteSheet": {"sheetId": 12345}}]})
    assert (
        caught.value.error["message"] == "Invalid requests[0].deleteSheet: No grid with id: 12345"
    )


def test_duplicate_sheet_and_spreadsheet_title(spreadsheet, ws):
    ws.update([["copied"]], "A1")
    copy = spreadsheet.duplicate_sheet(ws.id, new_sheet_name="Copy")
    assert copy.get_all_values() == [["copied"]]
    spreadsheet.update_title("New title")
    assert spreadsheet.fetch_sheet_metadata()["properties"]["title"] == "New title"


def test_fields_mask_trims_the_reply_like_googles_partial_responses(api, spreadsheet):
    reply = api.get(
        f"{api.sheets}/{spreadsheet.id}", params={"fields": "sheets.properties(sheetId,title)"}
    ).json()
    assert reply == {"sheets": [{"properties": {"sheetId": 0, "title": "Sheet1"}}]}
    reply = api.get(
        f"{api.sheets}/{spreadsheet.id}", params={"fields": "spreadsheetId,properties/title"}
    ).json()
    assert reply == {"spreadsheetId": spreadsheet.id, "properties": {"title": spreadsheet.title}}


def test_row_values_and_col_values(ws):
    ws.update([["a", "b", "c"], ["d"]], "A1")
    assert ws.row_values(1) == ["a", "b", "c"]
    assert ws.col_values(1) == ["a", "d"]
    assert ws.acell("B1").value == "b"


def test_a_malformed_request_body_is_a_400_not_a_crash(api, spreadsheet):
    response = api.post(
        f"{api.sheets}/{spreadsheet.id}:batchUpdate",
        json={
            "requests": [{"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": "x"}}]
        },
    )
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
