"""Sources stage: records from other sources (RIS files) and deduplication across sources.

RIS is read with rispy after a line-by-line structural check, because rispy itself skips
text outside records, drops a record that lacks its ER line and reports no line numbers.
PubMed records are canonical; a record from another source is a duplicate when its DOI,
PMID or normalised title (with year and length guards against false merges) matches a
PubMed record or an earlier kept record from another source. The matching joins (pandas
merge) the other-source records with themselves and with the PubMed records that share a
key with one of them, picked out as records.tsv streams through to unique_records.tsv.
"""
from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import rispy

from .pubmed import LIST_SEP
from .tsv import InputError, iter_tsv, write_tsv

COLUMNS = [
    "record_id", "pmid", "source", "source_file", "doi", "pmcid", "title", "abstract", "journal",
    "year", "volume", "issue", "pages", "authors", "first_author", "language", "publication_types", "mesh_terms", "keywords",
    "retracted", "erratum",
]
"""Columns of results/unique_records.tsv and results/other_records.tsv."""

DUPLICATE_COLUMNS = ["record_id", "duplicate_of", "matched_on", "source_file", "title"]
"""Columns of results/duplicates.tsv; matched_on is doi, pmid or title."""

RECORDS_COLUMNS = ["pmid", "doi", "pmcid", "title", "abstract", "journal", "year", "volume", "issue", "pages", "authors",
                   "first_author", "language", "publication_types", "mesh_terms", "keywords",
                   "retracted", "erratum", "source_file"]

# Tags of the RIS specification that rispy does not map; they are allowed and ignored.
_UNMAPPED_RIS_TAGS = {"BT", "CT", "ED", "H1", "H2", "L3", "M2", "U1", "U2", "U3", "U4", "U5", "Y3"}
RIS_TAGS = (set(rispy.TAG_KEY_MAPPING) - {"UK"}) | _UNMAPPED_RIS_TAGS

# RIS reference types as PubMed-like publication types. Types not listed keep rispy's label.
# Review, case report etc. are not RIS types: screening finds them in the text, not here.
RIS_PUBLICATION_TYPES = {
    "JOUR": "Journal Article", "EJOUR": "Journal Article", "JFULL": "Journal Article",
    "INPR": "Journal Article", "MGZN": "Journal Article",
    "ABST": "Congress abstract", "CONF": "Congress", "CPAPER": "Congress",
    "BOOK": "Book", "EBOOK": "Book", "EDBOOK": "Book", "CHAP": "Book Chapter", "ECHAP": "Book Chapter",
    "THES": "Academic Dissertation", "RPRT": "Technical Report", "GOVDOC": "Government Publication",
    "NEWS": "Newspaper Article", "DATA": "Dataset", "DBASE": "Dataset", "AGGR": "Dataset",
    "PAT": "Patent", "CASE": "Legal Case", "STAT": "Legislation", "LEGAL": "Legislation",
    "BILL": "Legislation", "PCOMM": "Personal Communication", "ICOMM": "Personal Communication",
    "ELEC": "Web Page", "BLOG": "Web Page", "UNPB": "Unpublished Work", "MANSCPT": "Manuscript",
    "ADVS": "Video-Audio Media", "VIDEO": "Video-Audio Media", "SOUND": "Video-Audio Media",
    "MPCT": "Video-Audio Media", "GEN": "",
}

# LA values as PubMed's language codes, so screening sees one vocabulary whatever the source.
_LANGUAGE_CODES = {
    "english": "eng", "en": "eng", "portuguese": "por", "pt": "por", "spanish": "spa", "es": "spa",
    "french": "fre", "fr": "fre", "german": "ger", "de": "ger", "italian": "ita", "it": "ita",
    "chinese": "chi", "zh": "chi", "japanese": "jpn", "ja": "jpn", "russian": "rus", "ru": "rus",
    "korean": "kor", "ko": "kor", "dutch": "dut", "nl": "dut", "polish": "pol", "pl": "pol",
    "turkish": "tur", "tr": "tur",
}

_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9])  -( |$)")
_TAG_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9] {0,4}-( |$)|^[A-Z][A-Z0-9]  -\S")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|doi\s+)", re.IGNORECASE)
_PMID = re.compile(r"^(?:PMID|PubMed(?:\s*ID)?)\s*[:=]?\s*(\d{1,9})$", re.IGNORECASE)
_MARKUP = re.compile(r"<[^>]+>")
_NON_WORD = re.compile(r"[\W_]+")

