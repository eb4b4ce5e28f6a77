"""Bulk import of community session notes from CSV or XLSX: reading and validation.

The import format is one row per point made in a session::

    session_ref, area, held_on, venue, audience, participants, facilitator, question, text

Rows that share a ``session_ref`` belong to the same session and must agree on
the session's details. Reading (:func:`read_import_file`) deals with the file:
format, size limits, encodings and zip-bomb defence. Validation
(:func:`parse_session_rows`) checks every row, collects every problem and either
raises :class:`ImportRejected` or returns the sessions ready to be saved.

No Flask and no database here, so the same code serves the web upload, a command
line loader and the tests. Messages are written for a community lead.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Collection, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

# openpyxl ships without type hints.
from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped, unused-ignore]
from openpyxl.styles import Font  # type: ignore[import-untyped, unused-ignore]
from openpyxl.worksheet.datavalidation import (  # type: ignore[import-untyped, unused-ignore]
    DataValidation,
)

from app.reference import AUDIENCES, QUESTION_IDS
from app.sessions.points import clean_text, strip_bullet

__all__ = [
    "IMPORT_COLUMNS",
    "MAX_COMPRESSION_RATIO",
    "MAX_DATA_ROWS",
    "MAX_TEXT_LENGTH",
    "MAX_UNCOMPRESSED_BYTES",
    "MAX_UPLOAD_BYTES",
    "MAX_ZIP_MEMBERS",
    "ROW_KEY",
    "ImportFileError",
    "ImportRejected",
    "ImportedPoint",
    "ImportedSession",
    "RowError",
    "parse_session_rows",
    "read_import_file",
    "template_csv",
    "template_xlsx",
]

IMPORT_COLUMNS: tuple[str, ...] = (
    "session_ref",
    "area",
    "held_on",
    "venue",
    "audience",
    "participants",
    "facilitator",
    "question",
    "text",
)

# read_import_file stores each row's spreadsheet row number under this key, so
# errors point at the row a person sees even after blank rows are skipped.
ROW_KEY = "_row"

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_DATA_ROWS = 50_000
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ZIP_MEMBERS = 500
# Tiny members (styles, relationships) can compress extremely well without being
# any danger, so the ratio test only applies to members bigger than this.
RATIO_CHECK_MIN_BYTES = 64 * 1024

MAX_SESSION_REF_LENGTH = 100
MAX_VENUE_LENGTH = 200
MAX_FACILITATOR_LENGTH = 200
MAX_TEXT_LENGTH = 2_000
# A cell longer than this is a broken file (usually an unclosed quotation mark),
# not a long point: the csv module's default limit.
MAX_CELL_CHARACTERS = 131_072
MIN_PARTICIPANTS = 1
MAX_PARTICIPANTS = 10_000
EARLIEST_YEAR = 2000

_ZIP_SIGNATURE = b"PK\x03\x04"
_EMPTY_ZIP_SIGNATURE = b"PK\x05\x06"
# Old .xls files and password-protected .xlsx files are OLE compound documents.
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"
# Tab, line feed, form feed and carriage return are normal in text files.
_TEXT_CONTROL_BYTES = frozenset(b"\t\n\x0c\r")

_SAVE_AS_CSV = 'In Excel, choose File > Save As and pick "CSV UTF-8 (Comma delimited)".'


class ImportFileError(Exception):
    """The file as a whole cannot be imported (wrong type, too big, unreadable...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowError:
    """One problem in one cell.

    ``row`` is the spreadsheet row number as a person sees it: the header is row 1
    and the first data row is row 2. ``column`` is one of :data:`IMPORT_COLUMNS`,
    or ``""`` when the problem is with the row as a whole.
    """

    row: int
    column: str
    message: str


class ImportRejected(Exception):
    """The file was read but some rows are invalid; ``errors`` lists every problem."""

    def __init__(self, errors: list[RowError]) -> None:
        count = len(errors)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} found in the file")
        self.errors = errors


@dataclass(frozen=True)
class ImportedPoint:
    """One point made in a session, with the spreadsheet row it came from."""

    question: str
    text: str
    row: int


@dataclass(frozen=True)
class ImportedSession:
    """A validated session and its points, in file order.

    ``row`` is the first spreadsheet row of the session, for messages about the
    session as a whole (for example, a reference that already exists).
    """

    session_ref: str
    area: str
    held_on: date
    venue: str
    audience: str
    participants: int
    facilitator: str
    points: list[ImportedPoint] = field(default_factory=list)
    row: int = 0


