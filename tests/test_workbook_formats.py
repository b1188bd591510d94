"""A file under the workbook's name that is not an .xlsx the site can read: files really saved
by LibreOffice as .ods, .csv and .xls, a password-protected .xlsx, a cut-off file and garbage.
Each is named for what it is, with what to do, on /healthz, the week page, the form's refusal
and `sheet check`; "mid-save" only when a retry a moment later reads it. And date and time
cells a coordinator cleared the format of (serial numbers) read as dates and times.

LibreOffice (Debian's libreoffice-calc-nogui, `soffice`) makes the fixtures: these tests skip
when it is absent, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest

from sumo_sheets import sheet_format as fmt
from sumo_sheets.services.reading import read_sheet
from sumo_sheets.sheet_format import CellError, parse_date, parse_time
from sumo_sheets.storage import StorageError
from sumo_sheets.storage import workbook as workbook_module
from sumo_sheets.storage.workbook import WorkbookStorage

from .support import NOW, page_text, sign_up

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
IN_CI = os.environ.get("CI") == "true"
SAVE_AS = "save it under the same name as Excel 2007-365 (.xlsx)"


@pytest.fixture(scope="session")
def office(tmp_path_factory):
    """Convert a file with LibreOffice headless: ``office(source, "ods")`` -> the new file."""
    if SOFFICE is None:
        if IN_CI:
            pytest.fail("LibreOffice (soffice) is missing in CI: scripts/test installs it")
        pytest.skip("LibreOffice is not installed (Debian: libreoffice-calc-nogui)")
    profile = tmp_path_factory.mktemp("lo-profile")

    def convert(source: Path, target: str) -> Path:
        out = tmp_path_factory.mktemp("lo-out")
        command = [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless"]
        command += ["--convert-to", target, "--outdir", str(out), str(source)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=180)
        made = list(out.iterdir())
        assert result.returncode == 0 and len(made) == 1, (result.stdout, result.stderr)
        return made[0]

    return convert


def _site_workbook(folder: Path) -> Path:
    """A workbook as the site makes it, with one signup in it."""
    path = folder / "site.xlsx"
    storage = WorkbookStorage(path, new_file_tabs=fmt.TAB_SPECS)
    storage.create_if_missing()
    row = fmt.lay_out(
        list(fmt.SIGNUP_HEADERS),
        {fmt.ID: "A1", fmt.NAME: "Ann", fmt.ROLE: "helper", fmt.DATE: "2026-11-30"}
        | {fmt.START_UTC: "14:00", fmt.END_UTC: "15:00", fmt.STATUS: "confirmed"},
    )
    storage.append_rows(fmt.SIGNUPS, [row])
    return path


@pytest.fixture(scope="session")
def saved_as(office, tmp_path_factory):
    """The site's workbook as LibreOffice saved it in each format: {"ods": bytes, ...}."""
    source = _site_workbook(tmp_path_factory.mktemp("site"))
    return {target: office(source, target).read_bytes() for target in ("ods", "csv", "xls")}


def _encrypted_xlsx(path: Path) -> bytes:
    """The workbook protected with a password to open (ECMA-376 agile encryption)."""
    msoffcrypto = pytest.importorskip("msoffcrypto", reason="pip install -r requirements-dev.txt")
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    with open(path, "rb") as plain:
        OOXMLFile(plain).encrypt("secret", out)
    assert msoffcrypto.olefile.isOleFile(io.BytesIO(out.getvalue()))
    return out.getvalue()


# What each file is called, and what to do, in the message.
SAID = {
    "ods": ("was saved as OpenDocument Spreadsheet (.ods)", SAVE_AS),
    "csv": ("was saved as CSV (text)", SAVE_AS),
    "xls": ("was saved as Excel 97-2003 (.xls)", SAVE_AS),
    "encrypted": ("is protected with a password to open", "remove the password"),
    "cut off": ("is damaged or cut off", "put back a backup copy"),
    "garbage": ("is not a spreadsheet file", SAVE_AS),
}


def _contents(kind: str, saved_as: dict[str, bytes], folder: Path) -> bytes:
    site = _site_workbook(folder)
    if kind in saved_as:
        return saved_as[kind]
    if kind == "encrypted":
        return _encrypted_xlsx(site)
    if kind == "cut off":
        return site.read_bytes()[:3000]
    return bytes(range(256)) * 8


@pytest.mark.parametrize("kind", list(SAID))
def test_a_wrong_file_is_named_for_what_it_is_in_sheet_check_and_storage(
    kind, saved_as, tmp_path, runner, workbook_path
):
    workbook_path.write_bytes(_contents(kind, saved_as, tmp_path))
    what, todo = SAID[kind]
    with pytest.raises(StorageError) as raised:
        WorkbookStorage(workbook_path).read_tabs([fmt.SIGNUPS])
    message = raised.value.message
    assert f"The workbook {workbook_path.name} {what}" in message and todo in message
    assert "mid-save" not in message and "cannot be read right now" not in message
    assert str(workbook_path.parent) not in message  # no server folders on public pages
    assert raised.value.transient == (kind == "cut off")

    result = runner.invoke(args=["sheet", "check"])
    assert result.exit_code == 1
    assert what in result.output and todo in result.output


