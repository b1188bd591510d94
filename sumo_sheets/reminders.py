"""Reminder emails before each shift, sent by `flask reminders send` from cron, never twice.

Which reminder is due: for a confirmed signup that has not started, a reminder of ``h``
hours (from REMINDER_HOURS) is due once ``now >= start - h``. Only the most imminent due
one is sent: a run that comes late sends the 1 h reminder and drops a 24 h one that was
never sent, rather than two emails at once. A reminder whose time had already come when
the volunteer signed up is not sent (they just had their confirmation), and neither is
one for a shift that directly follows another of theirs (they are already on).

What was sent is kept in a JSON file in the instance folder, written atomically under a
file lock held for the whole run, so two runs (overlapping cron jobs, a manual run) never
send the same reminder. A reminder is recorded before it is sent and forgotten again if
sending fails, so a crash in between loses that reminder rather than sending it twice.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from filelock import FileLock, Timeout

from . import mail
from .calendar import signup_key
from .contacts import mailbox_key
from .model import Settings, Signup
from .outbox import mail_counter
from .services import SheetData, SheetReader, read_sheet
from .storage import Storage
from .tokens import ManageLinks, manage_url

log = logging.getLogger(__name__)

# Records of shifts that ended longer ago than this are dropped from the state file.
KEEP_SENT = timedelta(days=7)
# Without SITE_URL the links in reminders point here (fine for trying it out only).
FALLBACK_SITE_URL = "http://localhost:5000"
STATE_VERSION = 1


class ReminderError(Exception):
    """Reminders cannot run now (mail off, another run holds the lock, state unreadable)."""


@dataclass
class Report:
    """What one run did."""

    sent: int = 0
    no_email: int = 0
    failed: int = 0
    already_sent: int = 0
    capped: int = 0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the cron log."""
        text = f"Sent {self.sent} reminder(s); {self.no_email} skipped (no email)"
        if self.capped:
            text += f"; {self.capped} not sent (REMINDERS_PER_ADDRESS reached for a mailbox)"
        if self.failed:
            text += f"; {self.failed} failed (tried again next run)"
        return text


def reminder_hours(config: Mapping[str, Any]) -> list[float]:
    """REMINDER_HOURS as numbers: a list, one number, or text like "24,1" from the environment."""
    value = config.get("REMINDER_HOURS", [24, 1])
    if isinstance(value, str):
        value = [part for part in value.replace(",", " ").split() if part]
    elif not isinstance(value, list | tuple):
        value = [value]
    hours = sorted({float(h) for h in value}, reverse=True)
    if any(h <= 0 for h in hours):
        raise ReminderError(f"REMINDER_HOURS must be positive numbers of hours, not {value!r}")
    return hours


def due_reminder(
    signup: Signup, hours: Sequence[float], now: datetime, theirs: Sequence[Signup] = ()
) -> float | None:
    """The reminder (hours before the start) due for this signup now, or None.

    ``theirs`` are the same volunteer's confirmed signups, to skip a shift that carries on
    from one they are already on.
    """
    if not signup.confirmed or signup.start <= now:
        return None
    if any(other.end == signup.start for other in theirs):
        return None
    due = [
        h
        for h in hours
        if signup.start - timedelta(hours=h) <= now
        and (signup.signed_up_at is None or signup.signed_up_at < signup.start - timedelta(hours=h))
    ]
    return min(due, default=None)


def reminder_key(signup: Signup, hours: float) -> str:
    """Names one reminder; a shift moved to another time is a new one."""
    return f"{signup_key(signup)}/{signup.start.astimezone(UTC):%Y-%m-%dT%H:%MZ}/{hours:g}h"


