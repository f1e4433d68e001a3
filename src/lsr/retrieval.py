"""Retrieval stage: run the search and list the PubMed XML files the records stage reads.

Two sources:

* `snapshot`: PubMed XML files on disk (the bundled offline data by default). `as_of` does not
  apply to them (they are what they are) and is ignored with a note in the log.
* `pubmed`: the query runs live against NCBI E-utilities through Bio.Entrez, and what it finds is
  kept in a durable store under `<data_dir>/pubmed/`:

  - `<UTC time>.xml.gz` (e.g. `2026-11-22T205501Z.xml.gz`): immutable snapshot files, one per run
    that found new or changed records; names sort chronologically; never overwritten.
  - `searches.tsv`: one line per completed live search, with the checkpoint date from which the
    next search looks for modified records.
  - `<data_dir>/pubmed-partial/`: the efetch batches of an unfinished run; a rerun resumes from
    them, and they are deleted once their records are in a snapshot file.

  Every live run reruns the whole query (PubMed indexing lags, so older records can start to
  match), fetches the PMIDs not yet stored plus the stored ones PubMed modified since the last
  search (esearch datetype=mdat), and keeps only records that are new or whose XML changed. The
  manifest lists every snapshot file, oldest first, so the records stage keeps the latest version
  of each PMID. With `as_of` (YYYY-MM-DD) no search runs: the manifest lists the snapshot files
  dated on or before that day, which rebuilds the review as it stood then.

Every search appends one line to the search log (PRISMA-S): date, source, query, NCBI's
translation, count, records fetched, new PMIDs, files written.
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import logging
import os
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from Bio import Entrez
from lxml import etree

from .checks import iso_date
from .ncbi import NcbiSettings, RetrievalError, add_eutils_options, call, entrez_session
from .pubmed import iter_pmids, iter_records, resolve_inputs, write_manifest
from .tsv import InputError, atomic_write_bytes, atomic_write_text, format_tsv, read_tsv

log = logging.getLogger("lsr.retrieve")

SEARCH_LOG_COLUMNS = ["date", "source", "query", "query_translation", "mindate", "maxdate",
                      "count", "fetched", "new", "files"]
SEARCHES_COLUMNS = ["date", "checkpoint", "query", "mindate", "maxdate", "query_translation",
                    "count", "fetched", "new", "updated", "file"]
"""Columns of `<data_dir>/pubmed/searches.tsv`, the durable record of completed live searches."""

ESEARCH_MAX_IDS = 10000
"""PubMed's esearch lists at most the first 10,000 PMIDs of a result."""

SNAPSHOT_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})T\d{6}Z\.xml\.gz$")
_BATCH_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{6}Z)-\d{4}\.xml$")
_STAMP = "%Y-%m-%dT%H%M%SZ"
_ARTICLE_TAGS = ("PubmedArticle", "PubmedBookArticle")
# The DOCTYPE line is kept only in its plain form (public and system id, no internal subset).
_DOCTYPE = re.compile(rb'<!DOCTYPE PubmedArticleSet(?:\s+PUBLIC\s+"[^"<>\[\]]*"\s+"[^"<>\[\]]*")?\s*>')


# --- search log ----------------------------------------------------------------------------------

def append_search_log(path: str | os.PathLike, entry: dict[str, object]) -> None:
    """Append one line to the search log (created with its header on first use)."""
    path = Path(path)
    header = format_tsv([], SEARCH_LOG_COLUMNS)
    existing = path.read_text(encoding="utf-8") if path.exists() else header
    if not existing.startswith(header):
        raise InputError(path, 1, None, f"the search log has other columns than {', '.join(SEARCH_LOG_COLUMNS)}; "
                                        "move it aside so that a new one is started")
    line = format_tsv([entry], SEARCH_LOG_COLUMNS).split("\n", 1)[1]
    atomic_write_text(path, existing + line)


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- snapshot source -----------------------------------------------------------------------------

