"""``RequestLocks``: copies of one form (same request key) take turns, across threads and
processes on the host, so a later copy finds the first copy's rows instead of adding its own.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from filelock import FileLock, Timeout

from ..storage import StorageError


class RequestLocks:
    """One lock per form key: copies of one form (a double click, a resend) take turns.

    ``hold(key)`` is a context manager held around a whole signup; it yields True when
    this key was used within ``recent`` (by any thread, or any process sharing ``folder``),
    so the caller reads the sheet again and finds what the earlier copy wrote.
    """

    def __init__(
        self,
        folder: str | os.PathLike | None = None,
        recent: timedelta = timedelta(minutes=10),
        timeout: float = 120.0,
    ) -> None:
        self.folder = Path(folder) if folder else None
        self.recent = recent.total_seconds()
        self.timeout = timeout
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}
        self._used: dict[str, float] = {}
        self._swept = 0.0

    @contextlib.contextmanager
    def hold(self, key: str) -> Iterator[bool]:
        """Take this key's turn; yields whether an earlier copy used the key lately."""
        if not key:
            yield False
            return
        name = hashlib.sha256(key.encode()).hexdigest()[:32]
        with self._guard:
            lock, users = self._locks.get(name, (threading.Lock(), 0))
            self._locks[name] = (lock, users + 1)
        try:
            if not lock.acquire(timeout=self.timeout):
                raise StorageError("This form is already being sent; please wait a moment.")
            try:
                with self._file_lock(name) as marker:
                    used = max(self._used.get(name, 0.0), self._marked(marker))
                    try:
                        yield time.time() - used < self.recent
                    finally:
                        self._used[name] = time.time()
                        if marker is not None:
                            marker.touch()
            finally:
                lock.release()
        finally:
            with self._guard:
                lock, users = self._locks[name]
                if users <= 1:
                    del self._locks[name]
                    self._used = {k: v for k, v in self._used.items() if self._fresh(v)}
                else:
                    self._locks[name] = (lock, users - 1)

    def _fresh(self, used: float) -> bool:
        return time.time() - used < self.recent

    @contextlib.contextmanager
    def _file_lock(self, name: str) -> Iterator[Path | None]:
        if self.folder is None:
            yield None
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self._sweep()
        try:
            with FileLock(str(self.folder / f"{name}.lock"), timeout=self.timeout):
                yield self.folder / f"{name}.used"
        except Timeout as error:
            raise StorageError("This form is already being sent; please wait a moment.") from error

    @staticmethod
    def _marked(marker: Path | None) -> float:
        try:
            return marker.stat().st_mtime if marker is not None else 0.0
        except OSError:
            return 0.0

    def _sweep(self) -> None:
        """Now and then, remove markers of keys not used for a day."""
        if self.folder is None or time.time() - self._swept < 3600:
            return
        self._swept = time.time()
        for marker in self.folder.glob("*.used"):
            with contextlib.suppress(OSError):
                if time.time() - marker.stat().st_mtime > 86400:
                    marker.unlink()
