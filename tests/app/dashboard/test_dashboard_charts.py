"""The dashboard's server-side SVG charts: well-formed, accessible and inert."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from app.dashboard.charts import (
    HEATMAP_STEPS,
    contrast_ratio,
    heatmap,
    heatmap_step,
    horizontal_bar_chart,
    line_chart,
    sanitise_chart_id,
)

SVG = "{http://www.w3.org/2000/svg}"
NAMESPACE_DECLARATION = 'xmlns="http://www.w3.org/2000/svg"'
WHITE = "#ffffff"
BLACK = "#0b0c0c"


def parse(markup: Markup) -> ET.Element:
    """Parse chart markup as XML, checking the rules every chart must follow."""
    assert isinstance(markup, Markup)
    text = str(markup)
    root = ET.fromstring(text)  # noqa: S314 (our own output)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.get("viewBox", ""))
    assert root.get("font-family") == "arial, sans-serif"

    ids = {element.get("id") for element in root.iter() if element.get("id")}
    labelled_by = root.get("aria-labelledby", "").split()
    assert len(labelled_by) == 2
    assert set(labelled_by) <= ids
    title, desc = root[0], root[1]
    assert title.tag == f"{SVG}title" and title.get("id") == labelled_by[0]
    assert desc.tag == f"{SVG}desc" and desc.get("id") == labelled_by[1]
    for element_id in ids:
        assert re.fullmatch(r"[a-z][a-z0-9-]*", element_id)

    lowered = text.lower()
    assert "style=" not in lowered
    assert "<style" not in lowered
    assert "<script" not in lowered
    assert "href" not in lowered
    assert "url(" not in lowered
    assert "http" not in lowered.replace(NAMESPACE_DECLARATION, "")
    assert "<foreignobject" not in lowered
    assert not [name for el in root.iter() for name in el.attrib if name.startswith("on")]
    return root


def by_class(root: ET.Element, name: str) -> list[ET.Element]:
    """Elements whose class list includes `name`."""
    return [el for el in root.iter() if name in (el.get("class") or "").split()]


def shown_text(element: ET.Element) -> str:
    """The text a `<text>` element draws, leaving out its hover `<title>`."""
    parts = [element.text or ""]
    parts += [child.tail or "" for child in element]
    return "".join(parts).strip()


def hover_title(element: ET.Element) -> str | None:
    """The full text of a shortened label, from its `<title>` child."""
    title = element.find(f"{SVG}title")
    return None if title is None else title.text


BARS = [
    ("Fear and feeling unsafe", 0.42, "42%"),
    ("Lack of youth services", 0.25, "25%"),
    ("Drugs and county lines", None, "fewer than 5"),
    ("Policing", 0.0, "0%"),
]


# Bar chart


def test_bar_chart_draws_one_bar_per_value_and_labels_every_row() -> None:
    root = parse(
        horizontal_bar_chart(
            chart_id="themes", title="Themes", description="Share of responses", bars=BARS
        )
    )

    assert root.find(f"{SVG}title").text == "Themes"
    assert root.find(f"{SVG}desc").text == "Share of responses"
    assert len(by_class(root, "app-chart__row")) == 4
    assert len(by_class(root, "app-chart__bar")) == 3
    assert [shown_text(el) for el in by_class(root, "app-chart__label")] == [
        label for label, _, _ in BARS
    ]
    assert [shown_text(el) for el in by_class(root, "app-chart__value")] == [
        "42%",
        "25%",
        "fewer than 5",
        "0%",
    ]


def test_bar_lengths_are_proportional_to_the_largest_value() -> None:
    root = parse(horizontal_bar_chart(chart_id="c", title="t", description="d", bars=BARS))

    widths = [float(bar.get("width")) for bar in by_class(root, "app-chart__bar")]
    assert widths[1] == pytest.approx(widths[0] * 25 / 42, abs=0.02)
    assert widths[2] == 0
    for bar in by_class(root, "app-chart__bar"):
        assert bar.get("fill") == "#1d70b8"


def test_bar_chart_scales_to_a_given_maximum() -> None:
    bars = [("A", 0.5, "50%"), ("B", 2.0, "200%")]
    root = parse(
        horizontal_bar_chart(chart_id="c", title="t", description="d", bars=bars, max_value=1.0)
    )

    half, over = (float(bar.get("width")) for bar in by_class(root, "app-chart__bar"))
    assert over == pytest.approx(half * 2, abs=0.02)  # capped at the full length


def test_suppressed_value_draws_no_bar_and_shows_its_label() -> None:
    root = parse(
        horizontal_bar_chart(
            chart_id="c",
            title="t",
            description="d",
            bars=[("Drugs and county lines", None, "fewer than 5")],
        )
    )

    (row,) = by_class(root, "app-chart__row")
    assert row.find(f"{SVG}rect") is None
    assert by_class(root, "app-chart__bar") == []
    (value,) = by_class(row, "app-chart__value--suppressed")
    assert shown_text(value) == "fewer than 5"
    assert value.get("fill") == "#505a5f"


def test_bar_chart_height_grows_with_the_number_of_bars() -> None:
    def height(count: int) -> float:
        bars = [(f"Theme {n}", float(n), str(n)) for n in range(count)]
        root = parse(horizontal_bar_chart(chart_id="c", title="t", description="d", bars=bars))
        return float(root.get("viewBox").split()[3])

    assert height(1) < height(2) < height(10)
    assert height(10) - height(9) == height(2) - height(1)


def test_bar_chart_uses_the_width_only_for_its_viewbox() -> None:
    root = parse(
        horizontal_bar_chart(chart_id="c", title="t", description="d", bars=BARS, width=800)
    )

    assert root.get("viewBox").split()[2] == "800"
    assert root.get("width") == "100%"


def test_long_labels_are_shortened_with_the_full_text_kept_for_hover() -> None:
    long_label = "Young people carrying knives because they feel unsafe on the way to school"
    root = parse(
        horizontal_bar_chart(
            chart_id="c",
            title="t",
            description="d",
            bars=[(long_label, 0.3, "30%"), ("Short", 0.1, "10%")],
        )
    )

    long, short = by_class(root, "app-chart__label")
    assert shown_text(long).endswith("…")
    assert long_label.startswith(shown_text(long)[:-1])
    assert len(shown_text(long)) < len(long_label)
    assert hover_title(long) == long_label
    assert shown_text(short) == "Short"
    assert hover_title(short) is None


def test_bar_chart_labels_are_escaped() -> None:
    nasty = "<script>alert(\"x\")</script> & 'friends'"
    markup = horizontal_bar_chart(
        chart_id="c",
        title="<script>t</script>",
        description="<b>d</b>",
        bars=[
            (nasty, 1.0, "<i>1</i>"),
            ("Markup", None, Markup("<em>5</em>")),
            ("Script", None, "<script>1</script>"),
        ],
    )
    root = parse(markup)

    assert "&lt;script&gt;" in str(markup)
    assert root.find(f"{SVG}title").text == "<script>t</script>"
    assert root.find(f"{SVG}desc").text == "<b>d</b>"
    assert shown_text(by_class(root, "app-chart__label")[0]) == nasty
    values = [shown_text(el) for el in by_class(root, "app-chart__value")]
    assert values == ["<i>1</i>", "<em>5</em>", "<script>1</script>"]


def test_characters_xml_cannot_hold_are_dropped() -> None:
    root = parse(
        horizontal_bar_chart(
            chart_id="c", title="t\x00", description="d", bars=[("a\x0bb\nc", 1.0, "1\x1f")]
        )
    )

    assert shown_text(by_class(root, "app-chart__label")[0]) == "ab c"
    assert shown_text(by_class(root, "app-chart__value")[0]) == "1"


def test_empty_bar_chart_says_there_is_no_data() -> None:
    root = parse(
        horizontal_bar_chart(chart_id="empty", title="Themes", description="Themes", bars=[])
    )

    assert "no data" in root.find(f"{SVG}desc").text.lower()
    assert by_class(root, "app-chart__bar") == []
    assert "no data" in shown_text(by_class(root, "app-chart__no-data")[0]).lower()


def test_all_suppressed_bars_still_render() -> None:
    bars = [("A", None, "<5"), ("B", None, "<5")]
    root = parse(horizontal_bar_chart(chart_id="c", title="t", description="d", bars=bars))

    assert by_class(root, "app-chart__bar") == []
    assert len(by_class(root, "app-chart__value--suppressed")) == 2


# Ids


@pytest.mark.parametrize(
    ("chart_id", "expected"),
    [
        ("themes", "themes"),
        ("Theme Summary!", "theme-summary"),
        ("  area__by__theme ", "area-by-theme"),
        ('"><script>', "script"),
        ("2026-trend", "chart-2026-trend"),
        ("", "chart"),
        ("---", "chart"),
    ],
)
def test_chart_ids_are_sanitised(chart_id: str, expected: str) -> None:
    assert sanitise_chart_id(chart_id) == expected


def test_several_charts_on_one_page_have_distinct_ids() -> None:
    charts = [
        horizontal_bar_chart(chart_id="Themes <b>", title="t", description="d", bars=BARS),
        heatmap(
            chart_id="areas",
            title="t",
            description="d",
            row_labels=["A"],
            column_labels=["X"],
            values=[[1.0]],
            value_labels=[["1"]],
        ),
        line_chart(
            chart_id="trend", title="t", description="d", points=[("Jan", 1.0)], y_label="n"
        ),
    ]
    page = ET.fromstring(  # noqa: S314 (our own output)
        "<div>" + "".join(str(chart) for chart in charts) + "</div>"
    )

    ids = [el.get("id") for el in page.iter() if el.get("id")]
    assert len(ids) == len(set(ids)) == 9
    assert "themes-b-title" in ids
    for chart in charts:
        parse(chart)


# Heatmap

ROWS = ["Fear and feeling unsafe", "Lack of youth services"]
COLUMNS = ["Northfield", "South Bank", "East <End>"]
VALUES: list[list[float | None]] = [[10.0, 2.0, None], [6.0, 0.0, 9.0]]
VALUE_LABELS = [["10", "2", "<5"], ["6", "0", "9"]]


def render_heatmap() -> ET.Element:
    return parse(
        heatmap(
            chart_id="area-themes",
            title="Themes by area",
            description="Responses per theme in each area",
            row_labels=ROWS,
            column_labels=COLUMNS,
            values=VALUES,
            value_labels=VALUE_LABELS,
        )
    )


def cell_parts(cell: ET.Element) -> tuple[ET.Element, ET.Element]:
    rect = cell.find(f"{SVG}rect")
    text = cell.find(f"{SVG}text")
    assert rect is not None and text is not None
    return rect, text


def test_heatmap_has_one_cell_per_value_with_its_label() -> None:
    root = render_heatmap()

    cells = by_class(root, "app-chart__cell")
    assert len(cells) == 6
    assert [shown_text(cell_parts(cell)[1]) for cell in cells] == ["10", "2", "<5", "6", "0", "9"]
    assert [shown_text(el) for el in by_class(root, "app-chart__label")] == ROWS
    assert [shown_text(el) for el in by_class(root, "app-chart__column-label")] == COLUMNS
    assert "&lt;End&gt;" in str(
        heatmap(
            chart_id="c",
            title="t",
            description="d",
            row_labels=ROWS,
            column_labels=COLUMNS,
            values=VALUES,
            value_labels=VALUE_LABELS,
        )
    )


def test_heatmap_shades_by_value_and_puts_white_text_on_dark_cells() -> None:
    root = render_heatmap()

    cells = by_class(root, "app-chart__cell")
    fills = [cell_parts(cell)[0].get("fill") for cell in cells]
    colours = [cell_parts(cell)[1].get("fill") for cell in cells]
    assert fills[0] == "#1d70b8"  # the largest value gets the darkest shade
    assert colours[0] == WHITE
    assert fills[4] == WHITE  # zero
    assert colours[4] == BLACK
    assert fills[1] == "#c6dbed"  # 2/10: the second-lightest step
    assert colours[1] == BLACK
    assert cells[5].get("data-step") == "4"  # 9/10 is in the top fifth
    assert colours[5] == WHITE
    for rect in root.iter(f"{SVG}rect"):
        assert rect.get("stroke") == "#b1b4b6"  # white cells still have an edge


def test_heatmap_suppressed_cell_is_grey_and_shows_its_label() -> None:
    root = render_heatmap()

    (cell,) = by_class(root, "app-chart__cell--suppressed")
    rect, text = cell_parts(cell)
    assert rect.get("fill") == "#f3f2f1"
    assert text.get("fill") == BLACK
    assert shown_text(text) == "<5"
    assert cell.get("data-step") is None


def test_heatmap_column_labels_are_rotated() -> None:
    root = render_heatmap()

    for label in by_class(root, "app-chart__column-label"):
        assert label.get("transform", "").startswith("rotate(-45 ")


def test_heatmap_cells_have_a_hover_title_naming_row_and_column() -> None:
    root = render_heatmap()

    titles = [cell.find(f"{SVG}title").text for cell in by_class(root, "app-chart__cell")]
    assert titles[2] == "Fear and feeling unsafe, East <End>: <5"


def test_every_heatmap_step_meets_wcag_aa_for_its_text() -> None:
    assert len(HEATMAP_STEPS) == 5
    assert HEATMAP_STEPS[0][0] == WHITE
    assert HEATMAP_STEPS[-1] == ("#1d70b8", WHITE)
    for fill, text in HEATMAP_STEPS:
        assert contrast_ratio(fill, text) >= 4.5
    assert contrast_ratio("#f3f2f1", BLACK) >= 4.5


@pytest.mark.parametrize(
    ("value", "maximum", "step"),
    [(None, 10, None), (0, 10, 0), (1.9, 10, 0), (2, 10, 1), (7.9, 10, 3), (8, 10, 4), (10, 10, 4)],
)
def test_heatmap_steps_are_fifths_of_the_maximum(
    value: float | None, maximum: float, step: int | None
) -> None:
    assert heatmap_step(value, maximum) == step


def test_heatmap_with_only_suppressed_cells() -> None:
    root = parse(
        heatmap(
            chart_id="c",
            title="t",
            description="d",
            row_labels=["A"],
            column_labels=["X", "Y"],
            values=[[None, None]],
            value_labels=[["<5", "<5"]],
        )
    )

    assert len(by_class(root, "app-chart__cell--suppressed")) == 2


@pytest.mark.parametrize(("rows", "columns"), [([], ["X"]), (["A"], []), ([], [])])
def test_empty_heatmap_says_there_is_no_data(rows: list[str], columns: list[str]) -> None:
    root = parse(
        heatmap(
            chart_id="c",
            title="t",
            description="Themes by area.",
            row_labels=rows,
            column_labels=columns,
            values=[[] for _ in rows],
            value_labels=[[] for _ in rows],
        )
    )

    assert root.find(f"{SVG}desc").text == "Themes by area. There is no data to show."
    assert by_class(root, "app-chart__cell") == []


def test_heatmap_rejects_data_that_does_not_match_its_labels() -> None:
    with pytest.raises(ValueError):
        heatmap(
            chart_id="c",
            title="t",
            description="d",
            row_labels=["A", "B"],
            column_labels=["X"],
            values=[[1.0]],
            value_labels=[["1"]],
        )
    with pytest.raises(ValueError):
        heatmap(
            chart_id="c",
            title="t",
            description="d",
            row_labels=["A"],
            column_labels=["X", "Y"],
            values=[[1.0, 2.0]],
            value_labels=[["1"]],
        )


# Line chart

POINTS = [("Nov 2025", 12.0), ("Dec 2025", 30.0), ("Jan 2026", 18.0), ("Feb 2026", 41.0)]


def test_line_chart_draws_a_line_and_a_dot_per_point() -> None:
    root = parse(
        line_chart(
            chart_id="trend",
            title="Responses per month",
            description="Responses rose from 12 to 41",
            points=POINTS,
            y_label="Responses",
        )
    )

    (line,) = root.iter(f"{SVG}polyline")
    assert len(line.get("points").split()) == 4
    assert line.get("fill") == "none"
    dots = list(root.iter(f"{SVG}circle"))
    assert len(dots) == 4
    assert [dot.find(f"{SVG}title").text for dot in dots][-1] == "Feb 2026: 41"
    assert [shown_text(el) for el in by_class(root, "app-chart__x-label")] == [
        label for label, _ in POINTS
    ]
    assert shown_text(by_class(root, "app-chart__y-label")[0]) == "Responses"


def test_line_chart_has_labelled_gridlines_from_zero() -> None:
    root = parse(
        line_chart(chart_id="c", title="t", description="d", points=POINTS, y_label="Responses")
    )

    ticks = [shown_text(el) for el in by_class(root, "app-chart__tick-label")]
    assert ticks == ["0", "20", "40", "60"]
    gridlines = by_class(root, "app-chart__gridline")
    assert len(gridlines) == len(ticks)
    # Higher values are drawn higher up: the dot for 41 is above the dot for 12.
    dots = list(root.iter(f"{SVG}circle"))
    assert float(dots[3].get("cy")) < float(dots[0].get("cy"))
    # and below the top gridline (60), above the 40 gridline.
    assert float(gridlines[3].get("y1")) < float(dots[3].get("cy")) < float(gridlines[2].get("y1"))


def test_line_chart_ticks_for_fractions() -> None:
    points = [("Jan 2026", 0.12), ("Feb 2026", 0.42)]
    root = parse(line_chart(chart_id="c", title="t", description="d", points=points, y_label="%"))

    ticks = [shown_text(el) for el in by_class(root, "app-chart__tick-label")]
    assert ticks == ["0.0", "0.2", "0.4", "0.6"]


def test_line_chart_thins_out_crowded_x_labels() -> None:
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    points = [
        (f"{month} {year}", float(n))
        for n, (year, month) in enumerate(
            (year, month) for year in (2025, 2026) for month in months
        )
    ]
    root = parse(line_chart(chart_id="c", title="t", description="d", points=points, y_label="n"))

    assert len(list(root.iter(f"{SVG}circle"))) == 24
    shown = [shown_text(el) for el in by_class(root, "app-chart__x-label")]
    assert 1 < len(shown) < 24
    assert shown[0] == "Jan 2025"


def test_line_chart_with_one_point_draws_a_dot_only() -> None:
    root = parse(
        line_chart(
            chart_id="c", title="t", description="d", points=[("Jan 2026", 5.0)], y_label="n"
        )
    )

    assert list(root.iter(f"{SVG}polyline")) == []
    assert len(list(root.iter(f"{SVG}circle"))) == 1


def test_line_chart_handles_negative_and_flat_values() -> None:
    flat = parse(
        line_chart(
            chart_id="c", title="t", description="d", points=[("a", 0.0), ("b", 0.0)], y_label="n"
        )
    )
    assert len(by_class(flat, "app-chart__gridline")) >= 2

    negative = parse(
        line_chart(
            chart_id="c", title="t", description="d", points=[("a", -5.0), ("b", 5.0)], y_label="n"
        )
    )
    ticks = [shown_text(el) for el in by_class(negative, "app-chart__tick-label")]
    assert ticks == ["-5", "0", "5"]


def test_line_chart_labels_are_escaped() -> None:
    markup = line_chart(
        chart_id="c",
        title="t",
        description="d",
        points=[("<script>alert(1)</script>", 1.0), ("Feb", 2.0)],
        y_label="<img src=x onerror=alert(1)>",
    )
    root = parse(markup)

    assert "<script" not in str(markup)
    assert "<img" not in str(markup)
    assert shown_text(by_class(root, "app-chart__x-label")[0]) == "<script>alert(1)</script>"
    assert shown_text(by_class(root, "app-chart__y-label")[0]) == "<img src=x onerror=alert(1)>"


def test_line_chart_rejects_values_that_are_not_finite() -> None:
    with pytest.raises(ValueError):
        line_chart(
            chart_id="c", title="t", description="d", points=[("a", float("nan"))], y_label="n"
        )


def test_empty_line_chart_says_there_is_no_data() -> None:
    root = parse(line_chart(chart_id="c", title="t", description="", points=[], y_label="n"))

    assert root.find(f"{SVG}desc").text == "There is no data to show."
    assert list(root.iter(f"{SVG}polyline")) == []
    assert list(root.iter(f"{SVG}circle")) == []


def test_text_colours_meet_wcag_aa_on_white() -> None:
    root = parse(line_chart(chart_id="c", title="t", description="d", points=POINTS, y_label="n"))
    bars = parse(horizontal_bar_chart(chart_id="c", title="t", description="d", bars=BARS))

    for chart in (root, bars):
        for text in chart.iter(f"{SVG}text"):
            assert contrast_ratio(text.get("fill"), WHITE) >= 4.5
