"""The baseline: a Flask app that uses the sheet the way the gspread tutorials do.

Every page reads the whole Signups tab with ``get_all_records()``; every signup is one
``append_row``. No cache, no checks, no retries. Served by gunicorn like the site:

    gunicorn --workers 4 'bench.naive_app:create_app()'

with SUMO_SHEET_ID, GOOGLE_APPLICATION_CREDENTIALS and SHEETS_EMULATOR_HOST set.
"""

from __future__ import annotations

import html
import json
import os
import secrets
from datetime import UTC, datetime, timedelta

import gspread
from flask import Flask, jsonify, redirect, request

from sumo_sheets.emulator.testing import emulator_gspread_client

ROLES = {"helper": "Helper", "anchor": "Anchor", "advisor": "Advisor", "monitor": "Room monitor"}


def open_signups(sheet_id: str, key_file: str, emulator_host: str) -> gspread.Worksheet:
    """The Signups worksheet, opened once per process as the tutorials do at import time."""
    with open(key_file) as handle:
        info = json.load(handle)
    if emulator_host:
        client = emulator_gspread_client(emulator_host, info)
    else:
        client = gspread.service_account_from_dict(info)
    return client.open_by_key(sheet_id).worksheet("Signups")


def this_week(records: list[dict], today: datetime) -> list[dict]:
    """The records whose date falls in the current Monday-to-Sunday week."""
    monday = (today - timedelta(days=today.weekday())).date()
    days = {str(monday + timedelta(days=n)) for n in range(7)}
    return [r for r in records if str(r.get("Date")) in days]


def create_app() -> Flask:
    """The naive app for the sheet named by the environment."""
    app = Flask(__name__)
    signups = open_signups(
        os.environ["SUMO_SHEET_ID"],
        os.environ["GOOGLE_APPLICATION_CREDENTIALS"],
        os.environ.get("SHEETS_EMULATOR_HOST", ""),
    )

    @app.errorhandler(gspread.exceptions.APIError)
    def google_said_no(error: gspread.exceptions.APIError):
        """Google's status (429 when over quota) passed on to the client."""
        # Tutorials let this become a 500; passing it on lets the benchmark count throttling.
        return "Google Sheets error", error.code

    @app.get("/healthz")
    def healthz():
        """Up, without touching the sheet (for the benchmark's start-up wait)."""
        return "ok"

    @app.get("/")
    def week():
        """This week's signups as a list, read from the sheet on every request."""
        rows = this_week(signups.get_all_records(), datetime.now(UTC))
        items = "".join(
            "<li>{} {}–{} {}: {}</li>".format(
                *(html.escape(str(r.get(k, ""))) for k in ("Date", "Start (UTC)", "End (UTC)")),
                html.escape(str(r.get("Role", ""))),
                html.escape(str(r.get("Name", ""))),
            )
            for r in rows
        )
        return f"<!doctype html><title>Live Chat</title><h1>This week</h1><ul>{items}</ul>"

    @app.get("/api/week")
    def api_week():
        """The same rows as JSON."""
        return jsonify(signups=this_week(signups.get_all_records(), datetime.now(UTC)))

    @app.post("/signup")
    def signup():
        """Append the form as a row, unchecked, and go back to the week."""
        form = request.form
        start = datetime.strptime(form["start"], "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
        end = start + timedelta(hours=int(form.get("hours") or 1))
        signups.append_row(
            [
                secrets.token_hex(4).upper(),
                form["name"],
                form["contact"],
                ROLES.get(form["role"], form["role"]),
                start.strftime("%Y-%m-%d"),
                start.strftime("%H:%M"),
                end.strftime("%H:%M"),
                "confirmed",
                datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
            ]
        )
        return redirect("/", code=303)

    return app
