"""Finding a row by its ID and the cells to change in it, and reading cells of a grid:
shared by every backend."""

from __future__ import annotations

from collections import Counter
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
    id_header: str = "ID",
) -> list[Cell] | None:
    """The cells that turn the site's row into ``replacement``; [] when it holds that
    already, None when it cannot be found.

    The row is the one holding exactly ``expected`` (the one at row ``near`` first), else
    the one row holding the replacement's ID (under ``id_header`` of the grid's header)
    anywhere, with nothing but values of ``expected`` and ``replacement``: columns moved
    again since the write carried its cells along. Cells past either row's end are blank.
    """
    if find_row(grid, replacement, near) is not None:
        return []
    number = find_row(grid, expected, near) or _own_row(grid, expected, replacement, id_header)
    if number is None:
        return None
    current = grid[number - 1]
    width = max(len(current), len(replacement))
    return [
        (number, index + 1, at(replacement, index))
        for index in range(width)
        if at(current, index) != at(replacement, index)
    ]


def _own_row(
    grid: Sequence[Sequence[str]],
    expected: Sequence[str],
    replacement: Sequence[str],
    id_header: str,
) -> int | None:
    """The one row holding the replacement's ID and only values the site wrote."""
    id_column = column_index(grid[0] if grid else [], id_header)
    row_id = at(replacement, id_column).strip() if id_column is not None else ""
    if not row_id:
        return None
    ours = Counter(v for v in expected if v) | Counter(v for v in replacement if v)
    found = [
        n
        for n, row in enumerate(grid[1:], start=2)
        if any(v.strip() == row_id for v in row) and not Counter(v for v in row if v) - ours
    ]
    return found[0] if len(found) == 1 else None


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
