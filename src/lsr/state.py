"""The review's durable state, below the stages: what the review has seen and published.

Used by screening, extraction, full texts (the record ids the review has seen), table1 (the
version registry), changes (the history of states) and status; it imports no stage.

Table 1 versions. A version identifies what readers see: the first 8 hex digits of the sha256 of
results/table1_marked.csv, Table 1 with every value as the human formats print it, verification
marks included (`†` on a value no reviewer has verified). Confirming a value therefore gives a new
version, although table1.csv (plain values) does not change. The registry (data/table_versions.tsv,
written by the table1 stage) lists each distinct content with the date it first appeared; beside
it, data/table_versions/<hash>.csv keeps that content, so a caption can say what changed since the
version before.

History. A review *state* is every record with its screening decision and its retraction/erratum
flags, plus Table 1 exactly as readers see it; its id is the first 12 hex of a sha256 over both.
data/history/ holds `log.tsv` (one row per transition to a state different from the one before
it; rows are only appended) and `<date>-<state>/records.tsv` + `table1_marked.csv` for each
distinct state, stored once under the date it was first seen.
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .checks import is_iso_date
from .tsv import InputError, atomic_write_text, format_tsv, iter_tsv, read_tsv, write_tsv

DATA_DIR = "data"
"""The default data_dir of the config: where the durable state lives."""
HISTORY_DIR = os.path.join(DATA_DIR, "history")
TABLE_VERSIONS = os.path.join(DATA_DIR, "table_versions.tsv")

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


def match_table_rows(old: list[dict[str, str]], new: list[dict[str, str]]) -> tuple[
        list[dict[str, str]], list[tuple[dict[str, str], dict[str, str]]], list[dict[str, str]]]:
    """Table 1 rows (added, [(old, new) changed], removed) between two versions.

    Rows are the same study when they share a PMID, else when they share the study label, marks
    aside (a study from another source that later turns up in PubMed keeps its row).
    """
    pairs: dict[int, dict[str, str]] = {}
    by_pmid = {row["pmid"]: row for row in old if row.get("pmid")}
    for index, row in enumerate(new):
        if row.get("pmid") in by_pmid:
            pairs[index] = by_pmid[row["pmid"]]
    paired = {id(row) for row in pairs.values()}
    by_study: dict[str, dict[str, str]] = {}
    for row in old:
        if id(row) not in paired:
            by_study.setdefault(unmarked(row.get("study", "")), row)
    for index, row in enumerate(new):
        if index not in pairs and unmarked(row.get("study", "")) in by_study:
            pairs[index] = by_study.pop(unmarked(row["study"]))
    paired = {id(row) for row in pairs.values()}
    added = [row for index, row in enumerate(new) if index not in pairs]
    changed = [(pairs[index], row) for index, row in enumerate(new) if index in pairs and pairs[index] != row]
    removed = [row for row in old if id(row) not in paired]
    return added, changed, removed


REGISTRY_COLUMNS = ("version_date", "content_hash", "studies", "patients")
_HASH = re.compile(r"^[0-9a-f]{8}$")


@dataclass(frozen=True)
class Version:
    date: str
    content_hash: str
    changes: str = ""
    """One line: what changed since the previous version (change_line)."""

    @property
    def label(self) -> str:
        return f"Version {self.date} · {self.content_hash}"


# --- table version registry --------------------------------------------------------------------------

def read_registry(path: str | Path) -> list[dict[str, str]]:
    """Registered table versions (REGISTRY_COLUMNS); none when the registry does not exist yet."""
    if not Path(path).exists():
        return []
    rows = read_tsv(path, required=REGISTRY_COLUMNS)
    for row in rows:
        if not is_iso_date(row["version_date"]):
            raise InputError(path, row["_line"], "version_date", f"{row['version_date']!r}; expected YYYY-MM-DD")
        if not _HASH.match(row["content_hash"]):
            raise InputError(path, row["_line"], "content_hash",
                             f"{row['content_hash']!r}; expected 8 lower-case hex digits")
    return rows


def resolve_version(registry: Sequence[Mapping[str, str]], digest: str, studies: int, patients: int,
                    today: str) -> tuple[Version, list[dict[str, str]] | None]:
    """The version of a table content, and the registry rows to write (None: already registered).

    A registered content keeps the date it was first registered with; new content is appended
    with `today`.
    """
    for row in registry:
        if row["content_hash"] == digest:
            return Version(row["version_date"], digest), None
    added = {"version_date": today, "content_hash": digest, "studies": str(studies), "patients": str(patients)}
    return Version(today, digest), [{c: row[c] for c in REGISTRY_COLUMNS} for row in registry] + [added]


def write_registry(path: str | os.PathLike, registry: Sequence[Mapping[str, str]]) -> None:
    write_tsv(path, registry, REGISTRY_COLUMNS)


# --- history of review states ---

STATE_COLUMNS = ["record_id", "pmid", "source", "title", "decision", "decided_by", "conflict",
                 "exclusion_reason", "retracted", "erratum"]
"""Columns of a stored state's records.tsv: what changes.md compares, record by record."""
LOG_COLUMNS = ["date", "state", "table_version", "records", "included", "studies", "patients"]
STATE_TABLE = "table1_marked.csv"
"""Name of a stored state's Table 1 (as readers see it, marks included)."""


