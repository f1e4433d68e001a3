"""PRISMA stage: the PRISMA 2020 flow counts (results/prisma.json) and diagram (results/prisma.svg).

The layout follows the PRISMA 2020 flow diagram for new systematic reviews which included
searches of databases, registers and other sources: one column for the databases (PubMed),
one for other methods (the RIS records of other sources). Records are screened on title and
abstract; the records included there are the reports sought for retrieval, and the reviewers'
full-text decisions (the `full_text` column of screening.tsv) give the reports not retrieved,
assessed, excluded with reasons (the eligibility file's full_text_exclusion_reasons) and the
studies included.

prisma.json (keys in this fixed order, 2-space indent, UTF-8):

    diagram          the PRISMA 2020 template followed (text)
    screening        how records were screened (text)
    databases        column counts for records from databases (source PubMed)
    other_methods    column counts for records from other sources (source other)
    overall          the two columns added up
    included_in_review  {"studies": n, "reports": n}
    reports          (with the full-text stage's availability table) {"sought": n, "not_retrieved": n}:
                     the records included at title/abstract, and those of them for which the pipeline
                     found no full text (no PMCID and no supplied paper, or PMC did not give it); a
                     help for the reviewers, whose full-text decisions give the diagram's boxes

and every column holds:

    identified       {"total": n, "by_source": {name: n}}  (database name; for other methods the
                     name the config gives the RIS file, else its file name; column name for overall)
    duplicates_removed  n   duplicate records removed before screening
    screened         n   rows of screening.tsv
    excluded         {"total": n, "by_reason": {reason: n}}  every exclusion reason of the
                     vocabulary, in its order, then "reason not recorded"
    awaiting_review  {"total": n, "conflicts": n, "not_yet_reviewed": n}  decision needs_review,
                     split by whether reviewers disagree
    reports_sought   n   decision include (title/abstract): sought for retrieval
    reports_not_retrieved  n   full_text not_retrieved
    reports_assessed n   the reports sought that were retrieved
    reports_excluded {"total": n, "by_reason": {reason: n}}  full_text exclude, every full-text
                     exclusion reason in its order, then "reason not recorded"
    reports_awaiting {"total": n, "conflicts": n, "not_yet_assessed": n}  no full-text decision
                     yet, or reviewers who disagree
    included         n   full_text include: the studies of Table 1

`check_flow` raises FlowCountError unless, in every column, identified - duplicates_removed =
screened, screened = excluded + awaiting_review + reports_sought, reports_sought =
reports_not_retrieved + reports_assessed, reports_assessed = reports_excluded + reports_awaiting
+ included, the reasons add up, and overall is the sum of the columns; both outputs are written
only after it passed.
"""
from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from xml.sax.saxutils import escape, quoteattr

from .tsv import InputError, atomic_write_text, iter_tsv, read_yaml

DATABASES, OTHER_METHODS, OVERALL = "databases", "other_methods", "overall"
COLUMNS = (DATABASES, OTHER_METHODS)
SOURCE_COLUMN = {"PubMed": DATABASES, "other": OTHER_METHODS}
"""The `source` value of unique_records.tsv -> the diagram column its records belong to."""

NOT_RECORDED = "reason not recorded"
DECISIONS = ("include", "exclude", "needs_review")

DIAGRAM = ("PRISMA 2020 flow diagram for new systematic reviews which included searches of "
           "databases, registers and other sources")
SCREENING = ("title and abstract, then the reports of the records included there assessed in full text "
             "by reviewers; only studies a reviewer included at full text are in the review")
FULL_TEXT_STATES = ("awaiting", "conflict", "include", "exclude", "not_retrieved")

DEFAULT_PATHS = {
    "records": "results/records.tsv",
    "other_records": "results/other_records.tsv",
    "duplicates": "results/duplicates.tsv",
    "unique_records": "results/unique_records.tsv",
    "screening": "results/screening.tsv",
}
"""Input name -> file, used to name the file in errors; the CLI passes the real paths."""


class FlowCountError(ValueError):
    """The flow counts do not add up (the inputs disagree with each other)."""


# ---------------------------------------------------------------------------------------------
# Counting


COUNTS = ("duplicates_removed", "screened", "reports_sought", "reports_not_retrieved", "reports_assessed",
          "included")
GROUPS = {"awaiting_review": ("total", "conflicts", "not_yet_reviewed"),
          "reports_awaiting": ("total", "conflicts", "not_yet_assessed")}