# ---------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------

_EXAMPLE_DATE = date(2026, 3, 14)


def _example_rows(area: str) -> list[list[str]]:
    common = [
        "EXAMPLE-01",
        area,
        _EXAMPLE_DATE.strftime("%d/%m/%Y"),
        "Community centre, main hall",
        "parents_families",
        "18",
        "Community lead name",
    ]
    return [
        [*common, "why", '"They carry because they think everyone else does"'],
        [*common, "help", "More youth sessions in the evenings and at weekends"],
    ]


def template_csv(*, area_names: Sequence[str] = ()) -> bytes:
    """Return a CSV import template: the header row and two example rows.

    Encoded as UTF-8 with a byte-order mark so that Excel opens accented and
    non-Latin text correctly. ``area_names``, if given, supplies the example area.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect="excel", lineterminator="\r\n")
    writer.writerow(IMPORT_COLUMNS)
    writer.writerows(_example_rows(area_names[0] if area_names else "Belgrave"))
    return _UTF8_BOM + buffer.getvalue().encode("utf-8")


_COLUMN_GUIDANCE: dict[str, str] = {
    "session_ref": "Your own reference for the session, e.g. BEL-01. Every row (point) from "
    "the same session has the same reference. Up to 100 characters.",
    "area": "The area the session was held for (see the list below).",
    "held_on": "The date of the session, e.g. 14/03/2026, 2026-03-14 or 14 March 2026.",
    "venue": "Where the session was held, e.g. a community centre or 'Online'. "
    "Up to 200 characters.",
    "audience": "Who took part (see the list below).",
    "participants": "How many people took part, as a whole number (1 to 10,000).",
    "facilitator": "Who led the session. Up to 200 characters.",
    "question": "Which question the point answers (see the list below).",
    "text": "The point that was made, in one cell. Up to 2,000 characters.",
}

_QUESTION_GUIDANCE: dict[str, str] = {
    "what_where": "What and where knife crime issues exist locally",
    "why": "Why people carry knives or get involved",
    "impact": "How knife crime has affected the community",
    "help": "How communities, organisations and services can help reduce it",
}


def template_xlsx(*, area_names: Sequence[str] = ()) -> bytes:
    """Return an Excel import template.

    The first sheet ("Sessions") has the header row, two example rows and drop-down
    lists for ``audience`` and ``question``. A second sheet ("Guidance") explains
    each column and lists the allowed values (including ``area_names`` if given).
    Only the first sheet is read when the file is imported.
    """
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new Workbook always has one sheet
    sheet.title = "Sessions"
    sheet.append(list(IMPORT_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for example in _example_rows(area_names[0] if area_names else "Belgrave"):
        values: list[object] = list(example)
        values[2] = _EXAMPLE_DATE
        values[5] = int(example[5])
        sheet.append(values)
        sheet.cell(row=sheet.max_row, column=3).number_format = "DD/MM/YYYY"
    widths = (14, 18, 12, 30, 18, 12, 22, 12, 70)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[chr(ord("A") + index - 1)].width = width
    sheet.freeze_panes = "A2"

    audience_list = DataValidation(
        type="list", formula1='"' + ",".join(AUDIENCES) + '"', allow_blank=True
    )
    question_list = DataValidation(
        type="list", formula1='"' + ",".join(QUESTION_IDS) + '"', allow_blank=True
    )
    sheet.add_data_validation(audience_list)
    sheet.add_data_validation(question_list)
    audience_list.add("E2:E5000")
    question_list.add("H2:H5000")

    guidance = workbook.create_sheet("Guidance")
    guidance.append(["Column", "What to enter"])
    for column in IMPORT_COLUMNS:
        guidance.append([column, _COLUMN_GUIDANCE[column]])
    guidance.append([])
    guidance.append(["question", "Meaning"])
    for question in QUESTION_IDS:
        guidance.append([question, _QUESTION_GUIDANCE.get(question, "")])
    guidance.append([])
    guidance.append(["audience", "Meaning"])
    for key, label in AUDIENCES.items():
        guidance.append([key, label])
    if area_names:
        guidance.append([])
        guidance.append(["area"])
        for name in area_names:
            guidance.append([name])
    for row in guidance.iter_rows():
        if (
            row
            and row[0].value in ("Column", "question", "audience", "area")
            and (len(row) < 2 or row[1].value in (None, "What to enter", "Meaning"))
        ):
            for cell in row:
                cell.font = Font(bold=True)
    guidance.column_dimensions["A"].width = 18
    guidance.column_dimensions["B"].width = 90

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------


def read_import_file(data: bytes, filename: str) -> list[dict[str, str]]:
    """Read an uploaded CSV or XLSX file into one dict per non-blank data row.

    The type is decided by the file name's extension and checked against the
    content. Each dict maps every column of :data:`IMPORT_COLUMNS` to the cell's
    text (``""`` for an empty cell) and :data:`ROW_KEY` to the row number as a
    person sees it in a spreadsheet (header = row 1). Completely blank rows are
    skipped. Header names are matched ignoring case, surrounding spaces, and
    spaces or hyphens used instead of underscores; column order is free.

    For XLSX only the first worksheet is read, formulas are returned as their text
    (never calculated) and dates become ISO ``YYYY-MM-DD``.

    Raises :class:`ImportFileError` for a problem with the whole file and
    :class:`ImportRejected` for rows with more values than there are columns.
    """
    if not data:
        raise ImportFileError("The file is empty. Add a header row and at least one row of data.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportFileError(
            f"The file is too big ({len(data) / (1024 * 1024):.1f} MB). The largest file you can "
            f"import is {MAX_UPLOAD_BYTES // (1024 * 1024)} MB: split it into smaller files."
        )
    extension = _extension(filename)
    if extension == "csv":
        table = _read_csv(data)
    elif extension == "xlsx":
        table = _read_xlsx(data)
    elif extension in ("xls", "xlsm", "xlsb", "ods", "numbers"):
        raise ImportFileError(
            f"Files of type .{extension} can't be imported. Save the file as an Excel "
            'Workbook (.xlsx) or as "CSV UTF-8 (Comma delimited)" (.csv) and try again.'
        )
    else:
        raise ImportFileError("Choose a .csv or .xlsx file.")
    return _rows_to_dicts(table)


def _extension(filename: str) -> str:
    # Some browsers send a full Windows path as the file name.
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if "." not in name:
        return ""
    return name.rsplit(".", 1)[1].lower()


def _read_csv(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """Check and decode CSV bytes; yield ``(row_number, values)`` per record."""
    if data.startswith((_ZIP_SIGNATURE, _EMPTY_ZIP_SIGNATURE)):
        raise ImportFileError(
            "This file is named .csv but it is an Excel workbook (or another zip file). "
            "Either import it with a .xlsx name, or open it in Excel and save it as CSV. "
            + _SAVE_AS_CSV
        )
    if data.startswith(_OLE_SIGNATURE):
        raise ImportFileError(
            "This file is named .csv but it is an old-style Excel (.xls) file. "
            "Open it in Excel and save it as CSV. " + _SAVE_AS_CSV
        )
    if data.startswith(_UTF16_BOMS):
        raise ImportFileError(
            'This CSV file is saved as UTF-16 (Excel\'s "Unicode Text"). ' + _SAVE_AS_CSV
        )
    sample = data[:8192]
    controls = sum(1 for byte in sample if byte < 0x20 and byte not in _TEXT_CONTROL_BYTES)
    if controls > max(1, len(sample) // 20):
        raise ImportFileError(
            "This file doesn't look like a CSV file: it contains binary data (it may be a "
            "picture, PDF or document that has been given a .csv name). " + _SAVE_AS_CSV
        )
    nul = data.find(b"\x00")
    if nul != -1:
        line = data.count(b"\n", 0, nul) + 1
        raise ImportFileError(
            f"This doesn't look like a CSV text file: line {line} contains NUL (zero) bytes, "
            "which appear in binary files such as images or documents. " + _SAVE_AS_CSV
        )
    body = data.removeprefix(_UTF8_BOM)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise ImportFileError(
            f"Line {line} of the file has characters that aren't valid UTF-8 (the file was "
            "probably saved in an older Windows or Mac encoding; symbols such as £ and curly "
            "quotes are the usual cause). " + _SAVE_AS_CSV
        ) from None
    if not text.strip():
        raise ImportFileError("The file is empty. Add a header row and at least one row of data.")
    return _iter_csv(text)


def _iter_csv(text: str) -> Iterator[tuple[int, list[str]]]:
    # newline="" keeps line endings inside quoted fields for the csv module to handle.
    reader = csv.reader(io.StringIO(text, newline=""), dialect="excel", strict=True)
    record = 0
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFileError(_csv_error_message(exc, reader.line_num)) from None
        # The csv module's own cell limit is process-wide and another part of
        # the program may have raised it, so the importer applies its own.
        if any(len(value) > MAX_CELL_CHARACTERS for value in values):
            raise ImportFileError(
                _csv_error_message(csv.Error("field larger than field limit"), reader.line_num)
            )
        record += 1
        yield record, values


def _csv_error_message(exc: csv.Error, line: int) -> str:
    detail = str(exc)
    if "field larger than field limit" in detail:
        return (
            f"Near line {line} of the file there is a single cell with far more text than a point "
            f"can hold ({MAX_TEXT_LENGTH:,} characters). This usually means a quotation mark "
            'was opened (") and never closed. Check that line and try again.'
        )
    if "unexpected end of data" in detail or "expected after" in detail:
        return (
            f'Line {line} of the file has a quotation mark (") in the wrong place: a cell that '
            "starts with a quotation mark must end with one, and quotation marks inside it "
            'must be doubled (""). ' + _SAVE_AS_CSV
        )
    return f"Line {line} of the file can't be read as CSV ({detail}). " + _SAVE_AS_CSV


def _check_zip(data: bytes) -> None:
    """Refuse zip files that would expand to something huge, before anything unpacks them."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportFileError(
            "This Excel file is damaged or incomplete and can't be opened. Open it in Excel, "
            "save it again as an Excel Workbook (.xlsx) and try again."
        ) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise ImportFileError(
                f"This Excel file has too many parts inside it ({len(members):,}) to be a normal "
                "workbook, so it wasn't opened. Copy the data into a new workbook and try again."
            )
        # zipfile stops reading a member at its declared size, so the declared sizes
        # checked here bound what openpyxl can ever unpack.
        total = sum(member.file_size for member in members)
        if total > MAX_UNCOMPRESSED_BYTES:
            raise ImportFileError(
                "This Excel file would take up more than "
                f"{MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB once opened, so it wasn't opened. "
                "Remove unused sheets, images and formatting, or split it into smaller files."
            )
        for member in members:
            if member.file_size < RATIO_CHECK_MIN_BYTES:
                continue
            if member.compress_size == 0 or (
                member.file_size / member.compress_size > MAX_COMPRESSION_RATIO
            ):
                raise ImportFileError(
                    "This Excel file is packed in an unusual way (a part of it expands more than "
                    f"{MAX_COMPRESSION_RATIO} times), so it wasn't opened for safety. Copy the "
                    "data into a new workbook and try again."
                )
        if any(member.flag_bits & 0x1 for member in members):
            raise ImportFileError(
                "This file is encrypted. Remove the password, save it and try again."
            )
        names = {member.filename for member in members}
        if "xl/workbook.xml" not in names and "[Content_Types].xml" not in names:
            raise ImportFileError(
                "This file is a zip file but not an Excel workbook. Choose a .xlsx or .csv file."
            )


