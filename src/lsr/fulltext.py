"""Full-text stage: the papers of included records, read into sections, and Table 1 from them.

Where full texts come from:

* PubMed Central open access: records with a PMCID are fetched with Bio.Entrez (efetch
  db=pmc) in batches, through the PubMed path's session, etiquette and retries
  (lsr.retrieval), and each article is kept once as `<data_dir>/fulltext/PMC<n>.xml`
  (immutable; a rerun fetches only what is not stored, so an interrupted run resumes).
* Papers a reviewer supplies: `config/fulltext/fulltexts.tsv` (record_id, file, note) names
  files under `config/fulltext/`: plain text (`.txt`, `.md`), JATS XML (`.xml`, `.nxml`) or PDF.

A paper becomes a `Document`: blocks (headings, paragraphs, table rows with cells as text,
figure and table captions), each with the section it stands in. JATS is parsed with lxml
(articles streamed one at a time): title, abstract, body and floats; references,
acknowledgements and other back matter are left out, and so are the reference list,
acknowledgement, disclosure and funding sections of a plain text or PDF.

Extraction from the paper uses the extraction stage's text engine (lsr.extraction.extract_record)
case by case — case headings ("Case 1", "Patient 2"), a sentence that introduces the next patient
("A 4-year-old girl was diagnosed ...") inside the case reports, rows of a patients table — and
aggregates the cases into the study's row, each value's evidence stating the rule used
(`aggregate_study`). A field the paper does not settle is `unclear`; one it never speaks of is NR.
"""
from __future__ import annotations

import logging
import os
import re
import sys
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .fields import NR, UNCLEAR
from .text import age_mentions, entry_pattern, is_number, load_vocabularies, split_sentences, tokenize
from .tsv import InputError, atomic_write_bytes, read_tsv, write_tsv

log = logging.getLogger("lsr.fulltext")

SUPPLIED_COLUMNS = ["record_id", "file", "note"]
TEXT_SUFFIXES = (".txt", ".md")
XML_SUFFIXES = (".xml", ".nxml")
PDF_SUFFIXES = (".pdf",)
AVAILABILITY_COLUMNS = ["record_id", "pmid", "pmcid", "full_text", "file", "reason"]
VALUE_COLUMNS = ["record_id", "field", "value", "evidence"]
NOT_RETRIEVED = "no PMCID and no supplied file"

# --------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class Block:
    """A unit of a paper: kind is heading, paragraph, table_row or caption; section is the
    path of section titles it stands under (' > ' joined)."""

    kind: str
    text: str
    section: str
    back_matter: bool = False
    cells: tuple[str, ...] = ()


@dataclass
class Document:
    """A paper as blocks in reading order."""

    title: str
    blocks: list[Block]
    source: str = ""

    def own_blocks(self) -> list[Block]:
        """The blocks extraction reads: back matter (competing interests, funding...) left out."""
        return [b for b in self.blocks if not b.back_matter]


def _clean(text: str) -> str:
    return " ".join(text.split())


# Sections that are not the study's own report: kept out of extraction.
_BACK_MATTER = (r"references?|bibliography|literature cited|acknowledge?ments?|disclosures?|funding|"
                r"financial support(?: and sponsorship)?|conflicts? of interests?|competing interests?|"
                r"declarations? of (?:competing )?interests?|author(?:s'|'s)? contributions?|abbreviations|"
                r"this article has been cited by|open access")
_BACK_MATTER_RE = re.compile(rf"^(?:{_BACK_MATTER})\b", re.I)
_ENDS_DOCUMENT_RE = re.compile(r"^(?:references?|bibliography|literature cited)\b", re.I)


# --- JATS ------------------------------------------------------------------------------------------

_JATS_SKIP = {"ref-list", "ack", "fn-group", "glossary", "notes", "sec-meta", "processing-meta",
              "object-id", "graphic", "inline-graphic", "tex-math"}
_JATS_BLOCKS = {"p", "table-wrap", "fig", "list", "disp-quote", "boxed-text", "sec", "disp-formula",
                "def-list", "statement", "supplementary-material", "table-wrap-foot", "fig-group",
                "table-wrap-group", "code", "preformat", "speech", "verse-group", "app", "caption", "title"}


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


class _JatsReader:
    """Walks one <article> element into blocks."""

    def __init__(self):
        self.blocks: list[Block] = []
        self.back_matter = False

    def add(self, kind: str, text: str, section: str, cells: Sequence[str] = ()) -> None:
        text = _clean(text)
        if text:
            self.blocks.append(Block(kind, text, section, self.back_matter, tuple(cells)))

    def inline(self, element, section: str, pending: list) -> str:
        """The text of `element` with inline markup flattened; nested blocks are queued in `pending`."""
        parts = [element.text or ""]
        for child in element:
            name = _local(child.tag)
            if name in _JATS_BLOCKS and name not in ("title",):
                pending.append(child)
            elif name not in _JATS_SKIP and isinstance(child.tag, str):
                parts.append(self.inline(child, section, pending))
            parts.append(child.tail or "")
        return "".join(parts)

    def paragraph(self, element, section: str, kind: str = "paragraph") -> None:
        pending: list = []
        self.add(kind, self.inline(element, section, pending), section)
        for child in pending:
            self.walk(child, section)

    def walk(self, element, section: str) -> None:
        name = _local(element.tag)
        if not name or name in _JATS_SKIP:
            return
        if name in ("sec", "app", "boxed-text"):
            title = element.find("{*}title") if element.find("{*}title") is not None else element.find("title")
            heading = _clean("".join(self.inline(title, section, [])) if title is not None else "")
            label = _clean(element.findtext("label") or "")
            heading = " ".join(filter(None, [label, heading]))
            outer = self.back_matter
            self.back_matter = outer or bool(heading and _BACK_MATTER_RE.match(heading))
            inner = " > ".join(filter(None, [section, heading]))
            if heading:
                self.add("heading", heading, inner)
            for child in element:
                if child is not title and _local(child.tag) != "label":
                    self.walk(child, inner)
            self.back_matter = outer
            return
        if name == "table-wrap":
            self.caption(element, section)
            for table in element.iter("table", "{*}table"):
                for row in table.iter("tr", "{*}tr"):
                    cells = [_clean(self.inline(cell, section, [])) for cell in row if _local(cell.tag) in ("td", "th")]
                    self.add("table_row", " | ".join(cells), section, cells)
            for foot in element.findall("table-wrap-foot"):
                for child in foot:
                    self.walk(child, section)
                if (foot.text or "").strip():
                    self.add("paragraph", foot.text, section)
            return
        if name in ("fig", "supplementary-material", "media"):
            self.caption(element, section)
            for child in element:  # e.g. the <media> of a supplementary file, with its own caption
                if _local(child.tag) not in ("label", "caption"):
                    self.walk(child, section)
            return
        if name in ("p", "disp-formula", "statement", "preformat", "code", "title", "verse-group", "speech"):
            self.paragraph(element, section)
            return
        # containers (list, def-list, disp-quote, fig-group, caption, ...): their text and children
        if (element.text or "").strip():
            self.add("paragraph", element.text, section)
        for child in element:
            self.walk(child, section)
            if (child.tail or "").strip():
                self.add("paragraph", child.tail, section)

    def caption(self, element, section: str) -> None:
        label = _clean(element.findtext("label") or "")
        pending: list = []
        texts = []
        for caption in element.findall("caption"):  # its <title> and <p> are the caption's own text
            texts.append(caption.text or "")
            for child in caption:
                texts.append(self.inline(child, section, pending) + (child.tail or ""))
        self.add("caption", " ".join(filter(None, [label, *texts])), section)
        for child in pending:
            self.walk(child, section)


