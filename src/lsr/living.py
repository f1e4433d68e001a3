"""Living-review stage: the review's durable history and results/changes.md.

A review *state* is what the team works from: every record with its screening decision and
its retraction/erratum flags, plus Table 1 exactly as readers see it (table1_marked.csv:
values and verification marks). Its id is the first 12 hex
of a sha256 over both. The history under data/history/ (committed with the review) holds:

- `log.tsv`: one row per transition to a state different from the one before it
  (date, state, table_version, records, included, studies, patients); rows are only appended;
- `<date>-<state>/records.tsv` and `<date>-<state>/table1_marked.csv`: each distinct state, stored once,
  under the date it was first seen.

results/changes.md lists everything since the previous Table 1 version: every recorded state
from the last one that still showed the previous version up to the current one, one section per
recorded state (newest first), each with the Table 1 version it led to; rerunning with nothing new
reproduces it byte for byte. `lsr changes --since YYYY-MM-DD` gives the same report for any
window (from the state current before that day), reading the history without writing it. With
`as_of`, the history up to that date is used and not written. `lsr changes --update ...` runs Snakemake and exits 0 when a new state was
published, 3 (NOTHING_CHANGED) when not, and another non-zero code on error: the one command
schedulers need.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .cli import iso_date
from .tsv import InputError, atomic_write_text, format_tsv, read_tsv
from .versions import table_hash, unmarked

HISTORY_DIR = "data/history"
TABLE_VERSIONS = "data/table_versions.tsv"
NOTHING_CHANGED = 3
"""Exit code of `lsr changes --update` when the run published no new state."""

STATE_COLUMNS = ["record_id", "pmid", "source", "title", "decision", "decided_by", "conflict",
                 "exclusion_reason", "retracted", "erratum"]
"""Columns of a stored state's records.tsv: what changes.md compares, record by record."""
LOG_COLUMNS = ["date", "state", "table_version", "records", "included", "studies", "patients"]
UNIQUE_REQUIRED = ["record_id", "pmid", "source", "retracted", "erratum"]
SCREENING_REQUIRED = ["record_id", "pmid", "title", "decision", "decided_by", "conflict", "exclusion_reason",
                      "full_text"]
TABLE_KEY_COLUMNS = ("study", "pmid")
STATE_TABLE = "table1_marked.csv"
"""Name of a stored state's Table 1 (as readers see it, marks included)."""
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class State:
    """One review state: records (STATE_COLUMNS, in unique_records.tsv order) and Table 1 CSV text."""

    records: list[dict[str, str]]
    table_csv: str

    @property
    def records_tsv(self) -> str:
        return format_tsv(self.records, STATE_COLUMNS)

    @property
    def id(self) -> str:
        digest = hashlib.sha256(self.records_tsv.encode("utf-8") + b"\0" + self.table_csv.encode("utf-8"))
        return digest.hexdigest()[:12]

    @property
    def table_version(self) -> str:
        """Table 1's version hash: first 8 hex of the sha256 of table1_marked.csv (as in the captions)."""
        return table_hash(self.table_csv.encode("utf-8"))

    @property
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


def build_state(unique_records: list[dict[str, str]], screening: list[dict[str, str]],
                table_csv: str, screening_path: str | os.PathLike = "screening.tsv") -> State:
    """Join unique_records.tsv and screening.tsv rows (same records, same order) into a State."""
    decisions = {row["record_id"]: row for row in screening}
    known = {record["record_id"] for record in unique_records}
    unknown = [row for row in screening if row["record_id"] not in known]
    if unknown:
        raise InputError(screening_path, unknown[0].get("_line"), "record_id",
                         f"record {unknown[0]['record_id']} is not in unique_records.tsv (stale screening?)")
    records = []
    for record in unique_records:
        screened = decisions.get(record["record_id"])
        if screened is None:
            raise InputError(screening_path, None, "record_id",
                             f"no screening row for record {record['record_id']} of unique_records.tsv")
        records.append({
            "record_id": record["record_id"], "pmid": record["pmid"], "source": record["source"],
            "title": screened["title"], "decision": screened["decision"],
            "decided_by": screened["decided_by"], "conflict": screened["conflict"],
            "exclusion_reason": screened["exclusion_reason"],
            "retracted": record["retracted"], "erratum": record["erratum"],
        })
    return State(records, table_csv)


