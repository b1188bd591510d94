"""The Google Sheets backend: the shared sheet coordinators edit, through gspread and google-auth.

The only module that imports gspread. Calls are kept few: the spreadsheet's metadata once
per process (refreshed only when a tab is missing), one batchGet for all tabs a page needs,
one append per signup, and appends are RAW (text stays text) with INSERT_ROWS anchored at A1
(so an append never overwrites a row a coordinator typed below the table).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import gspread
import requests
from google.auth.exceptions import GoogleAuthError, RefreshError, TransportError
from google.oauth2 import service_account
from gspread.utils import extract_id_from_url, rowcol_to_a1

from ..emulator.client import redirect_session_to_emulator
from ..sheet_format import column_index, header_key
from . import Grid, StorageError, TabRepair, TabSpec
from .rows import cells_to_change

log = logging.getLogger(__name__)

# The site only reads and writes the one sheet shared with it: no Drive access is asked for.
SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
REQUEST_TIMEOUT_SECONDS = 20
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


def make_client(info: Mapping[str, Any], emulator_host: str = "") -> gspread.Client:
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
    client.set_timeout(REQUEST_TIMEOUT_SECONDS)
    if emulator_host:
        redirect_session_to_emulator(client.http_client.session, emulator_host)
    return client


class GoogleSheetsStorage:
    """Tabs of one Google Sheet, shared with a service account."""

    backend_name = "google-sheets"

    def __init__(
        self,
        key: str,
        credentials_files: Sequence[str | os.PathLike] = (),
        emulator_host: str = "",
    ) -> None:
        """Nothing is read or fetched until first use, so creating the app needs no network."""
        self.key = key
        self.service_account_email = ""
        self._credentials_files = tuple(credentials_files)
        self._emulator_host = emulator_host
        self._client: gspread.Client | None = None
        self._lock = threading.Lock()
        self._tabs: dict[str, dict[str, Any]] = {}  # header_key(title) -> sheet properties
        self._tabs_fetched_at = float("-inf")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> GoogleSheetsStorage:
        """Build from SHEET_ID, CREDENTIALS_FILES and SHEETS_EMULATOR_HOST."""
        return cls(
            sheet_key(str(config["SHEET_ID"])),
            credentials_files=config.get("CREDENTIALS_FILES") or (),
            emulator_host=config.get("SHEETS_EMULATOR_HOST") or "",
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
                reply = self._call(
                    self._http().values_batch_get,
                    self.key,
                    [a1_tab(real) for _, real in found],
                    params={"majorDimension": "ROWS"},
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

    def append_rows(self, title: str, rows: Sequence[Sequence[str]]) -> None:
        """Append as RAW text with INSERT_ROWS, anchored at A1, never over a coordinator's row."""
        tab = self._require_tab(title)
        self._call(
            self._http().values_append,
            self.key,
            f"{a1_tab(tab['title'])}!A1",
            params={"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"},
            body={"values": [list(row) for row in rows]},
        )

    def update_row(
        self, title: str, row_id: str, changes: Mapping[str, str], *, id_header: str = "ID"
    ) -> bool:
        """Find the row by ID in a fresh read, then write just the changed cells as text."""
        tab = self._require_tab(title)
        grid = self.read_tabs([title])[title]
        cells = cells_to_change(grid, title, row_id, changes, id_header)
        if cells is None:
            return False
        data = [
            {"range": f"{a1_tab(tab['title'])}!{rowcol_to_a1(row, column)}", "values": [[value]]}
            for row, column, value in cells
        ]
        self._call(
            self._http().values_batch_update,
            self.key,
            body={"valueInputOption": "RAW", "data": data},
        )
        return True

    def ensure_tab(self, spec: TabSpec) -> TabRepair:
        """Create the tab or extend its header row; then freeze row 1 and add dropdowns."""
        repair = TabRepair(spec.title)
        self._refresh_tabs()
        tab = self._tab(spec.title)
        if tab is None:
            rows, columns = NEW_TAB_SIZE
            reply = self._call(
                self._http().batch_update,
                self.key,
                {
                    "requests": [
                        {
                            "addSheet": {
                                "properties": {
                                    "title": spec.title,
                                    "gridProperties": {
                                        "rowCount": rows,
                                        "columnCount": max(columns, len(spec.headers)),
                                    },
                                }
                            }
                        }
                    ]
                },
            )
            tab = reply["replies"][0]["addSheet"]["properties"]
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
                self._client = make_client(info, self._emulator_host)
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
        metadata = self._call(
            self._http().fetch_sheet_metadata,
            self.key,
            params={"fields": "sheets.properties"},
        )
        tabs = {}
        for sheet in metadata.get("sheets", []):
            properties = sheet["properties"]
            tabs.setdefault(header_key(properties["title"]), properties)
        self._tabs = tabs
        self._tabs_fetched_at = time.monotonic()

    def _write_block(self, tab: Mapping[str, Any], row: int, column: int, values) -> None:
        width = max(len(r) for r in values)
        grid = tab.get("gridProperties", {})
        if column + width - 1 > grid.get("columnCount", NEW_TAB_SIZE[1]):
            self._call(
                self._http().batch_update,
                self.key,
                {
                    "requests": [
                        {
                            "appendDimension": {
                                "sheetId": tab["sheetId"],
                                "dimension": "COLUMNS",
                                "length": column + width - 1 - grid.get("columnCount", 0),
                            }
                        }
                    ]
                },
            )
            self._refresh_tabs()
        start = rowcol_to_a1(row, column)
        self._call(
            self._http().values_update,
            self.key,
            f"{a1_tab(tab['title'])}!{start}",
            params={"valueInputOption": "RAW"},
            body={"values": values},
        )

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
        self._call(self._http().batch_update, self.key, {"requests": requests_})

    def _call(self, method, *args, **kwargs):
        """Run one API call, turning what can go wrong into a message a person can act on."""
        try:
            return method(*args, **kwargs)
        except gspread.exceptions.APIError as error:
            raise self._explain(error) from error
        except RefreshError as error:
            raise StorageError(
                "Google refused the service account's key (it may have been deleted or "
                "disabled); create a new key in the Google Cloud console.",
                detail=repr(error),
            ) from error
        except (requests.RequestException, TransportError) as error:
            raise StorageError(
                "Google Sheets cannot be reached right now; please try again shortly.",
                detail=repr(error),
            ) from error

    def _explain(self, error: gspread.exceptions.APIError) -> StorageError:
        status = error.error.get("status", "")
        message = str(error.error.get("message", ""))
        detail = f"{error.code} {status}: {message}"
        email = self.service_account_email
        if error.code == 400 and "Unable to parse range" in message:
            return _StaleTab("A tab of the Google Sheet was renamed or removed.", detail=detail)
        if error.code == 429:
            return StorageError(
                "Google Sheets is busy (the request quota is used up); try again in a minute.",
                detail=detail,
            )
        if error.code == 403 and (
            "SERVICE_DISABLED" in detail
            or "has not been used" in message
            or "is disabled" in message
        ):
            return StorageError(
                "The Google Sheets API is not enabled for the service account's project; enable "
                "it in the Google Cloud console (APIs & Services → Library → Google Sheets API).",
                detail=detail,
            )
        if error.code == 403:
            who = email or "the service account's email (client_email in the key file)"
            return StorageError(
                f"The Google Sheet is not shared with the site: share it as Editor with {who}.",
                detail=detail,
            )
        if error.code == 404:
            return StorageError(
                f"No Google Sheet has the ID {self.key!r}; check SUMO_SHEET_ID "
                "(the long key in the sheet's URL).",
                detail=detail,
            )
        if error.code == 401:
            return StorageError(
                "Google did not accept the service account's credentials; check the key file.",
                detail=detail,
            )
        if error.code >= 500:
            return StorageError(
                "Google Sheets is having trouble right now; please try again shortly.",
                detail=detail,
            )
        return StorageError("Google Sheets refused the request.", detail=detail)


class _StaleTab(StorageError):
    """A range named a tab that no longer exists under that title."""


def _text(value: object) -> str:
    """Cells arrive as strings (FORMATTED_VALUE); anything else is shown as its text."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)
