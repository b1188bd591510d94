"""The spreadsheets.values methods: get, batchGet, update, batchUpdate, append, clear."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import cells as cellmod
from .errors import bad_request
from .ranges import Area, column_letters, format_range, parse_range
from .state import COLUMNS, ROWS, Sheet, Spreadsheet

INSERT_ROWS = "INSERT_ROWS"
OVERWRITE = "OVERWRITE"


def _flag(value: Any) -> bool:
    """A boolean query parameter as Google reads it ("true"/"True"/"1")."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1")


def _major_dimension(value: Any) -> str:
    if value in (None, "", "DIMENSION_UNSPECIFIED"):
        return ROWS
    if value not in (ROWS, COLUMNS):
        raise bad_request(f"Invalid value at 'major_dimension' ({value})")
    return str(value)


def _render_option(value: Any, name: str = "value_render_option") -> str:
    if value in (None, ""):
        return cellmod.FORMATTED
    if value not in cellmod.RENDER_OPTIONS:
        raise bad_request(f"Invalid value at '{name}' ({value})")
    return str(value)


def _input_option(value: Any) -> str:
    if value in (None, ""):
        raise bad_request("'valueInputOption' is required but not specified")
    if value not in cellmod.INPUT_OPTIONS:
        raise bad_request(f"Invalid valueInputOption: {value}")
    return str(value)


def _exceeds_grid(sheet: Sheet, start_row: int, start_col: int, end_row: int, end_col: int):
    """Google's 400 for a range outside the tab's grid (the title is always quoted here)."""
    quoted = "'" + sheet.title.replace("'", "''") + "'"
    cell = format_range(sheet.title, start_row, start_col, end_row, end_col).split("!", 1)[1]
    return bad_request(
        f"Range ({quoted}!{cell}) exceeds grid limits. "
        f"Max rows: {sheet.row_count}, max columns: {sheet.column_count}"
    )


def _read_bounds(sheet: Sheet, area: Area) -> tuple[int, int, int, int]:
    """The closed rectangle a read covers: open ends and overlong ends stop at the grid."""
    end_row = sheet.row_count if area.end_row is None else min(area.end_row, sheet.row_count)
    end_col = sheet.column_count if area.end_col is None else min(area.end_col, sheet.column_count)
    if area.start_row >= sheet.row_count or area.start_col >= sheet.column_count:
        raise _exceeds_grid(
            sheet,
            area.start_row,
            area.start_col,
            area.end_row or area.start_row + 1,
            area.end_col or area.start_col + 1,
        )
    return area.start_row, area.start_col, end_row, end_col


def _trim(lines: list[list[Any]]) -> list[list[Any]]:
    """Drop trailing empty cells of each line, then trailing empty lines, as Google does."""
    trimmed = []
    for line in lines:
        end = len(line)
        while end and line[end - 1] == "":
            end -= 1
        trimmed.append(line[:end])
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    return trimmed


def read_range(
    spreadsheet: Spreadsheet, range_text: str, major: str = ROWS, render: str = cellmod.FORMATTED
) -> dict[str, Any]:
    """A ValueRange: normalized range, majorDimension, and values unless there are none."""
    parsed = parse_range(range_text, spreadsheet.titles())
    sheet = spreadsheet.sheet(parsed.title)
    start_row, start_col, end_row, end_col = _read_bounds(sheet, parsed.area)
    lines = []
    for row in range(start_row, min(end_row, len(sheet.cells))):
        stored = sheet.cells[row][start_col:end_col]
        lines.append([cellmod.render(v, render) for v in stored])
    if major == COLUMNS:
        width = max((len(line) for line in lines), default=0)
        lines = [[line[col] if col < len(line) else "" for line in lines] for col in range(width)]
    result: dict[str, Any] = {
        "range": format_range(sheet.title, start_row, start_col, end_row, end_col),
        "majorDimension": major,
    }
    values = _trim(lines)
    if values:
        result["values"] = values
    return result


def values_get(spreadsheet: Spreadsheet, range_text: str, params: Mapping[str, Any]) -> dict:
    """spreadsheets.values.get."""
    return read_range(
        spreadsheet,
        range_text,
        _major_dimension(params.get("majorDimension")),
        _render_option(params.get("valueRenderOption")),
    )


def values_batch_get(
    spreadsheet: Spreadsheet, ranges: Sequence[str], params: Mapping[str, Any]
) -> dict:
    """spreadsheets.values.batchGet: one ValueRange per requested range, in order."""
    major = _major_dimension(params.get("majorDimension"))
    render = _render_option(params.get("valueRenderOption"))
    result: dict[str, Any] = {"spreadsheetId": spreadsheet.id}
    if ranges:
        result["valueRanges"] = [read_range(spreadsheet, r, major, render) for r in ranges]
    return result


