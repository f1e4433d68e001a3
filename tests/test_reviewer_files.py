"""Reviewer-written files through the commands a user runs: every data line is one row or one
error, any encoding Excel or an editor writes, all problems of a file reported at once, and the
stage's own message on the terminal of a failing Snakemake run."""
import subprocess
import sys

import pytest

from conftest import run_snakemake
from lsr.tsv import InputError, read_tsv

SCHEMA = "workflow/schemas/eligibility.schema.yaml"
VALUES = "config/extraction/values/seed-review.tsv"
DECISIONS = "config/screening/decisions/seed-review.tsv"
DECISION_HEADER = "pmid\treviewer\tstage\tdecision\texclusion_reason\tnote\tdate\n"


def lsr(*args, cwd):
    return subprocess.run([sys.executable, "-m", "lsr", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def data_lines(path):
    """The lines after the header that are neither comments nor blank."""
    return [line for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")][1:]


def extract(run, values, out):
    return lsr("--log", out.with_suffix(".log"), "extract", "--records", run / "results/unique_records.tsv",
               "--screening", run / "results/screening.tsv", "--reviewer-values", values, "--out", out, cwd=run)


def screen(run, decisions, out):
    return lsr("--log", out / "screen.log", "screen", "--records", run / "results/unique_records.tsv",
               "--eligibility", run / "config/eligibility.yaml", "--schema", run / SCHEMA, "--decisions", decisions,
               "--out", out / "screening.tsv", "--to-review", out / "to_review.tsv",
               "--summary", out / "summary.md", cwd=run)


def with_quote_before_first_note(path, target):
    """The file with a `"` opening the note of its first data line."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = next(i for i, line in enumerate(lines) if line.strip() and not line.startswith("#"))
    note = lines[header].rstrip("\n").split("\t").index("note")
    cells = lines[header + 1].split("\t")
    cells[note] = '"' + cells[note]
    lines[header + 1] = "\t".join(cells)
    target.write_text("".join(lines), encoding="utf-8")
    return target


def test_a_quote_in_a_reviewer_value_note_is_a_character_and_no_row_is_lost(bundled_run, tmp_path):
    shipped = bundled_run / VALUES
    quoted = with_quote_before_first_note(shipped, tmp_path / "seed-review.tsv")
    assert extract(bundled_run, quoted, tmp_path / "quoted.tsv").returncode == 0
    log = (tmp_path / "quoted.log").read_text()
    assert f"{quoted}: {len(data_lines(shipped))} row(s) read" in log
    published = read_tsv(bundled_run / "results/extraction.tsv")
    again = read_tsv(tmp_path / "quoted.tsv")
    assert [(r["record_id"], r["field"], r["value"], r["reviewer"]) for r in again] == \
        [(r["record_id"], r["field"], r["value"], r["reviewer"]) for r in published]
    assert any(r["evidence"].startswith('"') for r in again)


def test_a_quote_in_a_decision_note_is_a_character_and_no_decision_is_lost(bundled_run, tmp_path):
    shipped = bundled_run / DECISIONS
    quoted = with_quote_before_first_note(shipped, tmp_path / "seed-review.tsv")
    result = screen(bundled_run, quoted, tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"{quoted}: {len(data_lines(shipped))} row(s) read" in (tmp_path / "screen.log").read_text()
    decided = lambda path: [(r["record_id"], r["decision"], r["decided_by"]) for r in read_tsv(path)]  # noqa: E731
    assert decided(tmp_path / "screening.tsv") == decided(bundled_run / "results/screening.tsv")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16-le", "utf-16-be"])
def test_reviewer_files_saved_with_a_bom_read_as_utf8(bundled_run, tmp_path, encoding):
    shipped = bundled_run / VALUES
    text = shipped.read_text(encoding="utf-8").replace("\n", "\r\n")  # as Excel saves it
    saved = tmp_path / "seed-review.tsv"
    saved.write_bytes(("\ufeff" + text).encode(encoding.replace("-sig", "")))  # with a byte order mark
    assert extract(bundled_run, saved, tmp_path / "out.tsv").returncode == 0
    assert (tmp_path / "out.tsv").read_bytes() == (bundled_run / "results/extraction.tsv").read_bytes()


def test_a_byte_that_is_not_utf8_is_an_error_naming_file_line_and_byte(bundled_run, tmp_path):
    shipped = bundled_run / VALUES
    lines = shipped.read_bytes().split(b"\n")
    at = next(number for number, line in enumerate(lines) if line.startswith(b"18716733\t"))
    lines[at] = lines[at].replace(b"full text", b"full text caf\xe9", 1)  # Latin-1 'é'
    saved = tmp_path / "seed-review.tsv"
    saved.write_bytes(b"\n".join(lines))
    result = extract(bundled_run, saved, tmp_path / "out.tsv")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{saved}, line {at + 1}: byte 0xE9" in result.stderr and "UTF-8" in result.stderr
    assert not (tmp_path / "out.tsv").exists()


def test_every_problem_of_a_reviewer_file_is_reported_at_once_with_suggestions(bundled_run, tmp_path):
    shipped = bundled_run / VALUES
    text = shipped.read_text(encoding="utf-8")
    text = text.replace("18716733\tstudy\t", "18716783\tstudy\t", 1).replace("18716733\tage_max\t", "18716733\tage_maxx\t", 1)
    text = text.replace("18716733\tage_min\t4\tseed-review\tfull text", "18716733\tage_min\t4\tseed-review\tfull txt", 1)
    bad = tmp_path / "seed-review.tsv"
    bad.write_text(text, encoding="utf-8")
    result = extract(bundled_run, bad, tmp_path / "out.tsv")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "3 problems" in result.stderr
    assert "'18716783' (did you mean '18716733'?)" in result.stderr
    assert "'age_maxx' is not allowed (did you mean 'age_max'?)" in result.stderr
    assert "'full txt' is not allowed (did you mean 'full text'?)" in result.stderr


def test_a_mistyped_exclusion_reason_gets_a_suggestion(bundled_run, tmp_path):
    decisions = tmp_path / "decisions"
    decisions.mkdir()
    (decisions / "seed-review.tsv").write_text((bundled_run / DECISIONS).read_text(encoding="utf-8"), encoding="utf-8")
    (decisions / "ann.tsv").write_text(DECISION_HEADER + "2566009\tann\ttitle_abstract\texclude\t"
                                       "other calcineurin inhibitor\t\t2026-11-23\n", encoding="utf-8")
    (decisions / "bob.tsv").write_text(DECISION_HEADER + "2566009\tbob\ttitle_abstract\texcluded\t\t\t2026-11-23\n",
                                       encoding="utf-8")
    result = screen(bundled_run, decisions, tmp_path)
    assert result.returncode == 2
    assert "(did you mean 'other calcineurin inhibitor only'?)" in result.stderr
    assert "'excluded' is not allowed (did you mean 'exclude'?)" in result.stderr


def test_a_failing_stage_shows_its_own_message_on_the_terminal(workflow_copy):
    values = workflow_copy / VALUES
    values.write_text(values.read_text(encoding="utf-8").replace("\tn_patients\t3\t", "\tn_patients\tthree\t", 1),
                      encoding="utf-8")
    result = run_snakemake(workflow_copy, check=False)
    assert result.returncode != 0
    message = "field 'value': 'three' is not allowed for n_patients"
    assert f"lsr extract: error: {values.relative_to(workflow_copy)}, line" in result.stderr
    assert message in result.stderr
    assert message in (workflow_copy / "results/logs/extract.log").read_text()


def test_project_tables_round_trip_a_record_larger_than_csv_allows(workflow_copy):
    snapshot = workflow_copy / "resources/snapshot/tacrolimus-jdm-2024.xml"
    text = snapshot.read_text(encoding="utf-8")
    huge = "Tacrolimus " + "x" * 5_000_000
    at = text.index("<AbstractText", text.index("<PMID Version=\"1\">18716733</PMID>"))
    at = text.index(">", at) + 1
    snapshot.write_text(text[:at] + huge + " " + text[at:], encoding="utf-8")
    run_snakemake(workflow_copy, "results/unique_records.tsv")
    unique = {r["pmid"]: r for r in read_tsv(workflow_copy / "results/unique_records.tsv")}
    assert huge in unique["18716733"]["abstract"]


def test_iter_tsv_streams_the_rows_read_tsv_gives(tmp_path):
    from lsr.tsv import iter_tsv

    path = tmp_path / "table.tsv"
    path.write_bytes("\ufeffa\tb\r\n1\t x \n\n2\r3\t\n".encode("utf-8"))
    assert list(iter_tsv(path, ["a", "b"])) == read_tsv(path, ["a", "b"]) == [
        {"a": "1", "b": "x", "_line": 2}, {"a": "2", "b": "", "_line": 4}, {"a": "3", "b": "", "_line": 5}]
    path.write_text("a\tb\n1\t2\t3\n", encoding="utf-8")
    with pytest.raises(InputError, match="3 cells but the header has 2 columns"):
        list(iter_tsv(path, ["a"]))
