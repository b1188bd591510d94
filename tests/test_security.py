"""Security headers, HTTPS-only cookies behind a proxy, and the required SECRET_KEY."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask

from sumo_sheets import create_app, security
from sumo_sheets.config import ConfigError

from .support import NOW

STRONG_KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path: Path):
    """No key, debug flag, proxy setting or .env from the developer's shell or folder."""
    for name in ("SUMO_SECRET_KEY", "FLASK_DEBUG", "SUMO_BEHIND_PROXY", "SUMO_WORKBOOK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(security, "ENV_FILE", tmp_path / "no.env")
    # The package's own instance folder stays untouched: each test gets its own.
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path / "instance"))


def site(tmp_path: Path, **config):
    """The site in tests on a fresh workbook, CSRF on (so pages set a session cookie)."""
    settings = {
        "TESTING": True,
        "SECRET_KEY": STRONG_KEY,
        "WORKBOOK": str(tmp_path / "sumo.xlsx"),
        "CLOCK": lambda: NOW,
    }
    return create_app({**settings, **config})


@pytest.mark.parametrize("path", ["/", "/signup", "/api/week", "/no-such-page", "/schedule.ics"])
def test_every_response_carries_the_security_headers(tmp_path, path):
    response = site(tmp_path).test_client().get(path)
    assert response.status_code == (404 if path == "/no-such-page" else 200)
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_hsts_is_sent_over_https_only(tmp_path):
    client = site(tmp_path).test_client()
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_cookies_are_secure_over_https_and_not_over_http(tmp_path):
    app = site(tmp_path)
    plain = app.test_client().get("/signup").headers.getlist("Set-Cookie")
    assert plain and not any("Secure" in cookie for cookie in plain)
    secure = app.test_client().get("/signup", base_url="https://localhost")
    secure = secure.headers.getlist("Set-Cookie")
    session = [cookie for cookie in secure if cookie.startswith("session=")]
    assert session and "Secure" in session[0] and "HttpOnly" in session[0]
    assert "SameSite=Lax" in session[0]


def test_behind_a_proxy_its_forwarded_https_turns_on_hsts_and_secure_cookies(tmp_path):
    client = site(tmp_path, BEHIND_PROXY=True).test_client()
    response = client.get("/signup?tz=Europe/Berlin", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookies = response.headers.getlist("Set-Cookie")
    assert {cookie.split("=")[0] for cookie in cookies} >= {"session", "tz_chosen"}
    assert all("Secure" in cookie for cookie in cookies)


def test_without_behind_proxy_a_forwarded_proto_header_is_ignored(tmp_path):
    client = site(tmp_path).test_client()
    response = client.get("/signup", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers
    assert not any("Secure" in cookie for cookie in response.headers.getlist("Set-Cookie"))


def test_behind_proxy_is_read_from_the_environment_as_text(monkeypatch, tmp_path):
    monkeypatch.setenv("SUMO_BEHIND_PROXY", "true")
    client = site(tmp_path).test_client()
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in response.headers


def test_outside_debug_and_tests_the_site_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY is not set") as refused:
        create_app({"WORKBOOK": str(tmp_path / "sumo.xlsx")})
    assert "export SUMO_SECRET_KEY=$(python3 -c 'import secrets" in str(refused.value)
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_outside_debug_and_tests_a_short_secret_key_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("SUMO_SECRET_KEY", "too-short")
    with pytest.raises(ConfigError, match="SECRET_KEY is too short"):
        create_app({"WORKBOOK": str(tmp_path / "sumo.xlsx")})


def test_a_long_enough_secret_key_from_the_environment_starts_the_site(monkeypatch, tmp_path):
    monkeypatch.setenv("SUMO_SECRET_KEY", STRONG_KEY)
    app = create_app({"WORKBOOK": str(tmp_path / "sumo.xlsx")})
    assert app.config["SECRET_KEY"] == STRONG_KEY


def test_in_debug_the_site_starts_with_a_key_generated_into_the_instance_folder(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("FLASK_DEBUG", "1")  # what `flask run --debug` sets before loading
    app = create_app({"WORKBOOK": str(tmp_path / "sumo.xlsx")})
    key_file = tmp_path / "instance" / "secret_key"
    assert app.debug
    assert app.config["SECRET_KEY"] == key_file.read_text()
    assert len(key_file.read_text()) == 64


def test_a_dot_env_file_is_loaded_without_overriding_the_environment(monkeypatch, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(f"SUMO_SECRET_KEY={STRONG_KEY}\nSUMO_BEHIND_PROXY=true\n")
    monkeypatch.setattr(security, "ENV_FILE", env_file)
    monkeypatch.setenv("SUMO_BEHIND_PROXY", "false")
    try:
        app = create_app({"WORKBOOK": str(tmp_path / "sumo.xlsx")})
    finally:
        # load_dotenv wrote it straight into os.environ, where monkeypatch would not undo it.
        os.environ.pop("SUMO_SECRET_KEY", None)
    assert app.config["SECRET_KEY"] == STRONG_KEY
    assert app.config["BEHIND_PROXY"] is False
