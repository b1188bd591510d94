"""Load the real site with concurrent signups for the same places, and check what the sheet holds.

Used by tests/test_concurrency.py (small, bounded runs in CI) and on its own to produce the
figures in docs/reliability.md:

    .venv/bin/python -m tests.reliability            # every scenario, a Markdown table

Each scenario serves the site with gunicorn (several worker processes, a few threads each) on
a loopback port, over the local workbook or a Google Sheet in the project's Sheets API
emulator. Volunteers are client threads that do what a browser does: open the pre-filled
form, send it, and send it again when told it was not saved (or by double-clicking). Then the
sheet is read back and every invariant is counted, not assumed.
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from sumo_sheets import services
from sumo_sheets import sheet_format as fmt
from sumo_sheets.model import HOUR, Role, Signup, week_start

log = logging.getLogger(__name__)

PROJECT = Path(__file__).resolve().parent.parent
SITE_EMAIL = "sumo-site@sumo-load.iam.gserviceaccount.com"
COORDINATOR_EMAIL = "coordinator@sumo-load.iam.gserviceaccount.com"
# Most Helpers an hour in the loaded sheet, so that Helpers race for places too.
MOST_HELPERS = 3


@dataclass
class Scenario:
    """One load run: the backend, how many processes and volunteers, and what goes wrong."""

    name: str
    backend: str  # "workbook" or "google"
    workers: int = 3
    threads: int = 8
    volunteers: int = 24
    latency_ms: int = 0
    fault_share: float = 0.0  # of Sheets calls answered 429/503 or applied with the reply lost
    coordinator: bool = False  # a coordinator sorts, inserts and deletes rows meanwhile
    columns: bool = False  # a coordinator moves, inserts and deletes columns meanwhile
    double_click_share: float = 0.25
    seed: int = 1


@dataclass
class Figures:
    """What happened, counted from the clients' answers and the sheet afterwards."""

    scenario: str
    attempted: int = 0
    accepted: int = 0
    refused: int = 0
    lost_race: int = 0
    not_saved: int = 0
    cancelled_rows: int = 0
    found_in_sheet: int = 0
    lost: int = 0
    duplicates: int = 0
    over_capacity: int = 0
    double_booked: int = 0
    refused_but_counted: int = 0
    resends: int = 0
    double_clicks: int = 0
    retries: int = 0
    writes_put_back: int = 0
    faults_injected: int = 0
    api_calls: int = 0
    coordinator_edits: int = 0
    rows_relaid: int = 0  # rows the site rewrote under headers that changed as it wrote
    misplaced: int = 0  # rows left under the wrong headers (the sheet cannot read them)
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def correct(self) -> bool:
        """Nothing lost, duplicated, over capacity, double-booked or wrongly counted."""
        return not (
            self.lost
            or self.duplicates
            or self.over_capacity
            or self.double_booked
            or self.refused_but_counted
            or self.misplaced
        )


# -- the backends --------------------------------------------------------------------------


class WorkbookBackend:
    """A fresh local workbook; the site's processes share it through its file lock."""

    def __init__(self, folder: Path) -> None:
        from sumo_sheets.storage.workbook import WorkbookStorage

        self.path = folder / "load.xlsx"
        self.storage = WorkbookStorage(self.path, new_file_tabs=fmt.TAB_SPECS)

    def env(self) -> dict[str, str]:
        return {"SUMO_WORKBOOK": str(self.path)}

    def close(self) -> None:
        pass


