"""Deterministic, atomic TSV and text I/O shared by every stage.

Every output is written to a temporary file beside its target and renamed into place,
so a crash never leaves a half-written table, and rows/columns are written exactly in
the order given (callers sort), so the same inputs give byte-identical files.
"""
from __future__ import annotations

import codecs
import contextlib
import fcntl
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO


_UMASK = os.umask(0)
os.umask(_UMASK)


class InputError(ValueError):
    """Bad input: the message names the file, line and field, and what was expected."""

    def __init__(self, path: str | os.PathLike | None, line: int | None, field: str | None, problem: str):
        where = "" if path is None else str(path) + (f", line {line}" if line is not None else "")
        if field:
            where += f"{', ' if where else ''}field '{field}'"
        super().__init__(f"{where}: {problem}" if where else problem)
        self.path, self.line, self.field, self.problem = str(path or ""), line, field, problem


class InputErrors(InputError):
    """Several problems in the input, reported together (each an InputError, in file order)."""

    def __init__(self, errors: Sequence[InputError]):
        self.errors = sorted(errors, key=lambda e: (e.path, e.line or 0))
        first = self.errors[0]
        ValueError.__init__(self, f"{len(self.errors)} problems:\n" + "\n".join(f"  {e}" for e in self.errors)
                            if len(self.errors) > 1 else str(first))
        self.path, self.line, self.field, self.problem = first.path, first.line, first.field, first.problem


class Problems:
    """Collects the InputErrors of many rows so a file's problems are reported at once.

        problems = Problems()
        for row in rows:
            with problems.check():
                ...  # raises InputError
        problems.raise_any()
    """

    def __init__(self) -> None:
        self.errors: list[InputError] = []

    @contextlib.contextmanager
    def check(self) -> Iterator[None]:
        try:
            yield
        except InputErrors as error:
            self.errors.extend(error.errors)
        except InputError as error:
            self.errors.append(error)

    def raise_any(self) -> None:
        if self.errors:
            raise InputErrors(self.errors)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside `path` for writing; rename it into place only on success."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise InputError(path, None, None, f"cannot be written ({error.strerror}); "
                                           "expected a path in a folder this user can write") from None
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


def read_yaml(path: str | os.PathLike, what: str, schema_path: str | os.PathLike | None = None) -> object:
    """The data of a YAML file; InputError (naming the line) when it is missing, unreadable or not YAML,
    and, with `schema_path`, naming the key when the data break that JSON schema (YAML)."""
    import yaml

    text = decode_text(path, _read_bytes(Path(path), what))
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser where PyYAML has it: ~10x faster
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise InputError(path, mark.line + 1 if mark else None, None,
                         f"not valid YAML ({getattr(error, 'problem', None) or error}); expected {what}") from None
    if schema_path is not None:
        import jsonschema

        schema = yaml.load(Path(schema_path).read_text(encoding="utf-8"), Loader=loader)
        problem = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(data))
        if problem is not None:
            where = "/".join(str(p) for p in problem.absolute_path) or None
            raise InputError(path, None, where, f"{problem.message} (see {schema_path})")
    return data


def _read_bytes(path: Path, what: str) -> bytes:
    _read_bytes_check(path, what)
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(path, None, None, f"cannot be read ({error.strerror}); expected {what}") from None


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
    text = value if isinstance(value, str) else str(value)
    return " ".join(text.split()) if "\t" in text or "\n" in text or "\r" in text else text


def format_line(row: Mapping[str, object], columns: Sequence[str]) -> str:
    """One row as a TSV line (without its line break): the values of `columns`, each a clean_cell."""
    values = [row.get(column) for column in columns]
    try:  # fast path: every value a string holding no tab or line break
        line = "\t".join(values)
        if line.count("\t") == len(columns) - 1 and "\n" not in line and "\r" not in line:
            return line
    except TypeError:  # a missing (None) or non-string value
        pass
    return "\t".join(clean_cell(value) for value in values)


def _write_rows(handle: IO[str], rows: Iterable[Mapping[str, object]], columns: Sequence[str]) -> None:
    """Plain TSV, no quoting: cells never hold a tab or line break (clean_cell), so every line
    is one row and any cell, however long, reads back unchanged with read_tsv."""
    handle.write("\t".join(columns) + "\n")
    for row in rows:
        handle.write(format_line(row, columns) + "\n")


def format_tsv(rows: Iterable[Mapping[str, object]], columns: Sequence[str]) -> str:
    """Rows as TSV text with a header; missing keys are empty cells."""
    buffer = io.StringIO()
    _write_rows(buffer, rows, columns)
    return buffer.getvalue()


def write_tsv(path: str | os.PathLike, rows: Iterable[Mapping[str, object]], columns: Sequence[str]) -> None:
    """Write rows (already in their final order) to `path` atomically, streaming them to disk."""
    with atomic_output(path, "w") as handle:
        _write_rows(handle, rows, columns)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def decode_text(path: str | os.PathLike, data: bytes) -> str:
    """Text of a file saved as UTF-8 (with or without BOM) or UTF-16 with BOM (Excel's "Unicode
    text"); anything else is an InputError naming the line and the byte that is not text."""
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    encoding = "utf-16" if utf16 else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[:error.start].decode(encoding, errors="replace").count("\n") + 1
        raise InputError(path, line, None,
                         f"byte 0x{data[error.start]:02X} (offset {error.start} in the file) is not "
                         f"{'UTF-16' if utf16 else 'UTF-8'} text; save the file as UTF-8 "
                         "(or as UTF-16 with BOM, Excel's 'Unicode text')") from None


