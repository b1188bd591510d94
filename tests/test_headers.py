"""Header matching, one rule for the sheet's format and every storage backend."""

from __future__ import annotations

from sumo_sheets import headers
from sumo_sheets import sheet_format as fmt


def test_every_alias_belongs_to_a_column_of_the_sheet_format():
    columns = {*fmt.SIGNUP_HEADERS, *fmt.SCHEDULE_HEADERS, *fmt.FINDING_HEADERS}
    assert set(headers.ALIASES) <= columns


def test_a_column_is_found_by_name_in_any_spelling_else_by_an_alias():
    row = ["start", " NAME ", "Start (utc)"]
    assert headers.column_index(row, "Start (UTC)") == 2
    assert headers.column_index(["Start time"], "Start (UTC)") == 0
    assert headers.missing_headers(row, ("Name", "Role")) == ["Role"]


def test_the_sheet_format_and_storage_share_the_one_rule():
    from sumo_sheets import storage, tabs

    assert fmt.column_index is headers.column_index and fmt.header_key is headers.header_key
    assert storage.TabSpec is tabs.TabSpec and storage.TabRepair is tabs.TabRepair
