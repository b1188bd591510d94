"""Local development without a Google account: a key file and a spreadsheet in the emulator."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from .state import State

log = logging.getLogger(__name__)

DEV_SHEET_ID = "sumo-dev-sheet"
DEV_SHEET_TITLE = "SUMO Live Chat schedule (emulator)"
DEV_ACCOUNT_EMAIL = "sumo-dev@sumo-dev.iam.gserviceaccount.com"


def ensure_dev_key(path: Path) -> str:
    """The service-account email of the key at `path`, writing a generated key if none exists."""
    if path.is_file():
        # An existing key (even a real one) is kept: the emulator never checks signatures.
        return json.loads(path.read_text())["client_email"]
    from .testing import make_service_account_info

    path.parent.mkdir(parents=True, exist_ok=True)
    info = make_service_account_info(DEV_ACCOUNT_EMAIL)
    # Written 0600 from the start: it has the shape (and the sensitivity) of a real key.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(info, handle, indent=2)
    log.info("Wrote a development service-account key to %s", path)
    return info["client_email"]


def ensure_dev_sheet(state: State, owner: str) -> str:
    """Make sure the development spreadsheet exists and `owner` may edit it; return its id."""
    with state.lock:
        spreadsheet = state.spreadsheets.get(DEV_SHEET_ID)
        if spreadsheet is None:
            spreadsheet = state.create_spreadsheet(owner, title=DEV_SHEET_TITLE)
            del state.spreadsheets[spreadsheet.id]
            spreadsheet.id = DEV_SHEET_ID
            state.spreadsheets[DEV_SHEET_ID] = spreadsheet
            state.save()
            log.info("Created the development spreadsheet %r", DEV_SHEET_ID)
        elif spreadsheet.owner != owner:
            # A new key after a restart: hand the sheet to it so the site can keep working.
            spreadsheet.owner = owner
            state.save()
    return DEV_SHEET_ID
