"""Extraction measured against the reviewer's gold values (shared/gold/extraction.tsv).

    .venv/bin/python bench/extraction_eval.py
    .venv/bin/python bench/extraction_eval.py --records results/unique_records.tsv

The records are the bundled PubMed snapshot plus the configured other sources, deduplicated
as the pipeline does (or a unique_records.tsv given with --records). Two comparisons, field
by field, exact string match:

- `abstract` gold rows vs machine-only extraction (no reviewer values) of title and abstract;
- `full text` gold rows vs extraction with config/extraction/values/ applied.

It also reports, over both levels, how often the output is NR where the gold is NR (an
invented value is a miss), and lists every disagreement with the value each side gave.

Then the same, machine-only, on made-up abstracts the rules were not written against
(tests/data/unseen_extraction.tsv, or --unseen): per-field accuracy, NR kept where expected
(target 100%), and the floors tests/test_extraction.py asserts for the key fields.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from pathlib import Path

import yaml

from lsr.extraction import FIELDS, NR, build_extraction, extract_record, read_reviewer_values
from lsr.records import collect_records, resolve_inputs
from lsr.sources import deduplicate, read_other_sources
from lsr.tsv import read_tsv

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LSR_SHARED", REPO.parent / "shared"))
TARGETS = {"n_patients": 0.9, "design": 0.9, "tacrolimus_route": 0.9, "skin_outcome": 0.9,
           "muscle_outcome": 0.9, "steroid_sparing": 0.9}
UNSEEN = REPO / "tests" / "data" / "unseen_extraction.tsv"
# Floors on the unseen abstracts; tests/test_extraction.py asserts the same ones.
UNSEEN_FLOORS = {"n_patients": 0.95, "design": 0.9, "tacrolimus_route": 0.95, "skin_outcome": 0.85,
                 "muscle_outcome": 0.85, "steroid_sparing": 0.9}


def bundled_records() -> list[dict]:
    """Unique records of the bundled data, built as the records and sources stages build them."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    snapshot = config["search"]["snapshot"]
    pubmed = collect_records(resolve_inputs(snapshot, base=REPO))
    others = read_other_sources([REPO / path for path in config.get("other_sources", [])])
    unique, _ = deduplicate(pubmed, others)
    return unique


def evaluate(records: list[dict], gold: list[dict], reviewer_values_path: Path) -> dict:
    by_id = {record["record_id"]: record for record in records}
    missing = sorted({row["record"] for row in gold} - set(by_id))
    if missing:
        raise SystemExit(f"gold records not among the records: {', '.join(missing)}")
    machine = {row["record"]: {f: finding.value for f, finding in extract_record(by_id[row["record"]]).items()}
               for row in gold if row["level"] == "abstract"}
    full_ids = [row["record"] for row in gold if row["level"] == "full text"]
    values = read_reviewer_values(reviewer_values_path, records)
    run = build_extraction([by_id[r] for r in full_ids], [{"record_id": r, "decision": "include"} for r in full_ids],
                           values)
    reviewed: dict[str, dict[str, str]] = defaultdict(dict)
    for row in run.rows:
        reviewed[row["record_id"]][row["field"]] = row["value"]
    scores = {level: {f: [0, 0] for f in FIELDS} for level in ("abstract", "full text")}
    nr = [0, 0]
    misses = []
    for row in gold:
        got = machine[row["record"]] if row["level"] == "abstract" else reviewed[row["record"]]
        for field in FIELDS:
            expected, value = row[field], got[field]
            scores[row["level"]][field][1] += 1
            if value == expected:
                scores[row["level"]][field][0] += 1
            else:
                misses.append(f"  {row['level']:9} {row['record']:30} {field:17} gold={expected!r} got={value!r}")
            if expected == NR:
                nr[1] += 1
                nr[0] += value == NR
    return {"scores": scores, "nr": nr, "misses": misses, "conflicts": run.conflicts}


