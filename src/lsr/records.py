"""Records stage: PubMed XML (efetch layout, .xml or .xml.gz) to one clean row per PMID.

The parser streams with lxml.iterparse and clears each article once read, so memory does
not grow with the number of records. It reads what real NCBI output carries (structured
abstracts, MathML and inline markup, CollectiveName authors, MedlineDate, reference lists)
and nothing that only the bundled snapshot has.
"""
from __future__ import annotations

import glob
import hashlib
import gzip
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from lxml import etree

from .tsv import InputError, write_tsv

COLUMNS = [
    "pmid", "doi", "pmcid", "title", "abstract", "journal", "year", "authors", "first_author",
    "language", "publication_types", "mesh_terms", "keywords", "retracted", "erratum",
    "version", "date_revised", "source_file",
]
"""Columns of results/records.tsv. Lists are joined with '; '; MeSH major topics end in '*'."""

LIST_SEP = "; "
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_ARTICLE_TAGS = ("PubmedArticle", "PubmedBookArticle")

def _text(element: etree._Element | None) -> str:
    """All text inside an element (mixed content, MathML, <i>/<sub>) with whitespace folded."""
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())

def _abstract(article: etree._Element) -> str:
    parts = []
    for section in article.iterfind("./Abstract/AbstractText"):
        text = _text(section)
        label = (section.get("Label") or "").strip()
        if label and label.upper() not in ("UNLABELLED", "UNASSIGNED"):
            text = f"{label}: {text}"
        if text:
            parts.append(text)
    return " ".join(parts)

def _year(citation: etree._Element) -> str:
    journal_date = citation.find("./Article/Journal/JournalIssue/PubDate")
    candidates = []
    if journal_date is not None:
        candidates += [journal_date.findtext("Year"), journal_date.findtext("MedlineDate")]
    article_date = citation.find("./Article/ArticleDate")
    if article_date is not None:
        candidates.append(article_date.findtext("Year"))
    for candidate in candidates:
        match = _YEAR.search(candidate or "")
        if match:
            return match.group(1)
    return ""

def _date(element: etree._Element | None) -> str:
    if element is None:
        return ""
    parts = [element.findtext("Year") or "", element.findtext("Month") or "", element.findtext("Day") or ""]
    if not parts[0]:
        return ""
    return "-".join(p.zfill(2) for p in parts if p)

def _authors(article: etree._Element) -> list[str]:
    names = []
    for author in article.iterfind("./AuthorList/Author"):
        collective = _text(author.find("CollectiveName"))
        if collective:
            names.append(collective)
            continue
        last = _text(author.find("LastName"))
        initials = _text(author.find("Initials"))
        if not initials:
            fore = _text(author.find("ForeName"))
            initials = "".join(word[0] for word in fore.replace("-", " ").split() if word)
        if last:
            names.append(f"{last} {initials}".strip())
    return names

def _first_author_surname(article: etree._Element) -> str:
    first = article.find("./AuthorList/Author")
    if first is None:
        return ""
    return _text(first.find("CollectiveName")) or _text(first.find("LastName"))

def _mesh(citation: etree._Element) -> list[str]:
    major_by_term: dict[str, bool] = {}
    for heading in citation.iterfind("./MeshHeadingList/MeshHeading"):
        descriptor = heading.find("DescriptorName")
        if descriptor is None:
            continue
        major = descriptor.get("MajorTopicYN") == "Y" or any(
            q.get("MajorTopicYN") == "Y" for q in heading.iterfind("QualifierName"))
        term = _text(descriptor)
        major_by_term[term] = major_by_term.get(term, False) or major
    return [term + ("*" if major else "") for term, major in major_by_term.items()]

def _article_ids(pubmed_data: etree._Element | None) -> dict[str, str]:
    ids: dict[str, str] = {}
    if pubmed_data is not None:
        # Only the article's own ids: ReferenceList also holds ArticleIdList elements.
        for article_id in pubmed_data.iterfind("./ArticleIdList/ArticleId"):
            ids.setdefault(article_id.get("IdType", ""), _text(article_id))
    return ids

def _comments(citation: etree._Element, ref_type: str) -> list[str]:
    return [_text(c.find("PMID")) or _text(c.find("RefSource"))
            for c in citation.iterfind(f"./CommentsCorrectionsList/CommentsCorrections[@RefType='{ref_type}']")]