_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "das", "du",
              "la", "le", "ten", "ter", "bin"}
_COLLECTIVE = re.compile(r"\b(group|consortium|committee|society|network|investigators|"
                         r"collaborat\w*|association|organi[sz]ation|working|alliance|registry)\b",
                         re.IGNORECASE)
_INITIALS = re.compile(r"[A-Z]{1,2}|(?=[A-Z.-]*\.)[A-Z.-]{2,8}")

# A title-only match needs a title at least this long, or the same year and first author:
# generic titles ("Juvenile dermatomyositis") are shared by unrelated papers.
MIN_TITLE_WORDS = 5
MIN_TITLE_CHARS = 30


def normalise_title(title: str) -> str:
    """Title as a matching key: markup and accents stripped, casefolded, punctuation folded.

    PubMed's brackets around translated titles and a trailing period disappear with the
    punctuation, so '[Tacrolimus in JDM].' and 'Tacrolimus in JDM' give the same key.
    """
    text = _MARKUP.sub(" ", title or "")
    if not text.isascii():  # ASCII has no accents to strip (and NFKD leaves it as it is)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", text.casefold()).strip()


def normalise_doi(doi: str) -> str:
    """DOI lower-cased, without a resolver prefix ('https://doi.org/', 'doi:') or ' [doi]'."""
    doi = (doi or "").strip()
    doi = _DOI_PREFIX.sub("", doi)
    doi = re.sub(r"\s*\[doi\]$", "", doi, flags=re.IGNORECASE)
    return doi.strip().lower()


def _initials(given: str, shouting: bool) -> str:
    letters = []
    for token in re.split(r"[\s.]+", given):
        token = token.strip("-")
        if not token:
            continue
        if token.isupper() and token.isalpha() and len(token) <= (2 if shouting else 3):
            letters.append(token)  # already initials: 'JJ'
        else:
            letters.extend(part[0].upper() for part in token.split("-") if part)
    return "".join(letters)


def _surname_case(surname: str) -> str:
    """'HOU' -> 'Hou' (some databases export surnames in capitals); mixed case is kept."""
    if not surname.isupper() or len(surname) < 2:
        return surname
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0) if m.group(0) in _PARTICLES
                  else m.group(0).capitalize(), surname.lower())


def _surname_first(name: str) -> bool:
    """Whether a comma-less name reads 'Hassan JJ' (last word initials) rather than 'J Hassan'."""
    tokens = name.split()
    return (len(tokens) > 1 and bool(_INITIALS.fullmatch(tokens[-1]))
            and not _INITIALS.fullmatch(tokens[0]))


def author_name(raw: str, surname_first: bool | None = None) -> tuple[str, str]:
    """One RIS author as ('Surname Initials', 'Surname').

    Reads 'Rao, A. P.' and 'Rao, Anand P.', 'Yongpeng Ge', 'J Hassan', 'JJ van der Net'
    (name particles start the surname) and 'Hassan J'. Group names are kept whole. For a
    comma-less name, `surname_first` gives the word order (see `author_names`); None guesses
    it from this name alone.
    """
    name = " ".join(raw.split())
    if _COLLECTIVE.search(name):
        return name, name
    suffix = ""
    if "," in name:
        surname, given, *rest = [part.strip() for part in name.split(",")]
        suffix = " ".join(part for part in rest if part)
    else:
        tokens = name.split()
        if surname_first is None:
            surname_first = _surname_first(name)
        if len(tokens) == 1:
            surname, given = tokens[0], ""
        elif surname_first:
            surname, given = " ".join(tokens[:-1]), tokens[-1]
        else:
            start = next((i for i in range(1, len(tokens) - 1) if tokens[i].lower() in _PARTICLES),
                         len(tokens) - 1)
            surname, given = " ".join(tokens[start:]), " ".join(tokens[:start])
    if given:
        surname = _surname_case(surname)
    display = " ".join(part for part in (surname, _initials(given, name.isupper()), suffix) if part)
    return display, surname


