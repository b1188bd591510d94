"""The site as `flask --app app run` and WSGI servers find it."""

from sumo_sheets import create_app

app = create_app()
