"""The schedule: weekly entries, the blocks they make on real dates, and the Settings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .roles import HOUR, Role


@dataclass(frozen=True)
class ScheduleEntry:
    """One row of the Schedule tab: a weekly block in the schedule's own time zone."""

    weekday: int  # Monday is 0, as in datetime.weekday()
    start: time
    end: time  # an end at or before the start runs past midnight
    wanted: dict[Role, int]

    @property
    def length(self) -> timedelta:
        """How long the block lasts."""
        start = datetime.combine(date(2000, 1, 3), self.start)
        end = datetime.combine(date(2000, 1, 3), self.end)
        if end <= start:
            end += timedelta(days=1)
        return end - start


@dataclass(frozen=True)
class Block:
    """A staffed block on a real date: one Anchor wanted, hourly slots for the other roles."""

    local_day: date
    start: datetime  # UTC
    end: datetime  # UTC
    wanted: dict[Role, int]

    @property
    def hours(self) -> list[datetime]:
        """The UTC start of each one-hour slot in the block."""
        slots, at = [], self.start
        while at + HOUR <= self.end:
            slots.append(at)
            at += HOUR
        return slots

    def contains(self, start: datetime, end: datetime) -> bool:
        """True when [start, end) lies inside the block."""
        return self.start <= start and end <= self.end


@dataclass(frozen=True)
class Settings:
    """Coordinator settings from the Settings tab, with defaults for what is missing."""

    time_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    maximum: dict[Role, int | None] = field(
        default_factory=lambda: {Role.HELPER: None, Role.ADVISOR: None, Role.MONITOR: 2}
    )
    weeks_open: int = 8


def week_start(day: date) -> date:
    """The Monday of the ISO week that holds ``day``."""
    return day - timedelta(days=day.weekday())


def blocks_for_week(entries: Iterable[ScheduleEntry], monday: date, tz: ZoneInfo) -> list[Block]:
    """Place the weekly schedule on the dates of one week, converting local hours to UTC."""
    blocks = []
    for entry in entries:
        day = monday + timedelta(days=entry.weekday)
        local_start = datetime.combine(day, entry.start, tzinfo=tz)
        start = local_start.astimezone(UTC)
        # Add the block's wall-clock length in local time, so a block keeps its local hours
        # on the day the clocks change (it is then an hour longer or shorter in UTC).
        local_end = datetime.combine(day, entry.start) + entry.length
        end = local_end.replace(tzinfo=tz).astimezone(UTC)
        if end > start:
            blocks.append(Block(day, start, end, dict(entry.wanted)))
    return sorted(blocks, key=lambda b: b.start)


def block_at(blocks: Sequence[Block], start: datetime) -> Block | None:
    """The block in which ``start`` begins an hourly slot, if any."""
    for block in blocks:
        if start in block.hours:
            return block
    return None
