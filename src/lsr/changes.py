"""Living-review stage: record the review state in the history (lsr.state) and write results/changes.md.

A review *state* is every record with its screening decision and its retraction/erratum flags,
plus Table 1 exactly as readers see it (table1_marked.csv); lsr.state stores the distinct states
under data/history/ (log.tsv, one folder per state).

results/changes.md lists everything since the previous Table 1 version: every recorded state
from the last one that still showed the previous version up to the current one, one section per
recorded state (newest first), each with the Table 1 version it led to; rerunning with nothing new
reproduces it byte for byte. `lsr changes --since YYYY-MM-DD` gives the same report for any
window (from the state current before that day), reading the history without writing it. With
`as_of`, the history up to that date is used and not written. The scheduled update that runs the
whole workflow is `lsr update` (lsr.update), around the workflow, not in this stage.
"""
from __future__ import annotations

import datetime as dt
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from .checks import iso_date
from .state import (HISTORY_DIR, PROPOSAL_FIELDS, TABLE_VERSIONS, State, build_state, load_state, match_table_rows,
                    proposed_studies, read_log, read_text_exact, register_state, table_version_dates, unmarked)
from .tsv import atomic_write_text, iter_tsv, read_tsv, write_tsv


UNIQUE_REQUIRED = ["record_id", "pmid", "source", "retracted", "erratum"]
SCREENING_REQUIRED = ["record_id", "pmid", "title", "decision", "decided_by", "conflict", "exclusion_reason",
                      "full_text"]
TABLE_KEY_COLUMNS = ("study", "pmid")
NEW_RECORDS_LISTED = 200
"""A state with more new records than this (a first search of a large review) does not list them one
by one in changes.md, which stays readable and quick to show as a page: it counts them, and the
records file beside it (results/changes_records.tsv) lists every one."""
NEW_RECORD_COLUMNS = ["state_date", "state", "record_id", "pmid", "title", "decision", "exclusion_reason",
                      "decided_by"]
"""Columns of the records file: every record new in each state of the window, newest state first."""



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


def proposal_line(study: dict) -> str:
    """One proposed study in a line: label, title, state and the main extracted values."""
    values = study["values"]
    shown = " · ".join(f"{field}: {values[field]}" for field in PROPOSAL_FIELDS if field in values)
    label = values.get("study") or _record_label(study)
    state = "reviewers disagree at full text" if study["full_text"] == "conflict" else "awaiting a full-text decision"
    return f"**{label}** ({_record_label(study)}; {state}): {study['title']}" + (f" — {shown}" if shown else "")


def _row_label(row: dict[str, str]) -> str:
    study = unmarked(row.get("study", ""))
    return f"{study} (PMID {row['pmid']})" if row.get("pmid") else study


def _plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def _version(date: str, version: str) -> str:
    return f"{date} · {version}"


def new_records(previous: State | None, current: State) -> list[dict[str, str]]:
    """The records of `current` that `previous` (None: no earlier state) does not hold, in order."""
    before = {r["record_id"] for r in (previous.records if previous else [])}
    return [r for r in current.records if r["record_id"] not in before]


