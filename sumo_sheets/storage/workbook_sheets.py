"""The tabs of an openpyxl workbook as the storage contract sees them: found by title (or, for
a tab a coordinator renamed, by its header row: ``tab_identity``), read as trimmed grids of
text, written as text, created and repaired by the shared tab plan.

Writes go to the workbook in memory and, while ``recording``, are noted (the cells set or
cleared, the tabs created) so that only they are patched into the file (``xlsx_patch``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..headers import header_key
from . import Grid, TabPlace, TabRepair, TabSpec
from .cells import cell_text
from .tab_identity import copies_by_name, follow_by_header
from .tab_repair import plan_tab


@dataclass
class Touched:
    """The cells (tab title, row, column) written and the tabs created, while recording."""

    cells: set[tuple[str, int, int]] = field(default_factory=set)
    created: list[str] = field(default_factory=list)


_touched: ContextVar[Touched | None] = ContextVar("touched", default=None)


@contextmanager
def recording() -> Iterator[Touched]:
    """Note every cell written and tab created (by this module's functions) in the block."""
    touched = Touched()
    token = _touched.set(touched)
    try:
        yield touched
    finally:
        _touched.reset(token)


def _record(cell) -> None:
    touched = _touched.get()
    if touched is not None:
        touched.cells.add((cell.parent.title, cell.row, cell.column))


def find_sheet(book: Workbook, title: str, specs: Sequence[TabSpec] = ()) -> Worksheet | None:
    """Find a tab by title, whatever its case and spacing; else, when ``specs`` describe it,
    the one tab a coordinator renamed, by its header row (never a copy)."""
    found, _ = _locate(book, title, specs)
    return found


def locate(book: Workbook, title: str, specs: Sequence[TabSpec] = ()) -> TabPlace:
    """Where the tab is (``find_sheet``) and which tabs look like copies of it."""
    found, copies = _locate(book, title, specs)
    return TabPlace(title, found.title if found is not None else None, copies)


def _locate(
    book: Workbook, title: str, specs: Sequence[TabSpec]
) -> tuple[Worksheet | None, list[str]]:
    key = header_key(title)
    titles = book.sheetnames
    for sheet in book.worksheets:
        if header_key(sheet.title) == key:
            return sheet, copies_by_name(titles, title, sheet.title)
    spec = next((s for s in specs if header_key(s.title) == key), None)
    if spec is None:
        return None, copies_by_name(titles, title, None)
    taken = {header_key(s.title) for s in specs}
    headers = [header(sheet) for sheet in book.worksheets]
    followed, copies = follow_by_header(titles, headers, spec, taken)
    return (book[followed] if followed else None), copies


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
    _record(cell)


def clear(cell) -> None:
    """Empty a cell (its style stays)."""
    cell.value = None
    _record(cell)


def ensure_tab(book: Workbook, spec: TabSpec, specs: Sequence[TabSpec] = ()) -> TabRepair:
    """Create the tab or add its missing headers (``tab_repair``); a tab made here gets row 1
    frozen and its dropdowns. A tab that was there (renamed by a coordinator, perhaps) only
    gets its missing headers: its view and its rules are the coordinator's."""
    sheet = find_sheet(book, spec.title, specs or (spec,))
    created = sheet is None
    if sheet is None:
        sheet = book.create_sheet(spec.title)
        touched = _touched.get()
        if touched is not None:
            touched.created.append(sheet.title)
    plan = plan_tab(spec, grid(sheet), created)
    for row_number, row in enumerate(plan.block, start=1):
        for column, value in enumerate(row, start=plan.column):
            set_text(sheet.cell(row_number, column), value)
    if created:
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