def retrieve_snapshot(snapshot: str | list[str], query: str, manifest: str | os.PathLike,
                      search_log: str | os.PathLike) -> list[Path]:
    """Snapshot source: list the XML files `snapshot` names (path, glob or list) in the manifest;
    log the number of distinct PMIDs they hold."""
    files = resolve_inputs(snapshot)
    pmids: set[str] = set()
    checksums = []
    for path in files:  # one read of each file: its PMIDs counted and its checksum taken
        digest = hashlib.sha256()
        pmids.update(iter_pmids(path, digest))
        checksums.append(digest.hexdigest())
    write_manifest(files, manifest, checksums)
    total = len(pmids)
    append_search_log(search_log, {
        "date": now_utc(), "source": "snapshot", "query": query, "query_translation": "",
        "mindate": "", "maxdate": "", "count": total, "fetched": total, "new": "",
        "files": "; ".join(str(f) for f in files),
    })
    return files


# --- E-utilities answers -------------------------------------------------------------------------

@dataclass
class SearchResult:
    """What esearch answered."""

    count: int
    pmids: list[str]
    translation: str = ""
    webenv: str = ""
    query_key: str = ""
    not_found: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _entrez_read(body: bytes, where: str):
    try:
        # validate=False: tags NCBI adds after Biopython's bundled DTDs must not stop a search.
        return Entrez.read(io.BytesIO(body), validate=False)
    except RuntimeError as error:
        # Entrez.read raises on the first <ERROR> of a 200 answer; report them all.
        try:
            root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
            messages = [" ".join("".join(e.itertext()).split()) for e in root.iter("ERROR")]
        except etree.XMLSyntaxError:
            messages = []
        raise RetrievalError(where, f"NCBI reported an error: {'; '.join(messages) or error}") from None
    except ValueError as error:
        raise RetrievalError(where, f"unreadable answer: {error}") from None


def parse_esearch(body: bytes, where: str = "NCBI esearch") -> SearchResult:
    """An esearch answer (XML bytes); an <ERROR> or unreadable XML raises RetrievalError."""
    record = _entrez_read(body, where)
    if "Count" not in record:
        raise RetrievalError(where, "the answer has no Count: not an esearch result")
    errors = record.get("ErrorList", {})
    warnings = record.get("WarningList", {})
    return SearchResult(
        count=int(record["Count"]),
        pmids=[str(pmid) for pmid in record.get("IdList", [])],
        translation=str(record.get("QueryTranslation", "")),
        webenv=str(record.get("WebEnv", "")),
        query_key=str(record.get("QueryKey", "")),
        not_found=[str(t) for key in ("PhraseNotFound", "FieldNotFound") for t in errors.get(key, [])],
        warnings=[str(t) for key in ("OutputMessage", "QuotedPhraseNotFound", "PhraseIgnored")
                  for t in warnings.get(key, [])],
    )


def parse_epost(body: bytes, where: str = "NCBI epost") -> tuple[str, str]:
    """An epost answer: (WebEnv, QueryKey); an <ERROR> raises RetrievalError."""
    record = _entrez_read(body, where)
    if not record.get("WebEnv") or not record.get("QueryKey"):
        raise RetrievalError(where, "the answer has no WebEnv/QueryKey")
    return str(record["WebEnv"]), str(record["QueryKey"])


def _pmid(article: etree._Element) -> str:
    return (article.findtext("MedlineCitation/PMID") or article.findtext("BookDocument/PMID") or "").strip()


def iter_articles(source, where: str) -> Iterator[tuple[str, bytes]]:
    """(PMID, article XML) for each article of a PubMed efetch document (file path or handle).

    Anything but complete PubmedArticleSet XML (a truncated body, an <ERROR> answer) raises
    RetrievalError; the article bytes are lxml's serialisation, the same for equal records.
    """
    context = etree.iterparse(source, events=("end",), resolve_entities=False, load_dtd=False,
                              no_network=True, huge_tree=True)
    try:
        for _, element in context:
            parent = element.getparent()
            if element.tag in _ARTICLE_TAGS and parent is not None and parent.getparent() is None:
                pmid = _pmid(element)
                if not pmid:
                    raise RetrievalError(where, f"<{element.tag}> without a PMID (line {element.sourceline})")
                yield pmid, etree.tostring(element, encoding="UTF-8", xml_declaration=False, with_tail=False)
                element.clear(keep_tail=False)
                while element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as error:
        raise RetrievalError(where, f"not complete XML ({error}): the answer was cut off or is not "
                                    "PubMed XML; nothing from it was kept") from None
    root = context.root
    if root is None or root.tag != "PubmedArticleSet":
        errors = "; ".join(" ".join(e.itertext()).strip() for e in root.iter("ERROR")) if root is not None else ""
        raise RetrievalError(where, f"NCBI reported an error: {errors}" if errors else
                             f"root element <{getattr(root, 'tag', None)}>; expected <PubmedArticleSet>")


