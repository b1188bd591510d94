"""Attack: a POST with `Host: evil.example` (or `X-Forwarded-Host` behind the proxy) makes the
site mail a genuine, valid manage link that points at the attacker's domain.

Every link in mail and in feeds is built from SITE_URL, which mail requires, and in
production a request for any other host is refused (Flask's TRUSTED_HOSTS).
"""

from __future__ import annotations

import re

import pytest
from werkzeug.test import EnvironBuilder

from sumo_sheets.config import ConfigError

from .smtp import body_text, ics_attachment
from .smtp import smtp_server_fixture as smtp_server_fixture  # noqa: F401 (the fixture)
from .support import FORM, contact_token, drain_mail, make_site

SITE = "https://livechat.example.org"


make_app = make_site


def every_link(messages) -> list[str]:
    links = []
    for message in messages:
        links += re.findall(r"https?://\S+", body_text(message))
        if any(p.get_content_type() == "text/calendar" for p in message.iter_attachments()):
            _, calendar = ics_attachment(message)
            links += [str(event["URL"]) for event in calendar.walk("VEVENT") if "URL" in event]
    return links


def test_a_signup_posted_with_a_forged_host_is_refused_and_mails_nothing(
    workbook_path, smtp_server
):
    site = make_app(workbook_path, SITE_URL=SITE, **smtp_server.config)
    response = site.test_client().post("/signup", data=FORM, headers={"Host": "evil.example"})
    drain_mail(site)
    assert response.status_code == 400
    assert not any("evil.example" in link for link in every_link(smtp_server.messages))
    assert smtp_server.messages == []


def test_a_forged_forwarded_host_behind_the_proxy_is_refused(workbook_path, smtp_server):
    site = make_app(workbook_path, SITE_URL=SITE, BEHIND_PROXY=True, **smtp_server.config)
    client = site.test_client()
    response = client.post(
        "/signup",
        data=FORM,
        base_url=SITE,
        headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
    )
    drain_mail(site)
    assert response.status_code == 400
    assert smtp_server.messages == []


def test_mail_links_follow_the_site_url_whichever_trusted_name_the_request_used(
    workbook_path, smtp_server
):
    site = make_app(
        workbook_path,
        SITE_URL=SITE,
        TRUSTED_HOSTS_EXTRA="livechat-internal.example",
        **smtp_server.config,
    )
    client = site.test_client()
    response = client.post("/signup", data=FORM, base_url="http://livechat-internal.example")
    assert response.status_code == 303
    token = contact_token("ann@example.org")
    client.post("/my", data={"email": "ann@example.org"}, base_url=SITE)
    client.post(f"/my/{token}/cancel/NOSUCHID", base_url=SITE)
    drain_mail(site)
    links = every_link(smtp_server.messages)
    assert links and all(link.startswith(SITE + "/") for link in links)


def test_feeds_link_to_the_site_url_not_to_the_request_host(workbook_path):
    site = make_app(workbook_path, SITE_URL=SITE, TRUSTED_HOSTS_EXTRA=["other.example"])
    client = site.test_client()
    schedule = client.get("/schedule.ics", base_url="http://other.example").get_data(as_text=True)
    assert f"URL:{SITE}/?week=" in schedule and "other.example" not in schedule
    token = contact_token("ann@example.org")
    mine = client.get(f"/my/{token}.ics", base_url="http://other.example")
    assert mine.status_code == 200 and "other.example" not in mine.get_data(as_text=True)


def test_the_site_will_not_start_with_mail_on_and_no_site_url(workbook_path, smtp_server):
    with pytest.raises(ConfigError, match="SITE_URL"):
        make_app(workbook_path, **smtp_server.config)


@pytest.mark.parametrize("url", ["livechat.example.org", "ftp://x.example", "https://x?y=1"])
def test_a_site_url_that_is_not_an_http_address_stops_the_start(workbook_path, url):
    with pytest.raises(ConfigError, match="SITE_URL must be"):
        make_app(workbook_path, SITE_URL=url)


def test_in_debug_the_host_is_not_checked_so_a_local_server_still_answers(workbook_path):
    site = make_app(workbook_path, SITE_URL=SITE, DEBUG=True)
    assert site.config.get("TRUSTED_HOSTS") is None
    assert site.test_client().get("/roles", base_url="http://127.0.0.1:5000").status_code == 200


@pytest.mark.parametrize("host", ["a" * 64 + ".org", "a..b", "xn--zz.org", ".", "ex ample.org"])
def test_an_odd_host_header_is_a_plain_400_never_a_500(workbook_path, host):
    site = make_app(workbook_path)  # production-like: no SITE_URL, no debug
    # Straight to the WSGI app, as a server would call it (the test client itself trips on
    # some of these hosts when it stores cookies).
    environ = EnvironBuilder(path="/", headers={"Host": host}).get_environ()
    statuses = []
    body = b"".join(site.wsgi_app(environ, lambda status, headers: statuses.append(status)))
    assert statuses == ["400 Bad Request"]
    assert b"not this site's address" in body
