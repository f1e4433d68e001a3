"""Reviewer-written files: generic validators, decisions.tsv, agreement between reviewers."""
import pytest

from conftest import review_file
from lsr import reviewers
from lsr.tsv import InputError

REASONS = ["adult-onset only", "no tacrolimus", "other"]
RECORDS = [{"record_id": "pmid:111", "pmid": "111"}, {"record_id": "pmid:222", "pmid": "222"},
           {"record_id": "doi:10.1/abc", "pmid": ""}]
HEADER = "pmid\treviewer\tdecision\texclusion_reason\tnote\tdate\n"


def write(tmp_path, *rows, comment="# how to fill this file\n"):
    path = tmp_path / "decisions.tsv"
    path.write_text(comment + HEADER + "".join("\t".join(row) + "\n" for row in rows), encoding="utf-8")
    return path


def error_of(tmp_path, *rows) -> InputError:
    path = write(tmp_path, *rows)
    with pytest.raises(InputError) as caught:
        reviewers.read_decisions(path, RECORDS, REASONS)
    assert str(path) in str(caught.value)
    return caught.value


def test_check_date_accepts_calendar_dates_only():
    row = {"_line": 4, "date": "2024-02-29"}
    assert reviewers.check_date("f.tsv", row, "date") == "2024-02-29"
    for bad in ("2023-02-29", "2024/02/01", "1-2-2024", ""):
        with pytest.raises(InputError, match=r"f\.tsv, line 4, field 'date': .*YYYY-MM-DD"):
            reviewers.check_date("f.tsv", {"_line": 4, "date": bad}, "date")
    assert reviewers.check_date("f.tsv", {"_line": 4, "date": ""}, "date", required=False) == ""


def test_check_vocabulary_lists_what_is_allowed():
    with pytest.raises(InputError, match=r"line 2, field 'decision': 'maybe' is not allowed; expected one of: a, b"):
        reviewers.check_vocabulary("f.tsv", {"_line": 2, "decision": "maybe"}, "decision", ["a", "b"])
    assert reviewers.check_vocabulary("f.tsv", {"_line": 2, "x": ""}, "x", ["a"], required=False) == ""


def test_check_known_and_check_unique_name_the_lines():
    lookup = reviewers.record_lookup(RECORDS)
    assert reviewers.check_known("f.tsv", {"_line": 3, "pmid": "DOI:10.1/ABC"}, "pmid", lookup, "id") == "doi:10.1/abc"
    with pytest.raises(InputError, match=r"line 3, field 'pmid': unknown id: '999'"):
        reviewers.check_known("f.tsv", {"_line": 3, "pmid": "999"}, "pmid", lookup, "id")
    rows = [{"_line": 2, "pmid": "1", "reviewer": "ann"}, {"_line": 5, "pmid": "1", "reviewer": "ann"}]
    with pytest.raises(InputError, match=r"line 5, field 'pmid': duplicate .*line 2 has it already"):
        reviewers.check_unique("f.tsv", rows, ["pmid", "reviewer"])


def test_decisions_are_read_with_their_record_ids(tmp_path):
    path = write(tmp_path, ["111", "ann", "include", "", "looks eligible", "2024-05-01"],
                 ["doi:10.1/abc", "ann", "exclude", "other", "", "2024-05-02"],
                 ["111", "bob", "needs_review", "", "", "2024-05-03"])
    decisions = reviewers.read_decisions(path, RECORDS, REASONS)
    assert [(d["record_id"], d["reviewer"], d["decision"]) for d in decisions] == [
        ("pmid:111", "ann", "include"), ("doi:10.1/abc", "ann", "exclude"), ("pmid:111", "bob", "needs_review")]
    assert decisions[0]["_line"] == 3    # the comment line counts


def test_the_fixture_decisions_file_is_valid_for_the_bundled_records(repo):
    import yaml
    from lsr.records import collect_records
    from lsr.sources import read_ris
    from lsr.workflow import other_source_paths

    config = yaml.safe_load((repo / "config/config.yaml").read_text())
    records = [{"record_id": f"pmid:{r['pmid']}", "pmid": r["pmid"]}
               for r in collect_records([repo / "resources/snapshot/tacrolimus-jdm-2024.xml"])]
    records += [{"record_id": r["record_id"], "pmid": ""}
                for path in other_source_paths(config) for r in read_ris(review_file(repo, path))]
    reasons = yaml.safe_load((repo / "config/eligibility.yaml").read_text())["exclusion_reasons"]
    decisions = reviewers.read_decisions(repo / "tests/fixtures/review/config/screening/decisions.tsv", records, reasons)
    assert {d["record_id"] for d in decisions} == {
        "doi:10.4103/injr.injr_128_20", "ris:yamada-2004", "ris:modesto-2003"}