def parse_efetch(body: bytes, where: str) -> dict[str, bytes]:
    """An efetch answer as {PMID: article XML}, in answer order; a repeated PMID raises."""
    articles: dict[str, bytes] = {}
    for pmid, article in iter_articles(io.BytesIO(body), where):
        if pmid in articles:
            raise RetrievalError(where, f"PMID {pmid} appears twice")
        articles[pmid] = article
    return articles


# --- the store under <data_dir>/pubmed -----------------------------------------------------------

def snapshot_files(store: Path, as_of: str | None = None) -> list[Path]:
    """The completed snapshot files, oldest first; with `as_of`, those dated on or before it."""
    if not store.is_dir():
        return []
    files = sorted(p for p in store.iterdir() if SNAPSHOT_NAME.match(p.name))
    if as_of:
        files = [p for p in files if SNAPSHOT_NAME.match(p.name).group(1) <= as_of]
    return files


def _digest(article: bytes) -> str:
    return hashlib.sha256(article).hexdigest()


def stored_digests(files: list[Path]) -> dict[str, str]:
    """PMID -> digest of its copy in the latest snapshot file holding it."""
    digests: dict[str, str] = {}
    for path in files:
        with gzip.open(path, "rb") as handle:
            for pmid, article in iter_articles(handle, str(path)):
                digests[pmid] = _digest(article)
    return digests


def check_records_parse(path: Path, data: bytes, what: str, sent: bytes) -> None:
    """Write `data` (a PubMed XML document) to `path` and read every record with the records
    stage's parser; `path` is removed if that fails, with a RetrievalError quoting what NCBI
    `sent`: nothing the records stage cannot read ever enters the store."""
    atomic_write_bytes(path, data)
    try:
        for _ in iter_records(path):
            pass
    except InputError as error:
        path.unlink()
        start = sent[:300].decode("utf-8", errors="replace")
        raise RetrievalError(what, f"the records parser cannot read it ({error.problem}); nothing was stored. "
                                   f"NCBI sent ({len(sent)} bytes): {start!r}{'...' if len(sent) > 300 else ''}") from None


def snapshot_body(articles: dict[str, bytes], doctype: bytes = b"") -> bytes:
    """`articles` (sorted by PMID) as one PubmedArticleSet document."""
    return b"".join([b'<?xml version="1.0" encoding="UTF-8"?>\n', doctype + b"\n" if doctype else b"",
                     b"<PubmedArticleSet>\n",
                     *(articles[pmid] + b"\n" for pmid in sorted(articles, key=int)),
                     b"</PubmedArticleSet>\n"])


def write_snapshot(path: Path, articles: dict[str, bytes], doctype: bytes = b"") -> None:
    """Write `articles` as a gzipped PubmedArticleSet, checked with the records parser; never replaces a file."""
    body = snapshot_body(articles, doctype)
    temporary = path.with_name(f".tmp-{path.name}")  # same suffix: the parser reads it as gzip
    check_records_parse(temporary, gzip.compress(body, mtime=0), "the snapshot built from NCBI's answers", body)
    try:
        os.link(temporary, path)  # fails if `path` exists: a completed snapshot is never replaced
    except FileExistsError:
        raise RetrievalError(str(path), "a snapshot file of that name exists already; rerun in a second") from None
    finally:
        temporary.unlink()


def _normalise(query: str) -> str:
    return " ".join(query.split())


def last_checkpoint(searches: Path, query: str, mindate: str, maxdate: str) -> str | None:
    """The checkpoint of the last completed search of this query and date window, if any."""
    if not searches.exists():
        return None
    rows = [row for row in read_tsv(searches, required=SEARCHES_COLUMNS)
            if (_normalise(row["query"]), row["mindate"], row["maxdate"]) == (_normalise(query), mindate, maxdate)]
    return rows[-1]["checkpoint"] if rows else None