def evaluate_unseen(path: Path) -> dict:
    """Machine values on the unseen abstracts vs the values expected there, field by field."""
    cases = read_tsv(path, required=["id", "first_author", "year", "publication_types", "title", "abstract", *FIELDS],
                     allow_comments=True)
    scores = {f: [0, 0] for f in FIELDS}
    nr = [0, 0]
    misses, invented = [], []
    for case in cases:
        got = {f: finding.value for f, finding in extract_record(case).items()}
        for field in FIELDS:
            scores[field][1] += 1
            if got[field] == case[field]:
                scores[field][0] += 1
            else:
                misses.append(f"  {case['id']:5} {field:17} expected={case[field]!r} got={got[field]!r}")
            if case[field] == NR:
                nr[1] += 1
                nr[0] += got[field] == NR
                if got[field] != NR:
                    invented.append(f"{case['id']} {field}={got[field]!r}")
    return {"cases": len(cases), "scores": scores, "nr": nr, "misses": misses, "invented": invented}


def report_unseen(path: Path) -> bool:
    """Print the unseen-set scores; True when the NR rule or a floor is broken."""
    result = evaluate_unseen(path)
    print(f"\nunseen abstracts ({path.name}, {result['cases']} records, machine only)")
    failed = False
    for field in FIELDS:
        right, total = result["scores"][field]
        floor = UNSEEN_FLOORS.get(field)
        met = ""
        if floor is not None:
            met = f">= {floor:.0%} {'ok' if right / total >= floor else 'MISSED'}"
            failed |= right / total < floor
        print(f"{field:18} {right:>3}/{total} {right / total:6.1%}  {met}")
    right = sum(r for r, _ in result["scores"].values())
    total = sum(t for _, t in result["scores"].values())
    print(f"all fields: {right}/{total} ({right / total:.1%})")
    right, total = result["nr"]
    print(f"NR kept where expected: {right}/{total} ({right / total:.1%}; target 100%)"
          + (f" invented: {', '.join(result['invented'])}" if result["invented"] else ""))
    failed |= right != total
    if result["misses"]:
        print("disagreements:")
        print("\n".join(result["misses"]))
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", help="a unique_records.tsv to use instead of building the bundled records")
    parser.add_argument("--gold", default=str(SHARED / "gold" / "extraction.tsv"))
    parser.add_argument("--reviewer-values", default=str(REPO / "config" / "extraction" / "values"))
    parser.add_argument("--unseen", default=str(UNSEEN), help="made-up abstracts with expected values")
    args = parser.parse_args(argv)
    records = read_tsv(args.records) if args.records else bundled_records()
    gold = read_tsv(args.gold, required=["record", "level", *FIELDS])
    result = evaluate(records, gold, Path(args.reviewer_values))
    print(f"{'field':18} {'abstract (machine)':>19} {'full text (+reviewer)':>22}  target")
    failed = False
    for field in FIELDS:
        cells = []
        for level in ("abstract", "full text"):
            right, total = result["scores"][level][field]
            cells.append(f"{right}/{total} {right / total:6.1%}" if total else "-")
        target = TARGETS.get(field)
        met = ""
        if target is not None:
            right = sum(result["scores"][level][field][0] for level in result["scores"])
            total = sum(result["scores"][level][field][1] for level in result["scores"])
            met = f">= {target:.0%} {'ok' if right / total >= target else 'MISSED'}"
            failed |= right / total < target
        print(f"{field:18} {cells[0]:>19} {cells[1]:>22}  {met}")
    right, total = result["nr"]
    print(f"NR kept where the gold says NR: {right}/{total} ({right / total:.1%}; target 100%)")
    failed |= right != total
    for level in ("abstract", "full text"):
        right = sum(r for r, _ in result["scores"][level].values())
        total = sum(t for _, t in result["scores"][level].values())
        print(f"all fields, {level}: {right}/{total} ({right / total:.1%})")
    if result["misses"]:
        print("disagreements with the gold:")
        print("\n".join(result["misses"]))
    for conflict in result["conflicts"]:
        print(f"reviewer conflict: {conflict}")
    failed |= report_unseen(Path(args.unseen))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
