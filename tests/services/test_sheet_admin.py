"""Setting the sheet up, checking it, and the demo filling the coming days."""

from __future__ import annotations

import random
from datetime import timedelta

from sumo_sheets import services
from sumo_sheets.model import Role
from sumo_sheets.storage.memory import MemoryStorage

from ..support import NOW


def test_init_makes_the_tabs_once():
    sheet = MemoryStorage()
    assert all(repair.created for repair in services.init_sheet(sheet))
    assert not any(repair.changed for repair in services.init_sheet(sheet))
    assert services.check_sheet(sheet) == []


def test_check_lists_the_rows_the_site_skips(sheet):
    sheet.append_rows("Signups", [["X1", "", "", "Helper", "not a time"]])
    problems = services.check_sheet(sheet)
    assert [p.row for p in problems] == [2]


def test_the_demo_fills_the_coming_seven_days_within_the_rules(sheet):
    made = services.fill_demo(sheet, NOW, rng=random.Random(7))
    data = services.read_sheet(sheet)
    assert made and len(data.signups) == len(made)
    assert data.problems == []
    assert all(NOW <= s.start < NOW + timedelta(days=7) for s in made)
    starts = {b.start for b in data.blocks_near(NOW) + data.blocks_near(NOW + timedelta(days=7))}
    coming = {s for s in starts if NOW <= s < NOW + timedelta(days=7)}
    anchored = {s.start for s in made if s.role is Role.ANCHOR}
    assert anchored <= coming and len(anchored) == len([s for s in made if s.role is Role.ANCHOR])


def test_the_demo_over_fewer_days_fills_fewer_blocks(sheet):
    made = services.fill_demo(sheet, NOW, days=1, rng=random.Random(7))
    assert made and all(s.start < NOW + timedelta(days=1) for s in made)
