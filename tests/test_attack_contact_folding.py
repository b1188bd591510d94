"""Attack: two different mailboxes folded into one contact.

Comparing whole email addresses with ``casefold()`` made ``anna@straße.de`` the same
person as ``anna@strasse.de``: two mailboxes with two owners, so one could be refused an
hour because of the other's signup, and could see and cancel the other's signups with a
manage link. Contacts are now compared by one rule (sumo_sheets/contacts.py): an email by
email-validator's normalisation (IDNA domain, local part lower-cased, never case-folded),
a chat nick by Unicode's identifier caseless match (NFKC, casefold, NFKC).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from sumo_sheets import contacts, services
from sumo_sheets.model import (
    Role,
    ScheduleEntry,
    Settings,
    Signup,
    SignupRequest,
    blocks_for_week,
    check_room,
)

from . import support
from .support import contact_token, read_workbook

FORM = {**support.FORM, "name": "Anna", "contact": "anna@straße.de", "note": ""}
MONDAY_14 = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)

key = contacts.contact_key


sign_up = functools.partial(support.sign_up, form=FORM)


def rows_by_contact(workbook_path) -> dict[str, dict]:
    rows = read_workbook(workbook_path, "Signups")
    records = [dict(zip(rows[0], r, strict=False)) for r in rows[1:] if any(r)]
    return {r["Contact"]: r for r in records}


# -- the rule on its own ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("anna@straße.de", "anna@strasse.de"),  # ß/ss in the domain
        ("Anna@Straße.de", "anna@strasse.de"),
        ("straße@example.org", "strasse@example.org"),  # ß/ss in the local part
        ("STRASSE@example.org", "straße@example.org"),
        ("ınfo@x.de", "info@x.de"),  # dotless ı is not i
        ("İnfo@x.de", "info@x.de"),  # İ lower-cases to i + combining dot, not to i
        ("İnfo@x.de", "ınfo@x.de"),
        ("ａｎｎａ@example.org", "anna@example.org"),  # fullwidth local part: another mailbox
        ("ﬁnn@example.org", "finn@example.org"),  # a ligature in the local part
    ],
)
def test_addresses_that_differ_beyond_case_are_different_mailboxes(one, other):
    assert key(one) != key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ANNA@EXAMPLE.ORG", "anna@example.org"),  # upper-case local part and domain
        ("Anna@Example.Org", "anna@example.org"),
        ("  anna@example.org\t", "anna@example.org"),  # outer spaces
        ("anna@ｅｘａｍｐｌｅ.org", "anna@example.org"),  # a fullwidth domain is the same domain
        ("anna@EXAMPLE.org", "anna@example.org"),
        ("jose\u0301@x.org", "jos\u00e9@x.org"),  # a combining accent is the composed letter
        ("JOSE\u0301@X.ORG", "jos\u00e9@x.org"),
        ("İnfo@x.de", "i\u0307nfo@x.de"),  # İ is I + combining dot above
        ("anna@Straße.de", "anna@xn--strae-oqa.de"),  # the domain in its IDNA form
        ("anna@BÜCHER.de", "anna@bücher.de"),
    ],
)
def test_the_same_mailbox_in_another_spelling_is_one_contact(one, other):
    assert key(one) == key(other)


def test_an_email_key_is_the_normalised_address_with_its_ascii_domain():
    assert key("Anna@Straße.de") == "anna@xn--strae-oqa.de"
    assert key("anna@strasse.de") == "anna@strasse.de"
    assert key(" JOSE\u0301@Example.ORG ") == "jos\u00e9@example.org"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ａｎｎａ", "anna"),  # a fullwidth nick is the same nick
        ("Sam_Fan", "sam_fan"),
        ("  sam_fan ", "sam_fan"),
        ("@Anna:Matrix.org", "@anna:matrix.org"),  # a Matrix ID keeps its leading @
        ("@ａｎｎａ:matrix.org", "@anna:matrix.org"),
        ("straße", "STRASSE"),  # nicks do fold: no mailbox to own, the rule only gets stricter
        ("ﬁnn", "finn"),
    ],
)
def test_nicks_that_look_alike_are_one_nick(one, other):
    assert key(one) == key(other)


def test_a_matrix_id_keeps_its_leading_at_sign():
    assert key("@Anna:Matrix.org") == "@anna:matrix.org"
    assert key("@anna:matrix.org") != key("anna:matrix.org")


def test_a_nick_that_folds_into_an_address_is_never_that_mailbox():
    # A fullwidth ＠ is no @: this is a nick, and folding must not turn it into anna's address.
    assert not contacts.is_email("anna＠example.org")
    assert key("anna＠example.org") != key("anna@example.org")
    assert key("ＡＮＮＡ＠ＥＸＡＭＰＬＥ.ＯＲＧ") == key("anna＠example.org")


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_a_blank_contact_has_a_blank_key(blank):
    assert key(blank) == ""


@pytest.mark.parametrize(
    "contact",
    [
        "Anna@Straße.de",
        "anna@strasse.de",
        "ａｎｎａ@example.org",
        "İnfo@x.de",
        "jose\u0301@x.org",
        "ａｎｎａ",
        "@Anna:Matrix.org",
        "anna＠example.org",
        "Straße",
    ],
)
def test_a_key_is_its_own_key(contact):
    # Manage links carry the key, and it is looked up again: it must name the same contact.
    assert key(key(contact)) == key(contact)


@pytest.mark.parametrize(
    ("contact", "expected"),
    [
        ("anna@straße.de", True),
        ("  Anna@Example.org ", True),
        ("ａｎｎａ@example.org", True),
        ("@anna:matrix.org", False),
        ("sam_fan", False),
        ("anna＠example.org", False),
        ("ann@", False),
        ("", False),
    ],
)
def test_is_email_tells_an_address_from_a_nick(contact, expected):
    assert contacts.is_email(contact) is expected


def test_signups_compare_contacts_by_the_rule():
    def signup(contact: str) -> Signup:
        return Signup("Anna", contact, Role.HELPER, MONDAY_14, MONDAY_14.replace(hour=15))

    assert signup("anna@straße.de").contact_key != signup("anna@strasse.de").contact_key
    assert signup("ANNA@Example.org ").contact_key == signup("anna@example.org").contact_key


def test_the_person_is_free_check_keeps_the_two_mailboxes_apart():
    entry = ScheduleEntry(0, time(14), time(16), {Role.HELPER: 2, Role.ADVISOR: 1})
    (block,) = blocks_for_week([entry], MONDAY_14.date(), ZoneInfo("UTC"))
    theirs = Signup("Anna S", "anna@straße.de", Role.ADVISOR, MONDAY_14, block.end)
    ask = SignupRequest("Anna", "anna@strasse.de", Role.HELPER, MONDAY_14, 1)
    check_room(ask, block, MONDAY_14, MONDAY_14.replace(hour=15), [theirs], Settings())


# -- through the site ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("anna@straße.de", "anna@strasse.de"),
        ("anna@strasse.de", "anna@straße.de"),
        ("straße@example.org", "strasse@example.org"),
        ("ınfo@x.de", "info@x.de"),
        ("ａｎｎａ@example.org", "anna@example.org"),
    ],
)
def test_a_signup_by_one_mailbox_does_not_block_the_other_from_the_same_hour(
    client, workbook_path, first, second
):
    assert sign_up(client, contact=first).status_code == 303
    response = sign_up(client, contact=second, name="Another Anna")
    assert response.status_code == 303, response.get_data(as_text=True)
    assert len(rows_by_contact(workbook_path)) == 2


@pytest.mark.parametrize(
    ("first", "again"),
    [
        ("anna@example.org", "ANNA@EXAMPLE.ORG"),
        ("anna@example.org", "  anna@ｅｘａｍｐｌｅ.org "),
        ("jos\u00e9@x.org", "jose\u0301@x.org"),
        ("anna@straße.de", "Anna@STRASSE.de".replace("SS", "ß")),
    ],
)
def test_the_same_mailbox_in_another_spelling_is_still_one_person(client, first, again):
    assert sign_up(client, contact=first).status_code == 303
    assert sign_up(client, contact=again, role="advisor").status_code == 422


def test_signups_of_one_mailbox_never_lists_the_other(client, storage):
    assert sign_up(client, contact="anna@straße.de").status_code == 303
    assert sign_up(client, contact="anna@strasse.de", name="Anna Two", role="advisor").status_code
    data = services.read_sheet(storage)

    (sharp,) = services.signups_of(data, key("anna@straße.de"))
    (double,) = services.signups_of(data, key("anna@strasse.de"))
    assert (sharp.name, sharp.role) == ("Anna", Role.HELPER)
    assert (double.name, double.role) == ("Anna Two", Role.ADVISOR)


def test_a_manage_link_for_one_mailbox_neither_shows_nor_cancels_the_others_signup(
    app, client, workbook_path
):
    assert sign_up(client, contact="anna@straße.de").status_code == 303
    signup_id = rows_by_contact(workbook_path)["anna@straße.de"]["ID"]
    other = contact_token("anna@strasse.de")

    page = client.get(f"/my/{other}").get_data(as_text=True)
    assert signup_id not in page and "Helper" not in page

    client.post(f"/my/{other}/cancel/{signup_id}")
    assert rows_by_contact(workbook_path)["anna@straße.de"]["Status"] == "confirmed"

    calendar = client.get(f"/my/{other}.ics").get_data(as_text=True)
    assert signup_id not in calendar and "Helper" not in calendar


def test_a_blank_key_names_no_ones_signups(client, storage):
    assert sign_up(client, contact="anna@example.org").status_code == 303
    assert services.signups_of(services.read_sheet(storage), "  ") == []
