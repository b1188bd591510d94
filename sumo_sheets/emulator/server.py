"""Run the emulator on a werkzeug server in a background thread, for tests and benchmarks."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import EXTENSION_KEY, Emulator, create_emulator_app

log = logging.getLogger(__name__)


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler with one debug log line per request instead of an info line."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug('"%s" %s %s', self.requestline, code, size)


def make_emulator_server(host: str, port: int, app: Flask) -> BaseWSGIServer:
    """A threaded werkzeug server for the app, bound (port 0 picks a free port)."""
    return make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)


class EmulatorServer:
    """The emulator serving on host:port from a daemon thread; starts when constructed."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        state_file: str | os.PathLike | None = None,
        latency_ms: float = 0,
        jitter_ms: float = 0,
        quotas: bool = False,
        app: Flask | None = None,
    ) -> None:
        self.app = app or create_emulator_app(
            state_file=state_file, latency_ms=latency_ms, jitter_ms=jitter_ms, quotas=quotas
        )
        self.host = host
        self._server: BaseWSGIServer | None = make_emulator_server(host, port, self.app)
        self.port: int = self._server.port
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sheets-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        log.info("Sheets API emulator serving on %s", self.url)

    @property
    def host_port(self) -> str:
        """ "host:port", the form SHEETS_EMULATOR_HOST takes."""
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:54321."""
        return f"http://{self.host_port}"

    @property
    def emulator(self) -> Emulator:
        """The served Emulator, for tests that look at its state directly."""
        return self.app.extensions[EXTENSION_KEY]

    def stop(self) -> None:
        """Stop serving and release the port (safe to call twice)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        self._thread.join(timeout=5)
        log.info("Sheets API emulator on %s stopped", self.url)

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
