"""The local-workbook backend: an .xlsx file that coordinators can open in any spreadsheet program.

Every write happens under a file lock (so several server processes take turns), on a copy
re-read from disk if anyone changed it, and lands with an atomic, synced rename (so a writer
killed or a power cut mid-write leaves the old file whole). Reads reload the file when it
changed on disk.

A spreadsheet program that has the file open holds a copy from before the site's later writes,
and saving it would undo them. So while such a program's lock file sits beside the workbook,
each row appended and each row changed is also recorded in a journal,
``<workbook>.pending.jsonl``, one JSON object a line::

    {"op": "append", "tab": "Signups", "id": "X1", "header": [...], "row": [...], "at": "..."}
    {"op": "update", "tab": "Signups", "id_header": "ID", "id": "X1",
     "changes": {"Status": "cancelled"}, "previous": {"Status": "confirmed"}, "at": "..."}

Whenever the workbook is reloaded after someone else changed it, journal entries whose effect is
missing are applied again: a row whose ID is no longer in its tab is appended again, and an
update is made again only where the row's cells still hold their previous values (otherwise a
person changed them on purpose, and that wins). Rows deleted that are not in the journal stay
deleted. Once no spreadsheet program's lock file is present, the saved file holds every effect
and the journal is removed.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time as clock
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import openpyxl
from filelock import FileLock, Timeout
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..sheet_format import column_index, header_key
from . import Grid, SheetMissing, StorageError, TabRepair, TabSpec
from .rows import cells_to_change

log = logging.getLogger(__name__)

LOCK_TIMEOUT_SECONDS = 30
# The column whose value names a row, for finding journalled rows again.
ID_HEADER = "ID"
# A temporary file this old under the lock belongs to a writer that died mid-save.
STALE_TEMPORARY_SECONDS = 60
# Looking for such leftovers lists the folder, so do it at most this often.
SWEEP_EVERY_SECONDS = 60

Entry = dict[str, Any]


@dataclass
class _Write:
    """The workbook handed to a write, and the journal entries describing what it changed."""

    book: Workbook
    entries: list[Entry] = field(default_factory=list)


class WorkbookStorage:
    """Tabs of an .xlsx file, read and written with openpyxl."""

    backend_name = "workbook"
    # update_row finds and writes its row under the file lock: it cannot land elsewhere.
    atomic_row_updates = True
    display_name = "The workbook"
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
            return {title: _grid(_sheet(book, title)) for title in titles}

    def append_rows(self, title: str, rows: Sequence[Sequence[str]]) -> int | None:
        """Add rows below the last non-empty row of the tab, as text; return the first's row."""
        with self._writing() as write:
            sheet = _sheet(write.book, title)
            if sheet is None:
                raise StorageError(f"The workbook has no {title} tab; run `flask sheet init`.")
            header = _header(sheet)
            next_row = _last_used_row(sheet) + 1
            for offset, row in enumerate(rows):
                for column, value in enumerate(row, start=1):
                    if value != "":
                        _set_text(sheet.cell(next_row + offset, column), value)
                write.entries.append(_append_entry(title, header, row))
        return next_row

    def update_row(
        self, title: str, row_id: str, changes: Mapping[str, str], *, id_header: str = "ID"
    ) -> bool:
        """Set cells (by header name) of the row whose ID matches, in the file as it is now."""
        with self._writing() as write:
            sheet = _sheet(write.book, title)
            cells = cells_to_change(_grid(sheet), title, row_id, changes, id_header)
            if cells is None:
                return False
            previous = {
                name: _text(sheet.cell(row, column).value)
                for name, (row, column, _) in zip(changes, cells, strict=True)
            }
            for row, column, value in cells:
                _set_text(sheet.cell(row, column), value)
            write.entries.append(
                {
                    "op": "update",
                    "tab": title,
                    "id_header": id_header,
                    "id": row_id,
                    "changes": dict(changes),
                    "previous": previous,
                    "at": _now(),
                }
            )
            return True

    def ensure_tab(self, spec: TabSpec) -> TabRepair:
        """Create the tab, or add missing headers at the right end of its header row."""
        with self._writing() as write:
            return _ensure_tab(write.book, spec)

    def office_lock_file(self) -> Path | None:
        """The lock file a spreadsheet program keeps beside the workbook while it has it open."""
        name = self.path.name
        candidates = (
            f".~lock.{name}#",  # LibreOffice and OpenOffice
            f"~${name}",  # Excel
            # Word shortens long names this way and some Office versions do it for workbooks
            # too; a false alarm only costs a journal line, a miss costs rows.
            f"~${name[1:]}",
            f"~${name[2:]}",
        )
        for candidate in candidates:
            lock = self.path.with_name(candidate)
            if lock.exists():
                return lock
        return None

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
            _ensure_tab(book, spec)
        if not book.sheetnames:
            book.create_sheet("Sheet1")
        self._save(book)
        log.info("created workbook %s", self.path)

    def _load(self) -> Workbook:
        try:
            return openpyxl.load_workbook(self.path)
        except FileNotFoundError:
            self._book = None
            raise self._missing() from None
        except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as error:
            self._book = None
            raise StorageError(
                "The schedule workbook cannot be read right now; it may be mid-save.",
                detail=f"{self.path}: {error!r}",
                transient=True,
            ) from error

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
                    yield write
                except BaseException:
                    self._book = None  # the in-memory copy may be half-changed: reload it
                    raise
                self._save_or_fail(write.book)
                # Looked for after the save: a program opening the file from now on reads
                # these changes, one that opened it earlier has left its lock file by now.
                if write.entries and self.office_lock_file() is not None:
                    self._journal(write.entries)

    def _save_or_fail(self, book: Workbook) -> None:
        try:
            self._save(book)
        except OSError as error:
            self._book = None
            raise StorageError(
                "The schedule workbook could not be saved.", detail=repr(error)
            ) from error

    def _save(self, book: Workbook) -> None:
        """Write a temporary file beside the workbook, sync it, then rename it over the old one."""
        handle, temporary = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        os.close(handle)
        try:
            book.save(temporary)
            # openpyxl closes the file without syncing it; unsynced, a power cut after the
            # rename could leave an empty workbook under the real name.
            with open(temporary, "rb+") as written:
                written.flush()
                os.fsync(written.fileno())
            mode = self.path.stat().st_mode & 0o777 if self.path.exists() else 0o644
            os.chmod(temporary, mode)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._stamp = self._file_stamp()
        _sync_folder(self.path.parent)  # so the rename itself survives a power cut

    def _sweep_stale_temporaries(self) -> None:
        """Delete temporary files left by a writer killed mid-save; called under the lock."""
        now = clock.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_EVERY_SECONDS
        # Under the lock no writer of ours is saving, but the age check also spares a writer
        # on a filesystem where the lock does not reach (a network share from another host).
        cutoff = clock.time() - STALE_TEMPORARY_SECONDS
        prefix, suffix = f".{self.path.name}.", ".tmp"
        try:
            with os.scandir(self.path.parent) as found:
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
            log.warning("could not clear old temporary files beside %s: %r", self.path, error)

    # -- the journal of writes a spreadsheet program's copy could undo -------------------

    def _journal(self, entries: Sequence[Entry]) -> None:
        """Record writes durably before they are confirmed, while a program has the file open."""
        data = "".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in entries)
        payload = data.encode("utf-8")
        try:
            created = not self.journal_path.exists()
            with open(self.journal_path, "a+b") as journal:
                size = journal.seek(0, os.SEEK_END)
                if size:
                    journal.seek(size - 1)
                    if journal.read(1) != b"\n":
                        payload = b"\n" + payload  # a writer killed mid-line left it unfinished
                journal.write(payload)
                journal.flush()
                os.fsync(journal.fileno())
            if created:
                _sync_folder(self.path.parent)
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

    def _read_journal(self) -> list[Entry]:
        try:
            text = self.journal_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as error:
            raise StorageError(
                "The schedule workbook cannot be read right now.",
                detail=f"{self.journal_path}: {error!r}",
                transient=True,
            ) from error
        entries = []
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                log.warning("skipped an unreadable line of %s: %r", self.journal_path, line)
                continue
            if isinstance(entry, dict):
                entries.append(entry)
        return entries

    def _settle_journal(self) -> None:
        """Re-apply journalled writes missing from the file; drop the journal once it is safe."""
        with self._file_lock_held():
            stamp = self._file_stamp()
            if self._book is None or stamp != self._stamp:
                self._book = self._load()
                self._stamp = stamp
            if _reapply(self._book, self._read_journal()):
                self._save_or_fail(self._book)
            if self.office_lock_file() is None:
                # No program holds an old copy any more, and the file now holds every effect
                # (or a person's later change that overrides it).
                self.journal_path.unlink(missing_ok=True)
                log.info("%s is closed in the spreadsheet program: journal cleared", self.path)
            self._reloaded = False


