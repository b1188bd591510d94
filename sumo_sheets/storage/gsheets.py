"""The Google Sheets backend: the shared sheet coordinators edit, through gspread and google-auth.

The only module that imports gspread. Calls are kept few: the spreadsheet's metadata once
per process (refreshed only when a tab is missing), one batchGet for all tabs a page needs,
one append per signup, and appends are RAW (text stays text) with INSERT_ROWS anchored at A1
(so an append never overwrites a row a coordinator typed below the table).

Calls that fail for a passing reason (429, 500, 502, 503, 504, timeouts, dropped connections)
are tried again with exponential backoff and full jitter, bounded in tries and in time: reads,
and writes that are safe to repeat. An append is tried once; its error says whether it may
have landed, so the caller can read back before sending it again.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import gspread
import requests
import urllib3.exceptions
from google.auth.exceptions import GoogleAuthError, RefreshError, TransportError
from google.oauth2 import service_account
from gspread.utils import extract_id_from_url, rowcol_to_a1
from tenacity import RetryCallState

from ..emulator.client import redirect_session_to_emulator
from ..retry import RetryPolicy, setting
from ..sheet_format import column_index, header_key
from . import Grid, StorageError, TabRepair, TabSpec
from .rows import cells_to_change

log = logging.getLogger(__name__)

# The site only reads and writes the one sheet shared with it: no Drive access is asked for.
SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
# Defaults of the SHEETS_* settings (see config.DEFAULTS).
RETRY_ATTEMPTS = 6
RETRY_BUDGET_SECONDS = 20.0
RETRY_FIRST_WAIT_SECONDS = 0.5
RETRY_LONGEST_WAIT_SECONDS = 8.0
TIMEOUT_SECONDS = 15.0
# Answers that say "not now" rather than "no": worth asking again after a wait.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# How often update_row writes again after a coordinator moved the row under its write.
UPDATE_ROUNDS = 3
UNREACHABLE = "Google Sheets cannot be reached right now; please try again shortly."
# A tab a coordinator just added or renamed is noticed after at most this long.
METADATA_REFRESH_SECONDS = 60
NEW_TAB_SIZE = (1000, 26)


def sheet_key(sheet_id_or_url: str) -> str:
    """The key of a sheet from its key or its whole URL."""
    text = sheet_id_or_url.strip()
    if "/" in text:
        return extract_id_from_url(text)
    return text


def a1_tab(title: str) -> str:
    """A tab title quoted for an A1 range, as Google wants it."""
    return "'" + title.replace("'", "''") + "'"


def load_service_account_info(candidates: Sequence[str | os.PathLike]) -> dict[str, Any]:
    """Read the first key file that exists, or explain which ones were looked for."""
    for candidate in candidates:
        path = Path(candidate)
        if not path.is_file():
            continue
        try:
            info = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise StorageError(
                f"The service-account key file {path} is not valid JSON; download it again "
                "from the Google Cloud console (IAM → Service accounts → Keys).",
                detail=repr(error),
            ) from error
        missing = [k for k in ("client_email", "private_key", "token_uri") if not info.get(k)]
        if info.get("type") != "service_account" or missing:
            raise StorageError(
                f"The key file {path} is not a service-account key"
                + (f" (it lacks {', '.join(missing)})" if missing else "")
                + "; create a JSON key for a service account in the Google Cloud console."
            )
        return info
    looked = ", ".join(str(c) for c in candidates) or "nowhere"
    raise StorageError(
        "No Google service-account key file was found (looked in: "
        f"{looked}). Set GOOGLE_APPLICATION_CREDENTIALS to the key file's path, or save it "
        "as credentials.json in the instance folder."
    )


def make_client(
    info: Mapping[str, Any], emulator_host: str = "", timeout: float = TIMEOUT_SECONDS
) -> gspread.Client:
    """A gspread client for a service account, sent to the emulator when one is named."""
    info = dict(info)
    if emulator_host:
        info["token_uri"] = f"http://{emulator_host}/token"
    try:
        credentials = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
    except (ValueError, GoogleAuthError) as error:
        raise StorageError(
            "The service-account key's private key cannot be read; download a new JSON key.",
            detail=repr(error),
        ) from error
    client = gspread.Client(auth=credentials)
    client.set_timeout(timeout)
    if emulator_host:
        redirect_session_to_emulator(client.http_client.session, emulator_host)
    return client


class GoogleSheetsStorage:
    """Tabs of one Google Sheet, shared with a service account."""

    backend_name = "google-sheets"
    # The API has no conditional write: update_row checks and puts back, but is not atomic.
    atomic_row_updates = False
    display_name = "Google Sheets"
    default_cache_seconds = 5.0

    def __init__(
        self,
        key: str,
        credentials_files: Sequence[str | os.PathLike] = (),
        emulator_host: str = "",
        *,
        retry_attempts: int = RETRY_ATTEMPTS,
        retry_budget: float = RETRY_BUDGET_SECONDS,
        retry_wait: float = RETRY_FIRST_WAIT_SECONDS,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        """Nothing is read or fetched until first use, so creating the app needs no network."""
        self.key = key
        self.service_account_email = ""
        self.retry_attempts = max(1, int(retry_attempts))
        self.retry_budget = float(retry_budget)
        self.retry_wait = float(retry_wait)
        self.timeout = float(timeout)
        self._credentials_files = tuple(credentials_files)
        self._emulator_host = emulator_host
        self._client: gspread.Client | None = None
        self._lock = threading.Lock()
        # Set while a retry loop runs on this thread, so that calls inside it are tried once
        # and the loop's bounds hold for the whole operation.
        self._local = threading.local()
        self._tabs: dict[str, dict[str, Any]] = {}  # header_key(title) -> sheet properties
        self._tabs_fetched_at = float("-inf")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> GoogleSheetsStorage:
        """Build from SHEET_ID, CREDENTIALS_FILES, SHEETS_EMULATOR_HOST and SHEETS_RETRY_*."""
        return cls(
            sheet_key(str(config["SHEET_ID"])),
            credentials_files=config.get("CREDENTIALS_FILES") or (),
            emulator_host=config.get("SHEETS_EMULATOR_HOST") or "",
            retry_attempts=setting(config, "SHEETS_RETRY_ATTEMPTS", int, RETRY_ATTEMPTS),
            retry_budget=setting(config, "SHEETS_RETRY_BUDGET", float, RETRY_BUDGET_SECONDS),
            retry_wait=setting(config, "SHEETS_RETRY_WAIT", float, RETRY_FIRST_WAIT_SECONDS),
            timeout=setting(config, "SHEETS_TIMEOUT", float, TIMEOUT_SECONDS),
        )

    # -- the contract --------------------------------------------------------------------

    def read_tabs(self, titles: Sequence[str]) -> dict[str, Grid]:
        """Read the tabs in one values.batchGet; a missing tab reads as an empty grid."""
        grids: dict[str, Grid] = {t: [] for t in titles}
        for attempt in (1, 2):
            found = [(t, tab["title"]) for t in titles if (tab := self._tab(t)) is not None]
            if not found:
                return grids
            ranges = [a1_tab(real) for _, real in found]
            try:
                reply = self._retry(
                    "spreadsheets.values.batchGet",
                    lambda ranges=ranges: self._call(
                        self._http().values_batch_get,
                        self.key,
                        ranges,
                        params={"majorDimension": "ROWS"},
                    ),
                )
                break
            except _StaleTab:
                if attempt == 2:
                    raise
                # A coordinator renamed or deleted a tab since the metadata was fetched.
                self._refresh_tabs()
        for (title, _), value_range in zip(found, reply.get("valueRanges", []), strict=False):
            grids[title] = [[_text(v) for v in row] for row in value_range.get("values", [])]
        return grids

    def append_rows(self, title: str, rows: Sequence[Sequence[str]]) -> int | None:
        """Append as RAW text with INSERT_ROWS, anchored at A1, never over a coordinator's row.

        Returns the row number Google reports the first row landed at.

        Tried exactly once: sent twice, an append adds the rows twice. A failure is
        ``transient`` for 429, 500, 502, 503, 504, timeouts and connection errors, and
        ``maybe_applied`` when the request may have reached Google: a 5xx (it may have
        applied the append before failing), a read timeout, or a connection dropped after
        sending. A 429, a refused connection or a connect timeout mean it never arrived.
        """
        tab = self._require_tab(title)
        reply = self._call(
            self._http().values_append,
            self.key,
            f"{a1_tab(tab['title'])}!A1",
            params={"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"},
            body={"values": [list(row) for row in rows]},
        )
        return _first_row(reply.get("updates", {}).get("updatedRange", ""))

    def update_row(
        self, title: str, row_id: str, changes: Mapping[str, str], *, id_header: str = "ID"
    ) -> bool:
        """Find the row by ID in a fresh read, write the changed cells, and check where they went.

        The API has no conditional write, so a coordinator who sorts, inserts or deletes rows
        between the read and the write moves another row under it. The tab is read again
        after writing: if the row there no longer has this ID (or the columns moved), the
        cells written are put back as the row now there had them, and the row is found and
        written again, up to UPDATE_ROUNDS times. Transient errors retry the whole operation.
        """
        tab = self._require_tab(title)
        write = _RowWrite(title, row_id, changes, id_header)
        outcome = self._retry("update_row", lambda: self._update_rounds(tab, write))
        if outcome is None:
            raise StorageError(
                f"The {title} tab kept changing while a row was being updated (a coordinator "
                "may be sorting it); please try again.",
                detail=f"row {row_id!r} moved under {UPDATE_ROUNDS} writes",
                transient=True,
            )
        return outcome

    def ensure_tab(self, spec: TabSpec) -> TabRepair:
        """Create the tab or extend its header row; then freeze row 1 and add dropdowns."""
        repair = TabRepair(spec.title)
        self._refresh_tabs()
        tab = self._tab(spec.title)
        if tab is None:
            tab = self._add_tab(spec)
            self._tabs[header_key(spec.title)] = tab
            repair.created = True
        grid = self.read_tabs([spec.title])[spec.title]
        header = list(grid[0]) if grid else []
        if not header:
            values = [list(spec.headers)]
            if len(grid) <= 1:
                values += [list(row) for row in spec.seed_rows]
            self._write_block(tab, 1, 1, values)
            if not repair.created:
                repair.added_headers = list(spec.headers)
            header = list(spec.headers)
        else:
            added = [h for h in spec.headers if column_index(header, h) is None]
            if added:
                self._write_block(tab, 1, len(header) + 1, [added])
                header += added
                repair.added_headers = added
        if repair.changed:
            self._format_tab(tab, header, spec)
        return repair

    # -- helpers -------------------------------------------------------------------------

    def _http(self):
        with self._lock:
            if self._client is None:
                info = load_service_account_info(self._credentials_files)
                self.service_account_email = info["client_email"]
                self._client = make_client(info, self._emulator_host, self.timeout)
            return self._client.http_client

    def _tab(self, title: str) -> dict[str, Any] | None:
        """A tab's properties from the metadata cache, refetched if the tab is not known."""
        key = header_key(title)
        if key not in self._tabs and (
            time.monotonic() - self._tabs_fetched_at > METADATA_REFRESH_SECONDS
        ):
            self._refresh_tabs()
        return self._tabs.get(key)

    def _require_tab(self, title: str) -> dict[str, Any]:
        tab = self._tab(title)
        if tab is None:
            raise StorageError(
                f"The Google Sheet has no {title} tab; run `flask --app app sheet init`."
            )
        return tab

    def _refresh_tabs(self) -> None:
        metadata = self._retry(
            "spreadsheets.get",
            lambda: self._call(
                self._http().fetch_sheet_metadata,
                self.key,
                params={"fields": "sheets.properties"},
            ),
        )
        tabs = {}
        for sheet in metadata.get("sheets", []):
            properties = sheet["properties"]
            tabs.setdefault(header_key(properties["title"]), properties)
        self._tabs = tabs
        self._tabs_fetched_at = time.monotonic()

    def _write_block(self, tab: Mapping[str, Any], row: int, column: int, values) -> None:
        width = max(len(r) for r in values)
        if column + width - 1 > _column_count(tab):
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
        maybe_added = False

        def attempt() -> dict[str, Any]:
            nonlocal maybe_added
            if maybe_added:
                # addSheet is not idempotent: a second one for a tab that exists is refused.
                self._refresh_tabs()
                if (tab := self._tabs.get(header_key(spec.title))) is not None:
                    return tab
            try:
                reply = self._call(
                    self._http().batch_update,
                    self.key,
                    {"requests": [{"addSheet": {"properties": properties}}]},
                )
            except StorageError as error:
                maybe_added = maybe_added or error.maybe_applied
                raise
            return reply["replies"][0]["addSheet"]["properties"]

        return self._retry("spreadsheets.batchUpdate addSheet", attempt)

    def _grow_columns(self, tab: Mapping[str, Any], needed: int) -> None:
        """Widen the tab to ``needed`` columns; after a lost reply, look before widening again."""
        maybe_grown = False

        def attempt() -> None:
            nonlocal maybe_grown
            current = tab
            if maybe_grown:
                # appendDimension adds columns each time it is sent.
                self._refresh_tabs()
                current = self._tabs.get(header_key(tab["title"]), tab)
            have = _column_count(current)
            if have >= needed:
                return
            try:
                self._call(
                    self._http().batch_update,
                    self.key,
                    {
                        "requests": [
                            {
                                "appendDimension": {
                                    "sheetId": tab["sheetId"],
                                    "dimension": "COLUMNS",
                                    "length": needed - have,
                                }
                            }
                        ]
                    },
                )
            except StorageError as error:
                maybe_grown = maybe_grown or error.maybe_applied
                raise

        self._retry("spreadsheets.batchUpdate appendDimension", attempt)
        self._refresh_tabs()

    def _update_rounds(self, tab: Mapping[str, Any], write: _RowWrite) -> bool | None:
        """Find, write and check until the cells are in the row; None if it kept moving."""
        # ``write`` keeps the last unchecked write across retries of this method, so a write
        # whose reply was lost is still checked (and put back if it went astray).
        while True:
            grid = self.read_tabs([write.title])[write.title]
            if write.pending is not None:
                if write.landed(grid):
                    return True
                moved = not write.in_place(grid)  # else the write never arrived
                self._put_back(tab, write, grid)
                write.pending = None
                write.moves += moved
                if write.moves >= UPDATE_ROUNDS:
                    return None
                grid = self.read_tabs([write.title])[write.title]
            cells = cells_to_change(grid, write.title, write.row_id, write.changes, write.id_header)
            if cells is None:
                return False
            if not cells:
                return True  # nothing to change in a row that is there
            write.pending = _Pending(grid, cells)
            self._write_cells(tab, cells)
            write.pending.sent = True

    def _write_cells(self, tab: Mapping[str, Any], cells: Sequence[tuple[int, int, str]]) -> None:
        """Write update_row's (row, column, value) cells: the step a coordinator can race."""
        self._put_cells(tab, cells)

    def _put_cells(self, tab: Mapping[str, Any], cells: Sequence[tuple[int, int, str]]) -> None:
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

    def _put_back(
        self, tab: Mapping[str, Any], write: _RowWrite, grid: Sequence[Sequence[str]]
    ) -> None:
        """Undo a write that landed in another row: restore what that row had before it."""
        assert write.pending is not None
        before, cells = write.pending.grid, write.pending.cells
        restore = []
        for row, column, value in cells:
            if _cell(grid, row, column) != value:
                continue  # not (or no longer) what we wrote
            previous = _previous_value(before, grid, row, column, cells, write.id_header)
            if previous is None:
                log.warning(
                    "update_row: wrote %s of %s row %d for ID %r into a row that cannot be "
                    "told apart (new since the read?); left it as it is",
                    _cell(grid, 1, column) or f"column {column}",
                    write.title,
                    row,
                    write.row_id,
                )
            elif previous != value:
                restore.append((row, column, previous))
        if restore:
            log.warning(
                "update_row: the %s tab changed under the write for ID %r; restoring %d cell(s)",
                write.title,
                write.row_id,
                len(restore),
            )
            self._put_cells(tab, restore)

    def _format_tab(self, tab: Mapping[str, Any], header: Sequence[str], spec: TabSpec) -> None:
        requests_ = [
            {
                "updateSheetProperties": {
                    "properties": {
                        "sheetId": tab["sheetId"],
                        "gridProperties": {"frozenRowCount": 1},
                    },
                    "fields": "gridProperties.frozenRowCount",
                }
            }
        ]
        for name, allowed in spec.choices.items():
            column = column_index(header, name)
            if column is None:
                continue
            requests_.append(
                {
                    "setDataValidation": {
                        "range": {
                            "sheetId": tab["sheetId"],
                            "startRowIndex": 1,
                            "startColumnIndex": column,
                            "endColumnIndex": column + 1,
                        },
                        "rule": {
                            "condition": {
                                "type": "ONE_OF_LIST",
                                "values": [{"userEnteredValue": v} for v in allowed],
                            },
                            "showCustomUi": True,
                            # A hint, not a wall: coordinators may type other spellings.
                            "strict": False,
                        },
                    }
                }
            )
        # Freezing and validation rules set the same state however often they are sent.
        self._retry(
            "spreadsheets.batchUpdate",
            lambda: self._call(self._http().batch_update, self.key, {"requests": requests_}),
        )

    def _retry(self, name: str, operation):
        """Run ``operation``, again after transient errors, within the attempts and the budget."""
        if getattr(self._local, "retrying", False):
            return operation()  # the enclosing loop retries the whole operation
        self._local.retrying = True
        try:
            policy = RetryPolicy(
                self.retry_attempts,
                self.retry_budget,
                self.retry_wait,
                RETRY_LONGEST_WAIT_SECONDS,
            )
            return policy.retrying(
                before_sleep=lambda state: _log_retry(name, state),
                retry_error_callback=lambda state: _give_up(name, state),
            )(operation)
        finally:
            self._local.retrying = False

    def _call(self, method, *args, **kwargs):
        """Run one API call, turning what can go wrong into a message a person can act on."""
        try:
            return method(*args, **kwargs)
        except gspread.exceptions.APIError as error:
            raise self._explain(error) from error
        except RefreshError as error:
            if getattr(error, "retryable", False):
                # The token endpoint was busy; the API call itself was never sent.
                raise StorageError(UNREACHABLE, detail=repr(error), transient=True) from error
            raise StorageError(
                "Google refused the service account's key (it may have been deleted or "
                "disabled); create a new key in the Google Cloud console.",
                detail=repr(error),
            ) from error
        except TransportError as error:
            # google-auth could not fetch a token, so the API call was never sent.
            raise StorageError(UNREACHABLE, detail=repr(error), transient=True) from error
        except requests.RequestException as error:
            raise _network_error(error) from error

    def _explain(self, error: gspread.exceptions.APIError) -> StorageError:
        code = _status_code(error)
        status = error.error.get("status", "")
        message = str(error.error.get("message", ""))
        detail = f"{code} {status}: {message}"
        email = self.service_account_email
        if code == 400 and "Unable to parse range" in message:
            return _StaleTab("A tab of the Google Sheet was renamed or removed.", detail=detail)
        if code == 429:
            # Refused before it was applied.
            return StorageError(
                "Google Sheets is busy (the request quota is used up); try again in a minute.",
                detail=detail,
                transient=True,
            )
        if code == 403 and (
            "SERVICE_DISABLED" in detail
            or "has not been used" in message
            or "is disabled" in message
        ):
            return StorageError(
                "The Google Sheets API is not enabled for the service account's project; enable "
                "it in the Google Cloud console (APIs & Services → Library → Google Sheets API).",
                detail=detail,
            )
        if code == 403:
            who = email or "the service account's email (client_email in the key file)"
            return StorageError(
                f"The Google Sheet is not shared with the site: share it as Editor with {who}.",
                detail=detail,
            )
        if code == 404:
            return StorageError(
                f"No Google Sheet has the ID {self.key!r}; check SUMO_SHEET_ID "
                "(the long key in the sheet's URL).",
                detail=detail,
            )
        if code == 401:
            return StorageError(
                "Google did not accept the service account's credentials; check the key file.",
                detail=detail,
            )
        if code >= 500:
            # Google may have applied the request before failing to answer it.
            return StorageError(
                "Google Sheets is having trouble right now; please try again shortly.",
                detail=detail,
                transient=code in RETRY_STATUSES,
                maybe_applied=True,
            )
        return StorageError("Google Sheets refused the request.", detail=detail)


