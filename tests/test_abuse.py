"""Abuse protection: CSRF on every form, the honeypot field, and rate limits on POSTs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sumo_sheets import create_app

from .support import FORM, NOW, contact_token, page_text, read_workbook

FINDING = {
    "name": "Mo Monitor",
    "contact": "mo@example.org",
    "when": "2026-11-25T09:30",
    "seen": "Users ask how to restore Firefox bookmarks after a profile reset.",
}
# Three forms a bot might fill in, each with what a person would send.
FORMS = {"/signup": FORM, "/findings": FINDING, "/my": {"email": "ann@example.org"}}
AUTOMATED = "This form looks automated; please leave the last field empty and send again."


def make_app(workbook: Path, **settings):
    """The site on a fresh workbook at NOW, rate limits on (the default), CSRF off."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "WORKBOOK": str(workbook),
        "WTF_CSRF_ENABLED": False,
        "CLOCK": lambda: NOW,
    }
    return create_app({**config, **settings})


def rows(app, tab: str) -> list[list[object]]:
    """A tab's filled rows below its header (none when the workbook or tab is not there)."""
    try:
        found = read_workbook(Path(app.config["WORKBOOK"]), tab)
    except (FileNotFoundError, KeyError):
        return []
    return [row for row in found[1:] if any(cell not in (None, "") for cell in row)]


def written(app) -> int:
    """How many signups and findings the sheet holds."""
    return len(rows(app, "Signups")) + len(rows(app, "Findings"))


@pytest.fixture
def limited(tmp_path):
    """The site with its default rate limits."""
    return make_app(tmp_path / "abuse.xlsx")


