"""Screening and extraction measured against reviewer labels, set by set (issue 9).

    .venv/bin/python bench/evaluate.py                       # every set
    .venv/bin/python bench/evaluate.py --sets heldout        # one set (gold, tuning, heldout, made-up)
    .venv/bin/python bench/evaluate.py --limit 10            # the first 10 records of each set

Sets:
- gold: the bundled records (resources/snapshot + other sources, deduplicated as the pipeline
  does) against ../shared/gold (screening labels; extraction rows of level `abstract`), plus the
  gold's `full text` rows against extraction with the reviewers' values (config/extraction/values/) applied;
- tuning, heldout: the development corpus tests/data/corpus (real records; see its README), split
  once by a rule on the record id. Tune on `tuning`; report `heldout`;
- made-up: the made-up records of tests/data/unseen_screening.tsv and unseen_extraction.tsv.

Everything runs through the pipeline's own functions: lsr.screening.screen_record with
config/eligibility.yaml and no reviewer decisions (rules only), and
lsr.extraction.extract_record on the records the labels include (machine values only).

Screening: eligible records auto-excluded (must be 0), undecidable (maybe) auto-excluded, the
share of ineligible records auto-excluded, ineligible or undecidable records auto-included (must
be 0), exclusion-reason agreement. Extraction, per field: a value is *asserted* when it is
neither NR nor unclear; precision = asserted values equal to the gold value / asserted values;
coverage = gold values (not NR) the machine asserted / gold values; invented = asserted where the
gold says NR. Values compare as lsr.extraction.normalise_value writes them (treatment codes
sorted), otherwise exactly. Output is deterministic text; the exit status is 0 unless an input
is malformed (2).
"""
from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lsr import screening
from lsr.extraction import FIELDS, NR, build_extraction, extract_record, normalise_value, read_reviewer_values
from lsr.pubmed import resolve_inputs
from lsr.records import collect_records
from lsr.sources import deduplicate, pubmed_row, read_other_sources, read_ris
from lsr.workflow import other_source_paths
from lsr.tsv import InputError, read_tsv

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LSR_SHARED", REPO.parent / "shared"))
CORPUS = REPO / "tests" / "data" / "corpus"
MADE_UP_SCREENING = REPO / "tests" / "data" / "unseen_screening.tsv"
MADE_UP_EXTRACTION = REPO / "tests" / "data" / "unseen_extraction.tsv"
SETS = ("gold", "tuning", "heldout", "made-up")
LABELS = ("include", "exclude", "maybe")
DECISIONS = ("include", "exclude", "needs_review")
NOT_ASSERTED = {NR.lower(), "unclear", "?", ""}


# --------------------------------------------------------------------------- metrics (pure)

def asserted(value: str) -> bool:
    """True for a value the machine commits to: not NR, not unclear (nor its `?` display)."""
    return value.strip().lower() not in NOT_ASSERTED


def same_value(field_name: str, gold: str, got: str) -> bool:
    """Gold and machine value are equal once written the way the pipeline normalises them."""
    return normalise_value(field_name, gold.strip()) == normalise_value(field_name, got.strip())


@dataclass
class ScreeningScore:
    """Counts of one set: gold label x rules decision, and what went the wrong way."""
    matrix: Counter = field(default_factory=Counter)
    reasons_agree: int = 0
    reasons_total: int = 0
    wrong_way: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, record_id: str, label: str, reason: str, decision: str, rules_reason: str) -> None:
        self.matrix[label, decision] += 1
        if label == "exclude" and decision == "exclude":
            self.reasons_total += 1
            self.reasons_agree += rules_reason == reason
        if decision == "exclude" and label != "exclude" or decision == "include" and label != "include":
            self.wrong_way.append((record_id, label, decision, rules_reason or "-"))

    def labelled(self, label: str) -> int:
        return sum(self.matrix[label, d] for d in DECISIONS)

    @property
    def eligible_excluded(self) -> tuple[int, int]:
        return self.matrix["include", "exclude"], self.labelled("include")

    @property
    def maybe_excluded(self) -> tuple[int, int]:
        return self.matrix["maybe", "exclude"], self.labelled("maybe")

    @property
    def ineligible_excluded(self) -> tuple[int, int]:
        return self.matrix["exclude", "exclude"], self.labelled("exclude")

    @property
    def wrongly_included(self) -> tuple[int, int]:
        return (self.matrix["exclude", "include"] + self.matrix["maybe", "include"],
                self.labelled("exclude") + self.labelled("maybe"))


