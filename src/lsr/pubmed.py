"""PubMed XML (efetch layout, .xml or .xml.gz): one clean row per article, and the manifest of the
files a search gave. Below the stages: the retrieval stage writes manifests and counts articles,
the records stage reads them.

iter_records streams one file with lxml.iterparse and clears each article once read, so its
memory does not grow with the number of records. The parser reads what real NCBI output carries
(structured abstracts, MathML and inline markup, entities, CollectiveName authors,
MedlineDate, CommentsCorrections, reference lists, book articles) and nothing that only the
bundled snapshot has. Element children are walked directly rather than with find(): on
lxml that is several times faster (see bench/records_bench.py).
"""
from __future__ import annotations

import contextlib
import glob
import hashlib
import gzip
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .tsv import InputError, read_tsv, write_tsv

COLUMNS = [
    "pmid", "doi", "pmcid", "title", "abstract", "journal", "year", "volume", "issue", "pages", "authors", "first_author",
    "language", "publication_types", "mesh_terms", "keywords", "retracted", "erratum",
    "version", "date_revised", "source_file",
]
"""Columns of results/records.tsv. Lists are joined with '; '; MeSH major topics end in '*'."""

LIST_SEP = "; "
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_ARTICLE_TAGS = ("PubmedArticle", "PubmedBookArticle")
_MATHML = "{http://www.w3.org/1998/Math/MathML}"
_MATH_TAGS = (_MATHML + "math", "math")
_MATH_TOKENS = frozenset(("mi", "mn", "mo", "ms", "mtext"))
# Over/under-scripts that only decorate their base (the dot of V̇O2): dropped from the linear text.
_MATH_ACCENTS = frozenset(".˙¨¯^ˆ~˜→⃗‾´`")
_UNLABELLED = ("", "UNLABELLED", "UNASSIGNED")


class _MissingElement(LookupError):
    """An element PubMed XML always has (MedlineCitation, PMID, Article) is absent."""


