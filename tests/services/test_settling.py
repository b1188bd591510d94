"""Settling: the site's recent rows over a maximum are withdrawn, noted rows reported."""

from __future__ import annotations

from datetime import timedelta

from sumo_sheets import services
from sumo_sheets import sheet_format as fmt
from sumo_sheets.model import Role, Signup

from ..support import NOW
from .conftest import MONDAY_14


def typed(sheet, name: str, signed_up_at, request_id: str = "key") -> Signup:
    """A confirmed Room monitor row at MONDAY_14, as the site (or a person) wrote it."""
    signup = Signup(
        name,
        f"{name.lower()}@example.org",
        Role.MONITOR,
        MONDAY_14,
        MONDAY_14 + timedelta(hours=1),
        id=f"ID{name.upper()}",
        signed_up_at=signed_up_at,
        request_id=f"{request_id}{name}" if request_id else "",
    )
    header = sheet.read_tabs([fmt.SIGNUPS])[fmt.SIGNUPS][0]
    sheet.append_rows(fmt.SIGNUPS, [fmt.signup_row(header, signup)])
    return signup


def settler_at(now, told):
    return services.Settler(
        services.UncertainLedger(clock=lambda: now),
        on_settled=lambda signup, kept: told.append((signup.name, kept)),
        clock=lambda: now,
        background=False,
    )


def test_a_recent_row_over_the_maximum_is_withdrawn_after_the_grace_period(sheet):
    for name in ("Ann", "Bo", "Cy"):
        typed(sheet, name, NOW)
    told = []
    early = settler_at(NOW + timedelta(seconds=10), told)
    reader = services.SheetReader(sheet, clock=lambda: NOW, settler=early)
    assert early.settle(reader, reader.fresh()) == []
    settler = settler_at(NOW + services.SETTLE_GRACE, told)
    settler.ledger.record(reader.fresh().signups[2])
    outcomes = settler.settle(reader, reader.fresh())
    assert [(s.name, kept) for s, kept in outcomes] == [("Cy", False)]
    assert told == [("Cy", False)]
    assert [s.cancelled for s in reader.fresh().signups] == [False, False, True]


def test_rows_typed_by_hand_or_long_ago_are_left_to_coordinators(sheet):
    typed(sheet, "Ann", NOW)
    typed(sheet, "Bo", NOW)
    typed(sheet, "Cy", NOW, request_id="")
    typed(sheet, "Di", NOW - services.SETTLE_WINDOW - timedelta(minutes=1))
    reader = services.SheetReader(sheet, clock=lambda: NOW)
    told = []
    settler_at(NOW + services.SETTLE_GRACE, told).settle(reader, reader.fresh())
    assert told == [] and not any(s.cancelled for s in reader.fresh().signups)


def test_a_noted_row_that_holds_its_place_is_reported_kept(sheet):
    ann = typed(sheet, "Ann", NOW)
    reader = services.SheetReader(sheet, clock=lambda: NOW)
    told = []
    settler = settler_at(NOW + services.SETTLE_GRACE, told)
    settler.ledger.record(ann)
    settler.settle(reader, reader.fresh())
    assert told == [("Ann", True)] and settler.ledger.pending() == []
