"""A reviewer's work: blind queues, conflicts, the full-text gate and value checks, on the review's files.

Reads the last run's results (results/unique_records.tsv, results/extraction.tsv), the criteria and
every reviewer's current files (config/screening/decisions/, config/extraction/values/), so a
decision counts in the queues as soon as it is saved, before the next rebuild. Writes only the
reviewer's own files (and the other source marked `added_by_reviewers`), by appending whole rows under
a lock (lsr.tsv.append_rows): nothing is ever rewritten, nothing is written under results/.

Blind dual screening: a record the rules leave open stays in a reviewer's title/abstract queue
until that reviewer has decided it, while fewer than `review.reviewers_per_record` reviewers have;
the queue never shows another reviewer's vote. Records included at title/abstract go to the
full-text queue the same way. Disagreements are listed as conflicts until a final decision.

Used by the browser workspace (lsr.workspace, `lsr review`) and by `lsr queue` / `lsr import`
(the spreadsheet route).
"""
from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import rispy

from . import reviewers, screening
from .extraction import (FIELDS, REVIEWER_COLUMNS, check_reviewer_value, implausible_together,
                         read_reviewer_values)
from .fields import NR, UNCLEAR
from .reviewers import FULL_TEXT, TITLE_ABSTRACT
from .tsv import InputError, append_rows, locked_append, read_tsv, read_yaml
from .workflow import CONFIG_FILE, fulltext_supplied

DECISIONS_PREAMBLE = ("# Screening decisions of one reviewer (see README, Reviewing): written by `lsr review`, "
                      "`lsr import` or by hand; the pipeline only reads this file.\n")
VALUES_PREAMBLE = ("# Table 1 values of one reviewer (see README, Reviewing): written by `lsr review` or by hand; "
                   "the pipeline only reads this file.\n")


