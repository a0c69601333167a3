"""Small reportlab charts for the PDF: points by item, a daily trend, scores by agent."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

BLUE = colors.HexColor("#4F81BD")
LIGHT = colors.HexColor("#DCE6F1")
GREY = colors.HexColor("#595959")
RED = colors.HexColor("#C0504D")


def _title(d: Drawing, text: str, font: str) -> None:
    d.add(String(0, d.height - 11, text, fontName=font, fontSize=9, fillColor=GREY))


def points_chart(labels: Sequence[str], points: Sequence[float], maxima: Sequence[float],
                 title: str, font: str, width: float = 250, height: float = 150) -> Drawing:
    """Horizontal bars: each item's points over a light bar of its maximum."""
    d = Drawing(width, height)
    _title(d, title, font)
    chart = HorizontalBarChart()
    chart.x, chart.y = 80, 18
    chart.width, chart.height = width - 95, height - 40
    rows = list(reversed(range(len(labels))))  # first item on top
    chart.data = [[maxima[i] for i in rows], [points[i] for i in rows]]
    chart.categoryAxis.categoryNames = [_short(labels[i]) for i in rows]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -3
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max([*maxima, *points, 1])
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.groupSpacing = 6
    chart.barWidth = 10
    chart.barSpacing = -10  # the points bar drawn over its maximum
    chart.bars[0].fillColor = LIGHT
    chart.bars[0].strokeColor = None
    chart.bars[1].fillColor = BLUE
    chart.bars[1].strokeColor = None
    d.add(chart)
    return d


def trend_chart(days: Sequence[str], values: Sequence[float], title: str, font: str,
                width: float = 250, height: float = 150) -> Drawing:
    """A line of one figure per day (every fifth day labelled)."""
    d = Drawing(width, height)
    _title(d, title, font)
    chart = HorizontalLineChart()
    chart.x, chart.y = 30, 18
    chart.width, chart.height = width - 40, height - 40
    chart.data = [list(values) or [0]]
    chart.categoryAxis.categoryNames = [day if i % 5 == 0 else "" for i, day in enumerate(days)]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.lines[0].strokeColor = BLUE
    chart.lines[0].strokeWidth = 1.5
    d.add(chart)
    return d


def scores_chart(names: Sequence[str], scores: Sequence[float], max_score: float,
                 pass_score: float | None, title: str, font: str, width: float = 500,
                 height: float = 160) -> Drawing:
    """Vertical bars of each agent's score (failed ones red)."""
    d = Drawing(width, height)
    _title(d, title, font)
    chart = VerticalBarChart()
    chart.x, chart.y = 35, 25
    chart.width, chart.height = width - 50, height - 45
    chart.data = [list(scores) or [0]]
    chart.categoryAxis.categoryNames = [_short(n, 8) for n in names] or [""]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max([max_score, *scores, 1])
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = BLUE
    chart.bars[0].strokeColor = None
    for i, score in enumerate(scores):
        if pass_score is not None and score < pass_score:
            chart.bars[(0, i)].fillColor = RED
    d.add(chart)
    return d


def _short(text: str, limit: int = 10) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
