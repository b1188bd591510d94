"""Attack: capacity when the confirming read fails.

Ten volunteers sign up at once for one hour's two Room monitor places while Google answers
429 to the reads that would confirm their rows. Before the fix all ten rows stayed
confirmed and every page counted them. Now the first rows in sheet order hold the places,
no reader counts the rest, and the next successful read withdraws the site's own rows that
could not be confirmed.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import requests

from sumo_sheets import create_app, services
from sumo_sheets import sheet_format as fmt
from sumo_sheets.model import Role, Settings, Signup, holding_places
from sumo_sheets.services import UncertainLedger
from sumo_sheets.storage.workbook import WorkbookStorage

from .smtp import body_text
from .smtp import smtp_server_fixture as smtp_server_fixture  # noqa: F401 (the fixture)
from .support import NOW, contact_token, drain_mail, page_text

MONDAY_14 = datetime(2026, 11, 30, 14, tzinfo=UTC)
WEEK = "2026-W49"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, at: datetime = NOW) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def row(name: str, row_number: int, role: Role = Role.MONITOR, **extra) -> Signup:
    start = extra.pop("start", MONDAY_14)
    return Signup(
        name=name,
        contact=f"{name.split()[0].lower()}@example.org",
        role=role,
        start=start,
        end=start + timedelta(hours=extra.pop("hours", 1)),
        row=row_number,
        **extra,
    )


def schedule():
    spec = fmt.TAB_SPECS[1]
    return fmt.parse_schedule([list(spec.headers), *map(list, spec.seed_rows)])[0]


# -- the rule: the first confirmed rows in sheet order hold the places ---------------------


def test_the_first_confirmed_rows_in_sheet_order_hold_the_places():
    rows = [
        row("Dee", 9),  # listed first, but lowest in the sheet
        row("Ann", 2),
        row("Cat", 4, cancelled=True),  # a cancelled row holds nothing
        row("Bo", 5),
        row("Eve", 7, start=MONDAY_14 + timedelta(hours=1)),
        row("Fay", 8, hours=2),  # 14:00 is full, so the whole row does not fit
    ]
    holding, over = holding_places(rows, schedule(), Settings())
    assert sorted(s.name for s in holding) == ["Ann", "Bo", "Eve"]
    assert [(o.signup.name, o.signup.row) for o in over] == [("Fay", 8), ("Dee", 9)]
    assert over[0].reason.startswith("Room monitors are full at 14:00 UTC (at most 2 an hour)")


def test_the_first_anchor_row_overlapping_a_block_holds_it():
    rows = [row("Ann", 3, Role.ANCHOR, hours=2), row("Bo", 2, Role.ANCHOR, hours=2)]
    holding, over = holding_places(rows, schedule(), Settings())
    assert [s.name for s in holding] == ["Bo"]
    assert [o.signup.name for o in over] == ["Ann"]


def test_a_role_without_a_maximum_takes_everyone():
    rows = [row(f"H{n}", n + 2, Role.HELPER) for n in range(12)]
    holding, over = holding_places(rows, schedule(), Settings())
    assert len(holding) == 12 and over == []


# -- every reader counts only the rows that hold places ------------------------------------


@pytest.fixture
def workbook(tmp_path):
    storage = WorkbookStorage(tmp_path / "capacity.xlsx", new_file_tabs=fmt.TAB_SPECS)
    services.init_sheet(storage)
    return storage


def type_rows(storage, *signups: Signup) -> None:
    """Rows as a coordinator types them (or as a lost race leaves them): all confirmed."""
    header = storage.read_tabs([fmt.SIGNUPS])[fmt.SIGNUPS][0]
    storage.append_rows(fmt.SIGNUPS, [fmt.signup_row(header, s) for s in signups])


def test_rows_over_the_maximum_count_nowhere_and_are_reported(workbook, tmp_path):
    type_rows(workbook, *(row(name, 0) for name in ("Ann Keep", "Bo Keep", "Cy Over", "Di Over")))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "WTF_CSRF_ENABLED": False,
            "WORKBOOK": str(workbook.path),
            "CLOCK": lambda: NOW,
            "RUN_STATE_FOLDER": str(tmp_path / "state"),
        }
    )
    client = app.test_client()

    data = services.read_sheet(workbook)
    assert [s.name for s in data.signups if s.confirmed] == ["Ann Keep", "Bo Keep"]
    assert [p.row for p in data.problems] == [4, 5]
    assert str(data.problems[0]) == (
        "Signups row 4: Room monitors are full at 14:00 UTC (at most 2 an hour), so this row "
        "does not count. Raise 'Most room monitors an hour' in Settings or cancel a row."
    )

    page = page_text(client.get(f"/?week={WEEK}"))
    assert "Ann Keep" in page and "Bo Keep" in page
    assert "Cy Over" not in page and "Di Over" not in page
    assert "2 row(s) in the sheet could not be read" in page
    api = client.get(f"/api/week?week={WEEK}").get_json()
    slot = api["blocks"][0]["slots"][0]
    assert slot["roles"]["monitor"]["names"] == ["Ann Keep", "Bo Keep"]
    assert api["skipped_rows"] == 2
    hours = page_text(client.get(f"/hours?week={WEEK}"))
    assert "Bo Keep" in hours and "Cy Over" not in hours and "Di Over" not in hours
    schedule_feed = client.get("/schedule.ics").get_data(as_text=True).replace("\r\n ", "")
    assert "Bo Keep" in schedule_feed and "Cy Over" not in schedule_feed
    result = app.test_cli_runner().invoke(args=["sheet", "check"])
    assert "Signups row 5: Room monitors are full at 14:00 UTC" in result.output
    # The rules count the two rows that hold places: a fifth monitor is still refused.
    form = {
        "name": "Eve",
        "contact": "eve@example.org",
        "role": "monitor",
        "start": "2026-11-30T14:00Z",
        "hours": "1",
    }
    assert "full" in client.post("/signup", data=form).get_data(as_text=True)
    # Cy, over the maximum, is free to take another role at that hour.
    cy = {**form, "name": "Cy Over", "contact": "cy@example.org", "role": "helper"}
    assert client.post("/signup", data=cy).status_code == 303


def test_old_rows_over_a_lowered_maximum_are_reported_but_never_withdrawn(workbook, tmp_path):
    old = NOW - timedelta(hours=3)
    type_rows(
        workbook,
        *(row(name, 0, id=f"ID{name}", signed_up_at=old, request_id=name * 4) for name in "ABC"),
    )
    clock = Clock(NOW)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "WORKBOOK": str(workbook.path),
            "CLOCK": clock,
            "RUN_STATE_FOLDER": str(tmp_path / "state"),
        }
    )
    reader = app.extensions["sumo_reader"]
    reader.fresh()
    reader.settler.wait()
    rows = services.read_sheet(workbook).signups
    assert [s.cancelled for s in rows] == [False, False, False]
    assert [s.over_maximum for s in rows] == [False, False, True]


# -- the attack: ten signups for two places while the confirming reads fail ------------------


def control(emulator, path: str, body: dict | None = None, method: str = "POST") -> None:
    requests.request(method, f"{emulator.url}/_emulator/{path}", json=body, timeout=5)


@pytest.fixture(autouse=True)
def clean_emulator(request):
    if "emulator" not in request.fixturenames:
        yield
        return
    emulator = request.getfixturevalue("emulator")
    control(emulator, "reset", {})
    yield
    control(emulator, "faults", method="DELETE")
    control(emulator, "reset", {})


class AppendsTogether:
    """The site's Google backend, with every signup's append held until all ten are ready.

    When they are, the emulator starts answering 429 to every read: the ten early checks
    have all passed on a sheet with no monitors, and no confirming read will get through.
    """

    def __init__(self, inner, parties: int, on_all_ready) -> None:
        self.inner = inner
        self.barrier = threading.Barrier(parties, action=on_all_ready, timeout=60)

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def append_rows(self, title, rows):
        if title == fmt.SIGNUPS:
            self.barrier.wait()
        return self.inner.append_rows(title, rows)


def monitor_form(n: int) -> dict:
    return {
        "name": f"Volunteer {n}",
        "contact": f"v{n}@example.org",
        "role": "monitor",
        "start": "2026-11-30T14:00Z",
        "hours": "1",
    }


@pytest.mark.parametrize("cache", ["default cache", "cache off"])
def test_ten_signups_whose_confirming_reads_fail_never_count_past_the_maximum(
    cache, emulator, google_config, google_storage, tmp_path
):
    from sumo_sheets.emulator.client import session_hook
    from sumo_sheets.storage.gsheets import GoogleSheetsStorage

    config = dict(google_config)
    if cache == "default cache":
        del config["SHEET_CACHE_SECONDS"]  # 5 s on Google
    clock = Clock(NOW)
    services.init_sheet(google_storage)
    inner = GoogleSheetsStorage(
        config["SHEET_ID"],
        credentials_files=config["CREDENTIALS_FILES"],
        session_hook=session_hook(emulator.host_port),
        retry_attempts=2,
        retry_wait=0.01,
        retry_budget=1.0,
    )

    def reads_fail() -> None:
        for method in ("spreadsheets.values.batchGet", "spreadsheets.get"):
            control(emulator, "faults", {"count": 100000, "status": 429, "method": method})

    storage = AppendsTogether(inner, 10, reads_fail)
    app = create_app(
        {**config, "CLOCK": clock, "RUN_STATE_FOLDER": str(tmp_path / "state")}, storage=storage
    )
    settled: list[tuple[str, bool]] = []
    app.extensions["sumo_settler"].on_settled = lambda s, kept: settled.append((s.name, kept))
    app.test_client().get(f"/?week={WEEK}")  # warm

    statuses: list[int] = []

    def volunteer(n: int) -> None:
        statuses.append(app.test_client().post("/signup", data=monitor_form(n)).status_code)

    threads = [threading.Thread(target=volunteer, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(statuses) == [503] * 10  # each was told it could not be confirmed

    def monitors_counted(client) -> tuple[int, int]:
        api = client.get(f"/api/week?week={WEEK}").get_json()
        names = api["blocks"][0]["slots"][0]["roles"]["monitor"]["names"]
        page = page_text(client.get(f"/?week={WEEK}"))
        return len(names), sum(page.count(f"Volunteer {n}") for n in range(10))

    client = app.test_client()
    # While reads fail, pages show the last good copy: nobody past the maximum.
    assert max(monitors_counted(client)) <= 2

    control(emulator, "faults", method="DELETE")
    raw = services.read_sheet(google_storage)
    assert len(raw.signups) == 10  # all ten rows landed, all marked confirmed
    assert sum(s.confirmed for s in raw.signups) == 2  # but only two hold places
    assert len(raw.problems) == 8
    reader = app.extensions["sumo_reader"]
    reader.invalidate()
    assert max(monitors_counted(client)) == 2
    reader.settler.wait()
    # Within the grace period the rows are left to the processes still confirming them.
    assert sum(not s.cancelled for s in services.read_sheet(google_storage).signups) == 10
    assert sorted(kept for _, kept in settled) == [True, True]

    clock.at = NOW + timedelta(minutes=2)
    reader.fresh()  # the next successful read, however it comes
    reader.settler.wait()
    after = services.read_sheet(google_storage).signups
    assert [s.name for s in after if not s.cancelled] == [s.name for s in raw.signups][:2]
    assert sum(s.cancelled for s in after) == 8
    assert sorted(kept for _, kept in settled) == [False] * 8 + [True] * 2
    assert max(monitors_counted(client)) == 2
    # Settled once: further reads withdraw nothing and tell nobody again.
    reader.fresh()
    reader.settler.wait()
    assert len(settled) == 10


def test_settling_runs_once_per_new_content_and_off_the_page_views(workbook, tmp_path):
    clock = Clock(NOW)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "WORKBOOK": str(workbook.path),
            "CLOCK": clock,
            "RUN_STATE_FOLDER": str(tmp_path / "state"),
        }
    )
    settler = app.extensions["sumo_settler"]
    client = app.test_client()
    for _ in range(5):
        client.get(f"/?week={WEEK}")
    settler.wait()
    assert settler.runs == 1
    type_rows(workbook, row("Ann", 0))
    for _ in range(5):
        client.get(f"/?week={WEEK}")
    settler.wait()
    assert settler.runs == 2


def test_a_signup_left_uncertain_is_settled_by_another_process_through_the_ledger(
    workbook, tmp_path
):
    state = tmp_path / "state"
    made = row("Ann", 0, id="ANNROW01", signed_up_at=NOW, request_id="k" * 24)
    # The process that made the row could not read the sheet afterwards: it notes the row.
    UncertainLedger(state / "uncertain-signups.json", lambda: NOW).record(made)
    type_rows(workbook, made)

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "WORKBOOK": str(workbook.path),
            "CLOCK": lambda: NOW,
            "RUN_STATE_FOLDER": str(state),
        }
    )
    told: list[tuple[str, bool]] = []
    app.extensions["sumo_settler"].on_settled = lambda s, kept: told.append((s.id, kept))
    app.test_client().get(f"/?week={WEEK}")
    app.extensions["sumo_settler"].wait()
    assert told == [("ANNROW01", True)]
    assert UncertainLedger(state / "uncertain-signups.json", lambda: NOW).pending() == []


def test_the_volunteers_are_mailed_whether_their_uncertain_rows_were_kept_or_withdrawn(
    workbook, tmp_path, smtp_server
):
    state = tmp_path / "state"
    made_at = NOW - timedelta(minutes=5)  # past the grace: nobody is still confirming them
    rows = [
        row(
            f"{name} Monitor",
            0,
            id=f"ROW{name.upper()}01",
            signed_up_at=made_at,
            request_id=name * 8,
        )
        for name in ("Ann", "Bo", "Cy")
    ]
    ledger = UncertainLedger(state / "uncertain-signups.json", lambda: NOW)
    for made in rows:
        ledger.record(made)  # each process was left unable to confirm its row
    type_rows(workbook, *rows)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "WORKBOOK": str(workbook.path),
            "CLOCK": lambda: NOW,
            "RUN_STATE_FOLDER": str(state),
            "SITE_URL": "https://livechat.example.org",
            **smtp_server.config,
        }
    )
    app.test_client().get(f"/?week={WEEK}", base_url="https://livechat.example.org")
    assert app.extensions["sumo_settler"].wait()
    drain_mail(app)
    by_address = {str(m["To"]): m for m in smtp_server.messages}
    assert sorted(by_address) == ["ann@example.org", "bo@example.org", "cy@example.org"]
    assert "was kept" in str(by_address["ann@example.org"]["Subject"])
    assert "was not kept" in str(by_address["cy@example.org"]["Subject"])
    assert "https://livechat.example.org/needed" in body_text(by_address["cy@example.org"])
    assert [s.cancelled for s in services.read_sheet(workbook).signups] == [False, False, True]


def test_a_volunteers_own_page_says_which_of_their_rows_do_not_count(workbook, tmp_path):
    type_rows(workbook, row("Ann Keep", 0), row("Bo Keep", 0), row("Cy Over", 0))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "WORKBOOK": str(workbook.path),
            "CLOCK": lambda: NOW,
            "RUN_STATE_FOLDER": str(tmp_path / "state"),
        }
    )
    page = page_text(app.test_client().get("/my/" + contact_token("cy@example.org")))
    assert "Not counted" in page and "Room monitor, Mon 30 Nov 14:00" in page
