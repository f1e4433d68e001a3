"""A reviewer's work on the review's files: blind queues, conflicts, the full-text gate, values,
the spreadsheet route, and appends that never lose a row (lsr.reviewing, lsr.tsv.append_rows)."""
from __future__ import annotations

import multiprocessing
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from lsr import reviewers, reviewing
from lsr.sources import read_ris
from lsr.tsv import InputError, append_rows, read_tsv

TA, FT = reviewers.TITLE_ABSTRACT, reviewers.FULL_TEXT
OPEN = ["pmid:31539061", "pmid:35280444", "pmid:28864644", "pmid:19479872",
        "doi:10.3760/cma.j.issn.0578-1310.2019.12.007"]
"""The records the rules leave open in the bundled review."""


def results_state(root: Path) -> dict:
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted((root / "results").rglob("*")) if p.is_file()}


@pytest.fixture
def review(built_review):
    return reviewing.Review.load(built_review)


def test_blind_dual_screening_keeps_a_record_in_each_queue_until_two_reviewers_decided(review):
    first = review.queue("ann", TA)
    assert set(OPEN) <= set(first)          # and the seed records only seed-review has screened
    assert first == review.queue("bob", TA)
    record = OPEN[0]
    review.decide("ann", record, TA, "include", note="looks eligible", today="2026-12-01")
    assert record not in review.queue("ann", TA) and record in review.queue("bob", TA)
    # bob has not screened it: nothing tells him it was included (not at full text, not in the value check)
    assert record in review.queue("ann", FT) and record not in review.queue("bob", FT)
    assert record not in {study["record_id"] for study in review.studies("bob")}
    # the records the rules lean to include are in the value check (the rules' lean, no reviewer's vote)
    leaning = {row["record_id"] for row in review.extraction if row.get("status") == "proposed"}
    assert leaning - {record} and leaning - {record} <= {study["record_id"] for study in review.studies("bob")
                                                   if not study["full_text"]}
    review.decide("bob", record, TA, "include", today="2026-12-01")
    assert all(record not in review.queue(name, TA) for name in ("ann", "bob", "cat"))
    assert review.progress("ann", TA) == (1, len(first) - 1)
    assert record in review.queue("cat", FT)          # included by both: on to the full-text queue
    rows = read_tsv(review.decisions_dir / "ann.tsv", required=reviewers.DECISION_COLUMNS, allow_comments=True)
    assert [(r["pmid"], r["reviewer"], r["stage"], r["decision"], r["note"], r["date"]) for r in rows] == [
        ("31539061", "ann", TA, "include", "looks eligible", "2026-12-01")]


def test_a_conflict_is_listed_side_by_side_and_a_final_decision_settles_it(review):
    record = OPEN[1]
    review.decide("ann", record, TA, "include")
    review.decide("bob", record, TA, "exclude", "no tacrolimus")
    [conflict] = review.conflicts()
    assert (conflict["record_id"], conflict["stage"]) == (record, TA)
    assert [(v["reviewer"], v["decision"], v["exclusion_reason"]) for v in conflict["votes"]] == [
        ("ann", "include", ""), ("bob", "exclude", "no tacrolimus")]
    assert record not in review.queue("cat", TA)
    review.decide("cat", record, TA, "include", final=True)
    assert review.conflicts() == []
    row = next(r for r in review.rows() if r["record_id"] == record)
    assert (row["decision"], row["decided_by"], row["full_text"]) == ("include", "cat (final)", "awaiting")


def test_full_text_decisions_and_their_conflicts(review):
    record = "pmid:17169297"
    assert record in review.queue("ann", FT)
    review.decide("ann", record, FT, "exclude", "no patient-level outcome")
    assert record not in review.queue("ann", FT)
    assert next(r for r in review.rows() if r["record_id"] == record)["full_text"] == "conflict"  # vs seed-review
    with pytest.raises(InputError, match="field 'exclusion_reason'.*no patient-level outcome"):
        review.decide("bob", record, FT, "exclude", "no tacrolimus at all")
    with pytest.raises(InputError, match="field 'exclusion_reason': empty is not allowed"):
        review.decide("bob", record, TA, "exclude")
    assert not (review.decisions_dir / "bob.tsv").exists()


def test_undo_withdraws_the_last_decision_and_keeps_the_history(review):
    review.decide("ann", OPEN[0], TA, "exclude", "no tacrolimus")
    review.decide("ann", OPEN[2], TA, "needs_review")
    assert review.undo("ann", TA) == OPEN[2]
    assert OPEN[2] in review.queue("ann", TA) and OPEN[0] not in review.queue("ann", TA)
    rows = read_tsv(review.decisions_dir / "ann.tsv", required=reviewers.DECISION_COLUMNS, allow_comments=True)
    assert [r["decision"] for r in rows] == ["exclude", "needs_review", "withdrawn"]
    assert review.undo("ann", TA) == OPEN[0] and review.undo("ann", TA) is None


