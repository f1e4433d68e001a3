"""Table 1 stage: one row per included study, from results/extraction.tsv, in every published format.

The human gate: a study enters Table 1 only when a reviewer has included it at the full-text stage
(`full_text` = include in results/screening.tsv). Records the rules or a title/abstract decision
include are extracted (results/extraction.tsv) and listed for the reviewers as proposals, but
they are not in the table and do not change its version.

table1.csv is the machine-readable table: exactly the TABLE1.md columns, `NR` literal, no marks.
table1.md, .html, .tex and .docx show the same rows, oldest study first, with a caption carrying
the table version, a total line, abbreviation footnotes and a dagger (†) on every value no reviewer
has verified (an extraction row with an empty `reviewer`). Study n carries the number [n] of its
entry in the reference list that ends each human format (lsr.references, which also writes
references.ris and references.bib); evidence_over_time.svg (lsr.evidence) charts the same rows;
table1.docx holds the same chart as a PNG under its notes.

The version is the date a table content was first published plus the first 8 hex digits of the
sha256 of table1_marked.csv (the table as readers see it, marks included: lsr.state); each
caption also says in one line what changed since the previous version. Dates come from the version registry (data/table_versions.tsv, durable state
of the living review): a content already registered keeps its date, so identical content gives
byte-identical files on any day; new content is registered with today's UTC date (an `as_of` rebuild registers nothing).
"""
from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from .checks import iso_date
# The field registry: fields (TABLE1.md order), sources, the extraction stage's columns.
from .fields import EXTRACTION_COLUMNS, FIELDS as FIELD_DEFINITIONS, NAMES as FIELDS, NR, SOURCES, UNCLEAR
from . import evidence, pages, state
from .state import DAGGER, Version, table_hash
from .tsv import InputError, atomic_write_bytes, atomic_write_text, iter_tsv

COLUMNS = ("study", "pmid", *FIELDS[1:], "evidence")
"""Columns of results/table1.csv (TABLE1.md)."""

OUTPUT_NAMES = {"csv": "table1.csv", "marked": "table1_marked.csv", "md": "table1.md", "html": "table1.html",
                "tex": "table1.tex", "docx": "table1.docx", "ris": "references.ris", "bib": "references.bib",
                "figure": "evidence_over_time.svg"}

HEADERS = {"pmid": "PMID", "evidence": "Evidence", **{field.name: field.header for field in FIELD_DEFINITIONS}}
"""Column headings of the human-facing formats (same columns and order as the csv)."""

ABBREVIATIONS = {
    "AZA": "azathioprine", "CS": "corticosteroids", "CSA": "ciclosporin", "CYC": "cyclophosphamide",
    "HCQ": "hydroxychloroquine", "IVIG": "intravenous immunoglobulin", "JAKi": "Janus kinase inhibitor",
    "MMF": "mycophenolate mofetil", "MTX": "methotrexate", "PLEX": "plasma exchange",
    "RTX": "rituximab", "TNFi": "tumour necrosis factor inhibitor",
}
"""Canonical prior-treatment codes (TABLE1.md); a footnote explains those the table uses."""

ALWAYS_EXPLAINED = {"NR": "not reported in the source the row was built from",
                    "PMID": "PubMed identifier"}
EVIDENCE_NOTE = ("Evidence: where the row's values come from (abstract: PubMed title and abstract; "
                 "full text: the article; reviewer: a reviewer's entry).")
DAGGER_NOTE = f"{DAGGER} Not yet verified by a reviewer (extracted automatically)."
UNCLEAR_MARK = "?"
UNCLEAR_NOTE = (f"{UNCLEAR_MARK} Not settled: the source speaks of this value, but what was extracted is unclear or "
                "implausible; a reviewer will check it (`unclear` in table1.csv).")

_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
_INTEGER = re.compile(r"^\d+$")


@dataclass(frozen=True)
class Wording:
    """What the config calls the review and its Table 1 (review.topic, review.table1_caption)."""
    topic: str
    caption: str


@dataclass(frozen=True)
class Cell:
    value: str
    verified: bool


@dataclass(frozen=True)
class Study:
    """One Table 1 row: the record's extracted cells (keyed by FIELDS) and where they come from."""
    record_id: str
    pmid: str
    year: int | None
    cells: Mapping[str, Cell]
    evidence: str

    @property
    def patients(self) -> int | None:
        value = self.cells["n_patients"].value
        return int(value) if _INTEGER.match(value) else None


