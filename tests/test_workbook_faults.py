"""The workbook under faults: writers killed mid-save, a coordinator's stale copy, a busy lock."""

from __future__ import annotations

import logging
import os
import queue
import random
import signal
import stat
import subprocess
import sys
import threading
import time
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from filelock import FileLock

from sumo_sheets import sheet_format as fmt
from sumo_sheets.storage import StorageError, TabSpec
from sumo_sheets.storage import workbook as workbook_module
from sumo_sheets.storage.workbook import WorkbookStorage

ROOT = Path(__file__).resolve().parent.parent
LIBREOFFICE_LOCK = ".~lock.{name}#"
EXCEL_LOCK = "~${name}"


# -- a writer killed mid-write -----------------------------------------------------------


def _temporaries(path: Path) -> set[str]:
    """Names of the save temporaries beside the workbook."""
    return {p.name for p in path.parent.glob(f".{path.name}.*.tmp")}


def _run_and_kill(path: Path, prefix: str, rng: random.Random) -> tuple[list[str], bool]:
    """Start a writer, SIGKILL it mid-save after it confirmed rows; its IDs, whether mid-save."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.workbook_writer", str(path), prefix],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read_confirmations() -> None:
        for line in process.stdout:
            lines.put(line.strip())
        lines.put(None)

    reader = threading.Thread(target=read_confirmations, daemon=True)
    reader.start()
    confirmed: list[str] = []
    try:
        while len(confirmed) < 2:
            line = lines.get(timeout=20)
            assert line is not None, "the writer stopped before confirming any row"
            confirmed.append(line)
        # Aim at a save in progress (its temporary file is there), at a random point in it.
        before = _temporaries(path)
        deadline = time.monotonic() + 2
        while _temporaries(path) <= before and time.monotonic() < deadline:
            time.sleep(0.0005)
        time.sleep(rng.uniform(0, 0.012))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        process.kill()
        process.wait(timeout=10)
        reader.join(timeout=10)
        process.stdout.close()
    # Lines written before the kill were confirmed too.
    while (line := lines.get(timeout=10)) is not None:
        confirmed.append(line)
    return confirmed, bool(_temporaries(path) - before)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_writers_killed_mid_save_leave_a_whole_file_holding_every_confirmed_row_once(tmp_path):
    path = tmp_path / "killed.xlsx"
    seeded = WorkbookStorage(path)
    seeded.ensure_tab(TabSpec("Signups", ("ID", "Name", "Status")))
    # Enough rows that a save takes a few milliseconds, so kills can land inside one.
    seeded.append_rows("Signups", [[f"SEED-{n}", "seed", "confirmed"] for n in range(300)])
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    confirmed: list[str] = []
    killed_mid_save = 0
    for round_number in range(5):
        ids, mid_save = _run_and_kill(path, f"R{round_number}", rng)
        confirmed += ids
        killed_mid_save += mid_save
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None, f"seed {seed}: a damaged part"
        sheet = openpyxl.load_workbook(path)["Signups"]
        counts = Counter(row[0] for row in sheet.iter_rows(min_row=2, values_only=True))
        assert [i for i in confirmed if counts[i] != 1] == [], f"seed {seed}"
        assert max(counts.values()) == 1, f"seed {seed}: a row written twice"
    assert killed_mid_save >= 1, f"seed {seed}: no kill landed inside a save"

    # flock dies with its process: the lock is free at once, no waiting for a timeout.
    lock = FileLock(str(path) + ".lock", timeout=0)
    lock.acquire()
    lock.release()
    # The dead writers' temporaries go once they are a minute old, on the next write.
    leftovers = [path.with_name(name) for name in _temporaries(path)]
    assert len(leftovers) == killed_mid_save
    an_hour_ago = time.time() - 3600
    for leftover in leftovers:
        os.utime(leftover, (an_hour_ago, an_hour_ago))
    WorkbookStorage(path).append_rows("Signups", [["AFTER", "after the kills", "confirmed"]])
    assert _temporaries(path) == set()
    ids = [row[0] for row in WorkbookStorage(path).read_tabs(["Signups"])["Signups"][1:]]
    assert ids[-1] == "AFTER"
    assert set(confirmed) <= set(ids)


def test_a_save_syncs_the_temporary_file_before_the_rename_and_the_folder_after(
    fresh_workbook, workbook_path, monkeypatch
):
    fresh_workbook.read_tabs(["Signups"])
    calls = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor):
        kind = "folder" if stat.S_ISDIR(os.fstat(descriptor).st_mode) else "file"
        calls.append(("fsync", kind))
        real_fsync(descriptor)

    def replace(source, target):
        calls.append(("replace", Path(source).parent == Path(target).parent))
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    fresh_workbook.append_rows("Signups", [["A1", "Ann"]])
    if os.name == "posix":
        assert calls == [("fsync", "file"), ("replace", True), ("fsync", "folder")]
    else:
        assert calls == [("fsync", "file"), ("replace", True)]


def test_temporary_files_of_a_dead_writer_are_removed_once_a_minute_old(
    fresh_workbook, workbook_path
):
    fresh_workbook.read_tabs(["Signups"])
    stale = workbook_path.with_name(f".{workbook_path.name}.dead1234.tmp")
    recent = workbook_path.with_name(f".{workbook_path.name}.live5678.tmp")
    unrelated = workbook_path.with_name(".other.xlsx.dead1234.tmp")
    for leftover in (stale, recent, unrelated):
        leftover.write_bytes(b"PK\x03\x04 half a zip")
    two_minutes_ago = time.time() - 120
    for old in (stale, unrelated):
        os.utime(old, (two_minutes_ago, two_minutes_ago))
    fresh_workbook.append_rows("Signups", [["A1", "Ann"]])
    assert not stale.exists()
    assert recent.exists()
    assert unrelated.exists()
    assert fresh_workbook.read_tabs(["Signups"])["Signups"][1][:2] == ["A1", "Ann"]


# -- a coordinator with the file open in a spreadsheet program -------------------------


def _signup(row_id: str, name: str, status: str = fmt.CONFIRMED) -> list[str]:
    values = {fmt.ID: row_id, fmt.NAME: name, fmt.STATUS: status}
    return [values.get(header, "") for header in fmt.SIGNUP_HEADERS]


def _column(header: str) -> int:
    return fmt.SIGNUP_HEADERS.index(header)


def _coordinator_opens(
    storage: WorkbookStorage, lock_pattern: str
) -> tuple[openpyxl.Workbook, Path]:
    """The program writes its lock file and holds the file as it is now."""
    storage.read_tabs([fmt.SIGNUPS])  # the site has made the workbook by now
    path = storage.path
    lock = path.with_name(lock_pattern.format(name=path.name))
    lock.write_text("Coordinator,laptop,/home/coordinator,25.11.2026 10:00,\n")
    return openpyxl.load_workbook(path), lock


def _coordinator_saves(copy: openpyxl.Workbook, path: Path) -> None:
    """Save the program's copy over the workbook, via a temporary file as office programs do."""
    sibling = path.with_name("coordinator-save.tmp")
    copy.save(sibling)
    os.replace(sibling, path)


