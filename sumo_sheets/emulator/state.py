"""The in-memory model: spreadsheets, their tabs and cells, who may see them; saved as JSON."""

from __future__ import annotations

import json
import logging
import os
import random
import secrets
import tempfile
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import cells as cellmod
from .cells import Cell
from .ranges import format_range

log = logging.getLogger(__name__)

ROWS = "ROWS"
COLUMNS = "COLUMNS"
DEFAULT_ROWS = 1000
DEFAULT_COLUMNS = 26
SPREADSHEET_MIME_TYPE = "application/vnd.google-apps.spreadsheet"
ROLES_THAT_WRITE = ("owner", "organizer", "fileOrganizer", "writer")


def now_rfc3339() -> str:
    """The current time as Drive prints it, e.g. 2026-11-30T14:00:00.000Z."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _shift_for_insert(start: int, end: int | None, at: int, count: int) -> tuple[int, int | None]:
    """An interval after `count` lines are inserted before line `at` (inside grows it)."""
    if start >= at:
        return start + count, None if end is None else end + count
    if end is not None and end > at:
        return start, end + count
    return start, end


def _shift_for_delete(
    start: int, end: int | None, cut_start: int, cut_end: int
) -> tuple[int, int | None] | None:
    """An interval after lines [cut_start, cut_end) are deleted; None if nothing is left."""
    removed = cut_end - cut_start

    def moved(index: int) -> int:
        if index <= cut_start:
            return index
        return cut_start if index <= cut_end else index - removed

    new_start = moved(start)
    if end is None:
        return new_start, None
    new_end = moved(end)
    return None if new_end <= new_start else (new_start, new_end)


@dataclass
class GridBox:
    """A rectangle of one tab with zero-based exclusive ends; None runs to the grid's edge."""

    start_row: int = 0
    end_row: int | None = None
    start_col: int = 0
    end_col: int | None = None

    @classmethod
    def from_grid_range(cls, grid: dict[str, Any]) -> GridBox:
        """From a GridRange as batchUpdate requests carry it."""
        return cls(
            int(grid.get("startRowIndex", 0)),
            None if grid.get("endRowIndex") is None else int(grid["endRowIndex"]),
            int(grid.get("startColumnIndex", 0)),
            None if grid.get("endColumnIndex") is None else int(grid["endColumnIndex"]),
        )

    def to_grid_range(self, sheet_id: int) -> dict[str, Any]:
        """As a GridRange (open ends left out, as Google does)."""
        grid: dict[str, Any] = {"sheetId": sheet_id}
        if self.start_row:
            grid["startRowIndex"] = self.start_row
        if self.end_row is not None:
            grid["endRowIndex"] = self.end_row
        if self.start_col:
            grid["startColumnIndex"] = self.start_col
        if self.end_col is not None:
            grid["endColumnIndex"] = self.end_col
        return grid

    def contains(self, row: int, col: int) -> bool:
        """Whether the cell lies in the box."""
        return (
            self.start_row <= row
            and (self.end_row is None or row < self.end_row)
            and self.start_col <= col
            and (self.end_col is None or col < self.end_col)
        )

    def within(self, other: GridBox) -> bool:
        """Whether this box lies wholly inside `other`."""

        def inside(start: int, end: int | None, o_start: int, o_end: int | None) -> bool:
            if start < o_start:
                return False
            if o_end is None:
                return True
            return end is not None and end <= o_end

        return inside(self.start_row, self.end_row, other.start_row, other.end_row) and inside(
            self.start_col, self.end_col, other.start_col, other.end_col
        )

    def adjust_insert(self, dimension: str, at: int, count: int) -> None:
        """Follow inserted rows or columns."""
        if dimension == ROWS:
            self.start_row, self.end_row = _shift_for_insert(
                self.start_row, self.end_row, at, count
            )
        else:
            self.start_col, self.end_col = _shift_for_insert(
                self.start_col, self.end_col, at, count
            )

    def adjust_delete(self, dimension: str, start: int, end: int) -> bool:
        """Follow deleted rows or columns; False if the box is gone."""
        if dimension == ROWS:
            shifted = _shift_for_delete(self.start_row, self.end_row, start, end)
            if shifted is None:
                return False
            self.start_row, self.end_row = shifted
        else:
            shifted = _shift_for_delete(self.start_col, self.end_col, start, end)
            if shifted is None:
                return False
            self.start_col, self.end_col = shifted
        return True

    def to_json(self) -> dict[str, Any]:
        return {
            "startRow": self.start_row,
            "endRow": self.end_row,
            "startColumn": self.start_col,
            "endColumn": self.end_col,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GridBox:
        return cls(data["startRow"], data["endRow"], data["startColumn"], data["endColumn"])


@dataclass
class Validation:
    """A data-validation rule over a box of cells, as setDataValidation stored it."""

    box: GridBox
    rule: dict[str, Any]


@dataclass
class Sheet:
    """One tab: its grid size, properties, cells (row lists, trimmed lazily) and rules."""

    sheet_id: int
    title: str
    row_count: int = DEFAULT_ROWS
    column_count: int = DEFAULT_COLUMNS
    frozen_row_count: int = 0
    frozen_column_count: int = 0
    # Properties the emulator keeps but gives no meaning (hidden, tabColorStyle, ...).
    extra: dict[str, Any] = field(default_factory=dict)
    extra_grid: dict[str, Any] = field(default_factory=dict)
    cells: list[list[Cell]] = field(default_factory=list)
    validations: list[Validation] = field(default_factory=list)
    merges: list[GridBox] = field(default_factory=list)
    # Developer metadata at this tab's location: {metadataId, metadataKey, metadataValue,
    # visibility} each; it follows the tab through renames and goes when the tab is deleted.
    developer_metadata: list[dict[str, Any]] = field(default_factory=list)

    # -- cells ---------------------------------------------------------------------------

    def get(self, row: int, col: int) -> Cell:
        """The cell at a zero-based position (None when empty)."""
        if row < len(self.cells):
            line = self.cells[row]
            if col < len(line):
                return line[col]
        return None

    def set(self, row: int, col: int, value: Cell) -> None:
        """Store one cell (None empties it)."""
        if value is None and self.get(row, col) is None:
            return
        while len(self.cells) <= row:
            self.cells.append([])
        line = self.cells[row]
        while len(line) <= col:
            line.append(None)
        line[col] = value

    def used_row_count(self) -> int:
        """One past the last row that has a value."""
        for index in range(len(self.cells) - 1, -1, -1):
            if any(v is not None for v in self.cells[index]):
                return index + 1
        return 0

    def row_is_empty(self, row: int, start_col: int, end_col: int) -> bool:
        """Whether a row has no value in columns [start_col, end_col)."""
        if row >= len(self.cells):
            return True
        return all(v is None for v in self.cells[row][start_col:end_col])

    def clear_box(self, start_row: int, start_col: int, end_row: int, end_col: int) -> None:
        """Empty every cell of a closed rectangle."""
        for row in range(start_row, min(end_row, len(self.cells))):
            line = self.cells[row]
            for col in range(start_col, min(end_col, len(line))):
                line[col] = None

    def truncate_to_grid(self) -> None:
        """Drop stored cells that fell outside the grid after it shrank."""
        del self.cells[self.row_count :]
        for line in self.cells:
            del line[self.column_count :]

    # -- dimensions ----------------------------------------------------------------------

    def insert(self, dimension: str, at: int, count: int) -> None:
        """Insert empty rows or columns before index `at`; everything below or right moves."""
        if dimension == ROWS:
            if at < len(self.cells):
                self.cells[at:at] = [[] for _ in range(count)]
            self.row_count += count
            if at < self.frozen_row_count:
                self.frozen_row_count += count
        else:
            for line in self.cells:
                if at < len(line):
                    line[at:at] = [None] * count
            self.column_count += count
            if at < self.frozen_column_count:
                self.frozen_column_count += count
        for box in [v.box for v in self.validations] + self.merges:
            box.adjust_insert(dimension, at, count)

    def delete(self, dimension: str, start: int, end: int) -> None:
        """Delete rows or columns [start, end); everything below or right moves up or left."""
        removed = end - start
        if dimension == ROWS:
            del self.cells[start:end]
            self.row_count -= removed
            frozen_cut = max(0, min(end, self.frozen_row_count) - start)
            self.frozen_row_count -= frozen_cut
        else:
            for line in self.cells:
                del line[start:end]
            self.column_count -= removed
            frozen_cut = max(0, min(end, self.frozen_column_count) - start)
            self.frozen_column_count -= frozen_cut
        self.validations = [
            v for v in self.validations if v.box.adjust_delete(dimension, start, end)
        ]
        self.merges = [m for m in self.merges if m.adjust_delete(dimension, start, end)]

    def move(self, dimension: str, start: int, end: int, destination: int) -> None:
        """Move rows or columns [start, end) to before `destination` (pre-move coordinates)."""
        # A line stored shorter than the destination is padded to it, so the block lands there.
        reach = max(end, destination)
        if destination > start:
            destination -= end - start

        def moved(items: list[Any], filler: Any) -> list[Any]:
            padded = items + [filler() for _ in range(max(0, reach - len(items)))]
            block = padded[start:end]
            rest = padded[:start] + padded[end:]
            return rest[:destination] + block + rest[destination:]

        if dimension == ROWS:
            self.cells = moved(self.cells, list)
        else:
            self.cells = [moved(line, lambda: None) for line in self.cells]

    # -- validations ---------------------------------------------------------------------

    def set_validation(self, box: GridBox, rule: dict[str, Any] | None) -> None:
        """Set (or with None clear) the rule of a box; rules wholly inside it are replaced."""
        self.validations = [v for v in self.validations if not v.box.within(box)]
        if rule is not None:
            self.validations.append(Validation(box, rule))

    def validation_at(self, row: int, col: int) -> dict[str, Any] | None:
        """The rule that applies to a cell (the latest set wins where rules overlap)."""
        for validation in reversed(self.validations):
            if validation.box.contains(row, col):
                return validation.rule
        return None

    # -- JSON ----------------------------------------------------------------------------

    def properties(self, index: int) -> dict[str, Any]:
        """SheetProperties as spreadsheets.get returns them (zero values left out, as Google)."""
        grid: dict[str, Any] = {"rowCount": self.row_count, "columnCount": self.column_count}
        if self.frozen_row_count:
            grid["frozenRowCount"] = self.frozen_row_count
        if self.frozen_column_count:
            grid["frozenColumnCount"] = self.frozen_column_count
        grid.update(self.extra_grid)
        properties: dict[str, Any] = {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": index,
            "sheetType": "GRID",
            "gridProperties": grid,
        }
        properties.update(self.extra)
        return properties

    def to_json(self) -> dict[str, Any]:
        return {
            "sheetId": self.sheet_id,
            "title": self.title,
            "rowCount": self.row_count,
            "columnCount": self.column_count,
            "frozenRowCount": self.frozen_row_count,
            "frozenColumnCount": self.frozen_column_count,
            "extra": self.extra,
            "extraGrid": self.extra_grid,
            "cells": [[cellmod.to_json(v) for v in line] for line in self.cells],
            "validations": [{"box": v.box.to_json(), "rule": v.rule} for v in self.validations],
            "merges": [m.to_json() for m in self.merges],
            "developerMetadata": self.developer_metadata,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sheet:
        return cls(
            sheet_id=data["sheetId"],
            title=data["title"],
            row_count=data["rowCount"],
            column_count=data["columnCount"],
            frozen_row_count=data.get("frozenRowCount", 0),
            frozen_column_count=data.get("frozenColumnCount", 0),
            extra=data.get("extra", {}),
            extra_grid=data.get("extraGrid", {}),
            cells=[[cellmod.from_json(v) for v in line] for line in data.get("cells", [])],
            validations=[
                Validation(GridBox.from_json(v["box"]), v["rule"])
                for v in data.get("validations", [])
            ],
            merges=[GridBox.from_json(m) for m in data.get("merges", [])],
            developer_metadata=data.get("developerMetadata", []),
        )

    def clone(self) -> Sheet:
        """A copy deep enough to change without touching this one (cell values are immutable)."""
        return replace(
            self,
            extra=dict(self.extra),
            extra_grid=dict(self.extra_grid),
            cells=[line[:] for line in self.cells],
            validations=[Validation(replace(v.box), v.rule) for v in self.validations],
            merges=[replace(m) for m in self.merges],
            developer_metadata=[dict(m) for m in self.developer_metadata],
        )


@dataclass
class Permission:
    """A Drive permission: who (a user, group, domain or anyone) gets which role."""

    id: str
    type: str
    role: str
    email_address: str | None = None
    domain: str | None = None

    def grants(self, email: str) -> bool:
        """Whether this permission applies to the account."""
        if self.type == "anyone":
            return True
        if self.type == "domain":
            return bool(self.domain) and email.lower().endswith("@" + str(self.domain).lower())
        return bool(self.email_address) and self.email_address.lower() == email.lower()

    def to_json(self) -> dict[str, Any]:
        """As Drive's permissions resource."""
        data: dict[str, Any] = {
            "kind": "drive#permission",
            "id": self.id,
            "type": self.type,
            "role": self.role,
        }
        if self.email_address:
            data["emailAddress"] = self.email_address
        if self.domain:
            data["domain"] = self.domain
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Permission:
        return cls(
            data["id"], data["type"], data["role"], data.get("emailAddress"), data.get("domain")
        )


_ROLE_RANK = {"reader": 1, "commenter": 2, "writer": 3, "fileOrganizer": 3, "organizer": 3}


@dataclass
class Spreadsheet:
    """A spreadsheet file: its tabs in order, owner and sharing."""

    id: str
    title: str
    owner: str
    sheets: list[Sheet] = field(default_factory=list)
    permissions: list[Permission] = field(default_factory=list)
    locale: str = "en_US"
    time_zone: str = "Etc/GMT"
    created_time: str = field(default_factory=now_rfc3339)
    modified_time: str = field(default_factory=now_rfc3339)

    def titles(self) -> list[str]:
        """Tab titles in tab order."""
        return [sheet.title for sheet in self.sheets]

    def sheet(self, title: str) -> Sheet:
        """The tab with exactly this (stored) title."""
        return next(s for s in self.sheets if s.title == title)

    def sheet_by_id(self, sheet_id: int) -> Sheet | None:
        """The tab with this sheetId, if any."""
        return next((s for s in self.sheets if s.sheet_id == sheet_id), None)

    def has_title(self, title: str, ignore: Sheet | None = None) -> bool:
        """Whether another tab has this title; Sheets compares titles ignoring case."""
        folded = title.casefold()
        return any(s.title.casefold() == folded for s in self.sheets if s is not ignore)

    def role_of(self, email: str) -> str | None:
        """The caller's strongest role: owner, writer, commenter, reader, or None."""
        if email.lower() == self.owner.lower():
            return "owner"
        best = None
        for permission in self.permissions:
            if permission.grants(email) and (
                best is None or _ROLE_RANK.get(permission.role, 0) > _ROLE_RANK.get(best, 0)
            ):
                best = permission.role
        return best

    def touch(self) -> None:
        """Record a change for Drive's modifiedTime."""
        self.modified_time = now_rfc3339()

    def drive_file(self) -> dict[str, Any]:
        """As Drive's files resource."""
        return {
            "kind": "drive#file",
            "id": self.id,
            "name": self.title,
            "mimeType": SPREADSHEET_MIME_TYPE,
            "createdTime": self.created_time,
            "modifiedTime": self.modified_time,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "owner": self.owner,
            "locale": self.locale,
            "timeZone": self.time_zone,
            "createdTime": self.created_time,
            "modifiedTime": self.modified_time,
            "permissions": [p.to_json() for p in self.permissions],
            "sheets": [s.to_json() for s in self.sheets],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Spreadsheet:
        return cls(
            id=data["id"],
            title=data["title"],
            owner=data["owner"],
            sheets=[Sheet.from_json(s) for s in data["sheets"]],
            permissions=[Permission.from_json(p) for p in data.get("permissions", [])],
            locale=data.get("locale", "en_US"),
            time_zone=data.get("timeZone", "Etc/GMT"),
            created_time=data.get("createdTime") or now_rfc3339(),
            modified_time=data.get("modifiedTime") or now_rfc3339(),
        )

    def clone(self) -> Spreadsheet:
        """A copy to apply an all-or-nothing batch of changes to."""
        return replace(
            self,
            sheets=[s.clone() for s in self.sheets],
            permissions=[replace(p) for p in self.permissions],
        )

    def dump(self) -> dict[str, Any]:
        """A readable snapshot for tests: tabs with trimmed values, frozen rows, validations."""
        tabs = []
        for sheet in self.sheets:
            used = sheet.used_row_count()
            values = []
            for line in sheet.cells[:used]:
                row = [cellmod.render(v, cellmod.UNFORMATTED) for v in line]
                while row and row[-1] == "":
                    row.pop()
                values.append(row)
            tabs.append(
                {
                    "sheetId": sheet.sheet_id,
                    "title": sheet.title,
                    "rowCount": sheet.row_count,
                    "columnCount": sheet.column_count,
                    "frozenRowCount": sheet.frozen_row_count,
                    "frozenColumnCount": sheet.frozen_column_count,
                    "values": values,
                    "dataValidations": [
                        {
                            "range": _box_a1(sheet, v.box),
                            "gridRange": v.box.to_grid_range(sheet.sheet_id),
                            "rule": v.rule,
                        }
                        for v in sheet.validations
                    ],
                    "merges": [_box_a1(sheet, m) for m in sheet.merges],
                }
            )
        return {
            "id": self.id,
            "title": self.title,
            "owner": self.owner,
            "permissions": [p.to_json() for p in self.permissions],
            "sheets": tabs,
        }


def _box_a1(sheet: Sheet, box: GridBox) -> str:
    """A box in A1 notation with open ends closed at the grid's current edge."""
    end_row = sheet.row_count if box.end_row is None else box.end_row
    end_col = sheet.column_count if box.end_col is None else box.end_col
    return format_range(sheet.title, box.start_row, box.start_col, end_row, end_col)


def new_spreadsheet_id() -> str:
    """A 44-character id drawn from the same alphabet as Google's."""
    return "1" + secrets.token_urlsafe(33)[:43]


class State:
    """All spreadsheets, behind one lock; optionally loaded from and saved to a JSON file."""

    def __init__(self, state_file: str | os.PathLike | None = None) -> None:
        self.lock = threading.RLock()
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.state_file = Path(state_file) if state_file else None
        self._random = random.Random()

    def load(self) -> None:
        """Read the state file if there is one (a missing file is an empty state)."""
        if self.state_file is None or not self.state_file.exists():
            return
        data = json.loads(self.state_file.read_text(encoding="utf-8"))
        with self.lock:
            self.spreadsheets = {
                s["id"]: Spreadsheet.from_json(s) for s in data.get("spreadsheets", [])
            }
        log.info("Loaded %d spreadsheet(s) from %s", len(self.spreadsheets), self.state_file)

    def save(self) -> None:
        """Write the state file atomically (temp file, then rename), if there is one."""
        if self.state_file is None:
            return
        with self.lock:
            data = {"spreadsheets": [s.to_json() for s in self.spreadsheets.values()]}
            folder = self.state_file.parent
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".emulator-", suffix=".json", dir=folder)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(data, handle)
                os.replace(tmp, self.state_file)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

    def new_sheet_id(self, spreadsheet: Spreadsheet) -> int:
        """A random sheetId not used in the spreadsheet, like Google's."""
        taken = {s.sheet_id for s in spreadsheet.sheets}
        while True:
            candidate = self._random.randrange(1, 2**31 - 1)
            if candidate not in taken:
                return candidate

    def create_spreadsheet(
        self,
        owner: str,
        title: str = "Untitled spreadsheet",
        sheets: list[Sheet] | None = None,
        locale: str = "en_US",
        time_zone: str = "Etc/GMT",
    ) -> Spreadsheet:
        """A new spreadsheet with the given tabs, or one Sheet1 of 1000x26 as Google makes."""
        with self.lock:
            spreadsheet = Spreadsheet(
                id=new_spreadsheet_id(),
                title=title,
                owner=owner,
                sheets=sheets or [Sheet(sheet_id=0, title="Sheet1")],
                locale=locale,
                time_zone=time_zone,
            )
            self.spreadsheets[spreadsheet.id] = spreadsheet
            return spreadsheet

    def wipe(self) -> None:
        """Forget every spreadsheet."""
        with self.lock:
            self.spreadsheets.clear()