def jats_document(article, source: str = "") -> Document:
    """A JATS <article> element as a Document: title, abstract(s), body and floats."""
    reader = _JatsReader()
    meta = article.find("front/article-meta")
    title = ""
    if meta is not None:
        title_element = meta.find("title-group/article-title")
        title = _clean(reader.inline(title_element, "", [])) if title_element is not None else ""
        for abstract in meta.findall("abstract"):
            if abstract.get("abstract-type") in ("graphical", "teaser"):
                continue
            heading = _clean(abstract.findtext("title") or "") or "Abstract"
            if abstract.find("title") is not None:
                reader.add("heading", heading, heading)
            for child in abstract:
                if _local(child.tag) != "title":
                    reader.walk(child, heading)
    body = article.find("body")
    if body is not None:
        for child in body:
            reader.walk(child, "")
    floats = article.find("floats-group")
    if floats is not None:
        for child in floats:
            reader.walk(child, "")
    return Document(title, reader.blocks, source)


def iter_jats_articles(source, where: str) -> Iterator[tuple[dict[str, str], Document]]:
    """(article ids {pmc, pmid, doi}, Document) for each <article> of a JATS file or a
    pmc-articleset answer (path or binary handle), one article in memory at a time."""
    context = etree.iterparse(source, events=("end",), tag=("article", "{*}article"), resolve_entities=False,
                              load_dtd=False, no_network=True, huge_tree=True, recover=False)
    try:
        for _, article in context:
            if article.getparent() is not None and _local(article.getparent().tag) not in ("pmc-articleset",):
                continue  # a <sub-article>-like nesting: part of its parent
            ids = {}
            for article_id in article.findall("front/article-meta/article-id"):
                ids.setdefault(article_id.get("pub-id-type", ""), _clean(article_id.text or ""))
            yield ids, jats_document(article, where)
            parent = article.getparent()
            article.clear(keep_tail=False)
            if parent is not None:
                while article.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as error:
        raise InputError(where, None, None, f"not complete JATS XML: {error}") from None


def read_jats(path: str | os.PathLike) -> Document:
    """The single article of a JATS file."""
    articles = [document for _, document in iter_jats_articles(str(path), str(path))]
    if len(articles) != 1:
        raise InputError(path, None, None, f"{len(articles)} <article> elements; expected exactly one")
    return articles[0]


# --- plain text and PDF ----------------------------------------------------------------------------

_CASE_WORDS = r"(?:\d+|[IVX]+|one|two|three|four|five|six|seven|eight|nine|ten|first|second|third|fourth|fifth)"
CASE_HEADING_RE = re.compile(rf"^(?:case|patient)(?:\s+(?:report|presentation|description))?\s+(?:no\.?\s*)?"
                             rf"(?P<n>{_CASE_WORDS})\b\s*[:.)\-–]?\s*", re.I)
_SECTION_NAMES_RE = re.compile(
    r"^(?:abstract|summary|introduction|background|case (?:reports?|presentations?|descriptions?|histor(?:y|ies)|"
    r"series)|(?:patients?|materials?|subjects) and methods|methods?|results?|discussion|conclusions?|"
    r"patients|cases|subjects|participants|"
    rf"keywords?|declaration of patient consent|learning points?|{_BACK_MATTER})$", re.I)
_MARKUP_HEADING_RE = re.compile(r"^\s*(?:#{1,6}\s*)?(?:\*\*)?(?P<title>[^*#].*?)(?:\*\*)?\s*$")
_WEB_TOP_RE = re.compile(r"\s+Top$")
_LEADING_LABEL_RE = re.compile(r"^\*\*(?P<label>[^*]{2,40})\*\*\s+(?P<rest>\S.*)$", re.S)


def _heading_text(line: str) -> str | None:
    """The heading a line of plain text is, or None for running text."""
    stripped = line.strip()
    markdown = stripped.startswith("#")
    if not stripped or len(stripped) > (200 if markdown else 80):
        return None
    title = _MARKUP_HEADING_RE.match(stripped)["title"].strip().strip("*").strip()
    title = _WEB_TOP_RE.sub("", title)
    case = CASE_HEADING_RE.match(title)
    if case:
        rest = title[case.end():].strip()
        # 'Case 1', 'Case 2: calcinosis and ulcers'; 'Case 3: A girl was treated.' is running text.
        if not rest or (len(title) <= 60 and not re.search(r"[.!?]$", rest)):
            return title
    if _SECTION_NAMES_RE.match(title.rstrip(":")):
        return title.rstrip(":")
    if markdown or (stripped.startswith("**") and stripped.endswith("**")):
        return title
    return None


def _paragraphs(lines: Sequence[str]) -> list[str]:
    """Running lines as paragraphs: a blank line ends one, and so does a sentence end on a line
    clearly shorter than the block's longest (layout of a PDF's text, which has no blank lines)."""
    paragraphs, current = [], []
    width = max((len(line.strip()) for line in lines), default=0)
    for line in lines:
        stripped = line.strip()
        if not stripped:
            if current:
                paragraphs.append(current)
                current = []
            continue
        current.append(stripped)
        if width >= 40 and len(stripped) < 0.75 * width and re.search(r"[.!?:]['\")\]]?$", stripped):
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return [_join_lines(p) for p in paragraphs]


def _join_lines(lines: Sequence[str]) -> str:
    text = ""
    for line in lines:
        if text.endswith("-") and re.match(r"[a-z]", line) and not re.search(r"\d-$|\s-$", text):
            text = text[:-1] + line  # a word hyphenated at the line end
        else:
            text = f"{text} {line}" if text else line
    return text


