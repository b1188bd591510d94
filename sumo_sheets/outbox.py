"""Volunteer mail sent after the response, and a cap on mail to any one address.

Pages never wait for the mail server: they hand a job to the outbox and answer at once,
so a page takes the same time whether or not it sends anything (the lost-link form must
not tell a stranger, by its speed, which addresses have signed up). One worker thread per
process sends the jobs in order.

The cap (MAIL_PER_ADDRESS, "3 per hour;10 per day") stops a stranger who types someone's
address from having the project's sender mail them again and again. It is counted per
address (hashed: no addresses are stored) in Redis when REDIS_URL is set, so every host
counts together, else in a small file in the instance folder shared by the processes of
one host.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from filelock import FileLock
from limits import RateLimitItem, parse_many

from .contacts import is_email, mailbox_key

log = logging.getLogger(__name__)


class MailCounter(Protocol):
    """Counts mail per address key against the limits; True when one more may go."""

    def allow(self, key: str) -> bool:
        """Count one mail for ``key`` if it is within every limit, and say whether it was."""
        ...


class FileMailCounter:
    """A moving window per key, kept in a JSON file under a file lock (one host's processes)."""

    def __init__(self, path: str | os.PathLike[str], limits: list[RateLimitItem]) -> None:
        self.path = Path(path)
        self.limits = limits
        self._lock = FileLock(str(self.path) + ".lock", timeout=10)
        self._longest = max((item.get_expiry() for item in limits), default=0)

    def allow(self, key: str) -> bool:
        now = time.time()
        with self._lock:
            sent = self._load()
            times = [t for t in sent.get(key, []) if now - t < self._longest]
            for item in self.limits:
                if sum(1 for t in times if now - t < item.get_expiry()) >= item.amount:
                    return False
            sent = {k: v for k, v in sent.items() if v and now - max(v) < self._longest}
            sent[key] = [*times, now]
            self._save(sent)
            return True

    def _load(self) -> dict[str, list[float]]:
        try:
            return json.loads(self.path.read_text() or "{}")
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.warning("mail count file %s unreadable; starting it again", self.path.name)
            return {}

    def _save(self, sent: dict[str, list[float]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".mail-sent-")
        with os.fdopen(handle, "w") as file:
            json.dump(sent, file)
        os.replace(temporary, self.path)


class RedisMailCounter:
    """The same moving windows, in Redis through the `limits` library, shared by every host."""

    def __init__(self, url: str, limits: list[RateLimitItem], namespace: str = "sumo-mail") -> None:
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        self.limits = limits
        self.namespace = namespace
        self._limiter = MovingWindowRateLimiter(storage_from_string(url))

    def allow(self, key: str) -> bool:
        if not all(self._limiter.test(item, self.namespace, key) for item in self.limits):
            return False
        for item in self.limits:
            self._limiter.hit(item, self.namespace, key)
        return True


def mail_counter(config: Mapping[str, Any], setting: str, kind: str) -> MailCounter | None:
    """The counter for the limits in ``setting``, or None when it is empty (no cap).

    Each ``kind`` of mail is counted apart (its own Redis keys, its own file beside
    MAIL_COUNT_FILE).
    """
    text = str(config.get(setting) or "").strip()
    limits = parse_many(text) if text else []
    if not limits:
        return None
    if config.get("REDIS_URL"):
        return RedisMailCounter(str(config["REDIS_URL"]), limits, namespace=f"sumo-mail-{kind}")
    path = Path(str(config["MAIL_COUNT_FILE"]))
    if kind != "pages":
        path = path.with_name(f"{path.stem}-{kind}{path.suffix}")
    return FileMailCounter(path, limits)


class Outbox:
    """Runs mail jobs on a background thread, one after another, after the response."""

    def __init__(self, counter: MailCounter | None, address_key: Callable[[str], str]) -> None:
        self.counter = counter
        self._address_key = address_key
        self._queue: queue.Queue[Callable[[], object]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        atexit.register(self.drain, 10)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], address_key: Callable[[str], str]) -> Outbox:
        """The outbox for a site's settings (MAIL_PER_ADDRESS, REDIS_URL, MAIL_COUNT_FILE)."""
        return cls(mail_counter(config, "MAIL_PER_ADDRESS", "pages"), address_key)

    def submit(self, job: Callable[[], object]) -> None:
        """Run ``job`` after the response, on the outbox's thread."""
        self._ensure_worker()
        self._queue.put(job)

    def mail(self, address: str, send: Callable[[], object], what: str) -> None:
        """Send one mail to ``address`` after the response, if it is an email address and
        within the cap for that address."""
        self.submit(lambda: self.send_now(address, send, what))

    def send_now(self, address: str, send: Callable[[], object], what: str) -> bool:
        """Send at once (on the outbox thread), within the cap; False if not sent."""
        if not is_email(address):
            return False
        if self.counter is not None and not self._allowed(address):
            log.warning("%s: not sent, this address had its share of mail for now", what)
            return False
        return bool(send())

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every job handed in so far has run; False if that took too long."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._queue.all_tasks_done.wait(left)
        return True

    def _allowed(self, address: str) -> bool:
        try:
            # Counted per mailbox: victim+1@ and victim+2@ land in one inbox.
            key = self._address_key(mailbox_key(address))
            return self.counter.allow(key)  # type: ignore[union-attr]
        except Exception:
            # The count cannot be kept (Redis down, disk full): better no mail than a flood.
            log.exception("mail count unavailable; not sending")
            return False

    def _ensure_worker(self) -> None:
        # Started on first use, in the process that sends (gunicorn forks after import).
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="sumo-outbox", daemon=True)
                self._thread.start()

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                job()
            except Exception:
                log.exception("a mail job failed")
            finally:
                self._queue.task_done()
