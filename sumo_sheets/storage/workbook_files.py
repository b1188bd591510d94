"""The workbook file on disk: a new one saved whole by openpyxl, a write patched into the
coordinator's file (``xlsx_patch``: only the parts it changes differ), each by an atomic,
synced rename; temporary files left by a writer killed mid-save cleared; a spreadsheet
program's lock file beside it noticed."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path

from openpyxl.workbook.workbook import Workbook

from .workbook_sheets import Touched
from .xlsx_patch import Edits, patch_xlsx
from .xlsx_tab import NewTab

log = logging.getLogger("sumo_sheets.storage.workbook")

# A temporary file this old under the lock belongs to a writer that died mid-save.
STALE_TEMPORARY_SECONDS = 60


def save_atomically(book: Workbook, path: Path) -> None:
    """Save a whole workbook (a new file) by openpyxl, atomically (``_replace_with``)."""
    _replace_with(path, book.save)


def edits_made(book: Workbook, touched: Touched) -> Edits:
    """What a write changed, from the workbook in memory: each cell noted as written, as
    it is now, and each tab created with its frozen header and dropdowns."""
    edits = Edits()
    for title, row, column in touched.cells:
        value = book[title].cell(row, column).value
        edits.cells.setdefault(title, {})[(row, column)] = None if value is None else str(value)
    for title in touched.created:
        sheet = book[title]
        dropdowns = [
            (str(rule.sqref), rule.formula1) for rule in sheet.data_validations.dataValidation
        ]
        edits.new_tabs.append(NewTab(title, sheet.freeze_panes == "A2", dropdowns))
    return edits


def save_edits(path: Path, edits: Edits) -> list[str]:
    """Patch the edits into the file, atomically; return the zip parts that changed."""
    changed: list[str] = []

    def write(temporary: str) -> None:
        with open(temporary, "wb") as target:
            changed.extend(patch_xlsx(str(path), target, edits))

    _replace_with(path, write)
    return changed


def _replace_with(path: Path, write) -> None:
    """Write a temporary file beside the workbook (``write(name)``), sync it, then rename it
    over the old one: a writer killed mid-save leaves the old file whole."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        write(temporary)
        # Unsynced, a power cut after the rename could leave an empty workbook under the
        # real name.
        with open(temporary, "rb+") as written:
            written.flush()
            os.fsync(written.fileno())
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    sync_folder(path.parent)  # so the rename itself survives a power cut


def sweep_stale_temporaries(path: Path) -> None:
    """Delete temporary files beside ``path`` left by a writer killed mid-save.

    Called under the lock, where no writer of ours is saving; the age check also spares a
    writer on a filesystem where the lock does not reach (a network share from another host).
    """
    cutoff = time.time() - STALE_TEMPORARY_SECONDS
    prefix, suffix = f".{path.name}.", ".tmp"
    try:
        with os.scandir(path.parent) as found:
            leftovers = [
                entry.path
                for entry in found
                if entry.name.startswith(prefix) and entry.name.endswith(suffix)
            ]
        for leftover in leftovers:
            if os.stat(leftover).st_mtime < cutoff:
                os.unlink(leftover)
                log.warning("removed %s, left by a writer stopped mid-save", leftover)
    except OSError as error:
        log.warning("could not clear old temporary files beside %s: %r", path, error)


def office_lock_file(path: Path) -> Path | None:
    """The lock file a spreadsheet program keeps beside the workbook while it has it open."""
    name = path.name
    candidates = (
        f".~lock.{name}#",  # LibreOffice and OpenOffice
        f"~${name}",  # Excel
        # Word shortens long names this way and some Office versions do it for workbooks
        # too; a false alarm only costs a journal line, a miss costs rows.
        f"~${name[1:]}",
        f"~${name[2:]}",
    )
    for candidate in candidates:
        lock = path.with_name(candidate)
        if lock.exists():
            return lock
    return None


def sync_folder(folder: Path) -> None:
    """Make a rename or a new file in the folder durable (POSIX; Windows cannot open a folder)."""
    if os.name != "posix":
        return
    try:
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError as error:
        # Some filesystems refuse to sync a folder; the rename has happened all the same.
        log.debug("could not sync folder %s: %r", folder, error)
