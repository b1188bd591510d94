"""iCalendar (.ics) views of the schedule and of one volunteer's signups, in UTC.

Pure builders with no Flask: they take sheet data and the time, and return calendar bytes
that any calendar program can import or subscribe to.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from icalendar import Calendar, Event

from .model import HOUR, BlockView, Coverage, Role, Signup, build_block_views, week_start

if TYPE_CHECKING:
    from .services import SheetData

PRODID = "-//Mozilla SUMO//Live Chat signup//EN"
UID_DOMAIN = "sumo-livechat"
TITLE = "SUMO Live Chat"
# Calendar programs that honour it poll a subscribed feed this often.
REFRESH = timedelta(hours=1)
# A volunteer's own feed keeps shifts (and cancellations) this long after they end, so a
# cancellation reaches subscribers and recent shifts do not vanish from their calendar.
KEEP_PAST = timedelta(days=30)

_COVERAGE_ORDER = (Coverage.UNCOVERED, Coverage.THIN, Coverage.COVERED)


def signup_key(signup: Signup) -> str:
    """A stable name for a signup: its ID, or for a hand-typed row a hash of what it says."""
    if signup.id:
        return signup.id
    # Hashed so that a contact never shows in a UID; the same row always gives the same key.
    content = "\x1f".join(
        (signup.name.strip(), signup.contact_key, signup.role.value, signup.start.isoformat())
    )
    return "h" + hashlib.sha256(content.encode()).hexdigest()[:20]


def signup_uid(signup: Signup) -> str:
    """The signup's event UID: the same in every feed and email, so updates replace it."""
    return f"signup-{signup_key(signup)}@{UID_DOMAIN}"


def block_uid(start: datetime) -> str:
    """A block's event UID, named by its UTC start."""
    return f"block-{start.astimezone(UTC):%Y%m%dT%H%M%SZ}@{UID_DOMAIN}"


def recent_and_coming(signups: Iterable[Signup], now: datetime) -> list[Signup]:
    """A volunteer's signups for their feed: not ended more than KEEP_PAST ago, in time order.

    A row the site withdrew because its twin from the same form was kept is left out:
    that volunteer is signed up, and a cancelled copy beside it would only confuse.
    """
    mine = [s for s in signups if s.end > now - KEEP_PAST]
    kept_requests = {s.request_id for s in mine if s.confirmed and s.request_id}
    return sorted(
        (s for s in mine if s.confirmed or s.request_id not in kept_requests),
        key=lambda s: (s.start, s.row),
    )