def _row_of(copy: openpyxl.Workbook, row_id: str) -> int:
    sheet = copy[fmt.SIGNUPS]
    return next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == row_id)


def _signups(storage: WorkbookStorage) -> dict[str, list[str]]:
    """The Signups rows by ID, in sheet order; a row present twice fails the test."""
    rows = storage.read_tabs([fmt.SIGNUPS])[fmt.SIGNUPS][1:]
    assert max(Counter(row[0] for row in rows).values(), default=1) == 1, rows
    return {row[0]: row for row in rows}


@pytest.mark.parametrize("lock_pattern", [LIBREOFFICE_LOCK, EXCEL_LOCK], ids=["libre", "excel"])
def test_rows_added_while_a_coordinator_has_the_file_open_survive_their_saving_an_old_copy(
    fresh_workbook, workbook_path, lock_pattern, caplog
):
    fresh_workbook.append_rows(fmt.SIGNUPS, [_signup("PRE1", "Ann"), _signup("PRE2", "Bo")])
    copy, lock = _coordinator_opens(fresh_workbook, lock_pattern)

    fresh_workbook.append_rows(fmt.SIGNUPS, [_signup("NEW1", "Cy")])
    assert fresh_workbook.journal_path.exists()

    sheet = copy[fmt.SIGNUPS]
    sheet.cell(_row_of(copy, "PRE1"), _column(fmt.NOTES) + 1).value = "called back"
    sheet.delete_rows(_row_of(copy, "PRE2"))  # on purpose: it must stay deleted
    _coordinator_saves(copy, workbook_path)
    lock.unlink()

    with caplog.at_level(logging.WARNING, logger=workbook_module.__name__):
        rows = _signups(fresh_workbook)
    assert list(rows) == ["PRE1", "NEW1"]
    assert rows["PRE1"][_column(fmt.NOTES)] == "called back"
    assert (
        rows["NEW1"][: _column(fmt.STATUS) + 1] == _signup("NEW1", "Cy")[: _column(fmt.STATUS) + 1]
    )
    assert any("re-added row NEW1" in message for message in caplog.messages)
    assert not fresh_workbook.journal_path.exists()
    # Saved to the file, not only held in memory.
    assert list(_signups(WorkbookStorage(workbook_path))) == ["PRE1", "NEW1"]


