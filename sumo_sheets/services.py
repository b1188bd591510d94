"""Use cases: read the sheet, show a week, sign up, cancel, check and set up the sheet.

Each takes a storage object that honours the contract in ``storage``; none knows which
backend it is, and none imports Flask.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from . import sheet_format as fmt
from .model import (
    HOURLY_ROLES,
    Block,
    BlockView,
    Role,
    ScheduleEntry,
    Settings,
    Signup,
    SignupRefused,
    SignupRequest,
    blocks_for_week,
    build_block_views,
    check_signup,
    week_start,
)
from .sheet_format import Problem
from .storage import Storage, TabRepair

log = logging.getLogger(__name__)

_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: IDs get read aloud


@dataclass
class SheetData:
    """Everything the site reads from the sheet, parsed, with what it had to skip."""

    schedule: list[ScheduleEntry]
    settings: Settings
    signups: list[Signup]
    signup_header: list[str]
    problems: list[Problem] = field(default_factory=list)

    def blocks_for(self, monday: date) -> list[Block]:
        """The schedule placed on the week that starts on ``monday`` (in the sheet's zone)."""
        return blocks_for_week(self.schedule, monday, self.settings.time_zone)

    def blocks_near(self, moment: datetime) -> list[Block]:
        """Blocks of the weeks around a moment: a UTC hour can fall in a neighbouring local week."""
        monday = week_start(moment.astimezone(self.settings.time_zone).date())
        return [
            block
            for offset in (-7, 0, 7)
            for block in self.blocks_for(monday + timedelta(days=offset))
        ]


def read_sheet(storage: Storage) -> SheetData:
    """Read all three tabs in one call and parse them."""
    grids = storage.read_tabs(fmt.TAB_TITLES)
    schedule, schedule_problems = fmt.parse_schedule(grids[fmt.SCHEDULE])
    settings, settings_problems = fmt.parse_settings(grids[fmt.SETTINGS])
    signups, signup_problems = fmt.parse_signups(grids[fmt.SIGNUPS])
    signup_grid = grids[fmt.SIGNUPS]
    return SheetData(
        schedule=schedule,
        settings=settings,
        signups=signups,
        signup_header=list(signup_grid[0]) if signup_grid else [],
        problems=schedule_problems + settings_problems + signup_problems,
    )


@dataclass
class DayView:
    """One day of the week in the schedule's zone, with its blocks (maybe none)."""

    day: date
    blocks: list[BlockView]


@dataclass
class WeekView:
    """A Monday-to-Sunday week as the schedule page and the API show it."""

    monday: date
    days: list[DayView]
    settings: Settings
    problems: list[Problem]

    @property
    def previous_monday(self) -> date:
        """The Monday before."""
        return self.monday - timedelta(days=7)

    @property
    def next_monday(self) -> date:
        """The Monday after."""
        return self.monday + timedelta(days=7)


def week_view(storage: Storage, monday: date, now: datetime) -> WeekView:
    """Who is on, what is wanted and how well covered, for every staffed hour of a week."""
    data = read_sheet(storage)
    blocks = data.blocks_for(monday)
    views = build_block_views(blocks, data.signups, data.settings, now)
    days = [
        DayView(day, [v for v in views if v.block.local_day == day])
        for day in (monday + timedelta(days=n) for n in range(7))
    ]
    return WeekView(monday, days, data.settings, data.problems)


def open_hours(data: SheetData, monday: date, now: datetime, weeks: int = 2) -> list[Block]:
    """Staffed blocks that have not ended, from the week of ``monday`` on, for the form's list."""
    return [
        block
        for n in range(weeks)
        for block in data.blocks_for(monday + timedelta(days=7 * n))
        if block.end > now
    ]


def new_signup_id(taken: set[str]) -> str:
    """A short random ID, unique in the sheet, that a coordinator can read out."""
    while True:
        candidate = "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))
        if candidate not in taken:
            return candidate


def sign_up(
    storage: Storage, request: SignupRequest, now: datetime, data: SheetData | None = None
) -> Signup:
    """Check a request against the rules and the sheet as it is now, then append it.

    ``data`` may be a read made moments ago in the same request, saving a second read.
    """
    data = data or read_sheet(storage)
    start, end = check_signup(
        request, data.blocks_near(request.start), data.signups, data.settings, now
    )
    header = data.signup_header
    if fmt.missing_headers(header, fmt.SIGNUP_HEADERS):
        # A coordinator removed one of our columns (or the tab): put it back before writing.
        storage.ensure_tab(fmt.TAB_SPECS[0])
        header = storage.read_tabs([fmt.SIGNUPS])[fmt.SIGNUPS][0]
    signup = Signup(
        id=new_signup_id({s.id for s in data.signups}),
        name=request.name.strip(),
        contact=request.contact.strip(),
        role=request.role,
        start=start,
        end=end,
        signed_up_at=now,
        notes=request.notes.strip(),
    )
    storage.append_rows(fmt.SIGNUPS, [fmt.signup_row(header, signup)])
    log.info("signup %s: %s for %s hour(s)", signup.id, signup.role.value, signup.hours)
    return signup


def find_signup(storage: Storage, signup_id: str) -> Signup | None:
    """The signup with this ID, as the sheet holds it now."""
    if not signup_id:
        return None
    return next((s for s in read_sheet(storage).signups if s.id == signup_id), None)


def cancel_signup(storage: Storage, signup_id: str) -> bool:
    """Mark a signup cancelled, touching only its Status cell; False if no row has that ID."""
    return storage.update_row(fmt.SIGNUPS, signup_id, {fmt.STATUS: fmt.CANCELLED})


def check_sheet(storage: Storage) -> list[Problem]:
    """Every row the site skips, and every setting it ignores, with the reason."""
    return read_sheet(storage).problems


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


def fill_demo(
    storage: Storage,
    monday: date,
    now: datetime,
    rng: random.Random | None = None,
) -> list[Signup]:
    """Sign up demo volunteers across a week, through the real rules, so the page looks lived in."""
    rng = rng or random.Random()
    blocks = read_sheet(storage).blocks_for(monday)
    # Sign up as if the week had not begun, so today's earlier hours get people too.
    as_of = min([now, *(block.start for block in blocks)])
    made: list[Signup] = []
    for block in blocks:
        people = rng.sample(DEMO_NAMES, k=min(len(DEMO_NAMES), 6))
        plan: list[tuple[Role, datetime, int]] = []
        if rng.random() < 0.7:
            plan.append((Role.ANCHOR, block.start, 1))
        for hour in block.hours:
            for role in HOURLY_ROLES:
                for _ in range(rng.choice(_DEMO_PEOPLE_PER_HOUR[role])):
                    plan.append((role, hour, rng.choice((1, 1, 2))))
        for role, start, hours in plan:
            name = rng.choice(people)
            contact = f"{name.split()[0].lower()}@example.org"
            request = SignupRequest(name, contact, role, start, hours)
            try:
                made.append(sign_up(storage, request, as_of))
            except SignupRefused:
                continue  # the rules said no (person busy, role full): that is realistic
    return made


_DEMO_PEOPLE_PER_HOUR: dict[Role, Sequence[int]] = {
    Role.HELPER: (0, 1, 1, 2, 2, 3),
    Role.ADVISOR: (0, 0, 1),
    Role.MONITOR: (0, 0, 0, 1),
}
