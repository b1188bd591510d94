"""A cell's value as the text a person sees: the one conversion every backend uses."""

from __future__ import annotations

from datetime import date, datetime, time


def cell_text(value: object) -> str:
    """A cell as text, whatever type the store gave it.

    Google Sheets sends FORMATTED_VALUE strings (the rest is for safety); a spreadsheet
    program may save numbers, dates and booleans into a workbook.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d" if value.time() == time(0) else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
