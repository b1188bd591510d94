"""One worksheet's XML part, patched in place with lxml (``xlsx_patch`` handles the package).

A cell the site writes becomes an inline string (``t="inlineStr"``), never a formula, and keeps
its style; a cell it clears loses its value and keeps its style. A cell or row the site adds
takes the style of the one above when that is in a data row (not the header), so it looks like
its neighbours. The sheet's dimension grows to cover what was written, and so does an autofilter
that starts at the header row and ends just above rows written right under it. Every other
element, attribute, namespace and prefix is left as it was.
"""

from __future__ import annotations

import bisect
import io
import re
from collections.abc import Iterable, Mapping

from lxml import etree
from openpyxl.utils import column_index_from_string, get_column_letter

# (first column, first row, last column, last row), 1-based.
Bounds = tuple[int, int, int, int]
# (row, column) -> the text to write there; None or "" clears the cell.
CellValues = Mapping[tuple[int, int], "str | None"]

XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
_PARSER = etree.XMLParser(huge_tree=True, remove_blank_text=False, resolve_entities=False)


def parse(data: bytes) -> etree._ElementTree:
    """An XML part as a tree (a huge sheet is fine; entities are never expanded)."""
    return etree.parse(io.BytesIO(data), _PARSER)


def serialize(tree: etree._ElementTree) -> bytes:
    """The tree as bytes, with the declaration the part had."""
    info = tree.docinfo
    return etree.tostring(
        tree,
        xml_declaration=True,
        encoding=info.encoding or "UTF-8",
        standalone=info.standalone,
    )


def cell_position(ref: str) -> tuple[int, int]:
    """(row, column) of a reference like ``B7`` or ``$B$7``."""
    found = _CELL_REF.match(ref.strip())
    if found is None:
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(found.group(2)), column_index_from_string(found.group(1).upper())


def parse_range(ref: str | None) -> Bounds | None:
    """Bounds of ``A1:N43`` (or a single cell); None when it is not a plain range."""
    if not ref or " " in ref.strip():
        return None
    try:
        corners = [cell_position(part) for part in ref.split(":")]
    except ValueError:
        return None
    if len(corners) not in (1, 2):
        return None
    (top, left), (bottom, right) = corners[0], corners[-1]
    return left, top, right, bottom


def format_range(bounds: Bounds, absolute: bool = False) -> str:
    """``A1:N43`` (or ``$A$1:$N$43``) for bounds."""
    mark = "$" if absolute else ""
    left, top, right, bottom = bounds
    first = f"{mark}{get_column_letter(left)}{mark}{top}"
    return f"{first}:{mark}{get_column_letter(right)}{mark}{bottom}"


def grown_down(bounds: Bounds, rows: Iterable[int], columns: Iterable[int]) -> Bounds | None:
    """Bounds grown over rows written right below them; None when they need not grow.

    Only a range that starts at the header row (row 1) and shares a column with the cells
    written grows: it is the coordinator's filter or table over the tab's rows.
    """
    left, top, right, bottom = bounds
    if top != 1 or not any(left <= column <= right for column in columns):
        return None
    end = bottom
    for row in sorted(set(rows)):
        if row == end + 1:
            end = row
        elif row > end + 1:
            break
    return (left, top, right, end) if end != bottom else None