@dataclass
class Review:
    """One review folder: its configuration, the last run's records and extraction, the criteria."""
    root: Path
    config: dict
    eligibility: screening.Eligibility
    records: list[dict[str, str]]
    rules: dict[str, screening.Screened]
    extraction: list[dict[str, str]] = field(default_factory=list)
    availability: dict[str, dict[str, str]] = field(default_factory=dict)
    """Whether the pipeline found each report's full text (results/fulltext/availability.tsv)."""
    config_file: Path = Path(CONFIG_FILE)
    _read: dict = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, root: str | os.PathLike = ".", config_file: str = CONFIG_FILE) -> "Review":
        """Read the configuration, criteria, and the records and extraction of the last run."""
        root = Path(root)
        config = read_yaml(root / config_file, "the workflow's config") or {}
        eligibility = screening.load_eligibility(root / config["screening"]["eligibility"],
                                                 root / screening.DEFAULT_SCHEMA)
        records_path = root / "results/unique_records.tsv"
        if not records_path.exists():
            raise InputError(records_path, None, None, "not found: run the pipeline first (`make run`)")
        records = screening.read_records(records_path)
        rules = {record["record_id"]: screening.screen_record(record, eligibility) for record in records}
        extraction_path = root / "results/extraction.tsv"
        extraction = read_tsv(extraction_path) if extraction_path.exists() else []
        availability_path = root / "results/fulltext/availability.tsv"
        availability = {row["record_id"]: row for row in read_tsv(availability_path)} \
            if availability_path.exists() else {}
        return cls(root, config, eligibility, records, rules, extraction, availability, root / config_file)

    # --- paths and settings -----------------------------------------------------------------
    @property
    def decisions_dir(self) -> Path:
        return self.root / self.config["screening"]["decisions"]

    @property
    def values_dir(self) -> Path:
        return self.root / self.config["extraction"]["reviewer_values"]

    @property
    def added_ris(self) -> Path | None:
        """The other source reviewers add studies to: the config's `other_sources` entry marked
        `added_by_reviewers: true` (None when no source is)."""
        return next((self.root / source["path"] for source in self.config.get("other_sources") or []
                     if isinstance(source, Mapping) and source.get("added_by_reviewers")), None)

    @property
    def supplied_papers(self) -> Path:
        """The reviewers' list of the papers they supply (config fulltext.supplied)."""
        return self.root / fulltext_supplied(self.config)

    @property
    def reviewers_per_record(self) -> int:
        return int((self.config.get("review") or {}).get("reviewers_per_record", 2))

    def reasons(self, stage: str) -> list[str]:
        return (self.eligibility.exclusion_reasons if stage == TITLE_ABSTRACT
                else self.eligibility.full_text_exclusion_reasons)

    def record(self, record_id: str) -> dict[str, str]:
        for record in self.records:
            if record["record_id"] == record_id:
                return record
        raise KeyError(record_id)

    # --- the current decisions (every reviewer's files, as they are now) ----------------------
    def _files_read(self, folder: Path, read):
        """`read()`, done again only when a file of `folder` changed (each page asks many times)."""
        stamp = tuple((str(path), path.stat().st_mtime_ns, path.stat().st_size) for path in reviewers.reviewer_files(folder))
        if self._read.get(folder, (None,))[0] != stamp:
            self._read[folder] = (stamp, read())
        return self._read[folder][1]

    def decisions(self) -> list[dict]:
        return self._files_read(self.decisions_dir, lambda: reviewers.read_decisions(
            self.decisions_dir, self.records, self.eligibility.exclusion_reasons,
            full_text_reasons=self.eligibility.full_text_exclusion_reasons))

    def rows(self, decisions: Sequence[Mapping] | None = None) -> list[dict[str, str]]:
        """screening.tsv rows as the files stand now (title/abstract decision, full-text state)."""
        decisions = self.decisions() if decisions is None else decisions
        return screening.combine(self.records, [self.rules[r["record_id"]] for r in self.records], decisions)

    # --- queues ---------------------------------------------------------------------------------
    def queue(self, reviewer: str, stage: str) -> list[str]:
        """Record ids awaiting `reviewer` at `stage`, highest priority first: not yet decided by
        them, not settled by a final decision or a conflict, and decided by fewer reviewers than
        `reviewers_per_record`. Title/abstract: the records the rules leave open; full text: the
        records included at title/abstract that the reviewer has screened there (or the rules settled)."""
        decisions = self.decisions()
        rows = {row["record_id"]: row for row in self.rows(decisions)}
        # Blind: a record still waiting for the reviewer at title/abstract is not shown at full text
        # (its being there would tell them how another reviewer voted).
        unscreened = set(self.queue(reviewer, TITLE_ABSTRACT)) if stage == FULL_TEXT else set()
        votes: dict[str, list[Mapping]] = {}
        for d in reviewers.stage_decisions(decisions, stage):
            votes.setdefault(d["record_id"], []).append(d)
        waiting = []
        for order, record in enumerate(self.records):
            record_id, row = record["record_id"], rows[record["record_id"]]
            cast = votes.get(record_id, [])
            if any(d["reviewer"] == reviewer for d in cast) or any(d["final"] == "yes" for d in cast):
                continue
            if len(cast) >= self.reviewers_per_record:
                continue
            if stage == TITLE_ABSTRACT:
                if self.rules[record_id].decision != "needs_review" or row["conflict"] == "yes":
                    continue
                priority = self.rules[record_id].priority
            else:
                if row["decision"] != "include" or row["full_text"] == "conflict" or record_id in unscreened:
                    continue
                priority = 0
            waiting.append((-priority, order, record_id))
        return [record_id for _, _, record_id in sorted(waiting)]

    def progress(self, reviewer: str, stage: str) -> tuple[int, int]:
        """(records `reviewer` has decided at `stage`, records left in their queue)."""
        decided = sum(d["reviewer"] == reviewer for d in reviewers.stage_decisions(self.decisions(), stage))
        return decided, len(self.queue(reviewer, stage))

    def conflicts(self) -> list[dict]:
        """Records whose reviewers disagree at either stage (or all said maybe at title/abstract),
        with the votes side by side, for a final decision."""
        decisions = self.decisions()
        rows = self.rows(decisions)
        found = []
        for row in rows:
            undecided = row["decision"] == "needs_review" and row["decided_by"] != "rules" and \
                len([d for d in decisions if d["record_id"] == row["record_id"] and d["stage"] == TITLE_ABSTRACT]) \
                >= self.reviewers_per_record
            for stage, open_ in ((TITLE_ABSTRACT, row["conflict"] == "yes" or undecided),
                                 (FULL_TEXT, row["full_text"] == "conflict")):
                if open_:
                    votes = sorted((d for d in decisions if d["record_id"] == row["record_id"] and d["stage"] == stage),
                                   key=lambda d: d["reviewer"])
                    found.append({"record_id": row["record_id"], "stage": stage, "title": row["title"],
                                  "votes": votes})
        return found

    # --- writing: only the reviewer's own files ---------------------------------------------
    def decide(self, reviewer: str, record_id: str, stage: str, decision: str, reason: str = "",
               note: str = "", final: bool = False, today: str | None = None) -> dict:
        """Check a decision like the pipeline does, then append it to the reviewer's own file."""
        path = reviewers.reviewer_file(self.decisions_dir, reviewer)
        record = self.record(record_id)
        row = {"pmid": screening.decision_key(record), "reviewer": reviewer, "stage": stage, "decision": decision,
               "exclusion_reason": reason if decision == "exclude" else "", "note": " ".join(note.split()),
               "date": today or dt.datetime.now(dt.timezone.utc).date().isoformat(), "final": "yes" if final else "", "_line": None}
        reviewers.check_decision(path, row, reviewers.record_lookup(self.records),
                                 {TITLE_ABSTRACT: self.reasons(TITLE_ABSTRACT), FULL_TEXT: self.reasons(FULL_TEXT)})
        append_rows(path, [row], reviewers.DECISION_COLUMNS, DECISIONS_PREAMBLE)
        return row

    def undo(self, reviewer: str, stage: str, today: str | None = None) -> str | None:
        """Take back the reviewer's latest standing decision at `stage` (a `withdrawn` row); its record id."""
        path = reviewers.reviewer_file(self.decisions_dir, reviewer)
        standing = {d["record_id"] for d in self.decisions() if d["reviewer"] == reviewer and d["stage"] == stage}
        if not path.exists():
            return None
        lookup = reviewers.record_lookup(self.records)
        rows = read_tsv(path, required=reviewers.REQUIRED_DECISION_COLUMNS, allow_comments=True)
        for row in reversed(rows):
            record_id = lookup(row["pmid"])
            if row["stage"] == stage and record_id in standing:
                self.decide(reviewer, record_id, stage, reviewers.WITHDRAWN, note="undo", today=today)
                return record_id
        return None

    # --- values -------------------------------------------------------------------------------
    def values(self) -> list[dict[str, str]]:
        return self._files_read(self.values_dir, lambda: read_reviewer_values(self.values_dir, self.records))

    def studies(self, reviewer: str) -> list[dict]:
        """Records included at title/abstract (Table 1's and the proposed), with their full-text
        state, not those still waiting for `reviewer` at title/abstract (blind screening); and the
        records the rules lean to include (extraction status `proposed`), whose values can be
        checked before the decision."""
        unscreened = set(self.queue(reviewer, TITLE_ABSTRACT))
        leaning = {row["record_id"] for row in self.extraction if row.get("status") == "proposed"}
        return [{"record_id": row["record_id"], "title": row["title"], "full_text": row["full_text"],
                 "label": self.field_cells(row["record_id"])["study"]["value"]}
                for row in self.rows() if (row["decision"] == "include" and row["record_id"] not in unscreened)
                or (row["decision"] == "needs_review" and row["record_id"] in leaning)]

    def field_cells(self, record_id: str) -> dict[str, dict]:
        """Each Table 1 field of a study: machine value, its evidence, reviewers' values and state
        (verified, unverified, unclear, NR)."""
        machine = {row["field"]: row for row in self.extraction if row["record_id"] == record_id}
        given: dict[str, list[dict]] = {}
        for value in self.values():
            if value["record_id"] == record_id:
                given.setdefault(value["field"], []).append(value)
        cells = {}
        for name in FIELDS:
            row = machine.get(name, {})
            by_reviewers = sorted(given.get(name, []), key=lambda v: v["reviewer"])
            distinct = {v["value"] for v in by_reviewers}
            value = row.get("value", "")
            if len(distinct) == 1:
                value, state = next(iter(distinct)), "verified"
            elif len(distinct) > 1:
                state = "conflict"
            else:
                state = ("verified" if row.get("reviewer") else UNCLEAR if value == UNCLEAR
                         else NR if value == NR else "unverified")
            cells[name] = {"field": name, "value": value, "state": state, "evidence": row.get("evidence", ""),
                           "reviewers": by_reviewers}
        return cells

    def set_value(self, reviewer: str, record_id: str, field_name: str, value: str, source: str,
                  note: str = "") -> dict:
        """Check a value like the pipeline does (the field's form and vocabulary, and the plausibility
        rules of lsr.fields, alone and with the reviewer's other values for the study), then append
        it to the reviewer's own values file. InputError (field 'value': what was expected) when it
        does not fit; nothing is written then."""
        path = reviewers.reviewer_file(self.values_dir, reviewer)
        record = self.record(record_id)
        row = {"pmid": screening.decision_key(record), "field": field_name, "value": value.strip(),
               "reviewer": reviewer, "source": source, "note": " ".join(note.split()), "_line": None}
        checked = check_reviewer_value(path, row, reviewers.record_lookup(self.records))
        mine = [value for value in self.values() if (value["reviewer"], value["record_id"]) == (reviewer, record_id)
                and value["field"] != field_name]
        for error in implausible_together(path, [*mine, checked]):   # with the reviewer's other values
            raise InputError(path, None, "value", error.problem)
        append_rows(path, [checked], REVIEWER_COLUMNS, VALUES_PREAMBLE)
        return checked

    # --- studies from other sources ------------------------------------------------------------
    def add_study(self, reviewer: str, title: str, authors: Sequence[str], year: str, journal: str = "",
                  abstract: str = "", doi: str = "", note: str = "") -> str:
        """Append a RIS record to the other source reviewers add to (`added_ris`); its record id (ris:<ID>)."""
        if self.added_ris is None:
            raise InputError(self.config_file, None, "other_sources", "no source takes the studies reviewers add; "
                             "mark one with `added_by_reviewers: true`")
        title, year = " ".join(title.split()), year.strip()
        authors = [" ".join(a.split()) for a in authors if a.strip()]
        if not title:
            raise InputError(self.added_ris, None, "title", "empty; expected the study's title")
        if not re.fullmatch(r"(1[89]|20)\d\d", year):
            raise InputError(self.added_ris, None, "year", f"{year!r}; expected a year such as 2024")
        surname = re.sub(r"[^a-z]", "", (authors[0].split(",")[0] if authors else title.split()[0]).lower()) or "study"
        base = f"{surname}-{year}"

        def addition(current: str) -> str:
            taken = set(re.findall(r"^ID  - (.+?)\s*$", current, flags=re.M))
            ident = base if base not in taken else next(f"{base}-{n}" for n in range(2, 1000) if f"{base}-{n}" not in taken)
            entry = {"type_of_reference": "JOUR", "id": ident, "authors": authors, "title": title, "year": year,
                     "secondary_title": journal.strip(), "abstract": " ".join(abstract.split()),
                     "doi": doi.strip(), "notes": [f"Added by {reviewer} in the reviewer workspace. {note}".strip()]}
            entry = {key: value for key, value in entry.items() if value}
            text = rispy.dumps([entry], implementation=_PlainRisWriter)
            return ("\n" if current and not current.endswith("\n\n") else "") + text

        added = locked_append(self.added_ris, addition)
        return "ris:" + re.search(r"^ID  - (.+?)\s*$", added, flags=re.M).group(1).lower()


