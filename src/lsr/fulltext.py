"""Full-text stage: the papers of included records, found, read into sections and split into cases.

Where full texts come from:

* PubMed Central open access: records with a PMCID are fetched with Bio.Entrez (efetch
  db=pmc) in batches, through the PubMed path's session, etiquette and retries
  (lsr.retrieval), and each article is kept once as `<data_dir>/fulltext/PMC<n>.xml`
  (immutable; a rerun fetches only what is not stored, so an interrupted run resumes).
* Papers a reviewer supplies: `config/fulltext/fulltexts.tsv` (record_id, file, note) names
  files under `config/fulltext/`: plain text (`.txt`, `.md`), JATS XML (`.xml`, `.nxml`) or PDF.

The stage writes which records have a full text (availability.tsv: the file of each) and the
cases each paper describes (cases.tsv), both read with lsr.papers. The extraction stage reads
Table 1 from the papers the availability table names (`lsr paper-values`).
"""
from __future__ import annotations

import logging
import os
import sys
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path

from lxml import etree

from .papers import PDF_SUFFIXES, TEXT_SUFFIXES, XML_SUFFIXES, clean_text, local_name, read_document, split_cases
from .tsv import InputError, atomic_write_bytes, iter_tsv, write_tsv

log = logging.getLogger("lsr.fulltext")

SUPPLIED_COLUMNS = ["record_id", "file", "note"]
AVAILABILITY_COLUMNS = ["record_id", "pmid", "pmcid", "full_text", "file", "reason"]
CASE_COLUMNS = ["record_id", "case", "section", "text"]
NOT_RETRIEVED = "no PMCID and no supplied file"

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
    errors = [clean_text("".join(e.itertext())) for e in root.iter("ERROR")]
    if errors or local_name(root.tag) not in ("pmc-articleset", "article"):
        raise RetrievalError(where, f"NCBI reported an error: {'; '.join(errors)}" if errors else
                             f"root element <{local_name(root.tag)}>; expected <pmc-articleset>")
    articles = {}
    for article in ([root] if local_name(root.tag) == "article" else root.findall("article")):
        ids = {a.get("pub-id-type"): clean_text(a.text or "") for a in article.findall("front/article-meta/article-id")}
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
    parser.add_argument("--cases", required=True, help="TSV to write: the cases each paper describes")
    parser.add_argument("--history", help="the review's history (data/history): rows about records it has seen "
                                          "but this run does not hold are skipped, not errors")


def run_cli(args) -> int:
    logging.basicConfig(level=logging.INFO, format="fulltext: %(message)s", stream=sys.stderr)
    # Held: the ids of every record (to check the supplied rows) and the few included ones; the
    # records stream past (a review can hold 100,000s of them).
    records = [{"record_id": record["record_id"], "pmid": record["pmid"], "pmcid": record["pmcid"]}
               for record in iter_tsv(args.records, required=["record_id", "pmid", "pmcid", "title", "abstract",
                                                              "year", "first_author", "publication_types"])]
    included = {row["record_id"] for row in iter_tsv(args.screening, required=["record_id", "decision"], only=True)
                if row["decision"] == "include"}
    from .state import recorded_record_ids

    supplied = read_supplied(args.supplied, records, recorded_record_ids(args.history))
    sought = [record for record in records if record["record_id"] in included]
    del records
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
    cases = []
    for row in availability:
        if row["full_text"] == "yes":
            cases += [{"record_id": row["record_id"], "case": case.label, "section": case.section, "text": case.text}
                      for case in split_cases(read_document(row["file"]))]
    write_tsv(args.availability, availability, AVAILABILITY_COLUMNS)
    write_tsv(args.cases, cases, CASE_COLUMNS)
    found = sum(row["full_text"] == "yes" for row in availability)
    print(f"fulltext: {len(sought)} report(s) sought, {found} full text(s) ({len(supplied)} supplied), "
          f"{len(sought) - found} not retrieved; {len(cases)} case(s) -> {args.cases}")
    for row in availability:
        if row["full_text"] != "yes":
            print(f"not retrieved: {row['record_id']}: {row['reason']}")
    return 0
