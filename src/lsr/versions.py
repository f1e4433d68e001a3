"""Table 1 versions: what a version identifies, where each version's content is kept, and the
one-line summary of what changed since the previous version.

A version identifies what readers see: the first 8 hex digits of the sha256 of
results/table1_marked.csv, Table 1 with every value as the human formats print it, verification
marks included (`†` on a value no reviewer has verified). Confirming a value therefore gives a new
version, although table1.csv (plain values) does not change.

The registry (data/table_versions.tsv, written by the tables stage) lists each distinct content
with the date it first appeared; beside it, data/table_versions/<hash>.csv keeps that content,
so a caption can say what changed since the version before.
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from .tsv import atomic_write_text

DAGGER = "†"
MARKS = (DAGGER,)
"""Marks the human formats append to a value (a reviewer has not verified it)."""


def table_hash(content: bytes) -> str:
    """The version's content hash: first 8 hex digits of the sha256 of table1_marked.csv's bytes."""
    return hashlib.sha256(content).hexdigest()[:8]


def unmarked(text: str) -> str:
    """A shown value without its verification marks."""
    while text and text.endswith(MARKS):
        text = text[:-1]
    return text


def is_marked(text: str) -> bool:
    return bool(text) and text.endswith(MARKS)


def content_dir(registry: str | os.PathLike) -> Path:
    """Where the registry's contents are kept: data/table_versions.tsv -> data/table_versions/."""
    path = Path(registry)
    return path.with_name(path.stem)


def store_content(registry: str | os.PathLike, content_hash: str, marked_csv: str) -> None:
    """Keep a version's content (written once; a content never changes under its hash)."""
    path = content_dir(registry) / f"{content_hash}.csv"
    if not path.exists():
        atomic_write_text(path, marked_csv)


def load_content(registry: str | os.PathLike, content_hash: str) -> list[dict[str, str]] | None:
    """A kept version's rows, or None when the content was not kept (registered before contents were)."""
    path = content_dir(registry) / f"{content_hash}.csv"
    if not path.exists():
        return None
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8"))))


def previous_row(registry: Sequence[Mapping[str, str]], content_hash: str) -> Mapping[str, str] | None:
    """The registry row before `content_hash` first appeared (the last row for new content)."""
    for index, row in enumerate(registry):
        if row["content_hash"] == content_hash:
            return registry[index - 1] if index else None
    return registry[-1] if registry else None


def _plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def _label(row: Mapping[str, str]) -> str:
    return unmarked(row.get("study", "")) or row.get("pmid", "")


def _names(rows: Sequence[Mapping[str, str]]) -> str:
    names = sorted({_label(row) for row in rows})
    return ", ".join(names)


def change_line(previous_label: str | None, previous: Sequence[Mapping[str, str]] | None,
                current: Sequence[Mapping[str, str]]) -> str:
    """What changed since the previous version, in one sentence (rows as in table1_marked.csv).

    Counts studies added and removed, values changed, values verified (mark removed, value kept)
    and values marked unverified again, naming the studies.
    """
    if previous_label is None:
        return "First version of the table."
    if previous is None:
        return f"Changes since version {previous_label}: not known (that version's content was not kept)."
    from .living import match_table_rows

    added, paired, removed = match_table_rows(list(previous), list(current))
    changed, verified, unverified = [], [], []
    for old, new in paired:
        for column, value in new.items():
            before = old.get(column, "")
            if before == value:
                continue
            if unmarked(before) != unmarked(value):
                changed.append(new)
            elif is_marked(before):
                verified.append(new)
            else:
                unverified.append(new)
    parts = []
    for rows, what in ((added, "added"), (removed, "removed")):
        if rows:
            parts.append(f"{_plural(len(rows), 'study', 'studies')} {what} ({_names(rows)})")
    for rows, what in ((changed, "changed"), (verified, "verified by a reviewer"),
                       (unverified, "marked unverified")):
        if rows:
            parts.append(f"{_plural(len(rows), 'value')} {what} ({_names(rows)})")
    return f"Changes since version {previous_label}: " + ("; ".join(parts) if parts else "none") + "."
