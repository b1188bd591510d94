"""spreadsheets.values.*: what real gspread sends and what comes back, as from Google."""

from __future__ import annotations

import pytest
from gspread.exceptions import APIError
from gspread.utils import ValueInputOption, ValueRenderOption


def test_append_row_raw_keeps_formula_text_as_text(ws):
    ws.append_row(["Name", "Role"])
    ws.append_row(["=1+1", "42"])
    assert ws.get_all_values() == [["Name", "Role"], ["=1+1", "42"]]
    # RAW stored text: even the unformatted and formula renderings give the strings back.
    assert ws.get("A2:B2", value_render_option=ValueRenderOption.formula) == [["=1+1", "42"]]
    assert ws.get("A2:B2", value_render_option=ValueRenderOption.unformatted) == [["=1+1", "42"]]


def test_append_row_user_entered_makes_formulas_numbers_and_booleans(ws):
    ws.append_row(
        ["=1+1", "42", "2.50", "true", "'007", "hello"], value_input_option="USER_ENTERED"
    )
    assert ws.get("A1:F1", value_render_option=ValueRenderOption.formula) == [
        ["=1+1", 42, 2.5, True, "007", "hello"]
    ]
    assert ws.get("A1:F1", value_render_option=ValueRenderOption.unformatted) == [
        ["=1+1", 42, 2.5, True, "007", "hello"]
    ]
    assert ws.get("A1:F1") == [["=1+1", "42", "2.5", "TRUE", "007", "hello"]]


def test_json_numbers_and_booleans_are_stored_as_such(ws):
    ws.update([[3, 2.25, False, None, ""]], "A1", raw=True)
    assert ws.get("A1:C1", value_render_option=ValueRenderOption.unformatted) == [[3, 2.25, False]]
    assert ws.get("A1:E1") == [["3", "2.25", "FALSE"]]


def test_null_leaves_a_cell_and_empty_string_clears_it(ws):
    ws.update([["a", "b", "c"]], "A1")
    ws.update([[None, "", "C"]], "A1")
    assert ws.get_all_values() == [["a", "", "C"]]


def test_get_all_records_numericises_and_keys_by_header(ws):
    ws.append_rows([["Name", "Hours"], ["Ann", "2"], ["Bob", "3"]])
    assert ws.get_all_records() == [{"Name": "Ann", "Hours": 2}, {"Name": "Bob", "Hours": 3}]


def test_values_get_trims_trailing_cells_and_rows_but_keeps_inner_blank_rows(api, spreadsheet, ws):
    ws.update([["a", "", "c", "d"], ["", "", "", ""], ["x"], ["y", "z"]], "A1")
    ws.batch_clear(["D1", "A4:B4"])  # emptied cells, not just never-written ones
    reply = api.get(f"{api.sheets}/{spreadsheet.id}/values/Sheet1!A1:E10").json()
    assert reply == {
        "range": "Sheet1!A1:E10",
        "majorDimension": "ROWS",
        "values": [["a", "", "c"], [], ["x"]],
    }


def test_values_are_left_out_when_the_range_is_empty(api, spreadsheet):
    reply = api.get(f"{api.sheets}/{spreadsheet.id}/values/Sheet1!C3:D4").json()
    assert reply == {"range": "Sheet1!C3:D4", "majorDimension": "ROWS"}


def test_open_ranges_are_normalized_to_the_grid(api, spreadsheet, ws):
    ws.update([["a", "b"], ["c", "d"]], "A1")

    def read(range_text):
        response = api.get(f"{api.sheets}/{spreadsheet.id}/values/{range_text}")
        return response.json()

    assert read("Sheet1")["range"] == "Sheet1!A1:Z1000"
    assert read("Sheet1!A:B") == {
        "range": "Sheet1!A1:B1000",
        "majorDimension": "ROWS",
        "values": [["a", "b"], ["c", "d"]],
    }
    assert read("Sheet1!A2:F")["range"] == "Sheet1!A2:F1000"
    assert read("Sheet1!A2:F")["values"] == [["c", "d"]]
    assert read("Sheet1!2:5")["range"] == "Sheet1!A2:Z5"
    assert read("Sheet1!B1")["range"] == "Sheet1!B1"
    assert read("Sheet1!A1:C5000")["range"] == "Sheet1!A1:C1000"
    # No sheet name: the first tab.
    assert read("B1:B2") == {
        "range": "Sheet1!B1:B2",
        "majorDimension": "ROWS",
        "values": [["b"], ["d"]],
    }


def test_columns_major_dimension(api, spreadsheet, ws):
    ws.update([["a", "b"], ["c"]], "A1")
    reply = api.get(
        f"{api.sheets}/{spreadsheet.id}/values/Sheet1!A1:C3", params={"majorDimension": "COLUMNS"}
    ).json()
    assert reply["values"] == [["a", "c"], ["b"]]
    ws.update([["x", "y"]], "D1", major_dimension="COLUMNS")
    assert ws.get("D1:D2") == [["x"], ["y"]]


