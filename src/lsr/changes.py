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

from . import pages
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
# The layout is lsr/templates/changes.md.j2 (the report), changes_update.md.j2 (one state) and
# changes_macros.md.j2 (what both show of a state); these functions gather what they show.

def new_records(previous: State | None, current: State) -> list[dict[str, str]]:
    """The records of `current` that `previous` (None: no earlier state) does not hold, in order."""
    before = {r["record_id"] for r in (previous.records if previous else [])}
    return [r for r in current.records if r["record_id"] not in before]


def _table(state: State, version_dates: dict[str, str], became_current: str | None) -> dict:
    """Table 1 in `state`: its version (the date its content was first seen, else `became_current`)
    and its counts."""
    counts = state.counts()
    return {"date": version_dates.get(state.table_version, became_current or ""), "version": state.table_version,
            "studies": counts["studies"], "patients": counts["patients"]}


def _table_row(row: dict[str, str]) -> dict[str, str]:
    """A Table 1 row's label: its study (without marks) and PMID."""
    return {"study": unmarked(row.get("study", "")), "pmid": row.get("pmid") or ""}


def step_changes(current: State, current_on: str, previous: State | None, previous_on: str | None,
                 version_dates: dict[str, str], records_file: str | None = None) -> dict:
    """What changed from `previous` (None: no earlier state) to `current`: what changes.md shows of a
    state (the `step` macro of changes_macros.md.j2). With `records_file` (the file that lists every
    new record), more than NEW_RECORDS_LISTED new records are counted by exclusion reason, not listed."""
    before = {r["record_id"]: r for r in (previous.records if previous else [])}
    now = {r["record_id"]: r for r in current.records}
    new = new_records(previous, current)
    review = [r for r in current.records if r["decision"] == "needs_review"]
    conflicts = [r for r in current.records if r["conflict"] == "yes"]
    newly_review = [r for r in review if before.get(r["record_id"], {}).get("decision") != "needs_review"]
    flagged = [r for r in current.records if r["decision"] == "include"
               and (r["retracted"] == "yes" or r["erratum"])]
    added, edited, removed = match_table_rows(previous.table_rows if previous else [], current.table_rows)
    counted = new and records_file is not None and len(new) > NEW_RECORDS_LISTED
    reasons = Counter(r["exclusion_reason"] or "no reason given" for r in new if r["decision"] == "exclude")
    return {
        "state": current.id, "previous": previous.id if previous else None, "previous_on": previous_on,
        "table": _table(current, version_dates, current_on),
        "previous_table": _table(previous, version_dates, previous_on) if previous else None,
        "new": new,
        "new_by_decision": [(decision, count) for decision in ("include", "exclude", "needs_review")
                            for count in [sum(r["decision"] == decision for r in new)] if count],
        "new_counted": bool(counted), "records_file": records_file,
        "new_need_review": any(r["decision"] == "needs_review" for r in new),
        "new_reasons": sorted(reasons.items(), key=lambda item: (-item[1], item[0])) if counted else [],
        "awaiting": len(review), "newly_review": len(newly_review), "conflicts": len(conflicts),
        "to_review": newly_review + [r for r in conflicts if r not in newly_review],
        "changed": [(before[r["record_id"]], r) for r in current.records if r["record_id"] in before
                    and (before[r["record_id"]]["decision"], before[r["record_id"]]["exclusion_reason"])
                    != (r["decision"], r["exclusion_reason"])],
        "gone": [r for r in (previous.records if previous else []) if r["record_id"] not in now],
        "flagged": [(r, (was := before.get(r["record_id"])) is None
                     or (was["retracted"], was["erratum"]) != (r["retracted"], r["erratum"])) for r in flagged],
        "added": [(_table_row(r), [(c, v) for c, v in r.items() if c not in TABLE_KEY_COLUMNS and v not in ("", "NR")])
                  for r in added],
        "edited": [(_table_row(new_r), [(c, old_r.get(c), v) for c, v in new_r.items() if old_r.get(c, "") != v])
                   for old_r, new_r in edited],
        "removed": [_table_row(r) for r in removed],
    }


def changes_markdown(current: State, current_on: str, previous: State | None, previous_on: str | None,
                     version_dates: dict[str, str], as_of: str | None = None, records_file: str | None = None) -> str:
    """What changed from `previous` (None: no earlier state) to `current`, as Markdown (step_changes
    under a title: lsr/templates/changes_update.md.j2).

    `current_on`/`previous_on` are the dates the states became current; `version_dates` maps
    a Table 1 content hash to the date it was first seen. Pure: same arguments, same text.
    """
    return pages.render_markdown("changes_update.md.j2", current_on=current_on, as_of=as_of, history=HISTORY_DIR,
                                 step=step_changes(current, current_on, previous, previous_on, version_dates,
                                                   records_file))


def changes_report(current: State, steps: list[tuple[State | None, str | None, State, str]],
                   version_dates: dict[str, str], as_of: str | None = None, since: str | None = None,
                   proposed: Sequence[dict] = (), records_file: str | None = None) -> str:
    """changes.md (lsr/templates/changes.md.j2): the current Table 1 version, the studies proposed for
    it (`proposed`, see `proposed_studies`: not in the table, shown with their PROPOSAL_FIELDS), then
    one section per step (newest first). With `records_file`, a step with many new records names that
    file instead of listing them (step_changes).

    `steps` are (previous state or None, its date, state, date) pairs from `window`, oldest first.
    Pure: same arguments, same text.
    """
    first = steps[0][0] if steps else None
    return pages.render_markdown(
        "changes.md.j2", since=since, as_of=as_of, history=HISTORY_DIR, proposal_fields=PROPOSAL_FIELDS,
        table=_table(current, version_dates, steps[-1][3] if steps else ""),
        first_table=_table(first, version_dates, steps[0][1]) if first is not None else None,
        awaiting=sum(r["decision"] == "needs_review" for r in current.records), proposed=proposed,
        steps=[{"date": state_on or as_of, **step_changes(state, state_on, previous, previous_on, version_dates,
                                                          records_file)}
               for previous, previous_on, state, state_on in reversed(steps)])


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
