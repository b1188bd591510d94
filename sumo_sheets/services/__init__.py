"""Use cases: read the sheet, show a week, sign up, cancel, log findings, look after the sheet.

Each takes a storage object that honours the contract in ``storage`` and asks it only for
the capabilities the contract states; none knows which backend it is, and none imports
Flask or gspread. The modules:

- ``reading``: ``SheetData``, the three tabs parsed; ``read_sheet``, ``parse_sheet``.
- ``reader``: ``SheetReader``, the cached, shared, never-blank read for pages.
- ``queries``: a week's view, open hours, where help is needed, hours, a volunteer's signups.
- ``signups``: the signup protocol and weekly repeats; ``appending`` (one append, retries
  logged) and ``confirming`` (keeping a row in sheet order, replaying a resent form).
- ``cancellations``: a volunteer's cancel and its cut-off (``can_cancel``), withdrawals.
- ``findings``: the Findings tab and its time window (``FINDINGS_DAYS``).
- ``sheet_admin``: ``init_sheet``, ``check_sheet``, ``tab_notes``, ``fill_demo``.
- ``settling``, ``ledger``, ``request_locks``: settling rows left unconfirmed, and copies
  of one form taking turns.
- ``ids``: signup IDs and request keys.
- ``record``: ``SignupRecord``, the site's own record of the signups it confirmed and the
  status changes it made; ``audit``: `sheet audit` and `sheet restore` over it.

Every public name is re-exported here, so ``services.week_view(...)`` works as before.
"""

from __future__ import annotations

from .. import sheet_format as fmt
from ..retry import RetryPolicy
from .appending import SignupNotSaved, SignupUncertain
from .audit import AuditReport, Restored, RestoreRefused, audit, restore
from .cancellations import (
    TooLateToCancel,
    can_cancel,
    cancel_own_signup,
    cancel_signup,
    withdraw_rows,
)
from .confirming import REPLAY_WINDOW, SignupOutcome
from .findings import (
    FINDING_TIME_RULE,
    FINDINGS_DAYS,
    finding_time_allowed,
    log_finding,
    recent_findings,
)
from .ids import new_signup_id
from .ledger import SETTLE_WINDOW, UncertainLedger
from .queries import (
    DayView,
    HelpNeeded,
    VolunteerHours,
    WeekView,
    blocks_in_week,
    blocks_starting,
    help_needed,
    hours_by_week,
    hours_done_and_planned,
    nearest_open_start,
    only_open,
    open_hours,
    signups_of,
    still_wanted,
    volunteer_hours,
    week_view,
)
from .reader import MAX_READ_BACKOFF, SheetReader
from .reading import SheetData, parse_sheet, read_sheet
from .record import Recorded, SignupRecord
from .request_locks import RequestLocks
from .settling import SETTLE_GRACE, Settler
from .sheet_admin import DEMO_NAMES, check_sheet, fill_demo, init_sheet, tab_notes
from .signups import WeekOutcome, sign_up, sign_up_weekly, weekly_starts

__all__ = [
    "AuditReport",
    "DEMO_NAMES",
    "FINDINGS_DAYS",
    "FINDING_TIME_RULE",
    "finding_time_allowed",
    "MAX_READ_BACKOFF",
    "REPLAY_WINDOW",
    "SETTLE_GRACE",
    "SETTLE_WINDOW",
    "DayView",
    "HelpNeeded",
    "Recorded",
    "RequestLocks",
    "RestoreRefused",
    "Restored",
    "RetryPolicy",
    "Settler",
    "SheetData",
    "SheetReader",
    "SignupNotSaved",
    "SignupOutcome",
    "SignupRecord",
    "SignupUncertain",
    "TooLateToCancel",
    "UncertainLedger",
    "VolunteerHours",
    "WeekOutcome",
    "WeekView",
    "audit",
    "blocks_in_week",
    "blocks_starting",
    "can_cancel",
    "cancel_own_signup",
    "cancel_signup",
    "check_sheet",
    "fill_demo",
    "fmt",
    "help_needed",
    "hours_by_week",
    "init_sheet",
    "tab_notes",
    "log_finding",
    "nearest_open_start",
    "new_signup_id",
    "open_hours",
    "parse_sheet",
    "read_sheet",
    "recent_findings",
    "restore",
    "sign_up",
    "sign_up_weekly",
    "signups_of",
    "volunteer_hours",
    "week_view",
    "only_open",
    "hours_done_and_planned",
    "still_wanted",
    "weekly_starts",
    "withdraw_rows",
]
