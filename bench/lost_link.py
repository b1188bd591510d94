"""How long `/my` (lost link) takes for a known and an unknown address, mail on.

Run: `.venv/bin/python -m bench.lost_link`. A real SMTP server (aiosmtpd) on loopback takes
the mail, slowed to 50 ms a message as a real one would be; requests alternate known and
unknown so machine noise falls on both alike. The same script runs on the code from before
mail went after the response (commit 780ed5c), for the figure to compare with.
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller

from sumo_sheets import create_app

ROUNDS = 60


class SlowInbox:
    """Accepts every message after 50 ms."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        await asyncio.sleep(0.05)
        self.count += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    inbox, port = SlowInbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    folder = Path(tempfile.mkdtemp())
    now = datetime(2026, 11, 25, 10, tzinfo=UTC)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-secret",
            "WORKBOOK": str(folder / "book.xlsx"),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "MAIL_PER_ADDRESS": "",
            "MAIL_COUNT_FILE": str(folder / "mail.json"),
            "REVOKED_LINKS_FILE": str(folder / "revoked.json"),
            "RUN_STATE_FOLDER": str(folder / "state"),
            "CLOCK": lambda: now,
            "SITE_URL": "http://localhost",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
        }
    )
    client = app.test_client()
    form = {"name": "Ann", "contact": "ann@example.org", "role": "helper", "hours": "1"}
    assert client.post("/signup", data={**form, "start": "2026-11-30T14:00Z"}).status_code == 303
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    for _ in range(ROUNDS):
        for kind, address in (("known", "ann@example.org"), ("unknown", "nobody@example.org")):
            started = time.perf_counter()
            client.post("/my", data={"email": address})
            timings[kind].append((time.perf_counter() - started) * 1000)
    outbox = app.extensions.get("sumo_outbox")  # absent before mail went after the response
    if outbox is not None:
        outbox.drain(60)
    controller.stop()
    known, unknown = (statistics.median(timings[k]) for k in ("known", "unknown"))
    print(
        f"/my median over {ROUNDS} each: known {known:.1f} ms, unknown {unknown:.1f} ms, "
        f"ratio {known / unknown:.2f}; mails delivered after the responses: {inbox.count}"
    )


if __name__ == "__main__":
    main()