# --- building the rows -------------------------------------------------------------------------

def _year_of(text: str) -> int | None:
    years = _YEAR.findall(text or "")
    return int(years[-1]) if years else None


ROW_CHECKS = (
    ("record_id", "empty record id"),
    ("field", f"unknown field {{field!r}}; expected one of {', '.join(FIELDS)}"),
    ("source", f"{{source!r}}; expected one of {', '.join(SOURCES)}"),
    ("value", f"empty value for {{field}}; expected a value or {NR}"),
    ("value", f"n_patients {{value!r}}; expected a whole number, {NR} or {UNCLEAR}"),
    ("field", "second row for {field} of {record_id} (first on line {first_line})"),
)
"""What build_studies checks in each extraction row, in this order: the column and the problem."""


def build_studies(extraction: Iterable[Mapping[str, str]], records: Iterable[Mapping[str, str]] = (),
                  path: str = "results/extraction.tsv") -> list[Study]:
    """Table 1 rows from extraction rows (EXTRACTION_COLUMNS), oldest first: the long table
    (one row per record and field) pivoted to one row per record.

    Order: year parsed from the study label, else the record's year (from `records`, rows of
    unique_records.tsv), studies without a year last; then study label; then record id.
    Rows of records only proposed for inclusion (status `proposed`) are left out.
    Raises InputError (naming `path` and the first offending line) on an empty record id, an
    unknown field or source, an empty value, a patient count that is neither digits, NR nor
    unclear, a field given twice for a record, or a field missing for a record.
    """
    import pandas as pd  # ~0.2 s to import: loaded when the table is built, not when `lsr` starts

    columns = ["record_id", "pmid", "status", "field", "value", "source", "reviewer"]
    rows = pd.DataFrame(extraction, columns=[*columns, "_line"], dtype=object)
    rows[columns] = rows[columns].fillna("")
    rows = rows[rows["status"] != "proposed"].reset_index(drop=True)  # not included yet

    def line(number) -> int | None:
        return None if pd.isna(number) else int(number)

    # Every check of a row at once (ROW_CHECKS order): the first line with a problem is reported,
    # with its first problem.
    value, field = rows["value"], rows["field"]
    failed = [rows["record_id"] == "", ~field.isin(FIELDS), ~rows["source"].isin(SOURCES), value == "",
              (field == "n_patients") & ~value.isin((NR, UNCLEAR)) & ~value.str.match(_INTEGER),
              rows.duplicated(["record_id", "field"])]
    found = [(mask.to_numpy().argmax(), check) for check, mask in zip(ROW_CHECKS, failed) if mask.any()]
    if found:
        position, (column, problem) = min(found, key=lambda found: found[0])
        row = rows.iloc[position]
        first_line = rows["_line"][(rows["record_id"] == row["record_id"]) & (field == row["field"])].iloc[0]
        raise InputError(path, line(row["_line"]), column, problem.format(**row.to_dict(), first_line=line(first_line)))

    if rows.empty:
        return []
    # Long to wide: one row per record (in order of first appearance), one column per field.
    wide = rows.pivot(index="record_id", columns="field", values=["value", "reviewer", "pmid"])
    order = rows["record_id"].unique()
    values, reviewers, pmids = (wide[name].reindex(index=order, columns=FIELDS) for name in ("value", "reviewer", "pmid"))
    missing = values.isna()
    if missing.to_numpy().any():
        record_id = missing.any(axis=1).idxmax()
        first_line = rows["_line"][rows["record_id"] == record_id].fillna(0).min()  # none if a row has none
        raise InputError(path, line(first_line) or None, "field",
                         f"{record_id} has no row for {', '.join(missing.columns[missing.loc[record_id]])}")

    record_years = {row.get("record_id", ""): _year_of(row.get("year", "")) for row in records}
    study = FIELDS.index("study")
    # The study row's pmid, else the one in a pmid: record id, else none.
    record_ids = values.index.to_series(index=values.index)
    pmid = pmids["study"].where(pmids["study"].str.match(_INTEGER),
                                record_ids.str.removeprefix("pmid:").where(record_ids.str.startswith("pmid:"), ""))
    pmid = pmid.where(pmid.str.match(_INTEGER), "")
    sourced = [values.index.isin(rows["record_id"][rows["source"] == source]) for source in SOURCES]
    evidence = ["; ".join(source for source, given in zip(SOURCES, given) if given) for given in zip(*sourced)]
    studies = [
        Study(record_id=record_id, pmid=pmid_, year=_year_of(texts[study]) or record_years.get(record_id),
              cells={field: Cell(text, bool(reviewer)) for field, text, reviewer in zip(FIELDS, texts, by)},
              evidence=evidence_)
        for record_id, pmid_, texts, by, evidence_ in zip(
            values.index, pmid, values.to_numpy().tolist(), reviewers.to_numpy().tolist(), evidence)
    ]
    return sorted(studies, key=lambda s: (s.year is None, s.year or 0, s.cells["study"].value.casefold(),
                                          s.cells["study"].value, s.record_id))


