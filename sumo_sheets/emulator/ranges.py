"""A1 notation: parsing ranges the way the Sheets API reads them and printing them as it does."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import unable_to_parse_range

_PART = re.compile(r"\$?(?P<col>[A-Za-z]{1,3})?\$?(?P<row>[1-9][0-9]{0,8})?")
# Titles Google prints without quotes: a word that cannot be mistaken for a cell or R1C1 ref.
_PLAIN_TITLE = re.compile(r"[^\W\d]\w*")
_CELL_LIKE = re.compile(r"[A-Za-z]{1,3}[0-9]+|[Rr][0-9]*[Cc][0-9]*")


@dataclass(frozen=True)
class Area:
    """A rectangle of a tab, zero-based; an end of None runs to the edge of the grid."""

    start_row: int = 0
    start_col: int = 0
    end_row: int | None = None  # exclusive
    end_col: int | None = None  # exclusive
    single_cell: bool = False  # written as one cell ("A1"): an anchor, not a bound, for writes


WHOLE_SHEET = Area()


@dataclass(frozen=True)
class ParsedRange:
    """A range resolved to an existing tab title (as stored) and an area of it."""

    title: str
    area: Area


def column_letters(index: int) -> str:
    """Letters of a zero-based column index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """Zero-based index of column letters: A -> 0, AA -> 26."""
    index = 0
    for char in letters.upper():
        index = index * 26 + (ord(char) - ord("A") + 1)
    return index - 1


def quote_title(title: str) -> str:
    """A tab title as Google prints it in a range: quoted only when it has to be."""
    if _PLAIN_TITLE.fullmatch(title) and not _CELL_LIKE.fullmatch(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def format_range(title: str, start_row: int, start_col: int, end_row: int, end_col: int) -> str:
    """A closed rectangle (exclusive ends) in Google's normalized form, e.g. `Signups!A1:J20`."""
    start = f"{column_letters(start_col)}{start_row + 1}"
    if end_row - start_row == 1 and end_col - start_col == 1:
        return f"{quote_title(title)}!{start}"
    return f"{quote_title(title)}!{start}:{column_letters(end_col - 1)}{end_row}"


def _parse_part(text: str) -> tuple[int | None, int | None] | None:
    """(row, col) zero-based of one side of an area; either may be None; None if not A1."""
    match = _PART.fullmatch(text)
    if not match or not (match["col"] or match["row"]):
        return None
    row = int(match["row"]) - 1 if match["row"] else None
    col = column_index(match["col"]) if match["col"] else None
    return row, col


def parse_area(text: str) -> Area | None:
    """An area like A1, A1:B2, A:C, 2:5 or A2:F; None if the text is not one."""
    first, colon, second = text.partition(":")
    start = _parse_part(first)
    if start is None:
        return None
    if not colon:
        row, col = start
        if row is None or col is None:
            return None  # a lone "A" or "5" is not a range
        return Area(row, col, row + 1, col + 1, single_cell=True)
    end = _parse_part(second)
    if end is None:
        return None
    (row1, col1), (row2, col2) = start, end
    if (row1 is None and col2 is None) or (col1 is None and row2 is None):
        return None  # "A:5" or "2:B" mixes a column with a row
    start_row, end_row = _span(row1, row2)
    start_col, end_col = _span(col1, col2)
    return Area(start_row, start_col, end_row, end_col)


def _span(first: int | None, second: int | None) -> tuple[int, int | None]:
    """One dimension of an area: both ends given, one (the other is open), or none."""
    if first is not None and second is not None:
        return min(first, second), max(first, second) + 1
    if first is not None:
        return first, None  # A2:F runs to the last row
    if second is not None:
        return 0, second + 1  # A:F5 starts at the first row
    return 0, None


def _split_quoted_title(text: str) -> tuple[str, str] | None:
    """('title', rest) for text starting with a quoted title ('' is a quote); None if unclosed."""
    i = 1
    chars = []
    while i < len(text):
        if text[i] == "'":
            if i + 1 < len(text) and text[i + 1] == "'":
                chars.append("'")
                i += 2
                continue
            return "".join(chars), text[i + 1 :]
        chars.append(text[i])
        i += 1
    return None


def _find_title(wanted: str, titles: Sequence[str]) -> str | None:
    """The stored title a range names: exact first, else ignoring case as Sheets does."""
    if wanted in titles:
        return wanted
    folded = wanted.casefold()
    for title in titles:
        if title.casefold() == folded:
            return title
    return None


def parse_range(text: str, titles: Sequence[str]) -> ParsedRange:
    """Resolve a range against a spreadsheet's tab titles (in tab order), or raise Google's 400."""
    if not titles:
        raise unable_to_parse_range(text)
    if text.startswith("'"):
        split = _split_quoted_title(text)
        if split is None:
            raise unable_to_parse_range(text)
        wanted, rest = split
        if rest and not rest.startswith("!"):
            raise unable_to_parse_range(text)
        area_text = rest[1:] if rest else None
    elif "!" in text:
        wanted, _, area_text = text.rpartition("!")
    else:
        title = _find_title(text, titles)
        if title is not None:
            return ParsedRange(title, WHOLE_SHEET)
        area = parse_area(text)
        if area is None:
            raise unable_to_parse_range(text)
        return ParsedRange(titles[0], area)
    title = _find_title(wanted, titles)
    if title is None:
        raise unable_to_parse_range(text)
    if area_text is None:
        return ParsedRange(title, WHOLE_SHEET)
    area = parse_area(area_text)
    if area is None:
        raise unable_to_parse_range(text)
    return ParsedRange(title, area)
