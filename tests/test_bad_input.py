"""A corpus of bad and odd input: each is refused with a reason and nothing written, or stored
exactly as typed (as text). Plus property-based tests of the row parser and the form.
"""

from __future__ import annotations

import itertools
import re

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sumo_sheets import create_app
from sumo_sheets import sheet_format as fmt

from .support import NOW, contact_token

GOOD = {
    "name": "Ann Example",
    "contact": "ann@example.org",
    "role": "helper",
    "start": "2026-11-30T14:00Z",
    "hours": "1",
    "repeat_weeks": "1",
    "note": "",
}

CONTROL = ["\x00", "\x07", "\x1b", "\x7f", "\u200b", "\u200e", "\u202e", "\u2066", "\ufeff"]
FORMULAS = ["=1+1", "+1", "-1", "@SUM(A1)", '=HYPERLINK("http://x")', "=cmd|' /C calc'!A0"]

# (field, value): the form must refuse these, beside the field or in the summary.
REFUSED = (
    [("name", ""), ("name", "   "), ("name", "x" * 81), ("name", "A" * 10_000)]
    + [("name", f"Ann{c}Example") for c in CONTROL]
    + [("name", f"\t{f}") for f in FORMULAS]
    + [("name", f"\r{f}") for f in FORMULAS]
    + [("name", "Ann\nExample")]
    + [
        ("contact", value)
        for value in (
            "",
            "   ",
            "not an address",
            "ann@",
            "@",
            "a@b",
            "ann@@example.org",
            "ann@example..org",
            "javascript:alert(1)",
            "<script>alert(1)</script>",
            "'; DROP TABLE signups;--",
            "=1+1",
            "+44 20 7946 0000",
            "x" * 121,
            "a" * 70 + "@" + "b" * 60 + ".org",
            "ann example@example.org",
            "nick with spaces",
            "n",
            "ann@example.org\nBcc: evil@example.org",
        )
    ]
    + [("contact", f"ann{c}@example.org") for c in CONTROL]
    + [
        ("role", value)
        for value in ("", "admin", "Helper", "HELPER", "helpers", "anchor ", "0", "-1", "'", "<b>")
    ]
    + [
        ("start", value)
        for value in (
            "",
            "soon",
            "2026-11-30",
            "14:00",
            "2026-13-01T14:00Z",
            "2026-11-31T14:00Z",
            "2026-11-30T25:00Z",
            "2026-11-30T14:60Z",
            "9999-11-30T14:00Z",
            "1999-11-30T14:00Z",
            "2026-11-24T14:00Z",  # the past
            "2026-11-25T09:00Z",  # earlier today
            "2027-06-01T14:00Z",  # beyond the 8 weeks open
            "2030-01-07T14:00Z",
            "2026-11-30T03:00Z",  # not staffed
            "2026-11-29T14:00Z",  # a Sunday
            "2026-11-30T14:30Z",  # not on the hour
            "2026-11-30T19:00Z",  # the end of a block
            "2026-11-30T14:00Z'; --",
            "<script>",
            "2026-11-30T14:00+14:00",  # 00:00 UTC: not staffed
            "NaN",
            "x" * 5000,
        )
    ]
    + [
        ("hours", value)
        for value in ("", "0", "-1", "13", "99", "1.5", "abc", "1e3", "99999999999999999999", " ")
    ]
    + [("hours", "3")]  # 14:00 + 3 h runs past the 16:00 end of the block
    + [("repeat_weeks", value) for value in ("0", "-1", "9", "53", "x", "2.5")]
    + [("note", "n" * 501)]
    + [("note", f"note{c}") for c in CONTROL]
)

# (field, value): legitimate, however odd: stored exactly as typed, and as text.
ACCEPTED = (
    [("name", f) for f in FORMULAS]
    + [
        ("name", value)
        for value in (
            "张伟",
            "Ελένη Παπαδοπούλου",
            "محمد علي",
            "Željko Ivanović",
            "Þórdís",
            "Ann 🎉",
            "<script>alert(1)</script>",
            "<b>bold</b> & co",
            "Robert'); DROP TABLE Students;--",
            "O'Brien",
            "x" * 80,
            "Ann\u00a0Example",
            '"quoted"',
            "1e9",
            "0042",
            "TRUE",
            "null",
            "../../etc/passwd",
            "{{ 7*7 }}",
            "${jndi:ldap://x}",
        )
    ]
    + [("note", value) for value in (*FORMULAS, "line one\nline two", "<img src=x onerror=1>")]
    + [
        ("contact", value)
        for value in ("sumo_fan", "@you:matrix.org", "Ann.Example+sumo@example.org", "[away]")
    ]
)


