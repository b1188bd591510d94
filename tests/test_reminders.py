"""Reminders before each shift, sent to a real SMTP server: due ones once, others never."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sumo_sheets import reminders, services
from sumo_sheets.model import Role, Signup, SignupRequest

from .smtp import body_text
from .smtp import smtp_server_fixture as smtp_server_fixture  # noqa: F401 (the fixture)
from .support import NOW, is_contact_link_for

# Thursday 14:00 UTC, 28 hours after NOW: both reminders lie ahead when signing up.
SHIFT = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
SITE = "https://livechat.example.org"


def sign_up(storage, name, contact, start=SHIFT, role=Role.HELPER, hours=1, **extra) -> Signup:
    request = SignupRequest(name, contact, role, start, hours, **extra)
    return services.sign_up(services.SheetReader(storage), request, NOW).signup


@pytest.fixture
def config(app, smtp_server, tmp_path):
    """The app's settings, sending mail to the test server and keeping state in tmp_path."""
    app.config.update(
        smtp_server.config,
        SITE_URL=SITE,
        REMINDERS_STATE_FILE=str(tmp_path / "reminders-sent.json"),
    )
    return app.config


@pytest.fixture
def state(tmp_path) -> Path:
    return tmp_path / "reminders-sent.json"


def run(storage, config, state, at: datetime) -> reminders.Report:
    return reminders.send_due_reminders(storage, config, at, state)


def test_the_24_hour_and_1_hour_reminders_are_each_sent_once(storage, config, state, smtp_server):
    sign_up(storage, "Ann Example", "ann@example.org")
    day_before, hour_before = SHIFT - timedelta(hours=24), SHIFT - timedelta(hours=1)
    assert run(storage, config, state, day_before).sent == 1
    assert run(storage, config, state, day_before + timedelta(minutes=15)).sent == 0
    assert run(storage, config, state, hour_before).sent == 1
    again = run(storage, config, state, hour_before + timedelta(minutes=15))
    assert (again.sent, again.already_sent) == (0, 1)
    first, second = smtp_server.messages
    assert first["Subject"] == "Reminder: SUMO Live Chat in 24 hours, Thu 26 Nov 14:00 UTC"
    assert second["Subject"] == "Reminder: SUMO Live Chat in 60 minutes, Thu 26 Nov 14:00 UTC"
    assert [r.rcpt_tos for r in smtp_server.received] == [["ann@example.org"]] * 2


def test_reminders_not_yet_due_are_not_sent(storage, config, state, smtp_server):
    sign_up(storage, "Ann Example", "ann@example.org")
    report = run(storage, config, state, SHIFT - timedelta(hours=24, minutes=1))
    assert report.summary() == "Sent 0 reminder(s); 0 skipped (no email)"
    assert smtp_server.received == [] and not state.exists()


def test_a_late_run_sends_only_the_most_imminent_reminder(storage, config, state, smtp_server):
    sign_up(storage, "Ann Example", "ann@example.org")
    assert run(storage, config, state, SHIFT - timedelta(minutes=30)).sent == 1
    assert run(storage, config, state, SHIFT - timedelta(minutes=10)).sent == 0
    (message,) = smtp_server.messages
    assert message["Subject"].startswith("Reminder: SUMO Live Chat in 30 minutes")


def test_no_reminder_for_a_window_already_open_at_signup(storage, config, state, smtp_server):
    soon = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # four hours after signing up
    sign_up(storage, "Ann Example", "ann@example.org", start=soon)
    assert run(storage, config, state, NOW + timedelta(minutes=5)).sent == 0
    assert run(storage, config, state, soon - timedelta(hours=1)).sent == 1
    assert "in 60 minutes" in smtp_server.messages[0]["Subject"]


def test_started_and_cancelled_shifts_get_no_reminder(storage, config, state, smtp_server):
    gone = sign_up(storage, "Ann Example", "ann@example.org")
    services.cancel_signup(storage, gone.id)
    sign_up(storage, "Bo", "bo@example.org", start=SHIFT - timedelta(days=1))  # Wed 14:00
    assert run(storage, config, state, SHIFT - timedelta(hours=1)).sent == 0
    assert smtp_server.received == []


def test_chat_nicks_get_no_reminder_and_are_counted(storage, config, state, smtp_server):
    sign_up(storage, "Ann Example", "ann@example.org")
    sign_up(storage, "Cy", "cy_nick", role=Role.ADVISOR)
    report = run(storage, config, state, SHIFT - timedelta(hours=1))
    assert report.summary() == "Sent 1 reminder(s); 1 skipped (no email)"
    assert [r.rcpt_tos for r in smtp_server.received] == [["ann@example.org"]]


def test_a_shift_that_follows_on_from_another_gets_no_reminder_of_its_own(
    storage, config, state, smtp_server
):
    sign_up(storage, "Ann Example", "ann@example.org")
    sign_up(storage, "Ann Example", "ann@example.org", start=SHIFT + timedelta(hours=1))
    assert run(storage, config, state, SHIFT - timedelta(hours=1)).sent == 1
    assert run(storage, config, state, SHIFT).sent == 0  # 1 h before the second, while on


