"""The processes a benchmark runs: the emulator, gunicorn (site or naive app), Redis.

Each is a subprocess on a loopback port, so the load generator's threads do not share a
Python interpreter (and its lock) with what they measure.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from sumo_sheets import sheet_format as fmt
from tests.reliability import COORDINATOR_EMAIL, PROJECT, SITE_EMAIL, free_port

log = logging.getLogger(__name__)

SITE_APP = "app:app"
NAIVE_APP = "bench.naive_app:create_app()"


def _wait_until(ready, process: subprocess.Popen, what: str, log_path: Path, seconds=30) -> None:
    """Poll ``ready()`` until it is true; stop and explain if the process died or it took long."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if ready():
                return
        except Exception:  # noqa: BLE001 - not listening yet, whatever the client raises
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            raise RuntimeError(f"{what} did not start: {log_path.read_text()[-2000:]}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen) -> None:
    """Stop a process group this module started: TERM, then KILL if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


class Emulator:
    """The Sheets API emulator in its own process, with Google's latency and quotas."""

    def __init__(self, folder: Path, latency_ms: int, quotas: bool = True) -> None:
        self.port = free_port()
        self.host_port = f"127.0.0.1:{self.port}"
        self.control = f"http://{self.host_port}/_emulator"
        self.latency_ms = latency_ms
        self.log_path = folder / "emulator.log"
        command = [sys.executable, "-m", "sumo_sheets.emulator", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--latency-ms", str(latency_ms)]
        command += ["--log-level", "WARNING"] + (["--quotas"] if quotas else [])
        self.process = subprocess.Popen(
            command,
            cwd=PROJECT,
            stdout=subprocess.DEVNULL,
            stderr=self.log_path.open("w"),
            start_new_session=True,
        )
        self.http = requests.Session()
        _wait_until(
            lambda: self.http.get(self.control + "/", timeout=2).ok,
            self.process,
            "the emulator",
            self.log_path,
        )

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        reply = self.http.post(self.control + path, json=body, timeout=30)
        reply.raise_for_status()
        return reply.json()

    def reset(self) -> None:
        """Zero the call counters and forget quota usage (latency and quota settings stay)."""
        self._post("/reset", {})

    def quotas(self, enabled: bool) -> None:
        """Google's default per-minute quotas on, or none."""
        self._post("/quotas", {} if enabled else {"enabled": False})

    def counts(self) -> dict[str, int]:
        """API calls so far, by Google's method name."""
        return self.http.get(self.control + "/requests", timeout=10).json()

    def create_sheet(self, signup_grid: list[list[str]]) -> str:
        """A spreadsheet in the site's format, owned by a coordinator and shared with the site."""
        tabs = [
            (fmt.SIGNUPS, signup_grid),
            (fmt.SCHEDULE, [list(fmt.SCHEDULE_HEADERS), *map(list, fmt.DEFAULT_SCHEDULE)]),
            (fmt.SETTINGS, [list(fmt.SETTINGS_HEADERS), *map(list, fmt.DEFAULT_SETTINGS)]),
            (fmt.FINDINGS, [list(fmt.FINDING_HEADERS)]),
        ]
        body = {
            "owner": COORDINATOR_EMAIL,
            "title": "SUMO Live Chat benchmark",
            "writers": [SITE_EMAIL],
            "sheets": [
                {"title": title, "frozenRowCount": 1, "values": grid} for title, grid in tabs
            ],
        }
        return self._post("/spreadsheets", body)["id"]

    def stop(self) -> None:
        """Stop the emulator process."""
        _stop(self.process)


class Gunicorn:
    """An app under gunicorn on a loopback port: ``workers`` processes, ``threads`` each."""

    def __init__(
        self, app: str, env: dict[str, str], workers: int, threads: int, folder: Path
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / f"gunicorn-{self.port}.log"
        command = [sys.executable, "-m", "gunicorn", "--workers", str(workers)]
        # One thread means gunicorn's sync worker, as the tutorials' `gunicorn -w 4 app:app`.
        command += ["--threads", str(threads)] if threads > 1 else []
        command += ["--bind", f"127.0.0.1:{self.port}", "--timeout", "60"]
        command += ["--log-level", "warning", app]
        self.process = subprocess.Popen(
            command,
            cwd=PROJECT,
            # Every simulated volunteer posts from 127.0.0.1, far over the per-address limits.
            env={**os.environ, "SUMO_RATELIMIT_ENABLED": "false", **env},
            stdout=subprocess.DEVNULL,
            stderr=self.log_path.open("w"),
            start_new_session=True,
        )
        _wait_until(
            lambda: requests.get(self.url + "/healthz", timeout=30).status_code == 200,
            self.process,
            f"gunicorn {app}",
            self.log_path,
            seconds=60,
        )

    def log_text(self) -> str:
        """What gunicorn and the app wrote to stderr."""
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Stop gunicorn and its workers."""
        _stop(self.process)


def redis_server_path() -> str | None:
    """Where redis-server is installed, if it is."""
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )


class Redis:
    """A throwaway redis-server on a loopback port: no persistence, nothing kept."""

    def __init__(self, executable: str, folder: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_path = folder / "redis.log"
        command = [executable, "--bind", "127.0.0.1", "--port", str(self.port)]
        command += ["--save", "", "--appendonly", "no", "--dir", str(folder)]
        self.process = subprocess.Popen(
            command,
            stdout=self.log_path.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        import redis

        self.client = redis.Redis.from_url(self.url)
        _wait_until(self.client.ping, self.process, "redis-server", self.log_path)

    def stats(self) -> dict[str, int]:
        """Keys held and cache hits/misses Redis counted, to show the site really used it."""
        info = self.client.info("stats")
        return {
            "keys": int(self.client.dbsize()),
            "hits": int(info.get("keyspace_hits", 0)),
            "misses": int(info.get("keyspace_misses", 0)),
        }

    def stop(self) -> None:
        """Stop redis-server."""
        self.client.close()
        _stop(self.process)
