"""Cancelling: the cut-off's one rule, a volunteer's own cancel, and the site's withdrawals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sumo_sheets import services
from sumo_sheets.services import cancellations

from ..support import NOW
from .conftest import MONDAY_14, ask

CUTOFF = timedelta(hours=2)


def test_a_signup_can_be_cancelled_until_the_cut_off_before_it_starts(reader):
    signup = services.sign_up(reader, ask("Ann"), NOW).signup
    assert services.can_cancel(signup, MONDAY_14 - CUTOFF - timedelta(minutes=1), CUTOFF)
    assert not services.can_cancel(signup, MONDAY_14 - CUTOFF, CUTOFF)


def test_a_volunteer_cancels_their_own_signup(reader):
    signup = services.sign_up(reader, ask("Ann"), NOW).signup
    gone = services.cancel_own_signup(reader, lambda s: True, signup.id, NOW, CUTOFF)
    assert gone.id == signup.id
    assert reader.fresh().signups[0].cancelled
    assert services.cancel_own_signup(reader, lambda s: True, signup.id, NOW, CUTOFF) is None


def test_a_link_that_does_not_reach_the_signup_cancels_nothing(reader):
    signup = services.sign_up(reader, ask("Ann"), NOW).signup
    assert services.cancel_own_signup(reader, lambda s: False, signup.id, NOW, CUTOFF) is None
    assert reader.fresh().signups[0].confirmed


def test_too_late_to_cancel_says_when_in_utc_or_in_the_viewers_words(reader):
    signup = services.sign_up(reader, ask("Ann"), NOW).signup
    with pytest.raises(services.TooLateToCancel) as late:
        services.cancel_own_signup(reader, lambda s: True, signup.id, MONDAY_14, CUTOFF)
    assert late.value.message.startswith("This shift starts at 14:00 UTC;")
    assert "2 hours before the start" in str(late.value)
    assert late.value.describe(lambda moment: "Monday 3 pm").startswith(
        "This shift starts at Monday 3 pm;"
    )
    assert reader.fresh().signups[0].confirmed


class NotAtomic:
    """The sheet, claiming (as Google Sheets does) that its row updates are not atomic."""

    atomic_row_updates = False

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_withdrawals_look_again_only_where_row_updates_are_not_atomic(sheet, reader, monkeypatch):
    pauses = []
    monkeypatch.setattr(cancellations.time, "sleep", pauses.append)
    signup = services.sign_up(reader, ask("Ann"), NOW).signup
    services.withdraw_rows(reader, [signup])
    assert pauses == []
    reader.storage = NotAtomic(sheet)
    services.withdraw_rows(reader, [signup], settle_seconds=1.0)
    assert pauses == [1.0]
    assert reader.fresh().signups[0].cancelled