def _read_xlsx(data: bytes) -> Iterator[tuple[int, list[str]]]:
    if data.startswith(_OLE_SIGNATURE):
        raise ImportFileError(
            "This file is an old-style Excel (.xls) file or is password-protected. Open it in "
            "Excel, remove any password and save it as an Excel Workbook (.xlsx), then try again."
        )
    if not data.startswith(_ZIP_SIGNATURE):
        raise ImportFileError(
            "This file is named .xlsx but it isn't an Excel workbook. If it is a CSV file, "
            "give it a .csv name; otherwise open it in Excel and save it as an Excel Workbook "
            "(.xlsx)."
        )
    _check_zip(data)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; nothing a lead can act on.
            warnings.simplefilter("ignore")
            workbook = load_workbook(
                io.BytesIO(data), read_only=True, data_only=False, keep_links=False
            )
    except Exception:  # openpyxl raises many different types for damaged files
        raise ImportFileError(
            "This Excel file can't be opened: it may be damaged or not a real .xlsx file. Open "
            "it in Excel, save it again as an Excel Workbook (.xlsx) and try again."
        ) from None
    return _iter_xlsx(workbook)


def _iter_xlsx(workbook: Workbook) -> Iterator[tuple[int, list[str]]]:
    try:
        if not workbook.worksheets:
            raise ImportFileError("This Excel file has no worksheets.")
        sheet = workbook.worksheets[0]
        # Without this, a sheet whose stored dimensions say A1:XFD1048576 would be
        # padded to 16,384 cells per row.
        reset = getattr(sheet, "reset_dimensions", None)
        if reset is not None:
            reset()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                    yield number, [_cell_text(value) for value in values]
        except ImportFileError:
            raise
        except Exception:  # damaged sheet XML surfaces here, lazily
            raise ImportFileError(
                "Part of this Excel file is damaged and can't be read. Open it in Excel, save "
                "it again as an Excel Workbook (.xlsx) and try again."
            ) from None
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    """Turn an openpyxl cell value into the text a person would expect to see."""
    if value is None:
        return ""
    if isinstance(value, str):
        # Formulas arrive as their text ("=HYPERLINK(...)") because data_only=False.
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    # Array and data-table formulas are objects carrying the formula text.
    text = getattr(value, "text", None)
    if isinstance(text, str):
        return text
    return str(value)


