"""The tabs of a Google Sheet by identity: developer metadata tags that survive a rename.

`sheet init` tags each of the site's tabs with developer metadata at the tab's location
(``spreadsheets.developerMetadata``: it stays with the tab when a coordinator renames or
moves it, and goes when the tab is deleted). The tag's value names the site's tab and the
sheetId it was made for, so a copy of the tab (if a copy keeps the tag) is told apart: its
sheetId differs. Tabs not tagged yet (sheets set up before tags) are found by title, and a
process remembers the sheetId of each tab it found, so it follows a rename meanwhile.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..headers import header_key
from . import TabPlace
from .tab_identity import copies_by_name

TAG_KEY = "sumo-sheets.tab"
# What spreadsheets.get asks for: every tab's properties and its developer metadata.
METADATA_FIELDS = "sheets(properties,developerMetadata)"


def tag_request(title: str, sheet_id: int) -> dict[str, Any]:
    """The batchUpdate request that tags tab ``sheet_id`` as the site's ``title`` tab."""
    return {
        "createDeveloperMetadata": {
            "developerMetadata": {
                "metadataKey": TAG_KEY,
                "metadataValue": json.dumps({"tab": title, "sheetId": sheet_id}),
                "location": {"sheetId": sheet_id},
                "visibility": "DOCUMENT",
            }
        }
    }


def _tags(sheet: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(the site's tab title, the sheetId tagged) of each of the site's tags on a tab."""
    found = []
    for item in sheet.get("developerMetadata", []) or []:
        if item.get("metadataKey") != TAG_KEY:
            continue
        try:
            value = json.loads(item.get("metadataValue", ""))
            found.append((str(value["tab"]), value["sheetId"]))
        except (ValueError, KeyError, TypeError):
            continue  # not ours after all (edited by another program)
    return found


class TabIndex:
    """One spreadsheets.get's tabs, looked up the way the site finds its tabs."""

    def __init__(self, sheets: Sequence[Mapping[str, Any]] = ()) -> None:
        self.sheets = [dict(sheet) for sheet in sheets]

    @property
    def titles(self) -> list[str]:
        return [sheet["properties"]["title"] for sheet in self.sheets]

    def find(self, title: str, remembered: int | None = None) -> dict[str, Any] | None:
        """The tab's properties: the tab tagged as ``title`` for its own sheetId, else the
        tab with sheetId ``remembered``, else the tab titled ``title``; None if none."""
        key = header_key(title)
        for sheet in self.sheets:
            own = sheet["properties"].get("sheetId")
            if any(header_key(t) == key and sid == own for t, sid in _tags(sheet)):
                return sheet["properties"]
        for sheet in self.sheets:
            if remembered is not None and sheet["properties"].get("sheetId") == remembered:
                return sheet["properties"]
        for sheet in self.sheets:
            if header_key(sheet["properties"]["title"]) == key:
                return sheet["properties"]
        return None

    def tagged(self, title: str, sheet_id: int) -> bool:
        """True when tab ``sheet_id`` already carries the site's tag for ``title``."""
        key = header_key(title)
        for sheet in self.sheets:
            if sheet["properties"].get("sheetId") == sheet_id:
                return any(header_key(t) == key and sid == sheet_id for t, sid in _tags(sheet))
        return False

    def place(self, title: str, remembered: int | None = None) -> TabPlace:
        """Where the tab is, and the tabs that are copies of it (by tag or by name)."""
        found = self.find(title, remembered)
        found_as = found["title"] if found else None
        key = header_key(title)
        copies = [
            sheet["properties"]["title"]
            for sheet in self.sheets
            if sheet["properties"]["title"] != found_as
            and any(header_key(t) == key for t, _ in _tags(sheet))
        ]
        copies += [t for t in copies_by_name(self.titles, title, found_as) if t not in copies]
        return TabPlace(title, found_as, copies)
