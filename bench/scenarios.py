"""The load scenarios: each app under gunicorn, the same load, counted by client and emulator."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sumo_sheets.emulator.testing import make_service_account_info
from tests.reliability import SITE_EMAIL

from . import load, sheet
from .servers import NAIVE_APP, SITE_APP, Emulator, Gunicorn, Redis, redis_server_path

log = logging.getLogger(__name__)

# Signups already in the sheet: about five an hour over this week and next, as in a busy
# fortnight of Live Chat.
SEEDED_ROWS = 300
SEEDED_WEEKS = 2


@dataclass(frozen=True)
class Scenario:
    """One row of the table: which app, how it is served, what else runs beside it."""

    name: str
    app: str
    workers: int
    threads: int
    redis: bool = False
    quotas: bool = True
    reference: bool = False  # shown for context; not the baseline of any ratio

    @property
    def naive(self) -> bool:
        """The tutorial app rather than the site."""
        return self.app == NAIVE_APP


SCENARIOS = (
    Scenario("naive app, gunicorn 4 workers", NAIVE_APP, workers=4, threads=1),
    Scenario(
        "naive app, quotas off (reference)",
        NAIVE_APP,
        workers=4,
        threads=1,
        quotas=False,
        reference=True,
    ),
    Scenario("site, 1 worker x 8 threads", SITE_APP, workers=1, threads=8),
    Scenario("site, 4 workers x 8 threads", SITE_APP, workers=4, threads=8),
    Scenario("site, 4 workers x 8 threads + Redis", SITE_APP, workers=4, threads=8, redis=True),
)


@dataclass
class LoadSettings:
    """The load every scenario gets, the same for all in one run."""

    clients: int = 16
    warmup_seconds: float = 3.0
    seconds: float = 15.0
    signups: int = 10
    latency_ms: int = 200


@dataclass
class Outcome:
    """Everything measured for one scenario."""

    scenario: Scenario
    page_load: load.PageLoad | None = None
    page_calls: dict[str, int] = field(default_factory=dict)
    signups: list[load.SignupResult] = field(default_factory=list)
    upstream_429: int = 0  # 429s the site got from the API and retried (from its log)
    redis_stats: dict[str, int] | None = None
    skipped: str = ""  # why the scenario did not run

    @property
    def reads_per_page_view(self) -> float:
        """Sheets read calls per page answered, during the measured run."""
        reads = sum(self.page_calls.get(m, 0) for m in load.READ_METHODS)
        views = self.page_load.responses if self.page_load else 0
        return reads / views if views else float("nan")

    def signup_calls(self) -> list[int]:
        """Sheets API calls of each successful signup's POST."""
        return [s.total_calls for s in self.signups if s.succeeded]


def _key_file(folder: Path) -> Path:
    """The site's service-account key (the emulator does not check its signature)."""
    path = folder / "site-key.json"
    if not path.exists():
        path.write_text(json.dumps(make_service_account_info(SITE_EMAIL)))
    return path


def run(scenario: Scenario, emulator: Emulator, settings: LoadSettings, folder: Path) -> Outcome:
    """Serve the scenario's app on a fresh seeded sheet, load it, then sign up, and count."""
    outcome = Outcome(scenario)
    executable = redis_server_path()
    if scenario.redis and executable is None:
        outcome.skipped = "redis-server is not installed"
        log.warning("skipping %r: %s", scenario.name, outcome.skipped)
        return outcome
    monday = sheet.this_monday()
    rows = sheet.signups(SEEDED_ROWS, monday, SEEDED_WEEKS)
    sheet_id = emulator.create_sheet(sheet.grids(rows)[sheet.fmt.SIGNUPS])
    env = {
        "SUMO_SHEET_ID": sheet_id,
        "GOOGLE_APPLICATION_CREDENTIALS": str(_key_file(folder)),
        "SHEETS_EMULATOR_HOST": emulator.host_port,
        "SUMO_SECRET_KEY": "bench-secret-0123456789",
        # Blank unless this row has Redis, whatever the caller's environment says.
        "SUMO_REDIS_URL": "",
    }
    emulator.quotas(scenario.quotas)
    redis = server = None
    try:
        if scenario.redis:
            redis = Redis(executable, folder)
            env["SUMO_REDIS_URL"] = redis.url
        emulator.reset()
        server = Gunicorn(scenario.app, env, scenario.workers, scenario.threads, folder)
        log.info("%s: warming up for %.0f s", scenario.name, settings.warmup_seconds)
        load.page_load(server.url, settings.clients, settings.warmup_seconds)
        # Steady load from here: counters and quota usage start from zero.
        emulator.reset()
        log.info("%s: measuring for %.0f s", scenario.name, settings.seconds)
        outcome.page_load = load.page_load(server.url, settings.clients, settings.seconds)
        outcome.page_calls = emulator.counts()
        # The signups run on their own, with fresh quota: the happy path's cost alone.
        emulator.reset()
        plans = load.signup_plans(monday + timedelta(weeks=SEEDED_WEEKS), settings.signups)
        outcome.signups = load.signups(
            server.url, plans, emulator.counts, with_form=not scenario.naive
        )
        if redis is not None:
            outcome.redis_stats = redis.stats()
    finally:
        if server is not None:
            server.stop()
            outcome.upstream_429 = len(re.findall(r"failed \(429\)", server.log_text()))
        if redis is not None:
            redis.stop()
    return outcome
