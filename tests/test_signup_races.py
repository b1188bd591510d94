"""Signups racing for the last place, and forms sent twice: the sheet decides, in its own order.

Another process's append is staged deterministically: a storage wrapper lands a rival row
just before ours, as a second server process would between our check and our append.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sumo_sheets import services
from sumo_sheets import sheet_format as fmt
from sumo_sheets.model import (
    AlreadySignedUp,
    PlaceTaken,
    Role,
    Signup,
    SignupRequest,
    SlotFull,
)
from sumo_sheets.storage.workbook import WorkbookStorage

from .support import NOW

MONDAY_14 = datetime(2026, 11, 30, 14, tzinfo=UTC)


class RivalAppendsFirst:
    """A real workbook where, just before our append lands, another process's rows land.

    Everything but ``append_rows`` is the workbook's own, capabilities included (its row
    updates are atomic: withdrawals need no second look).
    """

    def __init__(self, inner: WorkbookStorage, rivals: list[Signup]) -> None:
        self.inner = inner
        self.rivals = rivals
        self.backend_name = inner.backend_name
        self.display_name = inner.display_name
        self.atomic_row_updates = inner.atomic_row_updates
        self.default_cache_seconds = inner.default_cache_seconds

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def append_rows(self, title, rows):
        if self.rivals:
            header = self.inner.read_tabs([fmt.SIGNUPS])[fmt.SIGNUPS][0]
            rivals, self.rivals = self.rivals, []
            self.inner.append_rows(title, [fmt.signup_row(header, s) for s in rivals])
        return self.inner.append_rows(title, rows)


@pytest.fixture
def workbook(tmp_path):
    storage = WorkbookStorage(tmp_path / "races.xlsx", new_file_tabs=fmt.TAB_SPECS)
    services.init_sheet(storage)
    return storage


def rival(name: str, role: Role, start: datetime, hours: int = 1, **extra) -> Signup:
    return Signup(
        id=f"RIVAL{name.upper()}",
        name=name,
        contact=f"{name.lower()}@example.org",
        role=role,
        start=start,
        end=start + timedelta(hours=hours),
        signed_up_at=NOW,
        **extra,
    )


def ask(name: str, role: Role, start: datetime = MONDAY_14, hours: int = 1, request_id=""):
    return SignupRequest(
        name, f"{name.lower()}@example.org", role, start, hours, request_id=request_id or name * 4
    )


def confirmed(storage) -> list[Signup]:
    return [s for s in services.read_sheet(storage).signups if s.confirmed]


def test_the_row_that_reaches_the_sheet_second_loses_the_last_anchor_place(workbook):
    racing = RivalAppendsFirst(workbook, [rival("Rae", Role.ANCHOR, MONDAY_14, hours=2)])

    with pytest.raises(PlaceTaken) as taken:
        services.sign_up(services.SheetReader(racing), ask("Ann", Role.ANCHOR), NOW)

    assert "just before you" in taken.value.message
    # The next block with no Anchor yet is offered instead: Monday 16:00.
    assert taken.value.suggestion == datetime(2026, 11, 30, 16, tzinfo=UTC)
    rows = services.read_sheet(workbook).signups
    assert [(s.name, s.confirmed) for s in rows] == [("Rae", True), ("Ann", False)]


def test_a_rival_for_a_different_place_does_not_cost_anyone_theirs(workbook):
    racing = RivalAppendsFirst(
        workbook, [rival("Rae", Role.ANCHOR, datetime(2026, 11, 30, 16, tzinfo=UTC), 3)]
    )
    outcome = services.sign_up(services.SheetReader(racing), ask("Ann", Role.ANCHOR), NOW)
    assert not outcome.repeated
    assert {s.name for s in confirmed(workbook)} == {"Ann", "Rae"}


def test_room_monitors_past_the_maximum_are_cancelled_in_sheet_order(workbook):
    # Two room monitors an hour at most; one is already there, a rival lands just before us.
    services.sign_up(services.SheetReader(workbook), ask("Mo", Role.MONITOR), NOW)
    racing = RivalAppendsFirst(workbook, [rival("Rae", Role.MONITOR, MONDAY_14)])

    with pytest.raises(PlaceTaken) as taken:
        services.sign_up(services.SheetReader(racing), ask("Ann", Role.MONITOR), NOW)

    assert taken.value.suggestion == MONDAY_14 + timedelta(hours=1)
    assert sorted(s.name for s in confirmed(workbook)) == ["Mo", "Rae"]


def test_rows_that_were_there_first_count_even_if_a_sort_moved_them_below_ours(workbook):
    services.sign_up(services.SheetReader(workbook), ask("Mo", Role.MONITOR), NOW)
    services.sign_up(services.SheetReader(workbook), ask("Ned", Role.MONITOR), NOW)

    class SortsAfterOurAppend(RivalAppendsFirst):
        def append_rows(self, title, rows):
            landed = super().append_rows(title, rows)
            # A coordinator sorts Z-A by name: Ann's row (ours) goes above Mo and Ned.
            sort_signups_by_name(self.inner, descending=True)
            return landed

    # Ann's early check is made on a read taken before Ned (a stale read, as under load).
    stale = services.read_sheet(workbook)
    stale.signups = [s for s in stale.signups if s.name != "Ned"]
    racing = SortsAfterOurAppend(workbook, [])
    with pytest.raises(PlaceTaken):
        services.sign_up(services.SheetReader(racing), ask("Ann", Role.MONITOR), NOW, stale)
    assert sorted(s.name for s in confirmed(workbook)) == ["Mo", "Ned"]


def test_the_same_person_in_two_tabs_keeps_only_the_signup_that_landed_first(workbook):
    ann_elsewhere = rival("Ann", Role.ADVISOR, MONDAY_14)
    racing = RivalAppendsFirst(workbook, [ann_elsewhere])

    with pytest.raises(Exception) as refused:
        services.sign_up(services.SheetReader(racing), ask("Ann", Role.HELPER), NOW)

    assert "one person takes one place an hour" in str(refused.value)
    assert [(s.role, s.name) for s in confirmed(workbook)] == [(Role.ADVISOR, "Ann")]


def test_a_form_sent_again_finds_its_first_row_instead_of_adding_another(workbook):
    reader = services.SheetReader(workbook)
    first = services.sign_up(reader, ask("Ann", Role.HELPER, request_id="k" * 20), NOW)
    again = services.sign_up(reader, ask("Ann", Role.HELPER, request_id="k" * 20), NOW)

    assert again.repeated and again.signup.id == first.signup.id
    assert len(services.read_sheet(workbook).signups) == 1


def test_a_double_click_landing_in_two_processes_keeps_the_first_row(workbook):
    # The other process appended the very same form (same request ID) just before us.
    twin = rival("Ann", Role.HELPER, MONDAY_14, request_id="k" * 20)
    racing = RivalAppendsFirst(workbook, [twin])

    outcome = services.sign_up(
        services.SheetReader(racing), ask("Ann", Role.HELPER, request_id="k" * 20), NOW
    )

    assert outcome.repeated and outcome.signup.id == twin.id
    assert [s.id for s in confirmed(workbook)] == [twin.id]


def test_a_person_already_on_before_the_race_is_told_plainly(workbook):
    services.sign_up(services.SheetReader(workbook), ask("Ann", Role.HELPER), NOW)
    with pytest.raises(AlreadySignedUp):
        services.sign_up(
            services.SheetReader(workbook), ask("Ann", Role.HELPER, request_id="other" * 4), NOW
        )
    assert len(services.read_sheet(workbook).signups) == 1


def sort_signups_by_name(storage: WorkbookStorage, descending: bool = False) -> None:
    """A coordinator sorting the Signups tab by Name in their spreadsheet program."""
    import openpyxl

    grid = storage.read_tabs([fmt.SIGNUPS])[fmt.SIGNUPS]
    width = max(len(row) for row in grid)
    body = sorted(grid[1:], key=lambda r: r[1], reverse=descending)
    book = openpyxl.load_workbook(storage.path)
    sheet = book[fmt.SIGNUPS]
    for number, row in enumerate(body, start=2):
        for column in range(1, width + 1):
            value = row[column - 1] if column <= len(row) else ""
            sheet.cell(number, column).value = value or None
    book.save(storage.path)


def test_a_sort_between_our_append_and_our_check_cannot_let_two_into_one_place(workbook):
    # Zed took the last Anchor place and was confirmed (in their own process) before Ann's
    # row landed; then a coordinator sorts by name, which lifts Ann's row above Zed's.
    class SortedRightAfterOurAppend(RivalAppendsFirst):
        def append_rows(self, title, rows):
            landed = super().append_rows(title, rows)
            sort_signups_by_name(self.inner)
            return landed

    racing = SortedRightAfterOurAppend(workbook, [rival("Zed", Role.ANCHOR, MONDAY_14, 2)])
    with pytest.raises(PlaceTaken):
        services.sign_up(services.SheetReader(racing), ask("Ann", Role.ANCHOR), NOW)
    assert [s.name for s in confirmed(workbook)] == ["Zed"]


def test_a_loser_that_could_not_withdraw_its_row_is_withdrawn_when_the_form_is_resent(workbook):
    class CannotCancel(RivalAppendsFirst):
        def update_row(self, title, row_id, changes, *, id_header="ID"):
            from sumo_sheets.storage import StorageError

            raise StorageError("busy", transient=True)

    racing = CannotCancel(workbook, [rival("Rae", Role.ANCHOR, MONDAY_14, hours=2)])
    form = ask("Ann", Role.ANCHOR, request_id="resent-form-key-01")
    with pytest.raises(services.SignupUncertain) as unsettled:
        services.sign_up(services.SheetReader(racing), form, NOW)
    assert "send the form again" in unsettled.value.message
    # Ann's row stays, over the maximum for the moment, and nobody counts it.
    assert {s.name for s in confirmed(workbook)} == {"Rae"}
    assert [s.over_maximum for s in services.read_sheet(workbook).signups] == [False, True]

    with pytest.raises(PlaceTaken):
        services.sign_up(services.SheetReader(workbook), form, NOW)
    assert [s.name for s in confirmed(workbook)] == ["Rae"]


def test_a_form_key_reused_for_different_hours_makes_a_new_signup_not_a_false_confirmation(
    workbook,
):
    reader = services.SheetReader(workbook)
    first = services.sign_up(reader, ask("Ann", Role.HELPER, request_id="k" * 20), NOW)
    other_hour = ask("Ann", Role.HELPER, MONDAY_14 + timedelta(hours=1), request_id="k" * 20)
    second = services.sign_up(reader, other_hour, NOW)
    assert not second.repeated and second.signup.id != first.signup.id
    assert [s.start.hour for s in confirmed(workbook)] == [14, 15]


def test_someone_elses_form_key_never_returns_their_signup(workbook):
    reader = services.SheetReader(workbook)
    anns = services.sign_up(reader, ask("Ann", Role.HELPER, request_id="k" * 20), NOW)
    eve = services.sign_up(reader, ask("Eve", Role.ADVISOR, request_id="k" * 20), NOW)
    assert eve.signup.id != anns.signup.id and eve.signup.contact == "eve@example.org"


def test_resending_an_old_form_does_not_cancel_a_signup_kept_long_ago(workbook):
    reader = services.SheetReader(workbook)
    form = ask("Ann", Role.MONITOR, request_id="m" * 20)
    services.sign_up(reader, ask("Bo", Role.MONITOR), NOW)
    services.sign_up(reader, form, NOW)
    # A coordinator lowers the limit to 1 Room monitor; Ann resends her form an hour later.
    workbook.update_row(
        fmt.SETTINGS, fmt.MAXIMUM[Role.MONITOR], {fmt.VALUE: "1"}, id_header=fmt.SETTING
    )
    # Her row is not cancelled, but it is over the new maximum and does not count: she is
    # told so rather than promised a place (docs/sheet-format.md, "Order").
    with pytest.raises(SlotFull):
        services.sign_up(reader, form, NOW + timedelta(hours=1))
    rows = services.read_sheet(workbook).signups
    assert [(s.name, s.cancelled, s.over_maximum) for s in rows] == [
        ("Bo", False, False),
        ("Ann", False, True),
    ]