def _first_row(a1_range: str) -> int | None:
    """The first row number of a range such as 'Signups'!A7:K7, or None if it has none."""
    match = re.search(r"!\$?[A-Za-z]*\$?(\d+)", a1_range)
    return int(match[1]) if match else None


class _StaleTab(StorageError):
    """A range named a tab that no longer exists under that title."""


class _Pending:
    """A write of update_row not yet seen in place: the read it was based on, and its cells."""

    def __init__(self, grid: Sequence[Sequence[str]], cells: list[tuple[int, int, str]]):
        self.grid = grid
        self.cells = cells
        # True once Google acknowledged the write; until then it may or may not have landed.
        self.sent = False


class _RowWrite:
    """One update_row call: what to write where, and its write that is still unchecked."""

    def __init__(self, title: str, row_id: str, changes: Mapping[str, str], id_header: str):
        self.title = title
        self.row_id = row_id.strip()
        self.changes = dict(changes)
        self.id_header = id_header
        self.pending: _Pending | None = None
        self.moves = 0  # writes that went to a row moved under them

    def landed(self, grid: Sequence[Sequence[str]]) -> bool:
        """In place, and holding the values written unless Google acknowledged the write."""
        assert self.pending is not None
        if not self.in_place(grid):
            return False
        return self.pending.sent or all(
            _cell(grid, row, column) == value for row, column, value in self.pending.cells
        )

    def in_place(self, grid: Sequence[Sequence[str]]) -> bool:
        """True when the row written still has this ID and the columns have not moved."""
        assert self.pending is not None
        before = self.pending.grid
        old_header = before[0] if before else []
        new_header = grid[0] if grid else []
        for name in (self.id_header, *self.changes):
            if column_index(new_header, name) != column_index(old_header, name):
                return False
        id_column = column_index(new_header, self.id_header)
        row = self.pending.cells[0][0]
        return id_column is not None and _cell(grid, row, id_column + 1).strip() == self.row_id


