"""Header matching: how a column is found by its name in a hand-edited header row.

Coordinators rename, reorder and retype headers, so names match whatever their case,
spacing and punctuation, and a few columns also answer to other spellings. One rule,
used by the sheet's format to read rows and by the storage backends to find cells.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Other spellings coordinators might use for a column, by canonical header (the names
# are the sheet format's, see sheet_format.layout and docs/sheet-format.md).
ALIASES: dict[str, tuple[str, ...]] = {
    "Start (UTC)": ("Start", "Start time", "From"),
    "End (UTC)": ("End", "End time", "Until", "To"),
    "Signed up at (UTC)": ("Signed up at", "Signed up", "Timestamp"),
    "Notes": ("Note", "Comments", "Comment"),
    "Contact": ("Email", "E-mail", "Nick", "IRC nick"),
    "Day": ("Weekday",),
}


def header_key(text: str) -> str:
    """Header names match whatever their case, spacing and punctuation."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(text).casefold()).split())


def column_index(header_row: Sequence[str], header: str) -> int | None:
    """The position of a column by its name, else by an alias; the leftmost match wins."""
    keys = [header_key(cell) for cell in header_row]
    for name in (header, *ALIASES.get(header, ())):
        if header_key(name) in keys:
            return keys.index(header_key(name))
    return None


def missing_headers(header_row: Sequence[str], headers: Sequence[str]) -> list[str]:
    """The headers of ``headers`` that the header row lacks."""
    return [h for h in headers if column_index(header_row, h) is None]
