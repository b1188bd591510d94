"""What a file under the workbook's name really is when it cannot be read, told by its content
(magic bytes, zip members, OLE stream names; never by its name, which is always .xlsx), so the
message says what it is and what to do in a coordinator's terms.

Opening is tried twice, a moment apart (``workbook.WorkbookStorage._load``): a file caught
mid-save reads on the second try, and only then is "mid-save" said (in the log). A file still
unreadable after that is described here.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from . import StorageError

SAVE_AS_XLSX = (
    "open it in your spreadsheet program and save it under the same name as Excel 2007-365 (.xlsx)"
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
# How much of a file is looked at to tell what it is.
_HEAD_BYTES = 4096


class WorkbookUnreadable(StorageError):
    """The workbook file is there but is not an .xlsx the site can read; ``kind`` says what it
    is ("csv", "ods", "xls", "encrypted", "damaged", ...), the message what to do."""

    def __init__(self, message: str, *, kind: str, detail: str, transient: bool) -> None:
        super().__init__(message, detail=detail, transient=transient)
        self.kind = kind


def unreadable(path: Path, error: BaseException) -> WorkbookUnreadable:
    """The error for a workbook file that failed to open twice, in the coordinator's terms."""
    kind, what = identify(path)
    name = path.name
    if kind in ("damaged", "empty"):
        message = (
            f"The workbook {name} {what}. Open it in your spreadsheet program and save it "
            "again as Excel 2007-365 (.xlsx), or put back a backup copy."
        )
    elif kind == "encrypted":
        message = (
            f"The workbook {name} {what}, so the site cannot read it. Open it, remove the "
            "password (save it without “Save with password” / “Encrypt with password”), "
            "and save it as Excel 2007-365 (.xlsx)."
        )
    elif kind == "xlsx":
        message = f"The workbook {name} {what}; {SAVE_AS_XLSX}."
    else:
        message = f"The workbook {name} {what}, which the site cannot read: {SAVE_AS_XLSX}."
        if kind in ("csv", "tsv"):
            message += " (A text file keeps only one tab: check the others are still there.)"
    return WorkbookUnreadable(
        message,
        kind=kind,
        detail=f"{path}: {kind}: {error!r}",
        # Only a cut-off file may yet become whole (a slow save); a wrong format will not.
        transient=kind in ("damaged", "empty"),
    )


def identify(path: Path) -> tuple[str, str]:
    """(kind, what it is in words, as the end of "The workbook NAME ...")."""
    try:
        with open(path, "rb") as file:
            head = file.read(_HEAD_BYTES)
    except OSError as error:
        return "unopenable", f"cannot be opened ({error.strerror or error})"
    if not head:
        return "empty", "is empty (0 bytes)"
    if head.startswith(_ZIP_MAGICS):
        return _identify_zip(path)
    if head.startswith(_OLE_MAGIC):
        return _identify_ole(path)
    if head.startswith(b"%PDF"):
        return "pdf", "was saved as a PDF"
    return _identify_text(head)


def _identify_zip(path: Path) -> tuple[str, str]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            mimetype = (
                archive.read("mimetype").decode("ascii", "replace").strip()
                if ("mimetype" in names)
                else ""
            )
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, EOFError):
        return "damaged", "is damaged or cut off (an incomplete Excel file)"
    if mimetype == "application/vnd.oasis.opendocument.spreadsheet":
        return "ods", "was saved as OpenDocument Spreadsheet (.ods)"
    if mimetype.startswith("application/vnd.oasis.opendocument."):
        return "odf", "is an OpenDocument file but not a spreadsheet"
    if "xl/workbook.bin" in names:
        return "xlsb", "was saved as Excel Binary Workbook (.xlsb)"
    if "xl/workbook.xml" in names:
        return "xlsx", "is an Excel file the site could not read (it may be damaged)"
    if "word/document.xml" in names:
        return "docx", "is a Word document, not a spreadsheet"
    return "zip", "is a zip archive, not a spreadsheet"


def _identify_ole(path: Path) -> tuple[str, str]:
    """An OLE compound file: an encrypted Office 2007+ file, or a 97-2003 one; the streams'
    names are stored in UTF-16 in its directory, so looking for them needs no OLE reader."""
    try:
        content = path.read_bytes()
    except OSError as error:
        return "unopenable", f"cannot be opened ({error.strerror or error})"

    def has(stream: str) -> bool:
        return stream.encode("utf-16-le") in content

    if has("EncryptedPackage") or has("EncryptionInfo"):
        return "encrypted", "is protected with a password to open (encrypted)"
    if has("Workbook") or has("Book"):
        return "xls", "was saved as Excel 97-2003 (.xls)"
    if has("WordDocument"):
        return "doc", "is a Word 97-2003 document, not a spreadsheet"
    return "ole", "is an old-style Office file, not an Excel 2007-365 workbook"


def _identify_text(head: bytes) -> tuple[str, str]:
    text = _decode(head)
    if text is None:
        return "unknown", "is not a spreadsheet file"
    start = text.lstrip().lower()[:_HEAD_BYTES]
    if start.startswith("<?xml") or start.startswith("<office:document"):
        if "opendocument" in start or "office:document" in start:
            return "fods", "was saved as Flat OpenDocument Spreadsheet (.fods)"
        if "urn:schemas-microsoft-com:office:spreadsheet" in start:
            return "xml2003", "was saved as Excel 2003 XML"
        return "xml", "is an XML file, not a spreadsheet"
    if re.match(r"<!doctype html|<html|<table", start):
        return "html", "was saved as a web page (HTML)"
    lines = [line for line in text.splitlines()[:5] if line.strip()]
    for separator, kind, words in (
        ("\t", "tsv", "was saved as text (tab-separated)"),
        (",", "csv", "was saved as CSV (text)"),
        (";", "csv", "was saved as CSV (text)"),
    ):
        if lines and all(separator in line for line in lines):
            return kind, words
    return "text", "is a text file, not a spreadsheet"


def _decode(head: bytes) -> str | None:
    """The start of a text file as text, or None if it is not text."""
    for bom, encoding in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, "replace")
    if b"\0" in head:
        return None
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3:  # a character cut by the read's end
            return head[: error.start].decode("utf-8")
        return head.decode("latin-1")