def _ending(row: Mapping[str, str], where: tuple, exclusion_reasons: Sequence[str],
            full_text_reasons: Sequence[str]) -> tuple[str, str]:
    """Where a screened record ends in its column of the flow: (box, line), the line being the
    reason or the kind of wait ('' for a box of one line); InputError (at `where`) on a value
    outside the contracts."""
    decision, conflict, reason = row["decision"], row["conflict"], row["exclusion_reason"]
    if decision not in DECISIONS:
        raise InputError(*where, "decision", f"'{decision}'; expected one of {', '.join(DECISIONS)}")
    if conflict not in ("yes", "no"):
        raise InputError(*where, "conflict", f"'{conflict}'; expected yes or no")
    if decision == "needs_review":
        return "awaiting_review", "conflicts" if conflict == "yes" else "not_yet_reviewed"
    if decision == "exclude":
        if reason and reason not in exclusion_reasons:
            raise InputError(*where, "exclusion_reason", f"'{reason}'; expected one of {', '.join(exclusion_reasons)}")
        return "excluded", reason or NOT_RECORDED
    # Included at title/abstract: its report, sought for retrieval, by full-text state.
    state, reason = row.get("full_text", ""), row.get("full_text_reason", "")
    if state not in FULL_TEXT_STATES:
        raise InputError(*where, "full_text", f"'{state}' for a record included at title/abstract; expected "
                                              f"one of {', '.join(FULL_TEXT_STATES)}")
    if state == "exclude":
        if reason and reason not in full_text_reasons:
            raise InputError(*where, "full_text_reason", f"'{reason}'; expected one of {', '.join(full_text_reasons)}")
        return "reports_excluded", reason or NOT_RECORDED
    if state in ("awaiting", "conflict"):
        return "reports_awaiting", "conflicts" if state == "conflict" else "not_yet_assessed"
    return ("included" if state == "include" else "reports_not_retrieved"), ""


def _endings(exclusion_reasons: Sequence[str], full_text_reasons: Sequence[str]) -> list[tuple[str, str]]:
    """Every (box, line) where a screened record can end, in prisma.json's order (each once)."""
    return list(dict.fromkeys([*(("excluded", reason) for reason in (*exclusion_reasons, NOT_RECORDED)),
            ("awaiting_review", "conflicts"), ("awaiting_review", "not_yet_reviewed"), ("reports_not_retrieved", ""),
            *(("reports_excluded", reason) for reason in (*full_text_reasons, NOT_RECORDED)),
            ("reports_awaiting", "conflicts"), ("reports_awaiting", "not_yet_assessed"), ("included", "")]))


def _column(ended, by_source: Mapping[str, int], duplicates_removed: int) -> dict:
    """A column of the flow: its records identified `by_source`, duplicates removed, and how many of
    its screened records `ended` in each (box, line) of _endings (a pandas Series)."""
    def lines(box: str) -> dict[str, int]:
        return {line: int(count) for line, count in ended.loc[box].items()}

    def total(box: str) -> int:
        return sum(lines(box).values())

    sought = sum(total(box) for box in ("reports_not_retrieved", "reports_excluded", "reports_awaiting", "included"))
    return {
        "identified": {"total": sum(by_source.values()), "by_source": dict(by_source)},
        "duplicates_removed": duplicates_removed,
        "screened": int(ended.sum()),
        "excluded": {"total": total("excluded"), "by_reason": lines("excluded")},
        "awaiting_review": {"total": total("awaiting_review"), **lines("awaiting_review")},
        "reports_sought": sought,
        "reports_not_retrieved": total("reports_not_retrieved"),
        "reports_assessed": sought - total("reports_not_retrieved"),
        "reports_excluded": {"total": total("reports_excluded"), "by_reason": lines("reports_excluded")},
        "reports_awaiting": {"total": total("reports_awaiting"), **lines("reports_awaiting")},
        "included": total("included"),
    }