def read_text_exact(path: str | os.PathLike) -> str:
    """File text with its line endings kept, so hashes match those of the file's bytes."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, None, None, "file not found")
    return path.read_bytes().decode("utf-8")


# --- history -----------------------------------------------------------------------------------

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
    records = [{c: row[c] for c in STATE_COLUMNS}
               for row in read_tsv(folder / "records.tsv", required=STATE_COLUMNS)]
    return State(records, read_text_exact(folder / STATE_TABLE))


def recorded_record_ids(history: str | os.PathLike | None) -> set[str]:
    """Every record id of every stored state: the records this review has seen (none without a history)."""
    ids: set[str] = set()
    for path in sorted(Path(history).glob("[!.]*-*/records.tsv")) if history else []:
        ids.update(row["record_id"] for row in read_tsv(path, required=["record_id"]))
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


def window(log: list[dict[str, str]], current: State, as_of: str | None = None,
           since: str | None = None) -> list[tuple[dict[str, str] | None, dict[str, str]]]:
    """The transitions changes.md reports, oldest first: (previous log row or None, log row).

    The log is read up to `as_of`; the current state ends it (a row dated `as_of` is made up for a
    reproduced state the log does not end with). The window starts after the last row dated
    before `since`, or, without `since`, after the last row whose Table 1 version differs from
    the current one (the previous version): everything since the previous version.
    """
    rows = [row for row in log if as_of is None or row["date"] <= as_of]
    if not rows or rows[-1]["state"] != current.id:
        rows.append({"date": as_of or "", "state": current.id, "table_version": current.table_version})
    if since is not None:
        start = sum(1 for row in rows if row["date"] < since)
    else:
        start = len(rows) - 1
        while start > 0 and rows[start - 1]["table_version"] == current.table_version:
            start -= 1
    return [(rows[index - 1] if index else None, rows[index]) for index in range(start, len(rows))]


def table_version_dates(table_versions: list[dict[str, str]], log: list[dict[str, str]]) -> dict[str, str]:
    """Table content hash -> the date that content was first seen.

    data/table_versions.tsv (written by the tables stage: the dates its captions show) wins;
    the history log dates the versions it does not list.
    """
    dates: dict[str, str] = {}
    for row in table_versions:
        first = dates.get(row["content_hash"], row["version_date"])
        dates[row["content_hash"]] = min(first, row["version_date"])
    for entry in log:
        dates.setdefault(entry["table_version"], entry["date"])
    return dates


# --- changes.md --------------------------------------------------------------------------------

def _cell(text: str) -> str:
    return (text or "").replace("|", "\\|")


def _record_label(record: dict[str, str]) -> str:
    return f"PMID {record['pmid']}" if record["pmid"] else record["record_id"]


def _decision(record: dict[str, str]) -> str:
    text = record["decision"]
    if record["decision"] == "exclude" and record["exclusion_reason"]:
        text += f" ({record['exclusion_reason']})"
    return text


PROPOSAL_FIELDS = ("design", "n_patients", "age_min", "age_max", "tacrolimus_route", "skin_outcome",
                   "muscle_outcome", "steroid_sparing")
"""The extracted values a proposal shows (the whole set is in results/extraction.tsv)."""


def proposed_studies(screening: list[dict[str, str]], extraction: list[dict[str, str]]) -> list[dict]:
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


def proposal_line(study: dict) -> str:
    """One proposed study in a line: label, title, state and the main extracted values."""
    values = study["values"]
    shown = " · ".join(f"{field}: {values[field]}" for field in PROPOSAL_FIELDS if field in values)
    label = values.get("study") or _record_label(study)
    state = "reviewers disagree at full text" if study["full_text"] == "conflict" else "awaiting a full-text decision"
    return f"**{label}** ({_record_label(study)}; {state}): {study['title']}" + (f" — {shown}" if shown else "")


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


def _row_label(row: dict[str, str]) -> str:
    study = unmarked(row.get("study", ""))
    return f"{study} (PMID {row['pmid']})" if row.get("pmid") else study


def _plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def _version(date: str, version: str) -> str:
    return f"{date} · {version}"


def changes_markdown(current: State, current_on: str, previous: State | None, previous_on: str | None,
                     version_dates: dict[str, str], as_of: str | None = None) -> str:
    """What changed from `previous` (None: no earlier state) to `current`, as Markdown.

    `current_on`/`previous_on` are the dates the states became current; `version_dates` maps
    a Table 1 content hash to the date it was first seen. Pure: same arguments, same text.
    """
    before = {r["record_id"]: r for r in (previous.records if previous else [])}
    now = {r["record_id"]: r for r in current.records}
    new = [r for r in current.records if r["record_id"] not in before]
    gone = [r for r in (previous.records if previous else []) if r["record_id"] not in now]
    changed = [(before[r["record_id"]], r) for r in current.records if r["record_id"] in before
               and (before[r["record_id"]]["decision"], before[r["record_id"]]["exclusion_reason"])
               != (r["decision"], r["exclusion_reason"])]
    review = [r for r in current.records if r["decision"] == "needs_review"]
    conflicts = [r for r in current.records if r["conflict"] == "yes"]
    newly_review = [r for r in review if before.get(r["record_id"], {}).get("decision") != "needs_review"]
    to_review = newly_review + [r for r in conflicts if r not in newly_review]
    flagged = [r for r in current.records if r["decision"] == "include"
               and (r["retracted"] == "yes" or r["erratum"])]

    added, edited, removed = match_table_rows(previous.table_rows if previous else [], current.table_rows)

    counts = current.counts()
    version = _version(version_dates.get(current.table_version, current_on), current.table_version)
    lines = [f"# Living review update: {current_on}", ""]
    if as_of:
        lines += [f"Review state as of {as_of} (reproduced with `as_of`; not recorded in the history).", ""]
    if previous is None:
        lines += [f"State {current.id}: the first recorded state of the review (no earlier state in "
                  f"{HISTORY_DIR}/).", ""]
    else:
        lines += [f"State {current.id}, compared with the previous distinct state {previous.id} "
                  f"of {previous_on}.", ""]
    table_line = (f"- Table 1 version **{version}**: {_plural(counts['studies'], 'study', 'studies')}, "
                  f"{_plural(counts['patients'], 'patient')}")
    if previous is not None:
        old = previous.counts()
        if previous.table_version == current.table_version:
            table_line += " (unchanged)"
        else:
            old_version = _version(version_dates.get(previous.table_version, previous_on), previous.table_version)
            table_line += (f" (was {old_version}: {_plural(old['studies'], 'study', 'studies')}, "
                           f"{_plural(old['patients'], 'patient')})")
    lines.append(table_line + ".")
    by_decision = ", ".join(f"{sum(r['decision'] == d for r in new)} {d}"
                            for d in ("include", "exclude", "needs_review") if any(r["decision"] == d for r in new))
    lines.append(f"- {_plural(len(new), 'new record')}" + (f": {by_decision}." if new else "."))
    lines.append(f"- {_plural(len(review), 'record')} awaiting review ({len(newly_review)} new to review), "
                 f"{_plural(len(conflicts), 'reviewer conflict')}.")
    if changed or gone:
        lines.append(f"- {_plural(len(changed), 'screening decision')} changed; "
                     f"{_plural(len(gone), 'record')} no longer in the review.")
    if flagged:
        lines.append(f"- **WARNING: {_plural(len(flagged), 'included study', 'included studies')} retracted "
                     "or corrected** (see below).")
    lines.append("")

    if flagged:
        lines += ["## ⚠ Included studies retracted or corrected", ""]
        for r in flagged:
            was = before.get(r["record_id"])
            fresh = was is None or (was["retracted"], was["erratum"]) != (r["retracted"], r["erratum"])
            what = []
            if r["retracted"] == "yes":
                what.append("**RETRACTED**")
            if r["erratum"]:
                what.append(f"**ERRATUM** ({r['erratum']})")
            lines.append(f"- {' and '.join(what)}: {_record_label(r)}, {r['title']}"
                         f"{' (new since the previous state)' if fresh else ''}. Check its Table 1 row.")
        lines.append("")
    if new:
        lines += [f"## New records ({len(new)})", "", "| record | title | decision | decided by |",
                  "|---|---|---|---|"]
        lines += [f"| {_record_label(r)} | {_cell(r['title'])} | {_cell(_decision(r))} | {_cell(r['decided_by'])} |"
                  for r in new]
        lines.append("")
    if to_review:
        lines += [f"## Records that now need review ({len(to_review)})", ""]
        lines += [f"- {_record_label(r)}: {r['title']}" + (" (reviewers disagree)" if r["conflict"] == "yes" else "")
                  for r in to_review]
        lines.append("")
    if changed:
        lines += [f"## Changed screening decisions ({len(changed)})", ""]
        lines += [f"- {_record_label(new_r)}: {_decision(old_r)} -> {_decision(new_r)}"
                  f" (by {new_r['decided_by'] or 'rules'}): {new_r['title']}" for old_r, new_r in changed]
        lines.append("")
    if gone:
        lines += [f"## Records no longer in the review ({len(gone)})", "",
                  "No longer found by the search, or merged into another record as a duplicate "
                  "(see results/duplicates.tsv).", ""]
        lines += [f"- {_record_label(r)}: {r['title']} — was {_decision(r)}" for r in gone]
        lines.append("")
    if added or edited or removed:
        lines += ["## Table 1", ""]
        for r in added:
            values = " · ".join(f"{c}: {v}" for c, v in r.items()
                                if c not in TABLE_KEY_COLUMNS and v not in ("", "NR"))
            lines.append(f"- Added **{_row_label(r)}**: {values}")
        for old_r, new_r in edited:
            values = " · ".join(f"{c}: {old_r.get(c) or '(none)'} -> {v or '(none)'}"
                                for c, v in new_r.items() if old_r.get(c, "") != v)
            lines.append(f"- Changed **{_row_label(new_r)}**: {values}")
        for r in removed:
            lines.append(f"- Removed **{_row_label(r)}**")
        lines.append("")
    return "\n".join(lines)


def changes_report(current: State, steps: list[tuple[State | None, str | None, State, str]],
                   version_dates: dict[str, str], as_of: str | None = None, since: str | None = None,
                   proposed: Sequence[dict] = ()) -> str:
    """changes.md: the current Table 1 version, the studies proposed for it (`proposed`, see
    `proposed_studies`: not in the table), then one section per step (newest first).

    `steps` are (previous state or None, its date, state, date) pairs from `window`, oldest first.
    Pure: same arguments, same text.
    """
    counts = current.counts()
    version = _version(version_dates.get(current.table_version, steps[-1][3] if steps else ""), current.table_version)
    if since is not None:
        scope = f"since {since}"
    else:
        first = steps[0][0] if steps else None
        scope = (f"since Table 1 version {_version(version_dates.get(first.table_version, steps[0][1] or ''), first.table_version)}"
                 if first is not None else "since the first recorded state")
    awaiting = sum(r["decision"] == "needs_review" for r in current.records)
    lines = [f"# Living review: changes {scope}", "",
             f"Now: Table 1 version **{version}**, {_plural(counts['studies'], 'study', 'studies')}, "
             f"{_plural(counts['patients'], 'patient')}; {_plural(awaiting, 'record')} awaiting review. "
             f"{_plural(len(steps), 'review state')} recorded in this window, newest first.", ""]
    if as_of:
        lines += [f"Review state as of {as_of} (reproduced with `as_of`; not recorded in the history).", ""]
    if proposed:
        lines += [f"## Proposed for Table 1, awaiting a reviewer ({len(proposed)})", "",
                  "Included at title/abstract, with the machine's extracted values; a study enters Table 1 "
                  "only when a reviewer includes it at the full-text stage (`lsr review`).", ""]
        lines += [f"- {proposal_line(study)}" for study in proposed]
        lines.append("")
    for previous, previous_on, state, state_on in reversed(steps):
        text = changes_markdown(state, state_on, previous, previous_on, version_dates)
        body = text.split("\n", 2)[2]  # without its title line and the blank line after it
        step_version = _version(version_dates.get(state.table_version, state_on), state.table_version)
        lines += [f"## {state_on or as_of}: Table 1 version {step_version}", ""]
        lines += [("#" + line) if line.startswith("## ") else line for line in body.splitlines()]
    return "\n".join(lines).rstrip("\n") + "\n"


# --- stage entry points ------------------------------------------------------------------------

def publish_changes(unique_records: str | os.PathLike, screening: str | os.PathLike,
                    table1: str | os.PathLike, out: str | os.PathLike, history: str | os.PathLike = HISTORY_DIR,
                    table_versions: str | os.PathLike = TABLE_VERSIONS, as_of: str | None = None,
                    today: str | None = None, since: str | None = None,
                    extraction: str | os.PathLike | None = None) -> bool:
    """Record the current state in the history (unless `as_of` or `since`) and write changes.md
    (to stdout when `out` is None), with the studies proposed for Table 1 (from `extraction`).

    Returns True when the state was new (recorded now). `today` is the date a new state is
    recorded under (default: today, UTC).
    """
    screening_rows = read_tsv(screening, required=SCREENING_REQUIRED)
    state = build_state(read_tsv(unique_records, required=UNIQUE_REQUIRED), screening_rows,
                        read_text_exact(table1), screening)
    proposed = []
    if extraction is not None:
        proposed = proposed_studies(screening_rows, read_tsv(extraction, required=["record_id", "field", "value"]))
    recorded = False
    if as_of is None and since is None:
        recorded = register_state(history, state, today or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d"))
    log = read_log(history)
    loaded: dict[str, State] = {state.id: state}

    def load(row: dict[str, str]) -> State:
        if row["state"] not in loaded:
            loaded[row["state"]] = load_state(history, row)
        return loaded[row["state"]]

    steps = [(load(before) if before else None, before["date"] if before else None, load(row), row["date"])
             for before, row in window(log, state, as_of, since)]
    versions = (read_tsv(table_versions, required=["version_date", "content_hash"])
                if Path(table_versions).exists() else [])
    text = changes_report(state, steps, table_version_dates(versions, log), as_of, since, proposed)
    if out is None:
        sys.stdout.write(text)
    else:
        atomic_write_text(out, text)
    return recorded


def run_update(snakemake_args: list[str], history: str | os.PathLike = HISTORY_DIR) -> int:
    """Run Snakemake here; 0 if a new state was recorded, NOTHING_CHANGED if not, else non-zero."""
    log_file = Path(history) / "log.tsv"
    before = log_file.read_bytes() if log_file.exists() else b""
    code = subprocess.call([sys.executable, "-m", "snakemake", *snakemake_args])
    if code != 0:
        print(f"lsr changes: the pipeline failed (snakemake exit code {code})", file=sys.stderr)
        return 1 if code == NOTHING_CHANGED else code
    if (log_file.read_bytes() if log_file.exists() else b"") == before:
        print(f"lsr changes: nothing new; the review state is unchanged (exit code {NOTHING_CHANGED})")
        return NOTHING_CHANGED
    print("lsr changes: a new review state was published; see results/changes.md")
    return 0



def configure_cli(parser) -> None:
    parser.epilog = (f"With --update, every argument after it goes to Snakemake, and the exit code is 0 when a "
                     f"new review state was published, {NOTHING_CHANGED} when nothing changed, other non-zero "
                     "on error. Example: lsr changes --update --cores 2 --config \"search={source: pubmed}\" "
                     "--forcerun retrieve")
    parser.add_argument("--unique-records", default="results/unique_records.tsv")
    parser.add_argument("--screening", default="results/screening.tsv")
    parser.add_argument("--table1", default="results/table1_marked.csv",
                        help="Table 1 as readers see it (default: %(default)s)")
    parser.add_argument("--extraction", help="extraction table (results/extraction.tsv): the values of the studies "
                                             "proposed for Table 1, listed apart from it")
    parser.add_argument("--out", help="changes report to write (Markdown; default results/changes.md, "
                                      "with --since the standard output)")
    parser.add_argument("--history", default=HISTORY_DIR, help="the review's history folder (default: %(default)s)")
    parser.add_argument("--table-versions", default=TABLE_VERSIONS,
                        help="Table 1 version registry of the tables stage (default: %(default)s)")
    parser.add_argument("--as-of", type=iso_date, help="compare with the state before this date; write no history")
    parser.add_argument("--date", type=iso_date, help="date to record a new state under (default: today, UTC)")
    parser.add_argument("--since", type=iso_date,
                        help="report every recorded change from this day on (YYYY-MM-DD); reads the history, "
                             "writes none")
    parser.add_argument("--update", nargs=argparse.REMAINDER, metavar="SNAKEMAKE_ARG",
                        help="run the pipeline (Snakemake with these arguments) and report by exit code")


def run_cli(args) -> int:
    if args.update is not None:
        return run_update(args.update, args.history)
    out = args.out if args.out or args.since else "results/changes.md"
    recorded = publish_changes(args.unique_records, args.screening, args.table1, out, args.history,
                               args.table_versions, args.as_of, args.date, args.since, args.extraction)
    if out is not None:
        print(f"changes: {'new review state recorded' if recorded else 'review state unchanged'} -> {out}")
    return 0