class _Write:
    """One block of values checked against its range and the grid, ready to apply."""

    def __init__(
        self,
        spreadsheet: Spreadsheet,
        range_text: str,
        values: Any,
        major: str,
        option: str,
    ) -> None:
        parsed = parse_range(range_text, spreadsheet.titles())
        self.sheet = spreadsheet.sheet(parsed.title)
        self.area = parsed.area
        self.range_text = range_text
        if values is None:
            values = []
        if not isinstance(values, list) or not all(isinstance(r, list) for r in values):
            raise bad_request("Invalid value at 'data.values': values must be a list of lists")
        if major == COLUMNS:
            height = max((len(c) for c in values), default=0)
            values = [
                [column[row] if row < len(column) else None for column in values]
                for row in range(height)
            ]
        self.cells = [
            [cellmod.parse_input(v, option, f"{i}][{j}") for j, v in enumerate(line)]
            for i, line in enumerate(values)
        ]
        self.rows = len(self.cells)
        self.columns = max((len(line) for line in self.cells), default=0)

    def check_range(self, start_row: int, start_col: int) -> None:
        """Refuse values that spill out of a multi-cell range or off the grid, as Google does."""
        area = self.area
        if not area.single_cell:
            if area.end_row is not None and start_row + self.rows > area.end_row:
                raise bad_request(
                    f"Requested writing within range [{self.range_text}], but tried writing "
                    f"to row [{start_row + self.rows}]"
                )
            if area.end_col is not None and start_col + self.columns > area.end_col:
                raise bad_request(
                    f"Requested writing within range [{self.range_text}], but tried writing "
                    f"to column [{column_letters(start_col + self.columns - 1)}]"
                )
        if start_row + self.rows > self.sheet.row_count or (
            start_col + self.columns > self.sheet.column_count
        ):
            raise _exceeds_grid(
                self.sheet,
                start_row,
                start_col,
                start_row + max(self.rows, 1),
                start_col + max(self.columns, 1),
            )

    def apply(self, start_row: int, start_col: int) -> dict[str, Any]:
        """Write the cells (nulls leave a cell as it was); the update counts Google reports."""
        rows_touched: set[int] = set()
        cols_touched: set[int] = set()
        count = 0
        for i, line in enumerate(self.cells):
            for j, value in enumerate(line):
                if value is cellmod.SKIP:
                    continue
                self.sheet.set(start_row + i, start_col + j, value)  # type: ignore[arg-type]
                rows_touched.add(i)
                cols_touched.add(j)
                count += 1
        end_row = start_row + max(self.rows, 1)
        end_col = start_col + max(self.columns, 1)
        result: dict[str, Any] = {
            "updatedRange": format_range(self.sheet.title, start_row, start_col, end_row, end_col)
        }
        # Google leaves zero counts out of its replies.
        if rows_touched:
            result["updatedRows"] = len(rows_touched)
            result["updatedColumns"] = len(cols_touched)
            result["updatedCells"] = count
        return result