def test_quoted_titles_with_spaces_and_apostrophes(spreadsheet):
    tab = spreadsheet.add_worksheet("Ann's weekly tab", rows=20, cols=5)
    tab.update([["one", "two"]], "A1")
    tab.append_row(["three", "four"])
    assert tab.get_all_values() == [["one", "two"], ["three", "four"]]
    ranges = spreadsheet.values_batch_get(["'Ann''s weekly tab'!B1:B2"])["valueRanges"]
    assert ranges == [
        {
            "range": "'Ann''s weekly tab'!B1:B2",
            "majorDimension": "ROWS",
            "values": [["two"], ["four"]],
        }
    ]


def test_update_a1_range_reply_like_google(ws, spreadsheet):
    reply = ws.update([["a", "b"], ["c", "d"]], "B2:D9")
    assert reply == {
        "spreadsheetId": spreadsheet.id,
        "updatedRange": "Sheet1!B2:C3",
        "updatedRows": 2,
        "updatedColumns": 2,
        "updatedCells": 4,
    }


def test_update_cell_is_user_entered(ws):
    ws.update_cell(2, 3, "=A1")
    ws.update_cell(1, 1, "5")
    assert ws.cell(2, 3, value_render_option=ValueRenderOption.formula).value == "=A1"
    assert ws.get("A1", value_render_option=ValueRenderOption.unformatted) == [[5]]


def test_update_past_the_grid_is_refused_like_google(ws):
    with pytest.raises(APIError) as caught:
        ws.update([["x"], ["y"]], "A1000")
    assert caught.value.code == 400
    assert caught.value.error["status"] == "INVALID_ARGUMENT"
    assert caught.value.error["message"] == (
        "Range ('Sheet1'!A1000:A1001) exceeds grid limits. Max rows: 1000, max columns: 26"
    )
    assert ws.get("A1000") == [[]]  # gspread's spelling of a reply without values


def test_update_spilling_out_of_its_range_is_refused(ws):
    with pytest.raises(APIError) as caught:
        ws.update([["a", "b", "c"]], "A1:B1")
    assert caught.value.code == 400
    assert "but tried writing to column [C]" in caught.value.error["message"]


def test_update_requires_value_input_option(api, spreadsheet):
    response = api.put(f"{api.sheets}/{spreadsheet.id}/values/A1", json={"values": [["x"]]})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "'valueInputOption' is required but not specified"
    )


def test_batch_get_and_batch_update(ws, spreadsheet):
    reply = ws.batch_update(
        [{"range": "A1:B1", "values": [["a", "b"]]}, {"range": "D4", "values": [["=2*2"]]}],
        value_input_option=ValueInputOption.user_entered,
    )
    assert reply["totalUpdatedCells"] == 3
    assert [r["updatedRange"] for r in reply["responses"]] == ["Sheet1!A1:B1", "Sheet1!D4"]
    got = ws.batch_get(["A1:B1", "D4", "F9"])
    assert [list(v) for v in got] == [[["a", "b"]], [["=2*2"]], []]
    assert [v.range for v in got] == ["Sheet1!A1:B1", "Sheet1!D4", "Sheet1!F9"]


def test_batch_update_is_all_or_nothing_when_a_range_is_bad(ws):
    with pytest.raises(APIError) as caught:
        ws.spreadsheet.values_batch_update(
            {
                "valueInputOption": "RAW",
                "data": [
                    {"range": "Sheet1!A1", "values": [["written?"]]},
                    {"range": "Nope!A1", "values": [["x"]]},
                ],
            }
        )
    assert caught.value.code == 400
    assert ws.get_all_values() == [[]]


def test_clear_and_batch_clear(ws, spreadsheet):
    ws.update([["a", "b", "c"], ["d", "e", "f"]], "A1")
    ws.batch_clear(["A1", "C1:C2"])
    assert ws.get_all_values() == [["", "b"], ["d", "e"]]
    reply = spreadsheet.values_clear("Sheet1!A2:B2")
    assert reply == {"spreadsheetId": spreadsheet.id, "clearedRange": "Sheet1!A2:B2"}
    ws.clear()
    assert ws.get_all_values() == [[]]
    assert ws.get_all_records() == []


def test_unknown_tab_in_a_range_is_a_400(ws, spreadsheet):
    with pytest.raises(APIError) as caught:
        spreadsheet.values_get("Nope!A1:B2")
    assert caught.value.code == 400
    assert caught.value.error == {
        "code": 400,
        "message": "Unable to parse range: Nope!A1:B2",
        "status": "INVALID_ARGUMENT",
    }


def test_reading_from_past_the_grid_is_a_400(spreadsheet):
    with pytest.raises(APIError) as caught:
        spreadsheet.values_get("Sheet1!A2000")
    assert "exceeds grid limits" in caught.value.error["message"]


# -- values.append ----------------------------------------------------------------------


