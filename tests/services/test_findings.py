"""Findings: logged once per form, read back over their time window."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sumo_sheets import services
from sumo_sheets.sheet_format import Finding
from sumo_sheets.storage import TabMissing

from ..support import NOW


def finding(seen: str, at=NOW, request_id: str = "") -> Finding:
    return Finding("", NOW, at, "Ann", "ann@example.org", seen, request_id=request_id)


def test_a_finding_is_logged_once_per_form(sheet):
    first = services.log_finding(sheet, finding("spam links", request_id="k1"))
    again = services.log_finding(sheet, finding("spam links", request_id="k1"))
    other = services.log_finding(sheet, finding("a rude user", request_id="k1"))
    assert first.id and again.id == first.id
    assert other.id != first.id and other.request_id != "k1"
    assert len(services.recent_findings(sheet, NOW)) == 2


def test_recent_findings_are_those_of_the_window_newest_first(sheet):
    window = timedelta(days=services.FINDINGS_DAYS)
    services.log_finding(sheet, finding("old", at=NOW - window - timedelta(hours=1)))
    services.log_finding(sheet, finding("older", at=NOW - timedelta(days=2)))
    services.log_finding(sheet, finding("newer", at=NOW - timedelta(days=1)))
    assert [f.seen for f in services.recent_findings(sheet, NOW)] == ["newer", "older"]


@pytest.mark.parametrize("edit", ["emptied", "deleted"])
def test_a_finding_is_refused_with_the_fix_when_the_findings_tab_is_gone(sheet, edit):
    # Only `sheet init` makes tabs: logging a finding never brings a deleted tab back.
    if edit == "deleted":
        sheet.delete_tab("Findings")
    else:
        sheet.edit_tab("Findings", [])
    with pytest.raises(TabMissing, match=r"no Findings tab.*sheet init"):
        services.log_finding(sheet, finding("spam"))
    assert sheet.read_tabs(["Findings"]) == {"Findings": []}
    assert sheet.locate_tabs(["Findings"])["Findings"].found_as == (
        None if edit == "deleted" else "Findings"
    )
