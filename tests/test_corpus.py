"""The development corpus (tests/data/corpus) and the evaluation bench (bench/evaluate.py)."""
from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from lsr.extraction import FIELDS, validate_value
from lsr.records import collect_records
from lsr.sources import read_ris
from lsr.tsv import read_tsv

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "data" / "corpus"
REASONS = {"adult-onset only", "topical tacrolimus only", "other calcineurin inhibitor only", "no tacrolimus",
           "review/editorial/guideline", "not dermatomyositis", "non-human", "other"}


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_evaluate", REPO / "bench" / "evaluate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module     # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def labels():
    return read_tsv(CORPUS / "labels.tsv", required=["record", "pmid", "label", "exclusion_reason", "split", "rationale"])


def test_every_labelled_record_is_read_by_the_pipelines_readers_and_only_those(labels):
    pubmed = collect_records([CORPUS / "records.xml"])
    other = read_ris(CORPUS / "records.ris")
    ids = [f"pmid:{row['pmid']}" for row in pubmed] + [row["record_id"] for row in other]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(row["record"] for row in labels)
    assert all(row["title"] for row in pubmed + other)
    assert len(labels) >= 80


def test_no_bundled_record_is_in_the_corpus(labels, shared):
    bundled = {row["pmid"] for row in read_tsv(shared / "gold" / "screening_labels.tsv")}
    assert {row["pmid"] for row in labels if row["pmid"]} & bundled == set()


def test_labels_use_the_gold_vocabulary_and_the_split_is_the_documented_rule(labels):
    for row in labels:
        assert row["label"] in ("include", "exclude", "maybe"), row
        assert (row["exclusion_reason"] in REASONS) if row["label"] == "exclude" else row["exclusion_reason"] == ""
        heldout = int(hashlib.sha256(row["record"].encode("utf-8")).hexdigest(), 16) % 3 == 0
        assert row["split"] == ("heldout" if heldout else "tuning"), row["record"]
        assert row["rationale"], row["record"]
    held_out = [row for row in labels if row["split"] == "heldout"]
    assert {row["label"] for row in held_out} == {"include", "exclude", "maybe"}


def test_every_record_has_provenance_and_every_include_has_valid_gold_values(labels):
    provenance = {row["record"]: row for row in read_tsv(CORPUS / "provenance.tsv", required=["record", "url", "truncated"])}
    assert set(provenance) == {row["record"] for row in labels}
    assert {row["truncated"] for row in provenance.values()} <= {"yes", "no"}
    extraction = read_tsv(CORPUS / "extraction.tsv", required=["record", "level", *FIELDS, "basis"])
    assert sorted(row["record"] for row in extraction) == sorted(row["record"] for row in labels if row["label"] == "include")
    for row in extraction:
        assert row["level"] == "abstract"
        for name in FIELDS[1:]:
            assert row[name] != "unclear" and validate_value(name, row[name]) is None, (row["record"], name, row[name])


def test_metric_functions_on_a_hand_made_example():
    bench = load_bench()
    rows = [
        ("a", "n_patients", "3", "3"),          # asserted, right
        ("b", "n_patients", "2", "5"),          # asserted, wrong
        ("c", "n_patients", "4", "NR"),         # gold value not asserted
        ("d", "n_patients", "NR", "1"),         # invented
        ("e", "n_patients", "6", "unclear"),    # unclear: not asserted
        ("a", "prior_treatments", "MTX;CS", "CS;MTX"),   # same codes, other order: right
    ]
    scores, misses = bench.score_extraction(rows)
    n = scores["n_patients"]
    assert (n.gold_values, n.asserted, n.right, n.covered, n.invented) == (4, 3, 1, 2, 1)
    assert scores["prior_treatments"].right == 1
    assert misses == ["b n_patients: gold '2', machine '5'", "d n_patients: gold 'NR', machine '1'"]
    summed = bench.total(scores)
    assert (summed.asserted, summed.right, summed.gold_values) == (4, 2, 5)

    score = bench.ScreeningScore()
    for record, label, reason, decision, rules_reason in [
            ("1", "include", "", "exclude", "no tacrolimus"), ("2", "include", "", "include", ""),
            ("3", "exclude", "no tacrolimus", "exclude", "no tacrolimus"),
            ("4", "exclude", "non-human", "exclude", "no tacrolimus"), ("5", "exclude", "other", "needs_review", ""),
            ("6", "maybe", "", "include", ""), ("7", "maybe", "", "needs_review", "")]:
        score.add(record, label, reason, decision, rules_reason)
    assert score.eligible_excluded == (1, 2)
    assert score.ineligible_excluded == (2, 3)
    assert score.wrongly_included == (1, 5)
    assert (score.reasons_agree, score.reasons_total) == (1, 2)
    assert [row[0] for row in score.wrong_way] == ["1", "6"]
    assert bench.ratio(2, 3) == "2/3 = 66.7%" and bench.ratio(0, 0) == "0/0"


def test_evaluate_runs_from_the_command_line_on_a_slice_and_is_deterministic(capsys):
    arguments = ["--sets", "tuning,heldout", "--limit", "6"]
    first = subprocess.run([sys.executable, str(REPO / "bench" / "evaluate.py"), *arguments],
                           capture_output=True, text=True, check=True).stdout
    assert load_bench().main(arguments) == 0  # again through its main, in this process (another hash seed)
    assert capsys.readouterr().out == first
    assert "== tuning: 6 labelled records screened ==" in first
    assert "== heldout: 6 labelled records screened ==" in first
    assert "eligible (include) auto-excluded:" in first and "== summary ==" in first


def test_evaluate_rejects_an_unknown_set(capsys):
    with pytest.raises(SystemExit) as stop:
        load_bench().main(["--sets", "holdout"])
    assert stop.value.code == 2 and "unknown set holdout" in capsys.readouterr().err
