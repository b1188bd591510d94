"""Reaching a Google Sheet: the sheet's key, the service-account key file, the gspread client,
A1 ranges, and the batchUpdate requests that format a tab.

The client is Google's own unless a ``session_hook`` is given: a callable that receives each
HTTP session the client makes before its first call (a test tool may send the calls elsewhere).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import gspread
import requests
from google.auth.exceptions import GoogleAuthError
from google.oauth2 import service_account
from gspread.utils import extract_id_from_url

from ..retry import CALL_TIMEOUT_SECONDS
from . import StorageError

# The site only reads and writes the one sheet shared with it: no Drive access is asked for.
SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
# Rows and columns of a tab the site adds.
NEW_TAB_SIZE = (1000, 26)

SessionHook = Callable[[requests.Session], None]


def sheet_key(sheet_id_or_url: str) -> str:
    """The key of a sheet from its key or its whole URL."""
    text = sheet_id_or_url.strip()
    if "/" in text:
        return extract_id_from_url(text)
    return text


def a1_tab(title: str) -> str:
    """A tab title quoted for an A1 range, as Google wants it."""
    return "'" + title.replace("'", "''") + "'"


def first_row(a1_range: str) -> int | None:
    """The first row number of a range such as 'Signups'!A7:K7, or None if it has none."""
    match = re.search(r"!\$?[A-Za-z]*\$?(\d+)", a1_range)
    return int(match[1]) if match else None


def column_count(tab: Mapping[str, Any]) -> int:
    """How many columns a tab has, from its sheet properties."""
    return tab.get("gridProperties", {}).get("columnCount", NEW_TAB_SIZE[1])


def load_service_account_info(candidates: Sequence[str | os.PathLike]) -> dict[str, Any]:
    """Read the first key file that exists, or explain which ones were looked for."""
    for candidate in candidates:
        path = Path(candidate)
        if path.is_file():
            return _read_key_file(path)
    looked = ", ".join(str(c) for c in candidates) or "nowhere"
    raise StorageError(
        "No Google service-account key file was found (looked in: "
        f"{looked}). Set GOOGLE_APPLICATION_CREDENTIALS to the key file's path, or save it "
        "as credentials.json in the instance folder."
    )


def _read_key_file(path: Path) -> dict[str, Any]:
    """A service-account key file's contents, or why it is not one."""
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


def make_client(
    info: Mapping[str, Any],
    timeout: float = CALL_TIMEOUT_SECONDS,
    session_hook: SessionHook | None = None,
) -> gspread.Client:
    """A gspread client for a service account; ``session_hook`` gets its session first."""
    try:
        credentials = service_account.Credentials.from_service_account_info(
            dict(info), scopes=SCOPES
        )
    except (ValueError, GoogleAuthError) as error:
        raise StorageError(
            "The service-account key's private key cannot be read; download a new JSON key.",
            detail=repr(error),
        ) from error
    client = gspread.Client(auth=credentials)
    client.set_timeout(timeout)
    if session_hook is not None:
        session_hook(client.http_client.session)
    return client


def format_requests(
    sheet_id: int, dropdowns: Sequence[tuple[int, Sequence[str]]]
) -> list[dict[str, Any]]:
    """batchUpdate requests that freeze row 1 and offer (0-based column, values) dropdowns."""
    requests_: list[dict[str, Any]] = [
        {
            "updateSheetProperties": {
                "properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": 1}},
                "fields": "gridProperties.frozenRowCount",
            }
        }
    ]
    for column, allowed in dropdowns:
        requests_.append(
            {
                "setDataValidation": {
                    "range": {
                        "sheetId": sheet_id,
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
    return requests_
