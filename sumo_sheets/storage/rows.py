"""Finding a row by its ID and the cells to change in it, and reading cells of a grid:
shared by every backend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..headers import column_index
from . import StorageError

# (row, column, value), 1-based: one cell to write.
Cell = tuple[int, int, str]


def cells_to_change(
    grid: Sequence[Sequence[str]],
    title: str,
    row_id: str,
    changes: Mapping[str, str],
    id_header: str,
) -> list[Cell] | None:
    """(row, column, value) triples, 1-based, for the row whose ID is ``row_id``; None if none.

    The first row with that ID wins; a blank ID never matches, so hand-typed rows are safe.
    """
    if not grid or not row_id.strip():
        return None
    header = grid[0]
    id_column = column_index(header, id_header)
    if id_column is None:
        return None
    for number, row in enumerate(grid[1:], start=2):
        if id_column < len(row) and row[id_column].strip() == row_id.strip():
            cells = []
            for name, value in changes.items():
                column = column_index(header, name)
                if column is None:
                    raise StorageError(f"The {title} tab has no {name} column.")
                cells.append((number, column + 1, value))
            return cells
    return None


def cell(grid: Sequence[Sequence[str]], row: int, column: int) -> str:
    """The cell at 1-based (row, column) of a trimmed grid; past its ends, blank."""
    return at(grid[row - 1], column - 1) if 0 < row <= len(grid) else ""


def at(row: Sequence[str], index: int) -> str:
    """The 0-based ``index`` cell of a trimmed row; past its end, blank."""
    return row[index] if 0 <= index < len(row) else ""


def cells_to_replace(
    grid: Sequence[Sequence[str]],
    expected: Sequence[str],
    replacement: Sequence[str],
    near: int | None = None,
) -> list[Cell] | None:
    """The cells that turn the row holding exactly ``expected`` (cell by cell, the one at
    row ``near`` first) into ``replacement``; [] when a row holds ``replacement`` already,
    None when no row holds either. Cells past the end of either row are blank."""
    number = find_row(grid, expected, near)
    if number is None:
        return None if find_row(grid, replacement, near) is None else []
    current = grid[number - 1]
    width = max(len(current), len(replacement))
    return [
        (number, index + 1, at(replacement, index))
        for index in range(width)
        if at(current, index) != at(replacement, index)
    ]


def find_row(
    grid: Sequence[Sequence[str]], cells: Sequence[str], near: int | None = None
) -> int | None:
    """The 1-based number of a row (never the header) holding exactly ``cells``, position by
    position: row ``near`` if it does, else the first that does; None when none does."""
    wanted = _trim(cells)
    if not wanted:
        return None
    if near is not None and 1 < near <= len(grid) and _trim(grid[near - 1]) == wanted:
        return near
    return next(
        (n for n, row in enumerate(grid[1:], start=2) if _trim(row) == wanted),
        None,
    )


def _trim(row: Sequence[str]) -> list[str]:
    """A row without its trailing blank cells."""
    cells = list(row)
    while cells and cells[-1] == "":
        cells.pop()
    return cells