def count_flow(
    records: Iterable[Mapping[str, str]],
    other_records: Iterable[Mapping[str, str]],
    duplicates: Iterable[Mapping[str, str]],
    unique_records: Iterable[Mapping[str, str]],
    screening: Iterable[Mapping[str, str]],
    exclusion_reasons: Sequence[str],
    paths: Mapping[str, str] = DEFAULT_PATHS,
    full_text_reasons: Sequence[str] | None = None,
    availability: Iterable[Mapping[str, str]] | None = None,
    source_names: Mapping[str, str] | None = None,
) -> dict:
    """The PRISMA flow (layout in the module docstring) from the rows of the five stage tables.

    `source_names` maps a RIS file name (other_records' source_file) to the name readers see.

    records: PubMed records (one per PMID); other_records: every RIS record read (record_id,
    source_file); duplicates: removed records (record_id); unique_records: record_id, source;
    screening: record_id, decision, conflict, exclusion_reason (one of `exclusion_reasons`, the
    eligibility file's list), full_text (FULL_TEXT_STATES, for the records included) and
    full_text_reason (one of `full_text_reasons`, default `exclusion_reasons`). Values outside
    the contracts raise InputError naming the file (from `paths`), line and field.
    The rows stream past, checked one by one; what stays is record ids and how many screened
    records end in each box and line of the diagram, tabulated by column (pandas).
    """
    import pandas as pd  # ~0.3 s to import: loaded when the flow is counted, not when `lsr` starts

    full_text_reasons = full_text_reasons or exclusion_reasons
    other_ids = set()
    by_file: dict[str, int] = {}
    for row in other_records:
        other_ids.add(row["record_id"])
        name = (source_names or {}).get(row["source_file"], row["source_file"]) or "unnamed source"
        by_file[name] = by_file.get(name, 0) + 1
    by_source = {DATABASES: {"PubMed": sum(1 for _ in records)}, OTHER_METHODS: dict(sorted(by_file.items()))}

    removed = {DATABASES: 0, OTHER_METHODS: 0}
    for row in duplicates:
        record_id = row["record_id"]
        if record_id.startswith("pmid:"):
            removed[DATABASES] += 1
        elif record_id in other_ids:
            removed[OTHER_METHODS] += 1
        else:
            raise InputError(paths["duplicates"], row.get("_line"), "record_id",
                             f"'{record_id}' is neither a PubMed record (pmid:...) nor a record of "
                             f"{paths['other_records']}")

    source_of: dict[str, str] = {}
    for row in unique_records:
        if row["source"] not in SOURCE_COLUMN:
            raise InputError(paths["unique_records"], row.get("_line"), "source",
                             f"'{row['source']}'; expected one of {', '.join(SOURCE_COLUMN)}")
        source_of[row["record_id"]] = SOURCE_COLUMN[row["source"]]

    screened_ids, sought, ended = set(), set(), Counter()
    for row in screening:
        where = (paths["screening"], row.get("_line"))
        record_id = row["record_id"]
        if record_id not in source_of:
            raise InputError(*where, "record_id", f"'{record_id}' is not in {paths['unique_records']}")
        if record_id in screened_ids:
            raise InputError(*where, "record_id", f"'{record_id}' is screened twice")
        screened_ids.add(record_id)
        ended[source_of[record_id], *_ending(row, where, exclusion_reasons, full_text_reasons)] += 1
        if row["decision"] == "include":
            sought.add(record_id)

    unscreened = sorted(set(source_of) - screened_ids)
    if unscreened:
        raise InputError(paths["screening"], None, "record_id",
                         f"{len(unscreened)} record(s) of {paths['unique_records']} not screened, "
                         f"e.g. '{unscreened[0]}'")

    # Records by (box, line) and column: every box and line of the diagram, in prisma.json's order.
    layout = pd.MultiIndex.from_tuples(_endings(exclusion_reasons, full_text_reasons))
    ended = (pd.DataFrame([(*ending, records) for ending, records in ended.items()],
                          columns=["column", "box", "line", "records"])
             .pivot_table(index=["box", "line"], columns="column", values="records", aggfunc="sum", fill_value=0)
             .reindex(index=layout, columns=COLUMNS, fill_value=0))
    ended[OVERALL] = ended.sum(axis=1)
    flow = {
        "diagram": DIAGRAM,
        "screening": SCREENING,
        DATABASES: _column(ended[DATABASES], by_source[DATABASES], removed[DATABASES]),
        OTHER_METHODS: _column(ended[OTHER_METHODS], by_source[OTHER_METHODS], removed[OTHER_METHODS]),
        OVERALL: _column(ended[OVERALL], {name: sum(by_source[name].values()) for name in COLUMNS},
                         sum(removed.values())),
    }
    # One report per included record: reports of one study are merged as duplicates upstream.
    included = flow[OVERALL]["included"]
    flow["included_in_review"] = {"studies": included, "reports": included}
    if availability is not None:
        flow["reports"] = count_reports(availability, sought, paths.get("availability", "availability"))
    return flow


def count_reports(availability: Iterable[Mapping[str, str]], sought: set[str], path: str) -> dict:
    """Reports sought (one per record included at title/abstract: the ids `sought`) and not retrieved,
    from the full-text stage's availability table (record_id, full_text yes/no): one row per record sought."""
    listed = {}
    for row in availability:
        if row["record_id"] not in sought or row["record_id"] in listed:
            raise InputError(path, row.get("_line"), "record_id", f"'{row['record_id']}' is not one row per "
                                                                  "record included at title/abstract")
        if row["full_text"] not in ("yes", "no"):
            raise InputError(path, row.get("_line"), "full_text", f"'{row['full_text']}'; expected yes or no")
        listed[row["record_id"]] = row["full_text"]
    if set(listed) != sought:
        raise InputError(path, None, "record_id", f"{len(sought - set(listed))} included record(s) missing, "
                                                  f"e.g. '{sorted(sought - set(listed))[0]}'")
    return {"sought": len(sought), "not_retrieved": sum(value == "no" for value in listed.values())}