def text_document(text: str, source: str = "") -> Document:
    """Plain text (a text copy of a paper, Markdown, or a PDF's extracted text) as a Document.

    Headings are Markdown or bold lines, known section names, and case headings ('Case 1');
    everything after a reference-list heading, and back-matter sections (acknowledgements,
    disclosures, funding, ...), is left out.
    """
    blocks: list[Block] = []
    title = ""
    section, skipping = "", False
    pending: list[str] = []

    def flush():
        for paragraph in _paragraphs(pending):
            label = _LEADING_LABEL_RE.match(paragraph)
            where = section
            if label and _SECTION_NAMES_RE.match(label["label"].strip()):
                if _BACK_MATTER_RE.match(label["label"].strip()):
                    continue
                where, paragraph = label["label"].strip(), label["rest"]
            paragraph = re.sub(r"\*\*|<sup>|</sup>", "", paragraph)
            if not skipping:
                blocks.append(Block("paragraph", _clean(paragraph), where))
        pending.clear()

    for line in text.splitlines():
        heading = _heading_text(line)
        if heading is None:
            pending.append(line)
            continue
        flush()
        if _ENDS_DOCUMENT_RE.match(heading):
            break
        skipping = bool(_BACK_MATTER_RE.match(heading))
        if not title and not blocks_in_sections(blocks) and not CASE_HEADING_RE.match(heading) \
                and not _SECTION_NAMES_RE.match(heading):
            title = heading
        if CASE_HEADING_RE.match(heading) and section and not CASE_HEADING_RE.match(section.split(" > ")[-1]):
            section = f"{section} > {heading}"
        elif CASE_HEADING_RE.match(heading) and " > " in section:
            section = f"{section.rsplit(' > ', 1)[0]} > {heading}"
        else:
            section = heading
        if not skipping:
            blocks.append(Block("heading", heading, section))
    else:
        flush()
    return Document(title, blocks, source)


def blocks_in_sections(blocks: Sequence[Block]) -> bool:
    """Whether any paragraph stands under a known section name (the front matter is over)."""
    return any(block.kind == "paragraph" and _SECTION_NAMES_RE.match(block.section.split(" > ")[0])
               for block in blocks)


def read_pdf_text(path: str | os.PathLike) -> str:
    """The text of a PDF, page after page (pypdf)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(str(path))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as error:  # what a damaged PDF raises
        raise InputError(path, None, None, f"not a readable PDF: {error}") from None


def read_document(path: str | os.PathLike) -> Document:
    """A supplied paper by its suffix: plain text, JATS XML or PDF."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in XML_SUFFIXES:
        return read_jats(path)
    if suffix in PDF_SUFFIXES:
        return text_document(read_pdf_text(path), str(path))
    if suffix in TEXT_SUFFIXES:
        try:
            return text_document(path.read_text(encoding="utf-8-sig"), str(path))
        except UnicodeDecodeError as error:
            raise InputError(path, None, None, f"not UTF-8 text (byte {error.start}); save it as UTF-8") from None
    raise InputError(path, None, None, f"unknown kind of file; expected one of "
                                       f"{', '.join(TEXT_SUFFIXES + XML_SUFFIXES + PDF_SUFFIXES)}")


# --------------------------------------------------------------------------- cases

_PERSONS = {"boy", "girl", "male", "female", "child", "patient", "adolescent", "infant", "toddler", "teenager", "man",
            "woman"}
_ORDINALS = {"first", "second", "third", "fourth", "fifth", "next", "other", "last"}


def introduces_patient(sentence: str) -> bool:
    """Whether a sentence introduces a patient: 'A 4-year-old girl was diagnosed ...', 'Case 2: an
    8-year-old boy ...', 'The second patient, an 8-year-old boy, ...' (the text layer's '-year-old'
    age mention, then who the patient is)."""
    tokens = tokenize(sentence)
    words = [t.norm for t in tokens]
    i = 0
    if words[:1] in (["case"], ["patient"]) and len(words) > 1 and (
            is_number(words[1]) or words[1] in _ORDINALS or re.fullmatch(r"[ivx]+", words[1])):
        i = 2
    if words[i:i + 1] in (["a"], ["an"], ["1"]):
        i += 1
    elif words[i:i + 1] == ["the"] and words[i + 1:i + 2] and words[i + 1] in _ORDINALS and \
            words[i + 2:i + 3] in (["patient"], ["case"], ["child"]):
        i += 3 + (words[i + 3:i + 4] == ["was"])
        i += words[i:i + 1] in (["a"], ["an"])
    else:
        return False
    return any(age.first == i and age.old and len(age.years) == 1 and _PERSONS & set(words[age.last + 1:age.last + 4])
               for age in age_mentions(tokens, sentence))


# Sections that hold the study's own cases (not 'Discussion', 'Introduction', the abstract).
_CASE_SECTION_RE = re.compile(r"\bcases?\b|\bpatients?\b|\bclinical (?:description|history|course|presentation)\b|"
                              r"\bpresentation\b", re.I)
_NOT_CASE_SECTION_RE = re.compile(r"^(?:abstract|summary|introduction|background|discussion|conclusions?|"
                                  r"learning points?|keywords?|declarations?|consent|ethic\w*)\b", re.I)
# A table of published patients (a literature review) is not the study's own.
_LITERATURE_TABLE_RE = re.compile(r"\bliterature\b|\bpublished\b|\bprevious(?:ly)?\b|\breported\b|\breview\b", re.I)
_PATIENT_COLUMN_RE = re.compile(r"^(?:patients?|case|pt|no\.?|#|subject)\b", re.I)


@dataclass
class Case:
    """One patient's description: where it comes from and its text."""

    label: str
    section: str
    paragraphs: list[str] = field(default_factory=list)
    introduced: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.paragraphs)


def _is_case_section(section: str) -> bool:
    parts = [p for p in section.split(" > ") if p]
    if not parts or _NOT_CASE_SECTION_RE.match(parts[0]):
        return False
    return any(CASE_HEADING_RE.match(p) or _CASE_SECTION_RE.search(p) for p in parts)


