"""Send a requests session's Google API calls to the emulator instead (imports only requests)."""

from __future__ import annotations

from typing import Any

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
    __attrs__ = [*HTTPAdapter.__attrs__, "base_url"]

    def __init__(self, host_port: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = f"http://{host_port}"

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        url = request.url or ""
        for origin in GOOGLE_ORIGINS:
            if url == origin or url.startswith((origin + "/", origin + "?")):
                request.url = self.base_url + url[len(origin) :]
                # The emulator is local: proxies from the environment must not catch it.
                kwargs["proxies"] = {}
                break
        return super().send(request, **kwargs)


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
