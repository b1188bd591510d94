"""The storage contract: a spreadsheet of tabs, each a header row over rows of cell strings.

Everything above this contract (parsing rows, rules, coverage) works on plain lists of
strings, so it cannot tell which backend it runs on; what it must know of a backend it asks
through the capability attributes of ``Storage`` (never by the backend's name).

The backends: ``workbook`` (a local .xlsx file, the default; with ``workbook_files``,
``workbook_sheets`` and ``workbook_journal``) and ``gsheets`` (a shared Google Sheet; with
``google_client`` and ``google_errors``). Shared by both: ``cells`` (a cell value as text),
``rows`` (finding a row by ID), ``row_writes`` (checking a row write and putting back one
that went astray) and ``tab_repair`` (what creating or repairing a tab writes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..headers import header_key
from ..tabs import TabRepair, TabSpec  # plain data, re-exported here (see tabs.py)

Grid = list[list[str]]


class StorageError(Exception):
    """The spreadsheet could not be read or written; ``message`` is safe to show a user.

    ``transient`` means trying again later may work (busy, timed out, unreachable, 5xx);
    ``maybe_applied`` means a write may have landed even though it failed (the connection
    dropped or timed out after the request was sent), so its outcome must be read back.
    """

    def __init__(
        self,
        message: str,
        *,
        detail: str = "",
        transient: bool = False,
        maybe_applied: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.transient = transient
        self.maybe_applied = maybe_applied


class SheetMissing(StorageError):
    """The spreadsheet itself is gone (a workbook deleted or moved while the site ran).

    Unlike a sheet that cannot be read for a while, no earlier copy may stand in for it:
    pages show the error until someone puts it back or makes a new one.
    """


class TabMissing(StorageError):
    """A tab the site needs is not in the sheet: deleted, or renamed past recognition.

    Nothing was written. Only `sheet init` makes tabs, so the message says how to fix it.
    """

    def __init__(self, title: str, *, detail: str = "") -> None:
        super().__init__(tab_missing_message(title), detail=detail or f"no {title} tab")
        self.title = title


def tab_missing_message(title: str) -> str:
    """What to tell people when the ``title`` tab is gone, and how to fix it."""
    return (
        f"The sheet has no {title} tab (it was deleted, or renamed and then changed past "
        f"recognition). A coordinator can put it back (undo the deletion, or rename the tab "
        f"back to {title}) or run `flask --app app sheet init` to make a new, empty one."
    )


@dataclass
class TabPlace:
    """Where the site found one of its tabs: under which title, and what looks like a copy."""

    title: str  # the site's name for the tab ("Signups")
    found_as: str | None  # the tab's title in the sheet now; None when it is missing
    copies: list[str] = field(default_factory=list)  # tabs that look like copies of it

    @property
    def renamed(self) -> bool:
        """True when the site follows the tab under another name."""
        return self.found_as is not None and header_key(self.found_as) != header_key(self.title)


class Storage(Protocol):
    """A spreadsheet shaped store. Rows are lists of cell strings; row 1 is the header."""

    # A short name for logs, /healthz and the CLI ("workbook", "google-sheets").
    backend_name: str
    # The name a person knows the store by, to start a sentence: "Google Sheets is busy".
    display_name: str
    # True when update_row finds and writes its row in one step nobody can come between
    # (False: a coordinator may move the row meanwhile, so a write is checked and settled).
    atomic_row_updates: bool
    # How long pages may reuse a read when SHEET_CACHE_SECONDS is blank (what a read costs).
    default_cache_seconds: float

    def read_tabs(self, titles: Sequence[str]) -> dict[str, Grid]:
        """Read whole tabs in one go; a missing tab reads as an empty grid.

        Tabs are found by identity, not only by title: a tab a coordinator renamed is
        followed (``locate_tabs``), and a copy of a tab is never taken for it.
        """
        ...

    def locate_tabs(self, titles: Sequence[str]) -> dict[str, TabPlace]:
        """Where each tab is now: its title in the sheet (None if missing), and its copies."""
        ...

    def append_rows(self, title: str, rows: Sequence[Sequence[str]]) -> int | None:
        """Add rows after the last row of the tab, as text, never overwriting a row.

        Returns the sheet row number (1-based) where the first row landed, or None.
        A missing tab raises TabMissing (nothing is written, no tab is made).

        Tried once, never retried here (an append is not idempotent): on failure the
        StorageError says whether it is transient and whether the rows may have landed.
        """
        ...

    def update_row(
        self, title: str, row_id: str, changes: Mapping[str, str], *, id_header: str = "ID"
    ) -> bool:
        """Set cells (by header name) of the row whose ID is ``row_id``; False if no such row.

        The row is found in a fresh read, because coordinators sort and edit the tab, and a
        write never stays in a row whose ID no longer matches.
        """
        ...

    def replace_row(
        self,
        title: str,
        expected: Sequence[str],
        row: Sequence[str],
        *,
        near: int | None = None,
        id_header: str = "ID",
    ) -> bool:
        """Overwrite, cell by cell and by position, the row holding exactly ``expected`` (the
        one at row ``near`` first) with ``row``: blank where ``row`` is blank or ends.

        True when a row then holds ``row`` (it may have already); False when no row holds
        either. For a row the site wrote under a column layout that changed meanwhile: the
        row is found by what was written, not by header. ``row`` has the row's ID under
        ``id_header``, by which a backend without conditional writes checks where it wrote.
        """
        ...

    def ensure_tab(self, spec: TabSpec) -> TabRepair:
        """Create the tab or add missing headers at its right end; existing rows are untouched.

        Only `sheet init` calls this: no page or form makes a tab or a header.
        """
        ...


def open_storage(config: Mapping[str, Any], new_file_tabs: Sequence[TabSpec] = ()) -> Storage:
    """Choose the backend from config: a Google Sheet when SHEET_ID is set, else the workbook.

    ``new_file_tabs`` are the tabs a workbook made from nothing starts with (the caller knows
    the sheet's format; storage does not).
    """
    if config.get("SHEET_ID"):
        from .gsheets import GoogleSheetsStorage

        return GoogleSheetsStorage.from_config(config)
    from .workbook import WorkbookStorage

    # Made when the app starts if there is none (create_app), or by `flask sheet init`; a
    # workbook that disappears later is an error, never silently replaced by an empty one.
    return WorkbookStorage(
        config["WORKBOOK"], new_file_tabs=new_file_tabs, create_on_first_use=False
    )
