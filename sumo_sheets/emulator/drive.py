"""The bits of Drive v3 gspread uses: files create/list/get/delete and permissions."""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .auth import Caller
from .errors import ApiError, drive_file_not_found, drive_insufficient_permissions
from .state import (
    ROLES_THAT_WRITE,
    SPREADSHEET_MIME_TYPE,
    Permission,
    Spreadsheet,
    State,
    new_spreadsheet_id,
    now_rfc3339,
)

_NAME_CLAUSE = re.compile(r"""\bname\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
_ROLES = ("owner", "organizer", "fileOrganizer", "writer", "commenter", "reader")
_TYPES = ("user", "group", "domain", "anyone")


def _permission_id(email: str) -> str:
    """Drive's permission id for an account is a stable number; this one is derived from it."""
    return str(10**19 + zlib.crc32(email.lower().encode()) * 1000003 % 10**19)


def visible_file(state: State, caller: Caller, file_id: str) -> Spreadsheet:
    """A file the caller can see; Drive answers 404 (not 403) for files not shared with you."""
    spreadsheet = state.spreadsheets.get(file_id)
    if spreadsheet is None or spreadsheet.role_of(caller.email) is None:
        raise drive_file_not_found(file_id)
    return spreadsheet


def files_create(state: State, caller: Caller, body: Mapping[str, Any]) -> dict[str, Any]:
    """files.create for a Google Sheets file: an empty spreadsheet the caller owns."""
    mime_type = body.get("mimeType") or ""
    if mime_type != SPREADSHEET_MIME_TYPE:
        raise ApiError(
            400,
            f"The Sheets API emulator only creates {SPREADSHEET_MIME_TYPE} files.",
            drive_reason="badRequest",
        )
    spreadsheet = state.create_spreadsheet(
        caller.email, title=str(body.get("name") or "Untitled spreadsheet")
    )
    return spreadsheet.drive_file()


def files_copy(
    state: State, caller: Caller, file_id: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """files.copy: the caller owns the copy; sharing is not copied (as in Drive)."""
    source = visible_file(state, caller, file_id)
    copy = replace(
        source.clone(),
        id=new_spreadsheet_id(),
        title=str(body.get("name") or f"Copy of {source.title}"),
        owner=caller.email,
        permissions=[],
        created_time=now_rfc3339(),
        modified_time=now_rfc3339(),
    )
    state.spreadsheets[copy.id] = copy
    return copy.drive_file()


def comments_list(state: State, caller: Caller, file_id: str) -> dict[str, Any]:
    """comments.list: the emulator keeps no comments."""
    visible_file(state, caller, file_id)
    return {"kind": "drive#commentList", "comments": []}


def files_list(state: State, caller: Caller, params: Mapping[str, Any]) -> dict[str, Any]:
    """files.list of the caller's spreadsheets; of `q`, only `name = "..."` filters."""
    query = str(params.get("q") or "")
    match = _NAME_CLAUSE.search(query)
    name = None
    if match:
        name = re.sub(r"\\(.)", r"\1", match.group(1) if match.group(1) is not None else match[2])
    files = [
        s.drive_file()
        for s in state.spreadsheets.values()
        if s.role_of(caller.email) is not None and (name is None or s.title == name)
    ]
    files.sort(key=lambda f: f["modifiedTime"], reverse=True)
    return {"kind": "drive#fileList", "incompleteSearch": False, "files": files}


def files_get(state: State, caller: Caller, file_id: str) -> dict[str, Any]:
    """files.get metadata."""
    return visible_file(state, caller, file_id).drive_file()


def files_delete(state: State, caller: Caller, file_id: str) -> None:
    """files.delete: only the owner may delete a file."""
    spreadsheet = visible_file(state, caller, file_id)
    if spreadsheet.role_of(caller.email) != "owner":
        raise drive_insufficient_permissions()
    del state.spreadsheets[file_id]


def _owner_permission(spreadsheet: Spreadsheet) -> Permission:
    return Permission(
        _permission_id(spreadsheet.owner), "user", "owner", email_address=spreadsheet.owner
    )


def permissions_create(
    state: State,
    caller: Caller,
    file_id: str,
    body: Mapping[str, Any],
    params: Mapping[str, Any],
) -> dict[str, Any]:
    """permissions.create: owners and writers may share; sharing again changes the role."""
    spreadsheet = visible_file(state, caller, file_id)
    if spreadsheet.role_of(caller.email) not in ROLES_THAT_WRITE:
        raise drive_insufficient_permissions()
    kind, role = body.get("type"), body.get("role")
    if kind not in _TYPES:
        raise ApiError(400, "The permission type field is required.", drive_reason="required")
    if role not in _ROLES:
        raise ApiError(400, "The permission role field is required.", drive_reason="required")
    email = body.get("emailAddress")
    domain = body.get("domain")
    if kind in ("user", "group") and not email:
        raise ApiError(
            400, "The permission emailAddress field is required.", drive_reason="required"
        )
    if kind == "domain" and not domain:
        raise ApiError(400, "The permission domain field is required.", drive_reason="required")
    if role == "owner":
        if str(params.get("transferOwnership", "")).lower() != "true":
            raise ApiError(
                403,
                "The transferOwnership parameter must be enabled when the permission role "
                "is 'owner'.",
                drive_reason="forbidden",
            )
        previous = spreadsheet.owner
        spreadsheet.owner = str(email)
        spreadsheet.permissions = [
            p for p in spreadsheet.permissions if not p.grants(str(email)) or p.type != "user"
        ]
        spreadsheet.permissions.append(
            Permission(_permission_id(previous), "user", "writer", email_address=previous)
        )
        return _owner_permission(spreadsheet).to_json()
    if kind in ("user", "group"):
        permission_id = _permission_id(str(email))
    elif kind == "domain":
        permission_id = _permission_id("@" + str(domain))
    else:
        permission_id = "anyoneWithLink" if body.get("withLink") else "anyone"
    permission = Permission(
        permission_id,
        str(kind),
        str(role),
        email_address=str(email) if kind in ("user", "group") else None,
        domain=str(domain) if kind == "domain" else None,
    )
    spreadsheet.permissions = [p for p in spreadsheet.permissions if p.id != permission_id]
    spreadsheet.permissions.append(permission)
    return permission.to_json()


def permissions_list(state: State, caller: Caller, file_id: str) -> dict[str, Any]:
    """permissions.list, the owner first."""
    spreadsheet = visible_file(state, caller, file_id)
    permissions = [_owner_permission(spreadsheet)] + list(spreadsheet.permissions)
    return {"kind": "drive#permissionList", "permissions": [p.to_json() for p in permissions]}


def permissions_delete(state: State, caller: Caller, file_id: str, permission_id: str) -> None:
    """permissions.delete (the owner's permission cannot be removed)."""
    spreadsheet = visible_file(state, caller, file_id)
    if spreadsheet.role_of(caller.email) not in ROLES_THAT_WRITE:
        raise drive_insufficient_permissions()
    kept = [p for p in spreadsheet.permissions if p.id != permission_id]
    if len(kept) == len(spreadsheet.permissions):
        raise ApiError(404, f"Permission not found: {permission_id}.", drive_reason="notFound")
    spreadsheet.permissions = kept
