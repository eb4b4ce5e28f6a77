"""The overview's summary tables as rows of cells, for CSV and XLSX downloads.

The figures are the overview's own (`summaries.overview`), so a download
always matches the page. A suppressed small number is never written: its
count and share are left empty and the note says "fewer than 5".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from app.dashboard.summaries import Count, Overview
from app.exports import neutralise, xlsx_text

LONG_COLUMNS = ("table", "row", "column", "unit", "count", "total", "percent", "note")


@dataclass(frozen=True)
class Figure:
    """One cell of a summary table, with the unit it is a share of."""

    table: str
    row: str
    column: str
    unit: str
    count: Count


def figures(summary: Overview) -> Iterator[Figure]:
    """Yield every figure of the overview's tables, table by table."""
    yield Figure("Totals", "Responses", "", "responses", Count(summary.total_responses, 0))
    yield Figure("Totals", "Sessions", "", "sessions", Count(summary.total_sessions, 0))
    yield Figure(
        "Totals",
        "People taking part in sessions",
        "",
        "people",
        Count(summary.total_participants, 0),
    )
    respondents = summary.total_respondents
    yield Figure(
        "Totals",
        "Survey respondents",
        "",
        "respondents",
        Count(respondents.count, 0, suppressed=respondents.suppressed),
    )
    for row in summary.themes:
        yield Figure("Themes", row.label, "Share of responses", "responses", row.responses)
        yield Figure("Themes", row.label, "Share of sessions", "sessions", row.sessions)
        yield Figure(
            "Themes", row.label, "Share of survey respondents", "respondents", row.respondents
        )
    for _concept_id, label, count in summary.concepts:
        yield Figure("Core concepts", label, "Share of responses", "responses", count)
    for row in summary.themes:
        for area_id, name in summary.areas:
            yield Figure(
                "Themes by area",
                row.label,
                name,
                "the area's responses",
                summary.area_matrix[(row.theme_id, area_id)],
            )
    for row in summary.themes:
        for question_id, label in summary.questions:
            yield Figure(
                "Themes by question",
                row.label,
                label,
                "the question's responses",
                summary.question_matrix[(row.theme_id, question_id)],
            )


def _cells(figure: Figure) -> list[str]:
    count = figure.count
    if count.suppressed:
        number, percent, note = "", "", "fewer than 5"
    else:
        number = str(count.count)
        percent = f"{100 * count.share:.1f}" if count.share is not None else ""
        note = ""
    total = str(count.total) if count.total else ""
    return [
        neutralise(figure.table),
        neutralise(figure.row),
        neutralise(figure.column),
        figure.unit,
        number,
        "" if count.suppressed else total,
        percent,
        note,
    ]


def summary_csv(summary: Overview) -> str:
    """Return the summary tables as one RFC 4180 CSV, a figure per line (long format)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(LONG_COLUMNS)
    for figure in figures(summary):
        writer.writerow(_cells(figure))
    return buffer.getvalue()


def _text_cell(sheet: object, value: str, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=xlsx_text(value))  # type: ignore[arg-type]
    cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)
    return cell


def _figure_cell(sheet: object, count: Count) -> WriteOnlyCell | str:
    """A share as a number formatted as a percentage, or the words for a suppressed cell."""
    if count.suppressed:
        return _text_cell(sheet, "fewer than 5")
    if count.share is None:
        return _text_cell(sheet, "–")
    cell = WriteOnlyCell(sheet, value=round(count.share, 4))  # type: ignore[arg-type]
    cell.number_format = "0%"
    return cell


def write_summary_xlsx(path: Path, summary: Overview, described_filters: dict[str, str]) -> int:
    """Write the summary tables to an XLSX workbook, a sheet per table; return the figure count.

    Shares are numbers formatted as percentages (so they sort and chart in a
    spreadsheet); counts sit beside them; suppressed cells say "fewer than 5".
    """
    workbook = Workbook(write_only=True)
    about = workbook.create_sheet("About")
    about.append([_text_cell(about, "What the community told us: summary tables", bold=True)])
    about.append([_text_cell(about, "Filters"), _text_cell(about, _describe(described_filters))])
    about.append(
        [
            _text_cell(about, "Units"),
            _text_cell(
                about,
                "Each share names what it is a share of: responses (points made in sessions "
                "and open survey answers), sessions, or survey respondents.",
            ),
        ]
    )
    about.append(
        [
            _text_cell(about, "Small numbers"),
            _text_cell(
                about, "Survey figures from fewer than 5 respondents are shown as 'fewer than 5'."
            ),
        ]
    )
    written = 0

    totals = workbook.create_sheet("Totals")
    for figure in figures(summary):
        if figure.table != "Totals":
            continue
        value = "fewer than 5" if figure.count.suppressed else figure.count.count
        totals.append(
            [
                _text_cell(totals, figure.row),
                value if isinstance(value, int) else _text_cell(totals, value),
            ]
        )
        written += 1

    themes = workbook.create_sheet("Themes")
    themes.append(
        [
            _text_cell(themes, heading, bold=True)
            for heading in (
                "Theme",
                "Share of responses",
                "Responses",
                "Share of sessions",
                "Sessions",
                "Share of survey respondents",
                "Respondents",
            )
        ]
    )
    for row in summary.themes:
        cells: list[object] = [_text_cell(themes, row.label)]
        for count in (row.responses, row.sessions, row.respondents):
            cells.append(_figure_cell(themes, count))
            cells.append(_text_cell(themes, "fewer than 5") if count.suppressed else count.count)
        themes.append(cells)
        written += 3

    concepts = workbook.create_sheet("Core concepts")
    concepts.append(
        [
            _text_cell(concepts, h, bold=True)
            for h in ("Core concept", "Share of responses", "Responses")
        ]
    )
    for _concept_id, label, count in summary.concepts:
        concepts.append(
            [
                _text_cell(concepts, label),
                _figure_cell(concepts, count),
                _text_cell(concepts, "fewer than 5") if count.suppressed else count.count,
            ]
        )
        written += 1

    grids: list[tuple[str, list[tuple[Any, str]], dict[tuple[str, Any], Count]]] = [
        ("Themes by area", list(summary.areas), dict(summary.area_matrix)),
        ("Themes by question", list(summary.questions), dict(summary.question_matrix)),
    ]
    for title, columns, matrix in grids:
        sheet = workbook.create_sheet(title)
        sheet.append(
            [_text_cell(sheet, "Theme", bold=True)]
            + [_text_cell(sheet, str(label), bold=True) for _key, label in columns]
        )
        for row in summary.themes:
            sheet.append(
                [_text_cell(sheet, row.label)]
                + [_figure_cell(sheet, matrix[(row.theme_id, key)]) for key, _label in columns]
            )
            written += len(columns)
    workbook.save(path)
    return written


def _describe(filters: dict[str, str]) -> str:
    if not filters:
        return "None: every response"
    return "; ".join(f"{key.replace('_', ' ')}: {value}" for key, value in filters.items())