@dataclass
class FieldScore:
    """One field over a set: gold values (not NR), asserted values, right ones, inventions."""
    gold_values: int = 0
    asserted: int = 0
    right: int = 0
    covered: int = 0
    invented: int = 0


def score_extraction(rows: Iterable[tuple[str, str, str, str]]) -> tuple[dict[str, FieldScore], list[str]]:
    """Per-field scores of (record_id, field, gold, machine) rows, and the disagreements in words."""
    scores = {name: FieldScore() for name in FIELDS}
    misses = []
    for record_id, name, gold, got in rows:
        score = scores[name]
        gold_is_value, got_is_value = asserted(gold), asserted(got)
        score.gold_values += gold_is_value
        if got_is_value:
            score.asserted += 1
            score.right += gold_is_value and same_value(name, gold, got)
            score.covered += gold_is_value
            score.invented += not gold_is_value
        if got_is_value and not (gold_is_value and same_value(name, gold, got)):
            misses.append(f"{record_id} {name}: gold {gold!r}, machine {got!r}")
    return scores, misses


def total(scores: Mapping[str, FieldScore]) -> FieldScore:
    summed = FieldScore()
    for score in scores.values():
        for name in vars(summed):
            setattr(summed, name, getattr(summed, name) + getattr(score, name))
    return summed


def ratio(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100 * part / whole:.1f}%" if whole else f"{part}/0"


# --------------------------------------------------------------------------- the sets

@dataclass
class LabelledSet:
    """Records with their screening labels and, for included ones, gold Table 1 values."""
    name: str
    records: list[dict]
    labels: dict[str, tuple[str, str]]            # record_id -> (label, exclusion reason)
    gold_values: dict[str, dict[str, str]]        # record_id -> field -> value (included records)


def _limit(records: list[dict], limit: int | None) -> list[dict]:
    records = sorted(records, key=lambda r: r["record_id"])
    return records[:limit] if limit else records


