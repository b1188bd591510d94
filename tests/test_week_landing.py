"""Issue 17 on the server: the landing week, /needed's summary and /needed.txt, /hours."""

from __future__ import annotations

from datetime import UTC, datetime

from .support import page_text, sign_up

SUNDAY_EVENING = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)


def test_a_week_with_no_open_place_gives_way_to_the_next_one_with_a_label(app, client):
    app.config["CLOCK"] = lambda: SUNDAY_EVENING
    text = page_text(client.get("/"))
    assert "week of 30 November 2026" in text
    assert "This week is over — next week's open places" in text
    # Asked for by name, the finished week is shown as it is, with no label.
    text = page_text(client.get("/?week=2026-W48"))
    assert "week of 23 November 2026" in text and "This week is over" not in text


def test_a_week_with_open_places_is_the_landing_page(client):
    text = page_text(client.get("/"))
    assert "week of 23 November 2026" in text and "This week is over" not in text


def test_needed_txt_is_plain_text_with_a_summary_and_signup_addresses(client):
    answer = client.get("/needed.txt")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"
    text = answer.get_data(as_text=True)
    assert text.startswith("Live Chat: where help is needed (times in UTC)\n")
    assert "This week: " in text and "Next week: " in text
    assert "/signup?role=helper&start=" in text and "<" not in text


def test_needed_summary_names_runs_of_hours(client):
    text = page_text(client.get("/needed"))
    assert "This week:" in text and "with nobody answering —" in text
    assert "—: " not in text


def test_hours_count_a_future_shift_as_planned_not_done(client):
    assert sign_up(client).status_code == 303
    text = page_text(client.get("/hours?week=2026-W49"))
    done, planned = text.split("Planned: not happened yet")
    assert "Ann Example" not in done and "Ann Example" in planned


def test_a_compact_day_view_shows_one_day_with_links_to_the_days_around(client):
    answer = client.get("/?day=2026-12-01")
    assert answer.status_code == 200
    text = page_text(answer)
    assert "Tuesday 1 December" in text
    assert "Monday 30 November" not in text and "Wednesday 2 December" not in text
    page = answer.get_data(as_text=True)
    assert "day=2026-11-30" in page and "day=2026-12-02" in page  # the days either side
    # The week page offers each day on its own.
    assert "day=2026-12-01" in client.get("/?week=2026-W49").get_data(as_text=True)


def test_a_garbled_day_is_a_400_with_the_reason(client):
    answer = client.get("/?day=2026-13-45")
    assert answer.status_code == 400 and "day must look like 2026-12-01" in page_text(answer)


def test_a_day_asked_for_by_name_is_shown_even_in_a_finished_week(app, client):
    app.config["CLOCK"] = lambda: SUNDAY_EVENING
    text = page_text(client.get("/?day=2026-11-28"))
    assert "Saturday 28 November" in text and "This week is over" not in text