def volunteer_zone(signup: Signup, settings: Settings) -> ZoneInfo:
    """The volunteer's own zone when the row has a valid one, else the sheet's."""
    if signup.time_zone:
        try:
            return ZoneInfo(signup.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            log.info("signup %s: unknown time zone; using the sheet's", signup.id or "(no ID)")
    return settings.time_zone


def send_due_reminders(
    storage_or_reader: Storage | SheetReader,
    config: Mapping[str, Any],
    now: datetime,
    state_path: Path | str,
    lock_timeout: float = 300,
) -> Report:
    """Send every reminder that is due and not yet sent; record each in ``state_path``."""
    if not mail.mail_enabled(config):
        raise ReminderError("Email is off: set MAIL_SERVER (SUMO_MAIL_SERVER) to send reminders.")
    hours = reminder_hours(config)
    report = Report()
    site_url = str(config.get("SITE_URL") or "")
    if not site_url:
        site_url = FALLBACK_SITE_URL
        warning = f"SITE_URL is not set; links in reminders point to {FALLBACK_SITE_URL}"
        log.warning(warning)
        report.warnings.append(warning)
    state_path = Path(state_path)
    state_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(f"{state_path}.lock", timeout=lock_timeout):
            _send_under_lock(storage_or_reader, config, now, state_path, hours, site_url, report)
    except Timeout as error:
        raise ReminderError(
            f"Another reminders run has held {error.lock_file} for {lock_timeout:g} s; "
            "nothing was sent by this one."
        ) from error
    return report


def _send_under_lock(
    source: Storage | SheetReader,
    config: Mapping[str, Any],
    now: datetime,
    state_path: Path,
    hours: list[float],
    site_url: str,
    report: Report,
) -> None:
    links = ManageLinks.from_config(config)
    # A stranger can sign someone's address up for many shifts: reminders to one mailbox
    # are capped too (REMINDERS_PER_ADDRESS), apart from the pages' own mail cap.
    cap = mail_counter(config, "REMINDERS_PER_ADDRESS", "reminders")
    sent = _load(state_path)
    pruned = _prune(sent, now)
    # Decided on a fresh read only: a shift cancelled a moment ago must get no reminder.
    data = source.fresh() if isinstance(source, SheetReader) else read_sheet(source)
    by_contact = _confirmed_by_contact(data)
    for signup in data.signups:
        due = due_reminder(signup, hours, now, by_contact.get(signup.contact_key, ()))
        if due is None:
            continue
        if not mail.is_email(signup.contact):
            report.no_email += 1
            continue
        key = reminder_key(signup, due)
        if key in sent:
            report.already_sent += 1
            continue
        sent[key] = {"ends": _iso(signup.end), "sent_at": _iso(now)}
        _save(state_path, sent)
        if cap is not None and not cap.allow(links.contact_hash(mailbox_key(signup.contact))):
            # Recorded as handled, so a later run does not try it again.
            report.capped += 1
            continue
        # The reminder goes to the contact's own address, so it may carry the contact's link.
        link = manage_url(site_url, links.for_contact(signup.contact))
        zone = volunteer_zone(signup, data.settings)
        if mail.send_reminder(config, signup, link, zone, now):
            report.sent += 1
        else:
            del sent[key]
            _save(state_path, sent)
            report.failed += 1
    if pruned:
        _save(state_path, sent)
    log.info(report.summary())


def _confirmed_by_contact(data: SheetData) -> dict[str, list[Signup]]:
    grouped: dict[str, list[Signup]] = {}
    for signup in data.signups:
        if signup.confirmed:
            grouped.setdefault(signup.contact_key, []).append(signup)
    return grouped


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _load(path: Path) -> dict[str, dict[str, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        state = json.loads(text)
        sent = state["sent"]
        if not isinstance(sent, dict):
            raise TypeError("sent is not an object")
    except (ValueError, KeyError, TypeError) as error:
        # Starting afresh would send again everything already sent: stop and say so.
        raise ReminderError(
            f"{path} is not a reminders record ({error}); fix or remove it and run again."
        ) from error
    return sent


def _prune(sent: dict[str, dict[str, str]], now: datetime) -> bool:
    """Drop records of shifts that ended more than KEEP_SENT ago; True if any went."""
    oldest = now - KEEP_SENT
    stale = [key for key, record in sent.items() if not _ended_after(record, oldest)]
    for key in stale:
        del sent[key]
    return bool(stale)


def _ended_after(record: Any, moment: datetime) -> bool:
    try:
        ends = datetime.fromisoformat(str(record["ends"]).replace("Z", "+00:00"))
    except (KeyError, TypeError, ValueError):
        return False
    return ends > moment


def _save(path: Path, sent: dict[str, dict[str, str]]) -> None:
    """Replace the file in one step, so a crash leaves the old record or the new, never half."""
    body = json.dumps({"version": STATE_VERSION, "sent": sent}, indent=1, sort_keys=True)
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    )
    try:
        with handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
