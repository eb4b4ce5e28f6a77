"""Server-side SVG charts for the strategy dashboard.

Each chart is returned as inline SVG (`markupsafe.Markup`) that is safe to put
straight into a template:

* `role="img"` with `aria-labelledby` pointing at its own `<title>` and
  `<desc>`, whose ids are derived from `chart_id` so several charts can share
  a page;
* no scripts, no links, no external references and no `style` attributes
  (the Content-Security-Policy forbids them): colours, fonts and alignment are
  SVG presentation attributes;
* GOV.UK colours, with text at WCAG AA contrast (4.5:1) against its
  background;
* `viewBox` with `width="100%"` and no fixed height, so the chart scales down
  to a 320px screen.

Labels come from user-editable data and are always escaped; characters that
XML cannot hold are dropped. A chart only illustrates its data: the page must
also show the same data as a table, built from the same arguments.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence

from markupsafe import Markup

__all__ = [
    "HEATMAP_STEPS",
    "contrast_ratio",
    "heatmap",
    "heatmap_step",
    "horizontal_bar_chart",
    "line_chart",
    "sanitise_chart_id",
]

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
FONT_FAMILY = "arial, sans-serif"
FONT_SIZE = 14

TEXT_COLOUR = "#0b0c0c"
SECONDARY_TEXT_COLOUR = "#505a5f"
BLUE = "#1d70b8"
WHITE = "#ffffff"
BORDER_COLOUR = "#b1b4b6"
SUPPRESSED_FILL = "#f3f2f1"
ELLIPSIS = "…"

NO_DATA_TEXT = "There is no data to show."

_ID_JUNK = re.compile(r"[^a-z0-9-]+")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_WHITESPACE = re.compile(r"\s+")

# Rough advance widths of Arial glyphs, in ems, for fitting labels to a space.
_NARROW = frozenset("iljtfrI!|.,;:'\"()[]{} ")
_WIDE = frozenset("mwMW@%")


def _mix(colour: str, fraction: float) -> str:
    """Blend white towards `colour` (#rrggbb) by `fraction` (0: white, 1: colour)."""
    channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(255 + fraction * (channel - 255)) for channel in channels]
    return "#" + "".join(f"{channel:02x}" for channel in mixed)


def _luminance(colour: str) -> float:
    """Relative luminance of a #rrggbb colour, as defined by WCAG 2."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """Return the WCAG contrast ratio (1 to 21) between two #rrggbb colours."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _text_colour_on(fill: str) -> str:
    """Whichever of white and GOV.UK text black contrasts more with `fill`."""
    if contrast_ratio(WHITE, fill) >= contrast_ratio(TEXT_COLOUR, fill):
        return WHITE
    return TEXT_COLOUR


# Five equal steps from white to GOV.UK blue, each with the text colour that
# contrasts best with it. Only the darkest step is dark enough for white text
# at 4.5:1 (white on #5694ca, the second darkest, is only 3.2:1).
HEATMAP_STEPS: tuple[tuple[str, str], ...] = tuple(
    (fill, _text_colour_on(fill)) for fill in (_mix(BLUE, step / 4) for step in range(5))
)


def sanitise_chart_id(chart_id: str) -> str:
    """Return `chart_id` reduced to lower-case letters, digits and single hyphens.

    The result always starts with a letter ("chart-" is prefixed if needed),
    so it is a valid id in both HTML and XML.
    """
    cleaned = _ID_JUNK.sub("-", str(chart_id).lower()).strip("-")
    cleaned = re.sub(r"-{2,}", "-", cleaned)
    if not cleaned:
        return "chart"
    if not cleaned[0].isalpha():
        return f"chart-{cleaned}"
    return cleaned


def _clean(text: object) -> str:
    """Plain one-line text: no characters XML cannot hold, whitespace collapsed."""
    plain = _XML_INVALID.sub("", str(text))
    return _WHITESPACE.sub(" ", plain).strip()


def _esc(text: object) -> str:
    """Escape cleaned text for use in SVG content or a quoted attribute."""
    return html.escape(_clean(text), quote=True)


