"""Reviewer-written TSV files: validation helpers, screening decisions, agreement between reviewers.

Reviewers edit these files by hand and the pipeline only reads them, so every check raises
lsr.tsv.InputError naming the file, the line, the field and what was expected. The helpers
take rows as read by `lsr.tsv.read_tsv` (each carries its line number under '_line').
"""
from __future__ import annotations

import datetime
import itertools
import os
import sys
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

from .tsv import InputError, read_tsv

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def require_value(path: str | os.PathLike, row: Mapping, field: str, what: str = "a value") -> str:
    """The field's value; InputError when it is empty."""
    value = row.get(field, "")
    if not value:
        raise InputError(path, row.get("_line"), field, f"empty; expected {what}")
    return value


def check_date(path: str | os.PathLike, row: Mapping, field: str, required: bool = True) -> str:
    """A calendar date written YYYY-MM-DD (empty allowed when not `required`)."""
    value = row.get(field, "")
    if not value and not required:
        return value
    problem = f"{value!r} is not a date; expected YYYY-MM-DD, e.g. 2024-05-31"
    if not _DATE.match(value):
        raise InputError(path, row.get("_line"), field, problem)
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        raise InputError(path, row.get("_line"), field, problem) from None
    return value


def check_vocabulary(path: str | os.PathLike, row: Mapping, field: str, allowed: Sequence[str],
                     required: bool = True) -> str:
    """A value from a fixed list (empty allowed when not `required`)."""
    value = row.get(field, "")
    if not value and not required:
        return value
    if value not in allowed:
        shown = repr(value) if value else "empty"
        raise InputError(path, row.get("_line"), field,
                         f"{shown} is not allowed; expected one of: {', '.join(allowed)}")
    return value


def check_known(path: str | os.PathLike, row: Mapping, field: str, lookup: Callable[[str], str | None],
                what: str) -> str:
    """Resolve the field's value with `lookup` (e.g. a PMID to its record id); InputError if unknown."""
    value = require_value(path, row, field, what)
    resolved = lookup(value)
    if resolved is None:
        raise InputError(path, row.get("_line"), field, f"unknown {what}: {value!r}")
    return resolved


def check_unique(path: str | os.PathLike, rows: Iterable[Mapping], key_fields: Sequence[str],
                 key: Callable[[Mapping], tuple] | None = None) -> None:
    """No two rows share a key (by default the values of `key_fields`); names both lines."""
    seen: dict[tuple, int] = {}
    for row in rows:
        value = key(row) if key else tuple(row.get(f, "") for f in key_fields)
        if value in seen:
            raise InputError(path, row.get("_line"), key_fields[0],
                             f"duplicate row for ({', '.join(key_fields)}) = ({', '.join(map(str, value))}); "
                             f"line {seen[value]} has it already: keep one row per "
                             f"{' and '.join(key_fields)}")
        seen[value] = row.get("_line")


# --- screening decisions: config/screening/decisions.tsv ---------------------------------------

DECISION_COLUMNS = ["pmid", "reviewer", "decision", "exclusion_reason", "note", "date"]
DECISIONS = ("include", "exclude", "needs_review")


def record_lookup(records: Iterable[Mapping]) -> Callable[[str], str | None]:
    """Map what a reviewer writes in the `pmid` column (digits, or a record_id) to a record_id."""
    by_key: dict[str, str] = {}
    for record in records:
        by_key[record["record_id"]] = record["record_id"]
        if record.get("pmid"):
            by_key[record["pmid"]] = record["record_id"]
    return lambda value: by_key.get(value) or by_key.get(value.lower())


def as_of_filter(path: str | os.PathLike, rows: Iterable[Mapping], lookup: Callable[[str], str | None],
                 as_of: str | None, date_field: str | None = None) -> list[Mapping]:
    """The rows a review rebuilt as of `as_of` (YYYY-MM-DD) can hold: none dated after that day and
    none about a record not retrieved by then (both are reported on stderr). Without `as_of`, all rows.
    """
    if not as_of:
        return list(rows)
    kept = []
    for row in rows:
        if date_field and check_date(path, row, date_field) > as_of:
            print(f"as of {as_of}: {path}, line {row['_line']} ignored (dated {row[date_field]})", file=sys.stderr)
        elif row.get("pmid") and lookup(row["pmid"]) is None:
            print(f"as of {as_of}: {path}, line {row['_line']} ignored ({row['pmid']} not retrieved then)",
                  file=sys.stderr)
        else:
            kept.append(row)
    return kept


def read_decisions(path: str | os.PathLike, records: Iterable[Mapping],
                   exclusion_reasons: Sequence[str], as_of: str | None = None) -> list[dict]:
    """Validated reviewer decisions, each with the `record_id` it refers to.

    Rules: a known PMID or record id; a reviewer name; decision include, exclude or
    needs_review; an exclusion reason from the vocabulary with every exclude and only with
    an exclude; a YYYY-MM-DD date; one row per record and reviewer. With `as_of`, only the
    decisions the review had on that day (see `as_of_filter`).
    """
    lookup = record_lookup(records)
    rows = as_of_filter(path, read_tsv(path, required=DECISION_COLUMNS, allow_comments=True), lookup, as_of, "date")
    decisions = []
    for row in rows:
        record_id = check_known(path, row, "pmid", lookup, "PMID or record id (not in the screened records)")
        require_value(path, row, "reviewer", "the reviewer's name")
        decision = check_vocabulary(path, row, "decision", DECISIONS)
        if decision == "exclude":
            check_vocabulary(path, row, "exclusion_reason", exclusion_reasons)
        elif row["exclusion_reason"]:
            raise InputError(path, row["_line"], "exclusion_reason",
                             f"{row['exclusion_reason']!r} given with decision {decision!r}; "
                             "expected an exclusion reason only with decision 'exclude'")
        check_date(path, row, "date")
        decisions.append({**row, "record_id": record_id})
    check_unique(path, decisions, ["pmid", "reviewer"], key=lambda d: (d["record_id"], d["reviewer"]))
    return decisions


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
