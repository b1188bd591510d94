"""Security headers, HTTPS-only cookies, the reverse proxy and the local .env file."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

log = logging.getLogger(__name__)

# The project folder's .env (git-ignored): local settings for `gunicorn app:app` too, which,
# unlike `flask run`, does not read it by itself.
ENV_FILE = Path(__file__).resolve().parent.parent / ".env"

# Pages load only their own script (static/tz.js) and stylesheet: no inline code, so an
# injected <script> or style= cannot run, and no other site may frame the pages.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Personal manage tokens are in /my/<token> URLs: they must not leak in a Referer.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
# Sent only over HTTPS: browsers ignore it on plain HTTP, and a local `flask run` must not
# teach the browser that localhost is HTTPS-only.
HSTS = "max-age=31536000; includeSubDomains"


def load_env_file() -> None:
    """Read the project's .env into the environment, never overriding what is already set."""
    if ENV_FILE.is_file():
        from dotenv import load_dotenv

        load_dotenv(ENV_FILE, override=False)


class _HttpsOnlySessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure over HTTPS (or always, when SESSION_COOKIE_SECURE says so)."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def _add_headers(response: Response) -> Response:
    """Put the security headers on every response, HSTS only on HTTPS."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


class _MeasuredBody:
    """Give a chunked request body (no Content-Length) a length, so oversize is a 413.

    Werkzeug stops reading a streamed body at MAX_CONTENT_LENGTH without saying so, and the
    form would be parsed from its first 64 KiB. This reads at most one byte more than the
    limit into memory and sets Content-Length: over the limit, Flask answers 413 as for
    any other oversized body, before anything reads the form.
    """

    def __init__(self, app: Flask, wsgi_app: Any) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        limit = self.app.config.get("MAX_CONTENT_LENGTH")
        chunked = environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked"
        if limit and chunked and environ.get("wsgi.input_terminated"):
            stream, wanted, body = environ["wsgi.input"], int(limit) + 1, b""
            while len(body) < wanted:  # a stream may hand over less than asked for
                piece = stream.read(wanted - len(body))
                if not piece:
                    break
                body += piece
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            del environ["HTTP_TRANSFER_ENCODING"]
        return self.wsgi_app(environ, start_response)


class _SaneHost:
    """A plain 400 for a Host header that is no host name (an empty or 64-character label,
    bad punycode): Werkzeug would otherwise fail on it with a 500 while binding the URL map,
    before any error page can be drawn. TRUSTED_HOSTS then checks the names that remain."""

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or ""
        if not _host_is_sane(host):
            body = b"400 Bad Request: that is not this site's address.\n"
            start_response(
                "400 Bad Request",
                [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return self.wsgi_app(environ, start_response)


def _host_is_sane(host: str) -> bool:
    name = host
    if name.startswith("["):  # an IPv6 literal: [::1]:5000
        return "]" in name
    name = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
    if not name or len(name) > 253 or any(c.isspace() for c in name):
        return False
    try:
        name.encode("idna").decode("idna")
    except UnicodeError:
        return False
    return True


def install(app: Flask) -> None:
    """Add the headers, the HTTPS-only session cookie and, if configured, the proxy fix."""
    app.session_interface = _HttpsOnlySessionInterface()
    app.after_request(_add_headers)
    app.wsgi_app = _MeasuredBody(app, app.wsgi_app)  # type: ignore[method-assign]
    # Inside the proxy fix, so it sees the host the proxy forwarded.
    app.wsgi_app = _SaneHost(app.wsgi_app)  # type: ignore[method-assign]
    if _truthy(app.config.get("BEHIND_PROXY")):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Exactly one proxy in front: trust its X-Forwarded-For/-Proto/-Host, no others,
        # so request.is_secure and the client address are the real ones.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
        log.info("Trusting one reverse proxy's X-Forwarded-* headers")


def _truthy(value: Any) -> bool:
    """A setting's truth, also when written as text in the environment ("true", "1", "yes")."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)
