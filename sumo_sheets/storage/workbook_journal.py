"""The journal of workbook writes a spreadsheet program's copy could undo, and putting their
effect back (the format and the rules are in the ``workbook`` module's docstring)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openpyxl.workbook.workbook import Workbook

from ..headers import column_index
from . import Grid, StorageError
from .cells import cell_text
from .rows import cells_to_change
from .workbook_files import sync_folder
from .workbook_sheets import find_sheet, grid, last_used_row, set_text

log = logging.getLogger("sumo_sheets.storage.workbook")

# The column whose value names a row, for finding journalled rows again.
ID_HEADER = "ID"

Entry = dict[str, Any]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def append_entry(title: str, header: Sequence[str], row: Sequence[str]) -> Entry:
    """The entry for a row appended under ``header``."""
    id_column = column_index(header, ID_HEADER)
    row_id = row[id_column] if id_column is not None and id_column < len(row) else ""
    return {
        "op": "append",
        "tab": title,
        "id": row_id,
        "header": list(header),
        "row": list(row),
        "at": _now(),
    }


def update_entry(
    title: str,
    id_header: str,
    row_id: str,
    changes: Mapping[str, str],
    previous: Mapping[str, str],
) -> Entry:
    """The entry for cells of a row changed from ``previous`` to ``changes``."""
    return {
        "op": "update",
        "tab": title,
        "id_header": id_header,
        "id": row_id,
        "changes": dict(changes),
        "previous": dict(previous),
        "at": _now(),
    }


def write_journal(path: Path, entries: Sequence[Entry]) -> None:
    """Append entries to the journal durably (synced, and its folder if it is new)."""
    data = "".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in entries)
    payload = data.encode("utf-8")
    created = not path.exists()
    with open(path, "a+b") as journal:
        size = journal.seek(0, os.SEEK_END)
        if size:
            journal.seek(size - 1)
            if journal.read(1) != b"\n":
                payload = b"\n" + payload  # a writer killed mid-line left it unfinished
        journal.write(payload)
        journal.flush()
        os.fsync(journal.fileno())
    if created:
        sync_folder(path.parent)


def read_journal(path: Path) -> list[Entry]:
    """The journal's entries; an unreadable line is skipped and logged."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as error:
        raise StorageError(
            "The schedule workbook cannot be read right now.",
            detail=f"{path}: {error!r}",
            transient=True,
        ) from error
    entries = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            log.warning("skipped an unreadable line of %s: %r", path, line)
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def reapply(book: Workbook, entries: Sequence[Entry]) -> bool:
    """Apply again, in order, the journalled writes whose effect the file lacks; True if any."""
    changed = False
    for entry in entries:
        try:
            if entry.get("op") == "append":
                changed |= _reappend(book, entry)
            elif entry.get("op") == "update":
                changed |= _reupdate(book, entry)
        except (KeyError, TypeError, ValueError, AttributeError, StorageError) as error:
            log.warning("skipped a journal entry that cannot be applied: %r (%r)", entry, error)
    return changed


def _reappend(book: Workbook, entry: Entry) -> bool:
    """Append a journalled row again if its ID is no longer in the tab."""
    title, row_id = entry["tab"], entry["id"]
    sheet = find_sheet(book, title)
    if sheet is None:
        log.warning("could not re-add row %r: the %s tab is gone", entry["row"], title)
        return False
    rows = grid(sheet)
    header = rows[0] if rows else []
    if _row_present(rows, entry):
        return False
    row_number = last_used_row(sheet) + 1
    for position, value in enumerate(entry["row"]):
        if value == "":
            continue
        name = entry["header"][position] if position < len(entry["header"]) else ""
        # By header name, as the person may have moved columns; a header they removed is
        # put back at the right end, as ensure_tab would.
        column = column_index(header, name) if name else position
        if column is None:
            header.append(name)
            column = len(header) - 1
            set_text(sheet.cell(1, column + 1), name)
        set_text(sheet.cell(row_number, column + 1), value)
    log.warning(
        "re-added row %s to the %s tab: a spreadsheet program saved a copy without it",
        row_id or entry["row"],
        title,
    )
    return True


def _row_present(rows: Grid, entry: Entry) -> bool:
    row_id = str(entry["id"]).strip()
    id_column = column_index(rows[0], ID_HEADER) if rows else None
    if row_id and id_column is not None:
        return any(id_column < len(row) and row[id_column].strip() == row_id for row in rows[1:])
    # A row without an ID is known only by its values.
    values = list(entry["row"])
    while values and values[-1] == "":
        values.pop()
    return values in rows[1:]


def _reupdate(book: Workbook, entry: Entry) -> bool:
    """Make a journalled update again where the row's cells still hold their previous values."""
    title, row_id, changes = entry["tab"], entry["id"], entry["changes"]
    previous = entry["previous"]
    sheet = find_sheet(book, title)
    if sheet is None:
        log.warning("could not re-apply %r to row %s: the %s tab is gone", changes, row_id, title)
        return False
    cells = cells_to_change(grid(sheet), title, row_id, changes, entry["id_header"])
    if cells is None:
        log.warning("did not re-apply %r to row %s of %s: the row is gone", changes, row_id, title)
        return False
    current = {
        name: cell_text(sheet.cell(row, column).value)
        for name, (row, column, _) in zip(changes, cells, strict=True)
    }
    if current == changes:
        return False
    if any(current[name] not in (previous.get(name), changes[name]) for name in changes):
        log.warning(
            "did not re-apply %r to row %s of %s: someone has since set %r",
            changes,
            row_id,
            title,
            current,
        )
        return False
    for row, column, value in cells:
        set_text(sheet.cell(row, column), value)
    log.warning(
        "re-applied %r to row %s of the %s tab: a spreadsheet program saved a copy without it",
        changes,
        row_id,
        title,
    )
    return True
