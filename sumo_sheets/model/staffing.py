"""Who is on, hour by hour: the confirmed signups laid over the blocks, with coverage."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from .records import Signup
from .roles import ANCHORS_PER_BLOCK, HOUR, Coverage, Role
from .schedule import Block, Settings


def coverage(people: dict[Role, Sequence[Signup]], block_has_anchor: bool) -> Coverage:
    """Uncovered with nobody answering users; thin without an Advisor or Anchor; else covered."""
    answering = people.get(Role.HELPER) or people.get(Role.ANCHOR)
    if not answering:
        return Coverage.UNCOVERED
    if not people.get(Role.ADVISOR) or not block_has_anchor:
        return Coverage.THIN
    return Coverage.COVERED


@dataclass
class HourView:
    """One staffed hour of a week: who is on in each role, what is wanted, and coverage."""

    start: datetime
    end: datetime
    people: dict[Role, list[Signup]]
    wanted: dict[Role, int]
    maximum: dict[Role, int | None]
    coverage: Coverage
    is_past: bool

    def has_room(self, role: Role) -> bool:
        """True when a new signup in this role could still fit this hour."""
        limit = ANCHORS_PER_BLOCK if role is Role.ANCHOR else self.maximum.get(role)
        return not self.is_past and (limit is None or len(self.people[role]) < limit)


@dataclass
class BlockView:
    """A block with its Anchor and its hours."""

    block: Block
    anchors: list[Signup]
    hours: list[HourView]
    is_past: bool

    @property
    def wants_anchor(self) -> bool:
        """True when the block has no Anchor yet and has not started."""
        return not self.anchors and not self.is_past


def build_block_views(
    blocks: Sequence[Block], signups: Iterable[Signup], settings: Settings, now: datetime
) -> list[BlockView]:
    """Lay the confirmed signups over the blocks, hour by hour."""
    confirmed = [s for s in signups if s.confirmed]
    views = []
    for block in blocks:
        in_block = [s for s in confirmed if s.overlaps(block.start, block.end)]
        anchors = [s for s in in_block if s.role is Role.ANCHOR]
        hours = [
            _hour_view(block, at, in_block, bool(anchors), settings, now) for at in block.hours
        ]
        views.append(BlockView(block, anchors, hours, is_past=block.start < now))
    return views


def _hour_view(
    block: Block,
    at: datetime,
    in_block: Sequence[Signup],
    has_anchor: bool,
    settings: Settings,
    now: datetime,
) -> HourView:
    """One hour of a block: who is on in each role, by start and then name."""
    people = {
        role: sorted(
            (s for s in in_block if s.role is role and s.overlaps(at, at + HOUR)),
            key=lambda s: (s.start, s.name.casefold()),
        )
        for role in Role
    }
    return HourView(
        start=at,
        end=at + HOUR,
        people=people,
        wanted={**block.wanted, Role.ANCHOR: ANCHORS_PER_BLOCK},
        maximum={**settings.maximum, Role.ANCHOR: ANCHORS_PER_BLOCK},
        coverage=coverage(people, has_anchor),
        is_past=at < now,
    )