def from_address(app, address: str):
    """A test client whose requests come from ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def signup_number(n: int) -> dict[str, str]:
    """The n-th of a room of volunteers: each its own name, contact and hour, so none is refused."""
    days = ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"]
    day, hour = days[n % 5], 14 + (n // 5) % 5  # 25 staffed hours, two Helpers wanted in each
    return {
        **FORM,
        "name": f"Volunteer {n}",
        "contact": f"volunteer{n}@example.org",
        "start": f"{day}T{hour}:00Z",
    }


def use_up_signups(client, allowed: int = 30) -> None:
    """Send as many saved signups as the default limit allows in a minute."""
    for n in range(allowed):
        assert client.post("/signup", data=signup_number(n)).status_code == 303, n


# -- rate limits --------------------------------------------------------------------------------


def test_a_room_behind_one_address_can_sign_up_thirty_people_in_a_minute_then_a_friendly_429(
    limited,
):
    client = from_address(limited, "203.0.113.7")
    use_up_signups(client)
    response = client.post("/signup", data=signup_number(40))
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 61
    words = page_text(response)
    assert "Too many tries from your connection; please wait 1 minute" in words
    assert "Back" in words
    assert len(rows(limited, "Signups")) == 30


def test_refused_signups_do_not_count_against_the_limit(limited):
    client = from_address(limited, "203.0.113.7")
    for _ in range(40):
        assert client.post("/signup", data={**FORM, "name": ""}).status_code == 422
    assert client.post("/signup", data=FORM).status_code == 303


def test_every_signup_try_counts_against_a_looser_limit_so_probing_stays_bounded(tmp_path):
    app = make_app(tmp_path / "tries.xlsx", RATELIMIT_SIGNUP_TRIES="5 per minute")
    client = from_address(app, "203.0.113.7")
    for _ in range(5):
        assert client.post("/signup", data={**FORM, "name": ""}).status_code == 422
    assert client.post("/signup", data=FORM).status_code == 429


def test_another_address_can_still_sign_up_when_one_is_limited(limited):
    use_up_signups(from_address(limited, "203.0.113.7"))
    assert from_address(limited, "198.51.100.2").post("/signup", data=FORM).status_code == 303
    assert len(rows(limited, "Signups")) == 31


def test_pages_and_static_files_are_never_limited(tmp_path):
    app = make_app(tmp_path / "pages.xlsx", RATELIMIT_SIGNUP="1 per minute")
    client = from_address(app, "203.0.113.7")
    use_up_signups(client, allowed=1)
    for _ in range(15):
        assert client.get("/signup").status_code == 200
        assert client.get("/static/style.css").status_code == 200
        assert client.get("/").status_code == 200


def test_each_form_has_its_own_limit(tmp_path):
    app = make_app(tmp_path / "own.xlsx", RATELIMIT_SIGNUP="1 per minute")
    client = from_address(app, "203.0.113.7")
    assert client.post("/signup", data=FORM).status_code == 303
    assert client.post("/signup", data=signup_number(1)).status_code == 429
    assert client.post("/findings", data=FINDING).status_code == 303


def test_the_lost_link_form_allows_five_tries_an_hour(limited):
    client = from_address(limited, "203.0.113.7")
    for _ in range(5):
        assert client.post("/my", data={"email": "ann@example.org"}).status_code == 200
    response = client.post("/my", data={"email": "ann@example.org"})
    assert response.status_code == 429
    assert 60 < int(response.headers["Retry-After"]) <= 3601


def test_cancelling_is_limited_per_address(tmp_path):
    app = make_app(tmp_path / "cancel.xlsx", RATELIMIT_CANCEL="2 per minute")
    link = "/my/" + contact_token("ann@example.org")
    client = from_address(app, "203.0.113.7")
    for _ in range(2):
        assert client.post(f"{link}/cancel/NOSUCHID").status_code == 303
    assert client.post(f"{link}/cancel/NOSUCHID").status_code == 429


def test_limits_follow_the_settings(tmp_path):
    app = make_app(tmp_path / "two.xlsx", RATELIMIT_SIGNUP="2 per minute")
    client = app.test_client()
    for n in range(2):
        assert client.post("/signup", data=signup_number(n)).status_code == 303
    assert client.post("/signup", data=FORM).status_code == 429


def test_rate_limits_can_be_switched_off(tmp_path):
    app = make_app(tmp_path / "off.xlsx", RATELIMIT_ENABLED=False)
    client = app.test_client()
    for _ in range(15):
        assert client.post("/signup", data={**FORM, "name": ""}).status_code == 422


def test_a_post_refused_for_its_csrf_token_is_not_counted(tmp_path):
    app = make_app(tmp_path / "csrf-count.xlsx", WTF_CSRF_ENABLED=True)
    client = app.test_client()
    for _ in range(15):
        assert client.post("/signup", data=FORM).status_code == 422
        assert client.post("/findings", data=FINDING).status_code == 400


def test_limits_are_kept_in_redis_when_redis_url_is_set_and_in_memory_otherwise(tmp_path):
    shared = make_app(tmp_path / "redis.xlsx", REDIS_URL="redis://127.0.0.1:1/0")
    alone = make_app(tmp_path / "memory.xlsx")
    assert type(shared.extensions["sumo_limiter"].storage).__name__ == "RedisStorage"
    assert type(alone.extensions["sumo_limiter"].storage).__name__ == "MemoryStorage"


def test_signups_go_on_when_the_redis_holding_the_limits_is_down(tmp_path):
    app = make_app(tmp_path / "redis-down.xlsx", REDIS_URL="redis://127.0.0.1:1/0")
    assert app.test_client().post("/signup", data=FORM).status_code == 303


# -- the honeypot -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FORMS)
def test_a_filled_honeypot_is_refused_with_a_reason_and_nothing_written(tmp_path, path, caplog):
    app = make_app(tmp_path / "honeypot.xlsx")
    caplog.set_level(logging.INFO, logger="sumo_sheets")
    response = app.test_client().post(path, data={**FORMS[path], "website": "http://spam.example"})
    assert response.status_code == 422
    words = page_text(response)
    assert AUTOMATED in words
    assert "If that address has signed up" not in words
    assert written(app) == 0
    logged = [r.getMessage() for r in caplog.records if "honeypot" in r.getMessage()]
    assert logged and not any("spam.example" in m or "example.org" in m for m in logged)


@pytest.mark.parametrize("path", FORMS)
def test_an_empty_honeypot_lets_the_form_through(tmp_path, path):
    app = make_app(tmp_path / "honeypot.xlsx")
    response = app.test_client().post(path, data={**FORMS[path], "website": ""})
    assert response.status_code == (200 if path == "/my" else 303)


@pytest.mark.parametrize("path", FORMS)
def test_the_honeypot_is_hidden_from_people_screen_readers_and_the_tab_key(limited, path):
    page = limited.test_client().get(path).get_data(as_text=True)
    wrapper = page.index('<div class="visually-hidden" aria-hidden="true">')
    field = page.index('id="website"', wrapper)
    assert 'tabindex="-1"' in page[field - 200 : field + 200]
    assert 'autocomplete="off"' in page[field - 200 : field + 200]


# -- CSRF ---------------------------------------------------------------------------------------


def test_every_post_without_its_csrf_token_is_refused_and_writes_nothing(tmp_path):
    app = make_app(tmp_path / "csrf.xlsx", WTF_CSRF_ENABLED=True)
    client = app.test_client()
    link = "/my/" + contact_token("ann@example.org")
    assert client.post("/signup", data=FORM).status_code == 422
    assert "This form expired" in page_text(client.post("/signup", data=FORM))
    assert client.post("/findings", data=FINDING).status_code == 400
    assert client.post("/my", data={"email": "ann@example.org"}).status_code == 400
    assert client.post(f"{link}/cancel/ANYID").status_code == 400
    assert written(app) == 0


def test_a_signup_with_its_csrf_token_is_accepted(tmp_path):
    app = make_app(tmp_path / "csrf-ok.xlsx", WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/signup").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    assert client.post("/signup", data={**FORM, "csrf_token": token}).status_code == 303
