"""The local-workbook backend: an .xlsx file that coordinators can open in any spreadsheet program.

Every write happens under a file lock (so several server processes take turns), on a copy
re-read from disk if anyone changed it, and lands with an atomic rename (so a crash
mid-write leaves the old file whole). Reads reload the file when it changed on disk.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
from filelock import FileLock, Timeout
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..sheet_format import column_index, header_key
from . import Grid, StorageError, TabRepair, TabSpec
from .rows import cells_to_change

log = logging.getLogger(__name__)

LOCK_TIMEOUT_SECONDS = 30


class WorkbookStorage:
    """Tabs of an .xlsx file, read and written with openpyxl."""

    backend_name = "workbook"

    def __init__(self, path: str | os.PathLike, new_file_tabs: Sequence[TabSpec] = ()) -> None:
        self.path = Path(path)
        self._new_file_tabs = tuple(new_file_tabs)
        self._file_lock = FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS)
        self._thread_lock = threading.RLock()
        self._book: Workbook | None = None
        self._stamp: tuple[int, int, int] | None = None

    def read_tabs(self, titles: Sequence[str]) -> dict[str, Grid]:
        """Read whole tabs; a missing tab reads as an empty grid."""
        with self._thread_lock:
            book = self._fresh_book()
            return {title: _grid(_sheet(book, title)) for title in titles}

    def append_rows(self, title: str, rows: Sequence[Sequence[str]]) -> None:
        """Add rows below the last non-empty row of the tab, as text."""
        with self._writing() as book:
            sheet = _sheet(book, title)
            if sheet is None:
                raise StorageError(f"The workbook has no {title} tab; run `flask sheet init`.")
            next_row = _last_used_row(sheet) + 1
            for offset, row in enumerate(rows):
                for column, value in enumerate(row, start=1):
                    if value != "":
                        _set_text(sheet.cell(next_row + offset, column), value)

    def update_row(
        self, title: str, row_id: str, changes: Mapping[str, str], *, id_header: str = "ID"
    ) -> bool:
        """Set cells (by header name) of the row whose ID matches, in the file as it is now."""
        with self._writing() as book:
            sheet = _sheet(book, title)
            cells = cells_to_change(_grid(sheet), title, row_id, changes, id_header)
            for row, column, value in cells or ():
                _set_text(sheet.cell(row, column), value)
            return cells is not None

    def ensure_tab(self, spec: TabSpec) -> TabRepair:
        """Create the tab, or add missing headers at the right end of its header row."""
        with self._writing() as book:
            return _ensure_tab(book, spec)

    # -- file handling -------------------------------------------------------------------

    def _fresh_book(self) -> Workbook:
        """The workbook as it is on disk now, reloading only when the file changed."""
        if not self.path.exists():
            with self._file_lock_held():
                if not self.path.exists():
                    self._create_file()
        stamp = self._file_stamp()
        if self._book is None or stamp != self._stamp:
            self._book = self._load()
            self._stamp = stamp
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
        except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as error:
            self._book = None
            raise StorageError(
                "The schedule workbook cannot be read right now; it may be mid-save.",
                detail=f"{self.path}: {error!r}",
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
                detail=f"lock {self._file_lock.lock_file} held over {LOCK_TIMEOUT_SECONDS}s",
            ) from error
        try:
            yield
        finally:
            self._file_lock.release()

    @contextmanager
    def _writing(self) -> Iterator[Workbook]:
        """Hand out the workbook as it is on disk under both locks; save it if all went well."""
        with self._thread_lock:
            self._fresh_book()  # creates the file first if need be
            with self._file_lock_held():
                # Re-read under the lock: another process may have written since.
                book = self._fresh_book()
                try:
                    yield book
                except BaseException:
                    self._book = None  # the in-memory copy may be half-changed: reload it
                    raise
                try:
                    self._save(book)
                except OSError as error:
                    self._book = None
                    raise StorageError(
                        "The schedule workbook could not be saved.", detail=repr(error)
                    ) from error

    def _save(self, book: Workbook) -> None:
        """Write to a temporary file beside the workbook, then rename it over the old one."""
        handle, temporary = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        os.close(handle)
        try:
            book.save(temporary)
            with open(temporary, "rb+") as written:
                os.fsync(written.fileno())
            mode = self.path.stat().st_mode & 0o777 if self.path.exists() else 0o644
            os.chmod(temporary, mode)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._stamp = self._file_stamp()


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