class GoogleBackend:
    """A Google Sheet in the emulator, owned by a coordinator and shared with the site."""

    def __init__(self, folder: Path, latency_ms: int) -> None:
        from sumo_sheets.emulator import EmulatorServer
        from sumo_sheets.emulator.client import session_hook
        from sumo_sheets.emulator.testing import emulator_gspread_client, make_service_account_info
        from sumo_sheets.storage.gsheets import GoogleSheetsStorage

        self.server = EmulatorServer(host="127.0.0.1", port=0)
        self.control = self.server.url + "/_emulator"
        site_key = folder / "site-key.json"
        site_key.write_text(json.dumps(make_service_account_info(SITE_EMAIL)))
        self.key_file = site_key
        coordinator = emulator_gspread_client(
            self.server.host_port, make_service_account_info(COORDINATOR_EMAIL)
        )
        self.spreadsheet = coordinator.create("SUMO Live Chat load test")
        self.spreadsheet.share(SITE_EMAIL, perm_type="user", role="writer", notify=False)
        self.storage = GoogleSheetsStorage(
            self.spreadsheet.id, [site_key], session_hook=session_hook(self.server.host_port)
        )
        self.latency_ms = latency_ms

    def env(self) -> dict[str, str]:
        return {
            "SUMO_SHEET_ID": self.spreadsheet.id,
            "GOOGLE_APPLICATION_CREDENTIALS": str(self.key_file),
            "SHEETS_EMULATOR_HOST": self.server.host_port,
        }

    def start_load(self) -> None:
        requests.post(self.control + "/reset", json={}, timeout=5)
        requests.post(self.control + "/latency", json={"ms": self.latency_ms}, timeout=5)

    def api_calls(self) -> int:
        counts = requests.get(self.control + "/requests", timeout=5).json()
        return counts.get("total", 0) - counts.get("oauth2.token", 0)

    def end_load(self) -> None:
        requests.delete(self.control + "/faults", timeout=5)
        requests.post(self.control + "/latency", json={"ms": 0}, timeout=5)

    def close(self) -> None:
        self.server.stop()


def prepare_sheet(storage) -> None:
    """Set the sheet up as `sheet init` does, with a maximum for Helpers so they race too."""
    services.init_sheet(storage)
    changed = storage.update_row(
        fmt.SETTINGS,
        fmt.MAXIMUM[Role.HELPER],
        {fmt.VALUE: str(MOST_HELPERS)},
        id_header=fmt.SETTING,
    )
    assert changed, "the Settings tab has no 'Most helpers an hour' row"


