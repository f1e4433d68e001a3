"""`lsr status`: what awaits the review team, from the last run's outputs."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lsr.status import status_lines
from lsr.tsv import format_tsv

SCREENING_COLUMNS = ["record_id", "pmid", "title", "decision", "decided_by", "conflict", "reasons", "evidence",
                     "exclusion_reason", "priority", "full_text"]


def write_review(root: Path, decisions: list[tuple[str, str, str]], unverified: int = 0) -> None:
    """A review folder after one run: (record_id, decision, conflict) rows and the files around them."""
    results = root / "results"
    results.mkdir(parents=True)
    rows = [{"record_id": r, "pmid": r.split(":")[1], "decision": d, "conflict": c,
             "full_text": ("awaiting" if r == "pmid:6" else "include") if d == "include" else ""}
            for r, d, c in decisions]
    (results / "screening.tsv").write_text(format_tsv(rows, SCREENING_COLUMNS))
    (results / "unique_records.tsv").write_text(format_tsv(
        [{"record_id": r, "retracted": "yes" if r == "pmid:3" else "no", "erratum": ""} for r, _, _ in decisions],
        ["record_id", "retracted", "erratum"]))
    (results / "search_log.tsv").write_text("date\tsource\tquery\n2024-05-01T06:00:00Z\tpubmed\tq\n"
                                            "2024-05-08T06:00:00Z\tpubmed\tq\n")
    (results / "table1_marked.csv").write_bytes(b"study,pmid\nHassan 2008,1\n")  # sha256 starts d6088946
    (results / "extraction.tsv").write_text(format_tsv(
        [{"record_id": "pmid:1", "field": f"f{i}", "reviewer": "" if i < unverified else "Ana"} for i in range(4)],
        ["record_id", "pmid", "field", "value", "evidence", "source", "reviewer"]))
    (root / "data/history").mkdir(parents=True)
    (root / "data/table_versions.tsv").write_text(
        "version_date\tcontent_hash\tstudies\tpatients\n2024-04-24\t0000aaaa\t1\t2\n2024-05-01\td6088946\t1\t3\n")
    (root / "data/history/log.tsv").write_text(
        "date\tstate\ttable_version\trecords\tincluded\tstudies\tpatients\n"
        "2024-05-08\tabcdef123456\td6088946\t3\t1\t1\t3\n")


def test_status_counts_what_awaits_review_and_names_the_next_step(tmp_path):
    write_review(tmp_path, [("pmid:1", "include", "no"), ("pmid:2", "needs_review", "yes"),
                            ("pmid:4", "needs_review", "no"), ("pmid:5", "exclude", "no")], unverified=3)
    text = "\n".join(status_lines(tmp_path))
    assert "Last search:      2024-05-08T06:00:00Z (pubmed; 2 searches logged)" in text
    assert "Table 1 version:  2024-05-01 · d6088946" in text
    assert "Review state:     abcdef123456 since 2024-05-08" in text
    assert "Records:          4 screened, 1 included" in text
    assert "Awaiting review:  2 records (decision needs_review)" in text
    assert "Conflicts:        1 record where reviewers disagree" in text
    assert "Unverified:       3 Table 1 values in 1 study" in text
    assert "WARNING" not in text
    assert "Next step: screen in the workspace, `lsr review --reviewer <your name>`" in text
    assert "config/screening/decisions/<your name>.tsv" in text
    assert "Full text:        0 studies proposed" in text


def test_status_lists_unclear_values_and_proposed_records(tmp_path):
    write_review(tmp_path, [("pmid:1", "include", "no"), ("pmid:2", "needs_review", "no")], unverified=4)
    rows = [{"record_id": "pmid:1", "status": "included", "field": "age_min", "value": "unclear"},
            {"record_id": "pmid:1", "status": "included", "field": "design", "value": "case report"},
            {"record_id": "pmid:2", "status": "proposed", "field": "design", "value": "cohort"}]
    (tmp_path / "results/extraction.tsv").write_text(format_tsv(
        rows, ["record_id", "pmid", "status", "field", "value", "evidence", "source", "reviewer"]))
    text = "\n".join(status_lines(tmp_path))
    assert "Unclear:          1 value the machine could not settle, for a reviewer (`?` in Table 1): pmid:1 age_min" in text
    assert "Proposed:         1 record awaiting review with values extracted to check" in text


def test_status_flags_retracted_included_studies_and_moves_on_to_verification(tmp_path):
    write_review(tmp_path, [("pmid:1", "include", "no"), ("pmid:3", "include", "no")], unverified=2)
    text = "\n".join(status_lines(tmp_path))
    assert "WARNING:          1 included study retracted or corrected: pmid:3" in text
    assert "Awaiting review:  0 records" in text
    assert "Next step: check the unverified values" in text and "config/extraction/values/<your name>.tsv" in text


def test_status_lists_the_studies_proposed_for_table_1_with_their_values(tmp_path):
    write_review(tmp_path, [("pmid:1", "include", "no"), ("pmid:6", "include", "no")])
    extraction = tmp_path / "results/extraction.tsv"
    extraction.write_text(format_tsv([{"record_id": "pmid:6", "field": "study", "value": "Lee 2021"},
                                      {"record_id": "pmid:6", "field": "n_patients", "value": "4"}],
                                     ["record_id", "field", "value", "reviewer"]))
    text = "\n".join(status_lines(tmp_path))
    assert "Records:          2 screened, 2 included at title/abstract, 1 at full text (Table 1)" in text
    assert "Full text:        1 study proposed for Table 1" in text
    assert "- Lee 2021 (pmid:6): n_patients 4" in text
    assert "Next step: screen in the workspace" in text


def test_status_before_any_run_says_what_to_do_without_importing_pandas(tmp_path):
    code = ("import sys; from lsr.cli import main; code = main(['status', '--root', sys.argv[1]]); "
            "assert 'pandas' not in sys.modules; raise SystemExit(code)")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "pipeline has not run" in done.stdout and "make run" in done.stdout
    write_review(tmp_path, [("pmid:1", "include", "no")])
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Awaiting review:  0 records" in done.stdout and "Nothing awaits the team" in done.stdout


def test_status_reads_the_data_folder_and_reviewer_files_the_config_names(tmp_path):
    write_review(tmp_path, [("pmid:1", "include", "no"), ("pmid:2", "needs_review", "no")])
    (tmp_path / "data").rename(tmp_path / "state")
    (tmp_path / "config").mkdir()
    (tmp_path / "config/config.yaml").write_text(
        "data_dir: state\nscreening:\n  decisions: config/screening/votes/\n")
    done = subprocess.run([sys.executable, "-m", "lsr", "status", "--root", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Table 1 version:  2024-05-01 · d6088946" in done.stdout
    assert "Review state:     abcdef123456 since 2024-05-08" in done.stdout
    assert "written to config/screening/votes/<your name>.tsv" in done.stdout
