"""Records stage: the PubMed XML files of the retrieval manifest to one row per PMID (lsr.pubmed
parses them), the latest version of each PMID across files, sorted by PMID.

Rows stream: each parsed row goes, as its TSV line, to a spool file beside the output, and only an
index (PMID, version, revision date, where its line is) stays in memory; the table is then written
from the spool in PMID order. Memory does not grow with the abstracts, only with that index.
"""
from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, NamedTuple

from .pubmed import COLUMNS, ListedFile, iter_records, list_manifest
from .tsv import atomic_output, format_line


class _Seen(NamedTuple):
    """The latest version of a PMID read so far, and where its row is in the spool."""
    version: int
    date_revised: str
    offset: int
    length: int
    content: int   # hash of the row without source_file: tells two copies of one version apart
    source_file: str


def _spool_latest(files: Iterable[str | os.PathLike | ListedFile], spool: IO[bytes]) -> list[tuple[int, int]]:
    """Parse all files in order into `spool` (one TSV line per row read); (offset, length) of each
    PMID's latest version, sorted by numeric PMID.

    Higher PMID Version wins, then the later DateRevised; on a tie the row read later wins
    (files are read in manifest order, which is sorted, and dated snapshot names sort by date).
    """
    latest: dict[str, _Seen] = {}
    for source in files:
        records = source.records() if isinstance(source, ListedFile) else iter_records(source)
        for record in records:
            line = format_line(record, COLUMNS)
            data = (line + "\n").encode("utf-8")
            seen = _Seen(int(record["version"]), record["date_revised"], spool.tell(), len(data),
                         hash(line.rpartition("\t")[0]), record["source_file"])
            spool.write(data)
            current = latest.get(record["pmid"])
            if current is not None and (seen.version, seen.date_revised) == (current.version, current.date_revised) \
                    and seen.content != current.content:
                print(f"PMID {record['pmid']} (version {record['version']}, revised {record['date_revised'] or '-'}) "
                      f"differs between {current.source_file} and {seen.source_file}: kept the one read "
                      "later, from the manifest's order", file=sys.stderr)
            if current is None or (seen.version, seen.date_revised) >= (current.version, current.date_revised):
                latest[record["pmid"]] = seen
    return [(latest[pmid].offset, latest[pmid].length) for pmid in sorted(latest, key=int)]


def _spooled_lines(spool: IO[bytes], places: list[tuple[int, int]]) -> Iterator[bytes]:
    for offset, length in places:
        spool.seek(offset)
        yield spool.read(length)


def collect_records(files: Iterable[str | os.PathLike | ListedFile]) -> list[dict[str, str]]:
    """Parse all files in order; one row per PMID (its latest version), sorted by numeric PMID."""
    with tempfile.TemporaryFile() as spool:
        places = _spool_latest(files, spool)
        return [dict(zip(COLUMNS, line.decode("utf-8").rstrip("\n").split("\t")))
                for line in _spooled_lines(spool, places)]


def write_records(files: Iterable[str | os.PathLike | ListedFile], output: str | os.PathLike) -> int:
    """Parse `files` into the records table at `output` (written atomically); returns the row count."""
    with atomic_output(output) as handle, tempfile.TemporaryFile(dir=Path(output).parent) as spool:
        places = _spool_latest(files, spool)
        handle.write(("\t".join(COLUMNS) + "\n").encode("utf-8"))
        for line in _spooled_lines(spool, places):
            handle.write(line)
    return len(places)


def configure_cli(parser) -> None:
    parser.add_argument("--manifest", required=True,
                        help="retrieval manifest (TSV with columns path, sha256) listing the PubMed XML files")
    parser.add_argument("--out", required=True, help="records table to write (TSV)")


def run_cli(args) -> int:
    # Each file's checksum is checked as it is parsed: one read of each file.
    files = list_manifest(args.manifest)
    count = write_records(files, args.out)
    print(f"records: {count} unique PMIDs from {len(files)} file(s) -> {args.out}")
    return 0
