"""Settings and where they come from: defaults, then instance/config.py, then SUMO_* variables."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

DEFAULTS: dict[str, Any] = {
    # Signs CSRF tokens. When none is set, a random key is made once and kept in the
    # instance folder, so it survives restarts and is shared by every worker process.
    "SECRET_KEY": None,
    # The local workbook (the default backend); relative to the instance folder.
    "WORKBOOK": "sumo-schedule.xlsx",
    # A Google Sheet's key or URL; setting it switches to the Google Sheets backend.
    "SHEET_ID": "",
    # A form left open on a phone for hours must still submit.
    "WTF_CSRF_TIME_LIMIT": None,
    # Seconds a page may show the sheet as read that long ago (blank: 5 on a Google Sheet,
    # where every read costs quota and latency; 0 on the local workbook, which is cheap).
    "SHEET_CACHE_SECONDS": None,
    # redis://host:port/db: processes and hosts share one read per cache period.
    "REDIS_URL": "",
    # Forms are small; anything bigger is not a signup.
    "MAX_CONTENT_LENGTH": 64 * 1024,
    # The site's public address, for links in emails sent outside a request (reminders);
    # within a request the address the volunteer used is taken.
    "SITE_URL": "",
    # Personal manage links (/my/<token>) stop working after this many days.
    "MANAGE_LINK_DAYS": 365,
    # Volunteers may cancel on the site until this many hours before their shift starts.
    "CANCEL_CUTOFF_HOURS": 2,
    # The longest weekly repeat the form offers.
    "REPEAT_WEEKS_MAX": 8,
    # Reminders go this many hours before each shift (run `flask reminders send` from cron).
    "REMINDER_HOURS": [24, 1],
    # Email is off unless MAIL_SERVER is set (SUMO_MAIL_SERVER, SUMO_MAIL_PORT, ...).
    "MAIL_SERVER": "",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_SENDER": "SUMO Live Chat <livechat-noreply@localhost>",
    # Seconds to wait for the mail server before giving up (a page never waits longer).
    "MAIL_TIMEOUT": 10,
    # Which reminders went out, so each goes once; relative to the instance folder.
    "REMINDERS_STATE_FILE": "reminders-sent.json",
    # Google Sheets calls that fail for a passing reason (quota, 5xx, timeouts) are tried at
    # most this many times in all, reads and idempotent writes only: appends are tried once.
    "SHEETS_RETRY_ATTEMPTS": 6,
    # ... and no retry starts later than this many seconds after the first try, so a page
    # is answered (or explained) while the volunteer is still waiting for it.
    "SHEETS_RETRY_BUDGET": 20,
    # The first wait in seconds; each wait is random up to twice the last one's ceiling
    # (full jitter, so many workers do not retry in step), never more than 8 s.
    "SHEETS_RETRY_WAIT": 0.5,
    # Seconds one request to Google may take (to connect, and then between bytes).
    "SHEETS_TIMEOUT": 15,
}


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Layer the settings: defaults, instance/config.py, SUMO_* environment, test config."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("SUMO")
    if test_config is not None:
        app.config.from_mapping(test_config)

    # Values from the environment are parsed as JSON when they can be: a numeric sheet
    # key would otherwise arrive as a number.
    app.config["SHEET_ID"] = str(app.config.get("SHEET_ID") or "")
    app.config["WORKBOOK"] = str(Path(app.instance_path) / str(app.config["WORKBOOK"]))
    # Google's own conventions, not SUMO_ ones: the key file and the emulator.
    app.config.setdefault(
        "CREDENTIALS_FILES",
        [
            path
            for path in (
                os.environ.get("GOOGLE_APPLICATION_CREDENTIALS"),
                str(Path(app.instance_path) / "credentials.json"),
                str(Path(app.root_path).parent / "credentials.json"),
            )
            if path
        ],
    )
    app.config.setdefault("SHEETS_EMULATOR_HOST", os.environ.get("SHEETS_EMULATOR_HOST", ""))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))


def _instance_secret(instance: Path) -> str:
    """Read the instance's secret key, creating it (readable by its owner only) if needed."""
    key_file = instance / "secret_key"
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        pass
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()  # another worker made it first
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)
    return key


def cache_seconds(config: Any, backend: Any) -> float:
    """How long pages may use a read of the sheet (SHEET_CACHE_SECONDS, by backend)."""
    value = config.get("SHEET_CACHE_SECONDS")
    if value is None or value == "":
        return 5.0 if getattr(backend, "backend_name", "") == "google-sheets" else 0.0
    return float(value)


def shared_cache(app: Flask) -> Any:
    """The Redis cache shared by processes when REDIS_URL is set, else None."""
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    from .cache import SharedCache

    sheet = app.config.get("SHEET_ID") or app.config["WORKBOOK"]
    namespace = hashlib.sha256(str(sheet).encode()).hexdigest()[:16]
    return SharedCache(str(url), namespace)