def split_cases(document: Document) -> list[Case]:
    """The patients the paper describes one by one, in order.

    A case starts at a case heading ('Case 1', 'Patient 2', an inline 'Case 3:'), or, inside
    a case section, at a sentence that introduces another patient; a single-patient section
    ('Case presentation') is one case when it introduces a patient. Without such descriptions,
    the rows of a patients table (first column the patient or case) are the cases. Text outside
    case sections belongs to no case.
    """
    cases: list[Case] = []
    current: Case | None = None
    for block in document.own_blocks():
        if block.kind == "heading":
            heading = CASE_HEADING_RE.match(block.text)
            current = Case(block.text, block.section) if heading else None
            if current:
                cases.append(current)
            continue
        if block.kind != "paragraph" or not _is_case_section(block.section):
            if block.kind == "paragraph":
                current = None
            continue
        text = block.text
        inline = CASE_HEADING_RE.match(text)
        if inline and re.search(r"[:.)\-–]\s*$", inline.group(0)):
            current = Case(text[:inline.end()].strip(" :.)-–"), block.section)
            cases.append(current)
            text = text[inline.end():]
        if current is None:
            current = Case(block.section.split(" > ")[-1], block.section)
            cases.append(current)
        sentences: list[str] = []
        for sentence in split_sentences(text):
            if introduces_patient(sentence):
                if current.introduced:
                    if sentences:
                        current.paragraphs.append(" ".join(sentences))
                        sentences = []
                    number = 1 + sum(1 for c in cases if c.introduced or CASE_HEADING_RE.match(c.label))
                    current = Case(f"patient {number}", block.section)
                    cases.append(current)
                current.introduced = True
            sentences.append(sentence)
        if sentences:
            current.paragraphs.append(" ".join(sentences))
    # A section without case headings holds cases only when its text introduces a patient.
    cases = [case for case in cases if case.paragraphs and (case.introduced or CASE_HEADING_RE.match(case.label))]
    # A patients table beside case descriptions summarises the same patients: the descriptions are read.
    return cases or table_cases(document)


def table_cases(document: Document) -> list[Case]:
    """Rows of patients tables as cases: each cell becomes a sentence the text engine reads
    ('Age (years): 8' -> 'The patient was aged 8 years.'). A table whose caption speaks of the
    literature or published patients is not the study's own."""
    cases: list[Case] = []
    header: list[str] | None = None
    caption = ""
    for block in document.own_blocks():
        if block.kind == "caption":
            header, caption = None, block.text
            continue
        if _LITERATURE_TABLE_RE.search(caption):
            continue
        if block.kind != "table_row":
            header = None
            continue
        cells = list(block.cells)
        if header is None:
            header = cells if len(cells) >= 2 and _PATIENT_COLUMN_RE.match(cells[0]) else []
            continue
        if not header or len(cells) != len(header) or not cells[0]:
            continue
        sentences = [s for s in (_cell_sentence(h, c) for h, c in zip(header[1:], cells[1:])) if s]
        if sentences:
            label = f"{caption.split('.')[0] or 'Table'}, {header[0].lower()} {cells[0]}"
            cases.append(Case(label, block.section, [" ".join(sentences)], True))
    return cases


def _cell_sentence(header: str, cell: str) -> str:
    """One patients-table cell as a sentence of the kind the text engine reads."""
    h, c = header.lower(), cell.strip()
    if not c or c in ("-", "–", "NA", "NR", "n/a"):
        return ""
    if re.search(r"\bage\b", h) and re.fullmatch(r"\d+(?:\.\d+)?", c):
        return f"The patient was aged {c} {'months' if 'month' in h else 'years'}."
    if re.search(r"\bsex\b|\bgender\b", h):
        sex = {"m": "boy", "male": "boy", "boy": "boy", "f": "girl", "female": "girl", "girl": "girl"}.get(c.lower())
        return f"The patient was a {sex}." if sex else ""
    if re.search(r"\bprior\b|\bprevious\w*|\bbefore\b|\bearlier\b", h):
        return f"Before tacrolimus the patient had received {c}."
    if re.search(r"\bdose\b|\btrough\b|\blevels?\b", h):
        return f"Tacrolimus {h} {c}."
    if re.search(r"\broute\b", h):
        return f"Tacrolimus was given {c}."
    if re.search(r"follow", h):
        unit = next((u for u in ("years", "weeks", "days") if u[:-1] in h), "months")
        return f"The patient was followed up for {c}{'' if re.search('[a-z]', c) else ' ' + unit} after tacrolimus."
    if re.search(r"adverse|side effect|toxicit", h):
        return "No adverse events of tacrolimus were observed." if c.lower() in ("none", "no", "nil") else \
            f"Adverse events of tacrolimus: {c} developed."
    return f"{header} after tacrolimus: {c}."


# --------------------------------------------------------------------------- extraction from the paper

_LABEL_CHARS_RE = re.compile(r"[^A-Z0-9 ,&/()\-]+")


def _label(section: str) -> str:
    """A section path as the upper-case `LABEL:` the text engine reads; the innermost title wins."""
    name = section.split(" > ")[-1] if section else "TEXT"
    label = " ".join(_LABEL_CHARS_RE.sub(" ", name.upper()).split())[:60]
    return label if len(label) >= 3 and label[0].isalpha() else f"SECTION {label}".strip()


def _labelled(paragraphs: Iterable[tuple[str, str]]) -> str:
    """(section, text) pairs as abstract text with `LABEL: text` sections."""
    parts = []
    for section, text in paragraphs:
        text = text.strip()
        if text and not re.search(r"[.!?]['\")\]]?$", text):
            text += "."
        parts.append(f"{_label(section)}: {text}")
    return " ".join(parts)


def _locate(sentence: str, blocks: Sequence[tuple[str, str]]) -> str:
    """'<section>: <sentence>' for an evidence sentence, naming the section it stands in."""
    probe = " ".join(sentence.split())[:80]
    for section, text in blocks:
        if probe and probe in " ".join(text.split()):
            return f"{section or 'text'}: {sentence}"
    return sentence


_CITATION_RE = re.compile(r"\s?\[\d+(?:\s*[–\-,]\s*\d+)*\](?:,?\s?\[\d+(?:\s*[–\-,]\s*\d+)*\])*")
_CITATION_AFTER_END_RE = re.compile(r"([.!?])((?:\[\d+(?:\s*[–\-,]\s*\d+)*\],?)+)")
_TACROLIMUS_RE = re.compile(entry_pattern([load_vocabularies().entry("drugs.tacrolimus")]), re.I)


def _without_citations(text: str) -> str:
    """Running text without numbered citation marks ('... disorders.[9] No ...'), which hide sentence ends."""
    return _CITATION_RE.sub("", text)


def _own_statements(text: str) -> str:
    """A paragraph without its sentences that cite references: those speak of other studies."""
    text = _CITATION_AFTER_END_RE.sub(r"\2\1", text)  # 'disorders.[9] No' -> 'disorders[9]. No'
    return " ".join(sentence for sentence in split_sentences(text) if not _CITATION_RE.search(sentence))


@dataclass(frozen=True)
class Value:
    """A value and the sentences it was read from (the shape of the text engine's findings)."""

    value: str
    evidence: list[str]


