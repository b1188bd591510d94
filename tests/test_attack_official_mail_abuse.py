"""Attack: use the site to send official-looking mail with a stranger's text to anyone, over
and over, and tell by the lost-link form's speed which addresses have signed up.

The typed name is never the first words of a mail, nor in its To header; every mail ends
with "If this wasn't you…"; each address gets at most MAIL_PER_ADDRESS from the pages; and
mail goes after the response, so every answer takes the same path.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from limits import parse_many

from .smtp import body_text
from .smtp import smtp_server_fixture as smtp_server_fixture  # noqa: F401 (the fixture)
from .support import NOW, contact_token, drain_mail, make_site
from .test_cache import redis_url  # noqa: F401 (the fixture: a real redis-server)

FOOTER = "If this wasn't you, ignore this mail; nothing else was shared."
BAIT = "Your account is locked; verify at https://evil.example/login"
VICTIM = "victim@example.org"
FORM = {"name": BAIT, "contact": VICTIM, "role": "helper", "hours": "1"}
# Open hours of the default schedule in the week after NOW, one per signup.
STARTS = [f"2026-12-0{day}T{hour}:00Z" for day in (1, 2, 3) for hour in (14, 15)]


def make_app(workbook_path, smtp_server, **settings):
    return make_site(workbook_path, SITE_URL="http://localhost", **smtp_server.config, **settings)


def test_the_typed_name_is_never_the_first_words_of_a_mail_nor_in_its_header(
    workbook_path, smtp_server
):
    site = make_app(workbook_path, smtp_server)
    client = site.test_client()
    assert client.post("/signup", data={**FORM, "start": STARTS[0]}).status_code == 303
    drain_mail(site)
    (message,) = smtp_server.messages
    assert str(message["To"]) == VICTIM
    body = body_text(message)
    first_line = body.splitlines()[0]
    assert BAIT not in first_line and first_line == "Hello,"
    assert f'The name you gave: "{BAIT}"' in body
    assert body.index("The name you gave") > body.index("[signup ")
    assert BAIT not in str(message["Subject"])


def test_every_mail_ends_with_if_this_wasnt_you(workbook_path, smtp_server):
    site = make_app(workbook_path, smtp_server, MAIL_PER_ADDRESS="")
    client = site.test_client()
    response = client.post(
        "/signup", data={**FORM, "contact": "ann@example.org", "start": STARTS[0]}
    )
    signup_id = response.location.rsplit("/", 1)[1]
    link = "/my/" + contact_token("ann@example.org")
    client.post(f"{link}/cancel/{signup_id}")
    client.post("/my", data={"email": "ann@example.org"})
    drain_mail(site)
    subjects = [str(m["Subject"]) for m in smtp_server.messages]
    assert len(subjects) == 3, subjects  # confirmation, cancellation, lost link
    for message in smtp_server.messages:
        assert body_text(message).rstrip().endswith(FOOTER)


def test_an_address_gets_at_most_three_mails_an_hour_from_the_pages(workbook_path, smtp_server):
    site = make_app(workbook_path, smtp_server)
    client = site.test_client()
    for start in STARTS[:5]:
        assert client.post("/signup", data={**FORM, "start": start}).status_code == 303
    client.post("/my", data={"email": VICTIM})
    drain_mail(site)
    assert len(smtp_server.messages) == 3
    # Another address is not held back by the first one's count.
    client.post("/signup", data={**FORM, "contact": "bo@example.org", "start": STARTS[5]})
    drain_mail(site)
    assert smtp_server.messages[-1]["To"] == "bo@example.org"


@pytest.fixture(params=["file", "redis"])
def counter(request, tmp_path):
    from sumo_sheets.outbox import FileMailCounter, RedisMailCounter

    limits = parse_many("3 per hour;10 per day")
    if request.param == "file":
        return FileMailCounter(tmp_path / "mail-sent.json", limits)
    url = request.getfixturevalue("redis_url")
    import redis

    redis.Redis.from_url(url).flushdb()
    return RedisMailCounter(url, limits)


def test_the_hourly_and_daily_caps_both_hold(counter, tmp_path):
    assert [counter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert counter.allow("b")  # counted per address
    if hasattr(counter, "path"):  # the file-backed counter
        # Nine sent earlier today (none in the last hour): one more today, then no more.
        earlier = [time.time() - 3600 * hours for hours in range(2, 11)]
        counter.path.write_text(json.dumps({"c": earlier}))
        assert counter.allow("c") and not counter.allow("c")


def test_the_page_answers_before_the_mail_is_sent_so_timing_tells_nothing(
    workbook_path, smtp_server
):
    site = make_app(workbook_path, smtp_server)
    client = site.test_client()
    client.post("/signup", data={**FORM, "contact": "ann@example.org", "start": STARTS[0]})
    drain_mail(site)
    before = len(smtp_server.messages)
    # The mail server now holds every message until the test lets it go.
    gate = threading.Event()
    original = smtp_server.handle_DATA

    async def held(server, session, envelope):
        await asyncio.get_running_loop().run_in_executor(None, gate.wait, 20)
        return await original(server, session, envelope)

    smtp_server.handle_DATA = held
    try:
        known = client.post("/my", data={"email": "ann@example.org"})
        unknown = client.post("/my", data={"email": "nobody@example.org"})
        # Both answered while the known address's mail could not yet be delivered.
        assert len(smtp_server.messages) == before
        assert known.status_code == unknown.status_code == 200
        assert known.get_data() == unknown.get_data()
    finally:
        gate.set()
    drain_mail(site)
    assert len(smtp_server.messages) == before + 1
    assert smtp_server.messages[-1]["To"] == "ann@example.org"


def test_tagged_and_dotted_spellings_of_one_mailbox_share_its_cap(workbook_path, smtp_server):
    site = make_app(workbook_path, smtp_server)
    client = site.test_client()
    spellings = [
        "victim+1@gmail.com",
        "v.i.c.t.i.m@gmail.com",
        "Victim+x@googlemail.com",
        "victim@gmail.com",
        "vic.tim+2@gmail.com",
    ]
    for contact, start in zip(spellings, STARTS, strict=False):
        assert (
            client.post("/signup", data={**FORM, "contact": contact, "start": start}).status_code
            == 303
        )
    drain_mail(site)
    assert len(smtp_server.messages) == 3


def test_reminders_to_one_mailbox_are_capped_too(workbook_path, smtp_server):
    from datetime import timedelta

    from sumo_sheets import reminders

    site = make_app(workbook_path, smtp_server, MAIL_PER_ADDRESS="")
    client = site.test_client()
    # Every other hour, so no shift carries straight on from another (each gets reminders).
    for start in [
        "2026-11-30T14:00Z",
        "2026-11-30T16:00Z",
        "2026-11-30T18:00Z",
        "2026-12-01T14:00Z",
        "2026-12-01T16:00Z",
        "2026-12-01T18:00Z",
    ]:
        assert client.post("/signup", data={**FORM, "start": start}).status_code == 303
    drain_mail(site)
    before = len(smtp_server.messages)
    storage = site.extensions["sumo_storage"]
    state = workbook_path.parent / "reminders-sent.json"
    monday = NOW.replace(day=30, hour=14) - timedelta(hours=23)  # 24 h before Monday 14:00
    with site.app_context():
        for hours in range(0, 30):
            reminders.send_due_reminders(
                storage, site.config, monday + timedelta(hours=hours), state
            )
    sent = len(smtp_server.messages) - before
    assert 0 < sent <= 6