def _num(value: float) -> str:
    """A coordinate as short text: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _attrs(attributes: Mapping[str, object]) -> str:
    """Render attributes, escaping every value; numbers are shortened."""
    parts = []
    for name, value in attributes.items():
        shown = _num(value) if isinstance(value, float) else value
        parts.append(f' {name}="{_esc(shown)}"')
    return "".join(parts)


def _element(name: str, attributes: Mapping[str, object], content: str = "") -> str:
    """An element whose `content` is already-escaped markup (empty: self-closing)."""
    if not content:
        return f"<{name}{_attrs(attributes)}/>"
    return f"<{name}{_attrs(attributes)}>{content}</{name}>"


def _text_width(text: str, font_size: float = FONT_SIZE) -> float:
    """Estimate how wide `text` is when set in Arial at `font_size`."""
    ems = 0.0
    for char in text:
        if char in _NARROW:
            ems += 0.3
        elif char in _WIDE:
            ems += 0.85
        elif char.isupper() or char.isdigit():
            ems += 0.66 if char.isupper() else 0.56
        else:
            ems += 0.52
    return ems * font_size


def _fit(text: str, max_width: float, font_size: float = FONT_SIZE) -> str:
    """`text` cut short with an ellipsis so it is no wider than `max_width`."""
    if _text_width(text, font_size) <= max_width:
        return text
    end = len(text)
    while end > 0 and _text_width(text[:end].rstrip() + ELLIPSIS, font_size) > max_width:
        end -= 1
    return text[:end].rstrip() + ELLIPSIS


def _label(attributes: Mapping[str, object], text: object, max_width: float) -> str:
    """A `<text>` element holding `text`, shortened to fit `max_width`.

    A shortened label carries the full text in a `<title>` child, which
    browsers show on hover.
    """
    full = _clean(text)
    shown = _fit(full, max_width)
    content = html.escape(shown, quote=True)
    if shown != full:
        content = f"<title>{html.escape(full, quote=True)}</title>{content}"
    return _element("text", attributes, content or " ")


def _text_attrs(
    x: float, y: float, *, anchor: str = "start", fill: str = TEXT_COLOUR
) -> dict[str, object]:
    """Presentation attributes for a line of label text with its baseline at `y`."""
    return {
        "x": float(x),
        "y": float(y),
        "fill": fill,
        "font-size": FONT_SIZE,
        "text-anchor": anchor,
    }


def _svg(
    *,
    chart_id: str,
    kind: str,
    title: str,
    description: str,
    width: float,
    height: float,
    body: str,
) -> Markup:
    """Wrap a chart body in an accessible, responsive `<svg>` element."""
    cid = sanitise_chart_id(chart_id)
    title_id, desc_id = f"{cid}-title", f"{cid}-desc"
    attributes: dict[str, object] = {
        "xmlns": SVG_NAMESPACE,
        "id": cid,
        "class": f"app-chart app-chart--{kind}",
        "viewBox": f"0 0 {_num(width)} {_num(height)}",
        "width": "100%",
        "preserveAspectRatio": "xMinYMin meet",
        "role": "img",
        "aria-labelledby": f"{title_id} {desc_id}",
        "font-family": FONT_FAMILY,
    }
    content = (
        _element("title", {"id": title_id}, _esc(title) or " ")
        + _element("desc", {"id": desc_id}, _esc(description) or " ")
        + body
    )
    # Every piece of text and every attribute value above went through `_esc`.
    return Markup(_element("svg", attributes, content))  # noqa: S704


def _no_data(*, chart_id: str, kind: str, title: str, description: str, width: float) -> Markup:
    """A small chart that says there is no data, in its description and on screen."""
    full_description = f"{_clean(description)} {NO_DATA_TEXT}".strip()
    body = _element(
        "text",
        {**_text_attrs(8, 28, fill=SECONDARY_TEXT_COLOUR), "class": "app-chart__no-data"},
        html.escape(NO_DATA_TEXT),
    )
    return _svg(
        chart_id=chart_id,
        kind=kind,
        title=title,
        description=full_description,
        width=width,
        height=44,
        body=body,
    )


def _usable(value: float | None) -> float | None:
    """`value` as a float, or None when it is missing or not a finite number."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def horizontal_bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[tuple[str, float | None, str]],
    max_value: float | None = None,
    width: int = 640,
) -> Markup:
    """Render one horizontal bar per `(label, value, value_label)`, top to bottom.

    Bars are scaled to `max_value` (default: the largest value; values beyond
    it are drawn full length, negative values as empty bars). A value of None
    is suppressed (for example fewer than 5 responses): no bar is drawn and
    `value_label` is shown on its own in secondary text. Labels sit in a left
    column 40% of `width` wide; longer ones are shortened with an ellipsis
    and keep their full text in a `<title>` for hover. The height grows with
    the number of bars. With no bars, the chart says there is no data.
    """
    if width < 240:
        raise ValueError("width must be at least 240")
    if not bars:
        return _no_data(
            chart_id=chart_id,
            kind="bar",
            title=title,
            description=description,
            width=width,
        )

    values = [_usable(value) for _, value, _ in bars]
    scale = _usable(max_value)
    if scale is None or scale <= 0:
        scale = max((v for v in values if v is not None), default=0.0)
    if scale <= 0:
        scale = 1.0

    row_height, bar_height, top = 32, 20, 8
    label_column = round(width * 0.4)
    bar_x = label_column + 8
    value_room = min(72.0, max(_text_width(_clean(label)) for _, _, label in bars) + 12)
    bar_room = max(width - bar_x - value_room - 4, 1.0)
    height = top * 2 + row_height * len(bars)

    rows = []
    for index, ((label, _, value_label), value) in enumerate(zip(bars, values, strict=True)):
        row_top = top + index * row_height
        bar_top = row_top + (row_height - bar_height) / 2
        baseline = bar_top + bar_height / 2 + FONT_SIZE * 0.35
        parts = [
            _label(
                {
                    **_text_attrs(label_column - 4, baseline, anchor="end"),
                    "class": "app-chart__label",
                },
                label,
                label_column - 8,
            )
        ]
        if value is None:
            parts.append(
                _label(
                    {
                        **_text_attrs(bar_x + 6, baseline, fill=SECONDARY_TEXT_COLOUR),
                        "class": "app-chart__value app-chart__value--suppressed",
                    },
                    value_label,
                    width - bar_x - 10,
                )
            )
        else:
            length = min(max(value, 0.0) / scale, 1.0) * bar_room
            if value > 0:
                length = max(length, 1.0)
            parts.append(
                _element(
                    "rect",
                    {
                        "class": "app-chart__bar",
                        "x": float(bar_x),
                        "y": float(bar_top),
                        "width": float(length),
                        "height": float(bar_height),
                        "fill": BLUE,
                    },
                )
            )
            parts.append(
                _label(
                    {**_text_attrs(bar_x + length + 6, baseline), "class": "app-chart__value"},
                    value_label,
                    width - (bar_x + length + 6) - 2,
                )
            )
        rows.append(_element("g", {"class": "app-chart__row"}, "".join(parts)))

    axis = _element(
        "line",
        {
            "x1": float(bar_x),
            "y1": float(top),
            "x2": float(bar_x),
            "y2": float(height - top),
            "stroke": TEXT_COLOUR,
            "stroke-width": 1,
        },
    )
    return _svg(
        chart_id=chart_id,
        kind="bar",
        title=title,
        description=description,
        width=width,
        height=height,
        body="".join(rows) + axis,
    )


