"""Tokens, who may see which spreadsheet, and the Drive calls gspread makes."""

from __future__ import annotations

import base64
import json

import gspread
import pytest
import requests
from gspread.exceptions import APIError, SpreadsheetNotFound

from sumo_sheets.emulator.testing import emulator_gspread_client, make_service_account_info

from .conftest import OTHER_EMAIL, OWNER_EMAIL


def _jwt(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


def _token(emulator_server, claims: dict) -> requests.Response:
    return requests.post(
        f"{emulator_server.url}/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": _jwt(claims),
        },
        timeout=10,
    )


def test_token_endpoint_answers_a_jwt_bearer_grant(emulator_server, control):
    response = _token(emulator_server, {"iss": "x@y.iam.gserviceaccount.com", "scope": "a b"})
    assert response.status_code == 200
    body = response.json()
    assert body["expires_in"] == 3600
    assert body["token_type"] == "Bearer"
    assert body["access_token"]
    assert control.counts()["oauth2.token"] == 1


def test_token_endpoint_refuses_other_grants_in_oauth_shape(emulator_server):
    response = requests.post(
        f"{emulator_server.url}/token", data={"grant_type": "password"}, timeout=10
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_google_auth_gets_its_token_from_the_emulator(gc, spreadsheet):
    credentials = gc.http_client.auth
    assert credentials.token.startswith("ya29.")
    assert credentials.service_account_email == OWNER_EMAIL


def test_missing_token_is_401_unauthenticated(emulator_server, spreadsheet):
    response = requests.get(
        f"{emulator_server.url}/v4/spreadsheets/{spreadsheet.id}/values/A1", timeout=10
    )
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["status"] == "UNAUTHENTICATED"
    assert error["message"].startswith("Request is missing required authentication credential.")
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_unknown_token_is_401(emulator_server, spreadsheet):
    response = requests.get(
        f"{emulator_server.url}/v4/spreadsheets/{spreadsheet.id}",
        headers={"Authorization": "Bearer ya29.not-a-token"},
        timeout=10,
    )
    assert response.status_code == 401
    assert response.json()["error"]["message"].startswith(
        "Request had invalid authentication credentials."
    )


def test_another_account_gets_403_until_the_sheet_is_shared(spreadsheet, other_gc):
    with pytest.raises(PermissionError):
        other_gc.open_by_key(spreadsheet.id)
    with pytest.raises(APIError) as caught:
        other_gc.http_client.values_get(spreadsheet.id, "Sheet1!A1")
    assert caught.value.code == 403
    assert caught.value.error == {
        "code": 403,
        "message": "The caller does not have permission",
        "status": "PERMISSION_DENIED",
    }
    spreadsheet.share(OTHER_EMAIL, perm_type="user", role="writer", notify=False)
    shared = other_gc.open_by_key(spreadsheet.id)
    shared.sheet1.append_row(["written by the other account"])
    assert spreadsheet.sheet1.get_all_values() == [["written by the other account"]]


def test_a_reader_may_read_but_not_write(spreadsheet, other_gc):
    spreadsheet.share(OTHER_EMAIL, perm_type="user", role="reader", notify=False)
    shared = other_gc.open_by_key(spreadsheet.id)
    assert shared.sheet1.get_all_values() == [[]]
    with pytest.raises(APIError) as caught:
        shared.sheet1.append_row(["nope"])
    assert caught.value.code == 403


def test_unknown_spreadsheet_is_404(gc):
    with pytest.raises(SpreadsheetNotFound):
        gc.open_by_key("no-such-spreadsheet")
    with pytest.raises(APIError) as caught:
        gc.http_client.values_get("no-such-spreadsheet", "A1")
    assert caught.value.error == {
        "code": 404,
        "message": "Requested entity was not found.",
        "status": "NOT_FOUND",
    }


def test_a_sheets_only_token_may_not_use_drive(emulator_server, spreadsheet):
    info = make_service_account_info(OWNER_EMAIL, f"{emulator_server.url}/token")
    sheets_only = emulator_gspread_client(
        emulator_server.host_port, info, scopes=["https://www.googleapis.com/auth/spreadsheets"]
    )
    assert sheets_only.open_by_key(spreadsheet.id).title == spreadsheet.title
    with pytest.raises(APIError) as caught:
        sheets_only.create("needs Drive")
    assert caught.value.code == 403
    assert caught.value.error["message"] == "Request had insufficient authentication scopes."


def test_share_reply_and_permission_list(spreadsheet):
    reply = spreadsheet.share(OTHER_EMAIL, perm_type="user", role="writer", notify=False).json()
    assert reply["kind"] == "drive#permission"
    assert (reply["type"], reply["role"]) == ("user", "writer")
    permissions = spreadsheet.list_permissions()
    assert [(p["emailAddress"], p["role"]) for p in permissions] == [
        (OWNER_EMAIL, "owner"),
        (OTHER_EMAIL, "writer"),
    ]
    spreadsheet.remove_permissions(OTHER_EMAIL)
    assert len(spreadsheet.list_permissions()) == 1


def test_anyone_permission_opens_the_sheet_to_every_account(spreadsheet, other_gc):
    spreadsheet.share(None, perm_type="anyone", role="reader")
    assert other_gc.open_by_key(spreadsheet.id).id == spreadsheet.id


def test_open_by_title_list_and_drive_metadata(gc, other_gc, spreadsheet):
    assert gc.open(spreadsheet.title).id == spreadsheet.id
    assert spreadsheet.id in [f["id"] for f in gc.list_spreadsheet_files()]
    assert spreadsheet.id not in [f["id"] for f in other_gc.list_spreadsheet_files()]
    with pytest.raises(SpreadsheetNotFound):
        other_gc.open(spreadsheet.title)
    assert spreadsheet.get_lastUpdateTime().endswith("Z")
    assert spreadsheet.creationTime.endswith("Z")


def test_del_spreadsheet_by_owner_only(gc, other_gc, spreadsheet):
    spreadsheet.share(OTHER_EMAIL, perm_type="user", role="writer", notify=False)
    with pytest.raises(APIError) as caught:
        other_gc.del_spreadsheet(spreadsheet.id)
    assert caught.value.code == 403
    assert caught.value.error["errors"][0]["reason"] == "insufficientFilePermissions"
    gc.del_spreadsheet(spreadsheet.id)
    with pytest.raises(SpreadsheetNotFound):
        gc.open_by_key(spreadsheet.id)


def test_drive_says_404_for_files_not_shared_with_you(other_gc, spreadsheet):
    with pytest.raises(APIError) as caught:
        other_gc.get_file_drive_metadata(spreadsheet.id)
    assert caught.value.code == 404
    assert caught.value.error["message"] == f"File not found: {spreadsheet.id}."


def test_a_key_with_googles_token_uri_works_through_the_session_redirect(emulator_server):
    info = make_service_account_info("plain@proj.iam.gserviceaccount.com")
    assert info["token_uri"] == "https://oauth2.googleapis.com/token"
    from google.oauth2.service_account import Credentials

    from sumo_sheets.emulator.client import redirect_session_to_emulator

    credentials = Credentials.from_service_account_info(info, scopes=gspread.auth.DEFAULT_SCOPES)
    client = gspread.Client(auth=credentials)
    redirect_session_to_emulator(client.http_client.session, emulator_server.host_port)
    assert client.create("via Google's token URI").sheet1.title == "Sheet1"


def test_drive_answers_with_its_default_fields_unless_asked(api, spreadsheet):
    plain = api.get(f"{api.drive}/files/{spreadsheet.id}").json()
    assert plain == {
        "kind": "drive#file",
        "id": spreadsheet.id,
        "name": spreadsheet.title,
        "mimeType": "application/vnd.google-apps.spreadsheet",
    }
    asked = api.get(f"{api.drive}/files/{spreadsheet.id}", params={"fields": "id,modifiedTime"})
    assert set(asked.json()) == {"id", "modifiedTime"}


def test_copy_makes_a_private_copy_for_the_caller(gc, spreadsheet, other_gc):
    spreadsheet.sheet1.update([["copied"]], "A1")
    spreadsheet.share(OTHER_EMAIL, perm_type="user", role="writer", notify=False)
    copy = other_gc.copy(spreadsheet.id, title="Mine now")
    assert copy.title == "Mine now"
    assert copy.sheet1.get_all_values() == [["copied"]]
    with pytest.raises(PermissionError):
        gc.open_by_key(copy.id)
