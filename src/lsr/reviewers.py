"""Reviewer-written TSV files: validation helpers, screening decisions, agreement between reviewers.

Reviewers edit these files by hand and the pipeline only reads them, so every check raises
lsr.tsv.InputError naming the file, the line, the field and what was expected. The helpers
take rows as read by `lsr.tsv.read_tsv` (each carries its line number under '_line').
"""
from __future__ import annotations

import itertools
import os
import re
import sys
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path

from .checks import check_date, check_known, check_vocabulary, record_lookup, require_value
from .tsv import InputError, Problems, read_tsv


def read_reviewer_file(path: str | os.PathLike, columns: Sequence[str]) -> list[dict[str, str]]:
    """A reviewer-written TSV ('#' lines are comments): one row per data line; the count goes to the log."""
    rows = read_tsv(path, required=columns, allow_comments=True)
    print(f"{path}: {len(rows)} row(s) read", file=sys.stderr)
    return rows


# --- per-reviewer files -------------------------------------------------------------------------

def reviewer_files(directory: str | os.PathLike) -> list[Path]:
    """The reviewers' files of a folder (`<reviewer>.tsv`), sorted by name; a missing folder has none.

    A path to one file is taken as that file alone (a review that keeps one file)."""
    directory = Path(directory)
    if directory.is_file():
        return [directory]
    return sorted(directory.glob("*.tsv")) if directory.is_dir() else []


def reviewer_file(directory: str | os.PathLike, reviewer: str) -> Path:
    """NAME's own file in a folder of per-reviewer files; InputError on a name unfit for a file name."""
    if not _REVIEWER.match(reviewer):
        raise InputError(directory, None, "reviewer",
                         f"{reviewer!r} cannot name a reviewer's file; expected letters, digits, '.', '_' or '-'")
    return Path(directory) / f"{reviewer}.tsv"


def check_file_reviewer(path: str | os.PathLike, row: Mapping) -> str:
    """The row's reviewer, which must be the one the file is named after (`<reviewer>.tsv`)."""
    reviewer = require_value(path, row, "reviewer", "the reviewer's name")
    owner = Path(path).stem
    if reviewer != owner:
        raise InputError(path, row.get("_line"), "reviewer",
                         f"{reviewer!r} in {owner}'s file; expected {owner!r} (each reviewer writes only "
                         f"their own file, named after them)")
    return reviewer


def latest_rows(rows: Iterable[Mapping], key: Callable[[Mapping], tuple]) -> list[Mapping]:
    """The last row (in file order) for each key: a reviewer changes a decision or value by adding a
    row, and the file keeps the earlier one as history. Rows keep their first-seen order."""
    latest: dict[tuple, Mapping] = {}
    for row in rows:
        latest.pop(key(row), None)
        latest[key(row)] = row
    return list(latest.values())


# --- screening decisions: config/screening/decisions/<reviewer>.tsv -----------------------------

DECISION_COLUMNS = ["pmid", "reviewer", "stage", "decision", "exclusion_reason", "note", "date", "final"]
REQUIRED_DECISION_COLUMNS = DECISION_COLUMNS[:-1]
"""`final` may be left out of a hand-written file (no final decisions)."""
TITLE_ABSTRACT, FULL_TEXT = "title_abstract", "full_text"
STAGES = (TITLE_ABSTRACT, FULL_TEXT)
WITHDRAWN = "withdrawn"
"""A decision that takes back the reviewer's earlier decision on the record at that stage."""
DECISIONS = ("include", "exclude", "needs_review")
STAGE_DECISIONS = {TITLE_ABSTRACT: (*DECISIONS, WITHDRAWN),
                   FULL_TEXT: ("include", "exclude", "not_retrieved", WITHDRAWN)}
_REVIEWER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


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
                   seen: Collection[str] = (), full_text_reasons: Sequence[str] | None = None) -> list[dict]:
    """Validated reviewer decisions, each with the `record_id` it refers to, from a folder of
    per-reviewer files (`<reviewer>.tsv`; or one file).

    Rules: the reviewer the file is named after; a known PMID or record id; a stage
    (title_abstract, full_text); a decision of that stage (STAGE_DECISIONS); an exclusion reason
    with every exclude and only with an exclude, from `exclusion_reasons` at title/abstract and
    `full_text_reasons` (default: the same) at full text; a YYYY-MM-DD date; `final` yes or empty.
    A later row for the same record and stage replaces the earlier one (`latest_rows`); a
    `withdrawn` row takes the decision back. Rows this run cannot apply (`as_of`, records `seen`
    before but not retrieved now) are left out: see `applicable_rows`.
    """
    lookup = record_lookup(records)
    problems = Problems()
    reasons = {TITLE_ABSTRACT: exclusion_reasons, FULL_TEXT: full_text_reasons or exclusion_reasons}
    decisions = []
    for file in reviewer_files(path):
        rows = []
        with problems.check():
            rows = applicable_rows(file, read_reviewer_file(file, REQUIRED_DECISION_COLUMNS), lookup, as_of,
                                   "date", seen)
        checked = []
        for row in rows:
            with problems.check():
                checked.append(check_decision(file, row, lookup, reasons))
        latest = latest_rows(checked, key=lambda d: (d["record_id"], d["stage"]))
        decisions += [d for d in latest if d["decision"] != WITHDRAWN]
    problems.raise_any()
    return decisions


def check_decision(path: str | os.PathLike, row: Mapping, lookup: Callable[[str], str | None],
                   reasons: Mapping[str, Sequence[str]]) -> dict:
    """One decision row checked (rules of `read_decisions`; `reasons` by stage; every problem of
    the row reported together), with its record_id."""
    problems = Problems()
    record_id = None
    with problems.check():
        record_id = check_known(path, row, "pmid", lookup, "PMID or record id (not in the screened records)")
    with problems.check():
        check_file_reviewer(path, row)
    stage = decision = None
    with problems.check():
        stage = check_vocabulary(path, row, "stage", STAGES)
    with problems.check():
        decision = check_vocabulary(path, row, "decision", STAGE_DECISIONS.get(stage, STAGE_DECISIONS[TITLE_ABSTRACT]))
    with problems.check():
        if decision == "exclude" and stage:
            check_vocabulary(path, row, "exclusion_reason", reasons[stage])
        elif row["exclusion_reason"] and decision:
            raise InputError(path, row["_line"], "exclusion_reason",
                             f"{row['exclusion_reason']!r} given with decision {decision!r}; "
                             "expected an exclusion reason only with decision 'exclude'")
    with problems.check():
        check_date(path, row, "date")
    with problems.check():
        check_vocabulary(path, row, "final", ("yes",), required=False)
    problems.raise_any()
    return {**row, "record_id": record_id, "final": row.get("final", "")}


def stage_decisions(decisions: Iterable[Mapping], stage: str) -> list[Mapping]:
    """The decisions made at one stage."""
    return [d for d in decisions if d["stage"] == stage]


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
