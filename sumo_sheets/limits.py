"""Rate limits on the forms' POSTs, per client address, with a friendly 429 page.

Only posts that do something count: a saved signup or finding, a cancel, a lost-link request.
A form sent back for a typo, an expired CSRF token or a full role costs nothing, so a room of
volunteers behind one event Wi-Fi address is not locked out by each other's mistakes. A looser
limit on every signup try (refusals included) still bounds probing with refused forms.
"""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, current_app, make_response, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import validate_csrf
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import ValidationError

from .web.web import error_page

log = logging.getLogger(__name__)

# Each form's endpoint and the setting that holds its limits ("30 per minute;300 per hour"),
# counting only posts that did something (a redirect after a write, or a page sent back OK).
LIMITED_POSTS = {
    "signup.form": "RATELIMIT_SIGNUP",
    "coordinators.findings": "RATELIMIT_FINDINGS",
    "mine.cancel": "RATELIMIT_CANCEL",
    "mine.lost_link": "RATELIMIT_LOST_LINK",
}
# Forms whose refusals say something (a signup refused because the contact is busy then), and
# the setting that limits every try of them, refused or not.
LIMITED_TRIES = {"signup.form": "RATELIMIT_SIGNUP_TRIES"}


def init_app(app: Flask) -> Limiter:
    """Limit the forms' POSTs per client address (GETs and static files are never limited)."""
    # One limiter per app: a Limiter keeps one app's storage, and tests build many apps.
    limiter = Limiter(
        get_remote_address,  # the real client when BEHIND_PROXY installs ProxyFix
        storage_uri=app.config.get("REDIS_URL") or "memory://",
        # With Redis down, signups go on unlimited rather than fail (the error is logged).
        swallow_errors=True,
    )
    limiter.init_app(app)
    for endpoint, setting in LIMITED_POSTS.items():
        app.view_functions[endpoint] = limiter.limit(
            _setting(setting), methods=["POST"], deduct_when=_did_something, scope=endpoint
        )(app.view_functions[endpoint])
    for endpoint, setting in LIMITED_TRIES.items():
        app.view_functions[endpoint] = limiter.limit(
            _setting(setting), methods=["POST"], deduct_when=_counts, scope=f"{endpoint} tries"
        )(app.view_functions[endpoint])
    app.extensions["sumo_limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _too_many)
    return limiter


def _setting(name: str):
    """The limits in setting ``name``, read per request so tests and config can change them."""
    return lambda: str(current_app.config[name])


def _did_something(response) -> bool:
    """A POST counts when it did what it was sent for: a 303 after a saved signup, finding or
    cancel, or a lost-link page answered 200. A refused form (422 for a typo, 400 for CSRF,
    409 for a place just taken or a full role, 503 for a sheet that cannot be read) is free."""
    return response.status_code < 400 and _counts(response)


def _counts(response) -> bool:
    """A try counts unless its CSRF token failed: an expired form is no attempt to abuse."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return True
    try:
        token = request.form.get("csrf_token")
    except RequestEntityTooLarge:
        # The body is over MAX_CONTENT_LENGTH: the 413 page is already the answer, and
        # reading the form here again would turn it into a 500. It counts as a try.
        return True
    try:
        validate_csrf(token)
    except ValidationError:
        return False
    return True


def _too_many(error: RateLimitExceeded):
    """The friendly 429 page (JSON under /api), with Retry-After in seconds."""
    limiter: Limiter = current_app.extensions["sumo_limiter"]
    current = limiter.current_limit
    seconds = max(1, math.ceil(current.reset_at - time.time())) if current else 60
    # The window's end is rounded up to the next whole second, so 61 s reads as a minute.
    minutes = max(1, round(seconds / 60))
    log.info("rate limit reached on %s (%s)", request.endpoint, error.description)
    response = make_response(
        error_page(
            429,
            "Too many tries",
            f"Too many tries from your connection; please wait {minutes} "
            f"minute{'s' if minutes != 1 else ''} and send the form again. "
            "Use your browser's Back button to return to what you typed.",
        )
    )
    response.headers["Retry-After"] = str(seconds)
    return response
