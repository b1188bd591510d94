"""The site's record of what it confirmed: every way a signup is confirmed, cancelled or
withdrawn by the site is kept, and a record that cannot be written never fails a signup."""

from __future__ import annotations

import logging
import stat
from dataclasses import replace
from datetime import timedelta

import pytest

from sumo_sheets import services
from sumo_sheets.model import PlaceTaken, Role, Signup

from ..support import NOW
from .conftest import MONDAY_14, NO_WAITS, ask, later
from .test_settling import settler_at, typed
from .test_signups import FlakyAppends, RivalFirst


@pytest.fixture
def record(tmp_path) -> services.SignupRecord:
    return services.SignupRecord(tmp_path / "signup-record.jsonl", clock=lambda: NOW)


@pytest.fixture
def kept(reader, record):
    """The reader, keeping the site's record."""
    reader.record = record
    return reader


def statuses(record) -> dict[str, str]:
    return {r.signup.name: r.status for r in record.signups().values()}


def test_a_signup_and_each_week_of_a_repeat_are_kept_with_their_cells(kept, record):
    ann = services.sign_up(kept, ask("Ann"), NOW).signup
    services.sign_up_weekly(kept, ask("Bo", start=later(24 * 5 + 4)), 2, NOW)
    recorded = record.signups()
    assert statuses(record) == {"Ann": "confirmed", "Bo": "confirmed"} and len(recorded) == 3
    assert recorded[ann.id].signup == replace(ann, row=0)  # the row number is not kept
    assert stat.S_IMODE(record.path.stat().st_mode) == 0o600


def test_a_resent_form_keeps_one_signup(kept, record):
    services.sign_up(kept, ask("Ann"), NOW)
    services.sign_up(kept, ask("Ann"), NOW)
    assert len(record.signups()) == 1


def test_a_volunteers_cancel_is_kept(kept, record):
    ann = services.sign_up(kept, ask("Ann"), NOW).signup
    services.cancel_own_signup(kept, lambda s: True, ann.id, NOW, timedelta(hours=2))
    assert statuses(record) == {"Ann": "cancelled"}


def test_a_row_that_lost_its_race_was_never_confirmed(sheet, kept, record):
    rivals = [
        Signup(f"R{n}", f"r{n}@example.org", Role.MONITOR, MONDAY_14, later(101), id=f"RIVAL{n}")
        for n in (1, 2)
    ]
    kept.storage = RivalFirst(sheet, rivals)
    with pytest.raises(PlaceTaken):
        services.sign_up(kept, ask("Ann", Role.MONITOR), NOW)
    assert record.signups() == {}


def test_a_row_left_uncertain_is_kept_once_settled_as_kept(sheet, record):
    ann = typed(sheet, "Ann", NOW)
    reader = services.SheetReader(sheet, clock=lambda: NOW, record=record)
    settler = settler_at(NOW + services.SETTLE_GRACE, [])
    settler.ledger.record(ann)
    settler.settle(reader, reader.fresh())
    assert statuses(record) == {"Ann": "confirmed"}


def test_a_row_the_site_withdraws_is_kept_as_withdrawn(sheet, record):
    reader = services.SheetReader(sheet, clock=lambda: NOW, record=record)
    for name in ("Ann", "Bo", "Cy"):
        record.confirmed(typed(sheet, name, NOW))
    settler_at(NOW + services.SETTLE_GRACE, []).settle(reader, reader.fresh())
    assert statuses(record) == {"Ann": "confirmed", "Bo": "confirmed", "Cy": "withdrawn"}


def test_a_record_that_cannot_be_written_is_logged_and_the_signup_stands(reader, tmp_path, caplog):
    (tmp_path / "not-a-folder").write_text("")
    reader.record = services.SignupRecord(tmp_path / "not-a-folder" / "record.jsonl")
    with caplog.at_level(logging.ERROR):
        ann = services.sign_up(reader, ask("Ann"), NOW).signup
    assert [s.id for s in reader.fresh().signups] == [ann.id]
    (line,) = [r.getMessage() for r in caplog.records if "site's record" in r.getMessage()]
    assert ann.id in line and "ann@example.org" not in line


def test_an_unfinished_line_left_by_a_killed_writer_is_skipped(kept, record):
    ann = services.sign_up(kept, ask("Ann"), NOW).signup
    with open(record.path, "a") as file:
        file.write('{"event": "confirmed", "id": "HALF')
    bo = services.sign_up(kept, ask("Bo"), NOW).signup
    assert set(record.signups()) == {ann.id, bo.id}


def test_a_signup_uncertain_is_not_kept_until_it_is_settled(sheet, kept, record):
    kept.storage = FlakyAppends(sheet, failures=99, landed=True, reads_fail=True)
    with pytest.raises(services.SignupUncertain):
        services.sign_up(kept, ask("Ann"), NOW, retry=NO_WAITS)
    assert record.signups() == {}
