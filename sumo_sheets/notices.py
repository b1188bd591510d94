"""Mail the site sends outside any request: how a signup it could not confirm was settled."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .model import Signup
from .tokens import manage_url


def install(app: Any) -> None:
    """Tell volunteers, by mail, when a signup left uncertain is kept or withdrawn.

    The settler calls this from its background thread; the mail goes through the outbox,
    so it counts against MAIL_PER_ADDRESS like every mail a visitor can cause.
    """

    def notify(signup: Signup, kept: bool) -> None:
        config = app.config
        if not config.get("MAIL_SERVER"):
            return
        from . import mail

        links = app.extensions["sumo_links"]
        url = manage_url(config["SITE_URL"], links.for_contact(signup.contact))
        zone = _zone(signup.time_zone)
        app.extensions["sumo_outbox"].mail(
            signup.contact,
            lambda: mail.send_settled(config, signup, kept, url, zone),
            "settled signup",
        )

    app.extensions["sumo_settler"].on_settled = notify


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
