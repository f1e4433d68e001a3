"""End-to-end: the Snakemake workflow on a temporary copy, as `make run` runs it."""
import csv
import json
import shutil

import pytest

from conftest import copy_workflow, run_snakemake

VOLATILE = {"search_log.tsv", "report"}  # the search log is appended by every search; logs hold times


def result_bytes(workdir):
    results = workdir / "results"
    return {str(p.relative_to(results)): p.read_bytes() for p in sorted(results.rglob("*"))
            if p.is_file() and p.parts[len(results.parts)] not in VOLATILE | {"logs"}}


def human_files(workdir):
    """What reviewers wrote: the pipeline reads these and never writes them."""
    paths = [*sorted((workdir / "config/screening/decisions").glob("*.tsv")),
             *sorted((workdir / "config/extraction/values").glob("*.tsv")),
             *sorted((workdir / "config/other_sources").glob("*.ris"))]
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in paths}


def test_second_run_is_a_noop_and_a_rebuild_is_byte_identical(workflow_copy):
    reviewers_wrote = human_files(workflow_copy)
    run_snakemake(workflow_copy)
    assert human_files(workflow_copy) == reviewers_wrote
    first = result_bytes(workflow_copy)
    assert {"records.tsv", "screening.tsv", "extraction.tsv", "table1.csv", "table1.docx", "prisma.svg",
            "to_review.tsv", "changes.md"} <= set(first)
    again = run_snakemake(workflow_copy)
    assert "Nothing to be done" in again.stdout + again.stderr
    shutil.rmtree(workflow_copy / "results")
    run_snakemake(workflow_copy)
    assert result_bytes(workflow_copy) == first
    assert first["records.tsv"].count(b"\n") == 42  # header + the 41 bundled records


def test_table1_holds_the_seed_papers_studies_with_their_patients(bundled_run):
    with open(bundled_run / "results/table1.csv", newline="", encoding="utf-8") as handle:
        rows = {row["study"]: row for row in csv.DictReader(handle)}
    # Hassan 2008 and Martin Nalda 2006 from PubMed, Rao 2020 from other sources, and the two
    # studies the seeds describe that no database record holds; the congress abstract of Hassan
    # 2008 is merged into its PubMed record, not counted twice.
    assert {study: rows[study]["n_patients"] for study in rows} == {
        "Modesto 2003": "3", "Yamada 2004": "1", "Martin Nalda 2006": "6", "Hassan 2008": "3", "Rao 2020": "2"}
    assert rows["Hassan 2008"]["pmid"] == "18716733" and rows["Rao 2020"]["pmid"] == ""
    assert list(rows) == ["Modesto 2003", "Yamada 2004", "Martin Nalda 2006", "Hassan 2008", "Rao 2020"]
    assert "Total: 5 studies, 15 patients" in (bundled_run / "results/table1.md").read_text(encoding="utf-8")
    prisma = json.loads((bundled_run / "results/prisma.json").read_text(encoding="utf-8"))
    assert prisma["included_in_review"]["studies"] == 5


def test_bad_config_key_stops_the_run_naming_the_key(workflow_copy):
    config = workflow_copy / "config/config.yaml"
    config.write_text(config.read_text().replace("  batch_size: 500", "  batch_size: 500\n  batchsize: 7"))
    result = run_snakemake(workflow_copy, "-n", check=False)
    assert result.returncode != 0
    assert "batchsize" in result.stdout + result.stderr


def test_bad_config_type_stops_the_run_naming_the_key(workflow_copy):
    result = run_snakemake(workflow_copy, "-n", "--config", "ncbi={'batch_size': 'many'}", check=False)
    assert result.returncode != 0
    assert "batch_size" in result.stdout + result.stderr


def test_another_snapshot_is_run_through_the_config(workflow_copy, tmp_path):
    import gzip

    snapshot = workflow_copy / "resources/snapshot/tacrolimus-jdm-2024.xml"
    other = tmp_path / "other"
    other.mkdir()
    with gzip.open(other / "part.xml.gz", "wb") as handle:
        handle.write(snapshot.read_bytes())
    run_snakemake(workflow_copy, "results/records.tsv", "--config", f"search={{'snapshot': '{other}/*.xml.gz'}}")
    assert b"part.xml.gz" in (workflow_copy / "results/records.tsv").read_bytes()


def test_as_of_rebuilds_the_past_without_writing_state(workflow_copy):
    # The shipped reviewer decisions are dated 2026-11-22: a day before, only the rules decided, and
    # what they include is proposed, not published (no reviewer had included it at full text).
    run_snakemake(workflow_copy, "--config", "as_of=2026-11-21")
    with open(workflow_copy / "results/table1.csv", newline="", encoding="utf-8") as handle:
        studies = [row["study"] for row in csv.DictReader(handle)]
    assert studies == []
    changes = (workflow_copy / "results/changes.md").read_text(encoding="utf-8")
    assert "## Proposed for Table 1, awaiting a reviewer (2)" in changes
    assert "**Hassan 2008** (PMID 18716733; awaiting a full-text decision)" in changes
    assert "Version 2026-11-21 · " in (workflow_copy / "results/table1.md").read_text(encoding="utf-8")
    assert not (workflow_copy / "data").exists()


