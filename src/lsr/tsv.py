"""Deterministic, atomic TSV and text I/O shared by every stage.

Every output is written to a temporary file beside its target and renamed into place,
so a crash never leaves a half-written table, and rows/columns are written exactly in
the order given (callers sort), so the same inputs give byte-identical files.
"""
from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO


_UMASK = os.umask(0)
os.umask(_UMASK)


class InputError(ValueError):
    """Bad input: the message names the file, line and field, and what was expected."""

    def __init__(self, path: str | os.PathLike, line: int | None, field: str | None, problem: str):
        where = str(path) + (f", line {line}" if line is not None else "")
        if field:
            where += f", field '{field}'"
        super().__init__(f"{where}: {problem}")
        self.path, self.line, self.field, self.problem = str(path), line, field, problem


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside `path` for writing; rename it into place only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        text = {"encoding": "utf-8", "newline": ""} if "b" not in mode else {}
        with os.fdopen(fd, mode, **text) as handle:
            yield handle
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; published files get the usual mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` atomically (temporary file in the same folder, then rename)."""
    with atomic_output(path) as handle:
        handle.write(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 text atomically, with '\\n' line endings."""
    atomic_write_bytes(path, text.encode("utf-8"))


def clean_cell(value: object) -> str:
    """A value as one TSV cell: None -> '', tabs and line breaks folded to spaces."""
    if value is None:
        return ""
    return " ".join(str(value).split()) if any(c in str(value) for c in "\t\r\n") else str(value)


def _write_rows(handle: IO[str], rows: Iterable[Mapping[str, object]], columns: Sequence[str]) -> None:
    writer = csv.writer(handle, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([clean_cell(row.get(column)) for column in columns])


def format_tsv(rows: Iterable[Mapping[str, object]], columns: Sequence[str]) -> str:
    """Rows as TSV text with a header; missing keys are empty cells."""
    buffer = io.StringIO()
    _write_rows(buffer, rows, columns)
    return buffer.getvalue()


def write_tsv(path: str | os.PathLike, rows: Iterable[Mapping[str, object]], columns: Sequence[str]) -> None:
    """Write rows (already in their final order) to `path` atomically, streaming them to disk."""
    with atomic_output(path, "w") as handle:
        _write_rows(handle, rows, columns)


def read_tsv(
    path: str | os.PathLike,
    required: Sequence[str] = (),
    allow_comments: bool = False,
) -> list[dict[str, str]]:
    """Read a TSV with a header into dicts (all values str, surrounding spaces stripped).

    Each dict carries its 1-based file line number under the key '_line', so callers can
    name the line in their errors. With `allow_comments`, lines starting with '#' are
    skipped (hand-edited reviewer files). Missing required columns raise InputError.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, None, None, "file not found")
    text = path.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    kept = [(n, line) for n, line in enumerate(lines, start=1)
            if line.strip() and not (allow_comments and line.lstrip().startswith("#"))]
    if not kept:
        raise InputError(path, 1, None, f"empty file; expected a header with columns {', '.join(required)}")
    reader = csv.reader([line for _, line in kept], delimiter="\t")
    header = [h.strip() for h in next(reader)]
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(path, kept[0][0], missing[0],
                         f"missing column; expected columns {', '.join(required)} (found {', '.join(header)})")
    rows = []
    for (number, _), cells in zip(kept[1:], reader):
        if len(cells) > len(header):
            raise InputError(path, number, None,
                             f"{len(cells)} cells but the header has {len(header)} columns (a stray tab?)")
        cells = cells + [""] * (len(header) - len(cells))
        row = {name: cell.strip() for name, cell in zip(header, cells)}
        row["_line"] = number
        rows.append(row)
    return rows


def locked_append(path: str | os.PathLike, addition: Callable[[str], str]) -> str:
    """Append to a file that other processes may append to at the same moment; returns what was added.

    Under an exclusive lock on the file (fcntl.flock), `addition(current text)` gives the text to
    add, written with O_APPEND and synced before the lock is released: the earlier content is
    never rewritten, and two writers never interleave or lose a line.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666 & ~_UMASK)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with os.fdopen(os.dup(fd), "rb") as handle:
            current = handle.read().decode("utf-8-sig")
        text = addition(current)
        data = text.encode("utf-8")
        while data:
            data = data[os.write(fd, data):]
        os.fsync(fd)
        return text
    finally:
        os.close(fd)


def append_rows(path: str | os.PathLike, rows: Sequence[Mapping[str, object]], columns: Sequence[str],
                preamble: str = "") -> None:
    """Append whole rows to a hand-editable TSV (see `locked_append`), in the order of the file's own
    header; a new or empty file first gets `preamble` ('#' comment lines) and a header of `columns`.

    InputError when the file's header lacks a column a row has a value for (nothing is written).
    """
    def addition(current: str) -> str:
        lines = [line for line in current.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        header = [h.strip() for h in lines[0].split("\t")] if lines else list(columns)
        for row in rows:
            for column in columns:
                if row.get(column) and column not in header:
                    raise InputError(path, None, column, f"the file has no column {column!r} for the value "
                                                         f"{row[column]!r}; add the column to its header")
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        if not lines:
            buffer.write(preamble)
            writer.writerow(header)
        for row in rows:
            writer.writerow([clean_cell(row.get(column)) for column in header])
        start = "\n" if current and not current.endswith("\n") else ""
        return start + buffer.getvalue()

    locked_append(path, addition)
