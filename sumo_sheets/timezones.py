"""Time zones and times as people read them: the viewer's zone (from ?tz= or the cookie),
zone names, and how pages, error messages and mail spell a moment.

No Flask here: the web layer hands over the request's values, so mail, the CLI and the
sheet's settings can use the same parsing and spelling.
"""

from __future__ import annotations

import difflib
import importlib.resources
import zoneinfo
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

UTC_ZONE = ZoneInfo("UTC")
# The zone the browser reports, kept by static/tz.js; it follows the browser when that moves.
TZ_COOKIE = "tz"
# A zone the viewer chose with ?tz= (the selector): it wins over the browser's until undone.
TZ_CHOSEN_COOKIE = "tz_chosen"
# ?tz=auto undoes a choice: times follow the browser's zone again.
FOLLOW_BROWSER = "auto"
# The regions of the IANA names people live in (not Etc/, US/ or other legacy aliases).
REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


class UnknownZone(ValueError):
    """Text that is not an IANA time zone name; the message says what is wanted."""


def parse_zone(text: str) -> ZoneInfo:
    """An IANA time zone name such as Europe/Berlin, or a well-known city such as Berlin."""
    name = (text or "").strip()
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        raise UnknownZone("tz must be a time zone name such as Europe/Berlin")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    found = _zones_by_city().get(_city_key(name))
    if found:
        return ZoneInfo(found)
    raise UnknownZone(f"{name!r} is not a time zone name; {_suggestion(name)}")


def _city_key(text: str) -> str:
    """How a city or zone name is looked up: los angeles, LOS_ANGELES, Los-Angeles alike."""
    return " ".join(text.replace("_", " ").replace("-", " ").casefold().split())


@cache
def _zones_by_city() -> dict[str, str]:
    """Each zone's full name and last part (its city), folded, to the zone's name.

    A city also found among the selector's zones maps to that one, not to an alias.
    """
    found: dict[str, str] = {}
    everywhere = sorted(name for name in available_timezones() if name.startswith(REGIONS))
    for name in [*everywhere, *zone_names()]:  # the selector's names win
        found[_city_key(name)] = name
        found[_city_key(name.rsplit("/", 1)[-1])] = name
    return found


def _suggestion(text: str) -> str:
    """What to send instead of ``text``: the nearest city's zone, else an example."""
    close = difflib.get_close_matches(_city_key(text), list(_zones_by_city()), n=1, cutoff=0.75)
    if close:
        return f"did you mean {_zones_by_city()[close[0]]}?"
    return "use a name such as Europe/Berlin, or a city such as Berlin"


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


def remembered_zone(*cookies: str | None) -> ZoneInfo:
    """The zone of the first cookie that names one (the chosen, then the browser's), else UTC."""
    for cookie in cookies:
        zone = zone_or(unquote(cookie or ""), None)
        if zone is not None:
            return zone
    return UTC_ZONE


@cache
def zone_names() -> list[str]:
    """The zones of the selector: UTC and the tz database's own list of places (zone.tab,
    one name per region of a country), without legacy aliases such as US/Pacific or the
    sign-inverted Etc/GMT+8."""
    known = available_timezones()
    listed = {name for name in _zone_tab() if name in known}
    if not listed:  # no zone.tab to read: the region names, aliases and all
        listed = {name for name in known if name.startswith(REGIONS)}
    return ["UTC", *sorted(listed)]


def _zone_tab() -> list[str]:
    """The zone names in the tz database's zone.tab (the tzdata package's, else the system's)."""
    places = [importlib.resources.files("tzdata") / "zoneinfo"] if _has_tzdata() else []
    places += [Path(folder) for folder in zoneinfo.TZPATH]
    for place in places:
        try:
            text = (place / "zone.tab").read_text(encoding="utf-8")
        except OSError:
            continue
        rows = (line.split("\t") for line in text.splitlines() if not line.startswith("#"))
        return [row[2] for row in rows if len(row) > 2]
    return []


def _has_tzdata() -> bool:
    try:
        importlib.resources.files("tzdata")
    except ModuleNotFoundError:
        return False
    return True


def offset(zone: ZoneInfo, moment: datetime) -> str:
    """A zone's offset from UTC at ``moment``: UTC+01:00, UTC-07:00, UTC+05:45, UTC."""
    delta = moment.astimezone(zone).utcoffset() or timedelta(0)
    if not delta:
        return "UTC"
    minutes = int(abs(delta).total_seconds()) // 60
    return f"UTC{'-' if delta < timedelta(0) else '+'}{minutes // 60:02d}:{minutes % 60:02d}"


def place_name(name: str) -> str:
    """A zone's place as people read it: Europe/Berlin is Berlin; America/Argentina/Buenos_Aires
    is Argentina / Buenos Aires."""
    parts = name.replace("_", " ").split("/")
    return " / ".join(parts[1:]) if len(parts) > 1 else parts[0]


def zone_label(name: str, moment: datetime) -> str:
    """A zone as the selector shows it, with its offset now: Berlin (UTC+01:00)."""
    if name == "UTC":
        return "UTC"
    return f"{place_name(name)} ({offset(ZoneInfo(name), moment)})"


def zone_groups() -> list[tuple[str, list[str]]]:
    """The selector's zones grouped by region (UTC on its own), in alphabetical order."""
    groups: dict[str, list[str]] = {}
    for name in zone_names():
        groups.setdefault(name.split("/", 1)[0] if "/" in name else "UTC", []).append(name)
    return list(groups.items())


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