def check_flow(flow: Mapping) -> None:
    """Raise FlowCountError, listing every equation that fails, unless the counts add up."""
    problems = []

    def expect(label: str, left: int, right: int) -> None:
        if left != right:
            problems.append(f"{label}: {left} != {right}")

    for name in (*COLUMNS, OVERALL):
        column = flow[name]
        identified, excluded, awaiting = column["identified"], column["excluded"], column["awaiting_review"]
        reports_excluded, reports_awaiting = column["reports_excluded"], column["reports_awaiting"]
        counts = [identified["total"], *(column[key] for key in COUNTS),
                  excluded["total"], *awaiting.values(), reports_excluded["total"], *reports_awaiting.values(),
                  *identified["by_source"].values(), *excluded["by_reason"].values(),
                  *reports_excluded["by_reason"].values()]
        if any(not isinstance(count, int) or count < 0 for count in counts):
            problems.append(f"{name}: every count must be a whole number >= 0")
            continue
        expect(f"{name}: identified = sum over sources", identified["total"], sum(identified["by_source"].values()))
        expect(f"{name}: identified - duplicates removed = screened",
               identified["total"] - column["duplicates_removed"], column["screened"])
        expect(f"{name}: screened = excluded + awaiting review + reports sought", column["screened"],
               excluded["total"] + awaiting["total"] + column["reports_sought"])
        expect(f"{name}: reports sought = not retrieved + assessed", column["reports_sought"],
               column["reports_not_retrieved"] + column["reports_assessed"])
        expect(f"{name}: reports assessed = excluded + awaiting + included", column["reports_assessed"],
               reports_excluded["total"] + reports_awaiting["total"] + column["included"])
        expect(f"{name}: excluded = sum over reasons", excluded["total"], sum(excluded["by_reason"].values()))
        expect(f"{name}: reports excluded = sum over reasons", reports_excluded["total"],
               sum(reports_excluded["by_reason"].values()))
        expect(f"{name}: awaiting review = conflicts + not yet reviewed", awaiting["total"],
               awaiting["conflicts"] + awaiting["not_yet_reviewed"])
        expect(f"{name}: reports awaiting = conflicts + not yet assessed", reports_awaiting["total"],
               reports_awaiting["conflicts"] + reports_awaiting["not_yet_assessed"])
    if not problems:
        for key in COUNTS:
            expect(f"overall {key} = sum over columns", flow[OVERALL][key],
                   sum(flow[name][key] for name in COLUMNS))
        for group, keys in (("identified", ("total",)), ("excluded", ("total",)),
                            ("reports_excluded", ("total",)), *GROUPS.items()):
            for key in keys:
                expect(f"overall {group} {key} = sum over columns", flow[OVERALL][group][key],
                       sum(flow[name][group][key] for name in COLUMNS))
        for group in ("excluded", "reports_excluded"):
            for reason, count in flow[OVERALL][group]["by_reason"].items():
                expect(f"overall {group} '{reason}' = sum over columns", count,
                       sum(flow[name][group]["by_reason"].get(reason, 0) for name in COLUMNS))
        expect("reports of included studies = overall included",
               flow["included_in_review"]["reports"], flow[OVERALL]["included"])
        if flow["included_in_review"]["studies"] > flow["included_in_review"]["reports"]:
            problems.append("included studies outnumber their reports")
        if "reports" in flow:
            expect("reports sought = overall reports sought", flow["reports"]["sought"], flow[OVERALL]["reports_sought"])
            if not 0 <= flow["reports"]["not_retrieved"] <= flow["reports"]["sought"]:
                problems.append("reports not retrieved must be between 0 and the reports sought")
    if problems:
        raise FlowCountError("PRISMA counts do not add up: " + "; ".join(problems))


def flow_json(flow: Mapping) -> str:
    """prisma.json text: the flow's fixed key order, 2-space indent, trailing newline."""
    return json.dumps(flow, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------
# Diagram

FONT_FAMILY = "Arial, Helvetica, 'Liberation Sans', sans-serif"
FONT_SIZE = 13
LINE_HEIGHT = 18
PADDING = 10
INDENT = 14
# Helvetica/Arial advance widths (1/1000 em) of printable ASCII, from space to '~', to wrap text
# without a font engine; other characters count as 600. Bold is ~10% wider.
_WIDTHS = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
]
# Headroom for renderers that fall back to a wider sans-serif (DejaVu Sans is up to ~18% wider).
_SAFETY = 1.2
_WORD = re.compile(r"\(n = \d+\)\S*|\S+")

