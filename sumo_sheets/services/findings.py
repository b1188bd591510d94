"""Findings: what volunteers noticed in the chat, logged to the Findings tab for coordinators.

``FINDINGS_DAYS`` is the one home of how far back the findings page looks, and
``finding_time_allowed`` of which times a finding may be logged for.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from .. import sheet_format as fmt
from ..storage import Storage, TabMissing
from .ids import new_request_key, new_signup_id

log = logging.getLogger(__name__)

# How far back the findings page looks, in days.
FINDINGS_DAYS = 30
# The times a finding may be logged for: the last 60 days, up to an hour ahead (clocks).
FINDING_DAYS_BACK = 60
FINDING_LEEWAY = timedelta(hours=1)
FINDING_TIME_RULE = "Give a time from the last 60 days, not the future."


def finding_time_allowed(at: datetime, now: datetime) -> bool:
    """True when a finding may be logged for ``at`` (see FINDING_TIME_RULE)."""
    return now - timedelta(days=FINDING_DAYS_BACK) <= at <= now + FINDING_LEEWAY


def recent_findings(
    storage: Storage, now: datetime, days: int = FINDINGS_DAYS
) -> list[fmt.Finding]:
    """Findings logged over the last ``days``, newest first."""
    findings, _ = fmt.parse_findings(storage.read_tabs([fmt.FINDINGS])[fmt.FINDINGS])
    since = now - timedelta(days=days)
    return sorted((f for f in findings if f.at >= since), key=lambda f: f.at, reverse=True)


def log_finding(storage: Storage, finding: fmt.Finding) -> fmt.Finding:
    """Append a finding to the Findings tab; a resent form adds nothing.

    Only `sheet init` makes tabs and headers: with no Findings tab (or no header row) the
    finding is refused (TabMissing, with the fix); columns a coordinator deleted are left out.
    """
    grid = storage.read_tabs([fmt.FINDINGS])[fmt.FINDINGS]
    header = list(grid[0]) if grid else []
    if not header:
        raise TabMissing(fmt.FINDINGS)
    existing, _ = fmt.parse_findings(grid)
    if finding.request_id:
        earlier = next((f for f in existing if f.request_id == finding.request_id), None)
        if earlier is not None and (earlier.contact, earlier.seen) == (
            finding.contact,
            finding.seen,
        ):
            return earlier
        if earlier is not None:  # the same key for a different finding: a new one
            finding = replace(finding, request_id=new_request_key())
    made = replace(finding, id=new_signup_id({f.id for f in existing}))
    storage.append_rows(fmt.FINDINGS, [fmt.finding_row(header, made)])
    log.info("finding %s logged", made.id)
    return made
