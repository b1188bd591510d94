"""The Spreadsheet resource: spreadsheets.get and spreadsheets.create."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import cells as cellmod
from .errors import bad_request
from .metadata import sheet_metadata
from .ranges import parse_range
from .state import Sheet, Spreadsheet, State


def _grid_data(sheet: Sheet, start_row: int, start_col: int, end_row: int, end_col: int) -> dict:
    """GridData for a rectangle, as includeGridData returns it (stopping at the last value)."""
    end_row = min(end_row, max(sheet.used_row_count(), 0))
    data: dict[str, Any] = {}
    if start_row:
        data["startRow"] = start_row
    if start_col:
        data["startColumn"] = start_col
    row_data = []
    for row in range(start_row, end_row):
        line = sheet.cells[row] if row < len(sheet.cells) else []
        values = []
        for col in range(start_col, min(end_col, len(line))):
            cell = line[col]
            cell_data: dict[str, Any] = {}
            entered = cellmod.user_entered_value(cell)
            if entered is not None:
                cell_data["userEnteredValue"] = entered
                if not isinstance(cell, cellmod.Formula):
                    cell_data["effectiveValue"] = entered
                cell_data["formattedValue"] = cellmod.render(cell, cellmod.FORMATTED)
            rule = sheet.validation_at(row, col)
            if rule is not None:
                cell_data["dataValidation"] = rule
            values.append(cell_data)
        while values and not values[-1]:
            values.pop()
        row_data.append({"values": values} if values else {})
    if row_data:
        data["rowData"] = row_data
    return data


def spreadsheet_resource(
    spreadsheet: Spreadsheet,
    include_grid_data: bool = False,
    ranges: Sequence[str] = (),
) -> dict[str, Any]:
    """The Spreadsheet resource; with ranges, only the tabs (and grid data) they name."""
    wanted: dict[str, list[tuple[int, int, int, int]]] = {}
    for range_text in ranges:
        parsed = parse_range(range_text, spreadsheet.titles())
        sheet = spreadsheet.sheet(parsed.title)
        area = parsed.area
        end_row = sheet.row_count if area.end_row is None else area.end_row
        end_col = sheet.column_count if area.end_col is None else area.end_col
        wanted.setdefault(parsed.title, []).append(
            (area.start_row, area.start_col, end_row, end_col)
        )
    sheets = []
    for index, sheet in enumerate(spreadsheet.sheets):
        if ranges and sheet.title not in wanted:
            continue
        entry: dict[str, Any] = {"properties": sheet.properties(index)}
        if include_grid_data:
            boxes = wanted.get(sheet.title) or [(0, 0, sheet.row_count, sheet.column_count)]
            entry["data"] = [_grid_data(sheet, *box) for box in boxes]
        if sheet.developer_metadata:
            entry["developerMetadata"] = sheet_metadata(sheet)
        if sheet.merges:
            entry["merges"] = [m.to_grid_range(sheet.sheet_id) for m in sheet.merges]
        sheets.append(entry)
    return {
        "spreadsheetId": spreadsheet.id,
        "properties": {
            "title": spreadsheet.title,
            "locale": spreadsheet.locale,
            "autoRecalc": "ON_CHANGE",
            "timeZone": spreadsheet.time_zone,
            "defaultFormat": {
                "backgroundColor": {"red": 1, "green": 1, "blue": 1},
                "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
                "verticalAlignment": "BOTTOM",
                "wrapStrategy": "OVERFLOW_CELL",
                "textFormat": {
                    "foregroundColor": {},
                    "fontFamily": "arial,sans,sans-serif",
                    "fontSize": 10,
                    "bold": False,
                    "italic": False,
                    "strikethrough": False,
                    "underline": False,
                },
            },
        },
        "sheets": sheets,
        "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{spreadsheet.id}/edit",
    }


def create_from_request(state: State, owner: str, body: Mapping[str, Any]) -> Spreadsheet:
    """spreadsheets.create: the title, locale, time zone and tabs the body asks for."""
    properties = body.get("properties") or {}
    tabs = []
    used_ids: set[int] = set()
    for number, item in enumerate(body.get("sheets") or [], start=1):
        sheet_properties = (item or {}).get("properties") or {}
        grid = sheet_properties.get("gridProperties") or {}
        sheet_id = sheet_properties.get("sheetId")
        if sheet_id is None:
            sheet_id = 0 if not tabs else 1_000_000 + number
        title = sheet_properties.get("title") or f"Sheet{number}"
        if int(sheet_id) in used_ids or any(t.title.casefold() == title.casefold() for t in tabs):
            raise bad_request(f'Invalid sheets[{number - 1}]: duplicate sheet "{title}"')
        used_ids.add(int(sheet_id))
        tabs.append(
            Sheet(
                sheet_id=int(sheet_id),
                title=title,
                row_count=int(grid.get("rowCount") or 1000),
                column_count=int(grid.get("columnCount") or 26),
                frozen_row_count=int(grid.get("frozenRowCount") or 0),
                frozen_column_count=int(grid.get("frozenColumnCount") or 0),
            )
        )
    return state.create_spreadsheet(
        owner,
        title=properties.get("title") or "Untitled spreadsheet",
        sheets=tabs or None,
        locale=properties.get("locale") or "en_US",
        time_zone=properties.get("timeZone") or "Etc/GMT",
    )