PHASE_FILL = "#a9cce3"
DATABASES_FILL = "#ffd966"
OTHER_METHODS_FILL = "#d9d9d9"


def text_width(text: str, size: float = FONT_SIZE, bold: bool = False) -> float:
    """Estimated rendered width in px of `text` in Helvetica/Arial at `size` px."""
    units = sum(_WIDTHS[ord(c) - 32] if 32 <= ord(c) <= 126 else 600 for c in text)
    return units * size / 1000 * (1.1 if bold else 1.0) * _SAFETY


def wrap(text: str, width: float, size: float = FONT_SIZE, bold: bool = False) -> list[str]:
    """Greedy word wrap of `text` into lines no wider than `width` px.

    A count "(n = 12)" stays on one line; a word longer than a line is split.
    """
    lines: list[str] = []
    current = ""
    for word in _WORD.findall(text):
        while text_width(word, size, bold) > width:
            cut = max([i for i in range(1, len(word)) if text_width(word[:i], size, bold) <= width], default=1)
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{current} {word}" if current else word
        if current and text_width(candidate, size, bold) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines or [""]


@dataclass(frozen=True)
class Line:
    text: str
    indent: int = 0
    bold: bool = False


@dataclass
class Box:
    x: float
    width: float
    paragraphs: list[Line]
    fill: str = "#ffffff"
    centered: bool = False
    y: float = 0.0
    height: float = 0.0

    def lines(self) -> list[Line]:
        """The paragraphs wrapped to the box width; continuation lines keep the indent."""
        wrapped = []
        for paragraph in self.paragraphs:
            room = self.width - 2 * PADDING - paragraph.indent * INDENT
            for text in wrap(paragraph.text, room, bold=paragraph.bold):
                wrapped.append(Line(text, paragraph.indent, paragraph.bold))
        return wrapped

    def content_height(self) -> float:
        return 2 * PADDING + LINE_HEIGHT * len(self.lines())

    @property
    def bottom(self) -> float:
        return self.y + self.height

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def center_x(self) -> float:
        return self.x + self.width / 2

    @property
    def center_y(self) -> float:
        return self.y + self.height / 2


def _n(count: int) -> str:
    return f"(n = {count})"


def _px(value: float) -> str:
    """A coordinate in fixed notation (deterministic, no float noise)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text_element(x: float, y: float, text: str, *, size: float = FONT_SIZE, bold: bool = False,
                  anchor: str = "start", transform: str = "") -> str:
    attributes = [f'x="{_px(x)}"', f'y="{_px(y)}"']
    if anchor != "start":
        attributes.append(f'text-anchor="{anchor}"')
    if size != FONT_SIZE:
        attributes.append(f'font-size="{_px(size)}"')
    if bold:
        attributes.append('font-weight="bold"')
    if transform:
        attributes.append(f'transform="{transform}"')
    return f"<text {' '.join(attributes)}>{escape(text)}</text>"


def _box_elements(box: Box) -> list[str]:
    parts = [f'<rect x="{_px(box.x)}" y="{_px(box.y)}" width="{_px(box.width)}" height="{_px(box.height)}" '
             f'fill="{box.fill}" stroke="#000000" stroke-width="1.2"/>']
    lines = box.lines()
    top = box.y + (box.height - LINE_HEIGHT * len(lines)) / 2
    for i, line in enumerate(lines):
        baseline = top + i * LINE_HEIGHT + LINE_HEIGHT * 0.75
        if box.centered:
            parts.append(_text_element(box.center_x, baseline, line.text, bold=line.bold, anchor="middle"))
        else:
            parts.append(_text_element(box.x + PADDING + line.indent * INDENT, baseline, line.text, bold=line.bold))
    return parts


def _arrow(points: Sequence[tuple[float, float]]) -> str:
    if len(points) == 2:
        (x1, y1), (x2, y2) = points
        return (f'<line x1="{_px(x1)}" y1="{_px(y1)}" x2="{_px(x2)}" y2="{_px(y2)}" stroke="#000000" '
                f'stroke-width="1.5" marker-end="url(#arrowhead)"/>')
    coordinates = " ".join(f"{_px(x)},{_px(y)}" for x, y in points)
    return (f'<polyline points="{coordinates}" fill="none" stroke="#000000" stroke-width="1.5" '
            f'marker-end="url(#arrowhead)"/>')


def _source_label(path: str, all_paths: Sequence[str]) -> str:
    """A RIS file's name, or its whole path when two files share the name."""
    name = PurePosixPath(path.replace("\\", "/")).name
    same = [p for p in all_paths if PurePosixPath(p.replace("\\", "/")).name == name]
    return name if len(same) == 1 else path


