"""python -m bench.workbook_write: the time of one signup written to the local workbook, by
patching the Signups part (the site now) against openpyxl's load-and-save round trip (before),
on tabs of 1k, 10k and 50k rows, measured in one run.

Each write is timed on a warm storage (the workbook already read, as a running site has it),
under the file lock, to the synced rename; the median of a few writes is reported.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import openpyxl

from sumo_sheets import sheet_format as fmt
from sumo_sheets.storage.workbook import WorkbookStorage
from sumo_sheets.storage.workbook_files import save_atomically


class RoundTripStorage(WorkbookStorage):
    """The workbook backend as it was: every write saves the whole workbook by openpyxl."""

    def _save_or_fail(self, book, touched) -> None:
        save_atomically(book, self.path)
        self._stamp = self._file_stamp()


def build(path: Path, rows: int) -> None:
    """A workbook with the site's tabs and ``rows`` signups."""
    storage = WorkbookStorage(path, new_file_tabs=fmt.TAB_SPECS)
    storage.create_if_missing()
    book = openpyxl.load_workbook(path)
    sheet = book["Signups"]
    for n in range(rows):
        sheet.append(row(n))
    book.save(path)


def row(n: int) -> list[str]:
    return [f"B{n:06d}", f"Volunteer {n}", f"v{n}@example.org", "Helper", "2026-11-30"] + [
        "09:00",
        "10:00",
        "confirmed",
        "2026-11-20 10:00",
    ]


def time_writes(storage: WorkbookStorage, writes: int, start: int) -> float:
    """Median seconds of one append_rows call."""
    storage.read_tabs(["Signups"])  # warm: the site has read the workbook already
    times = []
    for n in range(writes):
        began = time.perf_counter()
        storage.append_rows("Signups", [row(start + n)])
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def measure(folder: Path, rows: int, writes: int) -> tuple[float, float]:
    """(patch, round trip) seconds per write on a tab of ``rows`` rows."""
    path = folder / f"bench-{rows}.xlsx"
    build(path, rows)
    patched = time_writes(WorkbookStorage(path), writes, 10_000_000)
    build(path, rows)
    round_trip = time_writes(RoundTripStorage(path), writes, 20_000_000)
    return patched, round_trip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.workbook_write")
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--writes", type=int, default=3, help="writes timed per size (3)")
    args = parser.parse_args(argv)
    print("| Signups rows | patch (s) | openpyxl round trip (s) | round trip / patch |")
    print("|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for rows in args.rows:
            patched, round_trip = measure(Path(folder), rows, args.writes)
            print(f"| {rows:,} | {patched:.3f} | {round_trip:.3f} | {round_trip / patched:.1f}x |")


if __name__ == "__main__":
    main()