def author_names(raws: Iterable[str]) -> list[tuple[str, str]]:
    """A record's authors as ('Surname Initials', 'Surname') pairs.

    One record's comma-less names share one word order: 'Hassan JJ' always ends in initials,
    so a single name that does not ('Jun HOU') shows given names come first, and then
    'Jianguo LI' is the surname Li, not initials LI.
    """
    names = [" ".join(raw.split()) for raw in raws if raw.strip()]
    plain = [n for n in names if "," not in n and len(n.split()) > 1 and not _COLLECTIVE.search(n)]
    surname_first = bool(plain) and all(_surname_first(n) for n in plain)
    return [author_name(name, surname_first) for name in names]


def _language(values: Sequence[str]) -> str:
    codes = []
    for value in values:
        for part in re.split(r"[;,/]", value):
            part = part.strip()
            code = _LANGUAGE_CODES.get(part.casefold(), part.lower() if len(part) == 3 else part)
            if code and code not in codes:
                codes.append(code)
    return LIST_SEP.join(codes)


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _first(entry: Mapping, *keys: str) -> str:
    for key in keys:
        for value in _as_list(entry.get(key)):
            if value.strip():
                return " ".join(value.split())
    return ""


def _record_pmid(entry: Mapping) -> str:
    """The PMID an AN or ID tag gives ('PMID:123'); bare digits count only from PubMed/MEDLINE."""
    from_pubmed = re.search(r"pubmed|medline", _first(entry, "name_of_database"), re.IGNORECASE)
    for key in ("accession_number", "id"):
        value = _first(entry, key)
        match = _PMID.match(value)
        if match:
            return match.group(1)
        if from_pubmed and key == "accession_number" and value.isdigit():
            return value
    return ""


class _Record:
    """One RIS record's lines: where it starts, and the line of each tag's first use."""

    def __init__(self, start: int):
        self.start = start
        self.lines: list[str] = []
        self.tag_lines: dict[str, int] = {}


def _split_records(path: Path, text: str) -> list[_Record]:
    records: list[_Record] = []
    current: _Record | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        match = _TAG_LINE.match(line)
        if not match:
            if _TAG_LIKE.match(line):
                raise InputError(path, number, line[:2],
                                 f"malformed tag line {line[:12]!r}; expected two capitals, two spaces, "
                                 "a hyphen and a space ('TI  - title')")
            if current is None:
                raise InputError(path, number, "TY", f"text outside a record ({line[:40]!r}); "
                                 "every RIS record starts with a 'TY  - ' line and ends with 'ER  - '")
            current.lines.append(line)
            continue
        tag = match.group(1)
        if tag not in RIS_TAGS:
            raise InputError(path, number, tag, f"unknown RIS tag {tag!r}")
        if current is None:
            if tag != "TY":
                raise InputError(path, number, "TY", f"record starts with {tag!r}; "
                                 "expected its first line to be 'TY  - <reference type>'")
            current = _Record(number)
        elif tag == "TY":
            raise InputError(path, current.start, "ER", f"record has no ER line before the next "
                             f"record starts at line {number}")
        if tag == "ER":
            records.append(current)
            current = None
            continue
        current.tag_lines.setdefault(tag, number)
        current.lines.append(line)
    if current is not None:
        raise InputError(path, current.start, "ER", "record has no ER line before the end of the file")
    return records


