"""Durable state written in one step (the review history) and what two inputs disagree on
(a PMID version in two files, a title longer than an Excel cell), through the commands a user runs."""
import os
import subprocess
import sys

import openpyxl
import pytest

from lsr import state as review_state
from lsr.tsv import read_tsv

SCHEMA = "workflow/schemas/eligibility.schema.yaml"


def lsr(*args, cwd):
    return subprocess.run([sys.executable, "-m", "lsr", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def changes(run, history, date="2026-12-01"):
    return lsr("changes", "--unique-records", run / "results/unique_records.tsv", "--screening",
               run / "results/screening.tsv", "--table1", run / "results/table1_marked.csv", "--history", history,
               "--table-versions", history / "none.tsv", "--date", date, "--out", history.parent / "changes.md",
               cwd=run)


def test_a_state_folder_left_half_written_is_completed_with_a_message(bundled_run, tmp_path):
    history = tmp_path / "history"
    assert changes(bundled_run, history).returncode == 0
    (folder,) = [p for p in history.iterdir() if p.is_dir()]
    # What a crash between the two writes of the old register_state left: records.tsv only, no log line.
    (folder / "table1_marked.csv").unlink()
    (history / "log.tsv").write_text((history / "log.tsv").read_text().splitlines(keepends=True)[0])
    result = changes(bundled_run, history)
    assert result.returncode == 0, result.stderr
    assert "half-written" in result.stderr and str(folder) in result.stderr
    assert (folder / "table1_marked.csv").read_bytes() == (bundled_run / "results/table1_marked.csv").read_bytes()
    assert len(review_state.read_log(history)) == 1
    assert changes(bundled_run, history).returncode == 0  # and every later run goes on


def test_a_crash_while_recording_a_state_leaves_no_trace(bundled_run, tmp_path, monkeypatch):
    history = tmp_path / "history"
    state = review_state.build_state(read_tsv(bundled_run / "results/unique_records.tsv"),
                               read_tsv(bundled_run / "results/screening.tsv"),
                               review_state.read_text_exact(bundled_run / "results/table1_marked.csv"))

    def crash(*args):
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(os, "rename", crash)
        with pytest.raises(OSError):
            review_state.register_state(history, state, "2026-12-01")
    assert not list(history.glob("*-*")) and not (history / "log.tsv").exists()
    assert changes(bundled_run, history).returncode == 0
    assert {p.name for p in history.iterdir()} == {"log.tsv", f"2026-12-01-{state.id}"}


def test_one_pmid_version_with_two_contents_names_both_files(bundled_run, tmp_path):
    snapshot = bundled_run / "resources/snapshot/tacrolimus-jdm-2024.xml"
    other = tmp_path / "zz-other.xml"
    other.write_text(snapshot.read_text(encoding="utf-8").replace(
        "Treatment of refractory juvenile dermatomyositis with tacrolimus.",
        "Treatment of refractory juvenile dermatomyositis with tacrolimus (corrected)."), encoding="utf-8")
    manifest = tmp_path / "manifest.tsv"
    from lsr.pubmed import write_manifest
    write_manifest([snapshot, other], manifest)
    result = lsr("records", "--manifest", manifest, "--out", tmp_path / "records.tsv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "PMID 18716733" in result.stderr and snapshot.name in result.stderr and other.name in result.stderr
    assert "18716733" in result.stderr and "2566009" not in result.stderr  # same content elsewhere: no note
    rows = {row["pmid"]: row for row in read_tsv(tmp_path / "records.tsv")}
    assert rows["18716733"]["title"].endswith("(corrected).")


def test_a_title_longer_than_an_excel_cell_says_it_was_cut(built_review):
    records_path = built_review / "results/unique_records.tsv"
    records = records_path.read_text(encoding="utf-8")
    queued = read_tsv(built_review / "results/to_review.tsv")[0]["title"]
    long_title = (queued + " " + "with a very long subtitle " * 2000).strip()
    records_path.write_text(records.replace(queued, long_title, 1), encoding="utf-8")
    result = lsr("queue", "--reviewer", "ann", cwd=built_review)
    assert result.returncode == 0, result.stderr
    sheet = openpyxl.load_workbook(built_review / "reviewing/ann-title_abstract.xlsx").active
    title = next(col for col in sheet.iter_cols() if col[0].value == "title")
    cut = next(cell.value for cell in title[1:] if cell.value.startswith(queued))
    assert len(cut) <= 32767 and cut.endswith(f"[cut at Excel's cell limit: {len(long_title)} characters; "
                                              "the full text is in results/unique_records.tsv]")