def _calendar(name: str, description: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-caldesc", description)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    return calendar


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _span(start: datetime, end: datetime) -> str:
    return f"{_utc(start):%H:%M}–{_utc(end):%H:%M} UTC"


def signup_event(signup: Signup, now: datetime, manage_url: str) -> Event:
    """One signup as an event: confirmed, or cancelled with a higher SEQUENCE to supersede."""
    event = Event()
    event.add("uid", signup_uid(signup))
    event.add("dtstamp", _utc(now))
    event.add("dtstart", _utc(signup.start))
    event.add("dtend", _utc(signup.end))
    event.add("summary", f"{TITLE} — {signup.role.label}")
    event.add("status", "CANCELLED" if signup.cancelled else "CONFIRMED")
    # A cancellation is the only change the site makes to a signup, so it is revision 1.
    event.add("sequence", 1 if signup.cancelled else 0)
    event.add("transp", "TRANSPARENT" if signup.cancelled else "OPAQUE")
    if signup.signed_up_at is not None:
        event.add("created", _utc(signup.signed_up_at))
    lines = [
        f"You are {signup.role.label} on {TITLE}, {_span(signup.start, signup.end)}."
        if signup.confirmed
        else f"Cancelled: {signup.role.label} on {TITLE}, {_span(signup.start, signup.end)}.",
    ]
    if signup.id:
        lines.append(f"Signup ID: {signup.id}")
    lines.append(f"See or cancel your signups: {manage_url}")
    event.add("description", "\n".join(lines))
    event.add("url", manage_url)
    return event


def _stamp(moment: datetime) -> str:
    return f"{_utc(moment):%Y%m%dT%H%M%SZ}"


def google_link(signup: Signup, manage_url: str) -> str:
    """An "Add to Google Calendar" address for one signup (Google's event template)."""
    query = {
        "action": "TEMPLATE",
        "text": f"{TITLE} — {signup.role.label}",
        "dates": f"{_stamp(signup.start)}/{_stamp(signup.end)}",
        "details": f"See or cancel your signups: {manage_url}",
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_link(signup: Signup, manage_url: str) -> str:
    """An "Add to Outlook" address for one signup (Outlook on the web's compose deep link)."""
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": f"{TITLE} — {signup.role.label}",
        "startdt": f"{_utc(signup.start):%Y-%m-%dT%H:%M:%SZ}",
        "enddt": f"{_utc(signup.end):%Y-%m-%dT%H:%M:%SZ}",
        "body": f"See or cancel your signups: {manage_url}",
    }
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(query)


def signups_calendar(signups: Iterable[Signup], now: datetime, manage_url: str) -> bytes:
    """A volunteer's signups as a calendar (feed or email attachment)."""
    calendar = _calendar(f"{TITLE}: my shifts", "Your SUMO Live Chat signups.")
    for signup in signups:
        calendar.add_component(signup_event(signup, now, manage_url))
    return calendar.to_ical()


def schedule_calendar(
    data: SheetData,
    now: datetime,
    weeks: int,
    site_url: str = "",
    stamp: datetime | None = None,
    role: Role | None = None,
) -> bytes:
    """Every staffed block from today on, to the end of the open weeks, with who is on
    (names only); blocks of days already over are left out.

    ``site_url``, when given, links each event to its week's page. ``role``, when given,
    keeps only that role: the blocks where it is wanted or someone holds it, and only its
    line in each event.
    """
    zone = data.settings.time_zone
    today = now.astimezone(zone).date()
    monday = week_start(today)
    blocks = [
        block
        for n in range(max(weeks, 1))
        for block in data.blocks_for(monday + timedelta(days=7 * n))
        if block.local_day >= today
    ]
    title = f"{TITLE} schedule" + (f": {role.plural}" if role else "")
    calendar = _calendar(title, "Who is on SUMO Live Chat, hour by hour (times in UTC).")
    for view in build_block_views(blocks, data.signups, data.settings, now):
        if role is not None and not _has_role(view, role):
            continue
        # DTSTAMP is when the content last changed, so an unchanged feed is byte-identical.
        calendar.add_component(_block_event(view, stamp or now, site_url, role))
    return calendar.to_ical()


def _has_role(view: BlockView, role: Role) -> bool:
    if role is Role.ANCHOR:
        return True
    return any(h.people[role] or h.wanted.get(role, 0) for h in view.hours)


def _block_event(view: BlockView, now: datetime, site_url: str, role: Role | None) -> Event:
    block = view.block
    event = Event()
    event.add("uid", block_uid(block.start))
    event.add("dtstamp", _utc(now))
    event.add("dtstart", _utc(block.start))
    event.add("dtend", _utc(block.end))
    summary = block_summary(view) if role is None else role_summary(view, role)
    event.add("summary", one_line(f"{TITLE} — {summary}"))
    event.add("description", block_description(view, role))
    # A team schedule, not the subscriber's own appointment: it must not mark them busy.
    event.add("transp", "TRANSPARENT")
    if site_url:
        year, week, _ = block.local_day.isocalendar()
        event.add("url", f"{site_url.rstrip('/')}/?week={year}-W{week:02d}")
    return event


def block_summary(view: BlockView) -> str:
    """The block's worst hour's coverage, and the roles still short of what is wanted."""
    worst = min((h.coverage for h in view.hours), key=_COVERAGE_ORDER.index)
    needs = [role.label for role in Role if _short_of(view, role)]
    return worst.label + (f", needs {', '.join(needs)}" if needs else "")


def role_summary(view: BlockView, role: Role) -> str:
    """One role's state in a block: who holds it, or that it is still needed."""
    if role is Role.ANCHOR:
        return f"Anchor: {_names(view.anchors)}" if view.anchors else "needs an Anchor"
    return f"{role.plural}: " + ("needed" if _short_of(view, role) else "enough")


def _short_of(view: BlockView, role: Role) -> bool:
    if role is Role.ANCHOR:
        return not view.anchors
    return any(len(h.people[role]) < h.wanted.get(role, 0) for h in view.hours)


def block_description(view: BlockView, only: Role | None = None) -> str:
    """Who is on, hour by hour and role by role: names only, never contacts or notes.

    ``only``, when given, keeps that role's lines alone.
    """
    anchors = _names(view.anchors) or "nobody yet"
    lines = [f"Anchor: {anchors}"] if only in (None, Role.ANCHOR) else []
    for hour in view.hours:
        if only is Role.ANCHOR:
            break
        if lines:
            lines.append("")
        lines.append(f"{_span(hour.start, hour.start + HOUR)} — {hour.coverage.label}")
        for role in Role:
            if role is Role.ANCHOR or only not in (None, role):
                continue
            wanted = hour.wanted.get(role, 0)
            people = hour.people[role]
            if people or wanted:
                lines.append(
                    f"  {role.plural}: {_names(people) or '—'} ({len(people)} of {wanted})"
                )
    return "\n".join(lines)


def _names(signups: Sequence[Signup]) -> str:
    return ", ".join(dict.fromkeys(one_line(s.name) for s in signups))


_SPACES = re.compile(r"\s+")


def one_line(text: str) -> str:
    """Text from the sheet made safe for one line of a feed: every line break (CR, LF, NEL,
    U+2028, U+2029 …) and control character becomes a space, invisible format characters
    (bidi overrides, zero-width spaces) go, and runs of spaces shrink to one.

    A coordinator can type anything into the sheet; the form refuses these, this is for the
    rest. Zero-width joiners stay, as names and emoji need them.
    """
    kept = []
    for character in text:
        category = unicodedata.category(character)
        if category in ("Cc", "Zl", "Zp"):
            kept.append(" ")
        elif category in ("Cf", "Cs", "Co") and character not in "\u200c\u200d":
            continue
        else:
            kept.append(character)
    return _SPACES.sub(" ", "".join(kept)).strip()
