"""Validators shared by the stages: dates, and the checks of rows read from reviewer files.

Every row check raises lsr.tsv.InputError naming the file, the line (rows as read by
`lsr.tsv.read_tsv` carry it under '_line'), the field and what was expected. `iso_date` is the
argparse type of every --as-of/--date/--since option.
"""
from __future__ import annotations

import argparse
import datetime
import difflib
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

from .tsv import InputError, Problems

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def is_iso_date(text: str) -> bool:
    """True for a calendar date written YYYY-MM-DD."""
    if not _DATE.match(text):
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def iso_date(text: str) -> str:
    """argparse type of the --as-of, --date and --since options: a calendar date written YYYY-MM-DD."""
    if not is_iso_date(text):
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}")
    return text


class RecordLookup:
    """Map what a reviewer writes in the `pmid` column (digits, or a record_id) to a record_id;
    None for a record the run does not hold. `keys` are the spellings it knows (for suggestions)."""

    def __init__(self, records: Iterable[Mapping]):
        self.by_key: dict[str, str] = {}
        for record in records:
            self.by_key[record["record_id"]] = record["record_id"]
            if record.get("pmid"):
                self.by_key[record["pmid"]] = record["record_id"]

    @property
    def keys(self) -> list[str]:
        return sorted(self.by_key)

    def __call__(self, value: str) -> str | None:
        return self.by_key.get(value) or self.by_key.get(value.lower())


def record_lookup(records: Iterable[Mapping]) -> RecordLookup:
    """The RecordLookup of `records`."""
    return RecordLookup(records)


def did_you_mean(value: str, known: Iterable[str]) -> str:
    """' (did you mean X?)' for the closest known spelling of a mistyped value, else ''."""
    close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


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
    if not is_iso_date(value):
        raise InputError(path, row.get("_line"), field, f"{value!r} is not a date; expected YYYY-MM-DD, e.g. 2024-05-31")
    return value


def check_vocabulary(path: str | os.PathLike, row: Mapping, field: str, allowed: Sequence[str],
                     required: bool = True) -> str:
    """A value from a fixed list (empty allowed when not `required`)."""
    value = row.get(field, "")
    if not value and not required:
        return value
    if value not in allowed:
        shown = repr(value) if value else "empty"
        raise InputError(path, row.get("_line"), field, f"{shown} is not allowed{did_you_mean(value, allowed)}; "
                                                        f"expected one of: {', '.join(allowed)}")
    return value


def check_known(path: str | os.PathLike, row: Mapping, field: str, lookup: RecordLookup, what: str) -> str:
    """Resolve the field's value with `lookup` (a PMID or record id to its record id); InputError if unknown."""
    value = require_value(path, row, field, what)
    resolved = lookup(value)
    if resolved is None:
        raise InputError(path, row.get("_line"), field, f"unknown {what}: {value!r}{did_you_mean(value, lookup.keys)}")
    return resolved


def check_unique(path: str | os.PathLike, rows: Iterable[Mapping], key_fields: Sequence[str],
                 key: Callable[[Mapping], tuple] | None = None) -> None:
    """No two rows share a key (by default the values of `key_fields`); names both lines."""
    seen: dict[tuple, int] = {}
    problems = Problems()
    for row in rows:
        value = key(row) if key else tuple(row.get(f, "") for f in key_fields)
        if value in seen:
            with problems.check():
                raise InputError(path, row.get("_line"), key_fields[0],
                                 f"duplicate row for ({', '.join(key_fields)}) = ({', '.join(map(str, value))}); "
                                 f"line {seen[value]} has it already: keep one row per "
                                 f"{' and '.join(key_fields)}")
        else:
            seen[value] = row.get("_line")
    problems.raise_any()
