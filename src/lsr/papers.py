"""Papers as documents, and the patients they describe.

A paper becomes a `Document`: blocks (headings, paragraphs, table rows with cells as text,
figure and table captions), each with the section it stands in. JATS is parsed with lxml
(articles streamed one at a time): title, abstract, body and floats; references,
acknowledgements and other back matter are left out, and so are the reference list,
acknowledgement, disclosure and funding sections of a plain text or PDF. A citation of the
literature is written as a bracketed number ('[12]', what extraction reads as citing another study):
in JATS every <xref ref-type="bibr">, in text a superscript that cannot be anything else (a PDF's
superscripts are the numbers set smaller than the page's text and attached to the word before).

`split_cases` finds the patients a paper describes one by one: case headings ("Case 1",
"Patient 2"), a sentence that introduces the next patient ("A 4-year-old girl was diagnosed ...")
inside the case reports, else the rows of a patients table. The full-text stage lists them
(results/fulltext/cases.tsv); the extraction stage reads Table 1 from them.
"""
from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .text import age_mentions, is_number, scan, split_sentences
from .tsv import InputError

TEXT_SUFFIXES = (".txt", ".md")
XML_SUFFIXES = (".xml", ".nxml")
PDF_SUFFIXES = (".pdf",)

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


def clean_text(text: str) -> str:
    """Text with runs of white space as one space, trimmed."""
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


def local_name(tag) -> str:
    """An XML tag without its namespace ('' for comments and processing instructions)."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""


# A citation of the literature (<xref ref-type="bibr">, rendered as superscript, brackets,
# parentheses or author-year) becomes the bracketed number a plain text shows ('[12]'), which the
# extraction stage reads as a sentence citing other studies: a numbered citation is written as its
# numbers, in the brackets around it if any ('(12)' and superscript 12 as '[12]'); an author-year
# citation keeps its text and gets its reference's number after it ('Smith 2010[4]'; it stays unmarked
# only when the article lacks the reference it points to). While an element is flattened, a citation
# number stands between these two marks (XML text cannot hold them).
_CITE_OPEN, _CITE_CLOSE = "\x01", "\x02"
_CITATION_NUMBERS_RE = re.compile(r"\d+(?:\s*[–\-,]\s*\d+)*")
_CITE = f"{_CITE_OPEN}[^{_CITE_CLOSE}]*{_CITE_CLOSE}"
_CITE_RUN = rf"{_CITE}(?:\s*[,;–\-]?\s*{_CITE})*"
_CITE_RUN_RE = re.compile(rf"\(\s*({_CITE_RUN})\s*\)|\[\s*({_CITE_RUN})\s*\]|({_CITE_RUN})")


def _citation_marks(text: str) -> str:
    """Flattened text with its citation numbers as bracketed marks, a run of them as one mark
    ('[3-5]', '[2,7]'), the brackets or parentheses around the run its own."""
    def mark(run: re.Match) -> str:
        parts = re.split(f"[{_CITE_OPEN}{_CITE_CLOSE}]", next(filter(None, run.groups())))
        return "[" + "".join(re.sub(r"\s+", "", part).replace(";", ",") for part in parts) + "]"
    return _CITE_RUN_RE.sub(mark, text)


def _reference_numbers(article) -> dict[str, str]:
    """{id: number} of the article's references: the reference's label if it is a number, else its
    position in the reference list."""
    numbers = {}
    for position, reference in enumerate(article.iter("ref", "{*}ref"), 1):
        label = clean_text(reference.findtext("label") or "").strip(".[]()")
        if reference.get("id"):
            numbers[reference.get("id")] = label if label.isdigit() else str(position)
    return numbers


class _JatsReader:
    """Walks one <article> element into blocks; `references` numbers the article's references by id."""

    def __init__(self, references: dict[str, str] | None = None):
        self.blocks: list[Block] = []
        self.back_matter = False
        self.references = references or {}

    def add(self, kind: str, text: str, section: str, cells: Sequence[str] = ()) -> None:
        text = clean_text(text)
        if text:
            self.blocks.append(Block(kind, text, section, self.back_matter, tuple(cells)))

    def inline(self, element, section: str, pending: list) -> str:
        """The text of `element` with inline markup flattened and citations as bracketed numbers;
        nested blocks are queued in `pending`."""
        return _citation_marks(self.flatten(element, section, pending))

    def flatten(self, element, section: str, pending: list) -> str:
        parts = [element.text or ""]
        for child in element:
            name = local_name(child.tag)
            if name in _JATS_BLOCKS and name not in ("title",):
                pending.append(child)
            elif name == "xref" and child.get("ref-type") == "bibr":
                parts.append(self.citation(child))
            elif name not in _JATS_SKIP and isinstance(child.tag, str):
                parts.append(self.flatten(child, section, pending))
            parts.append(child.tail or "")
        return "".join(parts)

    def citation(self, xref) -> str:
        """A citation, its number(s) between the citation marks ('Smith 2010' + its reference's)."""
        text = "".join(xref.itertext())
        numbers = _CITATION_NUMBERS_RE.search(text)
        if numbers and text[:numbers.start()].strip() in ("", "[", "(") and text[numbers.end():].strip() in ("", "]", ")"):
            return f"{text[:numbers.start()]}{_CITE_OPEN}{numbers.group()}{_CITE_CLOSE}{text[numbers.end():]}"
        number = self.references.get((xref.get("rid") or "").split(" ")[0])
        return f"{text}{_CITE_OPEN}{number}{_CITE_CLOSE}" if number else text

    def paragraph(self, element, section: str, kind: str = "paragraph") -> None:
        pending: list = []
        self.add(kind, self.inline(element, section, pending), section)
        for child in pending:
            self.walk(child, section)

    def walk(self, element, section: str) -> None:
        name = local_name(element.tag)
        if not name or name in _JATS_SKIP:
            return
        if name in ("sec", "app", "boxed-text"):
            title = element.find("{*}title") if element.find("{*}title") is not None else element.find("title")
            heading = clean_text("".join(self.inline(title, section, [])) if title is not None else "")
            label = clean_text(element.findtext("label") or "")
            heading = " ".join(filter(None, [label, heading]))
            outer = self.back_matter
            self.back_matter = outer or bool(heading and _BACK_MATTER_RE.match(heading))
            inner = " > ".join(filter(None, [section, heading]))
            if heading:
                self.add("heading", heading, inner)
            for child in element:
                if child is not title and local_name(child.tag) != "label":
                    self.walk(child, inner)
            self.back_matter = outer
            return
        if name == "table-wrap":
            self.caption(element, section)
            for table in element.iter("table", "{*}table"):
                for row in table.iter("tr", "{*}tr"):
                    cells = [clean_text(self.inline(cell, section, [])) for cell in row if local_name(cell.tag) in ("td", "th")]
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
                if local_name(child.tag) not in ("label", "caption"):
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
        label = clean_text(element.findtext("label") or "")
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
    reader = _JatsReader(_reference_numbers(article))
    meta = article.find("front/article-meta")
    title = ""
    if meta is not None:
        title_element = meta.find("title-group/article-title")
        title = clean_text(reader.inline(title_element, "", [])) if title_element is not None else ""
        for abstract in meta.findall("abstract"):
            if abstract.get("abstract-type") in ("graphical", "teaser"):
                continue
            heading = clean_text(abstract.findtext("title") or "") or "Abstract"
            if abstract.find("title") is not None:
                reader.add("heading", heading, heading)
            for child in abstract:
                if local_name(child.tag) != "title":
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
            if article.getparent() is not None and local_name(article.getparent().tag) not in ("pmc-articleset",):
                continue  # a <sub-article>-like nesting: part of its parent
            ids = {}
            for article_id in article.findall("front/article-meta/article-id"):
                ids.setdefault(article_id.get("pub-id-type", ""), clean_text(article_id.text or ""))
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


