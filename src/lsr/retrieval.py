"""Retrieval stage: run the search and list the PubMed XML files the records stage reads.

Two sources: `snapshot` (PubMed XML files on disk, the bundled offline data by default) and
`pubmed` (live NCBI E-utilities through Bio.Entrez). Every run appends one line to the search
log (PRISMA-S): date, source, query, NCBI's translation, count and number fetched.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from .records import resolve_inputs, write_manifest
from .tsv import atomic_write_text, format_tsv

SEARCH_LOG_COLUMNS = ["date", "source", "query", "query_translation", "mindate", "maxdate",
                      "count", "fetched", "new", "files"]


def append_search_log(path: str | os.PathLike, entry: dict[str, object]) -> None:
    """Append one line to the search log (created with its header on first use)."""
    path = Path(path)
    existing = path.read_text(encoding="utf-8") if path.exists() else format_tsv([], SEARCH_LOG_COLUMNS)
    line = format_tsv([entry], SEARCH_LOG_COLUMNS).split("\n", 1)[1]
    atomic_write_text(path, existing + line)


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def retrieve_snapshot(snapshot: str | list[str], query: str, manifest: str | os.PathLike,
                      search_log: str | os.PathLike, count: int | None = None) -> list[Path]:
    """Snapshot source: list the XML files `snapshot` names (path, glob or list) in the manifest."""
    files = resolve_inputs(snapshot)
    write_manifest(files, manifest)
    from .records import collect_records

    total = len(collect_records(files)) if count is None else count
    append_search_log(search_log, {
        "date": now_utc(), "source": "snapshot", "query": query, "query_translation": "",
        "mindate": "", "maxdate": "", "count": total, "fetched": total, "new": "",
        "files": "; ".join(str(f) for f in files),
    })
    return files


def configure_cli(parser) -> None:
    parser.add_argument("--source", choices=["snapshot", "pubmed"], default="snapshot")
    parser.add_argument("--snapshot", nargs="+", help="snapshot mode: PubMed XML path(s) or glob(s)")
    parser.add_argument("--query", required=True, help="the PubMed query (logged; run in pubmed mode)")
    parser.add_argument("--manifest", required=True, help="manifest TSV to write (files for the records stage)")
    parser.add_argument("--search-log", required=True, help="search log TSV to append to")


def run_cli(args) -> int:
    if args.source == "snapshot":
        files = retrieve_snapshot(args.snapshot, args.query, args.manifest, args.search_log)
        print(f"retrieve: snapshot, {len(files)} file(s) -> {args.manifest}")
        return 0
    raise NotImplementedError("live PubMed retrieval")
