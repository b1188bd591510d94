"""Looking after the sheet itself: set it up (``init_sheet``), list what it cannot read
(``check_sheet``), and fill the coming days with demo signups (``fill_demo``)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from .. import sheet_format as fmt
from ..model import HOURLY_ROLES, Block, Role, Signup, SignupRefused, SignupRequest
from ..sheet_format import Problem
from ..storage import Storage, TabRepair, tab_missing_message
from .queries import blocks_starting
from .reader import SheetReader
from .reading import read_sheet
from .signups import sign_up


def check_sheet(storage: Storage) -> list[Problem]:
    """Every row the site skips, and every setting it ignores, with the reason; a missing
    Signups, Schedule or Findings tab first (``tab_notes`` has what is only worth knowing)."""
    places = storage.locate_tabs([spec.title for spec in fmt.TAB_SPECS])
    missing = [
        Problem(title, 0, tab_missing_message(title) + " " + _WITHOUT[title])
        for title, place in places.items()
        if place.found_as is None and title != fmt.SETTINGS
    ]
    gone = {title for title, place in places.items() if place.found_as is None}
    problems = [p for p in read_sheet(storage).problems if not (p.row == 0 and p.tab in gone)]
    return missing + problems


# What the site does without each tab.
_WITHOUT = {
    fmt.SIGNUPS: "Until then signups are refused.",
    fmt.SCHEDULE: "Until then no hours are staffed or open.",
    fmt.FINDINGS: "Until then findings cannot be logged.",
}


def tab_notes(storage: Storage) -> list[str]:
    """What coordinators should know about the tabs without it being wrong: a tab the site
    follows under a new name, a copy of a tab (which the site ignores), Settings missing."""
    notes = []
    for title, place in storage.locate_tabs([spec.title for spec in fmt.TAB_SPECS]).items():
        if place.renamed:
            notes.append(f"The {title} tab is now called '{place.found_as}'; the site follows it.")
        for copy in place.copies:
            notes.append(
                f"Warning: the tab '{copy}' looks like a copy of the {title} tab; the site "
                f"ignores it and uses '{place.found_as or title}'. Delete or rename the copy "
                "if it is not needed, so nobody edits the wrong one."
            )
        if place.found_as is None and title == fmt.SETTINGS:
            notes.append(
                "The sheet has no Settings tab, so the defaults apply. Run "
                "`flask --app app sheet init` to add it with the defaults written out."
            )
    return notes


def init_sheet(storage: Storage) -> list[TabRepair]:
    """Create missing tabs and headers without touching existing rows."""
    return [storage.ensure_tab(spec) for spec in fmt.TAB_SPECS]


DEMO_NAMES = (
    "Amara Okafor",
    "Bruno Costa",
    "Chen Wei",
    "Dana Kowalski",
    "Elif Yılmaz",
    "Farid Haddad",
    "Greta Lindqvist",
    "Hiroshi Tanaka",
    "Isabel Ruiz",
    "Jonas Becker",
    "Kavya Iyer",
    "Liam O'Connor",
    "Mariana Silva",
    "Nadia Petrova",
    "Oluwaseun Adeyemi",
    "Priya Nair",
)

# How many people of each role a demo hour gets: one of these, picked at random.
_DEMO_PEOPLE_PER_HOUR: dict[Role, Sequence[int]] = {
    Role.HELPER: (0, 1, 1, 2, 2, 3),
    Role.ADVISOR: (0, 0, 1),
    Role.MONITOR: (0, 0, 0, 1),
}


def fill_demo(
    storage: Storage,
    now: datetime,
    days: int = 7,
    rng: random.Random | None = None,
) -> list[Signup]:
    """Sign up demo volunteers for the blocks that start in [now, now + ``days``), through
    the real rules, so the pages look lived in. Returns the signups made."""
    rng = rng or random.Random()
    reader = SheetReader(storage)
    made: list[Signup] = []
    for block in blocks_starting(reader.fresh(), now, now + timedelta(days=days)):
        people = rng.sample(DEMO_NAMES, k=min(len(DEMO_NAMES), 6))
        for role, start, hours in _demo_plan(block, rng):
            name = rng.choice(people)
            contact = f"{name.split()[0].lower()}@example.org"
            request = SignupRequest(name, contact, role, start, hours)
            try:
                made.append(sign_up(reader, request, now).signup)
            except SignupRefused:
                continue  # the rules said no (person busy, role full): that is realistic
    return made


def _demo_plan(block: Block, rng: random.Random) -> list[tuple[Role, datetime, int]]:
    """The signups to try in a block: maybe its Anchor, then some people each hour."""
    plan = [(Role.ANCHOR, block.start, 1)] if rng.random() < 0.7 else []
    for hour in block.hours:
        for role in HOURLY_ROLES:
            for _ in range(rng.choice(_DEMO_PEOPLE_PER_HOUR[role])):
                plan.append((role, hour, rng.choice((1, 1, 2))))
    return plan
