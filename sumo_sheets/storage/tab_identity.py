"""Finding the site's tabs by identity, not only by title, the same way in every backend.

A coordinator may rename a tab ("Sign-ups 2026"), duplicate it ("Copy of Signups",
"Signups (2)", "Signups_2") or delete it. A backend knows its tabs by what survives a rename
(Google: developer metadata and the sheetId; a workbook: the header row); this module holds
the rules they share: which titles name copies, and which tab a header row points to when
no tab has the site's title.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..headers import column_index, header_key
from . import TabSpec

# A renamed tab is followed by its header row when it still has this share of the site's
# headers (and the ID column where the spec has one): a coordinator may have deleted one.
HEADER_SHARE = 0.75

_COPY_PATTERNS = (
    re.compile(r"^copy of (?P<title>.+)$"),  # Google Sheets
    re.compile(r"^(?P<title>.+?) ?\(\d+\)$"),  # Excel: "Signups (2)"
    re.compile(r"^(?P<title>.+?)_\d+$"),  # LibreOffice: "Signups_2"
)


def copy_source(title: str) -> str | None:
    """The title a copy's name was made from ("Copy of Signups" -> "Signups"), else None."""
    text = " ".join(title.split()).casefold()
    for pattern in _COPY_PATTERNS:
        match = pattern.match(text)
        if match:
            return match["title"]
    return None


def is_copy_of(title: str, original: str) -> bool:
    """True when ``title`` is the name a spreadsheet program gives a copy of ``original``."""
    source = copy_source(title)
    return source is not None and header_key(source) == header_key(original)


def has_layout_of(header: Sequence[str], spec: TabSpec) -> bool:
    """True when a header row is recognisably the spec's (a renamed tab of the site's)."""
    if not header or not spec.headers:
        return False
    present = [name for name in spec.headers if column_index(header, name) is not None]
    if "ID" in spec.headers and "ID" not in present:
        return False
    return len(present) >= HEADER_SHARE * len(spec.headers)


def follow_by_header(
    titles: Sequence[str], headers: Sequence[Sequence[str]], spec: TabSpec, taken: set[str]
) -> tuple[str | None, list[str]]:
    """The tab to follow for ``spec`` when none has its title, by header row, and the copies.

    ``titles`` and ``headers`` are the tabs in order; ``taken`` are header keys of titles that
    belong to other tabs of the site. A tab whose name is a copy's name of another candidate
    is a copy; when more than one candidate is left, none is followed (never guess).
    """
    candidates = [
        title
        for title, header in zip(titles, headers, strict=True)
        if header_key(title) not in taken and has_layout_of(header, spec)
    ]
    originals = [t for t in candidates if not any(is_copy_of(t, o) for o in candidates if o != t)]
    originals = [t for t in originals if not is_copy_of(t, spec.title)]
    if len(originals) != 1:
        return None, candidates
    return originals[0], [t for t in candidates if t != originals[0]]


def copies_by_name(titles: Sequence[str], spec_title: str, found_as: str | None) -> list[str]:
    """Tabs whose names are copies' names of the tab (under its own or its current title)."""
    names = [spec_title] + ([found_as] if found_as else [])
    return [t for t in titles if t != found_as and any(is_copy_of(t, n) for n in names)]
