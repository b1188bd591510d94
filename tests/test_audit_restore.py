"""`sheet audit` and `sheet restore`: confirmed signups that vanished from the sheet.

A confirmed signup can vanish without the site's help: a coordinator deletes the row by
hand, or saves an older copy of the workbook over the site's rows with no office lock file
beside it (a copy edited elsewhere and put back, say), so the journal never saw it. The
site's own record (instance/signup-record.jsonl) lets `sheet audit` list those rows and
`sheet restore` put one back, once. A row a coordinator cancelled is still in the sheet and
is never listed. Both backends; the stale copy saved by openpyxl and by real LibreOffice.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest

from sumo_sheets import create_app, services

from . import test_coordinator_tabs
from .support import FORM, NOW, sign_up

# Both backends, each with a sheet made by `sheet init` (the fixture of the tab tests).
site = test_coordinator_tabs.site

BO = {**FORM, "name": "Bo Example", "contact": "bo@example.org", "start": "2026-11-30T15:00Z"}


def _app(config):
    return create_app(dict(config))


def _sign_up(app, form=FORM) -> str:
    response = sign_up(app.test_client(), form)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[1]


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["sheet", *args])


def _signup_rows(sheet) -> list[dict[str, str]]:
    header, *rows = sheet.snapshot()["Signups"]
    return [dict(zip(header, row + [""] * (len(header) - len(row)), strict=True)) for row in rows]


def _row_of(sheet, signup_id: str) -> dict[str, str]:
    (row,) = [r for r in _signup_rows(sheet) if r["ID"] == signup_id]
    return row


def _delete_row(sheet, signup_id: str) -> None:
    """A coordinator deletes the row by hand (their spreadsheet program, or Google's page)."""
    number = 2 + [r["ID"] for r in _signup_rows(sheet)].index(signup_id)
    if hasattr(sheet, "spreadsheet"):
        sheet.spreadsheet.worksheet("Signups").delete_rows(number)
    else:
        sheet._edit(lambda book: book["Signups"].delete_rows(number))


def _cancel_by_hand(sheet, signup_id: str) -> None:
    """A coordinator types "cancelled" into the row's Status cell."""
    number = 2 + [r["ID"] for r in _signup_rows(sheet)].index(signup_id)
    column = 1 + sheet.snapshot()["Signups"][0].index("Status")
    if hasattr(sheet, "spreadsheet"):
        sheet.spreadsheet.worksheet("Signups").update_cell(number, column, "cancelled")
    else:
        sheet._edit(
            lambda book: setattr(book["Signups"].cell(number, column), "value", "cancelled")
        )


def test_a_row_deleted_by_hand_is_listed_restored_once_and_then_audit_is_clean(site):
    config, sheet = site
    app = _app(config)
    ann, bo = _sign_up(app), _sign_up(app, BO)
    bo_row = _row_of(sheet, bo)
    assert _cli(app, "audit").exit_code == 0

    _delete_row(sheet, bo)
    found = _cli(app, "audit")
    assert found.exit_code == 1
    assert f"{bo}  Bo Example  Helper  2026-11-30 15:00-16:00 UTC" in found.output
    assert ann not in found.output and "bo@example.org" not in found.output
    assert "sheet restore ID" in found.output

    restored = _cli(app, "restore", bo)
    assert restored.exit_code == 0, restored.output
    assert f"Restored signup {bo} at row 3 of the Signups tab." in restored.output
    # The same cells as the site first wrote them: ID, contact, times, request key, zone.
    assert _row_of(sheet, bo) == bo_row
    assert [r["ID"] for r in _signup_rows(sheet)] == [ann, bo]
    clean = _cli(app, "audit")
    assert clean.exit_code == 0 and "(2 checked)" in clean.output

    again = _cli(app, "restore", bo)
    assert again.exit_code == 1
    assert f"Signup {bo} is still in the Signups tab" in again.output
    assert len(_signup_rows(sheet)) == 2


def test_a_restored_row_deleted_again_is_not_restored_twice(site):
    config, sheet = site
    app = _app(config)
    bo = _sign_up(app, BO)
    _delete_row(sheet, bo)
    assert _cli(app, "restore", bo).exit_code == 0
    _delete_row(sheet, bo)  # the coordinator means it

    audit = _cli(app, "audit")
    assert audit.exit_code == 0
    assert f"Restored once, removed again (not listed as lost): {bo}" in audit.output
    refused = _cli(app, "restore", bo)
    assert refused.exit_code == 1
    assert f"Signup {bo} was restored once already" in refused.output
    assert "type it into the Signups tab by hand" in refused.output
    assert _signup_rows(sheet) == []


def test_a_row_a_coordinator_cancelled_is_not_flagged(site):
    config, sheet = site
    app = _app(config)
    ann = _sign_up(app)
    _cancel_by_hand(sheet, ann)
    audit = _cli(app, "audit")
    assert audit.exit_code == 0, audit.output
    assert "(1 checked)" in audit.output
    assert _cli(app, "restore", ann).exit_code == 1


def test_a_signup_its_volunteer_cancelled_on_the_site_is_not_flagged_once_deleted(site):
    config, sheet = site
    app = _app(config)
    ann = _sign_up(app)
    reader = app.extensions["sumo_reader"]
    assert services.cancel_own_signup(reader, lambda s: True, ann, NOW, timedelta(hours=2))
    _delete_row(sheet, ann)  # a coordinator tidies the cancelled row away

    audit = _cli(app, "audit")
    assert audit.exit_code == 0 and "(0 checked)" in audit.output
    refused = _cli(app, "restore", ann)
    assert refused.exit_code == 1
    assert f"Signup {ann} was cancelled on the site by its volunteer" in refused.output


def test_an_id_the_site_never_confirmed_is_refused(site):
    config, _sheet = site
    refused = _cli(_app(config), "restore", "NOPE42")
    assert refused.exit_code == 1
    assert "The site has no record of confirming a signup with ID 'NOPE42'" in refused.output


def test_a_row_restored_after_its_place_was_taken_is_put_back_and_said_to_hold_none(site):
    config, sheet = site
    app = _app(config)
    # At most 2 Room monitors an hour (the default Settings): Ann and Bo, then Bo's row is
    # deleted and Cy takes the place before a coordinator notices.
    monitor = {**FORM, "role": "monitor"}
    ann = _sign_up(app, monitor)
    bo = _sign_up(app, {**monitor, "name": "Bo Example", "contact": "bo@example.org"})
    _delete_row(sheet, bo)
    _sign_up(app, {**monitor, "name": "Cy", "contact": "cy@example.org"})

    restored = _cli(app, "restore", bo)
    assert restored.exit_code == 0, restored.output
    assert "Room monitors were filled meanwhile at that hour, so this row holds no place" in (
        restored.output
    )
    assert [r["Status"] for r in _signup_rows(sheet)] == ["confirmed"] * 3
    assert _row_of(sheet, ann)["Status"] == "confirmed"


def test_the_record_is_the_owners_only_and_keeps_what_a_restore_needs(app, tmp_path):
    signup_id = _sign_up(app)
    record = Path(os.environ["SUMO_SIGNUP_RECORD_FILE"])
    assert record.parent == tmp_path
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    (recorded,) = services.SignupRecord(record).signups().values()
    assert recorded.signup.id == signup_id and recorded.signup.contact == "ann@example.org"


# -- a stale copy saved over the workbook with no lock file beside it ----------------------


def _soffice() -> str:
    """LibreOffice's binary; skipped without it, except in CI, where it must be there."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    message = "LibreOffice (Debian's libreoffice-calc-nogui, `soffice`) is not installed"
    if os.environ.get("CI") == "true":
        pytest.fail(message + ", and CI must have it")
    pytest.skip(message)


def _saved_by_libreoffice(copy: Path, folder: Path) -> Path:
    """The copy opened and saved as .xlsx by real LibreOffice, headless."""
    out = folder / "libreoffice"
    out.mkdir()
    profile = (folder / "lo-profile").as_uri()  # its own, so parallel runs do not collide
    subprocess.run(  # noqa: S603 - a fixed binary and arguments, in a test
        [
            _soffice(),
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            str(copy),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return out / copy.name


def _saved_by_openpyxl(copy: Path, folder: Path) -> Path:
    book = openpyxl.load_workbook(copy)
    saved = folder / "openpyxl" / copy.name
    saved.parent.mkdir()
    book.save(saved)
    return saved


@pytest.mark.parametrize(
    "program", [_saved_by_openpyxl, _saved_by_libreoffice], ids=["openpyxl", "libreoffice"]
)
def test_a_stale_save_without_a_lock_file_is_listed_and_restored(program, tmp_path):
    path = tmp_path / "sumo-schedule.xlsx"
    config = {"TESTING": True, "SECRET_KEY": "test-secret", "WORKBOOK": str(path)}
    config.update(WTF_CSRF_ENABLED=False, CLOCK=lambda: NOW)
    app = _app(config)
    assert _cli(app, "init").exit_code == 0
    ann = _sign_up(app)
    older = tmp_path / "coordinator-copy" / path.name
    older.parent.mkdir()
    shutil.copy2(path, older)  # the coordinator takes a copy to edit elsewhere
    bo = _sign_up(app, BO)

    # ... and saves it back over the workbook: no lock file, so no journal to undo it.
    stale = program(older, tmp_path)
    os.replace(stale, path)
    sheet = test_coordinator_tabs.Workbook(path)
    assert [r["ID"] for r in _signup_rows(sheet)] == [ann]

    audit = _cli(app, "audit")
    assert audit.exit_code == 1
    assert "1 signup(s) the site confirmed are no longer in the Signups tab" in audit.output
    assert bo in audit.output and ann not in audit.output
    restored = _cli(app, "restore", bo)
    assert restored.exit_code == 0, restored.output
    rows = _signup_rows(sheet)
    assert [(r["ID"], r["Name"], r["Contact"], r["Status"]) for r in rows] == [
        (ann, "Ann Example", "ann@example.org", "confirmed"),
        (bo, "Bo Example", "bo@example.org", "confirmed"),
    ]
    assert _cli(app, "audit").exit_code == 0
    assert "is still in the Signups tab" in _cli(app, "restore", bo).output