# A superscript that can only be a citation: a list or range of numbers ('<sup>3,5</sup>', '<sup>2-4</sup>'),
# or one number after a punctuation mark ('disease.<sup>12</sup>'); 'm<sup>2</sup>' and
# 'kg<sup>-1</sup>' are units.
_SUPERSCRIPT_CITATION_RE = re.compile(r"([.,;:]?)<sup>\s*(\d+(?:\s*[–\-,]\s*\d+)+|(?<=[.,;:]<sup>)\d+)\s*</sup>")


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
            paragraph = re.sub(r"\*\*|<sup>|</sup>", "", _SUPERSCRIPT_CITATION_RE.sub(r"\1[\2]", paragraph))
            if not skipping:
                blocks.append(Block("paragraph", clean_text(paragraph), where))
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


# Numbers a superscript may hold: one, or a list or range ('12', '3,5', '2-4').
_SUPERSCRIPT_NUMBERS_RE = re.compile(r"\d+(?:\s*[,\u2013\-]\s*\d+)*")
_SUPERSCRIPT_SCALE = 0.85
"""A superscript is set at most this fraction of the size most of its page's text is set in."""


def _page_text(page) -> str:
    """A page's text (pypdf), its superscript numbers marked <sup>...</sup>: numbers set smaller than
    most of the page's text, right after a character that is not a space. The marks are left out
    if the pieces pypdf reports do not make up the text it extracts."""
    pieces: list[tuple[str, float]] = []

    def visit(text, cm, tm, font, size) -> None:
        scale = (abs(cm[0] * cm[3] - cm[1] * cm[2]) * abs(tm[0] * tm[3] - tm[1] * tm[2])) ** 0.5
        pieces.append((text, (size or 0) * scale))

    text = page.extract_text(visitor_text=visit) or ""
    if "".join(piece for piece, _ in pieces) != text:
        return text
    sizes: Counter[float] = Counter()
    for piece, size in pieces:
        sizes[round(size, 1)] += len(piece.strip())
    body = max(sizes, key=lambda size: (sizes[size], size), default=0)
    marked, before = [], ""
    for piece, size in pieces:
        numbers = piece.strip()
        if (numbers and size <= body * _SUPERSCRIPT_SCALE and _SUPERSCRIPT_NUMBERS_RE.fullmatch(numbers)
                and before and not before[-1].isspace() and piece[0] == numbers[0]):
            piece = piece.replace(numbers, f"<sup>{numbers}</sup>", 1)
        marked.append(piece)
        before = piece[-1:] or before
    return "".join(marked)


def read_pdf_text(path: str | os.PathLike) -> str:
    """The text of a PDF, page after page (pypdf), superscript numbers marked <sup>...</sup>
    (`text_document` reads those that can only be citations as such)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(str(path))
        return "\n".join(_page_text(page) for page in reader.pages)
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
    tokens = scan(sentence)
    words = tokens[0]
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
               for age in age_mentions(*tokens, sentence))


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