@dataclass
class CaseFindings:
    """A case and its Table 1 fields ({field: object with .value and .evidence})."""

    case: Case
    findings: Mapping[str, object]


def _case_parts(case: Case) -> tuple[str, str]:
    """A case's history (before its first tacrolimus mention) and its course (from that mention on)."""
    text = _without_citations(case.text)
    start = _TACROLIMUS_RE.search(text)
    if not start:
        return text, ""
    return text[:start.start()], text[start.start():]


def _history_treatments(history: str) -> tuple[set[str], list[str]]:
    """Drugs a case's history names before tacrolimus is started, and the sentences naming them."""
    from .extraction import drug_mentions
    codes, evidence = set(), []
    for sentence in split_sentences(history):
        found = {code for _, _, code in drug_mentions(sentence)} - {"stem cell transplantation"}
        if found:
            codes |= found
            evidence.append(sentence)
    return codes, evidence


def _patient_sentences(text: str) -> str:
    """The sentences of a case that give the patient's age: the one introducing the patient and those
    about tacrolimus (age at its start); other ages in a case (a parent's, a sibling's) are not hers."""
    sentences = split_sentences(text)
    if not any(introduces_patient(s) for s in sentences):
        return ""  # no sentence introduces the patient (a table row): the whole case is read
    return " ".join(s for s in sentences if introduces_patient(s) or _TACROLIMUS_RE.search(s))


def read_case(case: Case) -> CaseFindings:
    """The text engine on one case: who the patient is from the whole case (the age from the
    sentence introducing the patient and those about tacrolimus), what followed tacrolimus from
    the course only, and prior treatments from the history (every drug the narrative names
    before tacrolimus, with what the engine reads as prior)."""
    from .extraction import extract_record

    history, course = _case_parts(case)
    whole = extract_record({"title": "", "abstract": _labelled([(case.label, history + course)]),
                            "publication_types": "Case Reports", "first_author": "", "year": ""})
    about_patient = _patient_sentences(history + course)
    if about_patient:
        ages = extract_record({"title": "", "abstract": _labelled([(case.label, about_patient)]),
                               "publication_types": "Case Reports", "first_author": "", "year": ""})
    after = extract_record({"title": "", "abstract": _labelled([(case.label, course)]) if course else "",
                            "publication_types": "Case Reports", "first_author": "", "year": ""})
    findings = dict(whole)
    for name in ("followup_months", "skin_outcome", "muscle_outcome", "steroid_sparing", "adverse_events"):
        findings[name] = after[name]
    if about_patient:
        findings["age_min"], findings["age_max"] = ages["age_min"], ages["age_max"]
    codes, evidence = _history_treatments(history)
    engine = whole["prior_treatments"]
    if engine.value not in (NR, "none", UNCLEAR):
        codes |= set(engine.value.split(";"))
        evidence += [e for e in engine.evidence if e not in evidence]
    if codes:
        findings["prior_treatments"] = Value(";".join(sorted(codes)), evidence)
    elif course and engine.value == NR and history.strip():
        findings["prior_treatments"] = Value("none", ["the case names no drug before tacrolimus"])
    return CaseFindings(case, findings)


def paper_findings(record: Mapping[str, str], document: Document) -> dict[str, tuple[str, list[str]]]:
    """Table 1 fields of one study from its paper: {field: (value, evidence)}.

    Each case is read on its own (`read_case`); the paper's own sections outside the cases
    (abstract, results, discussion; back matter is not in the document) give the study-level
    statements, together with each case's course for outcomes; `aggregate_study` combines them.
    """
    from .extraction import extract_record

    cases = split_cases(document)
    case_sections = {case.section for case in cases}
    paper = [(b.section, _own_statements(b.text)) for b in document.own_blocks()
             if b.kind != "heading" and b.section not in case_sections]
    courses = [(case.section, _case_parts(case)[1]) for case in cases]
    base = {**record, "title": record.get("title") or document.title}
    study = dict(extract_record({**base, "abstract": _labelled(paper + courses)}))
    if cases:
        # Follow-up is the paper's statement outside the cases (each case's is aggregated apart).
        study["followup_months"] = extract_record({**base, "abstract": _labelled(paper)})["followup_months"]
    blocks = [(b.section, _without_citations(b.text)) for b in document.own_blocks() if b.kind != "heading"]
    return aggregate_study(study, [read_case(case) for case in cases], blocks)


def _value(finding) -> str:
    return getattr(finding, "value", NR) or NR


def _evidence(finding, blocks, prefix: str = "") -> list[str]:
    return [prefix + _locate(sentence, blocks) for sentence in getattr(finding, "evidence", [])]


def _case_evidence(cases: Sequence[CaseFindings], name: str) -> list[str]:
    items = []
    for c in cases:
        value = _value(c.findings[name])
        sentences = getattr(c.findings[name], "evidence", [])
        if value != NR:
            items.append(f"{c.case.label} ({c.case.section}): {value}: " + " / ".join(sentences))
        else:
            items.append(f"{c.case.label} ({c.case.section}): not stated")
    return items


_NUMBER_RE = re.compile(r"^\d+(?:\.\d+)?$")
_RANGE_RE = re.compile(r"^\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?$")


def _number(text: str) -> float:
    return float(text)


def _range_ends(value: str) -> tuple[float, float]:
    low, _, high = value.partition("-")
    return float(low), float(high or low)