def _read_partial(partial: Path, wanted: set[str]) -> tuple[dict[str, bytes], dt.datetime | None, bytes]:
    """Records of earlier unfinished runs that are still wanted, when the oldest was fetched, doctype."""
    articles: dict[str, bytes] = {}
    oldest, doctype = None, b""
    if partial.is_dir():
        for path in sorted(partial.iterdir()):
            match = _BATCH_NAME.match(path.name)
            if not match:
                continue
            body = path.read_bytes()
            doctype = doctype or _doctype(body)
            batch = parse_efetch(body, str(path))
            articles.update((pmid, article) for pmid, article in batch.items() if pmid in wanted)
            fetched = dt.datetime.strptime(match.group(1), _STAMP).replace(tzinfo=dt.timezone.utc)
            oldest = min(oldest or fetched, fetched)
    return articles, oldest, doctype


def _doctype(body: bytes) -> bytes:
    match = _DOCTYPE.search(body[:2000])
    return match.group(0) if match else b""


# --- live PubMed source --------------------------------------------------------------------------

def search_pubmed(term: str, settings: NcbiSettings, where: str, **dates: str) -> SearchResult:
    """esearch on PubMed with usehistory=y, listing every PMID; a partial list raises."""
    body = call(Entrez.esearch, where, settings, db="pubmed", term=term, usehistory="y",
                 retmax=ESEARCH_MAX_IDS, **dates)
    result = parse_esearch(body, where)
    if result.count > ESEARCH_MAX_IDS:
        raise RetrievalError(where, f"{result.count} records: PubMed's esearch lists at most {ESEARCH_MAX_IDS}; "
                                    "narrow the query or split it by date (search.mindate/maxdate)")
    if len(set(result.pmids)) != result.count or len(result.pmids) != result.count:
        raise RetrievalError(where, f"Count is {result.count} but the answer lists {len(result.pmids)} PMIDs")
    return result