FINDING = {
    "name": "Mo Monitor",
    "contact": "mo@example.org",
    "when": "2026-11-25T09:30",
    "seen": "Users ask about restoring bookmarks.",
    "advice": "",
    "link": "",
}

# Findings that must be refused, nothing appended to the Findings tab.
FINDING_REFUSED = (
    [
        ("link", value)
        for value in (
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            " javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "ftp://example.org/x",
            "//evil.example.org",
            "support.mozilla.org/kb",
            "https://exa mple.org",
            'https://example.org/"onmouseover="x',
            "https://example.org/<script>",
            "https://" + "x" * 500 + ".org",
        )
    ]
    + [("seen", value) for value in ("", "   ", "s" * 2001, "seen\x00", "seen\u202e")]
    + [("advice", value) for value in ("a" * 2001, "advice\x1b")]
    + [
        ("when", value)
        for value in (
            "",
            "yesterday",
            "2026-13-01T10:00",
            "2026-11-25T25:00",
            "2026-12-25T10:00",  # the future
            "2026-01-01T10:00",  # more than 60 days ago
            "1999-11-25T10:00",
            "9999-11-25T10:00",
        )
    ]
    + [("name", value) for value in ("", "x" * 81, "Mo\u202eMonitor", "\t=1+1")]
    + [("contact", value) for value in ("", "not an address", "=1+1", "x" * 121)]
)

QUERIES = [
    "/?week=2026-W60",
    "/?week=abc",
    "/?week=99999-W01",
    "/?week=2026-W00",
    "/api/week?week=2026W",
    "/?tz=Not/AZone",
    "/?tz=../../etc/passwd",
    "/signup?role=admin",
    "/signup?start=yesterday",
    "/signup?start=2026-11-30T14:00Z%00",
    "/hours?month=2026-00",
    "/hours?week=W49",
    "/hours?month=13-2026",
    "/needed?tz=%00",
    "/hours?week=2026-W54",
]


@pytest.fixture
def site(tmp_path):
    """A site on a fresh workbook, with rate limits off (these tests send many forms)."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "WORKBOOK": str(tmp_path / "bad-input.xlsx"),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "CLOCK": lambda: NOW,
        }
    )
    return app


def signup_cells(app) -> list[list[openpyxl.cell.Cell]]:
    """The Signups tab's cells below the header, as the file holds them."""
    path = app.config["WORKBOOK"]
    try:
        sheet = openpyxl.load_workbook(path)["Signups"]
    except FileNotFoundError:
        return []
    return [list(row) for row in sheet.iter_rows(min_row=2) if any(c.value for c in row)]


def test_the_corpus_has_at_least_two_hundred_cases():
    cases = len(REFUSED) + len(ACCEPTED) + len(FINDING_REFUSED) + len(QUERIES) + len(TOKENS)
    assert cases >= 200


@pytest.mark.parametrize(("field", "value"), REFUSED, ids=itertools.count())
def test_bad_input_is_refused_with_a_reason_and_nothing_is_written(site, field, value):
    response = site.test_client().post("/signup", data={**GOOD, field: value})
    page = response.get_data(as_text=True)
    assert response.status_code in (400, 409, 413, 422), page[:300]
    assert 'class="error"' in page or 'class="error-summary"' in page
    assert signup_cells(site) == []


@pytest.mark.parametrize(("field", "value"), ACCEPTED, ids=itertools.count())
def test_odd_but_legitimate_input_is_stored_exactly_as_typed_and_as_text(site, field, value):
    response = site.test_client().post("/signup", data={**GOOD, field: value})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    (row,) = signup_cells(site)
    header = [c.value for c in openpyxl.load_workbook(site.config["WORKBOOK"])["Signups"][1]]
    column = {"name": fmt.NAME, "note": fmt.NOTES, "contact": fmt.CONTACT}[field]
    cell = row[header.index(column)]
    assert cell.value == value.strip()
    assert cell.data_type == "s"  # text, never a formula or a number


