"""Writing a row's cells where nothing can make a write conditional, and putting back a write
that landed in the wrong row.

A store without conditional writes (Google Sheets) lets a coordinator sort, insert or delete
rows between the read that found a row and the write to it, so the write may land in another
row. ``write_row`` finds the row, writes, reads again and checks; a write that went astray
is put back (each cell as the row now there had it in the earlier read) and made again. This
module never talks to a store: the backend hands in how to read the tab and write cells.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from ..headers import column_index
from . import StorageError
from .rows import Cell, at, cell, cells_to_change, cells_to_replace

log = logging.getLogger(__name__)

Grid = Sequence[Sequence[str]]
# How often a write is made again after a coordinator moved the row under it.
UPDATE_ROUNDS = 3


def kept_moving(title: str, detail: str) -> StorageError:
    """The error when a row moved under every write (a coordinator may be sorting the tab)."""
    return StorageError(
        f"The {title} tab kept changing while a row was being written (a coordinator may be "
        "sorting it); please try again.",
        detail=detail,
        transient=True,
    )


class PendingWrite:
    """A write not yet seen in place: the read it was based on, and its cells."""

    def __init__(self, grid: Grid, cells: list[Cell]):
        self.grid = grid
        self.cells = cells
        # True once the store acknowledged the write; until then it may or may not have landed.
        self.sent = False


class RowWrite:
    """One update_row call: what to write where, and its write that is still unchecked.

    It keeps the last unchecked write across retries of ``write_row``, so a write whose reply
    was lost is still checked (and put back if it went astray).
    """

    def __init__(self, title: str, row_id: str, changes: Mapping[str, str], id_header: str):
        self.title = title
        self.row_id = row_id.strip()
        self.changes = dict(changes)
        self.id_header = id_header
        self.pending: PendingWrite | None = None
        self.moves = 0  # writes that went to a row moved under them

    def landed(self, grid: Grid) -> bool:
        """In place, and holding the values written unless the store acknowledged the write."""
        assert self.pending is not None
        if not self.in_place(grid):
            return False
        return self.pending.sent or all(
            cell(grid, row, column) == value for row, column, value in self.pending.cells
        )

    def in_place(self, grid: Grid) -> bool:
        """True when the row written still has this ID and the columns have not moved."""
        assert self.pending is not None
        before = self.pending.grid
        old_header = before[0] if before else []
        new_header = grid[0] if grid else []
        for name in (self.id_header, *self.changes):
            if column_index(new_header, name) != column_index(old_header, name):
                return False
        id_column = column_index(new_header, self.id_header)
        row = self.pending.cells[0][0]
        return id_column is not None and cell(grid, row, id_column + 1).strip() == self.row_id


def write_row(
    write: RowWrite,
    read: Callable[[], Grid],
    send: Callable[[list[Cell]], None],
    put: Callable[[list[Cell]], None],
    rounds: int = UPDATE_ROUNDS,
) -> bool | None:
    """Find, write (``send``) and check until the cells are in the row.

    True when they are, False when there is no such row, None when the row kept moving
    ``rounds`` times. ``put`` writes cells back (a write that cannot race).
    """
    while True:
        grid = read()
        if write.pending is not None:
            if write.landed(grid):
                return True
            moved = not write.in_place(grid)  # else the write never arrived
            restore = cells_to_restore(write, grid)
            if restore:
                put(restore)
            write.pending = None
            write.moves += moved
            if write.moves >= rounds:
                return None
            grid = read()
        cells = cells_to_change(grid, write.title, write.row_id, write.changes, write.id_header)
        if cells is None:
            return False
        if not cells:
            return True  # nothing to change in a row that is there
        write.pending = PendingWrite(grid, cells)
        send(cells)
        write.pending.sent = True


class RowReplace:
    """One replace_row call: a row as it lies in the tab, what it should hold, and its ID."""

    def __init__(
        self,
        title: str,
        expected: Sequence[str],
        replacement: Sequence[str],
        near: int | None,
        id_header: str,
    ):
        self.title = title
        self.expected = list(expected)
        self.replacement = list(replacement)
        self.near = near
        self.id_header = id_header

    def holds_it(self, grid: Grid, row: int) -> bool:
        """True when the row at ``row`` is the one rewritten: its ID is there, under the ID
        header, as the replacement has it under the same header."""
        id_column = column_index(grid[0] if grid else [], self.id_header)
        if id_column is None:
            return False
        row_id = at(self.replacement, id_column).strip()
        return bool(row_id) and cell(grid, row, id_column + 1).strip() == row_id


def replace_row(
    rewrite: RowReplace,
    read: Callable[[], Grid],
    send: Callable[[list[Cell]], None],
    put: Callable[[list[Cell]], None],
    rounds: int = UPDATE_ROUNDS,
) -> bool | None:
    """Find the row holding ``rewrite.expected``, write every cell of ``replacement`` over
    it (``send``), and check that the row written is the one meant.

    True when the row holds the replacement, False when no row holds either, None when the
    row kept moving ``rounds`` times. A write that a sort sent into another row is put back
    (``put``), each cell as that row had it, as ``write_row`` does.
    """
    grid = read()
    for _ in range(rounds):
        cells = cells_to_replace(
            grid, rewrite.expected, rewrite.replacement, rewrite.near, rewrite.id_header
        )
        if cells is None:
            return False
        if not cells:
            return True
        send(cells)
        after = read()
        if rewrite.holds_it(after, cells[0][0]):
            return True
        astray = RowWrite(rewrite.title, "", {}, rewrite.id_header)
        astray.pending = PendingWrite(grid, cells)
        restore = cells_to_restore(astray, after)
        if restore:
            put(restore)
            after = read()
        grid = after
    return None


def cells_to_restore(write: RowWrite, grid: Grid) -> list[Cell]:
    """The cells that undo a write that landed in another row, as that row had them before.

    A cell no longer holding what was written is left alone (someone changed it since), and
    so is one whose row cannot be told apart (new since the read?): that is logged.
    """
    assert write.pending is not None
    before, cells = write.pending.grid, write.pending.cells
    restore = []
    for row, column, value in cells:
        if cell(grid, row, column) != value:
            continue  # not (or no longer) what we wrote
        previous = previous_value(before, grid, row, column, cells, write.id_header)
        if previous is None:
            log.warning(
                "update_row: wrote %s of %s row %d for ID %r into a row that cannot be "
                "told apart (new since the read?); left it as it is",
                cell(grid, 1, column) or f"column {column}",
                write.title,
                row,
                write.row_id,
            )
        elif previous != value:
            restore.append((row, column, previous))
    if restore:
        log.warning(
            "update_row: the %s tab changed under the write for ID %r; restoring %d cell(s)",
            write.title,
            write.row_id,
            len(restore),
        )
    return restore


def previous_value(
    before: Grid, after: Grid, row: int, column: int, written: Sequence[Cell], id_header: str
) -> str | None:
    """What the row now at ``row`` had in ``column`` in the read ``before``; None if unknown.

    The row is known by its ID, else by its other cells; a row blank apart from the cells
    written was blank then (a row inserted since the read is empty).
    """
    old_header = before[0] if before else []
    new_header = after[0] if after else []
    name = cell(after, 1, column)
    old_column = column_index(old_header, name) if name.strip() else None
    if old_column is None:
        return None
    id_column = column_index(new_header, id_header)
    row_id = cell(after, row, id_column + 1).strip() if id_column is not None else ""
    if row_id:
        return _value_by_id(before, row_id, old_column, id_header)
    written_columns = {c - 1 for r, c, _ in written if r == row}
    return _value_by_other_cells(before, after, row, old_column, written_columns)


def _value_by_id(before: Grid, row_id: str, old_column: int, id_header: str) -> str | None:
    """The cell of the row with this ID in ``before``; None if it had no such row."""
    old_id_column = column_index(before[0] if before else [], id_header)
    if old_id_column is None:
        return None
    for old_row in before[1:]:
        if at(old_row, old_id_column).strip() == row_id:
            return at(old_row, old_column)
    return None


def _value_by_other_cells(
    before: Grid, after: Grid, row: int, old_column: int, written_columns: set[int]
) -> str | None:
    """The cell of the one row of ``before`` whose other cells match the row now at ``row``."""
    new_header = after[0] if after else []
    new_row = list(after[row - 1]) if row <= len(after) else []
    pairs = _matching_columns(before[0] if before else [], new_header, new_row, written_columns)
    if pairs is None:
        return None
    others = [at(new_row, i) for i, _ in pairs]
    candidates = {
        at(old_row, old_column)
        for old_row in before[1:]
        if [at(old_row, j) for _, j in pairs] == others
    }
    if len(candidates) == 1:
        return candidates.pop()
    if not candidates and not any(others):
        return ""
    return None


def _matching_columns(
    old_header: Sequence[str],
    new_header: Sequence[str],
    new_row: Sequence[str],
    skipped: set[int],
) -> list[tuple[int, int]] | None:
    """(new index, old index) of the columns to compare, matched by header name; None when
    a column added since the read has something in this row."""
    pairs = []
    for index in range(max(len(new_header), len(new_row))):
        if index in skipped:
            continue
        header = at(new_header, index)
        old_index = column_index(old_header, header) if header.strip() else index
        if old_index is None:
            if at(new_row, index):
                return None  # a column added since the read, with something in it
            continue
        pairs.append((index, old_index))
    return pairs