def csv_row(study: Study) -> dict[str, str]:
    """The study as a table1.csv row (plain values)."""
    row = {field: cell.value for field, cell in study.cells.items()}
    return {**row, "pmid": study.pmid, "evidence": study.evidence}


def _csv_text(rows: Iterable[Mapping[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def format_csv(studies: Sequence[Study]) -> str:
    """table1.csv: the plain values, exactly as TABLE1.md says."""
    return _csv_text(csv_row(study) for study in studies)


def marked_row(study: Study) -> dict[str, str]:
    """The study as readers see it: each value as printed, with its verification mark."""
    return {column: text + (DAGGER if marked else "")
            for column, (text, marked) in zip(COLUMNS, display_cells(study))}


def format_marked_csv(studies: Sequence[Study]) -> str:
    """table1_marked.csv: Table 1 as the human formats show it (its hash is the version)."""
    return _csv_text(marked_row(study) for study in studies)


# --- total and footnotes -----------------------------------------------------------------------

def total_patients(studies: Sequence[Study]) -> int:
    return sum(study.patients or 0 for study in studies)


def total_line(studies: Sequence[Study]) -> str:
    """E.g. 'Total: 4 studies, 12 patients' (+ how many studies do not report their patient count)."""
    count = len(studies)
    patients = total_patients(studies)
    text = f"Total: {count} {'study' if count == 1 else 'studies'}, {patients} {'patient' if patients == 1 else 'patients'}"
    unreported = sum(1 for study in studies if study.patients is None)
    if unreported:
        text += (f" (number of patients not reported in {unreported} "
                 f"{'study' if unreported == 1 else 'studies'})")
    return text


def footnotes(studies: Sequence[Study]) -> list[str]:
    """Dagger note (when a value is unverified), abbreviations used, and what Evidence means."""
    notes = []
    if any(not cell.verified for study in studies for cell in study.cells.values()):
        notes.append(DAGGER_NOTE)
    if any(cell.value == UNCLEAR for study in studies for cell in study.cells.values()):
        notes.append(UNCLEAR_NOTE)
    codes = {code.strip() for study in studies for code in study.cells["prior_treatments"].value.split(";")}
    used = {code: meaning for code, meaning in ABBREVIATIONS.items() if code in codes}
    explained = {**used, **ALWAYS_EXPLAINED}
    notes.append("Abbreviations: " + "; ".join(f"{code}, {explained[code]}"
                                               for code in sorted(explained, key=str.casefold)) + ".")
    notes.append(EVIDENCE_NOTE)
    return notes


def display_value(value: str) -> str:
    """A value as the human-facing formats print it: `unclear` as `?`, ';'-lists spaced so that they can wrap."""
    if value == UNCLEAR:
        return UNCLEAR_MARK
    return re.sub(r"\s*;\s*", "; ", value) if ";" in value else value


def display_cells(study: Study) -> list[tuple[str, bool]]:
    """(text, marked) for each column of the table: marked = shows the unverified dagger."""
    cells = []
    for column in COLUMNS:
        if column == "pmid":
            cells.append((study.pmid, False))
        elif column == "evidence":
            cells.append((study.evidence, False))
        else:
            cell = study.cells[column]
            cells.append((display_value(cell.value), not cell.verified))
    return cells


# --- human-facing formats ----------------------------------------------------------------------

def _citation(number: int, references: Sequence[str]) -> str:
    """The study's pointer into the reference list (reference n is row n), if there is a list."""
    return f" [{number}]" if references else ""


def render_markdown(studies: Sequence[Study], version: Version, wording: Wording,
                    references: Sequence[str] = ()) -> str:
    """Markdown (lsr/templates/table1.md.j2): caption, change line, table (study n cites reference
    [n]), total, notes, references."""
    return pages.render_markdown("table1.md.j2", caption=wording.caption, version=version,
                                 headers=[HEADERS[c] for c in COLUMNS],
                                 rows=[display_cells(study) for study in studies], dagger=DAGGER,
                                 total=total_line(studies), notes=footnotes(studies), references=references)


_NUMERIC = {"n_patients", "age_min", "age_max", "sex_m", "sex_f"}


def _html_value(column: str, text: str, marked: bool) -> str:
    body = html.escape(text)
    if column == "pmid" and text:
        body = f'<a href="https://pubmed.ncbi.nlm.nih.gov/{text}/">{body}</a>'
    if marked:
        body += f'<sup class="unverified" title="not yet verified by a reviewer">{DAGGER}</sup>'
    return body


def render_html(studies: Sequence[Study], version: Version, wording: Wording, references: Sequence[str] = (),
                figure: str = "") -> str:
    """A standalone page (lsr/templates/table1.html): scrollable table on wide screens, one card per
    study on phones; then the numbered references (HTML from the style) and `figure` (an image file
    name), if given."""
    rows = []
    for number, study in enumerate(studies, 1):
        cells = []
        for column, (text, marked) in zip(COLUMNS, display_cells(study)):
            value = _html_value(column, text, marked)
            if column == "study" and references:
                value += f' <a class="ref" href="#ref-{number}">[{number}]</a>'
            # Non-header cells hold one element, so the phone layout's label/value grid has two items.
            cells.append({"label": HEADERS[column], "value": pages.markup(value), "header": column == "study",
                          "numeric": column in _NUMERIC})
        rows.append(cells)
    return pages.render("table1.html", title=f"Table 1 — {wording.topic} ({version.label})",
                        caption=wording.caption, version=version, headers=[HEADERS[c] for c in COLUMNS], rows=rows,
                        total=total_line(studies), notes=footnotes(studies),
                        references=[pages.markup(text) for text in references], figure=figure,
                        figure_caption=evidence.CAPTION, figure_description=evidence.DESCRIPTION)


_TEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
    "–": "--", "—": "---", "≥": r"$\geq$", "≤": r"$\leq$", "±": r"$\pm$", "×": r"$\times$",
    "µ": r"\textmu{}", "μ": r"\textmu{}", "°": r"\textdegree{}", "·": r"$\cdot$", DAGGER: r"\dag{}",
}
_TEX_PATTERN = re.compile("|".join(re.escape(c) for c in _TEX_SPECIAL))

# Column widths (cm) for a landscape page; p-columns wrap long values.
_TEX_WIDTHS = {
    "study": 1.45, "pmid": 1.15, "design": 1.0, "n_patients": 1.1, "age_min": 0.7, "age_max": 0.7,
    "sex_m": 0.65, "sex_f": 0.75, "prior_treatments": 1.6, "tacrolimus_route": 1.5, "tacrolimus_dose": 1.4,
    "followup_months": 1.0, "skin_outcome": 1.25, "muscle_outcome": 1.25, "steroid_sparing": 1.0,
    "adverse_events": 1.25, "evidence": 1.15,
}


def tex_escape(text: str) -> str:
    """Text safe inside a LaTeX document (specials escaped; common symbols as LaTeX commands)."""
    return _TEX_PATTERN.sub(lambda match: _TEX_SPECIAL[match.group(0)], text)


def render_latex(studies: Sequence[Study], version: Version, wording: Wording,
                 references: Sequence[str] = ()) -> str:
    """A booktabs longtable fragment to \\input or paste into a manuscript (breaks across pages)."""
    span = len(COLUMNS)
    spec = "".join(rf">{{\raggedright\arraybackslash}}p{{{_TEX_WIDTHS[c]}cm}}" for c in COLUMNS)
    header = " & ".join(tex_escape(HEADERS[c]) for c in COLUMNS) + r" \\"
    lines = [
        f"% Table 1, {version.label}: generated by `lsr table1` from results/extraction.tsv; do not edit.",
        r"% Needs \usepackage{booktabs,longtable,array}; set it on a landscape page, e.g. inside",
        r"% \begin{landscape}...\end{landscape} (pdflscape) or with \usepackage[landscape]{geometry}.",
        r"\begingroup",
        r"\scriptsize",
        r"\setlength{\tabcolsep}{1.8pt}",
        r"\setlength{\LTcapwidth}{\linewidth}",
        r"\setlength{\parindent}{0pt}",
        rf"\begin{{longtable}}{{@{{}}{spec}@{{}}}}",
        rf"\caption{{{tex_escape(wording.caption)} {tex_escape(version.label)}"
        + (rf"\newline {tex_escape(version.changes)}" if version.changes else "") + r"}\label{tab:table1} \\",
        r"\toprule", header, r"\midrule", r"\endfirsthead",
        rf"\multicolumn{{{span}}}{{@{{}}l}}{{\tablename~\thetable{{}} (continued)}} \\",
        r"\toprule", header, r"\midrule", r"\endhead",
    ]
    for number, study in enumerate(studies, 1):
        texts = [tex_escape(text) + (r"\textsuperscript{\dag}" if marked else "") for text, marked in display_cells(study)]
        texts[0] += _citation(number, references)
        lines.append(" & ".join(texts) + r" \\")
    lines += [r"\midrule",
              rf"\multicolumn{{{span}}}{{@{{}}l}}{{{tex_escape(total_line(studies))}}} \\",
              r"\bottomrule",
              r"\end{longtable}"]
    lines += [tex_escape(note) + r"\par" for note in footnotes(studies)]
    if references:
        lines.append(r"\medskip\textbf{References}\par")
        lines += [f"{number}. {tex_escape(text)}" + r"\par" for number, text in enumerate(references, 1)]
    lines.append(r"\endgroup")
    return "\n".join(lines) + "\n"


def _docx_run(text: str, properties: str = "") -> str:
    """One WordprocessingML run holding `text` (escaped; spaces kept), with run `properties`."""
    return (f"<w:r>{f'<w:rPr>{properties}</w:rPr>' if properties else ''}"
            f'<w:t xml:space="preserve">{xml_escape(text)}</w:t></w:r>')


def render_docx(studies: Sequence[Study], version: Version, wording: Wording,
                references: Sequence[str] = (), figure: bytes = b"") -> bytes:
    """A Word document holding Table 1 as a real table: landscape A4, 7 pt, repeated header row;
    below its notes `figure` (PNG bytes of the evidence figure), if given, with its caption; then
    the references."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml import OxmlElement, parse_xml
    from docx.oxml.ns import nsdecls, qn
    from docx.shared import Cm, Inches, Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    normal = document.styles["Normal"]
    normal.font.size = Pt(7)
    normal.paragraph_format.space_after = Pt(0)

    caption = document.add_paragraph()
    caption.paragraph_format.space_after = Pt(4)
    for text, bold in (("Table 1. ", True), (f"{wording.caption} ", False), (version.label, False)):
        run = caption.add_run(text)
        run.bold, run.font.size = bold, Pt(9)
    if version.changes:
        changes = document.add_paragraph()
        changes.paragraph_format.space_after = Pt(4)
        changes.add_run(version.changes).italic = True

    table = document.add_table(rows=1, cols=len(COLUMNS))
    table.style = "Table Grid"
    table.autofit = False
    scale = 26.7 / sum(_TEX_WIDTHS.values())
    widths = [Cm(round(_TEX_WIDTHS[c] * scale, 2)) for c in COLUMNS]
    for column, width in zip(table.columns, widths):
        column.width = width  # the grid widths, which LibreOffice follows; Word follows the cell widths
    margins = OxmlElement("w:tblCellMar")  # narrow cell padding (Word's default is 0.19 cm a side)
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), "57")
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    table._tbl.tblPr.append(margins)

    def fill(cell, text: str, marked: bool = False, bold: bool = False) -> None:
        paragraph = cell.paragraphs[0]
        run = paragraph.add_run(text)
        run.bold = bold
        if marked:
            paragraph.add_run(DAGGER).font.superscript = True

    header = table.rows[0]
    header_props = header._tr.get_or_add_trPr()
    header_props.append(OxmlElement("w:tblHeader"))  # repeat the header row on every page
    for cell, column, width in zip(header.cells, COLUMNS, widths):
        cell.width = width
        fill(cell, HEADERS[column], bold=True)
    # Study rows as WordprocessingML text, parsed once: python-docx's cell-by-cell API takes seconds
    # per thousand rows. Each row: no page break inside, cell widths as the header's, the value, its
    # dagger as a superscript run, the study's reference number.
    rows = []
    for number, study in enumerate(studies, 1):
        cells = []
        for index, ((text, marked), width) in enumerate(zip(display_cells(study), widths)):
            runs = _docx_run(text) + (_docx_run(DAGGER, "<w:vertAlign w:val=\"superscript\"/>") if marked else "")
            if index == 0 and references:
                runs += _docx_run(_citation(number, references))
            cells.append(f'<w:tc><w:tcPr><w:tcW w:w="{width.twips}" w:type="dxa"/></w:tcPr><w:p>{runs}</w:p></w:tc>')
        rows.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>" + "".join(cells) + "</w:tr>")
    for row in parse_xml(f"<w:tbl {nsdecls('w')}>{''.join(rows)}</w:tbl>"):
        table._tbl.append(row)
    total = table.add_row()
    merged = total.cells[0].merge(total.cells[-1])
    fill(merged, total_line(studies), bold=True)

    for note in footnotes(studies):
        document.add_paragraph(note).paragraph_format.space_before = Pt(2)
    if figure:
        picture = document.add_paragraph()
        picture.paragraph_format.space_before = Pt(8)
        picture.paragraph_format.keep_with_next = True  # the caption stays under its figure
        shape = picture.add_run().add_picture(io.BytesIO(figure), width=Inches(7))  # drawn 7 inches wide
        shape._inline.docPr.set("descr", evidence.DESCRIPTION)  # alt text; python-docx has no API for it
        document.add_paragraph(evidence.CAPTION).paragraph_format.space_after = Pt(4)
    if references:
        heading = document.add_paragraph()
        heading.paragraph_format.space_before = Pt(6)
        heading.add_run("References").bold = True
        for number, text in enumerate(references, 1):
            document.add_paragraph(f"{number}. {text}")

    properties = document.core_properties
    properties.title = f"Table 1: {wording.topic}"
    properties.subject = version.label
    properties.author = "lsr table1"
    properties.comments = f"Generated from results/extraction.tsv; {version.label}."
    properties.last_modified_by = "lsr table1"
    stamp = dt.datetime.fromisoformat(version.date).replace(tzinfo=dt.timezone.utc)
    properties.created = properties.modified = stamp
    properties.revision = 1

    buffer = io.BytesIO()
    document.save(buffer)
    return _normalise_zip(buffer.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """The same archive with fixed member timestamps, so identical tables give identical bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(name))
    return buffer.getvalue()


# --- the stage ---------------------------------------------------------------------------------

def render_all(studies: Sequence[Study], version: Version, wording: Wording,
               records: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, bytes]:
    """The human-facing formats, the reference files and the evidence figure, keyed like OUTPUT_NAMES.

    `records` (unique_records.tsv rows by record id) give the references' metadata.
    """
    from . import references

    cited = references.build_references([(s.record_id, s.cells["study"].value, s.pmid) for s in studies],
                                        records or {})
    plain, marked_up = references.bibliography(cited) if cited else ([], [])
    over_time = evidence.cumulative_by_year([(s.year, s.patients) for s in studies])
    title = f"Table 1 evidence over time ({version.label})"
    return {
        "md": render_markdown(studies, version, wording, plain).encode("utf-8"),
        "html": render_html(studies, version, wording, marked_up, OUTPUT_NAMES["figure"]).encode("utf-8"),
        "tex": render_latex(studies, version, wording, plain).encode("utf-8"),
        "docx": render_docx(studies, version, wording, plain, evidence.figure_png(over_time, title)),
        "ris": references.format_ris(cited).encode("utf-8"),
        "bib": references.format_bibtex(cited).encode("utf-8"),
        "figure": evidence.figure_svg(over_time, title).encode("utf-8"),
    }


def admitted_records(screening: Iterable[Mapping[str, str]]) -> set[str]:
    """Record ids a reviewer included at the full-text stage: the only ones Table 1 shows."""
    return {row["record_id"] for row in screening if row.get("full_text") == "include"}


def write_table1(extraction_path: str | Path, records_path: str | Path | None, registry_path: str | Path,
                 outdir: str | Path, today: str, wording: Wording, register: bool = True,
                 screening_path: str | Path | None = None) -> tuple[list[Study], Version, bool]:
    """Build and write every format from the studies included at full text (`screening_path`:
    results/screening.tsv); register the version if new (and `register`).

    Returns (studies, version, registered). A rebuild of the past (`as_of`) does not register:
    it dates a content the registry does not know with the `as_of` day, and writes no state.
    """
    # The tables stream (screening.tsv and unique_records.tsv hold every record of the search,
    # extraction.tsv the proposed ones too): what stays is the rows of the studies Table 1 can show.
    admitted = admitted_records(iter_tsv(screening_path, required=("record_id", "full_text"), only=True)) \
        if screening_path is not None else None
    extraction = [row for row in iter_tsv(extraction_path, required=EXTRACTION_COLUMNS)
                  if row["status"] != "proposed"]  # build_studies leaves them out
    # Years order the rows; authors, title, journal, doi and pmid (where present) make the references.
    studied = {row["record_id"] for row in extraction}
    if admitted is not None:
        studied &= admitted
    records = [row for row in iter_tsv(records_path, required=("record_id", "year"))
               if row["record_id"] in studied] if records_path else []
    studies = build_studies(extraction, records, path=str(extraction_path))
    if admitted is not None:
        studies = [study for study in studies if study.record_id in admitted]
    csv_text, marked_text = format_csv(studies), format_marked_csv(studies)
    known = state.read_registry(registry_path)
    version, registry = state.resolve_version(known, table_hash(marked_text.encode("utf-8")),
                                        len(studies), total_patients(studies), today)
    before = state.previous_row(known, version.content_hash)
    changes = state.change_line(
        f"{before['version_date']} · {before['content_hash']}" if before else None,
        state.load_content(registry_path, before["content_hash"]) if before else None,
        list(csv.DictReader(io.StringIO(marked_text))))
    version = Version(version.date, version.content_hash, changes)
    rendered = render_all(studies, version, wording, {row["record_id"]: row for row in records})
    registered = registry is not None and register
    if register:
        state.store_content(registry_path, version.content_hash, marked_text)
    if registered:
        state.write_registry(registry_path, registry)
    outdir = Path(outdir)
    atomic_write_text(outdir / OUTPUT_NAMES["csv"], csv_text)
    atomic_write_text(outdir / OUTPUT_NAMES["marked"], marked_text)
    for key, data in rendered.items():
        atomic_write_bytes(outdir / OUTPUT_NAMES[key], data)
    return studies, version, registered



def configure_cli(parser) -> None:
    parser.add_argument("--extraction", required=True, help="extraction table (results/extraction.tsv)")
    parser.add_argument("--screening", required=True,
                        help="screening table (results/screening.tsv): only studies included at full text enter")
    parser.add_argument("--records", help="unique records (results/unique_records.tsv): record years for ordering")
    parser.add_argument("--registry", required=True,
                        help="table version registry (data/table_versions.tsv); created or appended when the content is new")
    parser.add_argument("--outdir", required=True, help="folder for table1.csv, table1_marked.csv, .md, .html, .tex, .docx")
    parser.add_argument("--topic", required=True, help="what the review is about, for titles (config review.topic)")
    parser.add_argument("--caption", required=True, help="Table 1's caption (config review.table1_caption)")
    parser.add_argument("--as-of", type=iso_date,
                        help="rebuild as of that day (YYYY-MM-DD): a table content the registry does not know "
                             "is dated that day and not registered")


def run_cli(args) -> int:
    today = args.as_of or dt.datetime.now(dt.timezone.utc).date().isoformat()
    studies, version, registered = write_table1(args.extraction, args.records, args.registry, args.outdir, today,
                                                Wording(args.topic, args.caption), register=not args.as_of,
                                                screening_path=args.screening)
    state = (f"new, registered in {args.registry}" if registered
             else "not registered: as_of rebuild" if args.as_of else "already registered")
    print(f"table1: {total_line(studies)}; {version.label} ({state}) -> {args.outdir}/table1.*")
    return 0
