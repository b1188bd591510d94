"""Finding a row by its ID and the cells to change in it: shared by every backend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..sheet_format import column_index
from . import StorageError


def cells_to_change(
    grid: Sequence[Sequence[str]],
    title: str,
    row_id: str,
    changes: Mapping[str, str],
    id_header: str,
) -> list[tuple[int, int, str]] | None:
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
