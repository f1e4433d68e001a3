"""Reviewer-written TSV files: validation helpers, screening decisions, agreement between reviewers.

Reviewers edit these files by hand and the pipeline only reads them, so every check raises
lsr.tsv.InputError naming the file, the line, the field and what was expected. The helpers
take rows as read by `lsr.tsv.read_tsv` (each carries its line number under '_line').
"""
from __future__ import annotations

import itertools
import os
import sys
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

from .checks import RecordLookup, check_date, check_known, check_unique, check_vocabulary, record_lookup, require_value
from .tsv import InputError, Problems, read_tsv


def read_reviewer_file(path: str | os.PathLike, columns: Sequence[str]) -> list[dict[str, str]]:
    """A reviewer-written TSV ('#' lines are comments): one row per data line; the count goes to the log."""
    rows = read_tsv(path, required=columns, allow_comments=True)
    print(f"{path}: {len(rows)} row(s) read", file=sys.stderr)
    return rows


# --- screening decisions: config/screening/decisions.tsv ---------------------------------------

DECISION_COLUMNS = ["pmid", "reviewer", "decision", "exclusion_reason", "note", "date"]
DECISIONS = ("include", "exclude", "needs_review")


def applicable_rows(path: str | os.PathLike, rows: Iterable[Mapping], lookup: Callable[[str], str | None],
                    as_of: str | None = None, date_field: str | None = None,
                    seen: Collection[str] = ()) -> list[Mapping]:
    """The reviewer rows this run can apply; the others are reported on stderr, never dropped from the file.

    Left out: rows dated after `as_of` (a rebuild of the past), and rows about a record this run
    does not hold when the review has seen it before (`seen`: record ids of its history — the
    search no longer finds it, or another snapshot is run) or when rebuilding the past. A record
    the review never saw is left in, for the caller to reject as unknown (a typo, most likely).
    """
    kept, left_out = [], {}
    for row in rows:
        record = row.get("pmid", "")
        if as_of and date_field and check_date(path, row, date_field) > as_of:
            left_out.setdefault(f"dated after {as_of}", []).append(row["_line"])
        elif record and lookup(record) is None and (as_of or record_key(record) in seen):
            left_out.setdefault(f"{record} is not among this run's records", []).append(row["_line"])
        else:
            kept.append(row)
    for why, lines in left_out.items():
        print(f"{path}: not applied ({why}): line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}",
              file=sys.stderr)
    return kept


def record_key(value: str) -> str:
    """The record id a reviewer's `pmid` cell names: digits are a PMID, anything else a record id."""
    return f"pmid:{value}" if value.isdigit() else value.lower()


def read_decisions(path: str | os.PathLike, records: Iterable[Mapping],
                   exclusion_reasons: Sequence[str], as_of: str | None = None,
                   seen: Collection[str] = ()) -> list[dict]:
    """Validated reviewer decisions, each with the `record_id` it refers to.

    Rules: a known PMID or record id; a reviewer name; decision include, exclude or
    needs_review; an exclusion reason from the vocabulary with every exclude and only with
    an exclude; a YYYY-MM-DD date; one row per record and reviewer. Rows this run cannot apply
    (`as_of`, records `seen` before but not retrieved now) are left out: see `applicable_rows`.
    """
    lookup = record_lookup(records)
    problems = Problems()
    with problems.check():
        rows = applicable_rows(path, read_reviewer_file(path, DECISION_COLUMNS), lookup, as_of, "date", seen)
    problems.raise_any()
    decisions = []
    for row in rows:
        with problems.check():
            decisions.append(check_decision(path, row, lookup, exclusion_reasons))
    with problems.check():
        check_unique(path, decisions, ["pmid", "reviewer"], key=lambda d: (d["record_id"], d["reviewer"]))
    problems.raise_any()
    return decisions


def check_decision(path: str | os.PathLike, row: Mapping, lookup: RecordLookup,
                   exclusion_reasons: Sequence[str]) -> dict:
    """One decision row checked (every problem of the row reported together), with its record_id."""
    problems = Problems()
    record_id = None
    with problems.check():
        record_id = check_known(path, row, "pmid", lookup, "PMID or record id (not in the screened records)")
    with problems.check():
        require_value(path, row, "reviewer", "the reviewer's name")
    decision = None
    with problems.check():
        decision = check_vocabulary(path, row, "decision", DECISIONS)
    with problems.check():
        if decision == "exclude":
            check_vocabulary(path, row, "exclusion_reason", exclusion_reasons)
        elif row["exclusion_reason"] and decision:
            raise InputError(path, row["_line"], "exclusion_reason",
                             f"{row['exclusion_reason']!r} given with decision {decision!r}; "
                             "expected an exclusion reason only with decision 'exclude'")
    with problems.check():
        check_date(path, row, "date")
    problems.raise_any()
    return {**row, "record_id": record_id}


# --- agreement -----------------------------------------------------------------------------------

def cohen_kappa(pairs: Collection[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters' labels on the same items; None when undefined
    (no items, or both raters used one and the same label throughout)."""
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    labels = {label for pair in pairs for label in pair}
    expected = sum((sum(a == label for a, _ in pairs) / n) * (sum(b == label for _, b in pairs) / n)
                   for label in labels)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def pairwise_agreement(decisions: Iterable[Mapping]) -> list[dict]:
    """For each pair of reviewers: records both decided, share agreeing and Cohen's kappa."""
    by_reviewer: dict[str, dict[str, str]] = {}
    for d in decisions:
        by_reviewer.setdefault(d["reviewer"], {})[d["record_id"]] = d["decision"]
    rows = []
    for first, second in itertools.combinations(sorted(by_reviewer), 2):
        shared = sorted(set(by_reviewer[first]) & set(by_reviewer[second]))
        pairs = [(by_reviewer[first][r], by_reviewer[second][r]) for r in shared]
        rows.append({
            "reviewers": (first, second),
            "records": len(pairs),
            "agreement": (sum(a == b for a, b in pairs) / len(pairs)) if pairs else None,
            "kappa": cohen_kappa(pairs),
        })
    return rows
