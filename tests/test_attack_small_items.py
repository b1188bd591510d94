"""Small findings of the security review, each reproduced first: extreme dates, oversized
bodies, line-breaking characters in one-line fields, workers that disagree about a broken
workbook, and a workbook deleted while the site runs.
"""

from __future__ import annotations

import html
import io
import logging
import re
import threading
from pathlib import Path

import openpyxl
import pytest
from icalendar import Calendar

from sumo_sheets import create_app
from sumo_sheets import sheet_format as fmt

from .support import NOW, build_workbook, contact_token, read_workbook

SIGNUP = {
    "name": "Ann Example",
    "contact": "ann@example.org",
    "role": "helper",
    "start": "2026-11-30T14:00Z",
    "hours": "1",
    "repeat_weeks": "1",
    "note": "first time",
}
FINDING = {
    "name": "Mo Monitor",
    "contact": "mo@example.org",
    "when": "2026-11-25T09:30",
    "seen": "Users ask how to restore bookmarks.",
    "advice": "Pointed them at the restore article.",
    "link": "https://support.mozilla.org/kb/restore-bookmarks",
}


def make_app(workbook: Path, **settings):
    """The site on ``workbook`` at NOW, CSRF off unless asked for."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "WORKBOOK": str(workbook),
        "WTF_CSRF_ENABLED": False,
        "CLOCK": lambda: NOW,
    }
    return create_app({**config, **settings})


def filled_rows(path: Path, tab: str) -> list[list[object]]:
    """A tab's rows below its header that hold anything (none if the tab is not there)."""
    try:
        rows = read_workbook(path, tab)
    except (FileNotFoundError, KeyError):
        return []
    return [row for row in rows[1:] if any(cell not in (None, "") for cell in row)]


def field_value(page: str, field: str) -> str | None:
    """The value an <input> carries back, as the browser reads it."""
    tag = re.search(rf'<input[^>]*\bid="{field}"[^>]*>', page)
    if tag is None:
        return None
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else ""


def field_error(page: str, field: str) -> str:
    """The message shown beside a field ('' when none)."""
    found = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    return html.unescape(found.group(1)) if found else ""


# -- 1. extreme dates and times ---------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "zone"),
    [
        ("9999-12-31T23:59", "America/Los_Angeles"),  # past year 9999 once in UTC
        ("0001-01-01T00:00", "Asia/Tokyo"),  # before year 1 once in UTC
        ("9999-12-31T23:59", "UTC"),
        ("0001-01-01T00:00", "UTC"),
        ("10000-01-01T00:00", "UTC"),
        ("99999999-01-01T00:00", "UTC"),
        ("0001-01-01T00:00+05:00", "UTC"),
        ("9999-12-31T23:59-05:00", "UTC"),
        ("-0001-01-01T00:00", "UTC"),
    ],
)
def test_findings_extreme_when_is_a_422_beside_the_field_with_every_field_kept(
    workbook_path, when, zone
):
    app = make_app(workbook_path)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash shows as the 500 a visitor gets
    response = app.test_client().post(f"/findings?tz={zone}", data={**FINDING, "when": when})
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page[:300]
    assert field_error(page, "when"), page
    assert field_value(page, "when") == when
    assert field_value(page, "name") == FINDING["name"]
    assert field_value(page, "contact") == FINDING["contact"]
    assert field_value(page, "link") == FINDING["link"]
    assert FINDING["seen"] in page and FINDING["advice"] in page
    assert filled_rows(workbook_path, fmt.FINDINGS) == []


@pytest.mark.parametrize(
    "url",
    [
        "/?week=9999-W52&tz=Pacific/Kiritimati",
        "/?week=0001-W01&tz=Pacific/Pago_Pago",
        "/api/week?week=99999-W01",
        "/hours?month=9999-12&tz=Pacific/Kiritimati",
        "/hours?month=0001-01&tz=Pacific/Pago_Pago",
        "/hours?week=9999-W52",
        "/signup?start=9999-12-31T23:00Z",
        "/signup?start=0001-01-01T00:00%2B14:00",
        "/signup?start=10000-01-01T00:00Z",
    ],
)
def test_extreme_dates_in_queries_are_a_400_with_the_reason(client, url):
    response = client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "out of range" in page or "must look like" in page or "must be a UTC time" in page


@pytest.mark.parametrize("start", ["0001-01-01T00:00+14:00", "9999-12-31T23:00-14:00"])
def test_an_extreme_signup_start_is_a_422_beside_the_field(client, workbook_path, start):
    response = client.post("/signup", data={**SIGNUP, "start": start})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "out of range" in field_error(page, "start")
    assert field_value(page, "name") == SIGNUP["name"]
    assert filled_rows(workbook_path, fmt.SIGNUPS) == []


