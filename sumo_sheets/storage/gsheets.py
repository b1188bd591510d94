"""The Google Sheets backend: the shared sheet coordinators edit, through gspread and google-auth.

Calls are kept few: the spreadsheet's metadata once per process (refreshed only when a tab is
missing), one batchGet for all tabs a page needs, one append per signup, and appends are RAW
(text stays text) with INSERT_ROWS anchored at A1 (so an append never overwrites a row a
coordinator typed below the table).

Calls that fail for a passing reason (429, 5xx, timeouts, dropped connections) are tried
again with full-jitter backoff, bounded in tries and time: reads, and writes safe to repeat.
An append is tried once; its error says whether it may have landed, so the caller can read
back before sending it again.

Reaching Google is in ``google_client``, its errors in ``google_errors``, finding tabs in
``google_tabs``; row writes (``row_writes``) and tab repairs (``tab_repair``) are
storage-neutral. Only the ``google_*``/``gsheets`` modules import gspread.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import gspread
from gspread.utils import rowcol_to_a1

from ..retry import (
    ATTEMPTS,
    BUDGET_SECONDS,
    CALL_TIMEOUT_SECONDS,
    FIRST_WAIT_SECONDS,
    RetryPolicy,
    setting,
)
from . import Grid, TabMissing, TabPlace, TabRepair, TabSpec
from .cells import cell_text
from .google_client import (
    NEW_TAB_SIZE,
    SCOPES,
    SessionHook,
    a1_tab,
    column_count,
    first_row,
    format_requests,
    load_service_account_info,
    make_client,
    sheet_key,
)
from .google_errors import StaleTab, checked_first, explained, give_up, log_retry
from .google_tabs import METADATA_FIELDS, TabIndex, tag_request
from .row_writes import UPDATE_ROUNDS, RowReplace, RowWrite, kept_moving, replace_row, write_row
from .rows import Cell
from .tab_repair import plan_tab

__all__ = ["SCOPES", "GoogleSheetsStorage", "load_service_account_info", "make_client", "sheet_key"]

# A tab a coordinator just added or renamed is noticed after at most this long.
METADATA_REFRESH_SECONDS = 60

T = TypeVar("T")
BY_ROWS = {"majorDimension": "ROWS"}


class GoogleSheetsStorage:
    """Tabs of one Google Sheet, shared with a service account."""

    backend_name = "google-sheets"
    display_name = "Google Sheets"
    # The API has no conditional write: update_row checks and puts back, but is not atomic.
    atomic_row_updates = False
    # Every read costs quota and latency.
    default_cache_seconds = 5.0

    def __init__(
        self,
        key: str,
        credentials_files: Sequence[str | os.PathLike] = (),
        *,
        session_hook: SessionHook | None = None,
        retry_attempts: int = ATTEMPTS,
        retry_budget: float = BUDGET_SECONDS,
        retry_wait: float = FIRST_WAIT_SECONDS,
        timeout: float = CALL_TIMEOUT_SECONDS,
    ) -> None:
        """Nothing is read or fetched until first use, so creating the app needs no network.

        ``session_hook`` receives each HTTP session of the client before its first call.
        """
        self.key = key
        self.service_account_email = ""
        self.retry_attempts = max(1, int(retry_attempts))
        self.retry_budget = float(retry_budget)
        self.retry_wait = float(retry_wait)
        self.timeout = float(timeout)
        self._credentials_files = tuple(credentials_files)
        self._session_hook = session_hook
        self._client: gspread.Client | None = None
        self._lock = threading.Lock()
        # Set while a retry loop runs on this thread, so that calls inside it are tried once
        # and the loop's bounds hold for the whole operation.
        self._local = threading.local()
        self._index = TabIndex()  # the tabs as the last spreadsheets.get saw them
        self._remembered: dict[str, int] = {}  # the site's tab title -> the sheetId found
        self._tabs_fetched_at = float("-inf")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> GoogleSheetsStorage:
        """Build from SHEET_ID, CREDENTIALS_FILES, SHEETS_SESSION_HOOK, SHEETS_RETRY_* and
        SHEETS_TIMEOUT."""
        retry = RetryPolicy.from_config(config)
        return cls(
            sheet_key(str(config["SHEET_ID"])),
            credentials_files=config.get("CREDENTIALS_FILES") or (),
            session_hook=config.get("SHEETS_SESSION_HOOK") or None,
            retry_attempts=retry.attempts,
            retry_budget=retry.budget_seconds,
            retry_wait=retry.first_wait_seconds,
            timeout=setting(config, "SHEETS_TIMEOUT", float, CALL_TIMEOUT_SECONDS),
        )

    # -- the contract --------------------------------------------------------------------

    def read_tabs(self, titles: Sequence[str]) -> dict[str, Grid]:
        """Read the tabs in one values.batchGet; a missing tab reads as an empty grid."""
        grids: dict[str, Grid] = {t: [] for t in titles}
        for attempt in (1, 2):
            found = [(t, tab["title"]) for t in titles if (tab := self._tab(t)) is not None]
            if not found:
                return grids
            try:
                reply = self._batch_get([a1_tab(real) for _, real in found])
                break
            except StaleTab:
                if attempt == 2:
                    raise
                # A coordinator renamed or deleted a tab since the metadata was fetched.
                self._refresh_tabs()
        for (title, _), value_range in zip(found, reply.get("valueRanges", []), strict=False):
            grids[title] = [[cell_text(v) for v in row] for row in value_range.get("values", [])]
        return grids

    def append_rows(self, title: str, rows: Sequence[Sequence[str]]) -> int | None:
        """Append as RAW text with INSERT_ROWS, anchored at A1, never over a coordinator's row.

        Returns the row number Google reports the first row landed at.

        Tried exactly once: sent twice, an append adds the rows twice. Its error says
        whether it is transient and whether it may have landed (see ``google_errors``).
        """
        for attempt in (1, 2):
            tab = self._require_tab(title)
            try:
                reply = self._call(
                    self._http().values_append,
                    self.key,
                    f"{a1_tab(tab['title'])}!A1",
                    params={"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"},
                    body={"values": [list(row) for row in rows]},
                )
                break
            except StaleTab:
                # Refused, not applied: the tab was renamed or deleted; follow it, send again.
                if attempt == 2:
                    raise
                self._refresh_tabs()
        return first_row(reply.get("updates", {}).get("updatedRange", ""))

    def locate_tabs(self, titles: Sequence[str]) -> dict[str, TabPlace]:
        """Where each tab is now, from fresh metadata (one spreadsheets.get)."""
        self._refresh_tabs()
        return {title: self._index.place(title, self._remembered.get(title)) for title in titles}

    def update_row(
        self, title: str, row_id: str, changes: Mapping[str, str], *, id_header: str = "ID"
    ) -> bool:
        """Find the row by ID in a fresh read, write the changed cells, and check where they went.

        The API has no conditional write, so a coordinator who sorts, inserts or deletes rows
        between the read and the write moves another row under it. The tab is read again
        after writing: if the row there no longer has this ID (or the columns moved), the
        cells written are put back as the row now there had them, and the row is found and
        written again, up to UPDATE_ROUNDS times (``row_writes``). Transient errors retry the
        whole operation.
        """
        tab = self._require_tab(title)
        write = RowWrite(title, row_id, changes, id_header)
        outcome = self._retry(
            "update_row",
            lambda: write_row(
                write,
                read=lambda: self.read_tabs([title])[title],
                send=lambda cells: self._write_cells(tab, cells),
                put=lambda cells: self._put_cells(tab, cells),
            ),
        )
        if outcome is None:
            raise kept_moving(title, f"row {row_id!r} moved under {UPDATE_ROUNDS} writes")
        return outcome

    def replace_row(
        self, title: str, expected: Sequence[str], row: Sequence[str], **where: Any
    ) -> bool:
        """The contract's, checked and put back if a sort moved a row under it (``row_writes``)."""
        tab = self._require_tab(title)
        rewrite = RowReplace(title, expected, row, where.get("near"), where.get("id_header", "ID"))
        read = lambda: self.read_tabs([title])[title]  # noqa: E731
        send = lambda cells: self._write_cells(tab, cells)  # noqa: E731
        put = lambda cells: self._put_cells(tab, cells)  # noqa: E731
        outcome = self._retry("replace_row", lambda: replace_row(rewrite, read, send, put))
        if outcome is None:
            raise kept_moving(title, f"row {expected!r} moved under {UPDATE_ROUNDS} writes")
        return outcome

    def ensure_tab(self, spec: TabSpec) -> TabRepair:
        """Create the tab or extend its header row; then freeze row 1 and add dropdowns."""
        self._refresh_tabs()
        tab = self._tab(spec.title)
        created = tab is None
        if tab is None:
            tab = self._add_tab(spec)
            self._refresh_tabs()
        self._tag(spec.title, tab["sheetId"])
        plan = plan_tab(spec, self.read_tabs([spec.title])[spec.title], created)
        if plan.block:
            self._write_block(tab, 1, plan.column, plan.block)
        if plan.repair.changed:
            requests_ = format_requests(tab["sheetId"], plan.dropdowns(spec))
            # Freezing and validation rules set the same state however often they are sent.
            self._retry(
                "spreadsheets.batchUpdate",
                lambda: self._call(self._http().batch_update, self.key, {"requests": requests_}),
            )
        return plan.repair

    # -- helpers -------------------------------------------------------------------------

    def _http(self):
        with self._lock:
            if self._client is None:
                info = load_service_account_info(self._credentials_files)
                self.service_account_email = info["client_email"]
                self._client = make_client(info, self.timeout, self._session_hook)
            return self._client.http_client

    def _batch_get(self, ranges: list[str]) -> dict[str, Any]:
        def get() -> dict[str, Any]:
            http = self._http()  # inside the retry: making the client can fail for a while
            return self._call(http.values_batch_get, self.key, ranges, params=BY_ROWS)

        return self._retry("spreadsheets.values.batchGet", get)

    def _tab(self, title: str) -> dict[str, Any] | None:
        """A tab's properties from the metadata cache, refetched if the tab is not known.

        Found by identity (``google_tabs``); the sheetId is remembered to follow renames.
        """
        tab = self._index.find(title, self._remembered.get(title))
        if tab is None and time.monotonic() - self._tabs_fetched_at > METADATA_REFRESH_SECONDS:
            self._refresh_tabs()
            tab = self._index.find(title, self._remembered.get(title))
        if tab is not None:
            self._remembered[title] = tab["sheetId"]
        return tab

    def _require_tab(self, title: str) -> dict[str, Any]:
        if (tab := self._tab(title)) is None:
            raise TabMissing(title, detail=f"the Google Sheet {self.key} has no {title} tab")
        return tab

    def _tag(self, title: str, sheet_id: int) -> None:
        """Tag tab ``sheet_id`` as the site's ``title`` tab, unless it is already; after a
        reply that may have been lost, look before tagging again."""

        def existing() -> bool | None:
            self._refresh_tabs()
            return True if self._index.tagged(title, sheet_id) else None

        def send() -> bool:
            request = {"requests": [tag_request(title, sheet_id)]}
            self._call(self._http().batch_update, self.key, request)
            return True

        if not self._index.tagged(title, sheet_id):
            self._retry(
                "spreadsheets.batchUpdate createDeveloperMetadata", checked_first(existing, send)
            )
            self._refresh_tabs()

    def _refresh_tabs(self) -> None:
        metadata = self._retry(
            "spreadsheets.get",
            lambda: self._call(
                self._http().fetch_sheet_metadata,
                self.key,
                params={"fields": METADATA_FIELDS},
            ),
        )
        self._index = TabIndex(metadata.get("sheets", []))
        self._tabs_fetched_at = time.monotonic()

    def _write_block(self, tab: Mapping[str, Any], row: int, column: int, values) -> None:
        width = max(len(r) for r in values)
        if column + width - 1 > column_count(tab):
            self._grow_columns(tab, column + width - 1)
        start = rowcol_to_a1(row, column)
        self._retry(
            "spreadsheets.values.update",
            lambda: self._call(
                self._http().values_update,
                self.key,
                f"{a1_tab(tab['title'])}!{start}",
                params={"valueInputOption": "RAW"},
                body={"values": values},
            ),
        )

    def _add_tab(self, spec: TabSpec) -> dict[str, Any]:
        """Add the tab; after a reply that may have been lost, look for it before adding again."""
        rows, columns = NEW_TAB_SIZE
        properties = {
            "title": spec.title,
            "gridProperties": {"rowCount": rows, "columnCount": max(columns, len(spec.headers))},
        }
        request = {"requests": [{"addSheet": {"properties": properties}}]}

        def existing() -> dict[str, Any] | None:
            # addSheet is not idempotent: a second one for a tab that exists is refused.
            self._refresh_tabs()
            return self._index.find(spec.title)

        def send() -> dict[str, Any]:
            reply = self._call(self._http().batch_update, self.key, request)
            return reply["replies"][0]["addSheet"]["properties"]

        return self._retry("spreadsheets.batchUpdate addSheet", checked_first(existing, send))

    def _grow_columns(self, tab: Mapping[str, Any], needed: int) -> None:
        """Widen the tab to ``needed`` columns; after a lost reply, look before widening again."""
        current = tab

        def wide_enough() -> bool | None:
            nonlocal current
            # appendDimension adds columns each time it is sent.
            self._refresh_tabs()
            current = self._index.find(tab["title"], tab["sheetId"]) or tab
            return True if column_count(current) >= needed else None

        def send() -> bool:
            have = column_count(current)
            if have < needed:
                append = {
                    "sheetId": tab["sheetId"],
                    "dimension": "COLUMNS",
                    "length": needed - have,
                }
                request = {"requests": [{"appendDimension": append}]}
                self._call(self._http().batch_update, self.key, request)
            return True

        self._retry("spreadsheets.batchUpdate appendDimension", checked_first(wide_enough, send))
        self._refresh_tabs()

    def _write_cells(self, tab: Mapping[str, Any], cells: Sequence[Cell]) -> None:
        """Write update_row's (row, column, value) cells: the step a coordinator can race."""
        self._put_cells(tab, cells)

    def _put_cells(self, tab: Mapping[str, Any], cells: Sequence[Cell]) -> None:
        """Write (row, column, value) cells, 1-based, as text in one values.batchUpdate."""
        data = [
            {"range": f"{a1_tab(tab['title'])}!{rowcol_to_a1(row, column)}", "values": [[value]]}
            for row, column, value in cells
        ]
        self._call(
            self._http().values_batch_update,
            self.key,
            body={"valueInputOption": "RAW", "data": data},
        )

    def _retry(self, name: str, operation: Callable[[], T]) -> T:
        """Run ``operation``, again after transient errors, within the attempts and the budget."""
        if getattr(self._local, "retrying", False):
            return operation()  # the enclosing loop retries the whole operation
        self._local.retrying = True
        try:
            policy = RetryPolicy(self.retry_attempts, self.retry_budget, self.retry_wait)
            return policy.retrying(
                before_sleep=lambda state: log_retry(name, state),
                retry_error_callback=lambda state: give_up(name, state),
            )(operation)
        finally:
            self._local.retrying = False

    def _call(self, method, *args, **kwargs):
        """Run one API call, turning what can go wrong into a message a person can act on."""
        with explained(self.key, self.service_account_email):
            return method(*args, **kwargs)