@pytest.mark.parametrize("row, field, expected", [
    (["999", "ann", "include", "", "", "2024-05-01"], "pmid", "unknown PMID or record id"),
    (["111", "ann", "maybe", "", "", "2024-05-01"], "decision", "'maybe' is not allowed"),
    (["111", "ann", "exclude", "too old", "", "2024-05-01"], "exclusion_reason", "'too old' is not allowed"),
    (["111", "ann", "exclude", "", "", "2024-05-01"], "exclusion_reason", "empty is not allowed"),
    (["111", "ann", "include", "other", "", "2024-05-01"], "exclusion_reason", "only with decision 'exclude'"),
    (["111", "ann", "include", "", "", "01/05/2024"], "date", "expected YYYY-MM-DD"),
    (["111", "", "include", "", "", "2024-05-01"], "reviewer", "the reviewer's name"),
])
def test_bad_decision_rows_are_named_by_line_and_field(tmp_path, row, field, expected):
    error = error_of(tmp_path, ["222", "ann", "include", "", "", "2024-05-01"], row)
    assert (error.line, error.field) == (4, field)
    assert expected in error.problem


def test_duplicate_pmid_and_reviewer_is_an_error_even_via_the_record_id(tmp_path):
    error = error_of(tmp_path, ["111", "ann", "include", "", "", "2024-05-01"],
                     ["pmid:111", "ann", "exclude", "other", "", "2024-05-02"])
    assert error.line == 4 and "duplicate" in error.problem and "line 3" in error.problem


def test_cohen_kappa_matches_a_worked_example():
    # 50 items: both yes 20, yes/no 5, no/yes 10, both no 15 -> po 0.7, pe 0.5, kappa 0.4
    pairs = [("y", "y")] * 20 + [("y", "n")] * 5 + [("n", "y")] * 10 + [("n", "n")] * 15
    assert reviewers.cohen_kappa(pairs) == pytest.approx(0.4)
    assert reviewers.cohen_kappa([("y", "y"), ("n", "n")]) == pytest.approx(1.0)
    assert reviewers.cohen_kappa([("y", "y"), ("y", "y")]) is None
    assert reviewers.cohen_kappa([]) is None


def test_pairwise_agreement_uses_records_both_reviewers_decided():
    decisions = [
        {"record_id": "a", "reviewer": "ann", "decision": "include"},
        {"record_id": "b", "reviewer": "ann", "decision": "exclude"},
        {"record_id": "c", "reviewer": "ann", "decision": "exclude"},
        {"record_id": "a", "reviewer": "bob", "decision": "include"},
        {"record_id": "b", "reviewer": "bob", "decision": "include"},
        {"record_id": "z", "reviewer": "cat", "decision": "include"},
    ]
    rows = {row["reviewers"]: row for row in reviewers.pairwise_agreement(decisions)}
    assert set(rows) == {("ann", "bob"), ("ann", "cat"), ("bob", "cat")}
    assert rows["ann", "bob"]["records"] == 2 and rows["ann", "bob"]["agreement"] == 0.5
    assert rows["ann", "bob"]["kappa"] == pytest.approx(0.0)
    assert rows["ann", "cat"]["records"] == 0 and rows["ann", "cat"]["kappa"] is None


def test_as_of_keeps_only_the_decisions_the_review_had_that_day(tmp_path, capsys):
    path = tmp_path / "decisions.tsv"
    path.write_text(HEADER + "111\tann\tinclude\t\t\t2024-05-01\n"
                    "222\tann\texclude\tother\t\t2024-07-01\n"
                    "333\tbob\tinclude\t\t\t2024-04-01\n")
    with pytest.raises(InputError, match="line 4, field 'pmid': unknown PMID"):
        reviewers.read_decisions(path, RECORDS, REASONS)
    decisions = reviewers.read_decisions(path, RECORDS, REASONS, as_of="2024-06-01")
    assert [(d["record_id"], d["reviewer"]) for d in decisions] == [("pmid:111", "ann")]
    warnings = capsys.readouterr().err
    assert "not applied (dated after 2024-06-01): line 3" in warnings
    assert "not applied (333 is not among this run's records): line 4" in warnings


def test_records_the_review_has_seen_but_this_run_lacks_are_skipped_not_errors(tmp_path, capsys):
    path = tmp_path / "decisions.tsv"
    path.write_text(HEADER + "111\tann\tinclude\t\t\t2024-05-01\n"
                    "333\tann\tinclude\t\t\t2024-05-01\n333\tbob\tinclude\t\t\t2024-05-02\n")
    decisions = reviewers.read_decisions(path, RECORDS, REASONS, seen={"pmid:333"})
    assert [d["record_id"] for d in decisions] == ["pmid:111"]
    assert "not applied (333 is not among this run's records): lines 3, 4" in capsys.readouterr().err
    with pytest.raises(InputError, match="line 3, field 'pmid': unknown PMID"):  # never seen: a typo
        reviewers.read_decisions(path, RECORDS, REASONS, seen={"pmid:444"})
