"""Time zones and times as people read them: the viewer's zone (from ?tz= or the cookie),
zone names, and how pages, error messages and mail spell a moment.

No Flask here: the web layer hands over the request's values, so mail, the CLI and the
sheet's settings can use the same parsing and spelling.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

UTC_ZONE = ZoneInfo("UTC")
# The cookie that keeps a zone chosen with ?tz= for the next pages.
TZ_COOKIE = "tz"


class UnknownZone(ValueError):
    """Text that is not an IANA time zone name; the message says what is wanted."""


def parse_zone(text: str) -> ZoneInfo:
    """An IANA time zone name such as Europe/Berlin."""
    name = (text or "").strip()
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        raise UnknownZone("tz must be a time zone name such as Europe/Berlin")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise UnknownZone(f"{name!r} is not a time zone name such as Europe/Berlin") from error


def zone_or(text: str, default: ZoneInfo | None) -> ZoneInfo | None:
    """The zone ``text`` names, or ``default`` when it names none."""
    try:
        return parse_zone(text)
    except UnknownZone:
        return default


def chosen_zone(query: str | None, strict: bool = True) -> ZoneInfo | None:
    """The zone a viewer chose with ?tz=, or None when there is no choice.

    ``strict`` raises UnknownZone for a garbled ?tz=; otherwise it counts as no choice.
    """
    if not query:
        return None
    try:
        return parse_zone(query)
    except UnknownZone:
        if strict:
            raise
        return None


def remembered_zone(cookie: str | None) -> ZoneInfo:
    """The zone a viewer chose before (the cookie's value), else UTC."""
    return zone_or(unquote(cookie or ""), UTC_ZONE)


@cache
def zone_names() -> list[str]:
    """Every IANA zone name, for the zone selector."""
    return sorted(name for name in available_timezones() if "/" in name or name == "UTC")


# -- spelling moments ------------------------------------------------------------------------


def clock(moment: datetime, zone: ZoneInfo) -> str:
    """A moment's time of day in ``zone``: 15:00."""
    return f"{moment.astimezone(zone):%H:%M}"


def when(moment: datetime, zone: ZoneInfo) -> str:
    """A moment as a volunteer reads it: their day and time, with UTC beside."""
    local = moment.astimezone(zone)
    if zone.key == "UTC":
        return f"{local:%a %-d %b %H:%M} UTC"
    return f"{local:%a %-d %b %H:%M} ({moment.astimezone(UTC):%H:%M} UTC)"


def formatter(zone: ZoneInfo) -> Callable[[datetime], str]:
    """Spells moments for a viewer in ``zone``: what refusals' ``describe`` takes."""
    return lambda moment: when(moment, zone)


def hour_label(hour: datetime, zone: ZoneInfo) -> str:
    """One hour of the start list: 15:00–16:00 (14:00 UTC)."""
    local, end = hour.astimezone(zone), (hour + timedelta(hours=1)).astimezone(zone)
    if zone.key == "UTC":
        return f"{local:%H:%M}–{end:%H:%M} UTC"
    return f"{local:%H:%M}–{end:%H:%M} ({hour:%H:%M} UTC)"


def day_heading(moment: datetime, zone: ZoneInfo) -> str:
    """A day as a heading: Monday 30 November."""
    return f"{moment.astimezone(zone):%A %-d %B}"


def format_span(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """A shift in ``zone`` with UTC beside: Mon 30 Nov 2026, 15:00–17:00 CET (14:00–16:00 UTC)."""
    local = _span_text(start.astimezone(zone), end.astimezone(zone), with_year=True)
    if zone.key == "UTC":
        return local
    utc_start = start.astimezone(UTC)
    utc = _span_text(utc_start, end.astimezone(UTC), with_year=False)
    if utc_start.date() == start.astimezone(zone).date():
        utc = utc.split(", ", 1)[1]  # same day: the hours say enough
    return f"{local} ({utc})"


def _span_text(start: datetime, end: datetime, *, with_year: bool) -> str:
    day = _day(start) + (f" {start.year}" if with_year else "")
    ends_next_day = end.date() != start.date() and end != _midnight_after(start)
    if ends_next_day:
        return f"{day}, {start:%H:%M} – {_day(end)} {end:%H:%M} {_zone_name(start)}"
    return f"{day}, {start:%H:%M}–{end:%H:%M} {_zone_name(start)}"


def _midnight_after(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def _day(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b}"


def _zone_name(moment: datetime) -> str:
    name = moment.tzname() or "UTC"
    # Zones without an abbreviation give an offset such as "+03"; say what it is.
    return f"UTC{name}" if name[0] in "+-" else name


def short_time(moment: datetime, zone: ZoneInfo) -> str:
    """A start for a subject line, e.g. 'Mon 30 Nov 15:00 CET'."""
    local = moment.astimezone(zone)
    return f"{_day(local)} {local:%H:%M} {_zone_name(local)}"


def describe(refusal: Exception, zone: ZoneInfo) -> str:
    """A refusal's message with its times in ``zone``.

    Refusals that carry their moments offer ``describe(format_time)``; older ones only a
    ``.message`` (in UTC), or their text.
    """
    spell = getattr(refusal, "describe", None)
    if callable(spell):
        return spell(formatter(zone))
    return getattr(refusal, "message", None) or str(refusal)