@dataclass
class State:
    """One review state: records (STATE_COLUMNS, in unique_records.tsv order) and Table 1 CSV text.
    Read-only once made: its text, id and table rows are computed once."""

    records: list[dict[str, str]]
    table_csv: str

    @cached_property
    def records_tsv(self) -> str:
        return format_tsv(self.records, STATE_COLUMNS)

    @cached_property
    def id(self) -> str:
        digest = hashlib.sha256(self.records_tsv.encode("utf-8"))
        digest.update(b"\0" + self.table_csv.encode("utf-8"))
        return digest.hexdigest()[:12]

    @property
    def table_version(self) -> str:
        """Table 1's version hash: first 8 hex of the sha256 of table1_marked.csv (as in the captions)."""
        return table_hash(self.table_csv.encode("utf-8"))

    @cached_property
    def table_rows(self) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self.table_csv)))

    def counts(self) -> dict[str, int]:
        rows = self.table_rows
        return {
            "records": len(self.records),
            "included": sum(r["decision"] == "include" for r in self.records),
            "studies": len(rows),
            "patients": sum(int(unmarked(r["n_patients"])) for r in rows
                            if unmarked(r.get("n_patients") or "").isdigit()),
        }


SHARED_COLUMNS = ("source", "decision", "decided_by", "conflict", "exclusion_reason", "retracted", "erratum")
"""State columns whose values repeat from record to record (a few words each)."""


def _state_record(record: dict[str, str]) -> dict[str, str]:
    """A state's record, its SHARED_COLUMNS values held once for all records (sys.intern), so a
    state of 100,000s of records stays small in memory."""
    for column in SHARED_COLUMNS:
        record[column] = sys.intern(record[column])
    return record


def build_state(unique_records: Iterable[dict[str, str]], screening: Iterable[dict[str, str]],
                table_csv: str, screening_path: str | os.PathLike = "screening.tsv") -> State:
    """Join unique_records.tsv rows and screening.tsv rows (same records, same order) into a State.
    Both are read once (they may stream); a screening row is let go once joined."""
    decisions = {row["record_id"]: row for row in screening}
    records, unscreened = [], None
    for record in unique_records:
        screened = decisions.pop(record["record_id"], None)
        if screened is None:
            unscreened = unscreened or record["record_id"]
            continue
        records.append(_state_record({
            "record_id": record["record_id"], "pmid": record["pmid"], "source": record["source"],
            "title": screened["title"], "decision": screened["decision"],
            "decided_by": screened["decided_by"], "conflict": screened["conflict"],
            "exclusion_reason": screened["exclusion_reason"],
            "retracted": record["retracted"], "erratum": record["erratum"],
        }))
    unknown = next(iter(decisions.values()), None)  # a screening row no record took
    if unknown is not None:
        raise InputError(screening_path, unknown.get("_line"), "record_id",
                         f"record {unknown['record_id']} is not in unique_records.tsv (stale screening?)")
    if unscreened is not None:
        raise InputError(screening_path, None, "record_id",
                         f"no screening row for record {unscreened} of unique_records.tsv")
    return State(records, table_csv)