def bundled_records() -> list[dict]:
    """The bundled records as the records and sources stages build them (deduplicated)."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    pubmed = collect_records(resolve_inputs(config["search"]["snapshot"], base=REPO))
    others = read_other_sources([REPO / path for path in other_source_paths(config)])
    return deduplicate(pubmed, others)[0]


def bundled_set(limit: int | None) -> LabelledSet:
    """The bundled records against ../shared/gold (abstract-level extraction rows)."""
    records = bundled_records()
    gold_labels = read_tsv(SHARED / "gold" / "screening_labels.tsv", required=["pmid", "label", "exclusion_reason"])
    labels = {f"pmid:{row['pmid']}": (row["label"], row["exclusion_reason"]) for row in gold_labels}
    records = _limit([r for r in records if r["record_id"] in labels], limit)
    rows = read_tsv(SHARED / "gold" / "extraction.tsv", required=["record", "level", *FIELDS])
    values = {row["record"]: {f: row[f] for f in FIELDS} for row in rows if row["level"] == "abstract"}
    return LabelledSet("gold", records, labels, values)


def corpus_records(corpus: Path) -> list[dict]:
    """The corpus records as the pipeline reads them: PubMed XML rows and RIS rows."""
    pubmed = [pubmed_row(record) for record in collect_records([corpus / "records.xml"])]
    return pubmed + read_ris(corpus / "records.ris")


def corpus_set(corpus: Path, split: str, limit: int | None) -> LabelledSet:
    """One split (tuning or heldout) of the development corpus."""
    label_rows = read_tsv(corpus / "labels.tsv", required=["record", "label", "exclusion_reason", "split"])
    labels = {row["record"]: (row["label"], row["exclusion_reason"]) for row in label_rows if row["split"] == split}
    records = _limit([r for r in corpus_records(corpus) if r["record_id"] in labels], limit)
    rows = read_tsv(corpus / "extraction.tsv", required=["record", "level", *FIELDS])
    values = {row["record"]: {f: row[f] for f in FIELDS} for row in rows if row["record"] in labels}
    return LabelledSet(split, records, labels, values)


def made_up_set(limit: int | None) -> LabelledSet:
    """The made-up records: screening cases and (separately) extraction cases, both labelled in-file."""
    cases = read_tsv(MADE_UP_SCREENING, required=["record_id", "expected", "expected_reason"], allow_comments=True)
    labels = {case["record_id"]: (case["expected"], case["expected_reason"]) for case in cases}
    records = _limit(cases, limit)
    extraction_cases = read_tsv(MADE_UP_EXTRACTION, required=["id", *FIELDS], allow_comments=True)
    for case in extraction_cases:
        case["record_id"] = f"made-up:{case['id']}"
    extraction_cases = _limit(extraction_cases, limit)
    values = {case["record_id"]: {f: case[f] for f in FIELDS} for case in extraction_cases}
    return LabelledSet("made-up", records + extraction_cases, labels, values)


# --------------------------------------------------------------------------- evaluation

def evaluate_screening(labelled: LabelledSet, eligibility) -> ScreeningScore:
    score = ScreeningScore()
    for record in labelled.records:
        if record["record_id"] not in labelled.labels:
            continue
        label, reason = labelled.labels[record["record_id"]]
        result = screening.screen_record(record, eligibility)
        score.add(record["record_id"], label, reason, result.decision, result.exclusion_reason)
    return score


def evaluate_extraction(labelled: LabelledSet) -> tuple[dict[str, FieldScore], list[str]]:
    by_id = {record["record_id"]: record for record in labelled.records}
    rows = []
    for record_id in sorted(set(labelled.gold_values) & set(by_id)):
        machine = extract_record(by_id[record_id])
        gold = labelled.gold_values[record_id]
        rows.extend((record_id, name, gold[name], machine[name].value) for name in FIELDS)
    return score_extraction(rows)


def evaluate_full_text(reviewer_values: Path) -> tuple[dict[str, FieldScore], list[str]]:
    """The gold's full-text rows against extraction with the reviewer values applied."""
    gold_rows = read_tsv(SHARED / "gold" / "extraction.tsv", required=["record", "level", *FIELDS])
    full = {row["record"]: row for row in gold_rows if row["level"] == "full text"}
    records = bundled_records()
    by_id = {record["record_id"]: record for record in records}
    missing = sorted(set(full) - set(by_id))
    if missing:
        raise InputError(SHARED / "gold" / "extraction.tsv", None, "record",
                         f"records not among the bundled records: {', '.join(missing)}")
    chosen = [by_id[record_id] for record_id in sorted(full)]
    run = build_extraction(chosen, [{"record_id": r, "decision": "include"} for r in sorted(full)],
                           read_reviewer_values(reviewer_values, records))
    values: dict[str, dict[str, str]] = {}
    for row in run.rows:
        values.setdefault(row["record_id"], {})[row["field"]] = row["value"]
    return score_extraction((r, name, full[r][name], values[r][name]) for r in sorted(full) for name in FIELDS)


# --------------------------------------------------------------------------- report

def screening_lines(score: ScreeningScore) -> list[str]:
    lines = [f"  {'label/rules':<13}" + "".join(f"{d:>14}" for d in DECISIONS) + f"{'total':>8}"]
    for label in LABELS:
        lines.append(f"  {label:<13}" + "".join(f"{score.matrix[label, d]:>14}" for d in DECISIONS)
                     + f"{score.labelled(label):>8}")
    lines += [
        f"  eligible (include) auto-excluded:          {ratio(*score.eligible_excluded)}   (target 0)",
        f"  undecidable (maybe) auto-excluded:         {ratio(*score.maybe_excluded)}",
        f"  ineligible (exclude) auto-excluded:        {ratio(*score.ineligible_excluded)}   (target >= 75%)",
        f"  ineligible or undecidable auto-included:   {ratio(*score.wrongly_included)}   (target 0)",
        f"  exclusion reason agrees (auto-excluded):   {ratio(score.reasons_agree, score.reasons_total)}",
    ]
    if score.wrong_way:
        lines.append("  wrong-way decisions (record, label, rules, rules' reason):")
        lines += [f"    {' | '.join(row)}" for row in sorted(score.wrong_way)]
    return lines


