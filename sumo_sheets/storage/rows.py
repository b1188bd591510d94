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
