"""Knobs tests turn: request counters, added latency, injected faults, per-minute quotas."""

from __future__ import annotations

import random
import threading
import time
import zlib
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError

TOKEN_METHOD = "oauth2.token"
READ_METHODS = frozenset(
    {
        "spreadsheets.get",
        "spreadsheets.developerMetadata.get",
        "spreadsheets.values.get",
        "spreadsheets.values.batchGet",
    }
)
WRITE_METHODS = frozenset(
    {
        "spreadsheets.create",
        "spreadsheets.batchUpdate",
        "spreadsheets.values.update",
        "spreadsheets.values.batchUpdate",
        "spreadsheets.values.append",
        "spreadsheets.values.clear",
        "spreadsheets.values.batchClear",
    }
)
# Google's published Sheets API limits per minute.
DEFAULT_QUOTAS = {
    "read_per_minute": 300,
    "write_per_minute": 300,
    "per_user_read_per_minute": 60,
    "per_user_write_per_minute": 60,
}
WINDOW_SECONDS = 60.0


@dataclass
class Fault:
    """The next `count` matching requests fail with `status`, or are applied then dropped."""

    count: int = 1
    status: int | None = None
    drop_after_apply: bool = False
    method: str | None = None  # None: any Sheets or Drive method (not the token endpoint)

    def matches(self, method: str) -> bool:
        if self.method is None:
            return method != TOKEN_METHOD
        return self.method == method

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "status": self.status,
            "drop_after_apply": self.drop_after_apply,
            "method": self.method,
        }


@dataclass
class Quotas:
    """Per-minute request limits, checked over a sliding minute."""

    enabled: bool = False
    limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_QUOTAS))
    windows: dict[tuple[str, str], deque[float]] = field(default_factory=dict)


def _project(email: str) -> str:
    """A service account's project: the first label of its email's domain."""
    return email.split("@", 1)[-1].split(".", 1)[0].lower()


def _project_number(email: str) -> str:
    """A stable stand-in for the consumer project number Google names in quota errors."""
    return str(100000000000 + zlib.crc32(_project(email).encode()) % 900000000000)


class Runtime:
    """Thread-safe counters and control settings shared by all requests."""

    def __init__(self, latency_ms: float = 0, jitter_ms: float = 0, quotas: bool = False):
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.latency_ms = float(latency_ms)
        self.jitter_ms = float(jitter_ms)
        self.faults: list[Fault] = []
        self.quotas = Quotas(enabled=quotas)
        self._random = random.Random()

    # -- counters ------------------------------------------------------------------------

    def count(self, method: str) -> None:
        with self._lock:
            self.counts[method] += 1
            self.counts["total"] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self.counts.items()))

    def reset(self) -> None:
        """Clear counters, pending faults and quota usage (settings stay)."""
        with self._lock:
            self.counts.clear()
            self.faults.clear()
            self.quotas.windows.clear()

    # -- latency -------------------------------------------------------------------------

    def set_latency(self, ms: float, jitter_ms: float = 0) -> None:
        with self._lock:
            self.latency_ms = max(0.0, float(ms))
            self.jitter_ms = max(0.0, float(jitter_ms))

    def delay(self) -> None:
        """Sleep for the configured latency (outside any lock, so requests overlap)."""
        with self._lock:
            seconds = (self.latency_ms + self._random.uniform(0, self.jitter_ms)) / 1000
        if seconds > 0:
            time.sleep(seconds)

    # -- faults --------------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def pending_faults(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_json() for f in self.faults]

    def take_fault(self, method: str) -> Fault | None:
        """Use up one occurrence of the first pending fault that applies to this method."""
        with self._lock:
            for fault in self.faults:
                if fault.matches(method):
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    # -- quotas --------------------------------------------------------------------------

    def configure_quotas(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Set every limit (unnamed ones take Google's defaults) and switch quotas on or off."""
        with self._lock:
            self.quotas.limits = {
                key: int(settings.get(key, default)) for key, default in DEFAULT_QUOTAS.items()
            }
            self.quotas.enabled = bool(settings.get("enabled", True))
            self.quotas.windows.clear()
            return self.quota_settings_locked()

    def quota_settings(self) -> dict[str, Any]:
        with self._lock:
            return self.quota_settings_locked()

    def quota_settings_locked(self) -> dict[str, Any]:
        return {"enabled": self.quotas.enabled, **self.quotas.limits}

    def check_quota(self, method: str, email: str) -> None:
        """Count a Sheets request against its per-minute limits, or answer Google's 429."""
        if method in READ_METHODS:
            kind, metric = "read", "Read requests"
        elif method in WRITE_METHODS:
            kind, metric = "write", "Write requests"
        else:
            return
        now = time.monotonic()
        with self._lock:
            if not self.quotas.enabled:
                return
            checks = [
                (
                    (kind, "project:" + _project(email)),
                    self.quotas.limits[f"{kind}_per_minute"],
                    f"{metric} per minute",
                ),
                (
                    (kind, email.lower()),
                    self.quotas.limits[f"per_user_{kind}_per_minute"],
                    f"{metric} per minute per user",
                ),
            ]
            for key, limit, limit_name in checks:
                window = self.quotas.windows.setdefault(key, deque())
                while window and now - window[0] >= WINDOW_SECONDS:
                    window.popleft()
                if len(window) >= limit:
                    raise _quota_error(metric, limit_name, limit, kind, email)
            for key, _, _ in checks:
                self.quotas.windows[key].append(now)


def _quota_error(metric: str, limit_name: str, limit: int, kind: str, email: str) -> ApiError:
    number = _project_number(email)
    return ApiError(
        429,
        f"Quota exceeded for quota metric '{metric}' and limit '{limit_name}' of service "
        f"'sheets.googleapis.com' for consumer 'project_number:{number}'.",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "RATE_LIMIT_EXCEEDED",
                "domain": "googleapis.com",
                "metadata": {
                    "quota_metric": f"sheets.googleapis.com/{kind}_requests",
                    "quota_limit": limit_name.title().replace(" ", ""),
                    "quota_limit_value": str(limit),
                    "consumer": f"projects/{number}",
                    "service": "sheets.googleapis.com",
                    "quota_location": "global",
                },
            }
        ],
    )
