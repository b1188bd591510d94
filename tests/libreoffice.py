"""Real LibreOffice, headless, for tests: converting files, and a coordinator's workbook that
LibreOffice itself saved (a table with an autofilter, a comment, fills and widths, conditional
formats, a dropdown, a formula column, custom document properties, and a tab with a chart and
an image).

Without LibreOffice (Debian: ``apt-get install -y libreoffice-calc-nogui``) these tests skip,
except in CI (``CI=true``), where they fail: there it must be installed.
"""

from __future__ import annotations

import csv
import os
import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from sumo_sheets import sheet_format as fmt
from sumo_sheets.storage.workbook import WorkbookStorage

CONVERT_SECONDS = 120
# Every tab to its own CSV file (the last option, -1), UTF-8, comma-separated, as shown.
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
ORIGINAL_ROWS = 42


def png(width: int = 16, height: int = 16) -> bytes:
    """A small red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


def soffice() -> str:
    """The LibreOffice binary; skips the test without one (fails in CI)."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    message = "LibreOffice is not installed: apt-get install -y libreoffice-calc-nogui"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message + " (CI installs it)")
    pytest.skip(message)


def convert(source: Path, to: str, folder: Path) -> list[Path]:
    """Convert with ``soffice --headless --convert-to``; the files it wrote."""
    folder.mkdir(parents=True, exist_ok=True)
    profile = folder / ".lo-profile"  # its own profile: parallel runs do not share one
    before = set(folder.iterdir())
    done = subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            to,
            "--outdir",
            str(folder),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=CONVERT_SECONDS,
        check=False,
    )
    made = sorted(set(folder.iterdir()) - before - {profile})
    assert done.returncode == 0 and made, f"LibreOffice could not convert {source}: {done}"
    return made


def tabs_as_csv(path: Path, folder: Path) -> dict[str, list[list[str]]]:
    """Every tab as LibreOffice shows it (formula results included), by tab title."""
    stem = path.stem
    tabs = {}
    for made in convert(path, CSV_FILTER, folder):
        title = made.stem[len(stem) + 1 :]
        with open(made, newline="", encoding="utf-8") as handle:
            tabs[title] = [row for row in csv.reader(handle)]
    return tabs


def parts(path: Path) -> dict[str, bytes]:
    """Every zip part of an .xlsx, by name."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def coordinator_workbook(folder: Path) -> Path:
    """The site's workbook after a coordinator worked on it in LibreOffice and saved it."""
    folder.mkdir(parents=True, exist_ok=True)
    draft = folder / "draft" / "sumo-schedule.xlsx"
    draft.parent.mkdir()
    storage = WorkbookStorage(draft, new_file_tabs=fmt.TAB_SPECS)
    storage.create_if_missing()
    rows = [
        [f"C{n:03d}", f"Volunteer {n % 7}", f"v{n}@example.org", "Helper", "2026-11-30"]
        + ["09:00", "10:00", "cancelled" if n % 5 == 0 else "confirmed", "2026-11-20 10:00"]
        for n in range(1, ORIGINAL_ROWS + 1)
    ]
    storage.append_rows("Signups", rows)
    book = openpyxl.load_workbook(draft)
    _decorate_signups(book["Signups"])
    _add_chart_tab(book)
    book.custom_doc_props.append(StringProperty(name="Team", value="SUMO Live Chat"))
    book.save(draft)
    _add_image(draft)
    (saved,) = convert(draft, "xlsx:Calc MS Excel 2007 XML", folder)
    return saved


def _decorate_signups(sheet) -> None:
    last = ORIGINAL_ROWS + 1
    sheet["M1"], sheet["N1"] = "Coordinator note", "Shifts by name"
    for row in range(2, last + 1):
        sheet.cell(row, 14).value = f"=COUNTIF(B$2:B${last},B{row})"
        sheet.cell(row, 1).fill = PatternFill("solid", fgColor="FFF2CC")
    sheet["M3"] = "call first"
    sheet["B2"].comment = Comment("Prefers mornings", "Coordinator")
    sheet["A1"].font = Font(bold=True)
    sheet.column_dimensions["B"].width = 30
    table = Table(displayName="SignupsTable", ref=f"A1:N{last}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium9", showRowStripes=True)
    sheet.add_table(table)
    red = PatternFill("solid", fgColor="FFC7CE")
    sheet.conditional_formatting.add(
        f"H2:H{last}", CellIsRule(operator="equal", formula=['"cancelled"'], fill=red)
    )
    rule = DataValidation(type="list", formula1='"call first,no show,ok"', allow_blank=True)
    rule.add(f"M2:M{last}")
    sheet.add_data_validation(rule)


def _add_chart_tab(book) -> None:
    sheet = book.create_sheet("Chart")
    sheet.append(["Week", "Signups"])
    for week in range(1, 6):
        sheet.append([f"W{week}", week * 3])
    chart = BarChart()
    chart.title = "Signups by week"
    chart.add_data(Reference(sheet, min_col=2, min_row=1, max_row=6), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=6))
    sheet.add_chart(chart, "D2")


def _add_image(path: Path) -> None:
    """Put a picture beside the chart (openpyxl cannot without Pillow): drawing XML by hand."""
    content = parts(path)
    drawing = next(n for n in content if n.startswith("xl/drawings/drawing"))
    rels = drawing.replace("drawings/", "drawings/_rels/") + ".rels"
    picture = (
        '<xdr:oneCellAnchor xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/'
        'spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        "<xdr:from><xdr:col>3</xdr:col><xdr:colOff>0</xdr:colOff>"
        "<xdr:row>20</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
        '<xdr:ext cx="952500" cy="952500"/><xdr:pic><xdr:nvPicPr><xdr:cNvPr id="9" '
        'name="Logo"/><xdr:cNvPicPr/></xdr:nvPicPr><xdr:blipFill><a:blip '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
        'r:embed="rIdLogo"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill><xdr:spPr>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic>'
        "<xdr:clientData/></xdr:oneCellAnchor>"
    )
    text = content[drawing].decode()
    end = text.rindex("</")
    content[drawing] = (text[:end] + picture + text[end:]).encode()
    relation = (
        '<Relationship Id="rIdLogo" Target="../media/logo.png" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/image"/></Relationships>'
    )
    content[rels] = content[rels].decode().replace("</Relationships>", relation).encode()
    types = content["[Content_Types].xml"].decode()
    if 'Extension="png"' not in types:
        types = types.replace(
            "<Override", '<Default Extension="png" ContentType="image/png"/><Override', 1
        )
    content["[Content_Types].xml"] = types.encode()
    content["xl/media/logo.png"] = png()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in content.items():
            archive.writestr(name, data)
