"""One count, one number: every output of a pipeline run that states a count agrees with the others."""
from __future__ import annotations

import csv
import json
import re
import subprocess
import sys


def _number(pattern: str, text: str, name: str) -> int:
    match = re.search(pattern, text, re.MULTILINE)
    assert match, f"{name}: no match for {pattern!r}"
    return int(match.group(1))


def _table_row(markdown: str, label: str) -> list[int]:
    row = next(line for line in markdown.splitlines() if line.startswith(f"| {label} |"))
    return [int(cell) for cell in row.strip("|").split("|")[1:]]


def test_every_stated_count_agrees(bundled_run):
    results = bundled_run / "results"
    with open(results / "screening.tsv", newline="", encoding="utf-8") as handle:
        screening = list(csv.DictReader(handle, delimiter="\t"))
    with open(results / "table1.csv", newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    truth = {
        "screened": len(screening),
        "include": sum(r["decision"] == "include" for r in screening),
        "exclude": sum(r["decision"] == "exclude" for r in screening),
        "needs_review": sum(r["decision"] == "needs_review" for r in screening),
        "conflicts": sum(r["conflict"] == "yes" for r in screening),
        "by_rules": sum(r["decided_by"] == "rules" and r["decision"] != "needs_review" for r in screening),
        "studies": len(table),
        "patients": sum(int(r["n_patients"]) for r in table if r["n_patients"].isdigit()),
    }
    assert truth["by_rules"] and truth["needs_review"] and truth["studies"]  # the checks below bite

    prisma = json.loads((results / "prisma.json").read_text(encoding="utf-8"))
    overall = prisma["overall"]
    assert (overall["screened"], overall["included"], overall["excluded"]["total"],
            overall["awaiting_review"]["total"], overall["awaiting_review"]["conflicts"]) == (
        truth["screened"], truth["include"], truth["exclude"], truth["needs_review"], truth["conflicts"])
    assert prisma["included_in_review"]["studies"] == truth["studies"]
    svg = (results / "prisma.svg").read_text(encoding="utf-8")
    columns = [prisma["databases"], prisma["other_methods"]]
    assert sum(column["screened"] for column in columns) == truth["screened"]
    for column in columns:  # the diagram shows the counts of prisma.json
        for text in (f"abstract) (n = {column['screened']})", f"Records excluded (n = {column['excluded']['total']})",
                     f"Records awaiting review (n = {column['awaiting_review']['total']})"):
            assert f">{text}<" in svg, text
    assert f">Studies included in review (n = {truth['studies']})<" in svg

    summary = (results / "screening_summary.md").read_text(encoding="utf-8")
    assert _number(r"^- Records screened: (\d+)", summary, "summary") == truth["screened"]
    assert _number(r"^- Decided by the rules without a reviewer: (\d+) of", summary, "summary") == truth["by_rules"]
    assert _number(r"^- Awaiting a reviewer \(needs_review\): (\d+)", summary, "summary") == truth["needs_review"]
    assert _number(r"^- Reviewer conflicts: (\d+)", summary, "summary") == truth["conflicts"]
    for decision in ("include", "exclude", "needs_review"):
        assert _number(rf"^\| {decision} \| (\d+) \|$", summary, "summary") == truth[decision]
    rules_include, rules_exclude, _, _ = _table_row(summary, "rules")
    assert rules_include + rules_exclude == truth["by_rules"]  # the bullet and the table say one thing

    status = subprocess.run([sys.executable, "-m", "lsr", "status"], cwd=bundled_run, capture_output=True,
                            text=True, check=True).stdout
    assert _number(r"^Records: +(\d+) screened", status, "status") == truth["screened"]
    assert _number(r"^Records: +\d+ screened, (\d+) included", status, "status") == truth["include"]
    assert _number(r"^Awaiting review: +(\d+) record", status, "status") == truth["needs_review"]
    assert _number(r"^Conflicts: +(\d+) record", status, "status") == truth["conflicts"]

    changes = (results / "changes.md").read_text(encoding="utf-8")
    assert _number(r"Table 1 version \*\*[^*]+\*\*: (\d+) stud", changes, "changes") == truth["studies"]
    assert _number(r"Table 1 version \*\*[^*]+\*\*: \d+ studies, (\d+) patient", changes, "changes") == truth["patients"]
    assert _number(r"^- (\d+) records? awaiting review", changes, "changes") == truth["needs_review"]

    for name in ("table1.md", "table1.html", "table1.tex"):
        text = (results / name).read_text(encoding="utf-8")
        assert f"Total: {truth['studies']} studies, {truth['patients']} patients" in text, name