def _previous_value(
    before: Sequence[Sequence[str]],
    after: Sequence[Sequence[str]],
    row: int,
    column: int,
    written: Sequence[tuple[int, int, str]],
    id_header: str,
) -> str | None:
    """What the row now at ``row`` had in ``column`` in the read ``before``; None if unknown."""
    # The row is known by its ID, else by its other cells; a row blank apart from the cells
    # written was blank then (a row inserted since the read is empty).
    old_header = before[0] if before else []
    new_header = after[0] if after else []
    name = _cell(after, 1, column)
    old_column = column_index(old_header, name) if name.strip() else None
    if old_column is None:
        return None
    new_row = list(after[row - 1]) if row <= len(after) else []
    id_column = column_index(new_header, id_header)
    row_id = _cell(after, row, id_column + 1).strip() if id_column is not None else ""
    if row_id:
        old_id_column = column_index(old_header, id_header)
        for old_row in before[1:]:
            if old_id_column is not None and _at(old_row, old_id_column).strip() == row_id:
                return _at(old_row, old_column)
        return None
    written_columns = {c - 1 for r, c, _ in written if r == row}
    # Compare the other cells column by column, matching the columns by header name.
    pairs = []
    for index in range(max(len(new_header), len(new_row))):
        if index in written_columns:
            continue
        header = _at(new_header, index)
        old_index = column_index(old_header, header) if header.strip() else index
        if old_index is None:
            if _at(new_row, index):
                return None  # a column added since the read, with something in it
            continue
        pairs.append((index, old_index))
    others = [_at(new_row, i) for i, _ in pairs]
    candidates = {
        _at(old_row, old_column)
        for old_row in before[1:]
        if [_at(old_row, j) for _, j in pairs] == others
    }
    if len(candidates) == 1:
        return candidates.pop()
    if not candidates and not any(others):
        return ""
    return None