def heatmap_step(value: float | None, maximum: float) -> int | None:
    """Which of the five shades (0 lightest to 4 darkest) `value` gets.

    The step is the value's share of `maximum` in fifths, so only values in
    the top fifth get the darkest shade. None (suppressed) gives None.
    """
    number = _usable(value)
    if number is None:
        return None
    if maximum <= 0 or number <= 0:
        return 0
    return min(4, int(number / maximum * 5))


def heatmap(
    *,
    chart_id: str,
    title: str,
    description: str,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    values: Sequence[Sequence[float | None]],
    value_labels: Sequence[Sequence[str]],
) -> Markup:
    """Render a grid of themes (rows) by areas (columns), shaded by value.

    Each cell is shaded from white to GOV.UK blue in five steps by its value
    relative to the largest, and shows its `value_labels` text in whichever
    of white and black contrasts better with the shade. A None value is
    suppressed: a light grey cell showing its label (for example "<5").
    Column labels are rotated -45° above the grid; long row and column
    labels are shortened with the full text in a `<title>`. `values` and
    `value_labels` must have one row per row label and one entry per column
    label. With no rows or no columns, the chart says there is no data.
    """
    if len(values) != len(row_labels) or len(value_labels) != len(row_labels):
        raise ValueError("values and value_labels need one row per row label")
    for row_values, row_value_labels in zip(values, value_labels, strict=True):
        if len(row_values) != len(column_labels) or len(row_value_labels) != len(column_labels):
            raise ValueError("each row needs one value and one value label per column label")
    if not row_labels or not column_labels:
        return _no_data(
            chart_id=chart_id,
            kind="heatmap",
            title=title,
            description=description,
            width=640,
        )

    rows = [_clean(label) for label in row_labels]
    columns = [_clean(label) for label in column_labels]
    cleaned_values = [[_usable(value) for value in row] for row in values]
    maximum = max((v for row in cleaned_values for v in row if v is not None), default=0.0)

    max_row_label, max_column_label = 240.0, 160.0
    row_label_width = min(max_row_label, max(_text_width(label) for label in rows))
    column_label_width = min(max_column_label, max(_text_width(label) for label in columns))
    widest_value = max(_text_width(_clean(label)) for row in value_labels for label in row)
    cell_width = max(56.0, min(widest_value, 120.0) + 16)
    cell_height = 36.0
    diagonal = math.sqrt(0.5)

    grid_x = 8 + row_label_width + 8
    grid_y = 8 + column_label_width * diagonal + FONT_SIZE
    right_room = max(8.0, column_label_width * diagonal - cell_width / 2 + 8)
    # At least as wide as the other charts, so text is drawn at the same scale.
    width = max(640.0, grid_x + cell_width * len(columns) + right_room)
    height = grid_y + cell_height * len(rows) + 8

    header = []
    for index, label in enumerate(columns):
        x = grid_x + cell_width * (index + 0.5)
        y = grid_y - 8
        attributes = {
            **_text_attrs(x, y),
            "class": "app-chart__column-label",
            "transform": f"rotate(-45 {_num(x)} {_num(y)})",
        }
        header.append(_label(attributes, label, max_column_label))

    body = []
    for row_index, (label, row_values, row_value_labels) in enumerate(
        zip(rows, cleaned_values, value_labels, strict=True)
    ):
        y = grid_y + cell_height * row_index
        baseline = y + cell_height / 2 + FONT_SIZE * 0.35
        body.append(
            _label(
                {**_text_attrs(grid_x - 8, baseline, anchor="end"), "class": "app-chart__label"},
                label,
                max_row_label,
            )
        )
        for column_index, (column, value, value_label) in enumerate(
            zip(columns, row_values, row_value_labels, strict=True)
        ):
            x = grid_x + cell_width * column_index
            step = heatmap_step(value, maximum)
            if step is None:
                fill, text_fill, modifier = (
                    SUPPRESSED_FILL,
                    TEXT_COLOUR,
                    " app-chart__cell--suppressed",
                )
            else:
                (fill, text_fill), modifier = HEATMAP_STEPS[step], ""
            shown = _clean(value_label)
            cell = (
                _element("title", {}, _esc(f"{label}, {column}: {shown}") or " ")
                + _element(
                    "rect",
                    {
                        "x": float(x),
                        "y": float(y),
                        "width": cell_width,
                        "height": cell_height,
                        "fill": fill,
                        "stroke": BORDER_COLOUR,
                        "stroke-width": 1,
                    },
                )
                + _label(
                    {
                        **_text_attrs(
                            x + cell_width / 2, baseline, anchor="middle", fill=text_fill
                        ),
                        "class": "app-chart__cell-label",
                    },
                    shown,
                    cell_width - 8,
                )
            )
            attributes = {"class": "app-chart__cell" + modifier}
            if step is not None:
                attributes["data-step"] = str(step)
            body.append(_element("g", attributes, cell))

    return _svg(
        chart_id=chart_id,
        kind="heatmap",
        title=title,
        description=description,
        width=width,
        height=height,
        body="".join(header) + "".join(body),
    )


