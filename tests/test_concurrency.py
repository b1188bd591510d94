"""Many volunteers, several server processes, one sheet: nothing lost, duplicated or overfilled.

Each test serves the real site with gunicorn (3 worker processes x 8 threads) and sends 40
volunteers' forms at the same moment for the same few places (see tests/reliability.py,
which also prints these figures for docs/reliability.md).
"""

from __future__ import annotations

import pytest

from .reliability import SCENARIOS, Scenario, run


def scenario(text: str) -> Scenario:
    return next(s for s in SCENARIOS if text in s.name)


def assert_every_promise_kept(figures) -> None:
    assert figures.problems == []
    assert figures.correct
    assert figures.accepted == figures.found_in_sheet
    assert figures.accepted + figures.refused + figures.not_saved == figures.attempted
    # The load really crowded the places: some got in, some were turned away.
    assert figures.accepted > 0 and figures.refused > 0


@pytest.mark.parametrize("backend", ["workbook", "50 ms a call"])
def test_simultaneous_signups_across_processes_never_overfill_or_duplicate(tmp_path, backend):
    figures = run(scenario(backend), tmp_path)
    assert_every_promise_kept(figures)
    assert figures.not_saved == 0


def test_with_429s_503s_and_lost_append_replies_no_signup_is_lost_or_doubled(tmp_path):
    figures = run(scenario("faults"), tmp_path)
    assert figures.faults_injected >= 5
    assert_every_promise_kept(figures)


def test_a_coordinator_reorganising_the_tab_meanwhile_loses_no_signup(tmp_path):
    figures = run(scenario("coordinator"), tmp_path)
    assert figures.coordinator_edits >= 2
    assert_every_promise_kept(figures)