@pytest.mark.parametrize(("field", "value"), FINDING_REFUSED, ids=itertools.count())
def test_a_bad_finding_is_refused_with_a_reason_and_nothing_is_appended(site, field, value):
    response = site.test_client().post("/findings", data={**FINDING, field: value})
    page = response.get_data(as_text=True)
    assert response.status_code in (400, 422), page[:300]
    assert 'class="error"' in page or 'class="error-summary"' in page
    path = site.config["WORKBOOK"]
    try:
        rows = list(openpyxl.load_workbook(path)[fmt.FINDINGS].iter_rows(min_row=2))
    except (FileNotFoundError, KeyError):
        rows = []
    assert [r for r in rows if any(c.value for c in r)] == []


@pytest.mark.parametrize("path", QUERIES)
def test_garbled_query_parameters_are_a_400_with_the_reason(site, path):
    response = site.test_client().get(path)
    assert response.status_code == 400
    reason = response.get_data(as_text=True)
    assert re.search(r"must|not a time zone|out of range|has no week", reason)


TOKENS = [
    lambda t: t[:-1],
    lambda t: t + "x",
    lambda t: t.upper(),
    lambda t: t.replace(".", "", 1),
    lambda t: "",
    lambda t: "a" * 40,
    lambda t: t[::-1],
    lambda t: contact_token("ann@example.org", secret="another-secret"),
]


@pytest.mark.parametrize("mangle", TOKENS)
def test_tampered_manage_links_are_refused(site, mangle):
    token = mangle(contact_token("ann@example.org"))
    client = site.test_client()
    response = client.get(f"/my/{token}") if token else client.get("/my/")
    assert response.status_code in (403, 404)
    assert client.post(f"/my/{token}/cancel/ANYID").status_code in (403, 404, 405)


def test_a_form_without_its_csrf_token_is_refused_and_nothing_written(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "WORKBOOK": str(tmp_path / "csrf.xlsx"),
            "RATELIMIT_ENABLED": False,
            "CLOCK": lambda: NOW,
        }
    )
    client = app.test_client()
    response = client.post("/signup", data=GOOD)
    assert response.status_code in (400, 422)
    assert "expired" in response.get_data(as_text=True)
    assert signup_cells(app) == []
    for path in ("/findings", "/my"):
        assert client.post(path, data={"email": "ann@example.org"}).status_code in (400, 422)


# -- properties -------------------------------------------------------------------------------

cell_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["", "helper", "Anchor", "room monitor", "2026-11-30", "14:00", "9am", "cancelled", "=1"]
    ),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(cell_text, max_size=12), max_size=30))
def test_the_row_parser_reads_or_reports_every_row_and_never_crashes(rows):
    grid = [list(fmt.SIGNUP_HEADERS), *rows]
    signups, problems = fmt.parse_signups(grid)
    # Whitespace-only rows are blank to a coordinator, and skipped silently like them.
    non_blank = [n for n, row in enumerate(rows, start=2) if any(c.strip() for c in row)]
    assert len(signups) + len(problems) == len(non_blank)
    assert {s.row for s in signups} | {p.row for p in problems} == set(non_blank)
    for signup in signups:
        assert signup.start < signup.end


counter = itertools.count()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=st.text(max_size=100), note=st.text(max_size=120))
def test_any_name_and_note_are_either_refused_or_stored_exactly(site, name, note):
    contact = f"prop{next(counter)}@example.org"
    before = len(signup_cells(site))
    response = site.test_client().post(
        "/signup", data={**GOOD, "name": name, "note": note, "contact": contact}
    )
    assert response.status_code in (303, 422)
    rows = signup_cells(site)
    if response.status_code == 422:
        assert len(rows) == before
        return
    assert len(rows) == before + 1
    header = [c.value for c in openpyxl.load_workbook(site.config["WORKBOOK"])["Signups"][1]]
    stored = {h: c.value for h, c in zip(header, rows[-1], strict=False)}
    assert stored[fmt.NAME] == name.strip()
    assert (stored[fmt.NOTES] or "") == note.strip()