# -- the site under gunicorn ------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Site:
    """The real site in gunicorn worker processes, on a loopback port."""

    def __init__(self, env: dict[str, str], workers: int, threads: int, folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "gunicorn.log"
        environment = {
            **os.environ,
            **env,
            "SUMO_SECRET_KEY": "load-test-secret",
            # Short waits between retries, so faults cost seconds, not minutes.
            "SUMO_SHEETS_RETRY_WAIT": "0.05",
            "SUMO_SHEETS_RETRY_BUDGET": "8",
            "SUMO_SHEETS_TIMEOUT": "10",
            # Every simulated volunteer posts from 127.0.0.1: one address, far over the limits.
            "SUMO_RATELIMIT_ENABLED": "false",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "60",
                "--log-level",
                "warning",
                "app:app",
            ],
            cwd=PROJECT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=self.log_path.open("w"),
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gunicorn did not start: {self.log_path.read_text()[-2000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop gunicorn and its workers."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


# -- volunteers -----------------------------------------------------------------------------


@dataclass
class Plan:
    """What one volunteer signs up for."""

    number: int
    role: Role
    start: datetime
    hours: int = 1

    @property
    def name(self) -> str:
        return f"Volunteer {self.number:03d}"

    @property
    def contact(self) -> str:
        return f"v{self.number:03d}@example.org"


@dataclass
class Answer:
    """What the site finally told a volunteer, and the request key their form carried."""

    plan: Plan
    request_id: str
    outcome: str  # accepted, refused, not_saved
    signup_id: str = ""
    resends: int = 0
    double_click: bool = False
    detail: str = ""
    status: int = 0


_HIDDEN = re.compile(r'name="(csrf_token|request_id)" type="hidden" value="([^"]*)"')


def volunteer(
    site_url: str,
    plan: Plan,
    double_click: bool,
    everyone_ready: threading.Barrier | None = None,
    max_resends: int = 4,
) -> Answer:
    """Open the pre-filled form, send it (twice at once on a double click), resend if unsaved.

    With ``everyone_ready``, all volunteers open their forms first and then send them at
    the same moment, as when a coordinator posts "we need helpers Monday" and everyone clicks.
    """
    session = requests.Session()
    start = plan.start.strftime("%Y-%m-%dT%H:%MZ")
    form_page = session.get(
        f"{site_url}/signup", params={"role": plan.role.value, "start": start}, timeout=60
    )
    hidden = dict(_HIDDEN.findall(form_page.text))
    if everyone_ready is not None:
        everyone_ready.wait(timeout=120)
    if "request_id" not in hidden:
        return Answer(plan, "", "not_saved", detail=f"form page {form_page.status_code}")
    form = {
        **hidden,
        "name": plan.name,
        "contact": plan.contact,
        "role": plan.role.value,
        "start": start,
        "hours": str(plan.hours),
        "note": "",
    }

    def send() -> requests.Response:
        return session.post(f"{site_url}/signup", data=form, allow_redirects=False, timeout=60)

    resends = 0
    while True:
        if double_click:
            with ThreadPoolExecutor(2) as pool:
                replies = list(pool.map(lambda _: send(), range(2)))
        else:
            replies = [send()]
        verdicts = [_judge(session, site_url, reply) for reply in replies]
        unsaved = all(outcome == "not_saved" for outcome, _, _ in verdicts)
        if unsaved and resends < max_resends:
            resends += 1
            time.sleep(0.2 * resends)
            continue
        break
    answer = Answer(
        plan,
        hidden["request_id"],
        "not_saved",
        resends=resends,
        double_click=double_click,
        status=replies[-1].status_code,
    )
    accepted = {signup_id for outcome, signup_id, _ in verdicts if outcome == "accepted"}
    if len(accepted) > 1:
        answer.detail = f"two confirmations for one form: {sorted(accepted)}"
    for outcome in ("accepted", "refused", "not_saved"):
        match = next((v for v in verdicts if v[0] == outcome), None)
        if match:
            answer.outcome, answer.signup_id, detail = match
            answer.detail = answer.detail or detail
            answer.status = replies[verdicts.index(match)].status_code
            break
    return answer


def _judge(session: requests.Session, site_url: str, reply: requests.Response):
    """What one answer told the volunteer: (outcome, signup ID, detail)."""
    if reply.status_code == 303:
        signup_id = reply.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
        done = session.get(site_url + reply.headers["Location"], timeout=60).text
        return ("refused" if "marked cancelled" in done else "accepted", signup_id, "")
    if reply.status_code in (409, 422):
        return ("refused", "", _first_error(reply.text))
    return ("not_saved", "", f"{reply.status_code}: {_first_error(reply.text)}")


def _first_error(page: str) -> str:
    match = re.search(r'<p class="error"[^>]*>(.*?)</p>|<p>(.*?)</p>', page, re.S)
    return html.unescape(next(g for g in match.groups() if g)) if match else ""


def plans_for(monday: datetime, count: int, rng: random.Random) -> list[Plan]:
    """Volunteers crowding into one block: Anchors for it, Room monitors and Helpers at 14:00."""
    block_start = monday + timedelta(hours=14)  # the default schedule's Monday 14:00-16:00
    choices = [
        (Role.ANCHOR, block_start, 2),
        (Role.MONITOR, block_start, 1),
        (Role.HELPER, block_start, 1),
        (Role.HELPER, block_start, 2),
        (Role.ADVISOR, block_start + HOUR, 1),
    ]
    plans = []
    for number in range(count):
        role, start, hours = rng.choice(choices)
        plans.append(Plan(number, role, start, hours))
    return plans


# -- faults and a coordinator at work ---------------------------------------------------------


class FaultInjector(threading.Thread):
    """Keeps a share of the emulator's Sheets calls failing: 429, 503, or a lost reply."""

    def __init__(self, backend: GoogleBackend, share: float, rng: random.Random) -> None:
        super().__init__(daemon=True)
        self.backend, self.share, self.rng = backend, share, rng
        self.stopped = threading.Event()
        self.injected = 0

    def run(self) -> None:
        seen = self.backend.api_calls()
        while not self.stopped.wait(0.02):
            calls = self.backend.api_calls()
            owed = (calls - seen) * self.share
            while owed >= 1 or (owed > 0 and self.rng.random() < owed):
                owed -= 1
                kind = self.rng.choice(("429", "503", "drop"))
                body = (
                    {"count": 1, "drop_after_apply": True, "method": "spreadsheets.values.append"}
                    if kind == "drop"
                    else {"count": 1, "status": int(kind)}
                )
                requests.post(self.backend.control + "/faults", json=body, timeout=5)
                self.injected += 1
            seen = calls


class Coordinator(threading.Thread):
    """A coordinator reorganising the Signups tab while volunteers sign up."""

    def __init__(self, backend: GoogleBackend, rng: random.Random) -> None:
        super().__init__(daemon=True)
        self.backend, self.rng = backend, rng
        self.stopped = threading.Event()
        self.edits = 0
        self.errors: list[str] = []
        # Taken before any fault is injected; a coordinator's tab stays open in the browser.
        self.tab = backend.spreadsheet.worksheet(fmt.SIGNUPS)

    def run(self) -> None:
        from gspread.exceptions import APIError

        tab = self.tab
        # Far busier than a person (who sorts a few times a day), yet at a human pace.
        while not self.stopped.wait(self.rng.uniform(0.2, 0.4)):
            action = self.rng.choice(("sort", "insert", "delete_blank"))
            try:
                size = len(tab.get_all_values())
                if action == "sort" and size > 2:
                    tab.sort((2, self.rng.choice(("asc", "des"))), range=f"A2:L{size}")
                elif action == "insert":
                    tab.insert_rows([[], []], row=2)
                elif action == "delete_blank":
                    # Only the blank row just under the header: appends land below the last
                    # filled row, so this one cannot turn into a signup before the delete.
                    rows = tab.get_all_values()
                    if len(rows) > 2 and not any(rows[1]) and any(any(r) for r in rows[2:]):
                        tab.delete_rows(2)
                self.edits += 1
            except (APIError, requests.RequestException) as error:  # faults hit us too
                self.errors.append(str(error))


class ColumnCoordinator(Coordinator):
    """A coordinator restructuring the Signups columns while volunteers sign up: moving
    any column (the site's too), inserting a column of their own, deleting one of theirs."""

    def run(self) -> None:
        from gspread.exceptions import APIError

        tab, spreadsheet = self.tab, self.backend.spreadsheet
        while not self.stopped.wait(self.rng.uniform(0.2, 0.4)):
            try:
                header = tab.row_values(1)
                span = {"sheetId": tab.id, "dimension": "COLUMNS"}
                own = [i for i, name in enumerate(header) if name not in fmt.SIGNUP_HEADERS]
                action = self.rng.choice(("move", "insert", "delete_own" if own else "move"))
                if action == "move":
                    source = self.rng.randrange(len(header))
                    move = {
                        "source": {**span, "startIndex": source, "endIndex": source + 1},
                        "destinationIndex": self.rng.randrange(len(header) + 1),
                    }
                    request = {"moveDimension": move}
                elif action == "insert":
                    at = self.rng.randrange(len(header) + 1)
                    span = {**span, "startIndex": at, "endIndex": at + 1}
                    spreadsheet.batch_update({"requests": [{"insertDimension": {"range": span}}]})
                    tab.update_cell(1, at + 1, f"Coordinator notes {self.edits}")
                    self.edits += 1
                    continue
                else:
                    at = self.rng.choice(own)
                    span = {**span, "startIndex": at, "endIndex": at + 1}
                    request = {"deleteDimension": {"range": span}}
                spreadsheet.batch_update({"requests": [request]})
                self.edits += 1
            except (APIError, requests.RequestException) as error:  # faults hit us too
                self.errors.append(str(error))


# -- one run ----------------------------------------------------------------------------------


def run(scenario: Scenario, folder: Path) -> Figures:
    """Run a scenario from a fresh sheet and count what the sheet holds afterwards."""
    rng = random.Random(scenario.seed)
    figures = Figures(scenario.name)
    backend = (
        WorkbookBackend(folder)
        if scenario.backend == "workbook"
        else GoogleBackend(folder, scenario.latency_ms)
    )
    try:
        prepare_sheet(backend.storage)
        today = datetime.now(UTC)
        monday = datetime.combine(
            week_start(today.date()) + timedelta(days=7), datetime.min.time(), tzinfo=UTC
        )
        plans = plans_for(monday, scenario.volunteers, rng)
        clicks = [rng.random() < scenario.double_click_share for _ in plans]
        site = Site(backend.env(), scenario.workers, scenario.threads, folder)
        helpers: list[threading.Thread] = []
        try:
            if isinstance(backend, GoogleBackend):
                backend.start_load()
                if scenario.fault_share:
                    helpers.append(FaultInjector(backend, scenario.fault_share, rng))
                if scenario.coordinator:
                    helpers.append(Coordinator(backend, random.Random(scenario.seed + 1)))
                if scenario.columns:
                    helpers.append(ColumnCoordinator(backend, random.Random(scenario.seed + 2)))
            for helper in helpers:
                helper.start()
            began = time.monotonic()
            ready = threading.Barrier(len(plans))
            with ThreadPoolExecutor(len(plans)) as pool:
                answers = list(
                    pool.map(
                        volunteer, [site.url] * len(plans), plans, clicks, [ready] * len(plans)
                    )
                )
            figures.seconds = round(time.monotonic() - began, 2)
        finally:
            for helper in helpers:
                helper.stopped.set()
                helper.join(timeout=10)
            if isinstance(backend, GoogleBackend):
                figures.api_calls = backend.api_calls()
                backend.end_load()
            site.stop()
            server_log = site.log_path.read_text(errors="replace")
            # The site logs each retry and each write a moving row made it put back.
            figures.retries = server_log.count("; retrying in ") + server_log.count(
                "signup write: attempt"
            )
            figures.writes_put_back = server_log.count("changed under the write")
            figures.rows_relaid = server_log.count("rewriting the row under the headers")
        for helper in helpers:
            if isinstance(helper, FaultInjector):
                figures.faults_injected = helper.injected
            if isinstance(helper, Coordinator):  # a ColumnCoordinator too
                figures.coordinator_edits = helper.edits
        data = services.read_sheet(backend.storage)
        count(figures, answers, data.signups, data.settings)
        # Nobody types rows here: a Signups row the site cannot read is under the wrong headers.
        misplaced = [
            p for p in data.problems if p.tab == fmt.SIGNUPS and "does not count" not in p.message
        ]
        figures.misplaced = len(misplaced)
        figures.problems += [f"row {p.row}: {p.message}" for p in misplaced]
    finally:
        backend.close()
    return figures


def count(figures: Figures, answers: list[Answer], rows: list[Signup], settings) -> None:
    """Check every invariant against the sheet, counting each breach."""
    figures.attempted = len(answers)
    confirmed = [s for s in rows if s.confirmed]
    # Nobody cancels by hand here: every cancelled row lost a race and was withdrawn.
    figures.cancelled_rows = len(rows) - len(confirmed)
    by_request = Counter(s.request_id for s in confirmed if s.request_id)
    for answer in answers:
        figures.resends += answer.resends
        figures.double_clicks += answer.double_click
        if answer.detail.startswith("two confirmations"):
            figures.problems.append(answer.detail)
            figures.duplicates += 1
        held = by_request.get(answer.request_id, 0)
        if answer.outcome == "accepted":
            figures.accepted += 1
            if held == 1 and any(s.id == answer.signup_id for s in confirmed):
                figures.found_in_sheet += 1
            else:
                figures.lost += 1
                figures.problems.append(f"accepted {answer.signup_id} is not confirmed once")
        else:
            figures.refused += answer.outcome == "refused"
            figures.lost_race += answer.status == 409
            figures.not_saved += answer.outcome == "not_saved"
            if held:
                figures.refused_but_counted += 1
                figures.problems.append(
                    f"{answer.outcome} {answer.plan.name} counts in the sheet ({answer.detail})"
                )
    figures.duplicates += sum(n - 1 for n in by_request.values() if n > 1)
    maximum = {**settings.maximum, Role.ANCHOR: 1}
    hours = {h for s in confirmed for h in _hours(s)}
    for hour in hours:
        for role, most in maximum.items():
            if most is None:
                continue
            taken = sum(1 for s in confirmed if s.role is role and hour in _hours(s))
            if taken > most:
                figures.over_capacity += taken - most
                figures.problems.append(f"{taken} {role.plural} at {hour:%a %H:%M} (most {most})")
    by_contact: dict[str, list[Signup]] = {}
    for signup in confirmed:
        by_contact.setdefault(signup.contact_key, []).append(signup)
    for signups in by_contact.values():
        for index, first in enumerate(signups):
            if any(first.overlaps(o.start, o.end) for o in signups[index + 1 :]):
                figures.double_booked += 1


def _hours(signup: Signup) -> list[datetime]:
    hours, at = [], signup.start
    while at < signup.end:
        hours.append(at)
        at += HOUR
    return hours


SCENARIOS = (
    Scenario("workbook: 3 processes x 8 threads, 40 volunteers", "workbook", volunteers=40),
    Scenario(
        "Google (emulator, 50 ms a call): 3 processes, 40 volunteers",
        "google",
        volunteers=40,
        latency_ms=50,
    ),
    Scenario(
        "Google + 15% faults (429, 503, lost append replies)",
        "google",
        volunteers=40,
        latency_ms=50,
        fault_share=0.15,
    ),
    Scenario(
        "Google + a coordinator sorting, inserting and deleting rows",
        "google",
        volunteers=40,
        latency_ms=50,
        coordinator=True,
        # Double clicks during sorts have the known limit in docs/reliability.md (a brief
        # wrong "cancelled"); they are staged deterministically in test_signup_races.py.
        double_click_share=0.0,
    ),
    Scenario(
        "Google, default 5 s read cache + a coordinator moving, inserting and deleting columns",
        "google",
        volunteers=40,
        latency_ms=50,
        columns=True,
    ),
    # Not run by the tests (they take the first scenario matching their words): all at once.
    Scenario(
        "everything at once: 4 processes, 80 volunteers, 200 ms a call, 20% faults, coordinator",
        "google",
        workers=4,
        volunteers=80,
        latency_ms=200,
        fault_share=0.2,
        coordinator=True,
    ),
)

COLUMNS = (
    ("attempted", "attempted"),
    ("accepted", "accepted"),
    ("refused", "refused"),
    ("lost_race", "of which lost a race (409)"),
    ("not_saved", "not saved"),
    ("cancelled_rows", "rows withdrawn after losing a race"),
    ("found_in_sheet", "found in sheet"),
    ("lost", "lost"),
    ("duplicates", "duplicates"),
    ("over_capacity", "over capacity"),
    ("double_booked", "double-booked"),
    ("refused_but_counted", "refused but counted"),
    ("double_clicks", "double clicks"),
    ("resends", "resends after 503"),
    ("retries", "retries by the site"),
    ("writes_put_back", "updates put back after a row moved"),
    ("faults_injected", "faults injected"),
    ("api_calls", "Sheets API calls"),
    ("coordinator_edits", "coordinator edits"),
    ("rows_relaid", "rows put under changed headers"),
    ("misplaced", "rows left under wrong headers"),
    ("seconds", "seconds"),
)


def table(results: list[Figures]) -> str:
    """The figures as a Markdown table, one row per scenario."""
    lines = [
        "| scenario | " + " | ".join(title for _, title in COLUMNS) + " |",
        "|---|" + "---:|" * len(COLUMNS),
    ]
    for figures in results:
        values = asdict(figures)
        lines.append(
            f"| {figures.scenario} | " + " | ".join(str(values[key]) for key, _ in COLUMNS) + " |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run every scenario (or those named) and print the table; exit 1 if any is incorrect."""
    import tempfile

    parser = argparse.ArgumentParser(prog="python -m tests.reliability")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", help="run scenarios whose name contains this text")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    results = []
    for scenario in SCENARIOS:
        if args.only and args.only.lower() not in scenario.name.lower():
            continue
        scenario.seed = args.seed
        with tempfile.TemporaryDirectory() as folder:
            results.append(run(scenario, Path(folder)))
    sys.stdout.write(table(results) + "\n")
    for figures in results:
        for problem in figures.problems:
            sys.stdout.write(f"- {figures.scenario}: {problem}\n")
    return 0 if all(f.correct for f in results) else 1


if __name__ == "__main__":
    sys.exit(main())
