"""The local-workbook backend: an .xlsx file that coordinators can open in any spreadsheet program.

Every write happens under a file lock (so several server processes take turns), on a copy
re-read from disk if anyone changed it, and lands with an atomic, synced rename (so a writer
killed or a power cut mid-write leaves the old file whole). Reads reload the file when it
changed on disk.

A spreadsheet program that has the file open holds a copy from before the site's later writes,
and saving it would undo them. So while such a program's lock file sits beside the workbook,
each row appended or changed is also recorded in a journal (``<workbook>.pending.jsonl``, see
``workbook_journal``). Whenever the workbook is reloaded after someone else changed it, journal
entries whose effect is missing are applied again (an update only where the row's cells still
hold their previous values: otherwise a person changed them on purpose, and that wins). Once no
spreadsheet program's lock file is present, the journal is removed.

This module is the backend itself; the file's saving and clean-up are in ``workbook_files``,
reading and writing tabs in ``workbook_sheets``, the journal in ``workbook_journal``.
"""

from __future__ import annotations

import logging
import os
import threading
import time as clock
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from filelock import FileLock, Timeout
from lxml import etree
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook

from . import Grid, SheetMissing, StorageError, TabMissing, TabPlace, TabRepair, TabSpec
from .cells import cell_text
from .rows import cells_to_change, cells_to_replace
from .workbook_files import (
    edits_made,
    office_lock_file,
    save_atomically,
    save_edits,
    sweep_stale_temporaries,
)
from .workbook_formats import unreadable
from .workbook_journal import (
    Entry,
    append_entry,
    read_journal,
    reapply,
    update_entry,
    write_journal,
)
from .workbook_sheets import (
    Touched,
    clear,
    ensure_tab,
    find_sheet,
    grid,
    header,
    last_used_row,
    locate,
    recording,
    set_text,
)

log = logging.getLogger(__name__)

LOCK_TIMEOUT_SECONDS = 30
# Looking for temporary files left by a writer killed mid-save lists the folder, so do it at
# most this often.
SWEEP_EVERY_SECONDS = 60
# A file that cannot be opened is tried once more after this long: it may be mid-save.
MID_SAVE_RETRY_SECONDS = 0.25
# What openpyxl raises for a file it cannot read (zipfile's, lxml's or its own).
_UNREADABLE = (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, EOFError)


@dataclass
class _Write:
    """The workbook handed to a write, and the journal entries describing what it changed."""

    book: Workbook
    entries: list[Entry] = field(default_factory=list)


