"""References of the Table 1 studies: a numbered list in the journal's style, RIS and BibTeX.

Reference n is the study in row n of Table 1 (oldest first). Each reference is built from the
study's record in results/unique_records.tsv (PubMed metadata, or the RIS record of another
source): authors, title, journal, year, volume, issue, pages, DOI, PMID; nothing is added that the record does not hold.
The list is rendered by citeproc-py with the NLM/Vancouver citation-sequence style shipped in
src/lsr/styles/ (CSL style from the Citation Style Language project, CC BY-SA 3.0, header kept).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

STYLE = Path(__file__).with_name("styles") / "nlm-citation-sequence.csl"
_INITIALS = re.compile(r"^[A-Z]{1,4}$")
_NUMBER = re.compile(r"^\s*\d+\.\s*")


@dataclass(frozen=True)
class Reference:
    """One Table 1 study's bibliographic data (empty strings where the record has none; without a
    title, the study label stands in for it)."""
    key: str
    study: str
    authors: tuple[str, ...]
    title: str
    journal: str
    year: str
    volume: str
    issue: str
    pages: str
    doi: str
    pmid: str


def split_author(name: str) -> dict[str, str]:
    """'van der Net JJ' -> {'family': 'van der Net', 'given': 'J J'} (MEDLINE-style names)."""
    parts = name.strip().rsplit(" ", 1)
    if len(parts) == 2 and _INITIALS.match(parts[1]):
        return {"family": parts[0], "given": " ".join(parts[1])}
    return {"family": name.strip()}


def _key_stem(reference_study: str, authors: Sequence[str], year: str) -> str:
    base = split_author(authors[0])["family"] if authors else re.sub(r"\s*\d{4}\w?$", "", reference_study)
    ascii_text = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", ascii_text.lower()) + year


def build_references(studies: Sequence[tuple[str, str, str]],
                     records: Mapping[str, Mapping[str, str]]) -> list[Reference]:
    """One Reference per (record_id, study label, pmid) in Table 1 order, from unique_records rows.

    Citation keys are the first author's family name (else the study label) plus year, with a, b...
    when two studies share one.
    """
    references, taken = [], {}
    for record_id, study, pmid in studies:
        record = records.get(record_id, {})
        authors = tuple(a.strip() for a in (record.get("authors") or "").split(";") if a.strip())
        year = record.get("year", "")
        stem = _key_stem(study, authors, year)
        taken[stem] = taken.get(stem, 0) + 1
        references.append(Reference(stem, study, authors, record.get("title", ""), record.get("journal", ""),
                                    year, record.get("volume", ""), record.get("issue", ""),
                                    record.get("pages", ""), record.get("doi", ""), pmid or record.get("pmid", "")))
    repeated = {stem for stem, count in taken.items() if count > 1}
    suffixes: dict[str, int] = {}
    result = []
    for reference in references:
        if reference.key in repeated:
            suffixes[reference.key] = suffixes.get(reference.key, 0) + 1
            reference = replace(reference, key=reference.key + "abcdefghijklmnopqrstuvwxyz"[suffixes[reference.key] - 1])
        result.append(reference)
    return result


def csl_item(number: int, reference: Reference) -> dict:
    """The reference as a CSL-JSON item."""
    item: dict = {"id": f"ref{number}", "type": "article-journal", "title": reference.title or reference.study}
    if reference.authors:
        item["author"] = [split_author(author) for author in reference.authors]
    if reference.journal:
        item["container-title"] = reference.journal
    if reference.year.isdigit():
        item["issued"] = {"date-parts": [[int(reference.year)]]}
    for variable, value in (("volume", reference.volume), ("issue", reference.issue), ("page", reference.pages)):
        if value:
            item[variable] = value
    if reference.doi:
        item["DOI"] = reference.doi
    if reference.pmid:
        item["PMID"] = reference.pmid
    return item


def bibliography(references: Sequence[Reference], html: bool = False) -> list[str]:
    """The references as the style formats them (plain text, or HTML), in Table 1 order, unnumbered."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON

    items = [csl_item(number, reference) for number, reference in enumerate(references, 1)]
    style = CitationStylesStyle(str(STYLE), validate=False)
    rendered = CitationStylesBibliography(style, CiteProcJSON(items), formatter.html if html else formatter.plain)
    for item in items:
        rendered.register(Citation([CitationItem(item["id"])]))
    return [_NUMBER.sub("", str(entry)) for entry in rendered.bibliography()]


def format_ris(references: Sequence[Reference]) -> str:
    """results/references.ris: one JOUR entry per study (rispy), PMID in AN, DOI in DO."""
    import rispy

    class Writer(rispy.RisWriter):
        """RIS entries without rispy's numbered header lines ("1.", "2."...), as reference managers export."""

        def set_header(self, count: int) -> str:
            return ""

    entries = []
    for reference in references:
        entry = {"type_of_reference": "JOUR", "id": reference.key, "title": reference.title or reference.study}
        if reference.authors:
            entry["authors"] = list(reference.authors)
        start, _, end = reference.pages.partition("-")
        for field, value in (("journal_name", reference.journal), ("year", reference.year),
                             ("volume", reference.volume), ("number", reference.issue), ("start_page", start),
                             ("end_page", end), ("doi", reference.doi), ("accession_number", reference.pmid)):
            if value:
                entry[field] = value
        if reference.pmid:
            entry["urls"] = [f"https://pubmed.ncbi.nlm.nih.gov/{reference.pmid}/"]
        entries.append(entry)
    return rispy.dumps(entries, implementation=Writer)


_BIB_SPECIAL = re.compile(r"([&%$#_{}])")


def _bib(text: str) -> str:
    return _BIB_SPECIAL.sub(r"\\\1", text)


def _bib_author(name: str) -> str:
    parts = split_author(name)
    given = " ".join(f"{initial}." for initial in parts.get("given", "").split())
    return _bib(f"{parts['family']}, {given}" if given else parts["family"])


def format_bibtex(references: Sequence[Reference]) -> str:
    """results/references.bib: one @article per study; titles braced to keep their case."""
    entries = []
    for reference in references:
        fields = [("author", " and ".join(_bib_author(a) for a in reference.authors)),
                  ("title", f"{{{_bib((reference.title or reference.study).rstrip('.'))}}}"),
                  ("journal", _bib(reference.journal)), ("year", reference.year),
                  ("volume", _bib(reference.volume)), ("number", _bib(reference.issue)),
                  ("pages", _bib(reference.pages.replace("-", "--"))),
                  ("doi", reference.doi), ("pmid", reference.pmid)]
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
        entries.append(f"@article{{{reference.key},\n{body}\n}}\n")
    return "\n".join(entries)
