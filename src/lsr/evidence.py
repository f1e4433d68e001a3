"""Evidence over time: cumulative Table 1 studies and patients by publication year (SVG and PNG).

Drawn with matplotlib with fixed metadata (SVG: no date, fixed hash salt for element ids; PNG:
no software text chunk, nothing else), so the same table gives byte-identical files on any day.
The SVG stands beside table1.html and in the report; the PNG goes inside table1.docx.
"""
from __future__ import annotations

import io
from collections.abc import Sequence

SVG_METADATA = {"Date": None, "Creator": "lsr table1 (matplotlib)"}
"""Metadata written into the SVG: no creation date, a fixed creator."""
PNG_METADATA = {"Software": None}
"""Metadata written into the PNG: none (matplotlib would name its version)."""
PNG_DPI = 200
"""Resolution of the PNG: sharp when printed at its size (7 x 3.6 inches)."""
CAPTION = "Evidence over time: cumulative studies and patients in Table 1 by year of publication."
"""The figure's caption wherever it is shown (table1.html, table1.docx)."""
DESCRIPTION = "Cumulative studies and patients in Table 1 by publication year"
"""The figure's text alternative (alt text)."""
HASH_SALT = "lsr-evidence-over-time"
"""Seed of matplotlib's SVG element ids (svg.hashsalt): fixed, so ids do not change between runs."""


def cumulative_by_year(points: Sequence[tuple[int | None, int | None]]) -> list[tuple[int, int, int]]:
    """(year, studies so far, patients so far) for each publication year of (year, patients) pairs.

    Studies without a year are left out (they cannot be placed in time); a study that does not
    report its patient count adds a study and no patients.
    """
    per_year: dict[int, tuple[int, int]] = {}
    for year, patients in points:
        if year is None:
            continue
        studies_in_year, patients_in_year = per_year.get(year, (0, 0))
        per_year[year] = (studies_in_year + 1, patients_in_year + (patients or 0))
    rows, studies, patients = [], 0, 0
    for year in sorted(per_year):
        studies += per_year[year][0]
        patients += per_year[year][1]
        rows.append((year, studies, patients))
    return rows


def figure_svg(rows: Sequence[tuple[int, int, int]], title: str) -> str:
    """The step chart of `rows` (from cumulative_by_year) as SVG text."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    buffer = io.BytesIO()
    _draw(rows, title, FigureCanvasSVG, buffer, format="svg", metadata=SVG_METADATA)
    return buffer.getvalue().decode("utf-8")


def figure_png(rows: Sequence[tuple[int, int, int]], title: str) -> bytes:
    """The same chart as a PNG image (PNG_DPI), for formats that cannot hold SVG (Word)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    _draw(rows, title, FigureCanvasAgg, buffer, format="png", metadata=PNG_METADATA, dpi=PNG_DPI)
    return buffer.getvalue()


def _draw(rows: Sequence[tuple[int, int, int]], title: str, canvas, target: io.BytesIO, **savefig) -> None:
    """Draw the step chart of `rows` on a figure of `canvas` (a canvas class, whose text metrics set
    the layout) and save it into `target` with `savefig` (format, metadata...). No pyplot: no global state."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    with matplotlib.rc_context({"svg.hashsalt": HASH_SALT, "svg.fonttype": "none", "font.size": 10}):
        figure = Figure(figsize=(7, 3.6))
        canvas(figure)
        axis = figure.subplots()
        if rows:
            years = [row[0] for row in rows]
            axis.step(years, [row[2] for row in rows], where="post", color="#0b5394", linewidth=2,
                      label="Patients")
            axis.step(years, [row[1] for row in rows], where="post", color="#b45f06", linewidth=2,
                      label="Studies")
            axis.plot(years, [row[2] for row in rows], "o", color="#0b5394", markersize=4)
            axis.plot(years, [row[1] for row in rows], "s", color="#b45f06", markersize=4)
            axis.set_xlim(years[0] - 1, years[-1] + 1)
            axis.legend(loc="upper left", frameon=False)
        else:
            axis.text(0.5, 0.5, "No study in Table 1 yet", ha="center", va="center", transform=axis.transAxes)
        axis.set_xlabel("Year of publication")
        axis.set_ylabel("Cumulative number")
        axis.set_title(title, fontsize=11, loc="left")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.yaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_ylim(bottom=0)
        axis.grid(axis="y", color="#d0d7de", linewidth=0.6)
        axis.spines[["top", "right"]].set_visible(False)
        figure.tight_layout()
        figure.savefig(target, **savefig)