def read_text_exact(path: str | os.PathLike) -> str:
    """File text with its line endings kept, so hashes match those of the file's bytes."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, None, None, "file not found")
    return path.read_bytes().decode("utf-8")


def read_log(history: str | os.PathLike) -> list[dict[str, str]]:
    path = Path(history) / "log.tsv"
    return read_tsv(path, required=LOG_COLUMNS) if path.exists() else []


def load_state(history: str | os.PathLike, entry: dict[str, str]) -> State:
    """The stored state a log row names (its folder carries the date it was first seen)."""
    folders = sorted(Path(history).glob(f"*-{entry['state']}"))
    if not folders:
        raise InputError(Path(history) / "log.tsv", entry.get("_line"), "state",
                         f"no folder {history}/<date>-{entry['state']} holds this state")
    folder = folders[0]
    records = [_state_record({c: row[c] for c in STATE_COLUMNS})
               for row in iter_tsv(folder / "records.tsv", required=STATE_COLUMNS, only=True)]
    return State(records, read_text_exact(folder / STATE_TABLE))


def recorded_record_ids(history: str | os.PathLike | None) -> set[str]:
    """Every record id of every stored state: the records this review has seen (none without a history)."""
    ids: set[str] = set()
    for path in sorted(Path(history).glob("[!.]*-*/records.tsv")) if history else []:
        ids.update(row["record_id"] for row in iter_tsv(path, required=["record_id"], only=True))
    return ids


def register_state(history: str | os.PathLike, state: State, date: str) -> bool:
    """Record `state` as the review's current state unless it already is; True when recorded."""
    log = read_log(history)
    if log and log[-1]["state"] == state.id:
        return False
    store_state(history, state, date)
    entry = {"date": date, "state": state.id, "table_version": state.table_version, **state.counts()}
    atomic_write_text(Path(history) / "log.tsv", format_tsv(log + [entry], LOG_COLUMNS))
    return True


STATE_FILES = ("records.tsv", STATE_TABLE)


def store_state(history: str | os.PathLike, state: State, date: str) -> Path:
    """The state's folder `<date>-<state id>` with both files, made in one step: written aside
    (`.<name>.incomplete`), then renamed into place, so a crash never leaves half a state. A
    folder an interrupted older run left half-written is rebuilt, with a message."""
    history = Path(history)
    existing = sorted(history.glob(f"*-{state.id}"))
    folder = existing[0] if existing else history / f"{date}-{state.id}"
    if existing and all((folder / name).is_file() for name in STATE_FILES):
        return folder
    aside = history / f".{folder.name}.incomplete"
    if aside.exists():
        shutil.rmtree(aside)  # left by a run that stopped before its rename
    aside.mkdir(parents=True)
    try:
        atomic_write_text(aside / "records.tsv", state.records_tsv)
        atomic_write_text(aside / STATE_TABLE, state.table_csv)
        if existing:
            print(f"{folder}: half-written by a run that stopped (missing "
                  f"{', '.join(n for n in STATE_FILES if not (folder / n).is_file())}); rebuilt from this run, "
                  "whose state it is", file=sys.stderr)
            discarded = history / f".{folder.name}.discarded"
            os.rename(folder, discarded)
            os.rename(aside, folder)
            shutil.rmtree(discarded)
        else:
            os.rename(aside, folder)
    except BaseException:
        shutil.rmtree(aside, ignore_errors=True)
        raise
    return folder


def table_version_dates(table_versions: list[dict[str, str]], log: list[dict[str, str]]) -> dict[str, str]:
    """Table content hash -> the date that content was first seen.

    data/table_versions.tsv (written by the table1 stage: the dates its captions show) wins;
    the history log dates the versions it does not list.
    """
    dates: dict[str, str] = {}
    for row in table_versions:
        first = dates.get(row["content_hash"], row["version_date"])
        dates[row["content_hash"]] = min(first, row["version_date"])
    for entry in log:
        dates.setdefault(entry["table_version"], entry["date"])
    return dates


# --- proposals: included at title/abstract, awaiting a full-text decision ----------------------

PROPOSAL_FIELDS = ("design", "n_patients", "age_min", "age_max", "tacrolimus_route", "skin_outcome",
                   "muscle_outcome", "steroid_sparing")
"""The extracted values a proposal shows (the whole set is in results/extraction.tsv)."""


def proposed_studies(screening: Iterable[dict[str, str]], extraction: Iterable[dict[str, str]]) -> list[dict]:
    """Records included at title/abstract but not (yet) at full text: what the rules or a first
    reviewer propose for Table 1, with their extracted values. They are not in Table 1.

    Each: record_id, pmid, title, full_text (awaiting / conflict / exclude / not_retrieved) and
    values {field: value} from extraction.tsv, in the order of screening.tsv."""
    values: dict[str, dict[str, str]] = {}
    for row in extraction:
        values.setdefault(row["record_id"], {})[row["field"]] = row["value"]
    return [{"record_id": row["record_id"], "pmid": row["pmid"], "title": row["title"],
             "full_text": row["full_text"], "values": values.get(row["record_id"], {})}
            for row in screening if row["decision"] == "include" and row["full_text"] in ("awaiting", "conflict")]