def _column_boxes(flow: Mapping, name: str, main_x: float, side_x: float,
                  main_width: float, side_width: float) -> dict[str, Box]:
    column = flow[name]
    identified = column["identified"]
    if name == DATABASES:
        found = [Line(f"Records identified from databases {_n(identified['total'])}:")]
        found += [Line(f"{source} {_n(count)}", 1) for source, count in identified["by_source"].items()]
    else:
        found = [Line(f"Records identified from other sources {_n(identified['total'])}:")]
        sources = list(identified["by_source"])
        found += [Line(f"{_source_label(source, sources)} {_n(count)}", 1)
                  for source, count in identified["by_source"].items()]
    excluded = column["excluded"]
    reasons = [Line(f"{reason} {_n(count)}", 1) for reason, count in excluded["by_reason"].items() if count]
    awaiting = column["awaiting_review"]
    reports_excluded, reports_awaiting = column["reports_excluded"], column["reports_awaiting"]
    report_reasons = [Line(f"{reason} {_n(count)}", 1) for reason, count in reports_excluded["by_reason"].items()
                      if count]
    return {
        "identified": Box(main_x, main_width, found),
        "removed": Box(side_x, side_width, [
            Line("Records removed before screening:"),
            Line(f"Duplicate records {_n(column['duplicates_removed'])}", 1),
        ]),
        "screened": Box(main_x, main_width, [Line(f"Records screened (title and abstract) {_n(column['screened'])}")]),
        "excluded": Box(side_x, side_width, [Line(f"Records excluded {_n(excluded['total'])}")]
                        + ([Line("Reasons:")] + reasons if reasons else [])),
        "awaiting": Box(side_x, side_width, [
            Line(f"Records awaiting review {_n(awaiting['total'])}"),
            Line(f"Reviewer conflicts {_n(awaiting['conflicts'])}", 1),
            Line(f"Not yet reviewed {_n(awaiting['not_yet_reviewed'])}", 1),
        ]),
        "sought": Box(main_x, main_width, [Line(f"Reports sought for retrieval {_n(column['reports_sought'])}")]),
        "not_retrieved": Box(side_x, side_width,
                             [Line(f"Reports not retrieved {_n(column['reports_not_retrieved'])}")]),
        "assessed": Box(main_x, main_width,
                        [Line(f"Reports assessed for eligibility (full text) {_n(column['reports_assessed'])}")]),
        "reports_excluded": Box(side_x, side_width, [Line(f"Reports excluded {_n(reports_excluded['total'])}")]
                                + ([Line("Reasons:")] + report_reasons if report_reasons else [])),
        "reports_awaiting": Box(side_x, side_width, [
            Line(f"Reports awaiting a full-text decision {_n(reports_awaiting['total'])}"),
            Line(f"Reviewer conflicts {_n(reports_awaiting['conflicts'])}", 1),
            Line(f"Not yet assessed {_n(reports_awaiting['not_yet_assessed'])}", 1),
        ]),
    }


