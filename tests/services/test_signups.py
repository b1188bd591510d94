"""The signup protocol: append once, confirm in sheet order, replay a resent form, retry."""

from __future__ import annotations

import logging

import pytest

from sumo_sheets import services
from sumo_sheets import sheet_format as fmt
from sumo_sheets.model import PlaceTaken, Role, Signup, SlotFull
from sumo_sheets.storage import StorageError

from ..support import NOW
from .conftest import MONDAY_14, NO_WAITS, ask, later


class Wrapped:
    """The sheet, with one call replaced; every other attribute (capabilities too) is the
    sheet's own."""

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)


class FlakyAppends(Wrapped):
    """Appends fail ``failures`` times; ``landed`` says whether a failed append still landed."""

    def __init__(self, inner, failures: int, landed: bool = False, reads_fail: bool = False):
        super().__init__(inner)
        self.failures, self.landed, self.reads_fail = failures, landed, reads_fail
        self.appends = 0

    def append_rows(self, title, rows):
        self.appends += 1
        if self.failures:
            self.failures -= 1
            if self.landed:
                self.inner.append_rows(title, rows)
            raise StorageError("busy", transient=True, maybe_applied=self.landed)
        return self.inner.append_rows(title, rows)

    def read_tabs(self, titles):
        if self.reads_fail and self.appends:
            raise StorageError("unreachable", transient=True)
        return self.inner.read_tabs(titles)


class RivalFirst(Wrapped):
    """Another process's rows land just before ours."""

    def __init__(self, inner, rivals: list[Signup]):
        super().__init__(inner)
        self.rivals = rivals

    def append_rows(self, title, rows):
        header = self.inner.read_tabs([fmt.SIGNUPS])[fmt.SIGNUPS][0]
        rivals, self.rivals = self.rivals, []
        self.inner.append_rows(title, [fmt.signup_row(header, s) for s in rivals])
        return self.inner.append_rows(title, rows)


def test_a_signup_lands_once_and_confirmed(reader):
    outcome = services.sign_up(reader, ask("Ann"), NOW)
    rows = reader.fresh().signups
    assert [(s.id, s.name, s.confirmed) for s in rows] == [(outcome.signup.id, "Ann", True)]
    assert not outcome.repeated


def test_a_resent_form_finds_its_first_row(reader):
    first = services.sign_up(reader, ask("Ann"), NOW)
    again = services.sign_up(reader, ask("Ann"), NOW)
    assert again.repeated and again.signup.id == first.signup.id
    assert len(reader.fresh().signups) == 1


def test_a_full_role_refuses(reader):
    services.sign_up(reader, ask("Ann", Role.MONITOR), NOW)
    services.sign_up(reader, ask("Bo", Role.MONITOR), NOW)
    with pytest.raises(SlotFull):
        services.sign_up(reader, ask("Cy", Role.MONITOR), NOW)


def test_a_lost_race_withdraws_the_row_and_offers_another_hour(sheet, reader):
    rivals = [
        Signup(f"R{n}", f"r{n}@example.org", Role.MONITOR, MONDAY_14, later(101), id=f"RIVAL{n}")
        for n in (1, 2)
    ]
    reader.storage = RivalFirst(sheet, rivals)
    with pytest.raises(PlaceTaken) as lost:
        services.sign_up(reader, ask("Ann", Role.MONITOR), NOW)
    assert lost.value.suggestion is not None
    mine = [s for s in reader.fresh().signups if s.name == "Ann"]
    assert [s.cancelled for s in mine] == [True]


def test_each_retry_of_an_append_is_logged(sheet, reader, caplog):
    reader.storage = FlakyAppends(sheet, failures=2)
    with caplog.at_level(logging.WARNING):
        made = services.sign_up(reader, ask("Ann"), NOW, retry=NO_WAITS).signup
    retries = [r.getMessage() for r in caplog.records if "append attempt" in r.getMessage()]
    assert len(retries) == 2
    assert all(made.id in line and "busy" in line for line in retries)
    assert len(reader.fresh().signups) == 1


def test_an_append_whose_reply_was_lost_is_not_made_twice(sheet, reader):
    reader.storage = FlakyAppends(sheet, failures=1, landed=True)
    services.sign_up(reader, ask("Ann"), NOW, retry=NO_WAITS)
    assert len(reader.fresh().signups) == 1


def test_out_of_tries_says_the_signup_was_not_saved_naming_the_backend(sheet, reader):
    reader.storage = FlakyAppends(sheet, failures=99)
    with pytest.raises(services.SignupNotSaved) as failed:
        services.sign_up(reader, ask("Ann"), NOW, retry=NO_WAITS)
    assert failed.value.message.startswith(f"{sheet.display_name} is busy")
    assert reader.fresh().signups == []


def test_a_signup_that_may_have_landed_unread_is_uncertain_and_noted(sheet, reader):
    reader.storage = FlakyAppends(sheet, failures=99, landed=True, reads_fail=True)
    with pytest.raises(services.SignupUncertain):
        services.sign_up(reader, ask("Ann"), NOW, retry=NO_WAITS)
    assert [s.name for s in reader.ledger.pending()] == ["Ann"]


def test_a_weekly_signup_makes_one_row_a_week_and_reports_refusals(reader):
    services.sign_up(reader, ask("Bo", Role.MONITOR, start=later(24 * 19 + 4)), NOW)
    services.sign_up(reader, ask("Cy", Role.MONITOR, start=later(24 * 19 + 4)), NOW)
    weeks = services.sign_up_weekly(reader, ask("Ann", Role.MONITOR), 3, NOW)
    assert [w.signup is not None for w in weeks] == [True, True, False]
    assert weeks[2].refusal
    again = services.sign_up_weekly(reader, ask("Ann", Role.MONITOR), 3, NOW)
    assert [w.signup.id for w in again[:2]] == [w.signup.id for w in weeks[:2]]