def test_a_save_while_the_file_stays_open_is_repaired_each_time_until_the_program_closes(
    fresh_workbook, workbook_path
):
    fresh_workbook.append_rows(fmt.SIGNUPS, [_signup("PRE1", "Ann")])
    copy, lock = _coordinator_opens(fresh_workbook, LIBREOFFICE_LOCK)
    fresh_workbook.append_rows(fmt.SIGNUPS, [_signup("NEW1", "Cy")])

    for notes in ("first save", "second save"):
        copy[fmt.SIGNUPS].cell(_row_of(copy, "PRE1"), _column(fmt.NOTES) + 1).value = notes
        _coordinator_saves(copy, workbook_path)
        rows = _signups(fresh_workbook)
        assert list(rows) == ["PRE1", "NEW1"]
        assert rows["PRE1"][_column(fmt.NOTES)] == notes
        assert fresh_workbook.journal_path.exists()  # the program still holds its old copy

    lock.unlink()
    assert list(_signups(fresh_workbook)) == ["PRE1", "NEW1"]
    assert not fresh_workbook.journal_path.exists()


def test_a_cancellation_undone_by_an_old_copy_is_made_again_unless_the_cell_was_changed(
    fresh_workbook, workbook_path
):
    fresh_workbook.append_rows(fmt.SIGNUPS, [_signup("PRE1", "Ann"), _signup("PRE2", "Bo")])
    copy, lock = _coordinator_opens(fresh_workbook, EXCEL_LOCK)
    assert fresh_workbook.update_row(fmt.SIGNUPS, "PRE1", {fmt.STATUS: fmt.CANCELLED})
    assert fresh_workbook.update_row(fmt.SIGNUPS, "PRE2", {fmt.STATUS: fmt.CANCELLED})

    sheet = copy[fmt.SIGNUPS]
    sheet.cell(_row_of(copy, "PRE1"), _column(fmt.NOTES) + 1).value = "asked to swap"
    sheet.cell(_row_of(copy, "PRE2"), _column(fmt.STATUS) + 1).value = "tentative"
    _coordinator_saves(copy, workbook_path)
    lock.unlink()

    rows = _signups(fresh_workbook)
    assert rows["PRE1"][_column(fmt.STATUS)] == fmt.CANCELLED
    assert rows["PRE1"][_column(fmt.NOTES)] == "asked to swap"
    assert rows["PRE2"][_column(fmt.STATUS)] == "tentative"  # the coordinator's choice wins
    assert not fresh_workbook.journal_path.exists()


def test_a_row_added_then_cancelled_while_the_file_is_open_comes_back_cancelled(
    fresh_workbook, workbook_path
):
    copy, lock = _coordinator_opens(fresh_workbook, LIBREOFFICE_LOCK)
    fresh_workbook.append_rows(fmt.SIGNUPS, [_signup("NEW1", "Cy")])
    assert fresh_workbook.update_row(fmt.SIGNUPS, "NEW1", {fmt.STATUS: fmt.CANCELLED})
    _coordinator_saves(copy, workbook_path)
    lock.unlink()
    rows = _signups(fresh_workbook)
    assert list(rows) == ["NEW1"]
    assert rows["NEW1"][_column(fmt.STATUS)] == fmt.CANCELLED


