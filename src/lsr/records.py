"""Records stage: the PubMed XML files of the retrieval manifest to one row per PMID (lsr.pubmed
parses them), the latest version of each PMID across files, sorted by PMID.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Iterable

from .pubmed import COLUMNS, iter_records, read_manifest
from .tsv import write_tsv


def _newer(candidate: dict[str, str], current: dict[str, str]) -> bool:
    """Whether `candidate` replaces `current`, an earlier-read row with the same PMID.

    Higher PMID Version wins, then the later DateRevised; on a tie the row read later wins
    (files are read in manifest order, which is sorted, and dated snapshot names sort by date).
    """
    return (int(candidate["version"]), candidate["date_revised"]) >= \
        (int(current["version"]), current["date_revised"])


def collect_records(files: Iterable[str | os.PathLike]) -> list[dict[str, str]]:
    """Parse all files in order; one row per PMID (its latest version), sorted by numeric PMID.

    Unlike iter_records this holds one row per PMID in memory: the latest version of a PMID
    may come last, and the table is sorted.
    """
    latest: dict[str, dict[str, str]] = {}
    for path in files:
        for record in iter_records(path):
            current = latest.get(record["pmid"])
            if current is not None and _same_version_other_content(record, current):
                print(f"PMID {record['pmid']} (version {record['version']}, revised {record['date_revised'] or '-'}) "
                      f"differs between {current['source_file']} and {record['source_file']}: kept the one read "
                      "later, from the manifest's order", file=sys.stderr)
            if current is None or _newer(record, current):
                latest[record["pmid"]] = record
    return [latest[pmid] for pmid in sorted(latest, key=int)]


def _same_version_other_content(candidate: dict[str, str], current: dict[str, str]) -> bool:
    """Two copies with the same PMID version and revision date whose content differs."""
    if (candidate["version"], candidate["date_revised"]) != (current["version"], current["date_revised"]):
        return False
    return any(candidate[key] != current[key] for key in candidate if key != "source_file")


def write_records(files: Iterable[str | os.PathLike], output: str | os.PathLike) -> int:
    """Parse `files` into the records table at `output` (written atomically); returns the row count."""
    rows = collect_records(files)
    write_tsv(output, rows, COLUMNS)
    return len(rows)


def configure_cli(parser) -> None:
    parser.add_argument("--manifest", required=True,
                        help="retrieval manifest (TSV with columns path, sha256) listing the PubMed XML files")
    parser.add_argument("--out", required=True, help="records table to write (TSV)")


def run_cli(args) -> int:
    files = read_manifest(args.manifest)
    count = write_records(files, args.out)
    print(f"records: {count} unique PMIDs from {len(files)} file(s) -> {args.out}")
    return 0