def test_append_reply_like_google(spreadsheet, ws):
    first = spreadsheet.values_append(
        "Sheet1!A1", {"valueInputOption": "RAW"}, {"values": [["Name", "Role", "Hours"]]}
    )
    assert first == {
        "spreadsheetId": spreadsheet.id,
        "updates": {
            "spreadsheetId": spreadsheet.id,
            "updatedRange": "Sheet1!A1:C1",
            "updatedRows": 1,
            "updatedColumns": 3,
            "updatedCells": 3,
        },
    }
    second = spreadsheet.values_append(
        "Sheet1!A1",
        {"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"},
        {"values": [["Ann", "helper", "2"], ["Bob", "lead"]]},
    )
    assert second["tableRange"] == "Sheet1!A1:C1"
    assert second["updates"] == {
        "spreadsheetId": spreadsheet.id,
        "updatedRange": "Sheet1!A2:C3",
        "updatedRows": 2,
        "updatedColumns": 3,
        "updatedCells": 5,
    }


def test_append_never_overwrites_a_row_typed_below_blank_rows(spreadsheet, ws, control):
    ws.update([["Name", "Role"], ["Ann", "helper"]], "A1")
    ws.update([["typed by hand", "below a gap"]], "A6")
    for option in ("INSERT_ROWS", "OVERWRITE"):
        reply = spreadsheet.values_append(
            "'Sheet1'!A1",
            {"valueInputOption": "RAW", "insertDataOption": option},
            {"values": [[f"new {option}", "x"]]},
        )
        assert reply["tableRange"].startswith("Sheet1!A1:B")
    values = control.tab(spreadsheet.id, "Sheet1")["values"]
    assert values == [
        ["Name", "Role"],
        ["Ann", "helper"],
        [],
        [],
        [],
        ["typed by hand", "below a gap"],
        ["new INSERT_ROWS", "x"],
        ["new OVERWRITE", "x"],
    ]


def test_insert_rows_shifts_cells_outside_the_table_but_overwrite_does_not(
    spreadsheet, ws, control
):
    ws.update([["Name", "Role"], ["Ann", "helper"]], "A1")
    ws.update([["note"]], "D3")
    spreadsheet.values_append(
        "Sheet1!A:B",
        {"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"},
        {"values": [["Bob", "lead"]]},
    )
    tab = control.tab(spreadsheet.id, "Sheet1")
    assert tab["values"] == [
        ["Name", "Role"],
        ["Ann", "helper"],
        ["Bob", "lead"],
        ["", "", "", "note"],
    ]
    assert tab["rowCount"] == 1001
    spreadsheet.values_append(
        "Sheet1!A:B",
        {"valueInputOption": "RAW", "insertDataOption": "OVERWRITE"},
        {"values": [["Cy", "helper"]]},
    )
    tab = control.tab(spreadsheet.id, "Sheet1")
    assert tab["values"][3] == ["Cy", "helper", "", "note"]
    assert tab["rowCount"] == 1001


def test_append_to_an_empty_sheet_starts_at_the_anchor_without_table_range(spreadsheet):
    reply = spreadsheet.values_append("Sheet1!B3", {"valueInputOption": "RAW"}, {"values": [["x"]]})
    assert "tableRange" not in reply
    assert reply["updates"]["updatedRange"] == "Sheet1!B3"


def test_append_grows_a_full_grid(spreadsheet, control):
    tab = spreadsheet.add_worksheet("Tiny", rows=2, cols=2)
    tab.append_rows([["a", "b"], ["c", "d"]])
    tab.append_row(["e", "f", "g"])  # OVERWRITE by default: grows rows and columns as needed
    dumped = control.tab(spreadsheet.id, "Tiny")
    assert (dumped["rowCount"], dumped["columnCount"]) == (3, 3)
    assert tab.get_all_values() == [["a", "b", ""], ["c", "d", ""], ["e", "f", "g"]]


def test_append_requires_value_input_option(api, spreadsheet):
    response = api.post(
        f"{api.sheets}/{spreadsheet.id}/values/Sheet1!A1:append", json={"values": [["x"]]}
    )
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_insert_row_through_gspread_lands_at_its_index(ws):
    ws.append_rows([["Name"], ["Ann"], ["Bob"]])
    ws.insert_row(["Zed"], index=2)
    ws.insert_row(["Top"], index=1)
    assert ws.get_all_values() == [["Top"], ["Name"], ["Zed"], ["Ann"], ["Bob"]]
    assert ws.spreadsheet.worksheet("Sheet1").row_count == 1002


def test_insert_cols_through_gspread_lands_at_its_index(ws):
    ws.update([["ID", "Name"], ["1", "Ann"], ["2", "Bob"]], "A1")
    ws.insert_cols([["Notes", "thanks!"]], col=2)
    assert ws.get_all_values() == [
        ["ID", "Notes", "Name"],
        ["1", "thanks!", "Ann"],
        ["2", "", "Bob"],
    ]


def test_append_with_an_empty_anchor_cell_still_finds_the_table_below(ws, spreadsheet):
    # A coordinator cleared A1, but the ID column below it still has rows.
    ws.update([["", "Name"], ["1", "Ann"], ["2", "Bob"]], "A1")
    reply = spreadsheet.values_append(
        "Sheet1!A1", {"valueInputOption": "RAW"}, {"values": [["3", "Cy"]]}
    )
    assert reply["updates"]["updatedRange"] == "Sheet1!A4:B4"