def test_the_reminder_shows_the_volunteers_zone_with_utc_and_their_link(
    app, storage, config, state, smtp_server
):
    sign_up(storage, "Ann Example", "Ann@example.org", time_zone="America/New_York")
    sign_up(storage, "Bo", "bo@example.org", role=Role.ADVISOR, time_zone="Mars/Olympus_Mons")
    run(storage, config, state, SHIFT - timedelta(hours=1))
    ann, bo = sorted(smtp_server.messages, key=lambda m: str(m["To"]))
    assert ann["To"] == "Ann@example.org"
    assert ann["Subject"] == "Reminder: SUMO Live Chat in 60 minutes, Thu 26 Nov 09:00 EST"
    body = body_text(ann)
    assert "your SUMO Live Chat shift starts in 60 minutes" in body
    assert "  - Helper, Thu 26 Nov 2026, 09:00–10:00 EST (14:00–15:00 UTC) [signup" in body
    (link,) = [line for line in body.splitlines() if line.startswith(f"{SITE}/my/")]
    token = link.removeprefix(f"{SITE}/my/")
    assert is_contact_link_for(token, "ann@example.org")
    # An unknown zone in the row falls back to the sheet's (UTC).
    assert "Advisor, Thu 26 Nov 2026, 14:00–15:00 UTC [signup" in body_text(bo)


def test_without_a_site_url_links_point_to_localhost_with_a_warning(
    storage, config, state, smtp_server
):
    config["SITE_URL"] = ""
    sign_up(storage, "Ann Example", "ann@example.org")
    report = run(storage, config, state, SHIFT - timedelta(hours=1))
    assert report.warnings == [
        "SITE_URL is not set; links in reminders point to http://localhost:5000"
    ]
    assert "\nhttp://localhost:5000/my/" in body_text(smtp_server.messages[0])


def test_the_record_forgets_shifts_that_ended_over_a_week_ago(storage, config, state):
    sign_up(storage, "Ann Example", "ann@example.org")
    sign_up(storage, "Bo", "bo@example.org", start=SHIFT + timedelta(days=1))
    run(storage, config, state, SHIFT - timedelta(hours=1))
    run(storage, config, state, SHIFT + timedelta(days=1) - timedelta(hours=1))
    assert len(json.loads(state.read_text())["sent"]) == 2
    # Ann's shift ended (15:00 Thursday) more than seven days before this run; Bo's did not.
    run(storage, config, state, SHIFT + timedelta(days=7, hours=2))
    record = json.loads(state.read_text())
    assert record["version"] == 1
    (kept,) = record["sent"].values()
    assert kept["ends"] == "2026-11-27T15:00:00Z"


def test_concurrent_runs_never_send_the_same_reminder_twice(storage, config, state, smtp_server):
    for n in range(4):
        sign_up(storage, f"Volunteer {n}", f"v{n}@example.org")
    start = threading.Barrier(3)
    reports: list[reminders.Report] = []

    def one_run() -> None:
        start.wait()
        reports.append(run(storage, config, state, SHIFT - timedelta(hours=1)))

    threads = [threading.Thread(target=one_run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(r.sent for r in reports) == 4
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == [
        f"v{n}@example.org" for n in range(4)
    ]


def test_a_failed_send_is_tried_again_on_the_next_run(storage, config, state, smtp_server):
    sign_up(storage, "Ann Example", "ann@example.org")
    smtp_server.refuse_with = "451 4.3.0 Try again later"
    failed = run(storage, config, state, SHIFT - timedelta(hours=1))
    assert (failed.sent, failed.failed) == (0, 1)
    assert failed.summary().endswith("; 1 failed (tried again next run)")
    smtp_server.refuse_with = None
    assert run(storage, config, state, SHIFT - timedelta(minutes=50)).sent == 1
    assert len(smtp_server.messages) == 1


def test_a_damaged_record_stops_the_run_rather_than_send_again(storage, config, state):
    sign_up(storage, "Ann Example", "ann@example.org")
    state.write_text("{not json")
    with pytest.raises(reminders.ReminderError, match="is not a reminders record"):
        run(storage, config, state, SHIFT - timedelta(hours=1))


def test_the_cli_sends_due_reminders_once_and_prints_a_summary(
    app, runner, storage, config, state, smtp_server
):
    sign_up(storage, "Ann Example", "ann@example.org")
    sign_up(storage, "Cy", "cy_nick", role=Role.ADVISOR)
    app.config["CLOCK"] = lambda: SHIFT - timedelta(hours=1)
    first = runner.invoke(args=["reminders", "send"])
    assert first.exit_code == 0, first.output
    assert first.output == "Sent 1 reminder(s); 1 skipped (no email)\n"
    second = runner.invoke(args=["reminders", "send"])
    assert second.output == "Sent 0 reminder(s); 1 skipped (no email)\n"
    assert len(smtp_server.messages) == 1
    assert json.loads(state.read_text())["sent"]


def test_the_cli_refuses_while_mail_is_off(app, runner, storage):
    app.config["MAIL_SERVER"] = ""
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 1
    assert "Email is off: set MAIL_SERVER (SUMO_MAIL_SERVER)" in result.output


@pytest.mark.parametrize(
    ("setting", "hours"),
    [([24, 1], [24.0, 1.0]), ("24,1", [24.0, 1.0]), (2, [2.0]), ([1, 48, 1], [48.0, 1.0])],
)
def test_reminder_hours_are_read_from_a_list_a_number_or_text(setting, hours):
    assert reminders.reminder_hours({"REMINDER_HOURS": setting}) == hours
