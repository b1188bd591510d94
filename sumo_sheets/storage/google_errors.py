"""What can go wrong talking to Google, as a StorageError a person can act on, and the logs
of the retries that follow a passing failure.

An error is ``transient`` for 429, 500, 502, 503, 504, timeouts and connection errors, and
``maybe_applied`` when the request may have reached Google: a 5xx (it may have applied the
request before failing), a read timeout, or a connection dropped after sending. A 429, a
refused connection or a connect timeout mean it never arrived.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import gspread
import requests
import urllib3.exceptions
from google.auth.exceptions import RefreshError, TransportError
from tenacity import RetryCallState

from . import StorageError

T = TypeVar("T")

# Logged under the backend's name, where people look for it.
log = logging.getLogger("sumo_sheets.storage.gsheets")

# Answers that say "not now" rather than "no": worth asking again after a wait.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
UNREACHABLE = "Google Sheets cannot be reached right now; please try again shortly."


class StaleTab(StorageError):
    """A range named a tab that no longer exists under that title."""


@contextmanager
def explained(key: str, email: str) -> Iterator[None]:
    """Turn what goes wrong in the API calls inside into a StorageError that says what to do.

    ``key`` is the sheet's key and ``email`` the service account's, for the messages.
    """
    try:
        yield
    except gspread.exceptions.APIError as error:
        raise explain(error, key, email) from error
    except RefreshError as error:
        if getattr(error, "retryable", False):
            # The token endpoint was busy; the API call itself was never sent.
            raise StorageError(UNREACHABLE, detail=repr(error), transient=True) from error
        raise StorageError(
            "Google refused the service account's key (it may have been deleted or "
            "disabled); create a new key in the Google Cloud console.",
            detail=repr(error),
        ) from error
    except TransportError as error:
        # google-auth could not fetch a token, so the API call was never sent.
        raise StorageError(UNREACHABLE, detail=repr(error), transient=True) from error
    except requests.RequestException as error:
        raise network_error(error) from error


def explain(error: gspread.exceptions.APIError, key: str, email: str) -> StorageError:
    """An API error answer as a StorageError."""
    code = status_code(error)
    status = error.error.get("status", "")
    message = str(error.error.get("message", ""))
    detail = f"{code} {status}: {message}"
    if code == 400 and "Unable to parse range" in message:
        return StaleTab("A tab of the Google Sheet was renamed or removed.", detail=detail)
    if code == 429:
        # Refused before it was applied.
        return StorageError(
            "Google Sheets is busy (the request quota is used up); try again in a minute.",
            detail=detail,
            transient=True,
        )
    if code >= 500:
        # Google may have applied the request before failing to answer it.
        return StorageError(
            "Google Sheets is having trouble right now; please try again shortly.",
            detail=detail,
            transient=code in RETRY_STATUSES,
            maybe_applied=True,
        )
    return StorageError(_refusal(code, message, detail, key, email), detail=detail)


def _refusal(code: int, message: str, detail: str, key: str, email: str) -> str:
    """What to do about a request Google refused for good."""
    if code == 403 and (
        "SERVICE_DISABLED" in detail or "has not been used" in message or "is disabled" in message
    ):
        return (
            "The Google Sheets API is not enabled for the service account's project; enable "
            "it in the Google Cloud console (APIs & Services → Library → Google Sheets API)."
        )
    if code == 403:
        who = email or "the service account's email (client_email in the key file)"
        return f"The Google Sheet is not shared with the site: share it as Editor with {who}."
    if code == 404:
        return (
            f"No Google Sheet has the ID {key!r}; check SUMO_SHEET_ID "
            "(the long key in the sheet's URL)."
        )
    if code == 401:
        return "Google did not accept the service account's credentials; check the key file."
    return "Google Sheets refused the request."


def status_code(error: gspread.exceptions.APIError) -> int:
    """The HTTP status; gspread says -1 when the body was not Google's JSON (a proxy's page)."""
    if isinstance(error.code, int) and error.code > 0:
        return error.code
    return int(getattr(error.response, "status_code", 0) or 0)


def network_error(error: requests.RequestException) -> StorageError:
    """A failure below HTTP: transient when the network failed, applied unless never sent."""
    if isinstance(
        error,
        (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError),
    ):
        return StorageError(
            UNREACHABLE, detail=repr(error), transient=True, maybe_applied=not never_sent(error)
        )
    return StorageError(UNREACHABLE, detail=repr(error))


def never_sent(error: BaseException) -> bool:
    """True when the connection was never made (refused, unresolved, connect timeout)."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    seen: set[int] = set()
    stack: list[object] = [error]
    while stack:
        current = stack.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        # NewConnectionError (refused, no such host) is a ConnectTimeoutError in urllib3.
        if isinstance(current, (urllib3.exceptions.ConnectTimeoutError, ConnectionRefusedError)):
            return True
        stack.extend(
            [
                *current.args,
                getattr(current, "reason", None),
                current.__cause__,
                current.__context__,
            ]
        )
    return False


def _why(error: BaseException | None) -> str:
    """The HTTP status or network failure behind an error, for logs (no messages, no keys)."""
    cause = getattr(error, "__cause__", None)
    if isinstance(cause, gspread.exceptions.APIError):
        return str(status_code(cause))
    return type(cause or error).__name__


def log_retry(name: str, state: RetryCallState) -> None:
    """Log a try of ``name`` that failed for a passing reason and will be made again."""
    error = state.outcome.exception() if state.outcome else None
    log.warning(
        "Google Sheets %s failed (%s), attempt %d; retrying in %.2f s",
        name,
        _why(error),
        state.attempt_number,
        state.next_action.sleep if state.next_action else 0.0,
    )


def give_up(name: str, state: RetryCallState):
    """Out of attempts or time: raise the last error, saying how long it was tried."""
    error = state.outcome.exception() if state.outcome else None
    assert isinstance(error, StorageError)
    elapsed = state.seconds_since_start or 0.0
    log.warning(
        "Google Sheets %s failed (%s); giving up after %d attempts in %.1f s",
        name,
        _why(error),
        state.attempt_number,
        elapsed,
    )
    error.detail = f"{error.detail} (after {state.attempt_number} attempts in {elapsed:.1f} s)"
    raise error


def checked_first(existing: Callable[[], T | None], send: Callable[[], T]) -> Callable[[], T]:
    """A try of a request that is not idempotent: after a try that may have been applied,
    ``existing`` looks for its effect first, and the request is sent again only if absent."""
    maybe_applied = False

    def attempt() -> T:
        nonlocal maybe_applied
        if maybe_applied and (found := existing()) is not None:
            return found
        try:
            return send()
        except StorageError as error:
            maybe_applied = maybe_applied or error.maybe_applied
            raise

    return attempt