def _cell(grid: Sequence[Sequence[str]], row: int, column: int) -> str:
    """The cell at 1-based (row, column) of a trimmed grid; past its ends, blank."""
    return _at(grid[row - 1], column - 1) if 0 < row <= len(grid) else ""


def _at(row: Sequence[str], index: int) -> str:
    return row[index] if 0 <= index < len(row) else ""


def _column_count(tab: Mapping[str, Any]) -> int:
    return tab.get("gridProperties", {}).get("columnCount", NEW_TAB_SIZE[1])


def _status_code(error: gspread.exceptions.APIError) -> int:
    """The HTTP status; gspread says -1 when the body was not Google's JSON (a proxy's page)."""
    if isinstance(error.code, int) and error.code > 0:
        return error.code
    return int(getattr(error.response, "status_code", 0) or 0)


def _network_error(error: requests.RequestException) -> StorageError:
    """A failure below HTTP: transient when the network failed, applied unless never sent."""
    if isinstance(
        error,
        (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError),
    ):
        return StorageError(
            UNREACHABLE, detail=repr(error), transient=True, maybe_applied=not _never_sent(error)
        )
    return StorageError(UNREACHABLE, detail=repr(error))


def _never_sent(error: BaseException) -> bool:
    """True when the connection was never made (refused, unresolved, connect timeout)."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    seen: set[int] = set()
    stack: list[object] = [error]
    while stack:
        current = stack.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        # NewConnectionError (refused, no such host) is a ConnectTimeoutError in urllib3.
        if isinstance(current, (urllib3.exceptions.ConnectTimeoutError, ConnectionRefusedError)):
            return True
        stack.extend(
            [
                *current.args,
                getattr(current, "reason", None),
                current.__cause__,
                current.__context__,
            ]
        )
    return False


def _why(error: BaseException | None) -> str:
    """The HTTP status or network failure behind an error, for logs (no messages, no keys)."""
    cause = getattr(error, "__cause__", None)
    if isinstance(cause, gspread.exceptions.APIError):
        return str(_status_code(cause))
    return type(cause or error).__name__


def _log_retry(name: str, state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.warning(
        "Google Sheets %s failed (%s), attempt %d; retrying in %.2f s",
        name,
        _why(error),
        state.attempt_number,
        state.next_action.sleep if state.next_action else 0.0,
    )


def _give_up(name: str, state: RetryCallState):
    """Out of attempts or time: raise the last error, saying how long it was tried."""
    error = state.outcome.exception() if state.outcome else None
    assert isinstance(error, StorageError)
    elapsed = state.seconds_since_start or 0.0
    log.warning(
        "Google Sheets %s failed (%s); giving up after %d attempts in %.1f s",
        name,
        _why(error),
        state.attempt_number,
        elapsed,
    )
    error.detail = f"{error.detail} (after {state.attempt_number} attempts in {elapsed:.1f} s)"
    raise error


def _text(value: object) -> str:
    """Cells arrive as strings (FORMATTED_VALUE); anything else is shown as its text."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)
