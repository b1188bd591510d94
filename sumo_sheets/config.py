"""Settings and where they come from: defaults, then instance/config.py, then SUMO_* variables."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from . import retry

# Shorter keys are guessable; production keys come from secrets.token_hex(32) (64 characters).
MIN_SECRET_KEY_LENGTH = 16
SECRET_KEY_HELP = (
    "Set SUMO_SECRET_KEY (in the environment, or in .env beside app.py) to a long random "
    "value, made once and kept:\n"
    "  export SUMO_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')\n"
    "(For local development, `flask --app app run --debug` makes one in instance/secret_key.)"
)

DEFAULTS: dict[str, Any] = {
    # Signs CSRF tokens, the session and manage links. Required outside debug and tests;
    # in debug a random key is made once and kept in the instance folder.
    "SECRET_KEY": None,
    # One reverse proxy in front (nginx, a load balancer): trust its X-Forwarded-* headers,
    # so HTTPS is recognised there (HSTS, Secure cookies) and the client address is real.
    "BEHIND_PROXY": False,
    # Sent on top-level navigation (links from email) but not on cross-site form posts.
    "SESSION_COOKIE_SAMESITE": "Lax",
    # The local workbook (the default backend); relative to the instance folder.
    "WORKBOOK": "sumo-schedule.xlsx",
    # A Google Sheet's key or URL; setting it switches to the Google Sheets backend.
    "SHEET_ID": "",
    # A form left open on a phone for hours must still submit.
    "WTF_CSRF_TIME_LIMIT": None,
    # Seconds a page may show the sheet as read that long ago (blank: the backend's own
    # default: 5 on a Google Sheet, where every read costs quota and latency; 0 on the
    # local workbook, which is cheap).
    "SHEET_CACHE_SECONDS": None,
    # redis://host:port/db: processes and hosts share one read per cache period.
    "REDIS_URL": "",
    # Forms are small; anything bigger is not a signup.
    "MAX_CONTENT_LENGTH": 64 * 1024,
    # The site's public address, such as https://livechat.example.org. Every link in mail
    # and in calendar feeds is built from it, never from the request's Host header, and in
    # production requests for any other host are refused (Flask's TRUSTED_HOSTS). Required
    # when mail is on.
    "SITE_URL": "",
    # Other host names the site answers to besides SITE_URL's (a list, or comma-separated),
    # e.g. the name a load balancer's health check uses.
    "TRUSTED_HOSTS_EXTRA": [],
    # Personal manage links (/my/<token>) stop working after this many days.
    "MANAGE_LINK_DAYS": 365,
    # When each contact's links were revoked (`flask links revoke`); relative to the instance.
    "REVOKED_LINKS_FILE": "revoked-links.json",
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
    # Seconds to wait for the mail server before giving up (mail goes after the response,
    # so no page waits for it).
    "MAIL_TIMEOUT": 10,
    # The most mail the site's pages may send one address: a stranger who types someone's
    # address cannot flood it. Reminders (from cron, at most two per shift) do not count.
    "MAIL_PER_ADDRESS": "3 per hour;10 per day",
    # Reminders come from cron, but a stranger can sign an address up for many shifts, so
    # reminders to one mailbox are capped too (three shifts' two reminders a day).
    "REMINDERS_PER_ADDRESS": "6 per day",
    # What went to which address (hashed), for that limit; relative to the instance folder.
    # With REDIS_URL set the count is kept in Redis instead, shared by every host.
    "MAIL_COUNT_FILE": "mail-sent.json",
    # Where the processes of one host share the ledger of signups that could not be
    # confirmed and the locks that make copies of one form take turns (blank: the instance).
    "RUN_STATE_FOLDER": "",
    # Which reminders went out, so each goes once; relative to the instance folder.
    "REMINDERS_STATE_FILE": "reminders-sent.json",
    # Google Sheets calls that fail for a passing reason (quota, 5xx, timeouts) are tried at
    # most this many times in all, reads and idempotent writes only: appends are tried once.
    "SHEETS_RETRY_ATTEMPTS": retry.ATTEMPTS,
    # ... and no retry starts later than this many seconds after the first try, so a page
    # is answered (or explained) while the volunteer is still waiting for it.
    "SHEETS_RETRY_BUDGET": retry.BUDGET_SECONDS,
    # The first wait in seconds; each wait is random up to twice the last one's ceiling
    # (full jitter, so many workers do not retry in step), never more than
    # retry.LONGEST_WAIT_SECONDS (8 s).
    "SHEETS_RETRY_WAIT": retry.FIRST_WAIT_SECONDS,
    # Seconds one request to Google may take (to connect, and then between bytes).
    "SHEETS_TIMEOUT": retry.CALL_TIMEOUT_SECONDS,
    # Form POSTs allowed per client address (GETs are never limited); kept in Redis when
    # REDIS_URL is set, so every worker counts together, else in each process's memory.
    # Only posts that write count (a refused form is free), and one address may be a room of
    # volunteers on one event Wi-Fi: 30 people each signing up for a shift or two in a minute,
    # and for a few more within the hour (see docs/security.md, "Rate limits").
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_SIGNUP": "30 per minute;300 per hour",
    # Every signup try, refused or not: refusals confirm a contact is busy, so probing them
    # stays bounded, well above what a room correcting its typos sends.
    "RATELIMIT_SIGNUP_TRIES": "120 per minute;1000 per hour",
    "RATELIMIT_FINDINGS": "30 per minute;300 per hour",
    # Cancelling a weekly repeat is one POST per week.
    "RATELIMIT_CANCEL": "60 per minute;300 per hour",
    # Each try may send an email, so fewer.
    "RATELIMIT_LOST_LINK": "5 per hour",
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
    for name in ("WORKBOOK", "REVOKED_LINKS_FILE", "MAIL_COUNT_FILE"):
        app.config[name] = str(Path(app.instance_path) / str(app.config[name]))
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
    _install_emulator_hook(app)
    _require_secret_key(app, test_config)
    _check_site_url(app)


def _install_emulator_hook(app: Flask) -> None:
    """With SHEETS_EMULATOR_HOST set, send the Google backend's calls to that emulator.

    The Google backend knows nothing of the emulator: it calls SHEETS_SESSION_HOOK on each
    HTTP session it makes, and the emulator's client module supplies the hook that
    redirects one. Tests may set SHEETS_SESSION_HOOK themselves.
    """
    host = str(app.config.get("SHEETS_EMULATOR_HOST") or "")
    if host and not app.config.get("SHEETS_SESSION_HOOK"):
        from .emulator.client import session_hook

        app.config["SHEETS_SESSION_HOOK"] = session_hook(host)


class ConfigError(RuntimeError):
    """The settings cannot run the site; the message says what to set."""


def _require_secret_key(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Insist on a real SECRET_KEY in production; make one in debug and tests."""
    key = app.config.get("SECRET_KEY")
    if test_config and test_config.get("SECRET_KEY"):
        return  # tests pick their own keys, short ones included
    if app.debug or app.testing:
        if not key:
            app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
            # Said by commands whose effect depends on the key (`links revoke`).
            app.config["SECRET_KEY_IS_DEV_KEY"] = True
        return
    # A generated key would differ per host and vanish with the instance folder, silently
    # logging everyone out and breaking every manage link already sent.
    if not key:
        raise ConfigError("SECRET_KEY is not set, so the site will not start.\n" + SECRET_KEY_HELP)
    if len(str(key)) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            f"SECRET_KEY is too short ({len(str(key))} characters; at least "
            f"{MIN_SECRET_KEY_LENGTH}), so the site will not start.\n" + SECRET_KEY_HELP
        )