def extraction_lines(scores: Mapping[str, FieldScore], misses: Sequence[str]) -> list[str]:
    lines = [f"  {'field':<18}{'gold values':>12}{'asserted':>10}{'right':>7}{'precision':>11}{'coverage':>10}{'invented':>10}"]
    for name in [*FIELDS, "all fields"]:
        s = total(scores) if name == "all fields" else scores[name]
        precision = f"{100 * s.right / s.asserted:.1f}%" if s.asserted else "-"
        coverage = f"{100 * s.covered / s.gold_values:.1f}%" if s.gold_values else "-"
        lines.append(f"  {name:<18}{s.gold_values:>12}{s.asserted:>10}{s.right:>7}{precision:>11}{coverage:>10}{s.invented:>10}")
    if misses:
        lines.append("  asserted values that are not the gold value:")
        lines += [f"    {miss}" for miss in sorted(misses)]
    return lines


def report(sets: Sequence[str], corpus: Path, eligibility_path: Path, schema_path: Path,
           reviewer_values: Path, limit: int | None) -> str:
    """The whole evaluation as text (deterministic: sorted records, fixed formats)."""
    eligibility = screening.load_eligibility(eligibility_path, schema_path)
    lines = ["Rules only (no reviewer decisions or values); targets from issue 9 are for the held-out set.",
             "Extraction: asserted = neither NR nor unclear; precision = right/asserted;",
             "coverage = gold values asserted/gold values; invented = asserted where the gold says NR."]
    summary: dict[str, tuple[ScreeningScore, FieldScore]] = {}
    for name in sets:
        if name == "gold":
            labelled = bundled_set(limit)
        elif name == "made-up":
            labelled = made_up_set(limit)
        else:
            labelled = corpus_set(corpus, name, limit)
        score = evaluate_screening(labelled, eligibility)
        field_scores, misses = evaluate_extraction(labelled)
        summary[name] = (score, total(field_scores))
        screened = sum(score.labelled(label) for label in LABELS)
        lines += ["", f"== {name}: {screened} labelled records screened ==", "screening"]
        lines += screening_lines(score)
        compared = len({r["record_id"] for r in labelled.records} & set(labelled.gold_values))
        lines.append(f"extraction ({compared} records the labels include; machine values only)")
        lines += extraction_lines(field_scores, misses)
        if name == "gold" and not limit:
            full_scores, full_misses = evaluate_full_text(reviewer_values)
            lines.append("extraction, gold full-text rows, with the reviewer values applied")
            lines += extraction_lines(full_scores, full_misses)
    lines += ["", "== summary ==", f"  {'':<42}" + "".join(f"{name:>16}" for name in summary)]
    rows = [
        ("eligible auto-excluded", lambda s, f: s.eligible_excluded),
        ("maybe auto-excluded", lambda s, f: s.maybe_excluded),
        ("ineligible auto-excluded", lambda s, f: s.ineligible_excluded),
        ("ineligible or maybe auto-included", lambda s, f: s.wrongly_included),
        ("extraction: right / asserted", lambda s, f: (f.right, f.asserted)),
        ("extraction: asserted / gold values", lambda s, f: (f.covered, f.gold_values)),
        ("extraction: invented / asserted", lambda s, f: (f.invented, f.asserted)),
    ]
    for title, pick in rows:
        cells = []
        for score, field_total in summary.values():
            part, whole = pick(score, field_total)
            cells.append(f"{part}/{whole}" + (f" {100 * part / whole:.0f}%" if whole else ""))
        lines.append(f"  {title:<42}" + "".join(f"{cell:>16}" for cell in cells))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, from {', '.join(SETS)}")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the development corpus folder")
    parser.add_argument("--eligibility", type=Path, default=REPO / "config" / "eligibility.yaml")
    parser.add_argument("--schema", type=Path, default=REPO / "workflow" / "schemas" / "eligibility.schema.yaml")
    parser.add_argument("--reviewer-values", type=Path, default=REPO / "config" / "extraction" / "values")
    parser.add_argument("--limit", type=int, help="evaluate only the first N records (by record id) of each set")
    args = parser.parse_args(argv)
    sets = [name.strip() for name in args.sets.split(",") if name.strip()]
    unknown = [name for name in sets if name not in SETS]
    if unknown:
        parser.error(f"unknown set {', '.join(unknown)}; expected some of {', '.join(SETS)}")
    try:
        sys.stdout.write(report(sets, args.corpus, args.eligibility, args.schema, args.reviewer_values, args.limit))
    except InputError as error:
        print(error, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