def _sync_folder(folder: Path) -> None:
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


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _append_entry(title: str, header: Sequence[str], row: Sequence[str]) -> Entry:
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


def _reapply(book: Workbook, entries: Sequence[Entry]) -> bool:
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
    sheet = _sheet(book, title)
    if sheet is None:
        log.warning("could not re-add row %r: the %s tab is gone", entry["row"], title)
        return False
    grid = _grid(sheet)
    header = grid[0] if grid else []
    if _row_present(grid, entry):
        return False
    row_number = _last_used_row(sheet) + 1
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
            _set_text(sheet.cell(1, column + 1), name)
        _set_text(sheet.cell(row_number, column + 1), value)
    log.warning(
        "re-added row %s to the %s tab: a spreadsheet program saved a copy without it",
        row_id or entry["row"],
        title,
    )
    return True


def _row_present(grid: Grid, entry: Entry) -> bool:
    row_id = str(entry["id"]).strip()
    id_column = column_index(grid[0], ID_HEADER) if grid else None
    if row_id and id_column is not None:
        return any(id_column < len(row) and row[id_column].strip() == row_id for row in grid[1:])
    # A row without an ID is known only by its values.
    values = list(entry["row"])
    while values and values[-1] == "":
        values.pop()
    return values in grid[1:]


