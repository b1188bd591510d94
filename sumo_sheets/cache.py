"""A shared cache of the sheet's tabs for several processes or hosts, in Redis.

Optional (``SUMO_REDIS_URL``): without it each process caches on its own. Redis being down
never breaks a page: every call here fails soft, and the reader then reads the sheet itself.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class SharedCache:
    """Tab grids under one key, with a short lock so one process reads for all."""

    def __init__(self, url: str, namespace: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._key = f"sumo:sheet:{namespace}"
        self._errors = (redis.RedisError, OSError)

    def get(self) -> tuple[dict[str, Any], float] | None:
        """The cached grids and when they were read (epoch seconds), or None."""
        try:
            raw = self._redis.get(self._key)
        except self._errors as error:
            log.warning("shared cache unavailable: %s", error)
            return None
        if raw is None:
            return None
        entry = json.loads(raw)
        return entry["grids"], entry["read_at"]

    def put(self, grids: dict[str, Any], read_at: float, ttl_seconds: float) -> None:
        """Keep the grids for everyone for ``ttl_seconds``."""
        value = json.dumps({"grids": grids, "read_at": read_at})
        try:
            self._redis.set(self._key, value, px=max(1, int(ttl_seconds * 1000)))
        except self._errors as error:
            log.warning("shared cache unavailable: %s", error)

    def drop(self) -> None:
        """Forget the grids (after this site wrote to the sheet)."""
        try:
            self._redis.delete(self._key)
        except self._errors as error:
            log.warning("shared cache unavailable: %s", error)

    def try_lock(self, seconds: float) -> str | None:
        """Become the one process that reads the sheet now; a token to unlock, or None."""
        token = secrets.token_hex(8)
        try:
            taken = self._redis.set(self._key + ":lock", token, nx=True, px=int(seconds * 1000))
        except self._errors as error:
            log.warning("shared cache unavailable: %s", error)
            return token  # no lock to be had: read for ourselves
        return token if taken else None

    def unlock(self, token: str) -> None:
        """Release the read lock if it is still ours."""
        try:
            if self._redis.get(self._key + ":lock") == token.encode():
                self._redis.delete(self._key + ":lock")
        except self._errors as error:
            log.warning("shared cache unavailable: %s", error)

    def wait_for_entry(self, newer_than: float, seconds: float) -> tuple[dict, float] | None:
        """Wait briefly for another process's read to land, polling."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            entry = self.get()
            if entry is not None and entry[1] >= newer_than:
                return entry
            time.sleep(0.02)
        return None


class LastGoodFile:
    """The last good read of the sheet, in a file every process of the site can see.

    A process that has never read the sheet (just started, or recycled) can then show the
    same last good copy as the others while the sheet cannot be read, so that pages and
    /healthz agree whichever process answers. It holds what the sheet holds (contacts
    included), so it is written only for its owner (mode 600), beside the workbook.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def get(self) -> tuple[dict[str, Any], float] | None:
        """The grids and when they were read (epoch seconds), or None if there are none."""
        try:
            entry = json.loads(self.path.read_text(encoding="utf-8"))
            return entry["grids"], float(entry["read_at"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            if not isinstance(error, FileNotFoundError):
                log.warning("last good copy %s unreadable: %r", self.path, error)
            return None

    def put(self, grids: dict[str, Any], read_at: float) -> None:
        """Keep these grids, unless a later read is kept already; never fails a page."""
        current = self.get()
        if current is not None and current[1] > read_at:
            return
        payload = json.dumps({"grids": grids, "read_at": read_at}, ensure_ascii=False)
        try:
            handle, temporary = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
            )
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:  # mkstemp: mode 600
                    out.write(payload)
                os.replace(temporary, self.path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            log.warning("could not keep the last good copy in %s: %r", self.path, error)
