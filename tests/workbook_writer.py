"""A writer for the crash tests: appends rows one at a time, printing each ID once it is saved.

Run as ``python -m tests.workbook_writer WORKBOOK PREFIX [LIMIT]``; a line on stdout means
append_rows returned for that row, so the site would have confirmed it.
"""

from __future__ import annotations

import sys

from sumo_sheets.storage.workbook import WorkbookStorage


def main(path: str, prefix: str, limit: int) -> None:
    """Append up to ``limit`` rows, reporting each one only after append_rows returned."""
    storage = WorkbookStorage(path)
    for number in range(limit):
        row_id = f"{prefix}-{number}"
        storage.append_rows("Signups", [[row_id, f"volunteer {number}", "confirmed"]])
        sys.stdout.write(row_id + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1000)
