"""The site's pages, one blueprint per audience: the public schedule, the signup form,
a volunteer's own signups, coordinators' pages and calendar feeds; web.py holds what they
share (the reader, the clock, conditional GET, error pages, template helpers)."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import coordinators, feeds, mine, schedule, signup
from .web import register_error_pages, register_template_helpers


def register(app: Flask, csrf: CSRFProtect) -> None:
    """Add the blueprints, error pages and template helpers to the app."""
    # The signup form checks its own CSRF token, so that an expired token is shown as a
    # form error with everything the volunteer typed still there, not as a blank 400 page.
    csrf.exempt(signup.form)
    for blueprint in (schedule.bp, signup.bp, mine.bp, coordinators.bp, feeds.bp):
        app.register_blueprint(blueprint)
    register_error_pages(app)
    register_template_helpers(app)