# -- 2. bodies over MAX_CONTENT_LENGTH -------------------------------------------------------

TOO_BIG = "That was more than a form on this site can hold"


def _oversized_posts(client, path: str):
    """The same oversized form sent three ways a client can send it."""
    padding = "x" * (70 * 1024)
    body = f"name={padding}&note={padding}".encode()
    yield client.post(path, data=body, content_type="application/x-www-form-urlencoded")
    yield client.post(
        path,
        data={"name": "Ann", "file": (io.BytesIO(body), "big.txt")},
        content_type="multipart/form-data",
    )
    # Chunked, with no Content-Length: the limit is met while the body is being read.
    yield client.post(
        path,
        input_stream=io.BytesIO(body),
        content_type="application/x-www-form-urlencoded",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


@pytest.mark.parametrize("csrf", [True, False], ids=["csrf-on", "csrf-off"])
@pytest.mark.parametrize("path", ["/signup", "/findings", "/my", "cancel"])
def test_an_oversized_body_is_a_friendly_413_on_every_form(workbook_path, path, csrf):
    app = make_app(workbook_path, WTF_CSRF_ENABLED=csrf)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    if path == "cancel":
        token = contact_token("ann@example.org")
        path = f"/my/{token}/cancel/ABCDEFGH"
    for response in _oversized_posts(client, path):
        page = response.get_data(as_text=True)
        assert response.status_code == 413, page[:300]
        assert TOO_BIG in html.unescape(page)
        assert '<p class="notice" role="alert">' in page  # the site's error page
    assert filled_rows(workbook_path, fmt.SIGNUPS) == []


# -- 3. line-breaking and control characters in one-line fields ---------------------------

BREAKERS = {
    "LS": "\u2028",
    "PS": "\u2029",
    "CR": "\r",
    "LF": "\n",
    "VT": "\v",
    "FF": "\f",
    "NEL": "\x85",
    "NUL": "\x00",
    "FS": "\x1c",
    "ZWSP": "\u200b",
    "RLO": "\u202e",
    "BOM": "\ufeff",
}
ONE_LINE_FIELDS = [
    ("/signup", SIGNUP, "name", "Ann{}Example"),
    ("/signup", SIGNUP, "contact", "ann{}@example.org"),
    ("/findings", FINDING, "name", "Mo{}Monitor"),
    ("/findings", FINDING, "contact", "mo{}@example.org"),
    ("/findings", FINDING, "link", "https://support.mozilla.org/kb/{}restore"),
    ("/my", {"email": "ann@example.org"}, "email", "ann{}@example.org"),
]


@pytest.mark.parametrize("character", list(BREAKERS.values()), ids=list(BREAKERS))
@pytest.mark.parametrize(
    ("path", "form", "field", "pattern"),
    ONE_LINE_FIELDS,
    ids=[f"{path}-{field}" for path, _, field, _ in ONE_LINE_FIELDS],
)
def test_line_breaks_and_control_characters_are_refused_in_one_line_fields(
    workbook_path, path, form, field, pattern, character
):
    app = make_app(workbook_path)
    typed = pattern.format(character)
    response = app.test_client().post(path, data={**form, field: typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page[:300]
    message = field_error(page, field)
    assert "line" in message or "hidden or control characters" in message, message
    kept = field_value(page, field)
    # A browser turns CR and CR LF in an attribute into LF: compare what it would send back.
    assert kept is not None and kept.replace("\r", "\n") == typed.replace("\r", "\n")
    assert filled_rows(workbook_path, fmt.SIGNUPS) == []
    assert filled_rows(workbook_path, fmt.FINDINGS) == []


@pytest.mark.parametrize("name", ["Ann\u2028Example", "Mo\r\nMonitor", "Lin\u2029\u202eeD"])
def test_the_line_separator_message_says_to_keep_it_on_one_line(client, name):
    page = client.post("/signup", data={**SIGNUP, "name": name}).get_data(as_text=True)
    assert "one line" in field_error(page, "name")


@pytest.mark.parametrize(
    "name",
    [
        "Ann Example",
        "Zoë Ångström-O'Neil",
        "محمد‌رضا",  # a zero-width non-joiner inside a Persian name
        "Dev 👩\u200d💻",  # an emoji joined by a zero-width joiner
        "Sam 🏳️\u200d🌈",
    ],
)
def test_names_people_really_have_are_accepted(client, workbook_path, name):
    response = client.post("/signup", data={**SIGNUP, "name": name})
    assert response.status_code == 303, field_error(response.get_data(as_text=True), "name")
    assert filled_rows(workbook_path, fmt.SIGNUPS)[0][1] == name


@pytest.mark.parametrize(
    "name", ["\u200dAnn", "Ann\u200d", "Ann\u200d\u200dEx", "Ann \u200c Ex", "Ann\u200d\u202eEx"]
)
def test_a_joiner_that_joins_nothing_is_refused(client, workbook_path, name):
    response = client.post("/signup", data={**SIGNUP, "name": name})
    assert response.status_code == 422
    assert "hidden or control characters" in field_error(response.get_data(as_text=True), "name")


UNSAFE_IN_A_LINE = set("\r\n\v\f\x85\u2028\u2029\x00\x1c\x1d\x1e\t\u202e\u200b\ufeff")


def _sheet_with_names(path: Path, names: list[str]) -> None:
    """A coordinator typed these names straight into the sheet, for Monday 30 November."""
    from datetime import datetime, timedelta

    from sumo_sheets.model import Role, Signup

    make_app(path).test_client().get("/")  # the workbook, with its tabs
    start = datetime(2026, 11, 30, 14, tzinfo=NOW.tzinfo)
    roles = [Role.ANCHOR, Role.HELPER, Role.HELPER, Role.ADVISOR]
    book = openpyxl.load_workbook(path)
    header = [cell.value for cell in book[fmt.SIGNUPS][1]]
    for n, name in enumerate(names):
        end = start + timedelta(hours=2 if roles[n % 4] is Role.ANCHOR else 1)
        signup = Signup(
            id=f"ROW{n}AAAA",
            name=name,
            contact="ann@example.org",
            role=roles[n % 4],
            start=start,
            end=end,
            signed_up_at=NOW,
        )
        book[fmt.SIGNUPS].append(fmt.signup_row(header, signup))
    book.save(path)


def _feed_texts(body: bytes) -> list[str]:
    """Every SUMMARY and DESCRIPTION of a feed, parsed back with icalendar."""
    return [
        str(event.get(prop, ""))
        for event in Calendar.from_ical(body).walk("VEVENT")
        for prop in ("SUMMARY", "DESCRIPTION")
    ]


def _assert_one_line_each(body: bytes, texts: list[str]) -> None:
    for text in texts:
        for line in text.split("\n"):  # the description's own lines are the only breaks
            assert not UNSAFE_IN_A_LINE & set(line), repr(line)
    for raw in body.split(b"\r\n"):
        assert b"\r" not in raw and b"\n" not in raw
        decoded = raw.decode("utf-8")
        assert not UNSAFE_IN_A_LINE & set(decoded), repr(decoded)
        assert not decoded.startswith("X-INJECTED")


def test_names_typed_into_the_sheet_with_line_breaks_stay_on_one_line_in_the_feeds(
    workbook_path,
):
    # What an .xlsx cell can hold (it cannot hold most C0 controls; see the next test).
    names = ["Ann\u2028Example", "Bo\r\nX-INJECTED:1", "Cy\x85Zed\u2029Pa", "Dee\u202eevil"]
    _sheet_with_names(workbook_path, names)
    client = make_app(workbook_path).test_client()
    token = contact_token("ann@example.org")
    schedule = client.get("/schedule.ics").get_data()
    texts = _feed_texts(schedule)
    described = "\n".join(texts)
    for expected in ("Ann Example", "Bo X-INJECTED:1", "Cy Zed Pa", "Deeevil"):
        assert expected in described, described
    _assert_one_line_each(schedule, texts)
    mine = client.get(f"/my/{token}.ics").get_data()
    _assert_one_line_each(mine, _feed_texts(mine))


def test_control_characters_a_google_sheet_can_hold_stay_out_of_the_feed(workbook_path):
    from dataclasses import replace

    from sumo_sheets import calendar

    _sheet_with_names(workbook_path, ["Ann Example"])
    app = make_app(workbook_path)
    data = app.extensions["sumo_reader"].fresh()
    data = replace(
        data, signups=[replace(s, name="Ann\x00\x0bVT\x0cFF\x1cFS\tEx") for s in data.signups]
    )
    body = calendar.schedule_calendar(data, NOW, 2)
    texts = _feed_texts(body)
    assert "Ann VT FF FS Ex" in "\n".join(texts)
    _assert_one_line_each(body, texts)


# -- 4. two workers and a broken workbook -----------------------------------------------


def _answers(app) -> dict[str, object]:
    client = app.test_client()
    page = client.get("/?week=2026-W49")
    health = client.get("/healthz")
    return {
        "page": page.status_code,
        "health": health.status_code,
        "status": health.get_json()["status"],
        "shows Ann": "Ann Example" in page.get_data(as_text=True),
    }


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a spreadsheet")


@pytest.mark.parametrize("damage", [_garbage, _truncate], ids=["garbage", "truncated"])
def test_two_workers_agree_about_a_workbook_broken_after_a_good_read(workbook_path, damage):
    one, two = make_app(workbook_path), make_app(workbook_path)
    assert one.test_client().post("/signup", data=SIGNUP).status_code == 303
    damage(workbook_path)
    recycled = make_app(workbook_path)  # a worker started after the damage
    answers = [_answers(app) for app in (one, two, recycled, one, two)]
    stale = {"page": 200, "health": 200, "status": "degraded", "shows Ann": True}
    assert answers == [stale] * 5


def test_two_workers_agree_about_a_workbook_broken_before_any_good_read(workbook_path):
    _garbage(workbook_path)
    one, two = make_app(workbook_path), make_app(workbook_path)
    down = {"page": 503, "health": 503, "status": "unavailable", "shows Ann": False}
    assert [_answers(app) for app in (one, two, one)] == [down] * 3


def test_a_repaired_workbook_is_ok_again_for_every_worker(workbook_path):
    one, two = make_app(workbook_path), make_app(workbook_path)
    assert one.test_client().post("/signup", data=SIGNUP).status_code == 303
    good = workbook_path.read_bytes()
    _garbage(workbook_path)
    assert _answers(two)["status"] == "degraded"
    workbook_path.write_bytes(good)
    ok = {"page": 200, "health": 200, "status": "ok", "shows Ann": True}
    assert [_answers(app) for app in (one, two)] == [ok, ok]


# -- 5. a workbook deleted or moved while the site runs ---------------------------------

MISSING = "is missing: it was deleted or moved while the site was running"


@pytest.mark.parametrize("how", ["deleted", "moved"])
def test_a_workbook_gone_while_running_is_a_503_that_says_so_and_is_never_recreated(
    workbook_path, how
):
    app = make_app(workbook_path)
    client = app.test_client()
    assert client.post("/signup", data=SIGNUP).status_code == 303
    if how == "deleted":
        workbook_path.unlink()
    else:
        workbook_path.rename(workbook_path.with_name("moved-away.xlsx"))

    page = client.get("/")
    assert page.status_code == 503
    text = html.unescape(page.get_data(as_text=True))
    assert MISSING in text and "flask --app app sheet init" in text
    health = client.get("/healthz")
    assert health.status_code == 503
    assert MISSING in health.get_json()["error"]
    other = make_app(workbook_path)  # another worker, or one started after
    assert other.test_client().get("/healthz").status_code == 503
    assert other.test_client().get("/").status_code == 503

    signup = client.post("/signup", data={**SIGNUP, "name": "Bo", "contact": "bo@example.org"})
    assert signup.status_code == 503
    assert 'value="Bo"' in signup.get_data(as_text=True)
    finding = client.post("/findings", data=FINDING)
    assert finding.status_code == 503
    assert MISSING in html.unescape(finding.get_data(as_text=True))
    assert not workbook_path.exists()


def test_the_workbook_is_made_when_the_site_first_starts(workbook_path):
    assert not workbook_path.exists()
    make_app(workbook_path)
    assert workbook_path.exists()
    assert set(fmt.TAB_TITLES) <= set(read_workbook_titles(workbook_path))


def read_workbook_titles(path: Path) -> list[str]:
    import openpyxl

    return openpyxl.load_workbook(path, read_only=True).sheetnames


def test_workers_starting_at_once_make_one_workbook(workbook_path, caplog):
    apps, errors = [], []

    def start() -> None:
        try:
            apps.append(make_app(workbook_path))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    with caplog.at_level(logging.INFO, logger="sumo_sheets.storage.workbook"):
        workers = [threading.Thread(target=start) for _ in range(6)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    assert errors == [] and len(apps) == 6
    assert [r.message for r in caplog.records].count(f"created workbook {workbook_path}") == 1
    assert all(app.test_client().get("/healthz").status_code == 200 for app in apps)


def test_sheet_init_makes_a_new_workbook_when_the_old_one_is_gone(workbook_path):
    app = make_app(workbook_path)
    assert app.test_client().get("/").status_code == 200
    workbook_path.unlink()
    result = app.test_cli_runner().invoke(args=["sheet", "init"])
    assert result.exit_code == 0, result.output
    assert workbook_path.exists()
    assert app.test_client().get("/healthz").get_json()["status"] == "ok"
    assert app.test_client().get("/").status_code == 200


def test_a_hand_made_workbook_is_read_not_replaced(workbook_path):
    build_workbook(workbook_path, {"Notes": [["kept"]]})
    make_app(workbook_path)
    assert read_workbook(workbook_path, "Notes") == [["kept"]]