def _reupdate(book: Workbook, entry: Entry) -> bool:
    """Make a journalled update again where the row's cells still hold their previous values."""
    title, row_id, changes = entry["tab"], entry["id"], entry["changes"]
    previous = entry["previous"]
    sheet = _sheet(book, title)
    if sheet is None:
        log.warning("could not re-apply %r to row %s: the %s tab is gone", changes, row_id, title)
        return False
    cells = cells_to_change(_grid(sheet), title, row_id, changes, entry["id_header"])
    if cells is None:
        log.warning("did not re-apply %r to row %s of %s: the row is gone", changes, row_id, title)
        return False
    current = {
        name: _text(sheet.cell(row, column).value)
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
        _set_text(sheet.cell(row, column), value)
    log.warning(
        "re-applied %r to row %s of the %s tab: a spreadsheet program saved a copy without it",
        changes,
        row_id,
        title,
    )
    return True


def _header(sheet: Worksheet) -> list[str]:
    """The tab's header row as text, trailing blanks trimmed."""
    first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    header = [_text(value) for value in first]
    while header and header[-1] == "":
        header.pop()
    return header


def _sheet(book: Workbook, title: str) -> Worksheet | None:
    """Find a tab by title, whatever its case and spacing."""
    key = header_key(title)
    for sheet in book.worksheets:
        if header_key(sheet.title) == key:
            return sheet
    return None


def _text(value: object) -> str:
    """A cell as the text a person sees, whatever type a spreadsheet program gave it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d" if value.time() == time(0) else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _grid(sheet: Worksheet | None) -> Grid:
    """All rows as strings, trailing empty cells and rows trimmed, as Google returns them."""
    if sheet is None:
        return []
    rows = []
    for values in sheet.iter_rows(values_only=True):
        row = [_text(v) for v in values]
        while row and row[-1] == "":
            row.pop()
        rows.append(row)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _last_used_row(sheet: Worksheet) -> int:
    """The last row holding any value (formatting alone does not count)."""
    for row in range(sheet.max_row, 0, -1):
        if any(cell.value not in (None, "") for cell in sheet[row]):
            return row
    return 0


def _set_text(cell, value: str) -> None:
    """Store a value as text, so '=1+1' or '+44 …' is never run as a formula."""
    cell.value = value
    cell.data_type = "s"


def _ensure_tab(book: Workbook, spec: TabSpec) -> TabRepair:
    repair = TabRepair(spec.title)
    sheet = _sheet(book, spec.title)
    if sheet is None:
        sheet = book.create_sheet(spec.title)
        repair.created = True
    header = _grid(sheet)[:1]
    header_row = header[0] if header else []
    if not header_row:
        for column, title in enumerate(spec.headers, start=1):
            _set_text(sheet.cell(1, column), title)
        if _last_used_row(sheet) <= 1:
            for row_number, row in enumerate(spec.seed_rows, start=2):
                for column, value in enumerate(row, start=1):
                    _set_text(sheet.cell(row_number, column), value)
        repair.added_headers = [] if repair.created else list(spec.headers)
    else:
        for title in spec.headers:
            if column_index(header_row, title) is None:
                header_row.append(title)
                _set_text(sheet.cell(1, len(header_row)), title)
                repair.added_headers.append(title)
    if repair.changed:
        sheet.freeze_panes = "A2"
        _add_dropdowns(sheet, spec)
    return repair


def _add_dropdowns(sheet: Worksheet, spec: TabSpec) -> None:
    header_row = _grid(sheet)[0]
    for header, allowed in spec.choices.items():
        column = column_index(header_row, header)
        if column is None:
            continue
        letter = get_column_letter(column + 1)
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join(allowed) + '"',
            allow_blank=True,
            showErrorMessage=False,  # a warning-free hint: coordinators may type other spellings
        )
        validation.add(f"{letter}2:{letter}10000")
        sheet.add_data_validation(validation)