def _format(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def aggregate_study(study: Mapping[str, object], cases: Sequence[CaseFindings],
                    blocks: Sequence[tuple[str, str]]) -> dict[str, tuple[str, list[str]]]:
    """The study's row from its cases and its study-level statements; every value's evidence
    starts with the rule that made it. `unclear` where cases and statements do not settle it."""
    out: dict[str, tuple[str, list[str]]] = {}
    k = len(cases)

    def study_level(name: str, rule: str = "study-level statement of the paper") -> tuple[str, list[str]]:
        finding = study[name]
        value = _value(finding)
        return value, ([f"rule: {rule}"] + _evidence(finding, blocks)) if value != NR else []

    def from_cases(name: str) -> list[str]:
        return [_value(c.findings[name]) for c in cases]

    out["study"] = (_value(study["study"]), list(getattr(study["study"], "evidence", [])))

    # patients: the cases, checked against the paper's own count
    stated = _value(study["n_patients"])
    if k:
        if stated not in (NR, str(k)):
            out["n_patients"] = (UNCLEAR, [f"rule: the paper describes {k} case(s) one by one but states {stated} "
                                           "patients", *_evidence(study["n_patients"], blocks)])
        else:
            agree = "; the paper's own count agrees" if stated == str(k) else ""
            out["n_patients"] = (str(k), [f"rule: {k} case(s) described one by one{agree}: "
                                          + ", ".join(c.case.label for c in cases),
                                          *_evidence(study["n_patients"], blocks)])
    else:
        out["n_patients"] = study_level("n_patients")

    design, design_evidence = study_level("design")
    if k == 1 and design in (NR, "case report", "case series"):
        design, design_evidence = "case report", ["rule: one patient described (case report)"]
    elif k >= 2 and design in (NR, "case report", "case series") and out["n_patients"][0] == str(k):
        design, design_evidence = "case series", [f"rule: {k} patients described one by one (case series)"]
    out["design"] = (design, design_evidence)

    # ages: youngest and oldest of the cases; every case must give one
    if k:
        ages = [(_value(c.findings["age_min"]), _value(c.findings["age_max"])) for c in cases]
        if all(_NUMBER_RE.match(low) and low == high for low, high in ages):
            numbers = [_number(low) for low, _ in ages]
            evidence = ["rule: youngest and oldest of the cases' ages (at tacrolimus start where the case "
                        "gives it, else as reported, at diagnosis)", *_case_evidence(cases, "age_min")]
            out["age_min"] = (_format(min(numbers)), evidence)
            out["age_max"] = (_format(max(numbers)), evidence)
        else:
            missing = [c.case.label for c, (low, high) in zip(cases, ages) if not _NUMBER_RE.match(low) or low != high]
            evidence = [f"rule: every case must give one age; not settled for {', '.join(missing)}",
                        *_case_evidence(cases, "age_min")]
            out["age_min"] = out["age_max"] = (UNCLEAR, evidence)
    else:
        out["age_min"], out["age_max"] = study_level("age_min"), study_level("age_max")

    # boys and girls: each case one sex
    if k:
        sexes = []
        for c in cases:
            m, f = _value(c.findings["sex_m"]), _value(c.findings["sex_f"])
            sexes.append("m" if (m, f) in (("1", "0"), ("1", NR)) else "f" if (m, f) in (("0", "1"), (NR, "1")) else "")
        if all(sexes):
            counts = Counter(sexes)
            evidence = ["rule: boys and girls counted over the cases",
                        *(f"{c.case.label}: {'boy' if s == 'm' else 'girl'}" for c, s in zip(cases, sexes))]
            out["sex_m"], out["sex_f"] = (str(counts["m"]), evidence), (str(counts["f"]), evidence)
        else:
            missing = [c.case.label for c, s in zip(cases, sexes) if not s]
            out["sex_m"] = out["sex_f"] = (UNCLEAR, [f"rule: every case must give its sex; not settled for "
                                                    f"{', '.join(missing)}"])
    else:
        out["sex_m"], out["sex_f"] = study_level("sex_m"), study_level("sex_f")

    # prior treatments: the union over the cases
    values = from_cases("prior_treatments")
    if k and all(v not in (NR, UNCLEAR) for v in values):
        codes = sorted({code for v in values if v != "none" for code in v.split(";")})
        value = ";".join(codes) if codes else "none"
        out["prior_treatments"] = (value, ["rule: union of the cases' treatments before tacrolimus",
                                           *_case_evidence(cases, "prior_treatments")])
    elif k and any(v != NR for v in values):
        out["prior_treatments"] = (UNCLEAR, ["rule: union of the cases' treatments before tacrolimus; not every "
                                             "case names them", *_case_evidence(cases, "prior_treatments")])
    else:
        out["prior_treatments"] = study_level("prior_treatments")

    # route: every statement (cases and paper) must agree
    route, route_evidence = study_level("tacrolimus_route")
    stated_routes = {v for v in from_cases("tacrolimus_route") if v != NR} | ({route} if route != NR else set())
    routes = {part for v in stated_routes for part in v.split("; ")}
    if stated_routes and routes <= {"intravenous", "oral"}:
        value = "; ".join(sorted(routes))
        out["tacrolimus_route"] = (value, ["rule: the routes the paper and its cases give, together",
                                           *route_evidence[1:], *[e for e in _case_evidence(cases, "tacrolimus_route")
                                                                  if "not stated" not in e]])
    elif stated_routes:
        out["tacrolimus_route"] = (UNCLEAR, ["rule: the routes the paper and its cases give, together; not "
                                             "settled: " + ", ".join(sorted(stated_routes)), *route_evidence[1:],
                                             *_case_evidence(cases, "tacrolimus_route")])
    else:
        out["tacrolimus_route"] = (NR, [])

    # dose: the doses and troughs the cases report, else the paper's
    doses = list(dict.fromkeys(v for v in from_cases("tacrolimus_dose") if v != NR))
    if UNCLEAR in doses:
        out["tacrolimus_dose"] = (UNCLEAR, ["rule: the doses and target troughs the cases report; not settled "
                                            "for every case", *_case_evidence(cases, "tacrolimus_dose")])
    elif doses:
        out["tacrolimus_dose"] = ("; ".join(doses), ["rule: the doses and target troughs the cases report",
                                                     *[e for e in _case_evidence(cases, "tacrolimus_dose")
                                                       if "not stated" not in e]])
    else:
        out["tacrolimus_dose"] = study_level("tacrolimus_dose")

    # follow-up: range over the cases, or the paper's range when the cases' lie inside it
    values = from_cases("followup_months")
    paper_value, paper_evidence = study_level("followup_months", "the paper's follow-up statement outside the "
                                                                 "cases, which holds every case's follow-up")
    given = [_range_ends(v) for v in values if _RANGE_RE.match(v)]
    if not _RANGE_RE.match(paper_value):
        paper_value, paper_evidence = NR, []
    if not k:
        out["followup_months"] = study_level("followup_months")
    elif UNCLEAR in values:
        out["followup_months"] = (UNCLEAR, ["rule: range of the cases' follow-up; not settled for every case",
                                            *_case_evidence(cases, "followup_months")])
    elif given and len(given) == k:
        low, high = min(g[0] for g in given), max(g[1] for g in given)
        out["followup_months"] = (_format(low) if low == high else f"{_format(low)}-{_format(high)}",
                                  ["rule: range of the cases' follow-up after tacrolimus start",
                                   *_case_evidence(cases, "followup_months")])
    elif paper_value != NR and all(_range_ends(paper_value)[0] <= g[0] and g[1] <= _range_ends(paper_value)[1]
                                   for g in given):
        out["followup_months"] = (paper_value, paper_evidence + [e for e in _case_evidence(cases, "followup_months")
                                                                 if "not stated" not in e])
    elif given:
        out["followup_months"] = (UNCLEAR, ["rule: range of the cases' follow-up; not every case states it",
                                            *_case_evidence(cases, "followup_months"), *paper_evidence[1:]])
    else:
        out["followup_months"] = (NR, [])

    # study-level outcomes, checked against every case that states one
    for name, compatible in (("skin_outcome", _outcome_compatible), ("muscle_outcome", _outcome_compatible),
                             ("steroid_sparing", lambda study_value, case_value: study_value == case_value),
                             ("adverse_events", _events_compatible)):
        value, evidence = study_level(name, "the study-level result over the paper's own sections (cases, "
                                            "results, discussion of its patients), consistent with each case")
        case_values = [(c, v) for c, v in zip(cases, from_cases(name)) if v != NR]
        if value == NR and case_values:
            value, evidence = _combine_cases(name, cases, [v for _, v in case_values])
        elif value != NR:
            against = [c.case.label for c, v in case_values if not compatible(value, v)]
            if against:
                value = UNCLEAR
                evidence = [f"rule: the study-level result does not hold for {', '.join(against)}", *evidence[1:]]
            evidence += _case_evidence(cases, name)
        out[name] = (value, evidence)
    return out


def _outcome_compatible(study_value: str, case_value: str) -> bool:
    """A case agrees with the study's outcome: the same, or resolved in a study summarised as improved."""
    return case_value == study_value or (study_value == "improved" and case_value == "resolved")


def _events_compatible(study_value: str, case_value: str) -> bool:
    if study_value == "none" or case_value == "none":
        return study_value == case_value
    return set(case_value.split("; ")) <= set(study_value.split("; "))


def _combine_cases(name: str, cases: Sequence[CaseFindings], values: Sequence[str]) -> tuple[str, list[str]]:
    """A study-level value from the cases alone, when the paper states none: every case must state it."""
    evidence = _case_evidence(cases, name)
    if len(values) < len(cases):
        return UNCLEAR, [f"rule: no study-level statement and not every case states {name}", *evidence]
    distinct = set(values)
    if len(distinct) == 1:
        return values[0], [f"rule: every case: {values[0]}", *evidence]
    if name.endswith("_outcome") and distinct == {"resolved", "improved"}:
        return "improved", ["rule: resolved in some cases, improved in the others: improved", *evidence]
    if name == "adverse_events" and "none" not in distinct:
        events = sorted({e for v in values for e in v.split("; ")})
        return "; ".join(events), ["rule: the events the cases name", *evidence]
    return UNCLEAR, [f"rule: the cases differ ({', '.join(sorted(distinct))})", *evidence]


# --------------------------------------------------------------------------- supplied papers


def read_supplied(path: str | os.PathLike, records: Iterable[Mapping[str, str]],
                  seen: Collection[str] = ()) -> dict[str, Path]:
    """config/fulltext/fulltexts.tsv: {record_id: file}. Each row names a known record (PMID digits,
    doi:..., ris:...) and a file in the folder of the TSV or below it, of a kind `read_document`
    reads; one file per record. Every problem is reported at once (InputErrors naming file, line
    and field). Rows about records the review has `seen` but this run lacks are left out
    (reviewers.applicable_rows)."""
    from .checks import check_known, check_unique, record_lookup, require_value
    from .reviewers import applicable_rows, read_reviewer_file
    from .tsv import Problems

    path = Path(path)
    lookup = record_lookup(records)
    problems = Problems()
    rows = [{**row, "pmid": row["record_id"]} for row in read_reviewer_file(path, SUPPLIED_COLUMNS)]
    with problems.check():
        rows = applicable_rows(path, rows, lookup, seen=seen)
    problems.raise_any()
    supplied: dict[str, Path] = {}
    checked = []
    for row in rows:
        with problems.check():
            record_id = check_known(path, row, "record_id", lookup, "PMID or record id (not in the records)")
            name = require_value(path, row, "file", "a file name under " + str(path.parent))
            _check_paper(path, row["_line"], name)
            supplied[record_id] = path.parent / name
            checked.append({**row, "record_id": record_id})
    with problems.check():
        check_unique(path, checked, ["record_id"])
    problems.raise_any()
    return supplied


def _check_paper(path: Path, line: int, name: str) -> None:
    """A supplied paper: in the folder of `path` (or below), present, and of a kind read_document reads."""
    target = (path.parent / name).resolve()
    if path.parent.resolve() not in target.parents:
        raise InputError(path, line, "file", f"{name!r} is outside {path.parent}; put the paper in that folder")
    if not target.is_file():
        raise InputError(path, line, "file", f"{name!r} not found in {path.parent}")
    kinds = TEXT_SUFFIXES + XML_SUFFIXES + PDF_SUFFIXES
    if target.suffix.lower() not in kinds:
        raise InputError(path, line, "file", f"{name!r}: expected a {', '.join(kinds)} file")


# --------------------------------------------------------------------------- PubMed Central


def _pmcid(value: str) -> str:
    """'PMC123', '123' -> 'PMC123'; '' stays ''."""
    value = value.strip().upper()
    return value if not value or value.startswith("PMC") else f"PMC{value}"


def stored_article(store: Path, pmcid: str) -> Path:
    return store / f"{_pmcid(pmcid)}.xml"


def fetch_pmc(pmcids: Sequence[str], settings, store: str | os.PathLike, batch_size: int = 20) -> dict[str, str]:
    """Fetch from PubMed Central (efetch db=pmc, XML) the articles not yet in `store`.

    Uses the PubMed path's Entrez session (rate limit, retries with backoff, the configured
    E-utilities URL). Each article is written as `<store>/PMC<n>.xml` as soon as its batch has
    arrived and parsed, and never replaced, so a failed run resumes where it stopped. Returns
    {pmcid: why not retrieved} for articles PMC did not return or returned without a body (the
    publisher does not allow the full text as XML).
    """
    from Bio import Entrez

    from .ncbi import RetrievalError, call, entrez_session

    store = Path(store)
    wanted = sorted({_pmcid(p) for p in pmcids if p} - {p.stem for p in store.glob("PMC*.xml")},
                    key=lambda p: int(p[3:]))
    missing: dict[str, str] = {}
    if not wanted:
        return missing
    with entrez_session(settings):
        batches = -(-len(wanted) // batch_size)
        for number, start in enumerate(range(0, len(wanted), batch_size), start=1):
            batch = wanted[start:start + batch_size]
            where = f"NCBI efetch db=pmc, batch {number} of {batches} ({', '.join(batch)})"
            body = call(Entrez.efetch, where, settings, db="pmc", id=",".join(p[3:] for p in batch), retmode="xml")
            articles = parse_pmc_answer(body, where)
            for pmcid in batch:
                article = articles.get(pmcid)
                if article is None:
                    missing[pmcid] = "PMC returned no article"
                elif b"<body" not in article:
                    missing[pmcid] = "PMC returned no full text (the publisher does not allow it as XML)"
                else:
                    target = stored_article(store, pmcid)
                    if not target.exists():
                        atomic_write_bytes(target, b'<?xml version="1.0" encoding="UTF-8"?>\n' + article + b"\n")
            unexpected = sorted(set(articles) - set(batch))
            if unexpected:
                raise RetrievalError(where, f"articles not asked for: {', '.join(unexpected)}")
            log.info("%s: %d stored, %d without full text", where, len(batch) - len(set(batch) & set(missing)),
                     len(set(batch) & set(missing)))
    return missing


def parse_pmc_answer(body: bytes, where: str) -> dict[str, bytes]:
    """An efetch db=pmc answer as {PMCID: article XML}; an <ERROR> or incomplete XML raises."""
    from .ncbi import RetrievalError

    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as error:
        raise RetrievalError(where, f"not complete XML ({error}); nothing from it was kept") from None
    errors = [_clean("".join(e.itertext())) for e in root.iter("ERROR")]
    if errors or _local(root.tag) not in ("pmc-articleset", "article"):
        raise RetrievalError(where, f"NCBI reported an error: {'; '.join(errors)}" if errors else
                             f"root element <{_local(root.tag)}>; expected <pmc-articleset>")
    articles = {}
    for article in ([root] if _local(root.tag) == "article" else root.findall("article")):
        ids = {a.get("pub-id-type"): _clean(a.text or "") for a in article.findall("front/article-meta/article-id")}
        pmcid = _pmcid(ids.get("pmc") or ids.get("pmcid") or "")
        if not pmcid:
            raise RetrievalError(where, f"an <article> without a PMC id (line {article.sourceline})")
        articles[pmcid] = etree.tostring(article, encoding="UTF-8", xml_declaration=False, with_tail=False)
    return articles


# --------------------------------------------------------------------------- the stage


def find_full_texts(sought: Sequence[Mapping[str, str]], supplied: Mapping[str, Path], store: Path,
                    not_retrieved: Mapping[str, str] = {}) -> list[dict[str, str]]:
    """One availability row per record sought: a supplied paper first, else the stored PMC article."""
    rows = []
    for record in sought:
        record_id, pmcid = record["record_id"], _pmcid(record.get("pmcid", ""))
        row = {"record_id": record_id, "pmid": record.get("pmid", ""), "pmcid": pmcid, "full_text": "no",
               "file": "", "reason": ""}
        if record_id in supplied:
            row.update(full_text="yes", file=str(supplied[record_id]))
        elif pmcid and stored_article(store, pmcid).exists():
            row.update(full_text="yes", file=str(stored_article(store, pmcid)))
        elif pmcid:
            row["reason"] = not_retrieved.get(pmcid, f"{pmcid} is not in {store} (fetched when fulltext.pmc is on)")
        else:
            row["reason"] = NOT_RETRIEVED
        rows.append(row)
    return rows


def configure_cli(parser) -> None:
    from .ncbi import add_eutils_options

    parser.add_argument("--records", required=True, help="unique records (results/unique_records.tsv)")
    parser.add_argument("--screening", required=True, help="screening decisions (results/screening.tsv)")
    parser.add_argument("--supplied", required=True, help="papers reviewers supply (config/fulltext/fulltexts.tsv)")
    parser.add_argument("--store", default="data/fulltext", help="PMC articles kept between runs (data/fulltext)")
    parser.add_argument("--pmc", action="store_true", help="fetch the PMC articles not yet stored (live NCBI)")
    add_eutils_options(parser, batch_size=20, what="articles")
    parser.add_argument("--availability", required=True, help="TSV to write: full text per record sought")
    parser.add_argument("--values", required=True, help="TSV to write: Table 1 values read from the full texts")
    parser.add_argument("--cases", required=True, help="TSV to write: the cases each paper describes")
    parser.add_argument("--history", help="the review's history (data/history): rows about records it has seen "
                                          "but this run does not hold are skipped, not errors")


def run_cli(args) -> int:
    logging.basicConfig(level=logging.INFO, format="fulltext: %(message)s", stream=sys.stderr)
    records = read_tsv(args.records, required=["record_id", "pmid", "pmcid", "title", "abstract", "year",
                                               "first_author", "publication_types"])
    screening = read_tsv(args.screening, required=["record_id", "decision"])
    from .state import recorded_record_ids

    supplied = read_supplied(args.supplied, records, recorded_record_ids(args.history))
    included = {row["record_id"] for row in screening if row["decision"] == "include"}
    sought = [record for record in records if record["record_id"] in included]
    store = Path(args.store)
    not_retrieved: dict[str, str] = {}
    if args.pmc:
        from .ncbi import NcbiSettings

        settings = NcbiSettings(email=os.environ.get("NCBI_EMAIL", ""), api_key=os.environ.get("NCBI_API_KEY", ""),
                                eutils_url=args.eutils_url, max_tries=args.max_tries,
                                backoff_seconds=args.backoff_seconds, timeout_seconds=args.timeout_seconds)
        pmcids = [r["pmcid"] for r in sought if r.get("pmcid") and r["record_id"] not in supplied]
        not_retrieved = fetch_pmc(pmcids, settings, store, args.batch_size)
    availability = find_full_texts(sought, supplied, store, not_retrieved)
    values, cases = [], []
    by_id = {record["record_id"]: record for record in records}
    for row in availability:
        if row["full_text"] != "yes":
            continue
        document = read_document(row["file"])
        for case in split_cases(document):
            cases.append({"record_id": row["record_id"], "case": case.label, "section": case.section,
                          "text": case.text})
        for name, (value, evidence) in paper_findings(by_id[row["record_id"]], document).items():
            values.append({"record_id": row["record_id"], "field": name, "value": value,
                           "evidence": " | ".join(evidence)})
    write_tsv(args.availability, availability, AVAILABILITY_COLUMNS)
    write_tsv(args.values, values, VALUE_COLUMNS)
    write_tsv(args.cases, cases, ["record_id", "case", "section", "text"])
    found = sum(row["full_text"] == "yes" for row in availability)
    print(f"fulltext: {len(sought)} report(s) sought, {found} full text(s) ({len(supplied)} supplied), "
          f"{len(sought) - found} not retrieved; {len(cases)} case(s) read -> {args.values}")
    for row in availability:
        if row["full_text"] != "yes":
            print(f"not retrieved: {row['record_id']}: {row['reason']}")
    return 0
