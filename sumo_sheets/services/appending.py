"""Appending a signup row exactly once, with bounded retries, each retry logged.

An append that failed may still have landed (the reply was lost), so before trying again
the sheet is read to see whether the row is there. Out of tries, the volunteer is told
truthfully whether the signup is in the sheet (``SignupUncertain``) or not
(``SignupNotSaved``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from tenacity import RetryCallState

from .. import sheet_format as fmt
from ..retry import RetryPolicy
from ..storage import StorageError
from .reader import SheetReader
from .reading import SheetData

log = logging.getLogger(__name__)


class SignupNotSaved(StorageError):
    """The sheet stayed busy or out of reach, and the signup is known not to be in it."""


class SignupUncertain(StorageError):
    """A write may have landed but the sheet could not be read to say; resending is safe."""


@dataclass
class _Tries:
    """What the tries so far have shown about one row's append."""

    signup_id: str
    may_have_landed: bool = False
    landed_at: int | None = None  # the row number the append reported

    def found_in(self, data: SheetData) -> bool:
        return any(s.id == self.signup_id for s in data.signups)


def append_once(
    reader: SheetReader, row: list[str], signup_id: str, retry: RetryPolicy
) -> tuple[SheetData, int | None]:
    """Append the row so that it lands exactly once; return a fresh read holding it, and
    the row number the append reported (None when it landed but its reply was lost).

    Every try after a failed one is logged, with why the last one failed.
    """
    tries = _Tries(signup_id)
    try:
        for attempt in retry.retrying(before_sleep=_retry_logger(signup_id)):
            with attempt:
                return _try_append(reader, row, tries)
    except StorageError as error:
        if not error.transient:
            raise
        last_error = error
    return _out_of_tries(reader, tries, last_error)


def _try_append(reader: SheetReader, row: list[str], tries: _Tries) -> tuple[SheetData, int | None]:
    """One try: look for the row if an earlier try may have landed it, else append it."""
    if tries.may_have_landed:
        data = reader.fresh()
        if tries.found_in(data):
            return data, tries.landed_at
    try:
        tries.landed_at = reader.storage.append_rows(fmt.SIGNUPS, [row])
    except StorageError as error:
        tries.may_have_landed = tries.may_have_landed or error.maybe_applied
        raise
    # It landed; from here on a failed read must not lead to a second append.
    tries.may_have_landed = True
    return reader.fresh(), tries.landed_at


def _out_of_tries(
    reader: SheetReader, tries: _Tries, last_error: StorageError
) -> tuple[SheetData, int | None]:
    """Say truthfully whether the signup is in the sheet, or return the read that holds it."""
    if tries.may_have_landed:
        try:
            data = reader.fresh()
        except StorageError as error:
            raise SignupUncertain(
                "The sheet did not answer in time, so we cannot tell whether your signup "
                "was saved. Please check the schedule in a minute; sending this form again is "
                "safe, it will not sign you up twice.",
                detail=f"{last_error.detail} / {error.detail}",
                transient=True,
            ) from error
        if tries.found_in(data):
            return data, tries.landed_at
    raise SignupNotSaved(
        f"{reader.storage.display_name} is busy, your signup was not saved — try again.",
        detail=last_error.detail,
        transient=True,
    ) from last_error


def _retry_logger(signup_id: str) -> Callable[[RetryCallState], None]:
    """Logs each retry of one signup's append: which try failed, why, and the wait."""

    def log_retry(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning(
            "signup %s: append attempt %d failed (%s); trying again in %.2f s",
            signup_id,
            state.attempt_number,
            getattr(error, "message", error),
            state.next_action.sleep if state.next_action else 0,
        )

    return log_retry
