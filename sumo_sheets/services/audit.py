"""`sheet audit` and `sheet restore`: the signups the site confirmed that are no longer in the
sheet (deleted by hand, or lost to an older copy saved over the site's rows), and putting one
back, once.

A row is looked for by its ID in the Signups tab as it is, rows the site cannot read
included: only a row whose ID is gone counts as vanished. A row a coordinator cancelled (its
Status changed) is still there, so it is never listed. Signups the site itself cancelled
(for their volunteer) or withdrew are not listed either. What the site confirmed is its
``record.SignupRecord``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from .. import sheet_format as fmt
from ..headers import column_index
from ..model import Signup
from ..retry import RetryPolicy
from ..storage import Storage, StorageError, TabMissing
from .appending import append_once
from .reader import SheetReader
from .record import CANCELLED, CONFIRMED, Recorded, SignupRecord


class RestoreRefused(Exception):
    """`sheet restore` will not put this signup back; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class AuditReport:
    """What `sheet audit` found."""

    # Confirmed by the site, gone from the sheet, never restored: `sheet restore` puts it back.
    missing: list[Recorded] = field(default_factory=list)
    # Restored once and gone again: removed on purpose, most likely; not restored again.
    removed_again: list[Recorded] = field(default_factory=list)
    checked: int = 0  # signups the site confirmed and has not cancelled or withdrawn


@dataclass
class Restored:
    """A signup put back: the row it landed at (None if not known), and whether it holds its
    place (False when the role filled up meanwhile: a coordinator decides)."""

    signup: Signup
    row: int | None
    holds_place: bool


def audit(storage: Storage, record: SignupRecord) -> AuditReport:
    """Every signup the site confirmed whose row is no longer in the Signups tab."""
    in_sheet = ids_in_sheet(storage)
    report = AuditReport()
    for recorded in record.signups().values():
        if recorded.status != CONFIRMED:
            continue
        report.checked += 1
        if recorded.signup.id in in_sheet:
            continue
        (report.removed_again if recorded.restored_at else report.missing).append(recorded)
    for rows in (report.missing, report.removed_again):
        rows.sort(key=lambda r: (r.signup.start, r.signup.id))
    return report


def ids_in_sheet(storage: Storage) -> set[str]:
    """The IDs in the Signups tab's ID column, on every row, readable or not."""
    grid = storage.read_tabs([fmt.SIGNUPS]).get(fmt.SIGNUPS) or []
    if not grid:
        raise TabMissing(fmt.SIGNUPS)
    column = column_index(grid[0], fmt.ID)
    if column is None:
        raise StorageError(
            "The Signups tab has no 'ID' column, so the site cannot tell which of its signups "
            "are still there. Put the column back, or run `flask --app app sheet init`.",
            detail="no ID column",
        )
    return {row[column].strip() for row in grid[1:] if column < len(row) and row[column].strip()}


def restore(
    storage: Storage, record: SignupRecord, signup_id: str, retry: RetryPolicy | None = None
) -> Restored:
    """Append a vanished signup's row again, as the site appends rows; once per signup.

    Refused (RestoreRefused) for an ID the site never confirmed, one it cancelled or
    withdrew, one still in the sheet, and one restored before. Restores take turns.
    """
    signup_id = signup_id.strip()
    with record.restoring():
        recorded = record.signups().get(signup_id)
        _refuse_unless_restorable(recorded, signup_id, ids_in_sheet(storage))
        assert recorded is not None
        reader = SheetReader(storage)
        data = reader.fresh()
        data.require_signups_tab()
        signup = replace(recorded.signup, cancelled=False)
        row = fmt.signup_row(data.signup_header, signup)
        after, landed_at = append_once(reader, row, signup, retry or RetryPolicy())
        mine = next((s for s in after.signups if s.id == signup_id), None)
        at = mine.row if mine is not None else landed_at
        record.restored(signup_id, at)
    return Restored(signup, at, mine is not None and mine.confirmed)


def _refuse_unless_restorable(
    recorded: Recorded | None, signup_id: str, in_sheet: set[str]
) -> None:
    if recorded is None:
        raise RestoreRefused(
            f"The site has no record of confirming a signup with ID {signup_id!r}. "
            "`flask --app app sheet audit` lists the signups it can restore."
        )
    if recorded.status != CONFIRMED:
        how = (
            "cancelled on the site by its volunteer"
            if recorded.status == CANCELLED
            else "withdrawn by the site (its place was taken first)"
        )
        raise RestoreRefused(
            f"Signup {signup_id} was {how} on {_day(recorded.changed_at)}; there is nothing "
            "to restore."
        )
    if signup_id in in_sheet:
        raise RestoreRefused(
            f"Signup {signup_id} is still in the Signups tab; there is nothing to restore."
        )
    if recorded.restored_at is not None:
        raise RestoreRefused(
            f"Signup {signup_id} was restored once already, on {_day(recorded.restored_at)}, "
            "and has been removed from the sheet again since. The site restores a signup only "
            "once; if it should be there, type it into the Signups tab by hand."
        )


def _day(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "an unknown date"