def _text(element: etree._Element | None) -> str:
    """All text inside an element (mixed content, <i>/<sub>, MathML) with whitespace folded."""
    if element is None:
        return ""
    if not len(element):
        text = element.text
        if not text:
            return ""
    elif next(element.iter(*_MATH_TAGS), None) is None:
        text = etree.tostring(element, method="text", encoding="unicode", with_tail=False)
    else:
        text = _mixed_text(element)
    # Fold whitespace runs (any Unicode space or line break) to one space. Texts are usually clean
    # already, and checking is several times cheaper than split/join on long abstracts.
    # XML 1.0 allows no ASCII control characters other than tab, LF and CR.
    if text.isascii():
        clean = "\n" not in text and "\t" not in text and "\r" not in text
    else:
        clean = text.isprintable()  # False for any whitespace other than the ASCII space
    if clean and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def _mixed_text(node: etree._Element) -> str:
    parts = [node.text or ""]
    for child in node:
        if child.tag in _MATH_TAGS:
            parts.append(_math_text(child))
        elif isinstance(child.tag, str):
            parts.append(_mixed_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _math_text(node: etree._Element) -> str:
    """MathML as linear text in reading order ('3He', 'VO2max'), without its layout whitespace."""
    name = etree.QName(node).localname
    if name in _MATH_TOKENS:
        return "".join(node.itertext())
    if name in ("annotation", "annotation-xml"):
        return ""
    children = [child for child in node if isinstance(child.tag, str)]
    if name == "semantics":
        children = children[:1]
    elif name == "mmultiscripts":
        names = [etree.QName(child).localname for child in children]
        if "mprescripts" in names:
            split = names.index("mprescripts")
            children = children[split + 1:] + children[:split]
    elif name in ("mover", "munder") and len(children) == 2 \
            and _math_text(children[1]).strip() in _MATH_ACCENTS:
        children = children[:1]
    elif name == "mfrac" and len(children) == 2:
        return f"{_math_text(children[0])}/{_math_text(children[1])}"
    elif name == "msqrt":
        return "√" + "".join(_math_text(child) for child in children)
    return "".join(_math_text(child) for child in children)


def _abstract(abstract: etree._Element | None) -> str:
    """Sections as 'LABEL: text' joined by spaces; unlabelled sections as plain text."""
    if abstract is None:
        return ""
    parts = []
    for section in abstract:
        if section.tag != "AbstractText":
            continue
        text = _text(section)
        label = " ".join((section.get("Label") or "").split())
        if text:
            parts.append(text if label.upper() in _UNLABELLED else f"{label}: {text}")
    return " ".join(parts)


def _date(element: etree._Element | None) -> str:
    """A Year/Month/Day element as YYYY-MM-DD (shorter when parts are missing); '' without a year."""
    if element is None:
        return ""
    parts = {child.tag: (child.text or "").strip() for child in element}
    if not parts.get("Year"):
        return ""
    return "-".join(parts[key].zfill(2) for key in ("Year", "Month", "Day") if parts.get(key))


def _pub_year(pub_date: etree._Element | None) -> str:
    """The year of a PubDate: its Year, else the first year in MedlineDate ('1998 Dec-1999 Jan')."""
    if pub_date is None:
        return ""
    for child in pub_date:
        if child.tag in ("Year", "MedlineDate"):
            match = _YEAR.search(child.text or "")
            if match:
                return match.group(1)
    return ""


def _authors(author_lists: list[etree._Element]) -> tuple[list[str], str]:
    """('Surname Initials' or collective names, first author's surname) from AuthorList elements.

    Editor lists and authors PubMed marks invalid (ValidYN="N", superseded spellings) are skipped.
    """
    names, first = [], ""
    for author_list in author_lists:
        if author_list.get("Type") == "editors":
            continue
        for author in author_list:
            if author.tag != "Author" or author.get("ValidYN") == "N":
                continue
            last = initials = fore = collective = ""
            for part in author:
                tag = part.tag
                if tag == "LastName":
                    last = _text(part)
                elif tag == "Initials":
                    initials = _text(part)
                elif tag == "ForeName":
                    fore = _text(part)
                elif tag == "CollectiveName":
                    collective = _text(part)
            if collective:
                names.append(collective)
                last = collective
            elif last:
                initials = initials or "".join(word[0] for word in fore.replace("-", " ").split())
                names.append(f"{last} {initials}" if initials else last)
            else:
                continue
            first = first or last
    return names, first


def _mesh(heading_list: etree._Element) -> list[str]:
    """Descriptor names in order, each once, with '*' when it or one of its qualifiers is a major topic."""
    major_by_term: dict[str, bool] = {}
    for heading in heading_list:
        term, major = "", False
        for part in heading:  # DescriptorName, then QualifierName*: only they carry MajorTopicYN
            if part.get("MajorTopicYN") == "Y":
                major = True
            if part.tag == "DescriptorName":
                term = _text(part)
        if term:
            major_by_term[term] = major_by_term.get(term, False) or major
    return [term + ("*" if major else "") for term, major in major_by_term.items()]


def _article_ids(id_list: etree._Element | None, ids: dict[str, str]) -> None:
    """Add an ArticleIdList's ids to `ids` by IdType (first one of each type wins)."""
    if id_list is not None:
        for article_id in id_list:
            if article_id.tag == "ArticleId":
                ids.setdefault(article_id.get("IdType", ""), _text(article_id))


def _doi(value: str) -> str:
    """A DOI in lower case (DOIs are case-insensitive) without 'doi:' or resolver prefixes."""
    value = value.strip().lower()
    if value.startswith("10."):
        return value
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:"):
        if value.startswith(prefix):
            return value[len(prefix):].strip()
    return value


def parse_article(element: etree._Element, source_file: str) -> dict[str, str]:
    """One PubmedArticle (or PubmedBookArticle) element as a records.tsv row.

    Only the article's own ids count: ArticleIdList elements inside ReferenceList or
    CommentsCorrections belong to other articles. Raises _MissingElement when the article
    lacks MedlineCitation, PMID or Article.
    """
    if element.tag == "PubmedBookArticle":
        return _parse_book(element, source_file)
    citation = None
    ids: dict[str, str] = {}
    for part in element:
        if part.tag == "MedlineCitation":
            citation = part
        elif part.tag == "PubmedData":
            for id_list in part:
                if id_list.tag == "ArticleIdList":
                    _article_ids(id_list, ids)
    if citation is None:
        raise _MissingElement("MedlineCitation")
    pmid = article = journal_info = None
    date_revised = ""
    mesh: list[str] = []
    keywords: list[str] = []
    retractions: list[str] = []
    errata: list[str] = []
    for part in citation:
        tag = part.tag
        if tag == "PMID":
            pmid = part
        elif tag == "Article":
            article = part
        elif tag == "DateRevised":
            date_revised = _date(part)
        elif tag == "MeshHeadingList":
            mesh = _mesh(part)
        elif tag == "KeywordList":
            keywords += [keyword for keyword in map(_text, part) if keyword]
        elif tag == "MedlineJournalInfo":
            journal_info = part
        elif tag == "CommentsCorrectionsList":
            for link in part:
                ref_type = link.get("RefType")
                if ref_type in ("RetractionIn", "ErratumIn"):
                    target = _text(link.find("PMID")) or _text(link.find("RefSource"))
                    (retractions if ref_type == "RetractionIn" else errata).append(target)
    if pmid is None:
        raise _MissingElement("PMID")
    if article is None:
        raise _MissingElement("Article")

    title = vernacular_title = iso_abbreviation = journal_title = year = article_year = ""
    volume = issue = pages = ""
    abstract = None
    author_lists, languages, publication_types, elocation_dois = [], [], [], []
    for part in article:
        tag = part.tag
        if tag == "Journal":
            for field in part:
                if field.tag == "ISOAbbreviation":
                    iso_abbreviation = _text(field)
                elif field.tag == "Title":
                    journal_title = _text(field)
                elif field.tag == "JournalIssue":
                    year = next((_pub_year(date) for date in field if date.tag == "PubDate"), "")
                    volume = _text(field.find("Volume"))
                    issue = _text(field.find("Issue"))
        elif tag == "ArticleTitle":
            title = _text(part)
        elif tag == "Pagination":
            pages = _text(part.find("MedlinePgn"))
        elif tag == "VernacularTitle":
            vernacular_title = _text(part)
        elif tag == "Abstract":
            abstract = part
        elif tag == "AuthorList":
            author_lists.append(part)
        elif tag == "Language":
            languages.append(_text(part))
        elif tag == "PublicationTypeList":
            publication_types = [_text(publication_type) for publication_type in part]
        elif tag == "ELocationID":
            if part.get("EIdType") == "doi" and part.get("ValidYN") != "N":
                elocation_dois.append(_text(part))
        elif tag == "ArticleDate" and not article_year:
            article_year = _date(part)[:4]
    authors, first_author = _authors(author_lists)
    return {
        "pmid": _text(pmid),
        "doi": _doi(ids.get("doi") or next(iter(elocation_dois), "")),
        "pmcid": ids.get("pmc", ""),
        "title": title or vernacular_title,
        "abstract": _abstract(abstract),
        "journal": iso_abbreviation or journal_title or _text(
            journal_info.find("MedlineTA") if journal_info is not None else None),
        "year": year or article_year,
        "volume": volume, "issue": issue, "pages": pages,
        "authors": LIST_SEP.join(authors),
        "first_author": first_author,
        "language": LIST_SEP.join(languages),
        "publication_types": LIST_SEP.join(publication_types),
        "mesh_terms": LIST_SEP.join(mesh),
        "keywords": LIST_SEP.join(keywords),
        "retracted": "yes" if ("Retracted Publication" in publication_types or retractions) else "no",
        "erratum": LIST_SEP.join(errata),
        "version": (pmid.get("Version") or "1").strip(),
        "date_revised": date_revised,
        "source_file": source_file,
    }


def _parse_book(element: etree._Element, source_file: str) -> dict[str, str]:
    """A PubmedBookArticle (NCBI Bookshelf chapter or book) as a records.tsv row."""
    document = element.find("BookDocument")
    book = document.find("Book") if document is not None else None
    pmid = document.find("PMID") if document is not None else None
    if pmid is None or book is None:
        raise _MissingElement("BookDocument/PMID" if pmid is None else "BookDocument/Book")
    ids: dict[str, str] = {}
    _article_ids(document.find("ArticleIdList"), ids)
    _article_ids(element.find("PubmedBookData/ArticleIdList"), ids)
    authors, first_author = _authors(document.findall("AuthorList"))
    if not authors:
        authors, first_author = _authors(book.findall("AuthorList"))
    publication_types = [_text(p) for p in document.iterfind("PublicationType")]
    return {
        "pmid": _text(pmid),
        "doi": _doi(ids.get("doi", "")),
        "pmcid": ids.get("pmc", ""),
        "title": _text(document.find("ArticleTitle")) or _text(book.find("BookTitle")),
        "abstract": _abstract(document.find("Abstract")),
        "journal": _text(book.find("BookTitle")),
        "year": _pub_year(book.find("PubDate")),
        "authors": LIST_SEP.join(authors),
        "first_author": first_author,
        "language": LIST_SEP.join(_text(language) for language in document.iterfind("Language")),
        "publication_types": LIST_SEP.join(publication_types),
        "mesh_terms": "",
        "keywords": LIST_SEP.join(k for k in map(_text, document.iterfind("KeywordList/Keyword")) if k),
        "retracted": "yes" if "Retracted Publication" in publication_types else "no",
        "erratum": "",
        "version": (pmid.get("Version") or "1").strip(),
        "date_revised": _date(document.find("DateRevised")),
        "source_file": source_file,
    }


def _open(path: Path):
    return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")


class _DigestReader:
    """A binary file whose bytes, as they are read, also go to a hashlib digest."""

    def __init__(self, handle, digest) -> None:
        self.handle, self.digest = handle, digest

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


@contextlib.contextmanager
def _reading(path: Path, digest=None) -> Iterator:
    """`path` opened for parsing (gunzipped if .gz); with `digest`, every byte of the file, read to
    its end once the parsing succeeded, also goes to `digest`."""
    with open(path, "rb") as raw:
        source = raw if digest is None else _DigestReader(raw, digest)
        yield gzip.GzipFile(fileobj=source, mode="rb") if path.name.endswith(".gz") else source
        while digest is not None and source.read(1 << 20):
            pass


_PARSE_OPTIONS = dict(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=True)


def _root_tag(path: Path) -> str:
    """The root element's name, read from the start of the file only."""
    with _open(path) as handle:
        for _, root in etree.iterparse(handle, events=("start",), **_PARSE_OPTIONS):
            return root.tag
    return ""


@contextlib.contextmanager
def _parse_errors(path: Path) -> Iterator[None]:
    """XML and file errors as InputErrors naming the file (and the line, for XML)."""
    try:
        yield
    except etree.XMLSyntaxError as error:
        line = max(error.position[0], 1) if error.position else None
        raise InputError(path, line, None, f"malformed XML: {error.msg}") from error
    except (OSError, EOFError, zlib.error) as error:
        raise InputError(path, None, None, f"cannot read file: {error}") from error


def _pubmed_articles(path: Path, digest=None) -> Iterator[etree._Element]:
    """The article elements of one PubMed XML file, in order (see iter_records); the caller clears
    each one (_forget) before it asks for the next."""
    root_tag = _root_tag(path)
    if root_tag != "PubmedArticleSet":
        raise InputError(path, 1, None, f"root element is <{root_tag}>; expected <PubmedArticleSet> "
                                        "(PubMed efetch XML, db=pubmed, retmode=xml)")
    with _reading(path, digest) as handle:
        for _, element in etree.iterparse(handle, events=("end",), tag=_ARTICLE_TAGS, **_PARSE_OPTIONS):
            parent = element.getparent()
            if parent is None or parent.tag != "PubmedArticleSet":
                raise InputError(path, element.sourceline, None,
                                 f"<{element.tag}> inside <{getattr(parent, 'tag', None)}>; "
                                 "expected it directly under <PubmedArticleSet>")
            yield element


def _forget(element: etree._Element) -> None:
    """Empty an article element read and drop it and the ones before it from the tree."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    while element.getprevious() is not None:
        del parent[0]


def iter_records(path: str | os.PathLike, source_name: str | None = None, digest=None) -> Iterator[dict[str, str]]:
    """Stream the records of one PubMed efetch XML file (.xml or .xml.gz), in file order.

    Each article element is cleared and detached once read, so memory stays flat however
    large the file. A file that is not well-formed XML, is not PubMed XML (root other than
    <PubmedArticleSet>), or has an article without a usable PMID raises InputError naming
    the file and line. With `digest` (a hashlib object), the file's bytes go to it as they
    are read: once the last record is out, it holds the whole file's checksum.
    """
    path = Path(path)
    name = source_name or path.name
    with _parse_errors(path):
        for element in _pubmed_articles(path, digest):
            try:
                record = parse_article(element, name)
            except _MissingElement as missing:
                raise InputError(path, element.sourceline, str(missing),
                                 f"<{element.tag}> lacks <{missing}>") from None
            if not record["pmid"].isdigit():
                raise InputError(path, element.sourceline, "PMID",
                                 f"PMID {record['pmid']!r} is not a number")
            if not record["version"].isdigit():
                raise InputError(path, element.sourceline, "PMID Version",
                                 f"Version {record['version']!r} is not a number")
            _forget(element)
            yield record


def iter_pmids(path: str | os.PathLike, digest=None) -> Iterator[str]:
    """The PMIDs of one PubMed XML file's articles, in file order, the rest of each article unread
    (what counting records needs: several times faster than iter_records). Errors and `digest`
    as in iter_records; an article without a numeric PMID raises InputError."""
    path = Path(path)
    with _parse_errors(path):
        for element in _pubmed_articles(path, digest):
            holder = element.find("MedlineCitation" if element.tag == "PubmedArticle" else "BookDocument")
            pmid = _text(holder.find("PMID")) if holder is not None else ""
            if not pmid.isdigit():
                raise InputError(path, element.sourceline, "PMID", f"PMID {pmid!r} is not a number")
            _forget(element)
            yield pmid


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
        found = set()
        for match in matches:
            candidate = Path(match)
            if candidate.is_dir():
                found.update(p for p in candidate.iterdir() if p.name.endswith((".xml", ".xml.gz")))
            elif candidate.name.endswith((".xml", ".xml.gz")):
                found.add(candidate)
        if not found:
            raise InputError(pattern, None, "search.snapshot",
                             "names no PubMed XML file (.xml or .xml.gz), only other files or an empty folder")
        files |= found
    return sorted(files)


MANIFEST_COLUMNS = ["path", "sha256"]


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(files: Iterable[str | os.PathLike], output: str | os.PathLike,
                   checksums: Iterable[str] | None = None) -> None:
    """The retrieval manifest: the XML files the records stage reads, in order, with checksums
    (the files' sha256, computed here unless given in the files' order)."""
    files = list(files)
    checksums = list(checksums) if checksums is not None else [file_sha256(path) for path in files]
    rows = [{"path": str(path), "sha256": checksum} for path, checksum in zip(files, checksums, strict=True)]
    write_tsv(output, rows, MANIFEST_COLUMNS)


@dataclass(frozen=True)
class ListedFile:
    """A file of the retrieval manifest: its path, recorded sha256 ('' = unchecked) and manifest line."""

    path: Path
    sha256: str
    manifest: str
    line: int

    def changed(self) -> InputError:
        return InputError(self.manifest, self.line, "sha256",
                          f"{self.path} changed since retrieval (checksum differs); rerun the retrieve step")

    def records(self) -> Iterator[dict[str, str]]:
        """iter_records of the file, checking its checksum in the same read: InputError (changed)
        after the last record when it differs, or instead of a parse error it explains."""
        if not self.sha256:
            yield from iter_records(self.path)
            return
        digest = hashlib.sha256()
        try:
            yield from iter_records(self.path, digest=digest)
        except InputError:
            if file_sha256(self.path) != self.sha256:
                raise self.changed() from None
            raise
        if digest.hexdigest() != self.sha256:
            raise self.changed()


def list_manifest(manifest: str | os.PathLike) -> list[ListedFile]:
    """The files a manifest lists, in order (relative paths are from the working directory); a
    missing file is an InputError naming the manifest line. Checksums are not checked here."""
    files = []
    for row in read_tsv(manifest, required=MANIFEST_COLUMNS):
        path = Path(row["path"])
        if not row["path"] or not path.is_file():
            raise InputError(manifest, row["_line"], "path", f"listed file {row['path']!r} does not exist")
        files.append(ListedFile(path, row["sha256"].lower(), str(manifest), row["_line"]))
    return files


def read_manifest(manifest: str | os.PathLike) -> list[Path]:
    """The files a manifest lists, in order (relative paths are from the working directory).

    A missing file or one whose checksum differs from the recorded sha256 is an InputError
    naming the manifest line; an empty sha256 cell skips the check.
    """
    files = list_manifest(manifest)
    for listed in files:
        if listed.sha256 and file_sha256(listed.path) != listed.sha256:
            raise listed.changed()
    return [listed.path for listed in files]
