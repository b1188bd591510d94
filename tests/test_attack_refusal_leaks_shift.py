"""Attack: learning when someone is on shift from a refused signup.

Anyone can type any contact into the form. When that contact already had a signup in
the hours asked for, the refusal used to say which role and when ("You are already
Advisor at Mon 30 Nov 15:00 UTC"), so a stranger who knew a volunteer's address could
read off their shifts. A refusal now says only that this contact already has a signup
overlapping these hours.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sumo_sheets.model import (
    AlreadySignedUp,
    Role,
    RoleClash,
    ScheduleEntry,
    Settings,
    Signup,
    SignupRequest,
    blocks_for_week,
    check_room,
)

from .support import page_text

VOLUNTEER = "vera@example.org"
MONDAY_14 = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
# Vera is on from 15:00; the stranger asks for 14:00–16:00, so the overlap starts at 15:00.
VERA = {
    "name": "Vera Volunteer",
    "contact": VOLUNTEER,
    "start": "2026-11-30T15:00Z",
    "hours": "1",
    "note": "",
}
STRANGER = {
    "name": "Not Vera",
    "contact": VOLUNTEER,
    "start": "2026-11-30T14:00Z",
    "hours": "2",
    "note": "",
}
OVERLAP = "This contact already has a signup that overlaps these hours"


def refusals(response) -> str:
    """The error summary and the messages beside fields: what the refusal tells the asker."""
    page = response.get_data(as_text=True)
    parts = re.findall(r'<div class="error-summary".*?</div>', page, flags=re.DOTALL)
    parts += re.findall(r'<p class="error"[^>]*>.*?</p>', page, flags=re.DOTALL)
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", p) for p in parts))


@pytest.mark.parametrize(
    ("vera_role", "stranger_role", "label"),
    [
        ("advisor", "helper", "Advisor"),  # another role: a role clash
        ("helper", "helper", "Helper"),  # the same role: already signed up
        ("monitor", "helper", "Room monitor"),
    ],
)
def test_a_refusal_never_tells_a_stranger_the_volunteers_role_or_time(
    client, vera_role, stranger_role, label
):
    assert client.post("/signup", data={**VERA, "role": vera_role}).status_code == 303

    response = client.post("/signup", data={**STRANGER, "role": stranger_role})

    assert response.status_code == 422
    told = refusals(response)
    assert OVERLAP in told
    assert label not in told and label.lower() not in told
    assert "15:00" not in told and "16:00" not in told
    assert "Mon" not in told and "30 Nov" not in told


def test_a_weekly_repeat_refused_in_one_week_does_not_tell_that_weeks_shift(client):
    # Vera is an Advisor at 15:00 a week later; the stranger repeats 14:00–16:00 for 2 weeks.
    later = {**VERA, "role": "advisor", "start": "2026-12-07T15:00Z"}
    assert client.post("/signup", data=later).status_code == 303

    response = client.post(
        "/signup", data={**STRANGER, "role": "helper", "repeat_weeks": "2"}, follow_redirects=True
    )

    text = page_text(response)
    assert OVERLAP in text
    assert "Advisor" not in text and "15:00" not in text


def test_the_refusal_names_neither_role_nor_hour_and_keeps_its_field():
    entry = ScheduleEntry(0, MONDAY_14.time(), MONDAY_14.replace(hour=17).time(), {Role.HELPER: 2})
    (block,) = blocks_for_week([entry], MONDAY_14.date(), ZoneInfo("UTC"))
    at_15 = MONDAY_14 + timedelta(hours=1)
    end = MONDAY_14 + timedelta(hours=3)
    vera = Signup("Vera", VOLUNTEER, Role.ADVISOR, at_15, at_15 + timedelta(hours=1))
    ask = SignupRequest("Not Vera", f" {VOLUNTEER.upper()} ", Role.HELPER, MONDAY_14, 3)
    with pytest.raises(RoleClash) as clash:
        check_room(ask, block, MONDAY_14, end, [vera], Settings())
    same = SignupRequest("Not Vera", VOLUNTEER, Role.ADVISOR, MONDAY_14, 3)
    with pytest.raises(AlreadySignedUp) as already:
        check_room(same, block, MONDAY_14, end, [vera], Settings())

    for refusal in (clash.value, already.value):
        assert refusal.message.startswith(OVERLAP)
        assert "Advisor" not in refusal.message and "15:00" not in refusal.message
    assert (clash.value.field, already.value.field) == ("role", "start")