def flow_svg(flow: Mapping) -> str:
    """The PRISMA 2020 flow diagram as SVG text: same flow, same bytes."""
    margin, phase_width, gap_phase = 20, 34, 18
    main_width, side_width, gap_side, gap_columns = 270, 270, 46, 46
    gap_rows, gap_arrow = 22, 44
    left_main = margin + phase_width + gap_phase
    left_side = left_main + main_width + gap_side
    right_main = left_side + side_width + gap_columns
    right_side = right_main + main_width + gap_side
    width = right_side + side_width + margin

    left = _column_boxes(flow, DATABASES, left_main, left_side, main_width, side_width)
    right = _column_boxes(flow, OTHER_METHODS, right_main, right_side, main_width, side_width)
    headers = [
        Box(left_main, left_side + side_width - left_main,
            [Line("Identification of studies via databases and registers", bold=True)],
            fill=DATABASES_FILL, centered=True),
        Box(right_main, right_side + side_width - right_main,
            [Line("Identification of studies via other methods", bold=True)],
            fill=OTHER_METHODS_FILL, centered=True),
    ]
    included_in_review = flow["included_in_review"]
    included = Box(left_main, main_width, [
        Line(f"Studies included in review {_n(included_in_review['studies'])}"),
        Line(f"Reports of included studies {_n(included_in_review['reports'])}"),
        Line(f"from databases {_n(flow[DATABASES]['included'])}", 1),
        Line(f"from other methods {_n(flow[OTHER_METHODS]['included'])}", 1),
    ])

    # Rows top to bottom. Header banners share their row's height; other boxes keep their own,
    # centred on the row, so the arrows between a row's boxes stay horizontal.
    rows = [headers, [left["identified"], left["removed"], right["identified"], right["removed"]],
            [left["screened"], left["excluded"], right["screened"], right["excluded"]],
            [left["awaiting"], right["awaiting"]],
            [left["sought"], left["not_retrieved"], right["sought"], right["not_retrieved"]],
            [left["assessed"], left["reports_excluded"], right["assessed"], right["reports_excluded"]],
            [left["reports_awaiting"], right["reports_awaiting"]], [included]]
    gaps_after = [gap_rows, gap_arrow, gap_rows, gap_arrow, gap_arrow, gap_rows, gap_arrow, 0]
    heights = [max(box.content_height() for box in row) for row in rows]
    phases = [("Identification", 1, 1), ("Screening", 2, 6), ("Included", 7, 7)]
    for label, first, last in phases:
        span = sum(heights[first:last + 1]) + sum(gaps_after[first:last])
        heights[last] += max(0.0, text_width(label, bold=True) + 2 * PADDING - span)
    tops = []
    y = margin
    for index, row in enumerate(rows):
        tops.append(y)
        for box in row:
            box.height = heights[index] if index == 0 else box.content_height()
            box.y = y + (heights[index] - box.height) / 2
        y += heights[index] + gaps_after[index]

    footnote_width = width - 2 * margin
    footnote = wrap(
        "Records were screened on title and abstract; the reports of the records included there were sought "
        "and assessed in full text by reviewers, and only studies a reviewer included at full text are in the "
        "review (Table 1). Records and reports awaiting a decision, including unresolved conflicts between "
        "reviewers, are waiting for a human reviewer. Adapted from the PRISMA 2020 flow diagram (Page MJ et al. "
        "BMJ 2021;372:n71).", footnote_width, size=12)
    footnote_top = y + 26
    height = footnote_top + len(footnote) * 16 + margin

    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_px(width)}" height="{_px(height)}" '
        f'viewBox="0 0 {_px(width)} {_px(height)}" font-family={quoteattr(FONT_FAMILY)} '
        f'font-size="{FONT_SIZE}" fill="#000000">',
        "<title>PRISMA 2020 flow diagram</title>",
        f"<desc>{escape(DIAGRAM)}. Screening: {escape(SCREENING)}.</desc>",
        "<defs>",
        '<marker id="arrowhead" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" '
        'orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="#000000"/></marker>',
        "</defs>",
        f'<rect x="0" y="0" width="{_px(width)}" height="{_px(height)}" fill="#ffffff"/>',
    ]
    for label, first, last in phases:
        top, bottom = tops[first], tops[last] + heights[last]
        center_x, center_y = margin + phase_width / 2, (top + bottom) / 2
        out.append(f'<rect x="{_px(margin)}" y="{_px(top)}" width="{phase_width}" height="{_px(bottom - top)}" '
                   f'rx="8" ry="8" fill="{PHASE_FILL}" stroke="#000000" stroke-width="1.2"/>')
        out.append(_text_element(center_x, center_y + FONT_SIZE * 0.35, label, bold=True, anchor="middle",
                                 transform=f"rotate(-90 {_px(center_x)} {_px(center_y)})"))
    for row in rows:
        for box in row:
            out.extend(_box_elements(box))

    for boxes in (left, right):
        out.append(_arrow([(boxes["identified"].right, boxes["identified"].center_y),
                           (boxes["removed"].x, boxes["removed"].center_y)]))
        out.append(_arrow([(boxes["identified"].center_x, boxes["identified"].bottom),
                           (boxes["screened"].center_x, boxes["screened"].y)]))
        for main, side in (("screened", "excluded"), ("sought", "not_retrieved"), ("assessed", "reports_excluded")):
            out.append(_arrow([(boxes[main].right, boxes[main].center_y), (boxes[side].x, boxes[side].center_y)]))
        # The records go on down a trunk; those awaiting a decision branch off it.
        trunk_x = boxes["screened"].center_x
        for upper, lower in (("screened", "sought"), ("sought", "assessed")):
            out.append(_arrow([(trunk_x, boxes[upper].bottom), (trunk_x, boxes[lower].y)]))
        for side in ("awaiting", "reports_awaiting"):
            out.append(_arrow([(trunk_x, boxes[side].center_y), (boxes[side].x, boxes[side].center_y)]))
    out.append(_arrow([(left["assessed"].center_x, left["assessed"].bottom), (included.center_x, included.y)]))
    out.append(_arrow([(right["assessed"].center_x, right["assessed"].bottom),
                       (right["assessed"].center_x, included.center_y), (included.right, included.center_y)]))

    for i, line in enumerate(footnote):
        out.append(_text_element(margin, footnote_top + i * 16 + 12, line, size=12))
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# Files and command line