class _PlainRisWriter(rispy.RisWriter):
    """RIS records without rispy's numbered header lines ('1.'), as the other RIS files are written."""

    def set_header(self, count: int) -> str:
        return ""


# --- the spreadsheet route ------------------------------------------------------------------------

QUEUE_COLUMNS = ["record_id", "title", "abstract", "machine_proposal", "reasons", "pmid", "decision",
                 "exclusion_reason", "note"]
"""Columns of a reviewer's queue workbook: the record and the rules' reasons (never another
reviewer's vote), then what the reviewer fills in (drop-down lists for decision and reason)."""


def queue_workbook(review: Review, reviewer: str, stage: str = TITLE_ABSTRACT) -> bytes:
    """The reviewer's queue at `stage` as an XLSX workbook with drop-down lists (data validation);
    byte-identical for the same review state."""
    from openpyxl import load_workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    rows = []
    for record_id in review.queue(reviewer, stage):
        record, rules = review.record(record_id), review.rules[record_id]
        rows.append({"record_id": record_id, "title": record.get("title", ""), "abstract": record.get("abstract", ""),
                     "machine_proposal": rules.decision + (f" ({rules.exclusion_reason})" if rules.exclusion_reason else ""),
                     "reasons": rules.reasons, "pmid": screening.decision_key(record)})
    workbook = load_workbook(io.BytesIO(screening.xlsx_bytes(rows, QUEUE_COLUMNS, sheet=stage)))
    sheet = workbook.active
    lists = workbook.create_sheet("lists")
    reasons = review.reasons(stage)
    for number, reason in enumerate(reasons, start=1):
        lists.cell(row=number, column=1, value=reason)
    lists.sheet_state = "hidden"
    last = max(len(rows) + 1, 2)
    letter = {name: chr(ord("A") + i) for i, name in enumerate(QUEUE_COLUMNS)}
    choices = [d for d in reviewers.STAGE_DECISIONS[stage] if d != reviewers.WITHDRAWN]
    decision = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                              showErrorMessage=True, error="Pick a decision from the list")
    reason = DataValidation(type="list", formula1=f"lists!$A$1:$A${len(reasons)}", allow_blank=True,
                            showErrorMessage=True, error="Pick a reason from the list (only with exclude)")
    for validation, column in ((decision, "decision"), (reason, "exclusion_reason")):
        sheet.add_data_validation(validation)
        validation.add(f"{letter[column]}2:{letter[column]}{last}")
    return screening.workbook_bytes(workbook)


