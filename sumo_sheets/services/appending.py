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
from ..model import Signup
from ..retry import RetryPolicy
from ..storage import StorageError
from .reader import SheetReader
from .reading import SheetData

log = logging.getLogger(__name__)

# How often a row is put under changed headers before the read after it is decided on.
LAYOUT_ROUNDS = 3


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
    reader: SheetReader, row: list[str], signup: Signup, retry: RetryPolicy
) -> tuple[SheetData, int | None]:
    """Append the signup's row so that it lands exactly once, under the headers as they are
    then; return a fresh read holding it, and the row number the append reported (None when
    it landed but its reply was lost).

    Every try after a failed one is logged, with why the last one failed. ``row`` was laid
    out under the header row the site read last; if the read after the append shows other
    headers, the row is put under them before anything is decided (``_under_current_headers``).
    """
    data, landed_at = _append(reader, row, signup.id, retry)
    return _under_current_headers(reader, data, row, signup, landed_at), landed_at


def _under_current_headers(
    reader: SheetReader, data: SheetData, row: list[str], signup: Signup, landed_at: int | None
) -> SheetData:
    """The read to decide on, with the site's row under the headers that ``data`` shows.

    A coordinator who moved, inserted or deleted a column since the row was laid out (from a
    cached copy, or just before the append) would leave it under the wrong headers. The
    row is found by what was written, position by position (at the row the append reported
    first), and every cell of it rewritten under the headers as they are now: the cells the
    misplaced write put in other columns go back to blank. Nothing is spent when the layout
    is the same (a column moved after the append carried the row's cells with it).
    """
    written = row
    for _ in range(LAYOUT_ROUNDS):
        placed = fmt.signup_row(data.signup_header, signup)
        if not data.signup_header or _trimmed(placed) == _trimmed(written):
            return data
        log.warning(
            "signup %s: the Signups columns changed since its row was laid out; "
            "rewriting the row under the headers as they are now",
            signup.id,
        )
        try:
            reader.storage.replace_row(
                fmt.SIGNUPS, written, placed, near=landed_at, id_header=fmt.ID
            )
            data = reader.fresh()
        except StorageError as error:
            raise SignupUncertain(
                "The sheet's columns were being changed as your signup was saved, and the "
                "sheet stopped answering before it could be checked. Please check the schedule "
                "in a minute; sending this form again is safe.",
                detail=error.detail,
                transient=True,
            ) from error
        written = placed
    return data


def _trimmed(row: list[str]) -> list[str]:
    """A row without its trailing blank cells."""
    cells = list(row)
    while cells and cells[-1] == "":
        cells.pop()
    return cells


def _append(
    reader: SheetReader, row: list[str], signup_id: str, retry: RetryPolicy
) -> tuple[SheetData, int | None]:
    """``append_once`` without the look at the layout."""
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
