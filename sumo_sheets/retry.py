"""Bounded retries for calls that fail for a passing reason, and the one home of their defaults.

The SHEETS_RETRY_* and SHEETS_TIMEOUT settings default to the values here (config.DEFAULTS
and the Google backend read them from this module). Imports neither Flask nor gspread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from .storage import StorageError

# Tries in all (the first one included): SHEETS_RETRY_ATTEMPTS.
ATTEMPTS = 6
# No retry starts later than this after the first try: SHEETS_RETRY_BUDGET.
BUDGET_SECONDS = 20.0
# The first wait; each later one is random up to twice the last one's ceiling:
# SHEETS_RETRY_WAIT.
FIRST_WAIT_SECONDS = 0.5
# No wait is longer than this.
LONGEST_WAIT_SECONDS = 8.0
# How long one request to a remote sheet may take (to connect, then between bytes) before
# it fails as a passing failure: SHEETS_TIMEOUT.
CALL_TIMEOUT_SECONDS = 15.0


def is_transient(error: BaseException) -> bool:
    """A storage error that trying again later may cure (busy, timed out, unreachable, 5xx)."""
    return isinstance(error, StorageError) and error.transient


def setting(config: Mapping[str, Any], name: str, kind: type, default: float) -> Any:
    """A number setting; environment values arrive JSON-parsed, config.py ones as typed."""
    value = config.get(name)
    if value is None or value == "":
        return default
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {value!r}") from None


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try again: bounded in tries and in time, waits growing with full jitter."""

    attempts: int = ATTEMPTS
    budget_seconds: float = BUDGET_SECONDS
    first_wait_seconds: float = FIRST_WAIT_SECONDS
    longest_wait_seconds: float = LONGEST_WAIT_SECONDS

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RetryPolicy:
        """Read SHEETS_RETRY_ATTEMPTS, SHEETS_RETRY_BUDGET and SHEETS_RETRY_WAIT."""
        return cls(
            attempts=max(1, setting(config, "SHEETS_RETRY_ATTEMPTS", int, ATTEMPTS)),
            budget_seconds=setting(config, "SHEETS_RETRY_BUDGET", float, BUDGET_SECONDS),
            first_wait_seconds=setting(config, "SHEETS_RETRY_WAIT", float, FIRST_WAIT_SECONDS),
        )

    def retrying(
        self,
        before_sleep: Callable[[RetryCallState], None] | None = None,
        retry_error_callback: Callable[[RetryCallState], Any] | None = None,
    ) -> Retrying:
        """A tenacity loop that retries transient storage errors only, within the bounds.

        No new try starts once the budget is spent, so a page is answered (or explained)
        while the volunteer is still waiting for it.
        """
        return Retrying(
            stop=stop_after_attempt(self.attempts) | stop_before_delay(self.budget_seconds),
            wait=wait_random_exponential(
                multiplier=self.first_wait_seconds, max=self.longest_wait_seconds
            ),
            retry=retry_if_exception(is_transient),
            before_sleep=before_sleep,
            retry_error_callback=retry_error_callback,
            reraise=retry_error_callback is None,
        )
