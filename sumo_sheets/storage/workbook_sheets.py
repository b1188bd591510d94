"""The tabs of an openpyxl workbook as the storage contract sees them: found by title, read as
trimmed grids of text, written as text, created and repaired by the shared tab plan."""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..headers import header_key
from . import Grid, TabRepair, TabSpec
from .cells import cell_text
from .tab_repair import plan_tab


def find_sheet(book: Workbook, title: str) -> Worksheet | None:
    """Find a tab by title, whatever its case and spacing."""
    key = header_key(title)
    for sheet in book.worksheets:
        if header_key(sheet.title) == key:
            return sheet
    return None


def header(sheet: Worksheet) -> list[str]:
    """The tab's header row as text, trailing blanks trimmed."""
    first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    values = [cell_text(value) for value in first]
    while values and values[-1] == "":
        values.pop()
    return values


def grid(sheet: Worksheet | None) -> Grid:
    """All rows as strings, trailing empty cells and rows trimmed, as Google returns them."""
    if sheet is None:
        return []
    rows = []
    for values in sheet.iter_rows(values_only=True):
        row = [cell_text(v) for v in values]
        while row and row[-1] == "":
            row.pop()
        rows.append(row)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def last_used_row(sheet: Worksheet) -> int:
    """The last row holding any value (formatting alone does not count)."""
    for row in range(sheet.max_row, 0, -1):
        if any(cell.value not in (None, "") for cell in sheet[row]):
            return row
    return 0


def set_text(cell, value: str) -> None:
    """Store a value as text, so '=1+1' or '+44 …' is never run as a formula."""
    cell.value = value
    cell.data_type = "s"


def ensure_tab(book: Workbook, spec: TabSpec) -> TabRepair:
    """Create the tab or add its missing headers (``tab_repair``); freeze row 1 and add
    dropdowns when it changed."""
    sheet = find_sheet(book, spec.title)
    created = sheet is None
    if sheet is None:
        sheet = book.create_sheet(spec.title)
    plan = plan_tab(spec, grid(sheet), created)
    for row_number, row in enumerate(plan.block, start=1):
        for column, value in enumerate(row, start=plan.column):
            set_text(sheet.cell(row_number, column), value)
    if plan.repair.changed:
        sheet.freeze_panes = "A2"
        add_dropdowns(sheet, plan.dropdowns(spec))
    return plan.repair


def add_dropdowns(sheet: Worksheet, dropdowns: Sequence[tuple[int, Sequence[str]]]) -> None:
    """Offer the allowed values of each (0-based column, values) below the header."""
    for column, allowed in dropdowns:
        letter = get_column_letter(column + 1)
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join(allowed) + '"',
            allow_blank=True,
            showErrorMessage=False,  # a warning-free hint: coordinators may type other spellings
        )
        validation.add(f"{letter}2:{letter}10000")
        sheet.add_data_validation(validation)
