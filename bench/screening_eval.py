"""Measure the screening rules (no reviewer decisions) against the reviewer's gold labels.

    .venv/bin/python bench/screening_eval.py [--records results/unique_records.tsv]

Without --records it screens the bundled PubMed snapshot (record_id pmid:<PMID>) and the
bundled RIS records. Prints the confusion matrix (gold include/exclude/maybe against rules
include/exclude/needs_review), recall of gold includes (include or needs_review: must be
100%), the share of gold excludes auto-excluded (work saved), of gold includes auto-included,
exclusion-reason agreement, and the decisions on records without a gold label. Then the same
matrix on a second set the rules were not written with: made-up records unlike the bundled ones,
labelled in the file itself (tests/data/unseen_screening.tsv; --unseen). Exits 1 when a gold
include (or, in the second set, a gold maybe) is excluded.
"""
from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

from lsr import screening
from lsr.records import collect_records
from lsr.tsv import read_tsv

REPO = Path(__file__).resolve().parents[1]
UNSEEN = REPO / "tests/data/unseen_screening.tsv"
GOLD = ("include", "exclude", "maybe")
RULES = ("include", "exclude", "needs_review")


def bundled_records() -> list[dict]:
    records = []
    for record in collect_records([REPO / "resources/snapshot/tacrolimus-jdm-2024.xml"]):
        records.append({**record, "record_id": f"pmid:{record['pmid']}", "source": "PubMed"})
    from lsr.sources import read_ris    # the other-sources stage's reader

    return records + read_ris(REPO / "resources/other_sources/other-sources.ris")


def share(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100 * part / whole:.1f}%" if whole else "n/a (none)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", help="unique_records.tsv to screen (default: the bundled data)")
    parser.add_argument("--eligibility", default=REPO / "config/eligibility.yaml")
    parser.add_argument("--schema", default=REPO / "workflow/schemas/eligibility.schema.yaml")
    parser.add_argument("--gold", default=REPO.parent / "shared/gold/screening_labels.tsv")
    parser.add_argument("--unseen", default=UNSEEN, help="second set: records with their labels (expected, expected_reason)")
    args = parser.parse_args()

    eligibility = screening.load_eligibility(args.eligibility, args.schema)
    records = read_tsv(args.records) if args.records else bundled_records()
    with open(args.gold, encoding="utf-8") as handle:
        gold = {row["pmid"]: row for row in csv.DictReader(handle, delimiter="\t")}

    matrix: Counter = Counter()
    reasons_agree = reasons_total = 0
    misses, unlabelled = [], []
    for record in records:
        result = screening.screen_record(record, eligibility)
        label = gold.get(record.get("pmid", ""))
        if label is None:
            unlabelled.append((record["record_id"], result.decision, result.exclusion_reason, record["title"]))
            continue
        matrix[label["label"], result.decision] += 1
        if label["label"] == "exclude" and result.decision == "exclude":
            reasons_total += 1
            reasons_agree += result.exclusion_reason == label["exclusion_reason"]
        if label["label"] != "exclude" and result.decision == "exclude" or \
                label["label"] == "exclude" and result.decision == "include":
            misses.append((record["record_id"], label["label"], result.decision, result.exclusion_reason))

    print(f"Screening rules vs gold labels ({sum(matrix.values())} labelled records; {args.eligibility})\n")
    print(f"{'gold/rules':<14}" + "".join(f"{d:>14}" for d in RULES) + f"{'total':>8}")
    for g in GOLD:
        print(f"{g:<14}" + "".join(f"{matrix[g, d]:>14}" for d in RULES) + f"{sum(matrix[g, d] for d in RULES):>8}")
    n = {g: sum(matrix[g, d] for d in RULES) for g in GOLD}
    print()
    print(f"recall of gold include (include or needs_review): {share(n['include'] - matrix['include', 'exclude'], n['include'])}")
    print(f"gold include auto-included:                       {share(matrix['include', 'include'], n['include'])}")
    print(f"gold exclude auto-excluded (work saved):          {share(matrix['exclude', 'exclude'], n['exclude'])}")
    print(f"gold maybe not auto-excluded:                     {share(n['maybe'] - matrix['maybe', 'exclude'], n['maybe'])}")
    print(f"exclusion reason agrees (auto-excluded):          {share(reasons_agree, reasons_total)}")
    print(f"records decided without a reviewer:               "
          f"{share(sum(matrix[g, d] for g in GOLD for d in ('include', 'exclude')), sum(n.values()))}")
    if misses:
        print("\nWrong-way decisions (record, gold, rules, reason):")
        for miss in misses:
            print("  ", *miss)
    if unlabelled:
        print("\nRecords without a gold label (record_id, rules decision, reason, title):")
        for row in unlabelled:
            print(f"   {row[0]}  {row[1]}  {row[2] or '-'}  {row[3][:70]}")
    unseen_unsafe = report_unseen(args.unseen, eligibility)
    return 1 if matrix["include", "exclude"] or unseen_unsafe else 0


def report_unseen(path, eligibility) -> int:
    """Print the confusion matrix on the second set; return how many gold include/maybe were excluded."""
    matrix: Counter = Counter()
    reasons_agree = reasons_total = 0
    misses = []
    for record in read_tsv(path, allow_comments=True):
        result = screening.screen_record(record, eligibility)
        label = record["expected"]
        matrix[label, result.decision] += 1
        if label == "exclude" and result.decision == "exclude":
            reasons_total += 1
            reasons_agree += result.exclusion_reason == record["expected_reason"]
        if result.decision == "exclude" and label != "exclude" or result.decision == "include" and label != "include":
            misses.append((record["record_id"], label, result.decision, result.exclusion_reason or "-"))
    n = {g: sum(matrix[g, d] for d in RULES) for g in GOLD}
    agree = matrix["include", "include"] + matrix["exclude", "exclude"] + matrix["maybe", "needs_review"]
    print(f"\nUnseen records ({sum(n.values())}; {path})\n")
    print(f"{'gold/rules':<14}" + "".join(f"{d:>14}" for d in RULES) + f"{'total':>8}")
    for g in GOLD:
        print(f"{g:<14}" + "".join(f"{matrix[g, d]:>14}" for d in RULES) + f"{n[g]:>8}")
    print()
    print(f"gold include/maybe not auto-excluded (safety):    "
          f"{share(n['include'] + n['maybe'] - matrix['include', 'exclude'] - matrix['maybe', 'exclude'], n['include'] + n['maybe'])}")
    print(f"gold exclude/maybe not auto-included:             "
          f"{share(n['exclude'] + n['maybe'] - matrix['exclude', 'include'] - matrix['maybe', 'include'], n['exclude'] + n['maybe'])}")
    print(f"gold exclude auto-excluded (work saved):          {share(matrix['exclude', 'exclude'], n['exclude'])}")
    print(f"exclusion reason agrees (auto-excluded):          {share(reasons_agree, reasons_total)}")
    print(f"agreement (maybe = needs_review):                 {share(agree, sum(n.values()))}")
    if misses:
        print("\nWrong-way decisions (record, gold, rules, reason):")
        for miss in misses:
            print("  ", *miss)
    return matrix["include", "exclude"] + matrix["maybe", "exclude"]


if __name__ == "__main__":
    sys.exit(main())