def _header_key(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", clean_text(value).casefold())


def _rows_to_dicts(table: Iterator[tuple[int, list[str]]]) -> list[dict[str, str]]:
    # Close the reader even when we stop early, so an XLSX workbook is released now.
    with contextlib.closing(table) if isinstance(table, Generator) else contextlib.nullcontext():
        return _collect_rows(table)


def _collect_rows(iterator: Iterator[tuple[int, list[str]]]) -> list[dict[str, str]]:
    header: list[str] | None = None
    header_row = 0
    for number, values in iterator:
        if any(value.strip() for value in values):
            header, header_row = values, number
            break
    if header is None:
        raise ImportFileError("The file is empty. Add a header row and at least one row of data.")

    keys = [_header_key(value) for value in header]
    positions = _check_header(keys, header_row)
    named = set(positions.values())
    width = len(keys)

    rows: list[dict[str, str]] = []
    overflow: list[RowError] = []
    for number, values in iterator:
        if not any(value.strip() for value in values):
            continue
        if len(rows) >= MAX_DATA_ROWS:
            raise ImportFileError(
                f"The file has more than {MAX_DATA_ROWS:,} rows of data. Split it into smaller "
                "files and import them one at a time."
            )
        if len(values) > width and any(value.strip() for value in values[width:]):
            overflow.append(
                RowError(
                    number,
                    "",
                    "This row has more cells than there are column headings. If a point "
                    "contains commas, the whole cell must be in quotation marks.",
                )
            )
        elif any(values[i].strip() for i in range(min(len(values), width)) if i not in named):
            overflow.append(
                RowError(number, "", "This row has a value in a column with no heading.")
            )
        row = {column: (values[i] if i < len(values) else "") for column, i in positions.items()}
        row[ROW_KEY] = str(number)
        rows.append(row)
    if overflow:
        raise ImportRejected(overflow)
    if not rows:
        raise ImportFileError(
            "The file has a header row but no data. Add one row for each point made, under "
            "the header row."
        )
    return rows


def _check_header(keys: list[str], header_row: int) -> dict[str, int]:
    """Map each import column to its position, or explain what is wrong with the header."""
    positions: dict[str, int] = {}
    extra: list[str] = []
    duplicates: list[str] = []
    for index, key in enumerate(keys):
        if not key:
            continue  # blank headings are allowed as long as their column is empty
        if key in IMPORT_COLUMNS:
            if key in positions:
                duplicates.append(key)
            else:
                positions[key] = index
        else:
            extra.append(key)
    missing = [column for column in IMPORT_COLUMNS if column not in positions]
    problems: list[str] = []
    if missing and not positions:
        if len(keys) == 1 and ";" in keys[0]:
            raise ImportFileError(
                "This file uses semicolons (;) between values instead of commas. " + _SAVE_AS_CSV
            )
        raise ImportFileError(
            f"Row {header_row} should be the header row, with these column names: "
            f"{', '.join(IMPORT_COLUMNS)}. Download the template to see the layout."
        )
    if missing:
        problems.append(f"these columns are missing: {', '.join(missing)}")
    if extra:
        problems.append(
            f"these columns aren't part of the import and must be removed: {', '.join(extra)}"
        )
    if duplicates:
        problems.append(f"these columns appear more than once: {', '.join(duplicates)}")
    if problems:
        raise ImportFileError(
            f"The header row (row {header_row}) isn't right: "
            + "; ".join(problems)
            + f". The columns must be: {', '.join(IMPORT_COLUMNS)}."
        )
    return positions


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_NUMERIC_DATE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})")
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*,?\s+)?"
_DAY_MONTH_YEAR = re.compile(_WEEKDAY + r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})")
_MONTH_DAY_YEAR = re.compile(_WEEKDAY + r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")

_DATE_HINT = "Enter a date, like 14/03/2026"


def _parse_date(raw: str, today: date) -> date | str:
    """Return the date, or an error message for a community lead."""
    value = raw.strip().casefold()
    if not value:
        return "Enter the date the session was held, like 14/03/2026"
    day = month = year = 0
    if match := _ISO_DATE.fullmatch(value):
        year, month, day = (int(part) for part in match.groups())
    elif match := _NUMERIC_DATE.fullmatch(value):
        day, month, year = (int(part) for part in match.groups())
        if len(match.group(3)) == 2:
            year += 2000
        if month > 12 and day <= 12:
            return (
                f"{raw.strip()} looks like a month-first (US-style) date. Put the day first, "
                "like 14/03/2026"
            )
    elif match := _DAY_MONTH_YEAR.fullmatch(value):
        day, year = int(match.group(1)), int(match.group(3))
        month = _MONTHS.get(match.group(2), 0)
    elif match := _MONTH_DAY_YEAR.fullmatch(value):
        day, year = int(match.group(2)), int(match.group(3))
        month = _MONTHS.get(match.group(1), 0)
    if not year:
        return f"{_DATE_HINT} (day, month, year)"
    try:
        held_on = date(year, month, day)
    except ValueError:
        return f"{raw.strip()} isn't a real date. {_DATE_HINT}"
    if held_on.year < EARLIEST_YEAR:
        return f"Check the year: {raw.strip()} is too long ago. {_DATE_HINT}"
    if held_on > today + timedelta(days=1):
        return "The date is in the future. Enter the date the session was held"
    return held_on


def _loose_key(value: str) -> str:
    """Casefolded letters and digits only: "St. Matthews" and "st matthews" agree."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", value.casefold()) if ch.isalnum())


def _word_key(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", value.casefold().replace("&", "_")).strip("_")


# Audience by key ("young_people") or label ("Young people"), loosely spelt.
_AUDIENCE_LOOKUP = {
    **{_word_key(label): key for key, label in AUDIENCES.items()},
    **{_word_key(key): key for key in AUDIENCES},
}
_QUESTION_LOOKUP = {_word_key(question): question for question in QUESTION_IDS}

_SESSION_FIELDS = ("area", "held_on", "venue", "audience", "participants", "facilitator")
_PARTICIPANTS = re.compile(r"\d{1,3}(?:,\d{3})+|\d+")


def _parse_participants(raw: str) -> int | str:
    value = raw.strip()
    value = value.removesuffix(".0")
    if not value:
        return "Enter how many people took part, like 12"
    if not _PARTICIPANTS.fullmatch(value):
        return "Enter how many people took part as a whole number, like 12"
    number = int(value.replace(",", ""))
    if not MIN_PARTICIPANTS <= number <= MAX_PARTICIPANTS:
        return f"Participants must be between {MIN_PARTICIPANTS} and {MAX_PARTICIPANTS:,}"
    return number


@dataclass(frozen=True)
class _FieldError:
    """A failed text field, so that a valid string and an error differ by type."""

    message: str


def _required_text(raw: str, label: str, limit: int) -> str | _FieldError:
    value = clean_text(raw)
    if not value:
        return _FieldError(f"Enter the {label}")
    if len(value) > limit:
        return _FieldError(
            f"The {label} must be {limit:,} characters or fewer (it is {len(value):,})"
        )
    return value


# A valid session field: (value to store, value as shown to a lead, value to compare).
_FieldValue = tuple[object, str, object]


class _SessionFieldChecker:
    """Validates the six session fields of a row, remembering results.

    Every row of a session repeats the same session details, so caching on the raw
    values makes large imports several times faster.
    """

    def __init__(
        self, area_names: Sequence[str], allowed_areas: Collection[str] | None, today: date
    ) -> None:
        self.today = today
        self.area_lookup = {_loose_key(name): name for name in area_names}
        self.area_list = ", ".join(area_names)
        self.allowed_keys = (
            None if allowed_areas is None else {_loose_key(area) for area in allowed_areas}
        )
        self.allowed_list = ", ".join(
            name
            for name in area_names
            if self.allowed_keys is not None and _loose_key(name) in self.allowed_keys
        )
        self.audience_list = ", ".join(AUDIENCES.values())
        self.cache: dict[
            tuple[str, ...], tuple[dict[str, _FieldValue | None], list[tuple[str, str]]]
        ] = {}

    def check(
        self, raw: tuple[str, ...]
    ) -> tuple[dict[str, _FieldValue | None], list[tuple[str, str]]]:
        """Return each field's parsed value (None if invalid) and ``(column, message)`` errors."""
        cached = self.cache.get(raw)
        if cached is None:
            cached = self.cache[raw] = self._check(dict(zip(_SESSION_FIELDS, raw, strict=True)))
        return cached

    def _check(
        self, raw: dict[str, str]
    ) -> tuple[dict[str, _FieldValue | None], list[tuple[str, str]]]:
        parsed: dict[str, _FieldValue | None] = dict.fromkeys(_SESSION_FIELDS)
        errors: list[tuple[str, str]] = []

        area_raw = clean_text(raw["area"])
        area = self.area_lookup.get(_loose_key(area_raw))
        if not area_raw:
            errors.append(("area", f"Enter the area. Area must be one of: {self.area_list}"))
        elif area is None:
            errors.append(
                ("area", f"Area must be one of: {self.area_list} (not {_quoted(area_raw)})")
            )
        elif self.allowed_keys is not None and _loose_key(area) not in self.allowed_keys:
            errors.append(
                (
                    "area",
                    "You can only import sessions for your areas "
                    f"({self.allowed_list or 'none assigned'})",
                )
            )
        else:
            parsed["area"] = (area, area, area)

        held = _parse_date(raw["held_on"], self.today)
        if isinstance(held, str):
            errors.append(("held_on", held))
        else:
            parsed["held_on"] = (held, held.strftime("%d/%m/%Y"), held)

        for column, label, limit in (
            ("venue", "venue", MAX_VENUE_LENGTH),
            ("facilitator", "facilitator's name", MAX_FACILITATOR_LENGTH),
        ):
            text_value = _required_text(raw[column], label, limit)
            if isinstance(text_value, _FieldError):
                errors.append((column, text_value.message))
            else:
                # Free text compares ignoring case so "Library" and "library" agree.
                parsed[column] = (text_value, text_value, text_value.casefold())

        audience_raw = clean_text(raw["audience"])
        audience = _AUDIENCE_LOOKUP.get(_word_key(audience_raw))
        if audience is not None:
            parsed["audience"] = (audience, AUDIENCES[audience], audience)
        elif audience_raw:
            errors.append(
                (
                    "audience",
                    f"Audience must be one of: {self.audience_list} (not {_quoted(audience_raw)})",
                )
            )
        else:
            errors.append(
                ("audience", f"Enter who took part. Audience must be one of: {self.audience_list}")
            )

        participants = _parse_participants(raw["participants"])
        if isinstance(participants, str):
            errors.append(("participants", participants))
        else:
            parsed["participants"] = (participants, str(participants), participants)

        return parsed, errors


@dataclass
class _Group:
    session_ref: str
    row: int
    # Per session field: (value used for comparison, value as shown, row it came from).
    baseline: dict[str, tuple[object, str, int]] = field(default_factory=dict)
    values: dict[str, object] = field(default_factory=dict)
    points: list[ImportedPoint] = field(default_factory=list)


def parse_session_rows(
    rows: list[dict[str, str]],
    *,
    area_names: Sequence[str],
    allowed_areas: Collection[str] | None = None,
    today: date | None = None,
) -> list[ImportedSession]:
    """Validate imported rows and group them into sessions.

    Every row is checked and every problem collected; if there are any,
    :class:`ImportRejected` is raised with all of them (sorted by row, then by
    column order). Otherwise the sessions are returned in the order their
    ``session_ref`` first appears, each with its points in file order.

    ``area_names`` are the canonical area names; a row's area matches ignoring
    case, punctuation and spacing ("st matthews" is "St. Matthews").
    ``allowed_areas``, when given (a community lead importing), restricts which
    areas may be imported. Rows with the same ``session_ref`` (compared ignoring
    case and spacing) must agree on area, date, venue, audience, participants and
    facilitator. ``today`` is for tests; it defaults to the current date and sets
    the limit for future dates (one day ahead is allowed for time zones).

    Row numbers come from :data:`ROW_KEY` if present, otherwise the list index
    plus two (header is row 1). Raises :class:`ImportFileError` if there are no rows.
    """
    if not rows:
        raise ImportFileError("There are no rows of data to import.")
    checker = _SessionFieldChecker(area_names, allowed_areas, today or date.today())
    question_list = ", ".join(QUESTION_IDS)

    errors: list[RowError] = []
    groups: dict[str, _Group] = {}

    for index, raw_row in enumerate(rows):
        row_number = _row_number(raw_row, index)

        def get(column: str, raw_row: dict[str, str] = raw_row) -> str:
            value = raw_row.get(column)
            return value if isinstance(value, str) else ""

        def fail(column: str, message: str, row_number: int = row_number) -> None:
            errors.append(RowError(row_number, column, message))

        parsed, field_errors = checker.check(tuple(get(column) for column in _SESSION_FIELDS))
        for column, message in field_errors:
            fail(column, message)

        question_raw = clean_text(get("question"))
        question = _QUESTION_LOOKUP.get(_word_key(question_raw))
        if question is None:
            if question_raw:
                fail(
                    "question",
                    f"Question must be one of: {question_list} (not {_quoted(question_raw)})",
                )
            else:
                fail("question", f"Enter the question. Question must be one of: {question_list}")

        text = strip_bullet(clean_text(get("text")))
        if not text:
            fail("text", "Enter the point that was made")
        elif len(text) > MAX_TEXT_LENGTH:
            fail(
                "text",
                f"The point must be {MAX_TEXT_LENGTH:,} characters or fewer (it is "
                f"{len(text):,}). Split it into separate rows",
            )

        ref = _required_text(get("session_ref"), "session reference", MAX_SESSION_REF_LENGTH)
        if isinstance(ref, _FieldError):
            fail("session_ref", ref.message)
            continue
        group_key = ref.casefold()
        group = groups.get(group_key)
        if group is None:
            group = groups[group_key] = _Group(session_ref=ref, row=row_number)

        for column in _SESSION_FIELDS:
            field_value = parsed[column]
            if field_value is None:
                continue
            value, shown, compare = field_value
            first = group.baseline.get(column)
            if first is None:
                group.baseline[column] = (compare, shown, row_number)
                group.values[column] = value
            elif first[0] != compare:
                fail(
                    column,
                    f"Every row for session {group.session_ref} must have the same {column}: "
                    f'row {first[2]} has "{first[1]}"',
                )

        if question is not None and text and len(text) <= MAX_TEXT_LENGTH:
            group.points.append(ImportedPoint(question=question, text=text, row=row_number))

    if errors:
        order = {column: i for i, column in enumerate(IMPORT_COLUMNS)}
        errors.sort(key=lambda e: (e.row, order.get(e.column, -1)))
        raise ImportRejected(errors)

    sessions: list[ImportedSession] = []
    for group in groups.values():
        values = group.values
        held_on = values["held_on"]
        participants_value = values["participants"]
        assert isinstance(held_on, date) and isinstance(participants_value, int)
        sessions.append(
            ImportedSession(
                session_ref=group.session_ref,
                area=str(values["area"]),
                held_on=held_on,
                venue=str(values["venue"]),
                audience=str(values["audience"]),
                participants=participants_value,
                facilitator=str(values["facilitator"]),
                points=group.points,
                row=group.row,
            )
        )
    return sessions


def _quoted(value: str, limit: int = 40) -> str:
    """Echo a lead's value back in a message, shortened so messages stay readable."""
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return f'"{value}"'


def _row_number(row: dict[str, str], index: int) -> int:
    raw = row.get(ROW_KEY)
    if isinstance(raw, str) and raw.isdigit():
        return int(raw)
    return index + 2
