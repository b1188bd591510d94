"""One log line per request, with timing, and never a contact or a personal link."""

from __future__ import annotations

import logging
import re
import time

from flask import Flask, g, request

log = logging.getLogger("sumo_sheets.requests")

# Personal manage links carry a signed token: it is as good as a password, so it is hidden.
_TOKEN_PATH = re.compile(r"^/my/[^/]+")


def loggable_path(path: str) -> str:
    """The request path with any personal link's token replaced."""
    return _TOKEN_PATH.sub("/my/<token>", path)


def configure_logging(level: str = "INFO") -> None:
    """Plain key=value lines on stderr, the way gunicorn and container platforms collect them."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            level=level.upper(),
            format="%(asctime)s level=%(levelname)s logger=%(name)s %(message)s",
        )


def install_request_log(app: Flask) -> None:
    """Log method, path (tokens hidden), status, duration and how fresh the sheet copy was."""

    @app.before_request
    def start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        started = g.get("request_started")
        if started is None or request.path.startswith("/static/"):
            return response
        elapsed_ms = (time.perf_counter() - started) * 1000
        reader = app.extensions.get("sumo_reader")
        stale = reader.last_good() if reader and reader.last_error else None
        log.info(
            'method=%s path="%s" status=%s ms=%.1f%s',
            request.method,
            loggable_path(request.path),
            response.status_code,
            elapsed_ms,
            f" sheet=stale since={stale.stale_since:%H:%M}" if stale else "",
        )
        return response