def read_tsv(
    path: str | os.PathLike,
    required: Sequence[str] = (),
    allow_comments: bool = False,
) -> list[dict[str, str]]:
    """Read a plain tab-separated file with a header into dicts (values str, surrounding spaces stripped).

    No quoting: a `"` is a character, and every data line is exactly one row (or an error), so a
    hand-edited reviewer file never loses lines and the project's own tables round-trip any cell.
    Each dict carries its 1-based file line number under the key '_line', so callers can
    name the line in their errors. With `allow_comments`, lines starting with '#' are
    skipped (hand-edited reviewer files); blank lines are skipped. Encodings: see decode_text.
    Missing required columns, or lines with more cells than the header, raise InputError
    (InputErrors listing every such line).
    """
    path = Path(path)
    lines = _LINE_BREAK.split(decode_text(path, _read_bytes(path, "a tab-separated file")))
    return list(_rows(path, enumerate(lines, start=1), required, allow_comments))


def iter_tsv(path: str | os.PathLike, required: Sequence[str] = (), only: bool = False) -> Iterator[dict[str, str]]:
    """read_tsv's rows one at a time, for the pipeline's own tables (which can hold 100,000s of rows):
    the file is read line by line, so memory does not grow with it. Same rows, same errors (those
    about lines come once the whole file has been read). With `only`, rows keep just the
    `required` columns (and '_line'): what a caller holds on to stays small, and the other cells
    of a line are not even split apart."""
    path = Path(path)
    _read_bytes_check(path, "a tab-separated file")
    with open(path, "rb") as probe:
        utf16 = probe.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    if utf16:  # not written by the pipeline: read it whole, as read_tsv does
        for row in read_tsv(path, required):
            yield {**{column: row[column] for column in required}, "_line": row["_line"]} if only else row
        return
    try:
        # newline=None: \r\n, \r and \n all end a line, as _LINE_BREAK splits them in read_tsv
        with open(path, encoding="utf-8-sig", newline=None) as handle:
            yield from _rows(path, enumerate((line.rstrip("\n") for line in handle), start=1), required, False,
                             only=only)
    except UnicodeDecodeError:
        decode_text(path, path.read_bytes())  # names the line and the byte
        raise


def _read_bytes_check(path: Path, what: str) -> None:
    """InputError unless `path` is a file."""
    if not path.is_file():
        raise InputError(path, None, None, f"{'a folder' if path.is_dir() else 'file not found'}; expected {what}")


def _rows(path: Path, lines: Iterable[tuple[int, str]], required: Sequence[str],
          allow_comments: bool, only: bool = False) -> Iterator[dict[str, str]]:
    """Rows of numbered lines (see read_tsv; `only`: see iter_tsv); InputErrors about lines are raised
    after the last row."""
    header = None
    problems = []
    for number, line in lines:
        if not line.strip() or (allow_comments and line.lstrip().startswith("#")):
            continue
        if header is None:
            header = [h.strip() for h in line.split("\t")]
            missing = [c for c in required if c not in header]
            if missing:
                raise InputError(path, number, missing[0], f"missing column; expected columns "
                                                           f"{', '.join(required)} (found {', '.join(header)})")
            width = len(header)
            # A column named twice holds its last cell, as in a dict built from the whole line.
            picks = [(column, width - 1 - header[::-1].index(column)) for column in required]
            pieces = max((index for _, index in picks), default=0) + 1
            continue
        cells_in_line = line.count("\t") + 1
        if cells_in_line > width:
            problems.append(InputError(path, number, None, f"{cells_in_line} cells but the header has "
                                                            f"{width} columns (a stray tab?)"))
            continue
        if only:
            cells = line.split("\t", pieces)
            if len(cells) < pieces:
                cells += [""] * (pieces - len(cells))
            row = {column: cells[index].strip() for column, index in picks}
        else:
            cells = line.split("\t")
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            row = {name: cell.strip() for name, cell in zip(header, cells)}
        row["_line"] = number
        yield row
    if header is None:
        raise InputError(path, 1, None, f"empty file; expected a header with columns {', '.join(required)}")
    if problems:
        raise InputErrors(problems)


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
            raw = handle.read()
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise InputError(path, None, None, "saved as UTF-16; nothing was added: save it as UTF-8 text first")
        text = addition(decode_text(path, raw))
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
        if lines:
            for row in rows:
                buffer.write("\t".join(clean_cell(row.get(column)) for column in header) + "\n")
        else:
            buffer.write(preamble)
            _write_rows(buffer, rows, header)
        start = "\n" if current and not current.endswith("\n") else ""
        return start + buffer.getvalue()

    locked_append(path, addition)