def fetch_batches(webenv: str, query_key: str, total: int, wanted: set[str], settings: NcbiSettings,
                  partial: Path, stamp: str) -> tuple[dict[str, bytes], bytes]:
    """efetch the `total` records of a history-server set in batches of settings.batch_size.

    Each batch is checked (complete XML, as many records as asked, only wanted PMIDs, none twice)
    and saved under `partial` before the next is asked for, so an interrupted run resumes there.
    Returns the records and the DOCTYPE NCBI sent.
    """
    if not webenv or not query_key:
        raise RetrievalError("NCBI history", "no WebEnv/QueryKey to fetch from (usehistory ignored?)")
    articles: dict[str, bytes] = {}
    doctype = b""
    batches = -(-total // settings.batch_size)
    for number, start in enumerate(range(0, total, settings.batch_size), start=1):
        size = min(settings.batch_size, total - start)
        where = f"NCBI efetch, batch {number} of {batches} (records {start + 1}-{start + size} of {total})"
        body = call(Entrez.efetch, where, settings, db="pubmed", rettype="xml", retmode="xml",
                     webenv=webenv, query_key=query_key, retstart=start, retmax=size)
        batch = parse_efetch(body, where)
        if len(batch) != size:
            raise RetrievalError(where, f"{len(batch)} records in the answer; expected {size}")
        unexpected = sorted((set(batch) - wanted) | (set(batch) & set(articles)), key=int)
        if unexpected:
            raise RetrievalError(where, f"PMIDs not asked for or already received: {', '.join(unexpected[:10])}")
        # The batch as it would stand in a snapshot must be readable by the records stage.
        check = partial / f".tmp-{stamp}-{number:04d}.xml"
        check_records_parse(check, snapshot_body(batch, _doctype(body)), where, body)
        check.unlink()
        atomic_write_bytes(partial / f"{stamp}-{number:04d}.xml", body)
        articles.update(batch)
        doctype = doctype or _doctype(body)
        log.info("%s: %d records", where, size)
    return articles, doctype


@dataclass
class LiveRun:
    """What one live search did."""

    count: int
    translation: str
    fetched: int
    new: int
    updated: int
    snapshot: Path | None
    files: list[Path]


def retrieve_pubmed(query: str, settings: NcbiSettings, data_dir: str | os.PathLike,
                    manifest: str | os.PathLike, search_log: str | os.PathLike,
                    mindate: str | None = None, maxdate: str | None = None,
                    now: dt.datetime | None = None) -> LiveRun:
    """Run the query live, store what is new or changed, write the manifest and log the search."""
    now = now or dt.datetime.now(dt.timezone.utc)
    stamp = now.strftime(_STAMP)
    store, partial = Path(data_dir) / "pubmed", Path(data_dir) / "pubmed-partial"
    searches = store / "searches.tsv"
    files = snapshot_files(store)
    stored = stored_digests(files)
    window = {"datetype": "pdat", "mindate": mindate or "1000", "maxdate": maxdate or "3000"} \
        if (mindate or maxdate) else {}

    with entrez_session(settings):
        result = search_pubmed(query, settings, "NCBI esearch", **window)
        if result.count == 0:
            log.warning("the query found nothing: PubMed Count 0%s%s",
                        f"; phrases not found: {', '.join(result.not_found)}" if result.not_found else "",
                        f" ({'; '.join(result.warnings)})" if result.warnings else "")
        elif result.not_found:
            log.warning("part of the query matched nothing; phrases not found: %s", ", ".join(result.not_found))
        found = set(result.pmids)
        in_store = found & stored.keys()
        checkpoint = last_checkpoint(searches, query, mindate or "", maxdate or "")
        if in_store and checkpoint:
            modified = search_pubmed(query, settings, f"NCBI esearch (modified since {checkpoint})",
                                     datetype="mdat", mindate=checkpoint.replace("-", "/"),
                                     maxdate=now.strftime("%Y/%m/%d"))
            recheck = in_store & set(modified.pmids)
        else:
            recheck = in_store  # first search of this query over stored records: check them all
        new = found - stored.keys()
        wanted = new | recheck
        log.info("esearch: %d PMIDs (PubMed's translation: %s); %d stored before, %d new, %d to recheck",
                 result.count, result.translation, len(stored), len(new), len(recheck))
        fetched, resumed_from, doctype = _read_partial(partial, wanted)
        if fetched:
            log.info("resuming: %d records from an unfinished run in %s", len(fetched), partial)
        remaining = wanted - fetched.keys()
        if remaining:
            if remaining == found:
                webenv, query_key = result.webenv, result.query_key
            else:
                webenv, query_key = parse_epost(call(Entrez.epost, "NCBI epost", settings, db="pubmed",
                                                      id=",".join(sorted(remaining, key=int))))
            batch_articles, batch_doctype = fetch_batches(webenv, query_key, len(remaining), remaining,
                                                          settings, partial, stamp)
            fetched.update(batch_articles)
            doctype = doctype or batch_doctype

    missing = wanted - fetched.keys()
    if missing:
        raise RetrievalError("NCBI efetch", f"{len(missing)} PMIDs found by esearch were not fetched: "
                                            f"{', '.join(sorted(missing, key=int)[:10])}")
    changed = {pmid: fetched[pmid] for pmid in wanted if _digest(fetched[pmid]) != stored.get(pmid)}
    snapshot = None
    if changed:
        snapshot = store / f"{stamp}.xml.gz"
        if files and files[-1].name >= snapshot.name:
            # Names order the versions of a record: a new file must sort after every stored one.
            raise RetrievalError(str(files[-1]), f"not older than this run's {snapshot.name}: "
                                                 "rerun in a second, or check the clock")
        write_snapshot(snapshot, changed, doctype)
    # PubMed dates are US Eastern and mdat is by day: start the next check a day before the
    # earliest fetch this run relied on. Records fetched twice are dropped as unchanged.
    since = min(resumed_from or now, now) - dt.timedelta(days=1)
    updated = len(changed.keys() - new)
    row = {"date": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "checkpoint": since.strftime("%Y-%m-%d"),
           "query": query, "mindate": mindate or "", "maxdate": maxdate or "",
           "query_translation": result.translation, "count": result.count, "fetched": len(wanted),
           "new": len(new), "updated": updated, "file": snapshot.name if snapshot else ""}
    existing = searches.read_text(encoding="utf-8") if searches.exists() else format_tsv([], SEARCHES_COLUMNS)
    atomic_write_text(searches, existing + format_tsv([row], SEARCHES_COLUMNS).split("\n", 1)[1])
    if partial.exists():
        shutil.rmtree(partial)

    files = snapshot_files(store)
    write_manifest(files, manifest)
    append_search_log(search_log, {
        "date": row["date"], "source": "pubmed", "query": query, "query_translation": result.translation,
        "mindate": mindate or "", "maxdate": maxdate or "", "count": result.count,
        "fetched": len(wanted), "new": len(new), "files": str(snapshot) if snapshot else "",
    })
    dropped = len(stored.keys() - found)
    if dropped:
        log.info("%d stored PMIDs no longer match the query; they stay in the store", dropped)
    return LiveRun(result.count, result.translation, len(wanted), len(new), updated, snapshot, files)


def manifest_as_of(data_dir: str | os.PathLike, as_of: str, manifest: str | os.PathLike) -> list[Path]:
    """The manifest of the stored snapshot files dated on or before `as_of`; no search runs."""
    store = Path(data_dir) / "pubmed"
    files = snapshot_files(store, as_of)
    if not files:
        raise RetrievalError(str(store), f"no PubMed snapshot dated on or before {as_of} (as_of)")
    write_manifest(files, manifest)
    return files


# --- command line --------------------------------------------------------------------------------


def configure_cli(parser) -> None:
    parser.add_argument("--source", choices=["snapshot", "pubmed"], default="snapshot")
    parser.add_argument("--snapshot", nargs="+", help="snapshot mode: PubMed XML path(s) or glob(s)")
    parser.add_argument("--query", required=True, help="the PubMed query (logged; run in pubmed mode)")
    parser.add_argument("--manifest", required=True, help="manifest TSV to write (files for the records stage)")
    parser.add_argument("--search-log", required=True, help="search log TSV to append to")
    parser.add_argument("--mindate", help="pubmed mode: first publication date (YYYY[/MM[/DD]])")
    parser.add_argument("--maxdate", help="pubmed mode: last publication date (YYYY[/MM[/DD]])")
    parser.add_argument("--data-dir", default="data", help="pubmed mode: durable store (<data-dir>/pubmed)")
    parser.add_argument("--as-of", type=iso_date, help="pubmed mode: no search; list the snapshots of that day "
                                                   "and before (YYYY-MM-DD)")
    add_eutils_options(parser, batch_size=500, what="records")


def run_cli(args) -> int:
    logging.basicConfig(level=logging.INFO, format="retrieve: %(message)s", stream=sys.stderr)
    if args.source == "snapshot":
        if not args.snapshot:
            raise InputError(None, None, None, "--snapshot is missing: --source snapshot needs the PubMed XML "
                                               "files (paths or globs)")
        if args.as_of:
            log.warning("as_of (%s) applies to search.source pubmed only; the snapshot files are read as they are",
                        args.as_of)
        files = retrieve_snapshot(args.snapshot, args.query, args.manifest, args.search_log)
        print(f"retrieve: snapshot, {len(files)} file(s) -> {args.manifest}")
        return 0
    if args.as_of:
        files = manifest_as_of(args.data_dir, args.as_of, args.manifest)
        print(f"retrieve: as of {args.as_of}, no search; {len(files)} stored snapshot file(s) -> {args.manifest}")
        return 0
    settings = NcbiSettings(
        email=os.environ.get("NCBI_EMAIL", ""), api_key=os.environ.get("NCBI_API_KEY", ""),
        eutils_url=args.eutils_url, batch_size=args.batch_size, max_tries=args.max_tries,
        backoff_seconds=args.backoff_seconds, timeout_seconds=args.timeout_seconds)
    run = retrieve_pubmed(args.query, settings, args.data_dir, args.manifest, args.search_log,
                          args.mindate, args.maxdate)
    outcome = f"new snapshot {run.snapshot}" if run.snapshot else "nothing new or changed, no new snapshot"
    found = "the query found nothing" if run.count == 0 else f"{run.count} PMIDs found"
    print(f"retrieve: pubmed, {found}; fetched {run.fetched} ({run.new} new, {run.updated} updated); "
          f"{outcome}; {len(run.files)} snapshot file(s) -> {args.manifest}")
    return 0
