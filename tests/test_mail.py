"""Emails to volunteers, sent to a real SMTP server and parsed back, .ics attachments included."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sumo_sheets import mail
from sumo_sheets.model import Role, Signup

from .smtp import body_text, free_port, ics_attachment
from .smtp import smtp_server_fixture as smtp_server_fixture  # noqa: F401 (the fixture)
from .support import NOW

START = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
MANAGE = "https://livechat.example.org/my/TOKEN.abc"
SENDER = "SUMO Live Chat <livechat@example.org>"
ANN = Signup(
    name="Ann Example",
    contact="Ann@Example.ORG",
    role=Role.HELPER,
    start=START,
    end=START + timedelta(hours=2),
    id="ANNX2345",
    signed_up_at=NOW,
)


def settings(server, **changes) -> dict[str, object]:
    return {
        **server.config,
        "MAIL_SENDER": SENDER,
        "CANCEL_CUTOFF_HOURS": 2,
        "MANAGE_LINK_DAYS": 365,
        **changes,
    }


def weeks_of(signup: Signup, count: int) -> list[Signup]:
    week = timedelta(weeks=1)
    return [
        Signup(
            **{
                **signup.__dict__,
                "id": f"WEEK{n}234",
                "start": signup.start + n * week,
                "end": signup.end + n * week,
            }
        )
        for n in range(count)
    ]


def test_a_signup_confirmation_reaches_the_volunteer_with_both_times_and_the_link(smtp_server):
    assert mail.send_signup_confirmation(settings(smtp_server), [ANN], MANAGE, BERLIN, now=NOW)
    (received,) = smtp_server.received
    assert received.rcpt_tos == ["Ann@example.org"]
    assert received.mail_from == "livechat@example.org"
    message = received.message
    assert message["To"] == "Ann@example.org"  # the typed name is no part of the header
    assert message["From"] == SENDER
    assert message["Subject"] == "You're signed up: SUMO Live Chat, Mon 30 Nov 15:00 CET"
    assert message["Auto-Submitted"] == "auto-generated"
    body = body_text(message)
    assert body.startswith("Hello,\n")
    assert 'The name you gave: "Ann Example"' in body
    assert (
        "  - Helper, Mon 30 Nov 2026, 15:00–17:00 CET (14:00–16:00 UTC) [signup ANNX2345]" in body
    )
    assert f"\n{MANAGE}\n" in body
    assert "up to 2 hours before it starts" in body


def test_the_confirmation_carries_an_ics_of_the_signup(smtp_server):
    mail.send_signup_confirmation(settings(smtp_server), [ANN], MANAGE, BERLIN, now=NOW)
    part, calendar = ics_attachment(smtp_server.messages[0])
    assert part.get_filename() == "sumo-livechat.ics"
    assert part.get_param("method") == "PUBLISH"
    assert str(calendar["METHOD"]) == "PUBLISH" and str(calendar["VERSION"]) == "2.0"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "signup-ANNX2345@sumo-livechat"
    assert event.decoded("DTSTART") == START and event["DTSTART"].to_ical().endswith(b"Z")
    assert event.decoded("DTEND") == START + timedelta(hours=2)
    assert event.decoded("DTSTAMP") == NOW
    assert str(event["SUMMARY"]) == "SUMO Live Chat — Helper"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("SEQUENCE") == 0
    assert str(event["URL"]) == MANAGE
    assert "Ann@Example.ORG".casefold() not in part.get_payload(decode=True).decode().casefold()


def test_a_weekly_repeat_is_one_email_listing_every_week(smtp_server):
    rows = weeks_of(ANN, 3)
    assert mail.send_signup_confirmation(settings(smtp_server), rows, MANAGE, BERLIN, now=NOW)
    (message,) = smtp_server.messages
    assert message["Subject"] == "You're signed up: SUMO Live Chat, Mon 30 Nov 15:00 CET (+2 more)"
    body = body_text(message)
    for day in ("Mon 30 Nov 2026", "Mon 7 Dec 2026", "Mon 14 Dec 2026"):
        assert f"Helper, {day}, 15:00–17:00 CET (14:00–16:00 UTC)" in body
    _, calendar = ics_attachment(message)
    uids = [str(event["UID"]) for event in calendar.walk("VEVENT")]
    assert uids == [f"signup-WEEK{n}234@sumo-livechat" for n in range(3)]


def test_a_cancellation_email_marks_the_same_event_cancelled(smtp_server):
    assert mail.send_cancellation(settings(smtp_server), ANN, MANAGE, BERLIN, now=NOW)
    (message,) = smtp_server.messages
    assert message["Subject"] == "Cancelled: SUMO Live Chat, Mon 30 Nov 15:00 CET"
    body = body_text(message)
    assert "made with this email address is cancelled" in body
    assert "Helper, Mon 30 Nov 2026, 15:00–17:00 CET (14:00–16:00 UTC)" in body
    assert MANAGE in body
    _, calendar = ics_attachment(message)
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "signup-ANNX2345@sumo-livechat"
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.decoded("SEQUENCE") == 1
    assert event.decoded("DTSTART") == START and event.decoded("DTSTAMP") == NOW


def test_the_manage_link_email_holds_the_link_and_how_long_it_works(smtp_server):
    assert mail.send_manage_link(settings(smtp_server), "ann@example.org", MANAGE)
    (message,) = smtp_server.messages
    assert message["To"] == "ann@example.org"
    assert message["Subject"] == "Your SUMO Live Chat signups link"
    body = body_text(message)
    assert f"\n{MANAGE}\n" in body and "It works for 365 days." in body
    assert not list(message.iter_attachments())


def test_a_volunteer_in_utc_sees_each_time_once(smtp_server):
    mail.send_signup_confirmation(settings(smtp_server), [ANN], MANAGE, ZoneInfo("UTC"))
    message = smtp_server.messages[0]
    assert message["Subject"] == "You're signed up: SUMO Live Chat, Mon 30 Nov 14:00 UTC"
    assert "Helper, Mon 30 Nov 2026, 14:00–16:00 UTC [signup" in body_text(message)


@pytest.mark.parametrize("nick", ["sumo_fan", "@you:matrix.org", "ann@"])
def test_chat_nicks_get_no_email(smtp_server, nick):
    config = settings(smtp_server)
    nick_signup = Signup(**{**ANN.__dict__, "contact": nick})
    assert not mail.send_signup_confirmation(config, [nick_signup], MANAGE, BERLIN)
    assert not mail.send_cancellation(config, nick_signup, MANAGE, BERLIN)
    assert not mail.send_manage_link(config, nick, MANAGE)
    assert smtp_server.received == []


def test_nothing_is_sent_while_mail_is_off(smtp_server):
    config = settings(smtp_server, MAIL_SERVER="")
    assert not mail.mail_enabled(config)
    assert not mail.send_signup_confirmation(config, [ANN], MANAGE, BERLIN)
    assert not mail.send_manage_link(config, "ann@example.org", MANAGE)
    assert smtp_server.received == []


@pytest.mark.parametrize(
    ("contact", "expected"),
    [
        ("ann@example.org", True),
        (" Ann.Example+chat@mail.example.org ", True),
        ("sumo_fan", False),
        ("@you:matrix.org", False),
        ("ann@localhost", False),
        ("two@@example.org", False),
        ("", False),
    ],
)
def test_only_email_addresses_count_as_email(contact, expected):
    assert mail.is_email(contact) is expected


def test_an_unreachable_server_is_logged_and_reported_not_raised(caplog):
    config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": free_port(), "MAIL_PASSWORD": "hunter2"}
    with caplog.at_level(logging.WARNING, logger="sumo_sheets.mail"):
        assert not mail.send_signup_confirmation(config, [ANN], MANAGE, BERLIN)
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert "signup confirmation ANNX2345: email not sent: ConnectionRefusedError" in record.message
    assert "hunter2" not in caplog.text and "example.org" not in caplog.text.casefold()


def test_a_refused_message_is_logged_with_the_servers_reply(smtp_server, caplog):
    smtp_server.refuse_with = "554 5.7.1 Message rejected"
    with caplog.at_level(logging.WARNING, logger="sumo_sheets.mail"):
        assert not mail.send_cancellation(settings(smtp_server), ANN, MANAGE, BERLIN)
    assert "cancellation ANNX2345: email not sent: SMTPDataError 554 5.7.1 Message rejected" in (
        caplog.text
    )
    assert smtp_server.received == []


def test_the_server_login_uses_the_configured_account_and_never_logs_the_password(
    smtp_server, caplog
):
    config = settings(smtp_server, MAIL_USERNAME="sumo", MAIL_PASSWORD="hunter2")
    with caplog.at_level(logging.DEBUG):
        assert mail.send_manage_link(config, "ann@example.org", MANAGE)
    assert smtp_server.logins == [("sumo", "hunter2")]
    assert len(smtp_server.messages) == 1
    assert "hunter2" not in caplog.text
