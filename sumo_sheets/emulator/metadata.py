"""Developer metadata at a tab's location, as the Sheets API documents it.

References: https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets.developerMetadata
and https://developers.google.com/sheets/api/guides/metadata. Metadata is a key and a value
with a spreadsheet-unique positive ``metadataId`` (given, or randomly assigned), a required
``visibility`` and a ``location``; it stays with the object it is at as the sheet is edited
(a renamed or moved tab keeps it), and goes when that object is deleted.

The emulator models metadata at a tab (``location.sheetId``) only: ``createDeveloperMetadata``
and ``deleteDeveloperMetadata`` (by a ``developerMetadataLookup`` on ``metadataId`` and/or
``metadataKey``) in batchUpdate, and ``sheets[].developerMetadata`` in spreadsheets.get.
Handlers take batch's request context (``spreadsheet``, ``sheet(id)``, ``error(text)``).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from .state import Sheet, Spreadsheet

VISIBILITIES = ("DOCUMENT", "PROJECT")


def resource(sheet: Sheet, item: Mapping[str, Any]) -> dict[str, Any]:
    """A DeveloperMetadata resource as Google returns it (location with its type)."""
    return {
        "metadataId": item["metadataId"],
        "metadataKey": item["metadataKey"],
        **({"metadataValue": item["metadataValue"]} if item.get("metadataValue") else {}),
        "location": {"locationType": "SHEET", "sheetId": sheet.sheet_id},
        "visibility": item["visibility"],
    }


def sheet_metadata(sheet: Sheet) -> list[dict[str, Any]]:
    """The tab's metadata for ``sheets[].developerMetadata`` (empty lists are left out)."""
    return [resource(sheet, item) for item in sheet.developer_metadata]


def _all_ids(spreadsheet: Spreadsheet) -> set[int]:
    return {item["metadataId"] for s in spreadsheet.sheets for item in s.developer_metadata}


def create(ctx: Any, request: Mapping[str, Any]) -> dict[str, Any]:
    """createDeveloperMetadata at a tab's location."""
    data = request.get("developerMetadata") or {}
    if not data.get("metadataKey"):
        raise ctx.error("Developer metadata must always have a key specified.")
    if data.get("visibility") not in VISIBILITIES:
        raise ctx.error("Developer metadata must always have a visibility specified.")
    location = data.get("location") or {}
    if set(location) - {"sheetId", "locationType"} or "sheetId" not in location:
        raise ctx.error("only a sheet location (location.sheetId) is supported by the emulator")
    sheet = ctx.sheet(location["sheetId"])
    taken = _all_ids(ctx.spreadsheet)
    metadata_id = data.get("metadataId")
    if metadata_id is not None:
        metadata_id = int(metadata_id)
        if metadata_id <= 0:
            raise ctx.error("metadataId must be positive.")
        if metadata_id in taken:
            raise ctx.error(f"Metadata with the id {metadata_id} already exists.")
    else:
        metadata_id = random.randint(1, 2**31 - 1)
        while metadata_id in taken:
            metadata_id = random.randint(1, 2**31 - 1)
    item = {
        "metadataId": metadata_id,
        "metadataKey": str(data["metadataKey"]),
        "metadataValue": str(data.get("metadataValue") or ""),
        "visibility": data["visibility"],
    }
    sheet.developer_metadata.append(item)
    return {"createDeveloperMetadata": {"developerMetadata": resource(sheet, item)}}


def delete(ctx: Any, request: Mapping[str, Any]) -> dict[str, Any]:
    """deleteDeveloperMetadata matching a developerMetadataLookup (metadataId, metadataKey)."""
    lookup = (request.get("dataFilter") or {}).get("developerMetadataLookup")
    if not lookup or not ({"metadataId", "metadataKey"} & set(lookup)):
        raise ctx.error("only a developerMetadataLookup by metadataId or metadataKey is supported")

    def matches(item: Mapping[str, Any]) -> bool:
        if "metadataId" in lookup and item["metadataId"] != int(lookup["metadataId"]):
            return False
        return "metadataKey" not in lookup or item["metadataKey"] == lookup["metadataKey"]

    deleted = []
    for sheet in ctx.spreadsheet.sheets:
        deleted += [resource(sheet, item) for item in sheet.developer_metadata if matches(item)]
        sheet.developer_metadata = [i for i in sheet.developer_metadata if not matches(i)]
    return {"deleteDeveloperMetadata": {"deletedDeveloperMetadata": deleted}}


def find(spreadsheet: Spreadsheet, metadata_id: int) -> dict[str, Any] | None:
    """developerMetadata.get: the resource with this id, or None."""
    for sheet in spreadsheet.sheets:
        for item in sheet.developer_metadata:
            if item["metadataId"] == metadata_id:
                return resource(sheet, item)
    return None
