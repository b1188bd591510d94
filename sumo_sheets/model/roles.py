"""Roles, how an hour's staffing is judged (Coverage), and the fixed sizes of the domain."""

from __future__ import annotations

import enum
from datetime import timedelta

HOUR = timedelta(hours=1)

# A block has one Anchor: the one home of that maximum (Settings hold the other roles').
ANCHORS_PER_BLOCK = 1


class Role(enum.Enum):
    """What a volunteer does during a slot; the value is the form and URL spelling."""

    HELPER = "helper"
    ANCHOR = "anchor"
    ADVISOR = "advisor"
    MONITOR = "monitor"

    @property
    def label(self) -> str:
        """The name coordinators and volunteers read."""
        return _ROLE_LABELS[self]

    @property
    def plural(self) -> str:
        """The plural label, as used in the Schedule tab's headers."""
        return _ROLE_LABELS[self] + "s"

    @property
    def answers_users(self) -> bool:
        """Helpers and Anchors take user questions; Advisors and Room monitors do not."""
        return self in (Role.HELPER, Role.ANCHOR)


_ROLE_LABELS = {
    Role.HELPER: "Helper",
    Role.ANCHOR: "Anchor",
    Role.ADVISOR: "Advisor",
    Role.MONITOR: "Room monitor",
}

# Roles a volunteer picks by the hour; an Anchor always takes a whole block.
HOURLY_ROLES = (Role.HELPER, Role.ADVISOR, Role.MONITOR)


class Coverage(enum.Enum):
    """How well an hour is staffed, shown with an icon and a word as well as a colour."""

    UNCOVERED = ("uncovered", "✗", "Uncovered: nobody is answering users")
    THIN = ("thin", "!", "Thin: users are answered but helpers lack back-up")
    COVERED = ("covered", "✓", "Covered")

    def __init__(self, slug: str, icon: str, description: str) -> None:
        self.slug = slug
        self.icon = icon
        self.description = description

    @property
    def label(self) -> str:
        """One word for the state."""
        return self.slug.capitalize()