def _nice_step(span: float, intervals: int = 4) -> float:
    """A round tick interval (1, 2 or 5 times a power of ten) covering `span`."""
    raw = span / intervals
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1.0, 2.0, 5.0, 10.0):
        if multiple * magnitude >= raw * (1 - 1e-9):
            return multiple * magnitude
    return 10 * magnitude


def _decimals(step: float) -> int:
    """How many decimal places show every multiple of `step` exactly."""
    for places in range(7):
        if abs(round(step, places) - step) < 1e-9 * max(1.0, abs(step)):
            return places
    return 6


def _format_number(value: float, places: int) -> str:
    """`value` with thousands separators and `places` decimals; never "-0"."""
    text = f"{value:,.{places}f}"
    return text[1:] if text.startswith("-") and float(text[1:].replace(",", "")) == 0 else text


def _format_value(value: float) -> str:
    """A data value for a hover title: whole numbers plain, others to 2 places."""
    if float(value).is_integer():
        return _format_number(value, 0)
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    points: Sequence[tuple[str, float]],
    y_label: str,
) -> Markup:
    """Render a trend over time: a line through `(x_label, value)` points in order.

    Each point gets a dot (with its label and value in a `<title>` for
    hover). The y axis starts at zero (or below, for negative values) and has
    gridlines with labels at round intervals; `y_label` names it above the
    plot. When the x labels (such as "Jan 2026") would overlap, only every
    n-th is shown. Values must be finite numbers. With no points, the chart
    says there is no data.
    """
    width = 640
    if not points:
        return _no_data(
            chart_id=chart_id,
            kind="line",
            title=title,
            description=description,
            width=width,
        )
    labels = [_clean(label) for label, _ in points]
    numbers = [float(value) for _, value in points]
    if not all(math.isfinite(number) for number in numbers):
        raise ValueError("line chart values must be finite numbers")

    low, high = min(0.0, *numbers), max(0.0, *numbers)
    if high == low:
        high = low + 1
    step = _nice_step(high - low)
    places = _decimals(step)
    first_tick = math.floor(low / step + 1e-9)
    last_tick = math.ceil(high / step - 1e-9)
    ticks = [index * step for index in range(first_tick, last_tick + 1)]
    axis_low, axis_high = ticks[0], ticks[-1]
    tick_labels = [_format_number(tick, places) for tick in ticks]

    label_width = max(_text_width(label) for label in labels)
    left = max(48.0, max(_text_width(text) for text in tick_labels) + 16)
    right = max(24.0, min(label_width, 160.0) / 2 + 4)
    top, bottom = 40.0, 48.0
    height = 320.0
    plot_width = width - left - right
    plot_height = height - top - bottom
    inset = 16.0

    def y_of(value: float) -> float:
        return top + plot_height * (axis_high - value) / (axis_high - axis_low)

    if len(points) == 1:
        xs = [left + plot_width / 2]
        label_every = 1
    else:
        spacing = (plot_width - 2 * inset) / (len(points) - 1)
        xs = [left + inset + spacing * index for index in range(len(points))]
        label_every = max(1, math.ceil((min(label_width, 160.0) + 12) / spacing))

    parts = [
        _label(
            {**_text_attrs(8, 20), "class": "app-chart__y-label"},
            y_label,
            width - 16,
        )
    ]
    for tick, text in zip(ticks, tick_labels, strict=True):
        y = y_of(tick)
        parts.append(
            _element(
                "line",
                {
                    "class": "app-chart__gridline",
                    "x1": left,
                    "y1": y,
                    "x2": float(width - right),
                    "y2": y,
                    "stroke": TEXT_COLOUR if tick == 0 else BORDER_COLOUR,
                    "stroke-width": 1,
                },
            )
        )
        parts.append(
            _element(
                "text",
                {
                    **_text_attrs(left - 8, y + FONT_SIZE * 0.35, anchor="end"),
                    "fill": SECONDARY_TEXT_COLOUR,
                    "class": "app-chart__tick-label",
                },
                html.escape(text),
            )
        )
    for index, (x, label) in enumerate(zip(xs, labels, strict=True)):
        if index % label_every == 0:
            parts.append(
                _label(
                    {
                        **_text_attrs(x, height - bottom + 24, anchor="middle"),
                        "class": "app-chart__x-label",
                    },
                    label,
                    160.0,
                )
            )
    coordinates = [(x, y_of(value)) for x, value in zip(xs, numbers, strict=True)]
    if len(coordinates) > 1:
        parts.append(
            _element(
                "polyline",
                {
                    "class": "app-chart__line",
                    "points": " ".join(f"{_num(x)},{_num(y)}" for x, y in coordinates),
                    "fill": "none",
                    "stroke": BLUE,
                    "stroke-width": 3,
                    "stroke-linejoin": "round",
                    "stroke-linecap": "round",
                },
            )
        )
    for (x, y), label, value in zip(coordinates, labels, numbers, strict=True):
        parts.append(
            _element(
                "circle",
                {"class": "app-chart__point", "cx": x, "cy": y, "r": 5, "fill": BLUE},
                _element("title", {}, _esc(f"{label}: {_format_value(value)}")),
            )
        )
    return _svg(
        chart_id=chart_id,
        kind="line",
        title=title,
        description=description,
        width=width,
        height=height,
        body="".join(parts),
    )
