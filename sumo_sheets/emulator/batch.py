"""spreadsheets.batchUpdate: the request kinds the emulator applies, accepts, or refuses."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from . import cells as cellmod
from . import metadata
from .errors import ApiError, bad_request
from .state import COLUMNS, ROWS, GridBox, Sheet, Spreadsheet, State

# Formatting and presentation: accepted (the sheet ids they name are checked) and ignored.
IGNORED_KINDS = frozenset(
    {
        "repeatCell",
        "updateBorders",
        "autoResizeDimensions",
        "addConditionalFormatRule",
        "updateConditionalFormatRule",
        "deleteConditionalFormatRule",
        "updateDimensionProperties",
        "setBasicFilter",
        "clearBasicFilter",
        "addBanding",
        "updateBanding",
        "deleteBanding",
    }
)

# Every other request kind Google knows; these get a 400 naming the emulator's limitation.
UNSUPPORTED_KINDS = frozenset(
    {
        "updateNamedRange",
        "addNamedRange",
        "deleteNamedRange",
        "autoFill",
        "cutPaste",
        "copyPaste",
        "addFilterView",
        "appendCells",
        "deleteEmbeddedObject",
        "deleteFilterView",
        "duplicateFilterView",
        "findReplace",
        "insertRange",
        "updateEmbeddedObjectPosition",
        "pasteData",
        "textToColumns",
        "updateFilterView",
        "deleteRange",
        "addProtectedRange",
        "updateProtectedRange",
        "deleteProtectedRange",
        "addChart",
        "updateChartSpec",
        "updateDeveloperMetadata",
        "randomizeRange",
        "addDimensionGroup",
        "deleteDimensionGroup",
        "updateDimensionGroup",
        "trimWhitespace",
        "deleteDuplicates",
        "updateEmbeddedObjectBorder",
        "addSlicer",
        "updateSlicerSpec",
        "addDataSource",
        "updateDataSource",
        "deleteDataSource",
        "refreshDataSource",
        "cancelDataSourceRefresh",
        "addTable",
        "updateTable",
        "deleteTable",
    }
)

_TYPE_ORDER = {"number": 0, "text": 1, "bool": 2}


class _Context:
    """What a request handler needs: the spreadsheet being changed, the state, the prefix."""

    def __init__(self, state: State, spreadsheet: Spreadsheet, index: int, kind: str) -> None:
        self.state = state
        self.spreadsheet = spreadsheet
        self.where = f"Invalid requests[{index}].{kind}"

    def error(self, detail: str) -> ApiError:
        return bad_request(f"{self.where}: {detail}")

    def sheet(self, sheet_id: Any) -> Sheet:
        """The tab with this id (a missing id means 0, as in Google's protos)."""
        sheet = self.spreadsheet.sheet_by_id(int(sheet_id or 0))
        if sheet is None:
            raise self.error(f"No grid with id: {int(sheet_id or 0)}")
        return sheet


def _without_nulls(value: Any) -> Any:
    """Drop JSON nulls the way Google's proto parsing does."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _field_paths(fields: Any) -> list[str]:
    """A FieldMask as a list of dotted paths ("a/b" is read as "a.b")."""
    return [p.strip().replace("/", ".") for p in str(fields or "").split(",") if p.strip()]


def _flatten(properties: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} -> {"a.b": 1}, for applying "*" field masks."""
    flat = {}
    for key, value in properties.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and key == "gridProperties":
            flat.update(_flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


def _lookup(properties: Mapping[str, Any], path: str) -> Any:
    value: Any = properties
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _dimension(ctx: _Context, value: Any) -> str:
    if value not in (ROWS, COLUMNS):
        raise ctx.error(f"Invalid dimension: {value}")
    return str(value)


def _count(sheet: Sheet, dimension: str) -> int:
    return sheet.row_count if dimension == ROWS else sheet.column_count


def _dimension_range(ctx: _Context, data: Mapping[str, Any]) -> tuple[Sheet, str, int, int]:
    """A DimensionRange checked against the grid: (sheet, dimension, start, end)."""
    sheet = ctx.sheet(data.get("sheetId"))
    dimension = _dimension(ctx, data.get("dimension"))
    start = int(data.get("startIndex", 0))
    end = int(data["endIndex"]) if data.get("endIndex") is not None else _count(sheet, dimension)
    if start < 0 or end <= start:
        raise ctx.error("range.endIndex must be greater than range.startIndex")
    return sheet, dimension, start, end


def _set_title(ctx: _Context, sheet: Sheet, title: Any) -> None:
    title = str(title or "")
    if not title.strip():
        raise ctx.error("The sheet name cannot be empty.")
    if ctx.spreadsheet.has_title(title, ignore=sheet):
        raise ctx.error(
            f'A sheet with the name "{title}" already exists. Please enter another name.'
        )
    sheet.title = title


def _set_grid(ctx: _Context, sheet: Sheet, key: str, value: Any) -> None:
    """One gridProperties field, with the limits Google enforces."""
    if key in ("rowCount", "columnCount"):
        size = int(value or 0)
        if size < 1:
            noun = "rows" if key == "rowCount" else "columns"
            raise ctx.error(f"You can't delete all the {noun} on the sheet.")
        if key == "rowCount":
            sheet.row_count = size
        else:
            sheet.column_count = size
        sheet.truncate_to_grid()
    elif key in ("frozenRowCount", "frozenColumnCount"):
        frozen = int(value or 0)
        limit = sheet.row_count if key == "frozenRowCount" else sheet.column_count
        if frozen < 0 or frozen >= limit:
            noun = "rows" if key == "frozenRowCount" else "columns"
            raise ctx.error(f"You can't freeze all visible {noun} on the sheet.")
        if key == "frozenRowCount":
            sheet.frozen_row_count = frozen
        else:
            sheet.frozen_column_count = frozen
    elif value is None:
        sheet.extra_grid.pop(key, None)
    else:
        sheet.extra_grid[key] = value


def _move_sheet(ctx: _Context, sheet: Sheet, index: Any) -> None:
    sheets = ctx.spreadsheet.sheets
    sheets.remove(sheet)
    sheets.insert(max(0, min(int(index or 0), len(sheets))), sheet)


def _apply_sheet_properties(
    ctx: _Context, sheet: Sheet, properties: Mapping[str, Any], paths: list[str]
) -> None:
    for path in paths:
        value = _lookup(properties, path)
        if path == "title":
            _set_title(ctx, sheet, value)
        elif path == "index":
            _move_sheet(ctx, sheet, value)
        elif path in ("sheetId", "sheetType"):
            continue
        elif path == "gridProperties":
            for key, item in (value or {}).items():
                _set_grid(ctx, sheet, key, item)
        elif path.startswith("gridProperties."):
            _set_grid(ctx, sheet, path.split(".", 1)[1], value)
        else:
            top = path.split(".", 1)[0]
            if properties.get(top) is None:
                sheet.extra.pop(top, None)
            else:
                sheet.extra[top] = _without_nulls(properties[top])


# -- request handlers -------------------------------------------------------------------


def _add_sheet(ctx: _Context, request: Mapping[str, Any]) -> dict[str, Any]:
    properties = dict(request.get("properties") or {})
    spreadsheet = ctx.spreadsheet
    if properties.get("sheetId") is not None:
        sheet_id = int(properties["sheetId"])
        if spreadsheet.sheet_by_id(sheet_id) is not None:
            raise ctx.error(f"A sheet with the id {sheet_id} already exists.")
    else:
        sheet_id = ctx.state.new_sheet_id(spreadsheet)
    title = properties.get("title")
    if not title:
        number = len(spreadsheet.sheets) + 1
        while spreadsheet.has_title(f"Sheet{number}"):
            number += 1
        title = f"Sheet{number}"
    sheet = Sheet(sheet_id=sheet_id, title="")
    _set_title(ctx, sheet, title)
    grid = properties.get("gridProperties") or {}
    for key in ("rowCount", "columnCount"):
        if grid.get(key) is not None:
            _set_grid(ctx, sheet, key, grid[key])
    for key, value in grid.items():
        if key not in ("rowCount", "columnCount"):
            _set_grid(ctx, sheet, key, value)
    for key, value in properties.items():
        if key not in ("sheetId", "title", "index", "gridProperties", "sheetType") and (
            value is not None
        ):
            sheet.extra[key] = _without_nulls(value)
    index = properties.get("index")
    position = len(spreadsheet.sheets) if index is None else max(0, int(index))
    spreadsheet.sheets.insert(min(position, len(spreadsheet.sheets)), sheet)
    return {"addSheet": {"properties": sheet.properties(spreadsheet.sheets.index(sheet))}}


def _delete_sheet(ctx: _Context, request: Mapping[str, Any]) -> dict[str, Any]:
    sheet = ctx.sheet(request.get("sheetId"))
    if len(ctx.spreadsheet.sheets) == 1:
        raise ctx.error("You can't remove all the sheets in a document.")
    ctx.spreadsheet.sheets.remove(sheet)
    return {}


def _duplicate_sheet(ctx: _Context, request: Mapping[str, Any]) -> dict[str, Any]:
    source = ctx.sheet(request.get("sourceSheetId"))
    spreadsheet = ctx.spreadsheet
    copy = source.clone()
    # Google does not document whether a duplicate keeps the tab's developer metadata; the
    # emulator drops it (metadataIds are unique in a spreadsheet). See docs/emulator.md.
    copy.developer_metadata = []
    if request.get("newSheetId") is not None:
        copy.sheet_id = int(request["newSheetId"])
        if spreadsheet.sheet_by_id(copy.sheet_id) is not None:
            raise ctx.error(f"A sheet with the id {copy.sheet_id} already exists.")
    else:
        copy.sheet_id = ctx.state.new_sheet_id(spreadsheet)
    _set_title(ctx, copy, request.get("newSheetName") or f"Copy of {source.title}")
    index = request.get("insertSheetIndex")
    position = len(spreadsheet.sheets) if index is None else max(0, int(index))
    spreadsheet.sheets.insert(min(position, len(spreadsheet.sheets)), copy)
    return {"duplicateSheet": {"properties": copy.properties(spreadsheet.sheets.index(copy))}}


def _update_sheet_properties(ctx: _Context, request: Mapping[str, Any]) -> dict[str, Any]:
    properties = request.get("properties") or {}
    sheet = ctx.sheet(properties.get("sheetId"))
    paths = _field_paths(request.get("fields"))
    if not paths:
        raise ctx.error("At least one field must be updated. Set 'fields' in the request.")
    if paths == ["*"]:
        paths = list(_flatten(properties))
    # Sizes first, so a request that grows the grid and freezes rows in it succeeds.
    paths.sort(key=lambda p: 0 if p.endswith(("rowCount", "columnCount")) else 1)
    _apply_sheet_properties(ctx, sheet, properties, paths)
    return {}


def _update_spreadsheet_properties(ctx: _Context, request: Mapping[str, Any]) -> dict[str, Any]:
    properties = request.get("properties") or {}
    paths = _field_paths(request.get("fields"))
    if paths == ["*"]:
        paths = list(properties)
    if not paths:
        raise ctx.error("At least one field must be updated. Set 'fields' in the request.")
    for path in paths:
        value = properties.get(path)
        if path == "title":
            ctx.spreadsheet.title = str(value or "")
        elif path == "locale":
            ctx.spreadsheet.locale = str(value or "en_US")
        elif path == "timeZone":
            ctx.spreadsheet.time_zone = str(value or "Etc/GMT")
    return {}


def _insert_dimension(ctx: _Context, request: Mapping[str, Any]) -> dict[str, Any]:
    data = request.get("range") or {}
    sheet, dimension, start, end = _dimension_range(ctx, data)
    if start > _count(sheet, dimension):
        raise ctx.error(
            f"range.startIndex ({start}) must be at most the number of "
            f"{dimension.lower()} ({_count(sheet, dimension)})"
        )
    if request.get("inheritFromBefore") and start == 0:
        raise ctx.error("Cannot inherit properties from before if inserting at index 0")
    sheet.insert(dimension, start, end - start)
    return {}


def _delete_dimension(ctx: _Context, request: Mapping[str, Any]) -> dict[str, Any]:
    sheet, dimension, start, end = _dimension_range(ctx, request.get("range") or {})
    count = _count(sheet, dimension)
    if end > count:
        noun = "row" if dimension == ROWS else "column"
        raise ctx.error(
            f"Cannot delete a {noun} that doesn't exist. Tried to delete {noun} index "
            f"{end - 1} but there are only {count} {noun}s."
        )
    if start == 0 and end == count:
        raise ctx.error(f"You can't delete all the {dimension.lower()} on the sheet.")
    frozen = sheet.frozen_row_count if dimension == ROWS else sheet.frozen_column_count
    if frozen and start <= frozen and end == count:
        raise ctx.error(f"You can't delete all non-frozen {dimension.lower()}.")
    sheet.delete(dimension, start, end)
    return {}


def _move_dimension(ctx: _Context, request: Mapping[str, Any]) -> dict[str, Any]:
    sheet, dimension, start, end = _dimension_range(ctx, request.get("source") or {})
    destination = int(request.get("destinationIndex", 0))
    if end > _count(sheet, dimension) or not 0 <= destination <= _count(sheet, dimension):
        raise ctx.error("The source or destination is outside the grid.")
    sheet.move(dimension, start, end, destination)
    return {}


def _append_dimension(ctx: _Context, request: Mapping[str, Any]) -> dict[str, Any]:
    sheet = ctx.sheet(request.get("sheetId"))
    dimension = _dimension(ctx, request.get("dimension"))
    length = int(request.get("length", 0))
    if length < 1:
        raise ctx.error("length must be greater than 0")
    if dimension == ROWS:
        sheet.row_count += length
    else:
        sheet.column_count += length
    return {}


def _sort_key(cell: cellmod.Cell) -> tuple[int, Any]:
    if isinstance(cell, bool):
        return _TYPE_ORDER["bool"], cell
    if isinstance(cell, int | float):
        return _TYPE_ORDER["number"], cell
    text = cell.text if isinstance(cell, cellmod.Formula) else str(cell)
    return _TYPE_ORDER["text"], text.casefold()


def _sort_range(ctx: _Context, request: Mapping[str, Any]) -> dict[str, Any]:
    grid = request.get("range") or {}
    sheet = ctx.sheet(grid.get("sheetId"))
    box = GridBox.from_grid_range(grid)
    end_row = sheet.row_count if box.end_row is None else min(box.end_row, sheet.row_count)
    end_col = sheet.column_count if box.end_col is None else min(box.end_col, sheet.column_count)
    specs = []
    for spec in request.get("sortSpecs") or [{}]:
        column = int(spec.get("dimensionIndex", 0))
        if not box.start_col <= column < end_col:
            raise ctx.error(f"sortSpecs dimensionIndex {column} is outside the range")
        descending = spec.get("sortOrder") == "DESCENDING"
        specs.append((column - box.start_col, descending))
    # Rows past the stored cells are empty and would sort last anyway.
    stop = min(end_row, len(sheet.cells))
    width = end_col - box.start_col
    lines = []
    for row in range(box.start_row, stop):
        segment = sheet.cells[row][box.start_col : end_col]
        lines.append(segment + [None] * (width - len(segment)))

    def compare(a: list[cellmod.Cell], b: list[cellmod.Cell]) -> int:
        for column, descending in specs:
            x, y = a[column], b[column]
            if x is None or y is None:  # blanks sort last in both directions, as in Sheets
                if x is None and y is None:
                    continue
                return 1 if x is None else -1
            kx, ky = _sort_key(x), _sort_key(y)
            if kx != ky:
                result = -1 if kx < ky else 1
                return -result if descending else result
        return 0

    lines.sort(key=functools.cmp_to_key(compare))
    for offset, line in enumerate(lines):
        for col, value in enumerate(line):
            sheet.set(box.start_row + offset, box.start_col + col, value)
    return {}


def _set_data_validation(ctx: _Context, request: Mapping[str, Any]) -> dict[str, Any]:
    grid = request.get("range") or {}
    sheet = ctx.sheet(grid.get("sheetId"))
    rule = request.get("rule")
    if rule is not None:
        rule = _without_nulls(rule)
        if not (rule.get("condition") or {}).get("type"):
            raise ctx.error("rule.condition.type is required")
    sheet.set_validation(GridBox.from_grid_range(grid), rule)
    return {}


def _update_cells(ctx: _Context, request: Mapping[str, Any]) -> dict[str, Any]:
    if request.get("start") is not None:
        start = request["start"]
        sheet = ctx.sheet(start.get("sheetId"))
        row0, col0 = int(start.get("rowIndex", 0)), int(start.get("columnIndex", 0))
    else:
        grid = request.get("range") or {}
        sheet = ctx.sheet(grid.get("sheetId"))
        row0, col0 = int(grid.get("startRowIndex", 0)), int(grid.get("startColumnIndex", 0))
    paths = _field_paths(request.get("fields"))
    if not paths:
        raise ctx.error("At least one field must be updated. Set 'fields' in the request.")
    writes_values = any(p in ("*", "userEnteredValue") for p in paths)
    for i, row in enumerate(request.get("rows") or []):
        for j, cell in enumerate((row or {}).get("values") or []):
            if row0 + i >= sheet.row_count or col0 + j >= sheet.column_count:
                raise ctx.error("The update goes beyond the grid limits.")
            if writes_values:
                value = (cell or {}).get("userEnteredValue")
                sheet.set(row0 + i, col0 + j, cellmod.from_extended_value(value or {}))
    return {}


def _merge_cells(ctx: _Context, request: Mapping[str, Any]) -> dict[str, Any]:
    grid = request.get("range") or {}
    sheet = ctx.sheet(grid.get("sheetId"))
    box = GridBox.from_grid_range(grid)
    end_row = sheet.row_count if box.end_row is None else box.end_row
    end_col = sheet.column_count if box.end_col is None else box.end_col
    merge_type = request.get("mergeType") or "MERGE_ALL"
    if merge_type == "MERGE_COLUMNS":
        boxes = [GridBox(box.start_row, end_row, c, c + 1) for c in range(box.start_col, end_col)]
    elif merge_type == "MERGE_ROWS":
        boxes = [GridBox(r, r + 1, box.start_col, end_col) for r in range(box.start_row, end_row)]
    else:
        boxes = [GridBox(box.start_row, end_row, box.start_col, end_col)]
    sheet.merges = [m for m in sheet.merges if not m.within(box)] + boxes
    return {}


def _unmerge_cells(ctx: _Context, request: Mapping[str, Any]) -> dict[str, Any]:
    grid = request.get("range") or {}
    sheet = ctx.sheet(grid.get("sheetId"))
    box = GridBox.from_grid_range(grid)
    sheet.merges = [m for m in sheet.merges if not m.within(box)]
    return {}


def _sheet_ids_in(value: Any) -> list[Any]:
    """Every sheetId a request mentions, wherever it is nested."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "sheetId":
                found.append(item)
            else:
                found.extend(_sheet_ids_in(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_sheet_ids_in(item))
    return found


def _ignored(ctx: _Context, request: Mapping[str, Any]) -> dict[str, Any]:
    for sheet_id in _sheet_ids_in(request):
        ctx.sheet(sheet_id)
    return {}


HANDLERS: dict[str, Callable[[_Context, Mapping[str, Any]], dict[str, Any]]] = {
    "addSheet": _add_sheet,
    "deleteSheet": _delete_sheet,
    "duplicateSheet": _duplicate_sheet,
    "updateSheetProperties": _update_sheet_properties,
    "updateSpreadsheetProperties": _update_spreadsheet_properties,
    "insertDimension": _insert_dimension,
    "deleteDimension": _delete_dimension,
    "moveDimension": _move_dimension,
    "appendDimension": _append_dimension,
    "sortRange": _sort_range,
    "setDataValidation": _set_data_validation,
    "updateCells": _update_cells,
    "mergeCells": _merge_cells,
    "unmergeCells": _unmerge_cells,
    "createDeveloperMetadata": metadata.create,
    "deleteDeveloperMetadata": metadata.delete,
    **dict.fromkeys(IGNORED_KINDS, _ignored),
}


def batch_update(
    state: State, spreadsheet: Spreadsheet, body: Mapping[str, Any]
) -> tuple[Spreadsheet, dict[str, Any]]:
    """Apply the requests to a copy, all or nothing; (the changed copy, Google's reply)."""
    requests = body.get("requests")
    if not isinstance(requests, list) or not requests:
        raise bad_request("Must specify at least one request.")
    working = spreadsheet.clone()
    replies = []
    for index, request in enumerate(requests):
        if not isinstance(request, dict) or len(request) != 1:
            raise bad_request(f"Invalid requests[{index}]: must set exactly one request kind")
        ((kind, payload),) = request.items()
        if kind in UNSUPPORTED_KINDS:
            raise bad_request(
                f"Invalid requests[{index}].{kind}: not supported by the Sheets API emulator"
            )
        handler = HANDLERS.get(kind)
        if handler is None:
            raise ApiError(
                400,
                f'Invalid JSON payload received. Unknown name "{kind}" at '
                f"'requests[{index}]': Cannot find field.",
                details=[
                    {
                        "@type": "type.googleapis.com/google.rpc.BadRequest",
                        "fieldViolations": [
                            {
                                "field": f"requests[{index}]",
                                "description": (
                                    f'Invalid JSON payload received. Unknown name "{kind}" '
                                    f"at 'requests[{index}]': Cannot find field."
                                ),
                            }
                        ],
                    }
                ],
            )
        replies.append(handler(_Context(state, working, index, kind), payload or {}))
    return working, {"spreadsheetId": spreadsheet.id, "replies": replies}
