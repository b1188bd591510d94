"""Send a requests session's Google API calls to the emulator instead (imports only requests)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

GOOGLE_ORIGINS = (
    "https://sheets.googleapis.com",
    "https://www.googleapis.com",
    "https://oauth2.googleapis.com",
    # google-auth asks IAM Credentials for a service account's allowed locations.
    "https://iamcredentials.googleapis.com",
)


class EmulatorRedirectAdapter(HTTPAdapter):
    """Rewrites https://<Google API host>/path?query to http://host:port/path?query."""

    # Kept when google-auth deep-copies its token session (HTTPAdapter pickles only these).
    __attrs__ = [*HTTPAdapter.__attrs__, "base_url", "every_origin"]

    def __init__(self, host_port: str, every_origin: bool = False, **kwargs: Any) -> None:
        """``every_origin``: rewrite any http(s) origin, not only Google's."""
        super().__init__(**kwargs)
        self.base_url = f"http://{host_port}"
        self.every_origin = every_origin

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        url = request.url or ""
        origin = self._origin(url)
        if origin:
            request.url = self.base_url + url[len(origin) :]
            # The emulator is local: proxies from the environment must not catch it.
            kwargs["proxies"] = {}
        return super().send(request, **kwargs)

    def _origin(self, url: str) -> str:
        """The origin of ``url`` to replace by the emulator's, or "" to leave it."""
        if self.every_origin:
            parts = urlsplit(url)
            return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
        for origin in GOOGLE_ORIGINS:
            if url == origin or url.startswith((origin + "/", origin + "?")):
                return origin
        return ""


def redirect_session_to_emulator(session: requests.Session, host_port: str) -> None:
    """Mount the redirect on the Google origins of `session` (and of its token session).

    google-auth's AuthorizedSession refreshes tokens through a separate session of its own;
    that one is redirected too, so a key whose token_uri is Google's also works.
    """
    sessions = [session]
    token_session = getattr(session, "_auth_request_session", None)
    if isinstance(token_session, requests.Session):
        sessions.append(token_session)
    for target in sessions:
        adapter = EmulatorRedirectAdapter(host_port)
        for origin in GOOGLE_ORIGINS:
            target.mount(origin, adapter)


def session_hook(host_port: str) -> Callable[[requests.Session], None]:
    """A hook for the site's Google backend (its ``session_hook``, or the SHEETS_SESSION_HOOK
    setting) that sends every call of the sessions it makes to the emulator at ``host_port``.

    Token requests go there too whatever the key's ``token_uri`` names, as SHEETS_EMULATOR_HOST
    promises: any well-formed key works.
    """

    def redirect(session: requests.Session) -> None:
        redirect_session_to_emulator(session, host_port)
        token_session = getattr(session, "_auth_request_session", None)
        if isinstance(token_session, requests.Session):
            for prefix in ("http://", "https://"):
                token_session.mount(prefix, EmulatorRedirectAdapter(host_port, every_origin=True))

    return redirect