def parse_article(element: etree._Element, source_file: str) -> dict[str, str]:
    """One PubmedArticle (or PubmedBookArticle) element as a records.tsv row."""
    if element.tag == "PubmedBookArticle":
        return _parse_book(element, source_file)
    citation = element.find("MedlineCitation")
    article = citation.find("Article")
    pmid_element = citation.find("PMID")
    ids = _article_ids(element.find("PubmedData"))
    doi = ids.get("doi") or next(
        (_text(e) for e in article.iterfind("./ELocationID[@EIdType='doi']")), "")
    publication_types = [_text(p) for p in article.iterfind("./PublicationTypeList/PublicationType")]
    retraction_links = _comments(citation, "RetractionIn")
    journal = _text(article.find("./Journal/ISOAbbreviation")) or _text(article.find("./Journal/Title")) \
        or _text(citation.find("./MedlineJournalInfo/MedlineTA"))
    keywords = [_text(k) for k in citation.iterfind("./KeywordList/Keyword") if _text(k)]
    return {
        "pmid": _text(pmid_element),
        "doi": doi.lower(),
        "pmcid": ids.get("pmc", ""),
        "title": _text(article.find("ArticleTitle")) or _text(article.find("VernacularTitle")),
        "abstract": _abstract(article),
        "journal": journal,
        "year": _year(citation),
        "authors": LIST_SEP.join(_authors(article)),
        "first_author": _first_author_surname(article),
        "language": LIST_SEP.join(_text(lang) for lang in article.iterfind("Language")),
        "publication_types": LIST_SEP.join(publication_types),
        "mesh_terms": LIST_SEP.join(_mesh(citation)),
        "keywords": LIST_SEP.join(keywords),
        "retracted": "yes" if ("Retracted Publication" in publication_types or retraction_links) else "no",
        "erratum": LIST_SEP.join(_comments(citation, "ErratumIn")),
        "version": pmid_element.get("Version", "1"),
        "date_revised": _date(citation.find("DateRevised")),
        "source_file": source_file,
    }

def _parse_book(element: etree._Element, source_file: str) -> dict[str, str]:
    document = element.find("BookDocument")
    book = document.find("Book")
    pmid_element = document.find("PMID")
    ids = _article_ids(element.find("PubmedBookData"))
    title = _text(document.find("ArticleTitle")) or _text(book.find("BookTitle"))
    authors = _authors(document) or _authors(book)
    first = _first_author_surname(document) or _first_author_surname(book)
    return {
        "pmid": _text(pmid_element), "doi": ids.get("doi", "").lower(), "pmcid": ids.get("pmc", ""),
        "title": title, "abstract": _abstract(document), "journal": _text(book.find("BookTitle")),
        "year": (_YEAR.search(_text(book.find("PubDate"))) or [""])[0],
        "authors": LIST_SEP.join(authors), "first_author": first,
        "language": LIST_SEP.join(_text(lang) for lang in document.iterfind("Language")),
        "publication_types": LIST_SEP.join(_text(p) for p in document.iterfind("./PublicationType")),
        "mesh_terms": "", "keywords": LIST_SEP.join(_text(k) for k in document.iterfind("./KeywordList/Keyword")),
        "retracted": "no", "erratum": "", "version": pmid_element.get("Version", "1"),
        "date_revised": _date(document.find("DateRevised")), "source_file": source_file,
    }

def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")

def iter_records(path: str | os.PathLike, source_name: str | None = None) -> Iterator[dict[str, str]]:
    """Stream the records of one PubMed XML file (.xml or .xml.gz).

    A file that is not well-formed XML, or whose root is not a PubmedArticleSet, raises
    InputError naming the file and line.
    """
    path = Path(path)
    name = source_name or path.name
    try:
        with _open(path) as handle:
            context = etree.iterparse(handle, events=("end",), tag=_ARTICLE_TAGS, resolve_entities=False,
                                      load_dtd=False, no_network=True, huge_tree=True)
            for _, element in context:
                parent = element.getparent()
                if parent is None or parent.tag != "PubmedArticleSet":
                    raise InputError(path, element.sourceline, None,
                                     f"<{element.tag}> inside <{getattr(parent, 'tag', None)}>; "
                                     "expected PubMed efetch XML (<PubmedArticleSet>)")
                try:
                    record = parse_article(element, name)
                except (AttributeError, TypeError) as error:
                    raise InputError(path, element.sourceline, element.tag,
                                     f"article lacks a required element ({error})") from error
                if not record["pmid"]:
                    raise InputError(path, element.sourceline, "PMID", "article without a PMID")
                yield record
                element.clear(keep_tail=False)
                while element.getprevious() is not None:
                    del parent[0]
            root = context.root
    except etree.XMLSyntaxError as error:
        line = error.position[0] if error.position else None
        raise InputError(path, line, None, f"malformed XML: {error.msg}") from error
    except (OSError, EOFError) as error:
        raise InputError(path, None, None, f"cannot read file: {error}") from error
    if root is None or root.tag != "PubmedArticleSet":
        raise InputError(path, 1, None, f"root element is <{getattr(root, 'tag', None)}>; "
                                        "expected <PubmedArticleSet> (PubMed efetch XML)")