@pytest.mark.parametrize("kind", ["ods", "csv", "xls", "encrypted", "garbage"])
def test_a_wrong_file_is_named_on_health_the_week_page_and_the_form(
    kind, saved_as, tmp_path, app, workbook_path
):
    what, todo = SAID[kind]
    client = app.test_client()
    assert sign_up(client, name="Ann").status_code == 303  # a good copy was read
    workbook_path.write_bytes(_contents(kind, saved_as, tmp_path))
    app.extensions["sumo_reader"].invalidate()

    health = client.get("/healthz").get_json()
    assert health["status"] == "degraded" and what in health["error"]
    week = page_text(client.get("/?week=2026-W49"))
    assert "may be out of date" in week and "Ann" in week
    assert what in week and todo in week
    refused = sign_up(client, name="Bo", contact="bo@example.org")
    assert refused.status_code == 503
    form = page_text(refused)
    assert what in form and todo in form and "Your signup was not saved" in form
    assert "try again in a minute" not in form  # waiting will not fix it


@pytest.mark.parametrize("kind", ["csv", "garbage"])
def test_with_no_good_copy_health_and_the_week_page_say_what_the_file_is(
    kind, saved_as, tmp_path, app, workbook_path
):
    what, todo = SAID[kind]
    workbook_path.write_bytes(_contents(kind, saved_as, tmp_path))
    client = app.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503 and what in health.get_json()["error"]
    page = client.get("/")
    assert page.status_code == 503
    assert what in page_text(page) and todo in page_text(page)


def test_a_file_caught_mid_save_reads_on_the_retry_and_says_nothing(tmp_path, caplog, monkeypatch):
    path = _site_workbook(tmp_path)
    whole = path.read_bytes()
    path.write_bytes(whole[:2000])  # a writer that is not ours, half way through
    pauses = []

    def the_save_ends_meanwhile(seconds):
        pauses.append(seconds)
        path.write_bytes(whole)

    monkeypatch.setattr(workbook_module.clock, "sleep", the_save_ends_meanwhile)
    caplog.set_level(logging.INFO, logger="sumo_sheets.storage.workbook")
    grids = WorkbookStorage(path).read_tabs([fmt.SIGNUPS])
    assert grids[fmt.SIGNUPS][1][:2] == ["A1", "Ann"]
    assert pauses == [workbook_module.MID_SAVE_RETRY_SECONDS]
    assert "mid-save" in caplog.text


# -- date and time cells whose format a coordinator cleared --------------------------------

# 2026-11-30 is serial 46356 in the 1900 date system (LibreOffice, Excel, Google Sheets).
SERIAL_2026_11_30 = 46356


@pytest.mark.parametrize(
    ("text", "day"),
    [("46356", "2026-11-30"), ("46356.0", "2026-11-30"), ("36526", "2000-01-01")]
    + [("73050", "2099-12-31")],
)
def test_a_date_serial_in_the_plausible_range_reads_as_that_date(text, day):
    assert parse_date(text).isoformat() == day


@pytest.mark.parametrize("text", ["36525", "73051", "12", "46356.5", "-46356"])
def test_a_number_outside_the_range_is_refused_and_quoted_as_shown(text):
    with pytest.raises(CellError, match=f"date '{text}' is a number"):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "clock"),
    [("0.583333333333333", "14:00"), ("0.5", "12:00"), ("0.25", "06:00"), ("0,75", "18:00")]
    + [("0", "00:00"), ("1.0", "00:00"), ("0.999305555555556", "23:59"), ("9.30", "09:30")]
    + [("14.00", "14:00"), ("9", "09:00")],
)
def test_a_time_serial_reads_as_that_time_and_hours_dot_minutes_still_read(text, clock):
    assert parse_time(text).strftime("%H:%M") == clock


def test_date_and_time_serials_saved_by_libreoffice_read_right(office, tmp_path):
    """Date, Start and End as plain numbers (General) and number-formatted (0, 0.00)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = fmt.SIGNUPS
    sheet.append(list(fmt.SIGNUP_HEADERS))
    hours = {fmt.ID: 0, fmt.NAME: 1, fmt.ROLE: 3, fmt.DATE: 4, fmt.START_UTC: 5, fmt.END_UTC: 6}
    for number, number_format in ((2, "General"), (3, "0"), (4, "0.00")):
        values = [f"A{number}", f"Person {number}", "", "helper", SERIAL_2026_11_30]
        values += [14 / 24, 16 / 24, "confirmed"]
        sheet.append(values)
        for column in (hours[fmt.DATE], hours[fmt.START_UTC], hours[fmt.END_UTC]):
            sheet.cell(number, column + 1).number_format = number_format
    source = tmp_path / "serials.xlsx"
    book.save(source)
    saved = office(source, "xlsx")  # as LibreOffice writes the numbers back

    data = read_sheet(WorkbookStorage(saved))
    assert [p for p in data.problems if p.tab == fmt.SIGNUPS] == []
    start = datetime(2026, 11, 30, 14, tzinfo=UTC)
    assert [(s.id, s.start, s.end) for s in data.signups] == [
        (f"A{n}", start, start.replace(hour=16)) for n in (2, 3, 4)
    ]
    assert start > NOW