def test_values_are_checked_against_the_vocabulary_before_they_are_saved(review):
    record = "pmid:17169297"
    cells = review.field_cells(record)
    assert (cells["design"]["value"], cells["design"]["state"]) == ("case series", "unverified")
    assert cells["age_min"]["state"] == "NR" and cells["study"]["state"] == "verified"
    with pytest.raises(InputError) as error:
        review.set_value("ann", record, "skin_outcome", "better", "full text")
    assert error.value.field == "value" and "resolved, improved, no change, worsened, NR" in error.value.problem
    assert not (review.values_dir / "ann.tsv").exists()
    with pytest.raises(InputError, match="'45' is implausible for age_min: ages are between 0 and 30"):
        review.set_value("ann", record, "age_min", "45", "full text")
    review.set_value("ann", record, "age_max", "6", "full text")
    with pytest.raises(InputError, match=r"implausible values for pmid:17169297 from ann: age_min 14, age_max 6 \(line 3\); expected: the youngest"):
        review.set_value("ann", record, "age_min", "14", "full text")
    review.set_value("ann", record, "age_min", "4", "full text")
    review.set_value("ann", record, "design", "case series", "abstract", "accepted")
    review.set_value("ann", record, "prior_treatments", "MTX; CS", "full text")
    cells = review.field_cells(record)
    assert (cells["design"]["state"], cells["prior_treatments"]["value"]) == ("verified", "CS;MTX")


def test_add_study_appends_a_ris_record_with_a_fresh_id(review):
    before = review.added_ris.read_text()
    first = review.add_study("ann", "Tacrolimus in JDM: a congress abstract", ["Doe, J"], "2025",
                             "Congress", "A 7-year-old girl.", note="hand search")
    second = review.add_study("ann", "Another one", ["Doe, Jane"], "2025")
    assert (first, second) == ("ris:doe-2025", "ris:doe-2025-2")
    assert review.added_ris.read_text().startswith(before)
    records = {r["record_id"]: r for r in read_ris(review.added_ris)}
    assert records["ris:doe-2025"]["title"] == "Tacrolimus in JDM: a congress abstract"
    with pytest.raises(InputError, match="field 'year'"):
        review.add_study("ann", "No year", [], "soon")


def test_added_studies_go_to_the_source_the_config_marks(review):
    assert review.added_ris == review.root / "config/other_sources/reviewer-added.ris"
    for source in review.config["other_sources"]:
        source["added_by_reviewers"] = source["path"].startswith("resources/")
    assert review.added_ris == review.root / "resources/other_sources/other-sources.ris"
    for source in review.config["other_sources"]:
        source["added_by_reviewers"] = False
    with pytest.raises(InputError, match=r"config\.yaml, field 'other_sources': no source takes the studies"):
        review.add_study("ann", "Nowhere to go", ["Doe, J"], "2025")


def test_the_workspace_operations_write_nothing_under_results(review):
    before = results_state(review.root)
    review.decide("ann", OPEN[0], TA, "include")
    review.set_value("ann", "pmid:17169297", "design", "case series", "abstract")
    review.add_study("ann", "A study", ["Roe, R"], "2024")
    assert results_state(review.root) == before


def _append_many(path: str, worker: int) -> None:
    for n in range(50):
        append_rows(path, [{"pmid": f"{worker}{n:03d}", "note": "x" * 300}], ["pmid", "note"], "# preamble\n")


def test_concurrent_appends_lose_no_row(tmp_path):
    path = tmp_path / "ann.tsv"
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.starmap(_append_many, [(str(path), worker) for worker in range(1, 5)])
    lines = path.read_text().splitlines()
    assert lines[:2] == ["# preamble", "pmid\tnote"]
    assert sorted(lines[2:]) == sorted(f"{w}{n:03d}\t{'x' * 300}" for w in range(1, 5) for n in range(50))


def test_append_follows_the_files_own_header_and_refuses_a_missing_column(tmp_path):
    path = tmp_path / "ann.tsv"
    path.write_text("pmid\treviewer\tstage\tdecision\texclusion_reason\tnote\tdate")   # no final newline
    append_rows(path, [{"pmid": "1", "reviewer": "ann", "stage": TA, "decision": "include", "date": "2026-01-01"}],
                reviewers.DECISION_COLUMNS)
    assert path.read_text().splitlines()[1] == "1\tann\ttitle_abstract\tinclude\t\t\t2026-01-01"
    with pytest.raises(InputError, match="no column 'final'"):
        append_rows(path, [{"pmid": "1", "final": "yes"}], reviewers.DECISION_COLUMNS)


