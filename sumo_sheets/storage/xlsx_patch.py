"""Writing cells into an .xlsx file the coordinator owns, changing only what is written.

openpyxl's load-and-save round trip rewrites the whole file and drops what it does not model
(images, cached formula results, custom properties, chart details). Instead the package is
copied part by part, every part byte for byte, except:

- the worksheet part of each tab written to (``xlsx_sheet``: the cells, the dimension, and
  an autofilter that must grow to cover rows added under it);
- a table part (``xl/tables/tableN.xml``) whose range, starting at the header row, must grow
  the same way, with its autofilter;
- ``xl/workbook.xml`` only when a tab is added, or when the hidden ``_xlnm._FilterDatabase``
  name of a grown autofilter must follow it;
- for a new tab: its new worksheet part, ``xl/workbook.xml``, ``xl/_rels/workbook.xml.rels``
  and ``[Content_Types].xml`` (one element added to each).
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO

from lxml import etree

from .xlsx_sheet import (
    Bounds,
    CellValues,
    SheetPatch,
    format_range,
    grown_down,
    parse,
    parse_range,
    serialize,
)
from .xlsx_tab import NewTab, add_tab, rels_path

DOCUMENT_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TABLE_TYPE = DOCUMENT_RELS + "/table"
OFFICE_DOCUMENT_TYPE = DOCUMENT_RELS + "/officeDocument"


@dataclass
class Edits:
    """What a write changes: cells by tab title, and tabs to add (with their cells)."""

    cells: dict[str, dict[tuple[int, int], str | None]] = field(default_factory=dict)
    new_tabs: list[NewTab] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.new_tabs) or any(self.cells.values())


def resolve(source: str, target: str) -> str:
    """A relationship's target as a part name, relative to the part ``source``."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


class Package:
    """The parts of an .xlsx being patched: read on demand, changed ones kept aside."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.names = set(archive.namelist())
        self.changed: dict[str, bytes] = {}
        self.workbook_part = self._workbook_part()

    def read(self, name: str) -> bytes:
        return self.changed[name] if name in self.changed else self.archive.read(name)

    def relationships(self, part: str) -> list[etree._Element]:
        name = rels_path(part)
        if name not in self.names and name not in self.changed:
            return []
        return list(parse(self.read(name)).getroot())

    def _workbook_part(self) -> str:
        for rel in self.relationships(""):
            if rel.get("Type") == OFFICE_DOCUMENT_TYPE:
                return resolve("", rel.get("Target"))
        return "xl/workbook.xml"

    def sheets(self) -> list[tuple[str, str]]:
        """(title, worksheet part) of every tab, in the workbook's order."""
        targets = {
            rel.get("Id"): resolve(self.workbook_part, rel.get("Target"))
            for rel in self.relationships(self.workbook_part)
        }
        root = parse(self.read(self.workbook_part)).getroot()
        found = []
        for sheet in root.iter("{*}sheet"):
            rel_id = sheet.get(f"{{{DOCUMENT_RELS}}}id")
            found.append((sheet.get("name"), targets.get(rel_id, "")))
        return found


def patch_xlsx(source: str, target: IO[bytes], edits: Edits) -> list[str]:
    """Write ``source`` with ``edits`` applied to ``target``; return the parts changed."""
    with zipfile.ZipFile(source) as archive:
        package = Package(archive)
        new_titles = {tab.title for tab in edits.new_tabs}
        for tab in edits.new_tabs:
            add_tab(package, tab, edits.cells.get(tab.title, {}))
        sheets = package.sheets()
        for title, values in edits.cells.items():
            if title not in new_titles and values:
                _patch_tab(package, sheets, title, values)
        _copy(archive, target, package.changed)
        return sorted(package.changed)


def _patch_tab(
    package: Package, sheets: Sequence[tuple[str, str]], title: str, values: CellValues
) -> None:
    index, part = next(
        ((i, part) for i, (name, part) in enumerate(sheets) if name == title), (None, None)
    )
    if part is None or part not in package.names:
        raise KeyError(f"no worksheet part for the {title} tab")
    sheet = SheetPatch(package.read(part))
    sheet.set_cells(values)
    sheet.grow_dimension()
    filtered = sheet.grow_autofilter()
    package.changed[part] = sheet.to_bytes()
    if filtered is not None:
        _follow_filter_name(package, index, *filtered)
    for rel in package.relationships(part):
        if rel.get("Type") == TABLE_TYPE:
            table = resolve(part, rel.get("Target"))
            _grow_table(package, table, sheet.written_rows, sheet.written_columns)


def _grow_table(package: Package, part: str, rows: set[int], columns: set[int]) -> None:
    """Grow a table starting at the header row over rows written right under it."""
    tree = parse(package.read(part))
    table = tree.getroot()
    bounds = parse_range(table.get("ref"))
    if bounds is None or table.get("totalsRowCount", "0") != "0":
        return  # rows under a totals row would land below it: leave the table alone
    if table.get("headerRowCount", "1") == "0":
        return
    grown = grown_down(bounds, rows, columns)
    if grown is None:
        return
    table.set("ref", format_range(grown))
    for autofilter in table.iterchildren("{*}autoFilter"):
        if parse_range(autofilter.get("ref")) == bounds:
            autofilter.set("ref", format_range(grown))
    package.changed[part] = serialize(tree)


def _follow_filter_name(package: Package, index: int, old: Bounds, new: Bounds) -> None:
    """Make the tab's hidden ``_xlnm._FilterDatabase`` name cover the grown autofilter."""
    tree = parse(package.read(package.workbook_part))
    for name in tree.getroot().iter("{*}definedName"):
        if name.get("name") != "_xlnm._FilterDatabase" or name.get("localSheetId") != str(index):
            continue
        sheet, _, ref = (name.text or "").rpartition("!")
        if sheet and parse_range(ref.replace("$", "")) == old:
            name.text = f"{sheet}!{format_range(new, absolute=True)}"
            package.changed[package.workbook_part] = serialize(tree)


def _copy(archive: zipfile.ZipFile, target: IO[bytes], changed: Mapping[str, bytes]) -> None:
    """Every part in its order: changed ones as given, the rest byte for byte; new ones last."""
    with zipfile.ZipFile(target, "w") as out:
        for info in archive.infolist():
            data = changed[info.filename] if info.filename in changed else archive.read(info)
            out.writestr(_entry(info), data)
        for name in sorted(set(changed) - set(archive.namelist())):
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(entry, changed[name])


def _entry(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A fresh entry with the original's name, time, compression and attributes."""
    entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    entry.compress_type = info.compress_type
    entry.external_attr = info.external_attr
    entry.create_system = info.create_system
    entry.comment = info.comment
    return entry