def changes_markdown(current: State, current_on: str, previous: State | None, previous_on: str | None,
                     version_dates: dict[str, str], as_of: str | None = None, records_file: str | None = None) -> str:
    """What changed from `previous` (None: no earlier state) to `current`, as Markdown.

    `current_on`/`previous_on` are the dates the states became current; `version_dates` maps
    a Table 1 content hash to the date it was first seen. With `records_file` (the file that
    lists every new record), more than NEW_RECORDS_LISTED new records are counted, not listed.
    Pure: same arguments, same text.
    """
    before = {r["record_id"]: r for r in (previous.records if previous else [])}
    now = {r["record_id"]: r for r in current.records}
    new = new_records(previous, current)
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
    if new and records_file is not None and len(new) > NEW_RECORDS_LISTED:
        reasons = Counter(r["exclusion_reason"] or "no reason given" for r in new if r["decision"] == "exclude")
        lines += [f"## New records ({len(new)})", "",
                  f"Too many to list here: {records_file} lists every one, with its title, decision and who "
                  "decided." + (" Those that need review are listed below." if any(
                      r["decision"] == "needs_review" for r in new) else "")
                  + (" The excluded ones, by reason:" if reasons else ""), ""]
        if reasons:
            lines += [f"- {reason}: {count}" for reason, count in sorted(reasons.items(),
                                                                         key=lambda item: (-item[1], item[0]))]
            lines.append("")
    elif new:
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
                   proposed: Sequence[dict] = (), records_file: str | None = None) -> str:
    """changes.md: the current Table 1 version, the studies proposed for it (`proposed`, see
    `proposed_studies`: not in the table), then one section per step (newest first). With
    `records_file`, a step with many new records names that file instead of listing them (changes_markdown).

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
        text = changes_markdown(state, state_on, previous, previous_on, version_dates, records_file=records_file)
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
                    extraction: str | os.PathLike | None = None, records_out: str | os.PathLike | None = None) -> bool:
    """Record the current state in the history (unless `as_of` or `since`) and write changes.md
    (to stdout when `out` is None), with the studies proposed for Table 1 (from `extraction`).
    With `records_out`, also write there every record new in each state of the window
    (NEW_RECORD_COLUMNS), and list many new records in changes.md by that file only.

    Returns True when the state was new (recorded now). `today` is the date a new state is
    recorded under (default: today, UTC).
    """
    # The screening table is read twice, never held whole: once joined into the state, once for the proposals.
    state = build_state(iter_tsv(unique_records, required=UNIQUE_REQUIRED, only=True),
                        iter_tsv(screening, required=SCREENING_REQUIRED, only=True), read_text_exact(table1), screening)
    proposed = []
    if extraction is not None:
        proposed = proposed_studies(iter_tsv(screening, required=SCREENING_REQUIRED, only=True),
                                    iter_tsv(extraction, required=["record_id", "field", "value"], only=True))
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
    text = changes_report(state, steps, table_version_dates(versions, log), as_of, since, proposed,
                          None if records_out is None else str(records_out))
    if records_out is not None:
        write_tsv(records_out, ({"state_date": state_on or as_of, "state": current.id, **record}
                                for previous, _, current, state_on in reversed(steps)
                                for record in new_records(previous, current)), NEW_RECORD_COLUMNS)
    if out is None:
        sys.stdout.write(text)
    else:
        atomic_write_text(out, text)
    return recorded


def configure_cli(parser) -> None:
    parser.add_argument("--unique-records", default="results/unique_records.tsv")
    parser.add_argument("--screening", default="results/screening.tsv")
    parser.add_argument("--table1", default="results/table1_marked.csv",
                        help="Table 1 as readers see it (default: %(default)s)")
    parser.add_argument("--extraction", help="extraction table (results/extraction.tsv): the values of the studies "
                                             "proposed for Table 1, listed apart from it")
    parser.add_argument("--out", help="changes report to write (Markdown; default results/changes.md, "
                                      "with --since the standard output)")
    parser.add_argument("--records-out", help="TSV to write: every record new in each state of the report "
                                              "(results/changes_records.tsv); changes.md then counts many new "
                                              "records instead of listing them")
    parser.add_argument("--history", default=HISTORY_DIR, help="the review's history folder (default: %(default)s)")
    parser.add_argument("--table-versions", default=TABLE_VERSIONS,
                        help="Table 1 version registry of the table1 stage (default: %(default)s)")
    parser.add_argument("--as-of", type=iso_date, help="compare with the state before this date; write no history")
    parser.add_argument("--date", type=iso_date, help="date to record a new state under (default: today, UTC)")
    parser.add_argument("--since", type=iso_date,
                        help="report every recorded change from this day on (YYYY-MM-DD); reads the history, "
                             "writes none")


def run_cli(args) -> int:
    out = args.out if args.out or args.since else "results/changes.md"
    recorded = publish_changes(args.unique_records, args.screening, args.table1, out, args.history,
                               args.table_versions, args.as_of, args.date, args.since, args.extraction,
                               args.records_out)
    if out is not None:
        print(f"changes: {'new review state recorded' if recorded else 'review state unchanged'} -> {out}")
    return 0
