"""Evidence over time: cumulative Table 1 studies and patients by publication year (an SVG figure).

Drawn with matplotlib's SVG backend with fixed metadata (no date, fixed hash salt for
element ids), so the same table gives byte-identical files on any day.
"""
from __future__ import annotations

import io
from collections.abc import Sequence

SVG_METADATA = {"Date": None, "Creator": "lsr table1 (matplotlib)"}
"""Metadata written into the SVG: no creation date, a fixed creator."""
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
    import matplotlib

    matplotlib.use("svg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    with matplotlib.rc_context({"svg.hashsalt": HASH_SALT, "svg.fonttype": "none", "font.size": 10}):
        figure, axis = plt.subplots(figsize=(7, 3.6))
        try:
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
            buffer = io.StringIO()
            figure.savefig(buffer, format="svg", metadata=SVG_METADATA)
        finally:
            plt.close(figure)
    return buffer.getvalue()