def read_flow(paths: Mapping[str, str | os.PathLike], exclusion_reasons: Sequence[str],
              full_text_reasons: Sequence[str] | None = None,
              source_names: Mapping[str, str] | None = None) -> dict:
    """Read the five stage tables named in `paths` (keys of DEFAULT_PATHS) and count the flow.

    The tables stream through (records.tsv and unique_records.tsv hold every record with its
    abstract): what stays in memory is record ids (to check that the tables agree) and counts."""
    required = {
        "records": ("pmid",),
        "other_records": ("record_id", "source_file"),
        "duplicates": ("record_id", "duplicate_of"),
        "unique_records": ("record_id", "source"),
        "screening": ("record_id", "decision", "conflict", "exclusion_reason", "full_text", "full_text_reason"),
    }
    tables = {name: iter_tsv(paths[name], required=columns, only=True) for name, columns in required.items()}
    availability = iter_tsv(paths["availability"], required=("record_id", "full_text"), only=True) \
        if paths.get("availability") else None
    return count_flow(**tables, paths={name: str(path) for name, path in paths.items() if path},
                      exclusion_reasons=exclusion_reasons, full_text_reasons=full_text_reasons,
                      availability=availability, source_names=source_names)


def read_exclusion_reasons(eligibility: str | os.PathLike, key: str = "exclusion_reasons") -> list[str]:
    """An eligibility file's `exclusion_reasons` list (or `full_text_exclusion_reasons`, which
    defaults to it); the screening stage validates the file."""
    data = read_yaml(eligibility, "the eligibility criteria (config/eligibility.yaml)")
    reasons = data.get(key, data.get("exclusion_reasons")) if isinstance(data, dict) else None
    if not isinstance(reasons, list) or not reasons or not all(isinstance(reason, str) for reason in reasons):
        raise InputError(eligibility, None, key, "expected a list of exclusion reasons")
    return reasons


def write_prisma(paths: Mapping[str, str | os.PathLike], json_path: str | os.PathLike,
                 svg_path: str | os.PathLike, exclusion_reasons: Sequence[str],
                 full_text_reasons: Sequence[str] | None = None,
                 source_names: Mapping[str, str] | None = None) -> dict:
    """Count, check, then write prisma.json and prisma.svg atomically; returns the flow."""
    flow = read_flow(paths, exclusion_reasons, full_text_reasons, source_names)
    check_flow(flow)
    atomic_write_text(json_path, flow_json(flow))
    atomic_write_text(svg_path, flow_svg(flow))
    return flow


def configure_cli(parser) -> None:
    for name, default in DEFAULT_PATHS.items():
        option = "--" + name.replace("_", "-")
        parser.add_argument(option, dest=name, default=default, help=f"input table (default {default})")
    parser.add_argument("--eligibility", required=True,
                        help="eligibility file (config/eligibility.yaml) whose exclusion_reasons the diagram lists, in its order")
    parser.add_argument("--fulltext-availability", dest="availability",
                        help="full texts of the records sought (results/fulltext/availability.tsv): adds reports "
                             "sought and not retrieved")
    parser.add_argument("--source-name", action="append", default=[], metavar="FILE=NAME",
                        help="show the other source read from RIS file FILE (its file name) as NAME; repeatable")
    parser.add_argument("--json", default="results/prisma.json", help="flow counts to write")
    parser.add_argument("--svg", default="results/prisma.svg", help="flow diagram to write")


def run_cli(args) -> int:
    paths = {name: getattr(args, name) for name in (*DEFAULT_PATHS, "availability")}
    reasons = read_exclusion_reasons(args.eligibility)
    full_text = read_exclusion_reasons(args.eligibility, "full_text_exclusion_reasons")
    names = {}
    for pair in args.source_name:
        file_name, separator, name = pair.partition("=")
        if not separator or not file_name or not name:
            print(f"lsr prisma: error: --source-name {pair!r}: expected FILE=NAME", file=sys.stderr)
            return 2
        names[file_name] = name
    try:
        flow = write_prisma(paths, args.json, args.svg, reasons, full_text, names)
    except FlowCountError as error:
        print(f"lsr prisma: error: {error}", file=sys.stderr)
        return 2
    overall = flow[OVERALL]
    print(f"prisma: {overall['identified']['total']} identified, {overall['duplicates_removed']} duplicates "
          f"removed, {overall['screened']} screened, {overall['excluded']['total']} excluded, "
          f"{overall['awaiting_review']['total']} awaiting review, {overall['reports_sought']} reports sought, "
          f"{overall['reports_not_retrieved']} not retrieved, {overall['reports_excluded']['total']} excluded at "
          f"full text, {overall['reports_awaiting']['total']} awaiting full text, {overall['included']} included "
          f"-> {args.json}, {args.svg}")
    return 0
