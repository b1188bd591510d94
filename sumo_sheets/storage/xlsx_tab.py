"""Adding a tab to an .xlsx file the coordinator owns (``xlsx_patch`` handles the package).

The new worksheet part is written here, with the site's header row frozen and its dropdowns;
the workbook gains one ``<sheet>`` at the end of its tab order (so no tab's index, and no
name scoped to a tab, moves), its relationships one entry and the content types one override.
Every other part, ``docProps/app.xml``'s list of tab titles included, is left as it was:
spreadsheet programs rebuild that list on their next save.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

from .xlsx_sheet import CellValues, SheetPatch, parse, serialize

if TYPE_CHECKING:
    from .xlsx_patch import Package

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DOCUMENT_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
WORKSHEET_TYPE = DOCUMENT_RELS + "/worksheet"
WORKSHEET_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

_SKELETON = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}" '
    f'xmlns:r="{DOCUMENT_RELS}"><dimension ref="A1"/><sheetViews><sheetView '
    'workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/><sheetData/>'
    '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    "</worksheet>"
)


@dataclass
class NewTab:
    """A tab to add: its title, whether row 1 is frozen, and its dropdowns."""

    title: str
    freeze_header: bool = False
    # (cells, e.g. "D2:D10000", and the list formula, e.g. '"a,b"')
    dropdowns: Sequence[tuple[str, str]] = field(default_factory=tuple)


def tab_part(tab: NewTab, values: CellValues) -> bytes:
    """The worksheet part of a new tab holding ``values``."""
    sheet = SheetPatch(_SKELETON.encode())
    sheet.set_cells(values)
    sheet.grow_dimension()
    root = sheet.root
    if tab.freeze_header:
        view = root.find(f"{{{MAIN}}}sheetViews/{{{MAIN}}}sheetView")
        etree.SubElement(
            view,
            f"{{{MAIN}}}pane",
            ySplit="1",
            topLeftCell="A2",
            activePane="bottomLeft",
            state="frozen",
        )
        etree.SubElement(view, f"{{{MAIN}}}selection", pane="bottomLeft")
    if tab.dropdowns:
        validations = etree.Element(f"{{{MAIN}}}dataValidations", count=str(len(tab.dropdowns)))
        for cells, formula in tab.dropdowns:
            rule = etree.SubElement(
                validations,
                f"{{{MAIN}}}dataValidation",
                type="list",
                allowBlank="1",
                showErrorMessage="0",
                sqref=cells,
            )
            etree.SubElement(rule, f"{{{MAIN}}}formula1").text = formula
        root.find(f"{{{MAIN}}}pageMargins").addprevious(validations)
    return sheet.to_bytes()


def add_tab(package: Package, tab: NewTab, values: CellValues) -> str:
    """Add the tab's part and the three entries that name it; return the part's name."""
    number = 1
    while f"xl/worksheets/sheet{number}.xml" in package.names | set(package.changed):
        number += 1
    part = f"xl/worksheets/sheet{number}.xml"
    package.changed[part] = tab_part(tab, values)
    rel_id = _add_relationship(package, part)
    _add_sheet(package, tab.title, rel_id)
    _add_content_type(package, part)
    return part


def rels_path(part: str) -> str:
    """The relationships part of ``part``."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _add_relationship(package: Package, part: str) -> str:
    name = rels_path(package.workbook_part)
    tree = parse(package.read(name))
    taken = {rel.get("Id") for rel in tree.getroot()}
    number = len(taken) + 1
    while f"rId{number}" in taken:
        number += 1
    folder = package.workbook_part.rpartition("/")[0]
    target = part[len(folder) + 1 :] if folder and part.startswith(folder + "/") else "/" + part
    etree.SubElement(
        tree.getroot(),
        f"{{{PACKAGE_RELS}}}Relationship",
        Id=f"rId{number}",
        Type=WORKSHEET_TYPE,
        Target=target,
    )
    package.changed[name] = serialize(tree)
    return f"rId{number}"


def _add_sheet(package: Package, title: str, rel_id: str) -> None:
    tree = parse(package.read(package.workbook_part))
    sheets = next(tree.getroot().iter("{*}sheets"))
    namespace = etree.QName(sheets).namespace
    ids = [int(sheet.get("sheetId", "0")) for sheet in sheets]
    sheet = etree.SubElement(sheets, f"{{{namespace}}}sheet")
    sheet.set("name", title)
    sheet.set("sheetId", str(max(ids, default=0) + 1))
    sheet.set(f"{{{DOCUMENT_RELS}}}id", rel_id)
    package.changed[package.workbook_part] = serialize(tree)


def _add_content_type(package: Package, part: str) -> None:
    name = "[Content_Types].xml"
    tree = parse(package.read(name))
    etree.SubElement(
        tree.getroot(),
        f"{{{CONTENT_TYPES}}}Override",
        PartName="/" + part,
        ContentType=WORKSHEET_CONTENT,
    )
    package.changed[name] = serialize(tree)