def import_workbook(review: Review, reviewer: str, path: str | os.PathLike, today: str | None = None) -> int:
    """Append the decided rows of a filled-in queue workbook to the reviewer's file; how many.

    Every filled row is checked first (InputError naming the workbook, its row and the column);
    nothing is written unless all are valid. Rows without a decision are left for later."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    sheet = workbook.worksheets[0]
    stage = sheet.title if sheet.title in reviewers.STAGES else TITLE_ABSTRACT
    cells = list(sheet.iter_rows(values_only=True))
    header = [str(c or "").strip() for c in cells[0]] if cells else []
    missing = [c for c in ("pmid", "decision", "exclusion_reason", "note") if c not in header]
    if missing:
        raise InputError(path, 1, missing[0], f"missing column; expected the columns of `lsr queue` ({', '.join(QUEUE_COLUMNS)})")
    target = reviewers.reviewer_file(review.decisions_dir, reviewer)
    lookup = reviewers.record_lookup(review.records)
    reasons = {TITLE_ABSTRACT: review.reasons(TITLE_ABSTRACT), FULL_TEXT: review.reasons(FULL_TEXT)}
    date = today or dt.datetime.now(dt.timezone.utc).date().isoformat()
    rows = []
    for number, values in enumerate(cells[1:], start=2):
        given = {name: " ".join(str(value if value is not None else "").split()) for name, value in zip(header, values)}
        if not given.get("decision"):
            continue
        row = {"pmid": given["pmid"], "reviewer": reviewer, "stage": stage, "decision": given["decision"],
               "exclusion_reason": given["exclusion_reason"], "note": given["note"], "date": date, "final": "",
               "_line": number}
        reviewers.check_decision(path, row, lookup, reasons)
        rows.append(row)
    if rows:
        append_rows(target, rows, reviewers.DECISION_COLUMNS, DECISIONS_PREAMBLE)
    return len(rows)


# --- command line: lsr queue / lsr import ---------------------------------------------------------

def configure_queue_cli(parser) -> None:
    parser.add_argument("--reviewer", required=True, help="your name: your files are <name>.tsv")
    parser.add_argument("--stage", choices=reviewers.STAGES, default=TITLE_ABSTRACT)
    parser.add_argument("--out", help="workbook to write (default: reviewing/<name>-<stage>.xlsx, outside results/)")
    parser.add_argument("--force", action="store_true", help="replace an existing workbook (its entries are lost)")
    parser.add_argument("--root", default=".", help="the review's folder")


def run_queue_cli(args) -> int:
    review = Review.load(args.root)
    reviewers.reviewer_file(review.decisions_dir, args.reviewer)
    out = Path(args.out) if args.out else Path(args.root) / "reviewing" / f"{args.reviewer}-{args.stage}.xlsx"
    if out.exists() and not args.force:
        raise InputError(out, None, None, "exists and may hold entries not imported yet: import it "
                                          "(`lsr import`), then delete it, or pass --force")
    from .tsv import atomic_write_bytes

    atomic_write_bytes(out, queue_workbook(review, args.reviewer, args.stage))
    print(f"queue: {len(review.queue(args.reviewer, args.stage))} record(s) for {args.reviewer} ({args.stage}) -> {out}; "
          f"fill in decision (and exclusion_reason with exclude), then `lsr import --reviewer {args.reviewer} {out}`")
    return 0


def configure_import_cli(parser) -> None:
    parser.add_argument("--reviewer", required=True, help="your name: the rows go to your own file")
    parser.add_argument("workbook", help="a queue workbook written by `lsr queue` and filled in")
    parser.add_argument("--root", default=".", help="the review's folder")


def run_import_cli(args) -> int:
    review = Review.load(args.root)
    count = import_workbook(review, args.reviewer, args.workbook)
    target = reviewers.reviewer_file(review.decisions_dir, args.reviewer)
    print(f"import: {count} decision(s) appended to {target}; rebuild with `make run`")
    return 0