class WorkbookStorage:
    """Tabs of an .xlsx file, read with openpyxl, written by patching only what changes."""

    backend_name = "workbook"
    display_name = "The workbook"
    # update_row finds and writes its row under the file lock: it cannot land elsewhere.
    atomic_row_updates = True
    # A read is a stat of the file (and a reload only when it changed): cheap.
    default_cache_seconds = 0.0

    def __init__(
        self,
        path: str | os.PathLike,
        new_file_tabs: Sequence[TabSpec] = (),
        create_on_first_use: bool = True,
    ) -> None:
        self.path = Path(path)
        self.journal_path = self.path.with_name(self.path.name + ".pending.jsonl")
        # The site's last good copy of the tabs, shared by its processes (SheetReader).
        self.last_good_path = self.path.with_name(self.path.name + ".last-good.json")
        self._new_file_tabs = tuple(new_file_tabs)
        # Until this object has seen the file, a missing one may be made (if allowed); once
        # it has, a missing file was deleted or moved, and that is an error.
        self._create_on_first_use = create_on_first_use
        self._seen = False
        self._file_lock = FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS)
        self._thread_lock = threading.RLock()
        self._book: Workbook | None = None
        self._stamp: tuple[int, int, int] | None = None
        # True from loading someone else's version of the file until the journal is checked.
        self._reloaded = False
        self._next_sweep = 0.0

    def read_tabs(self, titles: Sequence[str]) -> dict[str, Grid]:
        """Read whole tabs; a missing tab reads as an empty grid."""
        with self._thread_lock:
            book = self._fresh_book()
            return {title: grid(self._find(book, title)) for title in titles}

    def locate_tabs(self, titles: Sequence[str]) -> dict[str, TabPlace]:
        """Each tab's title in the workbook now (a renamed tab is followed by its header)."""
        with self._thread_lock:
            book = self._fresh_book()
            return {title: locate(book, title, self._new_file_tabs) for title in titles}

    def append_rows(self, title: str, rows: Sequence[Sequence[str]]) -> int | None:
        """Add rows below the last non-empty row of the tab, as text; return the first's row."""
        with self._writing() as write:
            sheet = self._find(write.book, title)
            if sheet is None:
                raise TabMissing(title, detail=f"{self.path.name} has no {title} tab")
            names = header(sheet)
            next_row = last_used_row(sheet) + 1
            for offset, row in enumerate(rows):
                for column, value in enumerate(row, start=1):
                    if value != "":
                        set_text(sheet.cell(next_row + offset, column), value)
                write.entries.append(append_entry(title, names, row))
        return next_row

    def update_row(
        self, title: str, row_id: str, changes: Mapping[str, str], *, id_header: str = "ID"
    ) -> bool:
        """Set cells (by header name) of the row whose ID matches, in the file as it is now."""
        with self._writing() as write:
            sheet = self._find(write.book, title)
            cells = cells_to_change(grid(sheet), title, row_id, changes, id_header)
            if cells is None:
                return False
            previous = {
                name: cell_text(sheet.cell(row, column).value)
                for name, (row, column, _) in zip(changes, cells, strict=True)
            }
            for row, column, value in cells:
                set_text(sheet.cell(row, column), value)
            write.entries.append(update_entry(title, id_header, row_id, changes, previous))
            return True

    def replace_row(
        self,
        title: str,
        expected: Sequence[str],
        row: Sequence[str],
        *,
        near: int | None = None,
        id_header: str = "ID",
    ) -> bool:
        """Overwrite the row holding exactly ``expected`` with ``row``, in the file as it is now."""
        with self._writing() as write:
            sheet = find_sheet(write.book, title)
            cells = cells_to_replace(grid(sheet), expected, row, near, id_header)
            if sheet is None or cells is None:
                return False
            for number, column, value in cells:
                if value:
                    set_text(sheet.cell(number, column), value)
                else:
                    clear(sheet.cell(number, column))
            return True

    def ensure_tab(self, spec: TabSpec) -> TabRepair:
        """Create the tab, or add missing headers at the right end of its header row."""
        with self._writing() as write:
            return ensure_tab(write.book, spec, self._new_file_tabs)

    def _find(self, book: Workbook, title: str):
        """The tab for ``title``: by its title, else a renamed one by its header row."""
        return find_sheet(book, title, self._new_file_tabs)

    def office_lock_file(self) -> Path | None:
        """The lock file a spreadsheet program keeps beside the workbook while it has it open."""
        return office_lock_file(self.path)

    # -- file handling -------------------------------------------------------------------

    def create_if_missing(self, first_start: bool = False) -> bool:
        """Make the workbook with the site's tabs if there is none; True if it was made.

        Safe when several processes start at once: the file is looked for again under the
        lock. With ``first_start``, a workbook this site has used before (its last good copy
        lies beside it) is not made again: it was deleted or moved, and pages say so.
        """
        with self._thread_lock, self._file_lock_held():
            if self.path.exists():
                self._seen = True
                return False
            if first_start and self.last_good_path.exists():
                log.error("%s", self._missing().message)
                return False
            self._create_file()
            self._seen = True
            self._book = None
            return True

    def _missing(self) -> SheetMissing:
        try:
            shown = self.path.resolve().relative_to(Path.cwd())
        except ValueError:
            shown = Path(self.path.name)  # no server folders on a public page
        return SheetMissing(
            f"The workbook {shown} is missing: it was deleted or moved while the site was "
            "running. Put it back, or run `flask --app app sheet init` to start a new one.",
            detail=str(self.path),
        )

    def _fresh_book(self) -> Workbook:
        """The workbook as it is on disk now, reloading only when the file changed."""
        if not self.path.exists():
            if self._seen or not self._create_on_first_use:
                self._book = None
                raise self._missing()
            self.create_if_missing()
        self._seen = True
        try:
            stamp = self._file_stamp()
        except FileNotFoundError:  # gone between the look and the stat
            self._book = None
            raise self._missing() from None
        if self._book is None or stamp != self._stamp:
            self._book = self._load()
            self._stamp = stamp
            self._reloaded = True
        if self._reloaded:
            # A journal exists only while a spreadsheet program has (or lately had) the file
            # open, so most of the time this costs one stat.
            if self.journal_path.exists():
                self._settle_journal()
            self._reloaded = False
        elif self.journal_path.exists() and self.office_lock_file() is None:
            self._settle_journal()  # the program closed without saving: the journal can go
        return self._book

    def _create_file(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        book = openpyxl.Workbook()
        book.remove(book.active)
        for spec in self._new_file_tabs:
            ensure_tab(book, spec)
        if not book.sheetnames:
            book.create_sheet("Sheet1")
        self._save(book)
        log.info("created workbook %s", self.path)

    def _load(self) -> Workbook:
        """Open the file; one that fails is tried again a moment later (it may be mid-save),
        then described in the coordinator's terms (``workbook_formats``)."""
        try:
            return self._open()
        except _UNREADABLE as first:
            clock.sleep(MID_SAVE_RETRY_SECONDS)
            try:
                book = self._open()
            except _UNREADABLE as error:
                self._book = None
                raise unreadable(self.path, error) from error
            log.info("%s was mid-save (%r); it read a moment later", self.path.name, first)
            return book

    def _open(self) -> Workbook:
        try:
            return openpyxl.load_workbook(self.path)
        except FileNotFoundError:
            self._book = None
            raise self._missing() from None

    def _file_stamp(self) -> tuple[int, int, int]:
        stat = self.path.stat()
        return stat.st_mtime_ns, stat.st_size, stat.st_ino

    @contextmanager
    def _file_lock_held(self) -> Iterator[None]:
        """Hold the cross-process lock, or explain that the workbook is busy."""
        try:
            self._file_lock.acquire()
        except Timeout as error:
            raise StorageError(
                "The schedule workbook is busy; please try again in a moment.",
                detail=f"lock {self._file_lock.lock_file} held over {self._file_lock.timeout}s",
                transient=True,
            ) from error
        try:
            yield
        finally:
            self._file_lock.release()

    @contextmanager
    def _writing(self) -> Iterator[_Write]:
        """Hand out the workbook as it is on disk under both locks; save it if all went well."""
        with self._thread_lock:
            self._fresh_book()  # creates the file first if need be
            with self._file_lock_held():
                # Re-read under the lock: another process may have written since.
                write = _Write(self._fresh_book())
                self._sweep_stale_temporaries()
                try:
                    with recording() as touched:
                        yield write
                except BaseException:
                    self._book = None  # the in-memory copy may be half-changed: reload it
                    raise
                self._save_or_fail(write.book, touched)
                # Looked for after the save: a program opening the file from now on reads
                # these changes, one that opened it earlier has left its lock file by now.
                if write.entries and self.office_lock_file() is not None:
                    self._journal(write.entries)

    def _save_or_fail(self, book: Workbook, touched: Touched) -> None:
        """Patch what the write touched into the file (only those parts change)."""
        try:
            edits = edits_made(book, touched)
            if edits:
                save_edits(self.path, edits)
                self._stamp = self._file_stamp()
        except (OSError, KeyError, ValueError, zipfile.BadZipFile, etree.LxmlError) as error:
            self._book = None
            raise StorageError(
                "The schedule workbook could not be saved.", detail=repr(error)
            ) from error

    def _save(self, book: Workbook) -> None:
        """Save whole or not at all (``workbook_files.save_atomically``)."""
        save_atomically(book, self.path)
        self._stamp = self._file_stamp()

    def _sweep_stale_temporaries(self) -> None:
        """Delete temporary files left by a writer killed mid-save; called under the lock."""
        now = clock.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_EVERY_SECONDS
        sweep_stale_temporaries(self.path)

    # -- the journal of writes a spreadsheet program's copy could undo -------------------

    def _journal(self, entries: Sequence[Entry]) -> None:
        """Record writes durably before they are confirmed, while a program has the file open."""
        try:
            write_journal(self.journal_path, entries)
        except OSError as error:
            raise StorageError(
                "The change was saved, but the schedule is open in a spreadsheet program that "
                "may undo it; please check it in a moment.",
                detail=f"{self.journal_path}: {error!r}",
                maybe_applied=True,
            ) from error
        log.info(
            "%s is open in a spreadsheet program (%s): journalled %d write(s)",
            self.path.name,
            self.office_lock_file(),
            len(entries),
        )

    def _settle_journal(self) -> None:
        """Re-apply journalled writes missing from the file; drop the journal once it is safe."""
        with self._file_lock_held():
            stamp = self._file_stamp()
            if self._book is None or stamp != self._stamp:
                self._book = self._load()
                self._stamp = stamp
            with recording() as touched:
                reapplied = reapply(self._book, read_journal(self.journal_path))
            if reapplied:
                self._save_or_fail(self._book, touched)
            if self.office_lock_file() is None:
                # No program holds an old copy any more, and the file now holds every effect
                # (or a person's later change that overrides it).
                self.journal_path.unlink(missing_ok=True)
                log.info("%s is closed in the spreadsheet program: journal cleared", self.path)
            self._reloaded = False
