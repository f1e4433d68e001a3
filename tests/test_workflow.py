"""End-to-end: the Snakemake workflow on a temporary copy, as `make run` runs it."""
import csv
import json
import re
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


def test_report_opens_on_table1_then_prisma_changes_evidence_search_and_screening(bundled_run):
    run_snakemake(bundled_run, "--report", "results/report.html",
                  "--report-metadata", "workflow/report/metadata.yaml")  # as `make report`
    page = (bundled_run / "results/report.html").read_text(encoding="utf-8")
    categories = ["1. Table 1", "2. PRISMA flow", "3. Changes", "4. Evidence over time", "5. Search", "6. Screening"]
    for shown in ("table1.html", "prisma.svg", "changes.html", "evidence_over_time.svg", "search_log.html",
                  "screening_summary.html", *categories):
        assert shown in page, shown
    assert sorted(categories) == categories  # the report orders its menu by name
    # A landing page (description + metadata) instead of the workflow graph, linking Table 1 first.
    assert "Studies in Table 1" in page and "Records screened" in page
    assert page.index("showResultInfo('results/table1.html')") < page.index("showResultInfo('results/prisma.svg')")


@pytest.mark.e2e
def test_the_shipped_review_builds_with_its_own_files_and_state(repo, tmp_path):
    """The review as committed (its config/ and data/, whatever a living update or a reviewer
    added): it builds, reviewer files stay untouched, PRISMA adds up to the published table, and
    every state in the committed history has its table version registered. When the review has
    not changed since data/ was committed, the run rebuilds the published Table 1 byte for byte,
    caption (version date) included."""
    from lsr import state as review_state
    from lsr.tsv import read_tsv

    workdir = copy_workflow(tmp_path / "shipped", shipped=True)
    committed = review_state.read_log(workdir / "data/history")
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
    marked = (workdir / "results/table1_marked.csv").read_bytes()  # the version covers what readers see
    version = review_state.table_hash(marked)
    if committed and review_state.read_log(workdir / "data/history")[-1]["state"] == committed[-1]["state"]:
        assert version in registered, "table changed without data/: run `make run` and commit data/"
        assert f"Version {registered[version]} · " in (workdir / "results/table1.md").read_text(encoding="utf-8")
        assert (repo / f"data/table_versions/{version}.csv").read_bytes() == marked


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


def test_snakemake_lint_is_clean(workflow_copy):
    """Every rule: a conda environment, params for what its shell uses; rule files hold only rules."""
    result = run_snakemake(workflow_copy, "--lint", check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "Lints for" not in result.stdout + result.stderr


def test_prisma_names_other_sources_as_the_config_does(bundled_run, workflow_copy):
    flow = json.loads((bundled_run / "results/prisma.json").read_text(encoding="utf-8"))
    assert flow["other_methods"]["identified"]["by_source"] == {
        "Other databases and congress abstracts": 5, "Reference lists and hand search": 2}
    svg = (bundled_run / "results/prisma.svg").read_text(encoding="utf-8")
    assert "Reference lists and hand search" in svg and ".ris" not in svg
    # A bare path still works: its file name is shown.
    run_snakemake(workflow_copy, "results/prisma.json", "--config",
                  "other_sources=['resources/other_sources/other-sources.ris', "
                  "'config/other_sources/reviewer-added.ris']")
    flow = json.loads((workflow_copy / "results/prisma.json").read_text(encoding="utf-8"))
    assert flow["other_methods"]["identified"]["by_source"] == {"other-sources.ris": 5, "reviewer-added.ris": 2}


def test_a_reviewer_confirming_a_value_gives_a_new_version_that_says_so(workflow_copy):
    """Confirming a machine value removes its dagger: the table's values (table1.csv) stay, the
    version (what readers see) changes and the caption says what changed, in one line."""
    run_snakemake(workflow_copy)
    results = workflow_copy / "results"
    plain, before = (results / "table1.csv").read_bytes(), (results / "table1.md").read_text(encoding="utf-8")
    old_version = re.search(r"Version (\S+ · [0-9a-f]{8})", before).group(1)
    values = workflow_copy / "config/extraction/values/Tester.tsv"     # a new reviewer's own file
    values.write_text("pmid\tfield\tvalue\treviewer\tsource\tnote\n"
                      "17169297\tn_patients\t6\tTester\treviewer\tconfirmed: 6 cases in the abstract\n",
                      encoding="utf-8")
    run_snakemake(workflow_copy)
    after = (results / "table1.md").read_text(encoding="utf-8")
    assert (results / "table1.csv").read_bytes() == plain
    new_version = re.search(r"Version (\S+ · [0-9a-f]{8})", after).group(1)
    assert new_version != old_version
    assert f"*Changes since version {old_version}: 1 value verified by a reviewer (Martin Nalda 2006).*" in after
    assert "| Martin Nalda 2006 [3] | 17169297 | case series† | 6 |" in after
    changes = (results / "changes.md").read_text(encoding="utf-8")
    assert f"# Living review: changes since Table 1 version {old_version}\n" in changes
    assert "n_patients: 6† -> 6" in changes


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