def resolve_inputs(patterns: str | Iterable[str], base: str | os.PathLike = ".") -> list[Path]:
    """Expand a path or glob (or a list of them) to the sorted, existing XML files it names."""
    if isinstance(patterns, str):
        patterns = [patterns]
    files: set[Path] = set()
    for pattern in patterns:
        full = Path(base, pattern)
        matches = glob.glob(str(full)) if glob.has_magic(str(full)) else ([str(full)] if full.exists() else [])
        if not matches:
            raise InputError(pattern, None, "search.snapshot", "no PubMed XML file matches this path or glob")
        for match in matches:
            candidate = Path(match)
            if candidate.is_dir():
                files.update(p for p in candidate.iterdir() if p.name.endswith((".xml", ".xml.gz")))
            elif candidate.name.endswith((".xml", ".xml.gz")):
                files.add(candidate)
    return sorted(files)

def _newer(candidate: dict[str, str], current: dict[str, str]) -> bool:
    """Whether `candidate` is a later version of the same PMID than `current`.

    Higher PMID Version wins, then the later DateRevised; on a tie the file read later
    (files are read in sorted order, and dated snapshot names sort by date) wins.
    """
    key_new = (int(candidate["version"] or 1), candidate["date_revised"])
    key_old = (int(current["version"] or 1), current["date_revised"])
    return key_new >= key_old

def collect_records(files: Iterable[str | os.PathLike]) -> list[dict[str, str]]:
    """Parse all files; one row per PMID (its latest version), sorted by PMID numerically."""
    latest: dict[str, dict[str, str]] = {}
    for path in files:
        for record in iter_records(path):
            current = latest.get(record["pmid"])
            if current is None or _newer(record, current):
                latest[record["pmid"]] = record
    return [latest[pmid] for pmid in sorted(latest, key=lambda p: (len(p), p))]

def write_records(files: Iterable[str | os.PathLike], output: str | os.PathLike) -> int:
    """Parse `files` into the records table at `output`; returns the number of rows."""
    rows = collect_records(files)
    write_tsv(output, rows, COLUMNS)
    return len(rows)

MANIFEST_COLUMNS = ["path", "sha256"]

def file_sha256(path: str | os.PathLike) -> str:

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

def write_manifest(files: Iterable[str | os.PathLike], output: str | os.PathLike) -> None:
    """The retrieval manifest: the XML files the records stage reads, in order, with checksums."""
    rows = [{"path": str(path), "sha256": file_sha256(path)} for path in files]
    write_tsv(output, rows, MANIFEST_COLUMNS)

def read_manifest(manifest: str | os.PathLike) -> list[Path]:
    """The files a manifest lists; a missing file or changed checksum is an InputError."""
    from .tsv import read_tsv

    files = []
    for row in read_tsv(manifest, required=MANIFEST_COLUMNS):
        path = Path(row["path"])
        if not path.exists():
            raise InputError(manifest, row["_line"], "path", f"listed file {path} does not exist")
        if row["sha256"] and file_sha256(path) != row["sha256"]:
            raise InputError(manifest, row["_line"], "sha256",
                             f"{path} changed since retrieval (checksum differs); rerun the retrieve step")
        files.append(path)
    return files

def configure_cli(parser) -> None:
    parser.add_argument("--manifest", required=True,
                        help="retrieval manifest (TSV with a 'path' column) listing the PubMed XML files")
    parser.add_argument("--out", required=True, help="records table to write (TSV)")

def run_cli(args) -> int:
    files = read_manifest(args.manifest)
    count = write_records(files, args.out)
    print(f"records: {count} unique PMIDs from {len(files)} file(s) -> {args.out}")
    return 0