def test_a_row_whose_column_the_coordinator_moved_is_re_added_under_its_header(
    fresh_workbook, workbook_path
):
    copy, lock = _coordinator_opens(fresh_workbook, LIBREOFFICE_LOCK)
    fresh_workbook.append_rows(fmt.SIGNUPS, [_signup("NEW1", "Cy")])
    copy[fmt.SIGNUPS].move_range("B1:B1", cols=len(fmt.SIGNUP_HEADERS))  # Name to the far right
    _coordinator_saves(copy, workbook_path)
    lock.unlink()
    grid = fresh_workbook.read_tabs([fmt.SIGNUPS])[fmt.SIGNUPS]
    name_column = grid[0].index(fmt.NAME)
    assert name_column == len(fmt.SIGNUP_HEADERS) + 1
    assert grid[1][0] == "NEW1"
    assert grid[1][name_column] == "Cy"


def test_the_journal_is_dropped_when_the_program_closes_without_saving(
    fresh_workbook, workbook_path
):
    _copy, lock = _coordinator_opens(fresh_workbook, LIBREOFFICE_LOCK)
    fresh_workbook.append_rows(fmt.SIGNUPS, [_signup("NEW1", "Cy")])
    assert fresh_workbook.journal_path.exists()
    lock.unlink()
    assert list(_signups(fresh_workbook)) == ["NEW1"]
    assert not fresh_workbook.journal_path.exists()


def test_a_journal_line_cut_short_by_a_crash_does_not_swallow_the_next_entry(
    fresh_workbook, workbook_path
):
    copy, lock = _coordinator_opens(fresh_workbook, LIBREOFFICE_LOCK)
    fresh_workbook.journal_path.write_text('{"op": "append", "tab": "Sig')
    fresh_workbook.append_rows(fmt.SIGNUPS, [_signup("NEW1", "Cy")])
    _coordinator_saves(copy, workbook_path)
    lock.unlink()
    assert list(_signups(fresh_workbook)) == ["NEW1"]


def test_another_server_process_repairs_the_file_from_the_shared_journal(
    fresh_workbook, workbook_path
):
    copy, lock = _coordinator_opens(fresh_workbook, LIBREOFFICE_LOCK)
    fresh_workbook.append_rows(fmt.SIGNUPS, [_signup("NEW1", "Cy")])
    _coordinator_saves(copy, workbook_path)
    lock.unlink()
    assert list(_signups(WorkbookStorage(workbook_path))) == ["NEW1"]
    assert list(_signups(fresh_workbook)) == ["NEW1"]  # re-added once, not by each process


def test_with_no_spreadsheet_program_open_no_journal_is_written(fresh_workbook, workbook_path):
    fresh_workbook.append_rows(fmt.SIGNUPS, [_signup("A1", "Ann")])
    assert fresh_workbook.update_row(fmt.SIGNUPS, "A1", {fmt.STATUS: fmt.CANCELLED})
    fresh_workbook.ensure_tab(TabSpec("Extra", ("ID", "Note")))
    fresh_workbook.append_rows("Extra", [["E1", "x"]])
    assert sorted(p.name for p in workbook_path.parent.iterdir()) == [
        workbook_path.name,
        workbook_path.name + ".lock",
    ]


# -- the lock and unreadable files under concurrency -----------------------------------


def test_a_lock_held_too_long_is_a_transient_busy_error_and_reads_do_not_wait(
    fresh_workbook, workbook_path, monkeypatch
):
    fresh_workbook.append_rows(fmt.SIGNUPS, [_signup("A1", "Ann")])
    monkeypatch.setattr(workbook_module, "LOCK_TIMEOUT_SECONDS", 0.2)
    storage = WorkbookStorage(workbook_path)
    holder = FileLock(str(workbook_path) + ".lock")
    with holder:
        assert list(_signups(storage)) == ["A1"]
        started = time.monotonic()
        with pytest.raises(StorageError, match="busy; please try again") as raised:
            storage.append_rows(fmt.SIGNUPS, [_signup("B2", "Bo")])
        assert time.monotonic() - started < 5
    assert raised.value.transient
    assert not raised.value.maybe_applied
    assert "0.2s" in raised.value.detail
    storage.append_rows(fmt.SIGNUPS, [_signup("B2", "Bo")])
    assert list(_signups(storage)) == ["A1", "B2"]


def test_a_file_still_half_written_a_moment_later_is_a_transient_error(tmp_path):
    path = tmp_path / "half.xlsx"
    path.write_bytes(b"PK\x03\x04 half a zip")
    with pytest.raises(StorageError, match="is damaged or cut off") as raised:
        WorkbookStorage(path).read_tabs([fmt.SIGNUPS])
    assert raised.value.transient