def _row(path: Path, record: _Record, entry: Mapping) -> dict:
    def error(tag: str, problem: str) -> InputError:
        return InputError(path, record.tag_lines.get(tag, record.start), tag, problem)

    reference_type = _first(entry, "type_of_reference").upper()
    if reference_type not in rispy.TYPE_OF_REFERENCE_MAPPING:
        raise error("TY", f"unknown reference type {reference_type!r}; expected an RIS type such as JOUR")
    title = _first(entry, "title", "primary_title")
    if not title:
        raise error("TI", "record has no title (TI or T1)")
    doi = normalise_doi(_first(entry, "doi"))
    if doi and not _DOI.match(doi):
        raise error("DO", f"{doi!r} is not a DOI; expected '10.<registrant>/<suffix>'")
    year_match = _YEAR.search(_first(entry, "year", "publication_year", "date"))
    authors = author_names(_as_list(entry.get("authors") or entry.get("first_authors")))
    keywords: list[str] = []
    for value in _as_list(entry.get("keywords")):
        for keyword in (k.strip() for k in value.split(";")):
            if keyword and keyword not in keywords:
                keywords.append(keyword)
    ris_id = "-".join(_first(entry, "id").split())
    if doi:
        record_id = f"doi:{doi}"
    elif ris_id:
        record_id = f"ris:{ris_id}"
    else:
        record_id = "ris:" + hashlib.sha1(normalise_title(title).encode("utf-8")).hexdigest()[:12]
    publication_type = RIS_PUBLICATION_TYPES.get(
        reference_type, rispy.TYPE_OF_REFERENCE_MAPPING[reference_type])
    return {
        "record_id": record_id, "pmid": "", "source": "other", "source_file": path.name, "doi": doi,
        "pmcid": "", "title": title, "abstract": _first(entry, "abstract", "notes_abstract"),
        "journal": _first(entry, "secondary_title", "journal_name", "alternate_title3",
                          "alternate_title2", "alternate_title1"),
        "year": year_match.group(1) if year_match else "",
        "volume": _first(entry, "volume"), "issue": _first(entry, "number"),
        "pages": "-".join(page for page in (_first(entry, "start_page"), _first(entry, "end_page")) if page),
        "authors": LIST_SEP.join(display for display, _ in authors),
        "first_author": authors[0][1] if authors else "",
        "language": _language(_as_list(entry.get("language"))),
        "publication_types": publication_type, "mesh_terms": "", "keywords": LIST_SEP.join(keywords),
        "retracted": "no", "erratum": "",
        "_line": record.start, "_pmid": _record_pmid(entry),
    }


