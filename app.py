"""The site as `flask --app app run` and WSGI servers (gunicorn app:app) find it."""

import os

from sumo_sheets import create_app
from sumo_sheets.logs import configure_logging

configure_logging(os.environ.get("SUMO_LOG_LEVEL", "INFO"))
app = create_app()
