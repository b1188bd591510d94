"""Helpers the tests share: a fixed clock, workbooks written as coordinators write them, the
signup form as a volunteer fills it in, and the site's manage links."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

import openpyxl

# A Wednesday. Tests sign up for the following week, which is open and in the future.
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def build_workbook(path: Path, tabs: dict[str, list[list[object]]]) -> Path:
    """Write a workbook as a coordinator's spreadsheet program would: typed cells, any layout."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in tabs.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def read_workbook(path: Path, title: str) -> list[list[object]]:
    """A tab's raw cell values, as a spreadsheet program would see them."""
    sheet = openpyxl.load_workbook(path)[title]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def page_text(response) -> str:
    """A page's words as a person reads them: inline tags vanish, block tags break words."""
    page = re.sub(r"</?(time|span|a|strong|em|code)\b[^>]*>", "", response.get_data(as_text=True))
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


# -- the signup form, as a volunteer fills it in --------------------------------------------

# A helper's hour on the Monday after NOW. Tests that need another form say only what differs:
# ``{**FORM, "name": "Ann"}``.
FORM = {
    "name": "Ann Example",
    "contact": "ann@example.org",
    "role": "helper",
    "start": "2026-11-30T14:00Z",
    "hours": "1",
}


def sign_up(client, form=FORM, **changes):
    """Post the signup form (``form``, FORM unless given) with ``changes`` on top; the response."""
    return client.post("/signup", data={**form, **changes})


def sign_up_for_link(client, form=FORM, **changes) -> tuple[str, str | None]:
    """Sign up (it must succeed); the new signup's ID and the path of the manage link its
    confirmation page shows (None when it shows none)."""
    response = sign_up(client, form, **changes)
    assert response.status_code == 303, page_text(response)
    signup_id = response.headers["Location"].rsplit("/", 1)[1]
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(r'href="https?://[^"/]+(/my/[^"]+)"', done)
    return signup_id, link[1] if link else None


# -- manage links, as the site makes them with the tests' secret key ------------------------

TEST_SECRET = "test-secret"


def contact_token(contact: str, secret: str = TEST_SECRET) -> str:
    """The token of a contact's link (the one the site only ever emails to that address)."""
    from sumo_sheets.tokens import ManageLinks

    return ManageLinks(secret, 365).for_contact(contact)


def is_contact_link_for(token: str, contact: str, secret: str = TEST_SECRET) -> bool:
    """True when a token is a valid link to every signup of this contact."""
    from sumo_sheets.tokens import ManageLinks

    links = ManageLinks(secret, 365)
    grant = links.read(token)
    return grant.whole_contact and grant.contact_hash == links.contact_hash(contact)


def drain_mail(app) -> None:
    """Wait for the mail the app's pages handed to its outbox (sent after the response)."""
    assert app.extensions["sumo_outbox"].drain(10), "mail still queued after 10 s"


def make_site(workbook_path, **settings):
    """The site on a workbook at the tests' fixed time, CSRF off; ``settings`` on top."""
    from sumo_sheets import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "WORKBOOK": str(workbook_path),
            "WTF_CSRF_ENABLED": False,
            "CLOCK": lambda: NOW,
            **settings,
        }
    )