def read_ris(path: str | os.PathLike) -> list[dict]:
    """The records of one RIS file as rows with COLUMNS, in file order.

    Rows also carry '_line' (the record's TY line) and '_pmid' (a PMID the record states in
    AN/ID, used for deduplication only). Malformed RIS, or two records with one record_id,
    raises InputError naming the file, line and tag.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(path, None, None, f"cannot read RIS file: {error.strerror or error}") from error
    try:
        text = data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise InputError(path, line, None, "not UTF-8 text; re-export the file as UTF-8") from error
    rows: list[dict] = []
    first_line_of: dict[str, int] = {}
    for record in _split_records(path, text):
        entries = rispy.loads("\n".join([*record.lines, "ER  - "]), skip_unknown_tags=True)
        if len(entries) != 1:
            raise InputError(path, record.start, "TY", "rispy could not read this record")
        row = _row(path, record, entries[0])
        if row["record_id"] in first_line_of:
            tag = "DO" if row["doi"] else "ID" if "ID" in record.tag_lines else "TI"
            raise InputError(path, record.tag_lines.get(tag, record.start), tag,
                             f"record_id {row['record_id']} is also that of the record at line "
                             f"{first_line_of[row['record_id']]}; remove the duplicate or give one an ID tag")
        first_line_of[row["record_id"]] = record.start
        rows.append(row)
    return rows


def read_other_sources(paths: Iterable[str | os.PathLike]) -> list[dict]:
    """The records of all RIS files, in the order the files are given."""
    return [row for path in paths for row in read_ris(path)]


def pubmed_row(record: Mapping[str, str]) -> dict:
    """A results/records.tsv row as a unique_records row (record_id 'pmid:N', source PubMed)."""
    row = {column: record.get(column, "") for column in COLUMNS}
    row.update(record_id=f"pmid:{record['pmid']}", source="PubMed")
    return row


def _title_match(title_key: str, years: tuple[str, str], first_authors: tuple[str, str]) -> bool:
    """Whether two records sharing the normalised title `title_key` are one: their `years` within one
    (or either unknown) and a long title; a short title also needs the same year and, where both are
    known, the same first author (`first_authors`)."""
    if all(years) and abs(int(years[0]) - int(years[1])) > 1:
        return False
    if len(title_key.split()) >= MIN_TITLE_WORDS and len(title_key) >= MIN_TITLE_CHARS:
        return True
    authors = [normalise_title(author) for author in first_authors]
    return all(years) and years[0] == years[1] and (not all(authors) or authors[0] == authors[1])


def _pubmed_order(row: Mapping) -> tuple[int, str]:
    return len(row["pmid"]), row["pmid"]


KEYS = ["record_id", "doi", "pmid", "title_key", "year", "first_author"]
"""What deduplication compares of a record (title_key: its normalise_title)."""


def _keys(row: Mapping, doi: str, pmid: str) -> dict:
    return {"record_id": row["record_id"], "doi": doi, "pmid": pmid, "title_key": normalise_title(row["title"]),
            "year": row.get("year", ""), "first_author": row.get("first_author", "")}


class Deduplication:
    """The other-source records (RIS rows), matched against the PubMed records that stream past and
    against each other. Of the PubMed records only those sharing a DOI, PMID or normalised title
    with an other-source record stay (the candidates): memory grows with the matches, not with PubMed."""

    def __init__(self, other_rows: Sequence[Mapping]) -> None:
        self.other_rows = other_rows
        self.others = [_keys(row, normalise_doi(row.get("doi", "")), row.get("_pmid") or row.get("pmid", ""))
                       for row in other_rows]
        self.dois = {keys["doi"] for keys in self.others} - {""}
        self.pmids = {keys["pmid"] for keys in self.others} - {""}
        self.title_keys = {keys["title_key"] for keys in self.others}  # an empty title is one too
        self.candidates: list[dict] = []

    def add_pubmed(self, row: Mapping) -> None:
        """A PubMed record (a pubmed_row; they come in PMID order): kept, whatever else matches it."""
        if row["doi"] in self.dois or row["pmid"] in self.pmids or normalise_title(row["title"]) in self.title_keys:
            self.candidates.append(_keys(row, row["doi"], row["pmid"]))

    def _pairs(self) -> dict[int, list]:
        """For each other record (by position), the records it may be a duplicate of, best first, as
        (position, record_id_kept, position_kept: -1 for a PubMed record, matched_on): those sharing its
        DOI, then its PMID, then its normalised title (if `_title_match`); for each, the PubMed records
        (for a DOI the last of them) in PMID order, then the other records before it in their order.
        Joins (pandas merge) of the other records with the PubMed candidates and with themselves."""
        import pandas as pd  # ~0.3 s to import: loaded when the records are matched, not when `lsr` starts

        others = pd.DataFrame(self.others, columns=KEYS).assign(position=range(len(self.others)))
        pubmed = pd.DataFrame(self.candidates, columns=KEYS).assign(position=-1)
        kept = pd.concat([pubmed, others], ignore_index=True).astype({"position": int})
        kept = kept.rename_axis("order").reset_index()  # PubMed first (in PMID order), then the others
        from_pubmed, with_doi = kept["position"] < 0, kept["doi"] != ""
        candidates = {"doi": pd.concat([kept[from_pubmed & with_doi].drop_duplicates("doi", keep="last"),
                                        kept[~from_pubmed & with_doi]]),
                      "pmid": kept[kept["pmid"] != ""],
                      "title_key": kept}
        pairs = []
        for rank, (key, targets) in enumerate(candidates.items()):
            found = others.merge(targets, on=key, suffixes=("", "_kept"))
            found = found[found["position_kept"] < found["position"]]
            if key == "title_key":
                found = found[pd.Series([_title_match(title, years, authors) for title, years, authors in zip(
                    found["title_key"], zip(found["year"], found["year_kept"]),
                    zip(found["first_author"], found["first_author_kept"]))], index=found.index, dtype=bool)]
            pairs.append(found.assign(rank=rank, matched_on=key.removesuffix("_key")))
        best_first = pd.concat(pairs).sort_values(["position", "rank", "order"])
        by_position: dict[int, list] = {}
        for pair in best_first[["position", "record_id_kept", "position_kept", "matched_on"]].itertuples(index=False):
            by_position.setdefault(pair.position, []).append(pair)
        return by_position

    def match_others(self) -> tuple[list[dict], list[dict]]:
        """(kept other rows sorted by record_id, duplicates): each other-source record is a duplicate of
        the first kept record of its `_pairs` (a PubMed record, or an other one kept before it).

        A kept other record whose record_id is already taken by a kept one raises InputError."""
        pairs = self._pairs() if self.others else {}
        kept_others, kept_positions, taken, duplicates = [], set(), {}, []
        for position, row in enumerate(self.other_rows):
            match = next((pair for pair in pairs.get(position, ())
                          if pair.position_kept < 0 or pair.position_kept in kept_positions), None)
            if match is not None:
                duplicates.append({"record_id": row["record_id"], "duplicate_of": match.record_id_kept,
                                   "matched_on": match.matched_on, "source_file": row["source_file"],
                                   "title": row["title"], "_line": row.get("_line")})
                continue
            if row["record_id"] in taken:
                first = taken[row["record_id"]]
                raise InputError(row["source_file"], row.get("_line"), "ID",
                                 f"record_id {row['record_id']} is also that of a different record in "
                                 f"{first['source_file']} (line {first.get('_line')}); give one of them another ID tag")
            taken[row["record_id"]] = row
            kept_positions.add(position)
            kept_others.append(dict(row))
        duplicates.sort(key=lambda d: (d["record_id"], d["source_file"], d["_line"] or 0))
        return sorted(kept_others, key=lambda r: r["record_id"]), duplicates


def deduplicate(pubmed_rows: Iterable[Mapping[str, str]],
                other_rows: Sequence[Mapping]) -> tuple[list[dict], list[dict]]:
    """(unique_rows, duplicates): PubMed records (records.tsv rows) kept, other records matched
    (Deduplication.match_others); PubMed records first by PMID, then the kept other records by
    record_id. A kept other record whose record_id is already taken by a different kept record
    raises InputError.
    """
    deduplication = Deduplication(other_rows)
    pubmed = sorted((pubmed_row(record) for record in pubmed_rows), key=_pubmed_order)
    for row in pubmed:
        deduplication.add_pubmed(row)
    others, duplicates = deduplication.match_others()
    return pubmed + others, duplicates


def write_sources(records_path: str | os.PathLike, ris_paths: Sequence[str | os.PathLike],
                  other_out: str | os.PathLike, unique_out: str | os.PathLike,
                  duplicates_out: str | os.PathLike) -> dict[str, int]:
    """Read records.tsv and the RIS files, write the three tables; returns the row counts.

    records.tsv streams through to unique_records.tsv (the records stage sorted it by PMID): what
    deduplicate gives, without holding the PubMed rows in memory.
    """
    others = read_other_sources(ris_paths)
    deduplication = Deduplication(others)
    counts = {"pubmed": 0, "other": len(others)}
    duplicates: list[dict] = []

    def unique_rows():
        previous = None
        for record in iter_tsv(records_path, required=RECORDS_COLUMNS):
            row = pubmed_row(record)
            if previous is not None and _pubmed_order(row) <= previous:
                raise InputError(records_path, record["_line"], "pmid",
                                 f"PMID {row['pmid']} after PMID {previous[1]}; expected rows sorted by PMID, one "
                                 "per PMID (as the records stage writes them)")
            previous = _pubmed_order(row)
            deduplication.add_pubmed(row)
            counts["pubmed"] += 1
            yield row
        kept_others, found = deduplication.match_others()
        duplicates.extend(found)
        yield from kept_others

    write_tsv(unique_out, unique_rows(), COLUMNS)
    write_tsv(other_out, sorted(others, key=lambda r: (r["record_id"], r["source_file"], r["_line"])), COLUMNS)
    write_tsv(duplicates_out, duplicates, DUPLICATE_COLUMNS)
    counts.update(duplicates=len(duplicates), unique=counts["pubmed"] + counts["other"] - len(duplicates))
    return counts


def configure_cli(parser) -> None:
    parser.add_argument("--records", required=True, help="PubMed records table (results/records.tsv)")
    parser.add_argument("--ris", nargs="*", default=[], metavar="FILE",
                        help="RIS files of records from other sources (none is allowed)")
    parser.add_argument("--other-out", required=True, help="every RIS record read (TSV)")
    parser.add_argument("--unique-out", required=True, help="PubMed and other records, duplicates removed (TSV)")
    parser.add_argument("--duplicates-out", required=True, help="removed duplicates and what they matched (TSV)")


def run_cli(args) -> int:
    counts = write_sources(args.records, args.ris, args.other_out, args.unique_out, args.duplicates_out)
    print(f"sources: {counts['pubmed']} PubMed records, {counts['other']} records from "
          f"{len(args.ris)} other source file(s), {counts['duplicates']} duplicate(s) removed -> "
          f"{counts['unique']} unique records in {args.unique_out}")
    return 0