def test_queue_workbook_has_drop_downs_and_no_votes_and_import_appends_valid_rows(review, tmp_path):
    review.decide("bob", OPEN[0], TA, "exclude", "no tacrolimus", note="bob's secret vote")
    path = tmp_path / "ann.xlsx"
    path.write_bytes(reviewing.queue_workbook(review, "ann", TA))
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[TA]
    header = [c.value for c in sheet[1]]
    assert header == reviewing.QUEUE_COLUMNS
    assert "bob" not in " ".join(str(c.value) for row in sheet.iter_rows() for c in row)
    formulas = sorted(v.formula1 for v in sheet.data_validations.dataValidation)
    assert formulas == ['"include,exclude,needs_review"', f"lists!$A$1:$A${len(review.reasons(TA))}"]
    column = {name: i + 1 for i, name in enumerate(header)}
    sheet.cell(row=2, column=column["decision"], value="exclude")
    sheet.cell(row=2, column=column["exclusion_reason"], value="no tacrolimus")
    sheet.cell(row=3, column=column["decision"], value="include")
    sheet.cell(row=4, column=column["decision"], value="exclude")     # no reason: the whole import stops
    workbook.save(path)
    with pytest.raises(InputError) as error:
        reviewing.import_workbook(review, "ann", path)
    assert (error.value.path, error.value.line, error.value.field) == (str(path), 4, "exclusion_reason")
    assert not (review.decisions_dir / "ann.tsv").exists()
    sheet.cell(row=4, column=column["decision"]).value = None
    workbook.save(path)
    assert reviewing.import_workbook(review, "ann", path, today="2026-12-01") == 2
    rows = read_tsv(review.decisions_dir / "ann.tsv", required=reviewers.DECISION_COLUMNS, allow_comments=True)
    assert [(r["stage"], r["decision"], r["exclusion_reason"]) for r in rows] == [
        (TA, "exclude", "no tacrolimus"), (TA, "include", "")]


def test_lsr_queue_writes_outside_results_and_never_overwrites(built_review):
    command = [sys.executable, "-m", "lsr", "queue", "--reviewer", "ann"]
    done = subprocess.run(command, cwd=built_review, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    workbook = built_review / "reviewing/ann-title_abstract.xlsx"
    assert workbook.exists() and "lsr import --reviewer ann" in done.stdout
    again = subprocess.run(command, cwd=built_review, capture_output=True, text=True)
    assert again.returncode == 2 and "exists and may hold entries not imported yet" in again.stderr
    imported = subprocess.run([sys.executable, "-m", "lsr", "import", "--reviewer", "ann", str(workbook)],
                              cwd=built_review, capture_output=True, text=True)
    assert imported.returncode == 0 and "0 decision(s) appended" in imported.stdout
    bad = subprocess.run([sys.executable, "-m", "lsr", "queue", "--reviewer", "../x"], cwd=built_review,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "cannot name a reviewer's file" in bad.stderr


def test_lsr_queue_workbook_is_byte_identical_on_a_later_run(built_review):
    """Same review state, same bytes: no save time in the document properties, no zip entry
    dates (zip stores them in 2-second steps, hence the pause)."""
    def queue(name: str) -> bytes:
        done = subprocess.run([sys.executable, "-m", "lsr", "queue", "--reviewer", "ann", "--out", name],
                              cwd=built_review, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return (built_review / name).read_bytes()

    first = queue("first.xlsx")
    time.sleep(2.1)
    assert queue("second.xlsx") == first
    sheet = openpyxl.load_workbook(built_review / "first.xlsx").worksheets[0]
    assert sheet.max_row > 1 and [c.value for c in sheet[1]] == list(reviewing.QUEUE_COLUMNS)


def test_the_config_marks_at_most_one_source_for_added_studies(repo):
    import jsonschema
    import yaml

    schema = yaml.safe_load((repo / "workflow/schemas/config.schema.yaml").read_text(encoding="utf-8"))
    config = yaml.safe_load((repo / "config/config.yaml").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(config)
    for source in config["other_sources"]:
        source["added_by_reviewers"] = True
    with pytest.raises(jsonschema.ValidationError, match="other_sources|contain"):
        jsonschema.Draft202012Validator(schema).validate(config)
