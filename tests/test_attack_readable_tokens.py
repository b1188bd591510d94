"""Attack: read a volunteer's email address out of their manage link (from a browser history,
a screenshot or a calendar file), and keep using a leaked link forever.

Tokens name the contact by a keyed hash, never in readable form; `flask links revoke CONTACT`
stops every link of a contact; links from before the change get a page saying what to do.
"""

from __future__ import annotations

import base64
import re

import pytest
from itsdangerous import URLSafeTimedSerializer

from . import support
from .smtp import body_text, ics_attachment
from .smtp import smtp_server_fixture as smtp_server_fixture  # noqa: F401 (the fixture)
from .support import drain_mail, make_site, page_text

SITE = "http://localhost"
ADDRESS = "anna.k@example.org"
FORM = {**support.FORM, "name": "Anna", "contact": ADDRESS}


@pytest.fixture
def mail_site(workbook_path, smtp_server):
    return make_site(workbook_path, SITE_URL=SITE, **smtp_server.config)


def decodings(token: str) -> str:
    """Everything a curious person could decode from a token: each dot-separated part as
    URL-safe base64 (itsdangerous's format), and zlib-inflated where it is compressed."""
    import zlib

    found = [token]
    for part in re.split(r"[.]", token):
        padded = part.lstrip(".") + "=" * (-len(part) % 4)
        try:
            raw = base64.urlsafe_b64decode(padded)
        except ValueError:
            continue
        found.append(raw.decode("latin-1"))
        try:
            found.append(zlib.decompress(raw).decode("latin-1"))
        except zlib.error:
            pass
    return "\n".join(found).casefold()


def links_in(messages) -> list[str]:
    found = []
    for message in messages:
        found += re.findall(r"/my/([^\s/]+)", body_text(message))
        _, calendar = ics_attachment(message)
        found += [str(e["URL"]).rsplit("/my/", 1)[1] for e in calendar.walk("VEVENT")]
    return found


def test_no_address_can_be_read_out_of_a_mailed_link_or_its_calendar_file(mail_site, smtp_server):
    client = mail_site.test_client()
    response = client.post("/signup", data=FORM)
    confirmation = client.get(response.location).get_data(as_text=True)
    drain_mail(mail_site)
    tokens = links_in(smtp_server.messages) + re.findall(r'/my/([^"/]+)"', confirmation)
    assert len(tokens) >= 3  # mail body, .ics and the confirmation page
    for token in tokens:
        decoded = decodings(token)
        assert "anna" not in decoded and "example.org" not in decoded


def test_a_revoked_contact_loses_every_link_at_once(mail_site, smtp_server):
    client = mail_site.test_client()
    response = client.post("/signup", data=FORM)
    page_link = re.search(r'href="http://localhost(/my/[^"]+)"', client.get(response.location).text)
    drain_mail(mail_site)
    mailed = "/my/" + links_in(smtp_server.messages)[0]
    assert client.get(mailed).status_code == 200

    result = mail_site.test_cli_runner().invoke(args=["links", "revoke", ADDRESS.upper()])
    assert result.exit_code == 0, result.output
    for link in (mailed, page_link[1], mailed + ".ics"):
        refused = client.get(link)
        assert refused.status_code == 403
    assert "This link was withdrawn" in page_text(client.get(mailed))

    # A link made after the revocation works (the volunteer asks for one by mail).
    before = len(smtp_server.messages)
    client.post("/my", data={"email": ADDRESS})
    drain_mail(mail_site)
    (fresh,) = smtp_server.messages[before:]
    assert client.get(re.search(r"/my/\S+", body_text(fresh))[0]).status_code == 200


def test_revoking_one_contact_leaves_other_volunteers_links_alone(mail_site, smtp_server):
    client = mail_site.test_client()
    client.post("/signup", data={**FORM, "contact": "bo@example.org", "name": "Bo"})
    drain_mail(mail_site)
    bos = re.search(r"/my/\S+", body_text(smtp_server.messages[-1]))[0]
    mail_site.test_cli_runner().invoke(args=["links", "revoke", ADDRESS])
    assert client.get(bos).status_code == 200


def test_a_link_made_before_links_were_private_says_how_to_get_a_new_one(client):
    old = URLSafeTimedSerializer("test-secret", salt="sumo-manage-link").dumps(ADDRESS)
    response = client.get("/my/" + old)
    assert response.status_code == 403
    page = page_text(response)
    assert "no longer works" in page and "Ask for a new one below" in page
    assert ADDRESS not in page


def test_revoke_needs_a_contact(mail_site):
    result = mail_site.test_cli_runner().invoke(args=["links", "revoke", "  "])
    assert result.exit_code != 0 and "give the contact" in result.output


@pytest.mark.parametrize(
    "contents",
    ["[]", "null", "1", '"str"', '{"a": "x"}', '{"a": null}', '{"a": [1]}', "{", "1e999"],
)
def test_a_damaged_revocation_file_refuses_links_with_a_page_never_a_500(mail_site, contents):
    client = mail_site.test_client()
    response = client.post("/signup", data=FORM)
    page_link = re.search(r'href="http://localhost(/my/[^"]+)"', client.get(response.location).text)
    with open(mail_site.config["REVOKED_LINKS_FILE"], "w") as damaged:
        damaged.write(contents)
    for path in (page_link[1], page_link[1] + ".ics", response.location, "/"):
        answer = client.get(path)
        assert answer.status_code < 500, (path, answer.status_code)
    assert client.get(page_link[1]).status_code == 403
    assert "cannot be checked right now" in page_text(client.get(page_link[1]))


def test_a_revocation_time_that_is_no_time_marks_the_file_damaged(mail_site, tmp_path):
    from sumo_sheets.tokens import ManageLinks

    links = ManageLinks.from_config(mail_site.config)
    with open(mail_site.config["REVOKED_LINKS_FILE"], "w") as odd:
        odd.write(f'{{"{links.contact_hash(ADDRESS)}": 1e999}}')
    client = mail_site.test_client()
    assert client.get("/my/" + links.for_contact(ADDRESS)).status_code == 403
    assert "cannot be checked right now" in page_text(
        client.get("/my/" + links.for_contact(ADDRESS))
    )


def test_revoke_says_when_it_used_the_development_key(workbook_path):
    from sumo_sheets import create_app

    site = create_app({"DEBUG": True, "WORKBOOK": str(workbook_path)})
    result = site.test_cli_runner().invoke(args=["links", "revoke", ADDRESS])
    assert result.exit_code == 0
    assert "development key" in result.stderr
