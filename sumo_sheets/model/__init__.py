"""The Live Chat domain: roles, schedule blocks, hourly slots, signup rules and coverage.

Pure Python with no I/O: every function takes what it needs and returns values, so the
rules are the same whichever spreadsheet the data came from. One module per subject:

- ``roles``: Role, Coverage, HOUR, HOURLY_ROLES and ANCHORS_PER_BLOCK
- ``schedule``: ScheduleEntry, Block, Settings; placing the weekly schedule on dates
- ``records``: Signup, SignupRequest and Finding
- ``refusals``: SignupRefused and its kinds, which keep their moments for ``describe``
- ``rules``: check_signup and check_room
- ``places``: holding_places, which rows hold places in sheet order
- ``staffing``: HourView, BlockView and coverage, for the week's pages

Every public name is importable from ``sumo_sheets.model`` itself.
"""

from __future__ import annotations

from .places import OverMaximum, holding_places
from .records import Finding, Signup, SignupRequest
from .refusals import (
    ALREADY_ON,
    AlreadySignedUp,
    NotOpenYet,
    OutsideSchedule,
    PlaceTaken,
    Refusal,
    RoleClash,
    SignupRefused,
    SlotFull,
    format_utc,
)
from .roles import ANCHORS_PER_BLOCK, HOUR, HOURLY_ROLES, Coverage, Role
from .rules import check_room, check_signup
from .schedule import Block, ScheduleEntry, Settings, block_at, blocks_for_week, week_start
from .staffing import BlockView, HourView, build_block_views, coverage

__all__ = [
    "ALREADY_ON",
    "ANCHORS_PER_BLOCK",
    "HOUR",
    "HOURLY_ROLES",
    "AlreadySignedUp",
    "Block",
    "BlockView",
    "Coverage",
    "Finding",
    "HourView",
    "NotOpenYet",
    "OutsideSchedule",
    "OverMaximum",
    "PlaceTaken",
    "Refusal",
    "Role",
    "RoleClash",
    "ScheduleEntry",
    "Settings",
    "Signup",
    "SignupRefused",
    "SignupRequest",
    "SlotFull",
    "block_at",
    "blocks_for_week",
    "build_block_views",
    "check_room",
    "check_signup",
    "coverage",
    "format_utc",
    "holding_places",
    "week_start",
]
