"""Setting up the Google backend: choosing it, finding the key, and explaining what is wrong."""

from __future__ import annotations

import json

import pytest

from sumo_sheets import create_app
from sumo_sheets.storage import StorageError
from sumo_sheets.storage.gsheets import GoogleSheetsStorage, load_service_account_info, sheet_key

KEY = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd"


@pytest.mark.parametrize(
    "given",
    [
        KEY,
        f"  {KEY} ",
        f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0",
        f"https://docs.google.com/spreadsheets/d/{KEY}",
    ],
)
def test_the_sheet_is_chosen_by_its_key_or_its_whole_url(given):
    assert sheet_key(given) == KEY


def google_app(tmp_path, key_files):
    return create_app(
        {
            "SECRET_KEY": "s",
            "SHEET_ID": KEY,
            "CREDENTIALS_FILES": [str(p) for p in key_files],
            "WORKBOOK": str(tmp_path / "unused.xlsx"),
        }
    )


def test_setting_a_sheet_id_switches_to_the_google_backend_without_touching_the_network(tmp_path):
    app = google_app(tmp_path, [tmp_path / "absent.json"])
    storage = app.extensions["sumo_storage"]
    assert isinstance(storage, GoogleSheetsStorage)
    assert storage.backend_name == "google-sheets" and storage.key == KEY


def test_a_missing_key_file_is_explained_on_the_page_and_health_is_503(tmp_path):
    client = google_app(tmp_path, [tmp_path / "instance" / "credentials.json"]).test_client()
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["storage"] == "google-sheets"
    assert "No Google service-account key file was found" in health.get_json()["error"]
    page = client.get("/")
    assert page.status_code == 503
    text = page.get_data(as_text=True)
    assert "GOOGLE_APPLICATION_CREDENTIALS" in text and "Traceback" not in text


def test_a_missing_key_file_is_explained_by_the_cli(tmp_path):
    result = (
        google_app(tmp_path, [tmp_path / "nope.json"])
        .test_cli_runner()
        .invoke(args=["sheet", "check"])
    )
    assert result.exit_code == 1
    assert "No Google service-account key file was found" in result.output
    assert str(tmp_path / "nope.json") in result.output


def test_the_first_key_file_that_exists_is_used(tmp_path):
    second = tmp_path / "second.json"
    second.write_text(
        json.dumps(
            {
                "type": "service_account",
                "client_email": "a@b.c",
                "private_key": "k",
                "token_uri": "http://t",
            }
        )
    )
    assert load_service_account_info([tmp_path / "first.json", second])["client_email"] == "a@b.c"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        (json.dumps({"installed": {"client_id": "x"}}), "is not a service-account key"),
        (
            json.dumps({"type": "service_account", "client_email": "a@b.c"}),
            "lacks private_key, token_uri",
        ),
    ],
)
def test_a_malformed_key_file_is_explained(tmp_path, content, message):
    key_file = tmp_path / "credentials.json"
    key_file.write_text(content)
    with pytest.raises(StorageError, match=message):
        load_service_account_info([key_file])


def test_an_unreadable_private_key_is_explained_on_the_page(tmp_path):
    key_file = tmp_path / "credentials.json"
    key_file.write_text(
        json.dumps(
            {
                "type": "service_account",
                "client_email": "a@b.c",
                "token_uri": "http://t",
                "private_key": "-----BEGIN PRIVATE KEY-----\nREPLACE\n-----END PRIVATE KEY-----",
            }
        )
    )
    page = google_app(tmp_path, [key_file]).test_client().get("/")
    assert page.status_code == 503
    assert "private key cannot be read" in page.get_data(as_text=True)


def test_the_example_credentials_file_has_the_shape_of_a_key_and_no_real_secret():
    from pathlib import Path

    example = json.loads((Path(__file__).parent.parent / "credentials.example.json").read_text())
    assert example["type"] == "service_account"
    assert {"client_email", "private_key", "token_uri", "project_id"} <= example.keys()
    assert "REPLACE" in example["private_key"]


def test_with_an_emulator_host_google_calls_go_to_that_host_with_path_and_query_kept():
    import http.server
    import threading

    import requests

    from sumo_sheets.emulator.client import redirect_session_to_emulator

    seen = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append((self.headers["Host"], self.path))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        session = requests.Session()
        redirect_session_to_emulator(session, f"127.0.0.1:{server.server_port}")
        reply = session.get("https://sheets.googleapis.com/v4/spreadsheets/abc?fields=x", timeout=5)
        assert reply.status_code == 200
        assert seen == [(f"127.0.0.1:{server.server_port}", "/v4/spreadsheets/abc?fields=x")]
    finally:
        server.shutdown()
        server.server_close()