def _check_site_url(app: Flask) -> None:
    """SITE_URL must be an absolute http(s) address, and is required when mail is on.

    Links in mail must never follow the request's Host header, which anyone can set; with
    SITE_URL set, production requests for other hosts are refused with a 400.
    """
    url = str(app.config.get("SITE_URL") or "").strip()
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise ConfigError(
                f"SITE_URL must be the site's public address, such as "
                f"https://livechat.example.org (got {url!r}), so the site will not start."
            )
        app.config["SITE_URL"] = url.rstrip("/")
        if not app.debug:
            extra = app.config.get("TRUSTED_HOSTS_EXTRA") or []
            if isinstance(extra, str):
                extra = [h.strip() for h in extra.split(",") if h.strip()]
            app.config["TRUSTED_HOSTS"] = [parts.hostname, *extra]
    elif app.config.get("MAIL_SERVER"):
        raise ConfigError(
            "Mail is on (MAIL_SERVER is set) but SITE_URL is not, so the site will not start: "
            "links in mail must point at the site's real address, never at whatever Host a "
            "request names. Set SUMO_SITE_URL, e.g.\n"
            "  export SUMO_SITE_URL=https://livechat.example.org"
        )


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
    """How long pages may use a read of the sheet: SHEET_CACHE_SECONDS, else the backend's
    own ``default_cache_seconds`` (what a read costs there is the backend's to know)."""
    value = config.get("SHEET_CACHE_SECONDS")
    if value is None or value == "":
        return float(backend.default_cache_seconds)
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