class SheetPatch:
    """A worksheet part being patched."""

    def __init__(self, data: bytes):
        self.tree = parse(data)
        self.root = self.tree.getroot()
        self.namespace = etree.QName(self.root).namespace
        self.data = self._child(self.root, "sheetData")
        if self.data is None:
            raise ValueError("the worksheet has no sheetData")
        self._rows: dict[int, etree._Element] = {}
        self._numbers: list[int] = []
        self._index_rows()
        self.written_rows: set[int] = set()
        self.written_columns: set[int] = set()

    def tag(self, name: str) -> str:
        return f"{{{self.namespace}}}{name}" if self.namespace else name

    def _child(self, parent: etree._Element, name: str) -> etree._Element | None:
        return parent.find(self.tag(name))

    def _index_rows(self) -> None:
        """Number every row; rows without an ``r`` (allowed, rare) are given theirs."""
        number = 0
        for row in self.data.iterchildren(self.tag("row")):
            number = int(row.get("r")) if row.get("r") else number + 1
            row.set("r", str(number))
            self._rows[number] = row
        self._numbers = sorted(self._rows)

    def set_cells(self, values: CellValues) -> None:
        """Write each cell (a text, or None to clear it), rows and columns in order."""
        for (row, column), value in sorted(values.items()):
            self._write(row, column, value or "")
            self.written_rows.add(row)
            self.written_columns.add(column)

    def _write(self, number: int, column: int, value: str) -> None:
        row = self._row(number)
        cell = self._cell(row, number, column)
        for child in list(cell):
            if etree.QName(child).localname in ("f", "v", "is"):
                cell.remove(child)
        for name in ("cm", "vm"):
            cell.attrib.pop(name, None)
        if value:
            cell.set("t", "inlineStr")
            inline = etree.Element(self.tag("is"))
            text = etree.SubElement(inline, self.tag("t"))
            text.text = value
            if value != value.strip() or "\n" in value:
                text.set(XML_SPACE, "preserve")
            cell.insert(0, inline)
            return
        cell.attrib.pop("t", None)
        if set(cell.attrib) <= {"r"} and len(cell) == 0:
            row.remove(cell)

    def _row(self, number: int) -> etree._Element:
        """The row element numbered ``number``, made (styled like the row above) if need be."""
        row = self._rows.get(number)
        if row is not None:
            return row
        row = etree.Element(self.tag("row"), r=str(number))
        position = bisect.bisect(self._numbers, number)
        if position < len(self._numbers):
            self._rows[self._numbers[position]].addprevious(row)
        else:
            self.data.append(row)
        self._numbers.insert(position, number)
        self._rows[number] = row
        self._style_like_above(row, number)
        return row

    def _style_like_above(self, row: etree._Element, number: int) -> None:
        """Give a new row the styles of the data row above it (not the header's)."""
        above = self._rows.get(number - 1) if number > 2 else None
        if above is None:
            return
        for name in ("s", "customFormat"):
            if above.get(name) is not None:
                row.set(name, above.get(name))
        for cell in above.iterchildren(self.tag("c")):
            style = cell.get("s")
            if style and style != "0" and cell.get("r"):
                _, column = cell_position(cell.get("r"))
                etree.SubElement(
                    row, self.tag("c"), r=f"{get_column_letter(column)}{number}", s=style
                )

    def _cell(self, row: etree._Element, number: int, column: int) -> etree._Element:
        """The cell at ``column`` of the row, made in column order if need be."""
        ref = f"{get_column_letter(column)}{number}"
        later = None
        for cell in row.iterchildren(self.tag("c")):
            found = cell_position(cell.get("r"))[1] if cell.get("r") else None
            if found == column:
                return cell
            if found is not None and found > column:
                later = cell
                break
        cell = etree.Element(self.tag("c"), r=ref)
        style = self._style_above(number, column)
        if style is not None:
            cell.set("s", style)
        if later is not None:
            later.addprevious(cell)
        else:
            extension = self._child(row, "extLst")
            if extension is not None:
                extension.addprevious(cell)
            else:
                row.append(cell)
        _widen_spans(row, column)
        return cell

    def _style_above(self, number: int, column: int) -> str | None:
        """The style of the cell above a new cell, when that is a data row's (not the header)."""
        above = self._rows.get(number - 1) if number > 2 else None
        if above is None:
            return None
        for cell in above.iterchildren(self.tag("c")):
            if cell.get("r") and cell_position(cell.get("r"))[1] == column:
                return cell.get("s")
        return None

    def grow_dimension(self) -> None:
        """Make the sheet's dimension cover every cell written."""
        dimension = self._child(self.root, "dimension")
        bounds = parse_range(dimension.get("ref")) if dimension is not None else None
        if bounds is None or not self.written_rows:
            return
        left, top, right, bottom = bounds
        grown = (
            min(left, *self.written_columns),
            min(top, *self.written_rows),
            max(right, *self.written_columns),
            max(bottom, *self.written_rows),
        )
        if grown != bounds:
            dimension.set("ref", format_range(grown))

    def grow_autofilter(self) -> tuple[Bounds, Bounds] | None:
        """Grow the sheet's own autofilter over rows added under it: (old, new) bounds."""
        found = self._child(self.root, "autoFilter")
        bounds = parse_range(found.get("ref")) if found is not None else None
        if bounds is None:
            return None
        grown = grown_down(bounds, self.written_rows, self.written_columns)
        if grown is None:
            return None
        found.set("ref", format_range(grown))
        return bounds, grown

    def to_bytes(self) -> bytes:
        return serialize(self.tree)


def _widen_spans(row: etree._Element, column: int) -> None:
    """Keep a row's optional ``spans`` hint true after adding a cell at ``column``."""
    spans = row.get("spans")
    if not spans or ":" not in spans:
        return
    try:
        first, last = (int(part) for part in spans.split(":", 1))
    except ValueError:
        row.attrib.pop("spans")
        return
    row.set("spans", f"{min(first, column)}:{max(last, column)}")
