"""The in-memory backend: tabs held in a dict, for fast tests of the services.

It honours the storage contract (``tests/test_storage_contract.py`` runs it beside the real
backends) and nothing more: no file, no network, no waits. Row updates are atomic (one lock
guards every call). ``edit_tab``, ``rename_tab`` and ``delete_tab`` let a test play a
coordinator who rewrites, renames or deletes a tab by hand; a renamed tab is followed by its
header row, as in the workbook (``tab_identity``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from ..headers import column_index, header_key
from . import Grid, TabMissing, TabPlace, TabRepair, TabSpec
from .rows import cells_to_change, cells_to_replace
from .tab_identity import copies_by_name, follow_by_header


class MemoryStorage:
    """Tabs as lists of rows of strings, kept in this process only."""

    backend_name = "memory"
    atomic_row_updates = True
    display_name = "The sheet"
    default_cache_seconds = 0.0

    def __init__(self, tabs: Sequence[TabSpec] = ()) -> None:
        self._tabs: dict[str, list[list[str]]] = {}
        self._lock = threading.Lock()
        self._specs = tuple(tabs)
        for spec in tabs:
            self.ensure_tab(spec)

    def read_tabs(self, titles: Sequence[str]) -> dict[str, Grid]:
        """Whole tabs, trailing empty cells and rows trimmed; a missing tab is empty."""
        with self._lock:
            return {title: _trimmed(self._tabs.get(self._title(title), [])) for title in titles}

    def append_rows(self, title: str, rows: Sequence[Sequence[str]]) -> int | None:
        """Add rows after the last non-empty row, as text; return the first one's row number."""
        with self._lock:
            tab = self._tabs.get(self._title(title))
            if tab is None:
                raise TabMissing(title)
            del tab[len(_trimmed(tab)) :]
            first = len(tab) + 1
            tab.extend([str(value) for value in row] for row in rows)
            return first

    def locate_tabs(self, titles: Sequence[str]) -> dict[str, TabPlace]:
        """Each tab's title now (None if missing) and the tabs that look like its copies."""
        with self._lock:
            return {title: self._place(title) for title in titles}

    def update_row(
        self, title: str, row_id: str, changes: Mapping[str, str], *, id_header: str = "ID"
    ) -> bool:
        """Set cells (by header name) of the row whose ID is ``row_id``; False if none."""
        with self._lock:
            tab = self._tabs.get(self._title(title), [])
            cells = cells_to_change(_trimmed(tab), title, row_id, changes, id_header)
            if cells is None:
                return False
            _set_cells(tab, cells)
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
        """Overwrite the row holding exactly ``expected`` with ``row``, position by position."""
        with self._lock:
            tab = self._tabs.get(self._title(title), [])
            cells = cells_to_replace(_trimmed(tab), expected, row, near, id_header)
            if cells is None:
                return False
            _set_cells(tab, cells)
            return True

    def ensure_tab(self, spec: TabSpec) -> TabRepair:
        """Create the tab, or add missing headers at the right end of its header row."""
        with self._lock:
            repair = TabRepair(spec.title)
            title = self._title(spec.title)
            if title not in self._tabs:
                self._tabs[title] = []
                repair.created = True
            tab = self._tabs[title]
            if not _trimmed(tab[:1]):
                tab[:1] = [list(spec.headers)]
                if len(_trimmed(tab)) <= 1:
                    tab[1:] = [list(row) for row in spec.seed_rows]
                repair.added_headers = [] if repair.created else list(spec.headers)
                return repair
            header = tab[0]
            del header[len(_trimmed([header])[0]) :]
            for name in spec.headers:
                if column_index(header, name) is None:
                    header.append(name)
                    repair.added_headers.append(name)
            return repair

    def edit_tab(self, title: str, rows: Sequence[Sequence[str]]) -> None:
        """Replace a tab's contents, as a coordinator sorting or deleting rows would."""
        with self._lock:
            self._tabs[self._title(title)] = [[str(value) for value in row] for row in rows]

    def rename_tab(self, title: str, new_title: str) -> None:
        """Rename a tab, as a coordinator would."""
        with self._lock:
            old = self._title(title)
            self._tabs = {
                (new_title if name == old else name): rows for name, rows in self._tabs.items()
            }

    def delete_tab(self, title: str) -> None:
        """Delete a tab, as a coordinator would."""
        with self._lock:
            self._tabs.pop(self._title(title), None)

    def _title(self, title: str) -> str:
        """The tab's own title for ``title``: matched whatever its case and spacing, else a
        tab a coordinator renamed, by its header row."""
        return self._place(title).found_as or title

    def _place(self, title: str) -> TabPlace:
        key = header_key(title)
        names = list(self._tabs)
        found = next((name for name in names if header_key(name) == key), None)
        spec = next((s for s in self._specs if header_key(s.title) == key), None)
        if found is not None or spec is None:
            return TabPlace(title, found, copies_by_name(names, title, found))
        taken = {header_key(s.title) for s in self._specs}
        headers = [_trimmed(self._tabs[name][:1])[:1] or [[]] for name in names]
        followed, copies = follow_by_header(names, [h[0] for h in headers], spec, taken)
        return TabPlace(title, followed, copies)


def _trimmed(rows: Sequence[Sequence[str]]) -> Grid:
    """Copies of the rows without trailing empty cells, and without trailing empty rows."""
    grid = []
    for row in rows:
        cells = list(row)
        while cells and cells[-1] == "":
            cells.pop()
        grid.append(cells)
    while grid and not grid[-1]:
        grid.pop()
    return grid


def _set_cells(tab: Grid, cells) -> None:
    """Write (row, column, value) cells into a tab, widening short rows as a sheet would."""
    for row, column, value in cells:
        line = tab[row - 1]
        line.extend([""] * (column - len(line)))
        line[column - 1] = str(value)