def _updated_data(
    spreadsheet: Spreadsheet, updated_range: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    render = _render_option(params.get("responseValueRenderOption"))
    return read_range(spreadsheet, updated_range, ROWS, render)


def _write_from(
    spreadsheet: Spreadsheet, range_text: str, params: Mapping[str, Any], body: Mapping[str, Any]
) -> _Write:
    """The write a values.update or values.append request asks for (the option checked first)."""
    option = _input_option(params.get("valueInputOption"))
    return _Write(
        spreadsheet,
        range_text,
        body.get("values"),
        _major_dimension(body.get("majorDimension")),
        option,
    )


def values_update(
    spreadsheet: Spreadsheet, range_text: str, params: Mapping[str, Any], body: Mapping[str, Any]
) -> dict:
    """spreadsheets.values.update: write a block at the range's top-left cell."""
    write = _write_from(spreadsheet, range_text, params, body)
    write.check_range(write.area.start_row, write.area.start_col)
    result = {"spreadsheetId": spreadsheet.id}
    result.update(write.apply(write.area.start_row, write.area.start_col))
    if _flag(params.get("includeValuesInResponse", False)):
        result["updatedData"] = _updated_data(spreadsheet, result["updatedRange"], params)
    return result


def values_batch_update(spreadsheet: Spreadsheet, body: Mapping[str, Any]) -> dict:
    """spreadsheets.values.batchUpdate: all blocks are checked before any is written."""
    option = _input_option(body.get("valueInputOption"))
    data = body.get("data") or []
    writes = []
    for item in data:
        write = _Write(
            spreadsheet,
            str(item.get("range", "")),
            item.get("values"),
            _major_dimension(item.get("majorDimension")),
            option,
        )
        write.check_range(write.area.start_row, write.area.start_col)
        writes.append(write)
    responses = []
    totals = {"totalUpdatedRows": 0, "totalUpdatedColumns": 0, "totalUpdatedCells": 0}
    sheets_touched = set()
    for write in writes:
        reply = {"spreadsheetId": spreadsheet.id}
        reply.update(write.apply(write.area.start_row, write.area.start_col))
        if _flag(body.get("includeValuesInResponse") or False):
            reply["updatedData"] = _updated_data(spreadsheet, reply["updatedRange"], body)
        responses.append(reply)
        totals["totalUpdatedRows"] += reply.get("updatedRows", 0)
        totals["totalUpdatedColumns"] += reply.get("updatedColumns", 0)
        totals["totalUpdatedCells"] += reply.get("updatedCells", 0)
        if reply.get("updatedCells"):
            sheets_touched.add(write.sheet.sheet_id)
    result: dict[str, Any] = {"spreadsheetId": spreadsheet.id}
    result.update({k: v for k, v in totals.items() if v})
    if sheets_touched:
        result["totalUpdatedSheets"] = len(sheets_touched)
    if responses:
        result["responses"] = responses
    return result


def _no_table_at_anchor(sheet: Sheet, row: int, first_col: int, last_col: int) -> bool:
    """Whether the anchor cell is empty and so is its row or its column below it."""
    if sheet.get(row, first_col) is not None:
        return False
    if sheet.row_is_empty(row, first_col, last_col):
        return True
    return all(sheet.get(r, first_col) is None for r in range(row, len(sheet.cells)))


def values_append(
    spreadsheet: Spreadsheet, range_text: str, params: Mapping[str, Any], body: Mapping[str, Any]
) -> dict:
    """spreadsheets.values.append, with the emulator's predictable table rule.

    The range's top-left cell is the anchor. If it is empty and so is its row (in the
    searched columns) or its column (from the anchor down), there is no table and the values
    go at the anchor; this is where gspread's insert_row and insert_cols expect them after
    inserting blank rows or columns. Otherwise the table is searched in the range's columns
    (a single-cell range reaches to the right edge of the grid) and the values go right
    after its last non-empty row at or below the anchor: blank rows inside or after the
    table never receive appended rows while anything is typed further down.
    """
    write = _write_from(spreadsheet, range_text, params, body)
    insert_option = params.get("insertDataOption") or OVERWRITE
    if insert_option not in (OVERWRITE, INSERT_ROWS):
        raise bad_request(f"Invalid value at 'insert_data_option' ({insert_option})")
    sheet, area = write.sheet, write.area
    if area.start_row >= sheet.row_count or area.start_col >= sheet.column_count:
        raise _exceeds_grid(sheet, area.start_row, area.start_col, area.start_row + 1, 1)
    first_col = area.start_col
    if area.single_cell or area.end_col is None:
        last_col = sheet.column_count
    else:
        last_col = min(area.end_col, sheet.column_count)

    result: dict[str, Any] = {"spreadsheetId": spreadsheet.id}
    if _no_table_at_anchor(sheet, area.start_row, first_col, last_col):
        target = area.start_row
    else:
        last_row = area.start_row
        table_first_col, table_end_col = last_col, first_col
        for row in range(area.start_row, min(len(sheet.cells), sheet.row_count)):
            line = sheet.cells[row][first_col:last_col]
            used = [i for i, v in enumerate(line) if v is not None]
            if used:
                last_row = row
                table_first_col = min(table_first_col, first_col + used[0])
                table_end_col = max(table_end_col, first_col + used[-1] + 1)
        target = last_row + 1
        result["tableRange"] = format_range(
            sheet.title, area.start_row, table_first_col, target, table_end_col
        )

    if write.rows:
        if insert_option == INSERT_ROWS:
            sheet.insert(ROWS, target, write.rows)
        elif target + write.rows > sheet.row_count:
            sheet.row_count = target + write.rows  # an append grows the grid as needed
        if first_col + write.columns > sheet.column_count:
            sheet.column_count = first_col + write.columns
    updates = {"spreadsheetId": spreadsheet.id}
    updates.update(write.apply(target, first_col))
    if _flag(params.get("includeValuesInResponse", False)):
        updates["updatedData"] = _updated_data(spreadsheet, updates["updatedRange"], params)
    result["updates"] = updates
    return result


def clear_range(spreadsheet: Spreadsheet, range_text: str) -> str:
    """Empty a range's cells (validations and formats stay); the cleared range, normalized."""
    parsed = parse_range(range_text, spreadsheet.titles())
    sheet = spreadsheet.sheet(parsed.title)
    start_row, start_col, end_row, end_col = _read_bounds(sheet, parsed.area)
    sheet.clear_box(start_row, start_col, end_row, end_col)
    return format_range(sheet.title, start_row, start_col, end_row, end_col)


def values_clear(spreadsheet: Spreadsheet, range_text: str) -> dict:
    """spreadsheets.values.clear."""
    return {"spreadsheetId": spreadsheet.id, "clearedRange": clear_range(spreadsheet, range_text)}


def values_batch_clear(spreadsheet: Spreadsheet, body: Mapping[str, Any]) -> dict:
    """spreadsheets.values.batchClear: every range is parsed before any is cleared."""
    ranges = [str(r) for r in body.get("ranges") or []]
    for range_text in ranges:
        parsed = parse_range(range_text, spreadsheet.titles())
        _read_bounds(spreadsheet.sheet(parsed.title), parsed.area)
    cleared = [clear_range(spreadsheet, r) for r in ranges]
    result: dict[str, Any] = {"spreadsheetId": spreadsheet.id}
    if cleared:
        result["clearedRanges"] = cleared
    return result
