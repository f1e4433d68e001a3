"""Every user error of the command line and the workflow: one message naming what and where,
exit status 2 (Snakemake: the stage's message on the terminal), never a traceback."""
import subprocess
import sys

import pytest

from conftest import run_snakemake


def lsr(*args, cwd):
    return subprocess.run([sys.executable, "-m", "lsr", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def assert_user_error(result, *expected):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in result.stderr


def test_retrieve_snapshot_without_snapshot_files(tmp_path):
    result = lsr("retrieve", "--source", "snapshot", "--query", "q", "--manifest", "m.tsv", "--search-log", "s.tsv",
                 cwd=tmp_path)
    assert_user_error(result, "lsr retrieve: error: --snapshot is missing")


@pytest.mark.parametrize("make", ["file", "folder"])
def test_retrieve_snapshot_that_names_no_xml(tmp_path, make):
    target = tmp_path / ("notes.md" if make == "file" else "empty")
    target.write_text("# not XML\n") if make == "file" else target.mkdir()
    result = lsr("retrieve", "--source", "snapshot", "--snapshot", target, "--query", "q", "--manifest", "m.tsv",
                 "--search-log", "s.tsv", cwd=tmp_path)
    assert_user_error(result, f"{target}, field 'search.snapshot': names no PubMed XML file")


def test_prisma_with_a_file_that_is_not_the_eligibility_yaml(bundled_run, repo):
    out = bundled_run / "results"
    result = lsr("prisma", "--records", out / "records.tsv", "--other-records", out / "other_records.tsv",
                 "--duplicates", out / "duplicates.tsv", "--unique-records", out / "unique_records.tsv",
                 "--screening", out / "screening.tsv", "--eligibility", repo / "README.md",
                 "--json", "p.json", "--svg", "p.svg", cwd=bundled_run.parent)
    assert_user_error(result, f"lsr prisma: error: {repo / 'README.md'}, line", "not valid YAML")


def test_records_with_an_output_that_cannot_be_written(bundled_run):
    result = lsr("records", "--manifest", "results/retrieval/manifest.tsv", "--out", "/proc/x.tsv", cwd=bundled_run)
    assert_user_error(result, "lsr records: error: /proc/x.tsv: cannot be written")


def test_reading_a_missing_input_names_it(tmp_path):
    result = lsr("report-page", "--tsv", "missing.tsv", "--title", "t", "--out", "o.html", cwd=tmp_path)
    assert_user_error(result, "lsr report-page: error: missing.tsv: file not found")


@pytest.mark.parametrize("snapshot", ["README.md", "workflow/report"])
def test_workflow_snapshot_that_names_no_xml_stops_with_one_message(workflow_copy, snapshot):
    (workflow_copy / "README.md").write_text("# a review\n")
    result = run_snakemake(workflow_copy, "--config", f"search={{'snapshot': '{snapshot}'}}", check=False)
    assert result.returncode != 0
    assert f"{snapshot}, field 'search.snapshot': names no PubMed XML file" in result.stdout + result.stderr
    assert "TypeError" not in result.stdout + result.stderr and "File \"" not in result.stdout + result.stderr