def test_report_shows_table_prisma_search_log_and_screening_summary(bundled_run):
    run_snakemake(bundled_run, "--report", "results/report.html")
    page = (bundled_run / "results/report.html").read_text(encoding="utf-8")
    for shown in ("table1.html", "prisma.svg", "search_log.html", "screening_summary.html",
                  "1. Search", "2. Screening", "3. PRISMA flow", "4. Table 1"):
        assert shown in page, shown


@pytest.mark.e2e
def test_the_shipped_review_builds_with_its_own_files_and_state(repo, tmp_path):
    """The review as committed (its config/ and data/, whatever a living update or a reviewer
    added): it builds, reviewer files stay untouched, PRISMA adds up to the published table, and
    every state in the committed history has its table version registered. When the review has
    not changed since data/ was committed, the run rebuilds the published Table 1 byte for byte,
    caption (version date) included."""
    from lsr import living
    from lsr.tsv import read_tsv

    workdir = copy_workflow(tmp_path / "shipped", shipped=True)
    committed = living.read_log(workdir / "data/history")
    registry = read_tsv(repo / "data/table_versions.tsv", required=["version_date", "content_hash"])
    registered = {row["content_hash"]: row["version_date"] for row in registry}
    assert all(entry["table_version"] in registered for entry in committed)
    reviewers_wrote = human_files(workdir)
    run_snakemake(workdir)
    assert human_files(workdir) == reviewers_wrote
    with open(workdir / "results/table1.csv", newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    prisma = json.loads((workdir / "results/prisma.json").read_text(encoding="utf-8"))
    assert prisma["included_in_review"]["studies"] == len(table)
    total = sum(int(row["n_patients"]) for row in table if row["n_patients"].isdigit())
    assert f"{len(table)} studies, {total} patients" in (workdir / "results/table1.md").read_text(encoding="utf-8")
    version = living.table_hash((workdir / "results/table1.csv").read_bytes())
    if committed and living.read_log(workdir / "data/history")[-1]["state"] == committed[-1]["state"]:
        assert version in registered, "table changed without data/: run `make run` and commit data/"
        assert f"Version {registered[version]} · " in (workdir / "results/table1.md").read_text(encoding="utf-8")


def test_another_snapshot_runs_with_the_reviewers_files_of_this_review(workflow_copy, repo, tmp_path):
    # Reviewer rows about records the review has seen (data/history) but this snapshot lacks are
    # skipped with a note in the log; the run goes on.
    shutil.copytree(repo / "data/history", workflow_copy / "data/history")
    empty = tmp_path / "none.xml"
    empty.write_text('<?xml version="1.0"?>\n<PubmedArticleSet>\n</PubmedArticleSet>\n')
    run_snakemake(workflow_copy, "--config", f"search={{'snapshot': '{empty}'}}", "other_sources=[]")
    assert (workflow_copy / "results/table1.csv").read_text().count("\n") == 1
    assert "not applied (18716733 is not among this run's records)" in \
        (workflow_copy / "results/logs/extract.log").read_text()


def test_a_study_the_rules_include_waits_for_a_full_text_decision_outside_table_1(workflow_copy):
    """The human gate: a made-up congress abstract the rules include is proposed, with its values, in
    changes.md and `lsr status`; Table 1 and its version stay as they are until a reviewer includes it
    at full text."""
    import subprocess
    import sys

    run_snakemake(workflow_copy)
    table = (workflow_copy / "results/table1.csv").read_bytes()
    versions = (workflow_copy / "data/table_versions.tsv").read_bytes()
    ris = workflow_copy / "config/other_sources/reviewer-added.ris"
    ris.write_text(ris.read_text() + "\nTY  - CONF\nID  - made-up-2025\nAU  - Doe, J\n"
                   "TI  - Oral tacrolimus in juvenile dermatomyositis: a case report\nT2  - Congress abstracts\n"
                   "PY  - 2025\nAB  - We report a 7-year-old girl with juvenile dermatomyositis treated with oral "
                   "tacrolimus. Her rash resolved and prednisolone was tapered.\nER  - \n")
    run_snakemake(workflow_copy)
    screening = {row["record_id"]: row for row in csv.DictReader(
        (workflow_copy / "results/screening.tsv").open(encoding="utf-8"), delimiter="\t")}
    made_up = screening["ris:made-up-2025"]
    assert (made_up["decision"], made_up["decided_by"], made_up["full_text"]) == ("include", "rules", "awaiting")
    assert (workflow_copy / "results/table1.csv").read_bytes() == table
    assert (workflow_copy / "data/table_versions.tsv").read_bytes() == versions
    changes = (workflow_copy / "results/changes.md").read_text(encoding="utf-8")
    assert "## Proposed for Table 1, awaiting a reviewer (1)" in changes and "ris:made-up-2025" in changes
    assert "n_patients: 1" in changes
    status = subprocess.run([sys.executable, "-m", "lsr", "status"], cwd=workflow_copy, capture_output=True,
                            text=True, check=True).stdout
    assert "Full text:        1 study proposed for Table 1" in status and "ris:made-up-2025" in status
