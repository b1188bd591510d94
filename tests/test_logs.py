"""What operators see: one line per request with timing, and never a contact or a token."""

from __future__ import annotations

import logging

from sumo_sheets.logs import loggable_path

from . import support
from .support import contact_token

FORM = {**support.FORM, "contact": "ann.secret@example.org"}


def test_every_request_is_one_line_with_its_path_status_and_time(client, caplog):
    caplog.set_level(logging.INFO, logger="sumo_sheets.requests")
    client.get("/?week=2026-W49")
    (line,) = [r.getMessage() for r in caplog.records if r.name == "sumo_sheets.requests"]
    assert line.startswith('method=GET path="/" status=200 ms=')


def test_personal_links_are_logged_without_their_token(client, caplog):
    caplog.set_level(logging.INFO, logger="sumo_sheets.requests")
    token = contact_token("ann.secret@example.org")
    client.get(f"/my/{token}")
    client.get(f"/my/{token}.ics")
    lines = " ".join(r.getMessage() for r in caplog.records)
    assert token not in lines
    assert 'path="/my/<token>"' in lines and 'path="/my/<token>.ics"' not in lines
    assert loggable_path(f"/my/{token}/cancel/ABC") == "/my/<token>/cancel/ABC"


def test_no_page_api_feed_or_log_line_shows_a_contact(client, caplog):
    caplog.set_level(logging.DEBUG)
    for n in range(6):
        client.post(
            "/signup",
            data={**FORM, "name": f"Vol {n}", "contact": f"secret{n}@example.org"},
        )
    client.post("/signup", data={**FORM, "role": "anchor", "contact": "irc_secret_nick"})
    client.post(
        "/findings",
        data={
            "name": "Mo",
            "contact": "mo.secret@example.org",
            "when": "2026-11-25T09:30",
            "seen": "Bookmarks questions.",
        },
    )
    bodies = []
    for path in (
        "/",
        "/?week=2026-W49",
        "/api/week?week=2026-W49",
        "/signup",
        "/roles",
        "/needed",
        "/findings",
        "/hours?week=2026-W49",
        "/hours?month=2026-11",
        "/schedule.ics",
        "/healthz",
        "/my",
    ):
        # The form is pre-filled with this browser's own last name and contact (for "another
        # slot"), so it is fetched as anyone else would see it.
        asker = client.application.test_client() if path == "/signup" else client
        response = asker.get(path)
        assert response.status_code == 200, path
        bodies.append(response.get_data(as_text=True))
    text = " ".join(bodies) + " ".join(r.getMessage() for r in caplog.records)
    for contact in ("secret0@", "secret5@", "irc_secret_nick", "mo.secret@", "ann.secret@"):
        assert contact not in text
