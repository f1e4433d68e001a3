"""Reviewer-written files: generic validators, per-reviewer decision files, agreement between reviewers."""
import pytest

from conftest import review_file
from lsr import checks, reviewers
from lsr.tsv import InputError

REASONS = ["adult-onset only", "no tacrolimus", "other"]
FULL_TEXT_REASONS = ["no patient-level outcome", "other"]
RECORDS = [{"record_id": "pmid:111", "pmid": "111"}, {"record_id": "pmid:222", "pmid": "222"},
           {"record_id": "doi:10.1/abc", "pmid": ""}]
HEADER = "pmid\treviewer\tstage\tdecision\texclusion_reason\tnote\tdate\tfinal\n"
TA, FT = "title_abstract", "full_text"


def write(tmp_path, *rows, comment="# how to fill this file\n"):
    """Rows (pmid, reviewer, stage, decision, reason, note, date[, final]) into per-reviewer files."""
    folder = tmp_path / "decisions"
    folder.mkdir(exist_ok=True)
    by_reviewer = {}
    for row in rows:
        by_reviewer.setdefault(row[1] or "ann", []).append(row)
    for reviewer, mine in by_reviewer.items():
        (folder / f"{reviewer}.tsv").write_text(
            comment + HEADER + "".join("\t".join(row) + "\n" for row in mine), encoding="utf-8")
    return folder


def read(folder, **options):
    return reviewers.read_decisions(folder, RECORDS, REASONS, full_text_reasons=FULL_TEXT_REASONS, **options)


def error_of(tmp_path, *rows) -> InputError:
    folder = write(tmp_path, *rows)
    with pytest.raises(InputError) as caught:
        read(folder)
    assert str(folder) in str(caught.value)
    return caught.value


def test_check_date_accepts_calendar_dates_only():
    row = {"_line": 4, "date": "2024-02-29"}
    assert checks.check_date("f.tsv", row, "date") == "2024-02-29"
    for bad in ("2023-02-29", "2024/02/01", "1-2-2024", ""):
        with pytest.raises(InputError, match=r"f\.tsv, line 4, field 'date': .*YYYY-MM-DD"):
            checks.check_date("f.tsv", {"_line": 4, "date": bad}, "date")
    assert checks.check_date("f.tsv", {"_line": 4, "date": ""}, "date", required=False) == ""


def test_check_vocabulary_lists_what_is_allowed():
    with pytest.raises(InputError, match=r"line 2, field 'decision': 'maybe' is not allowed; expected one of: a, b"):
        checks.check_vocabulary("f.tsv", {"_line": 2, "decision": "maybe"}, "decision", ["a", "b"])
    assert checks.check_vocabulary("f.tsv", {"_line": 2, "x": ""}, "x", ["a"], required=False) == ""


def test_check_known_and_check_unique_name_the_lines():
    lookup = reviewers.record_lookup(RECORDS)
    assert checks.check_known("f.tsv", {"_line": 3, "pmid": "DOI:10.1/ABC"}, "pmid", lookup, "id") == "doi:10.1/abc"
    with pytest.raises(InputError, match=r"line 3, field 'pmid': unknown id: '999'"):
        checks.check_known("f.tsv", {"_line": 3, "pmid": "999"}, "pmid", lookup, "id")
    rows = [{"_line": 2, "pmid": "1", "reviewer": "ann"}, {"_line": 5, "pmid": "1", "reviewer": "ann"}]
    with pytest.raises(InputError, match=r"line 5, field 'pmid': duplicate .*line 2 has it already"):
        checks.check_unique("f.tsv", rows, ["pmid", "reviewer"])


def test_decisions_are_read_from_every_reviewers_file_with_their_record_ids(tmp_path):
    folder = write(tmp_path, ["111", "ann", TA, "include", "", "looks eligible", "2024-05-01"],
                   ["doi:10.1/abc", "ann", TA, "exclude", "other", "", "2024-05-02"],
                   ["111", "ann", FT, "exclude", "no patient-level outcome", "", "2024-06-02"],
                   ["111", "bob", TA, "needs_review", "", "", "2024-05-03", "yes"])
    decisions = read(folder)
    assert [(d["record_id"], d["reviewer"], d["stage"], d["decision"], d["final"]) for d in decisions] == [
        ("pmid:111", "ann", TA, "include", ""), ("doi:10.1/abc", "ann", TA, "exclude", ""),
        ("pmid:111", "ann", FT, "exclude", ""), ("pmid:111", "bob", TA, "needs_review", "yes")]
    assert decisions[0]["_line"] == 3    # the comment line counts


def test_the_fixture_decisions_are_valid_and_include_the_five_studies_at_full_text(repo):
    import yaml
    from lsr.records import collect_records
    from lsr.sources import read_ris
    from lsr.workflow import other_source_paths

    config = yaml.safe_load((repo / "config/config.yaml").read_text())
    records = [{"record_id": f"pmid:{r['pmid']}", "pmid": r["pmid"]}
               for r in collect_records([repo / "resources/snapshot/tacrolimus-jdm-2024.xml"])]
    records += [{"record_id": r["record_id"], "pmid": ""}
                for path in other_source_paths(config) for r in read_ris(review_file(repo, path))]
    eligibility = yaml.safe_load((repo / "config/eligibility.yaml").read_text())
    decisions = reviewers.read_decisions(review_file(repo, config["screening"]["decisions"]), records,
                                         eligibility["exclusion_reasons"],
                                         full_text_reasons=eligibility["full_text_exclusion_reasons"])
    assert {d["record_id"] for d in reviewers.stage_decisions(decisions, TA)} == {
        "doi:10.4103/injr.injr_128_20", "ris:yamada-2004", "ris:modesto-2003"}
    full_text = reviewers.stage_decisions(decisions, FT)
    assert {d["record_id"] for d in full_text if d["decision"] == "include"} == {
        "pmid:18716733", "pmid:17169297", "doi:10.4103/injr.injr_128_20", "ris:yamada-2004", "ris:modesto-2003"}
    assert all("seed" in d["note"].lower() or "Hassan 2008" in d["note"] for d in full_text)


@pytest.mark.parametrize("row, field, expected", [
    (["999", "ann", TA, "include", "", "", "2024-05-01"], "pmid", "unknown PMID or record id"),
    (["111", "ann", TA, "maybe", "", "", "2024-05-01"], "decision", "'maybe' is not allowed"),
    (["111", "ann", TA, "not_retrieved", "", "", "2024-05-01"], "decision", "'not_retrieved' is not allowed"),
    (["111", "ann", "abstract", "include", "", "", "2024-05-01"], "stage", "title_abstract, full_text"),
    (["111", "ann", TA, "exclude", "too old", "", "2024-05-01"], "exclusion_reason", "'too old' is not allowed"),
    (["111", "ann", TA, "exclude", "no patient-level outcome", "", "2024-05-01"], "exclusion_reason",
     "expected one of: adult-onset only"),
    (["111", "ann", FT, "exclude", "no tacrolimus", "", "2024-05-01"], "exclusion_reason",
     "expected one of: no patient-level outcome, other"),
    (["111", "ann", TA, "exclude", "", "", "2024-05-01"], "exclusion_reason", "empty is not allowed"),
    (["111", "ann", TA, "include", "other", "", "2024-05-01"], "exclusion_reason", "only with decision 'exclude'"),
    (["111", "ann", TA, "include", "", "", "01/05/2024"], "date", "expected YYYY-MM-DD"),
    (["111", "ann", TA, "include", "", "", "2024-05-01", "no"], "final", "expected one of: yes"),
])
def test_bad_decision_rows_are_named_by_line_and_field(tmp_path, row, field, expected):
    error = error_of(tmp_path, ["222", "ann", TA, "include", "", "", "2024-05-01"], row)
    assert (error.line, error.field) == (4, field)
    assert expected in error.problem


def test_a_row_in_another_reviewers_file_is_an_error(tmp_path):
    folder = write(tmp_path, ["111", "ann", TA, "include", "", "", "2024-05-01"])
    (folder / "bob.tsv").write_text(HEADER + "111\tann\ttitle_abstract\tinclude\t\t\t2024-05-01\t\n")
    with pytest.raises(InputError, match=r"bob\.tsv, line 2, field 'reviewer': 'ann' in bob's file; expected 'bob'"):
        read(folder)


def test_a_later_row_replaces_the_earlier_one_and_withdrawn_takes_it_back(tmp_path):
    folder = write(tmp_path, ["111", "ann", TA, "include", "", "", "2024-05-01"],
                   ["pmid:111", "ann", TA, "exclude", "other", "changed my mind", "2024-05-02"],
                   ["222", "ann", TA, "include", "", "", "2024-05-01"],
                   ["222", "ann", TA, "withdrawn", "", "undo", "2024-05-01"])
    decisions = read(folder)
    assert [(d["record_id"], d["decision"], d["_line"]) for d in decisions] == [("pmid:111", "exclude", 4)]
    # rebuilding the past reads the file as it stood: the first decision
    assert [d["decision"] for d in read(folder, as_of="2024-05-01")] == ["include"]


def test_reviewer_file_names_must_be_safe(tmp_path):
    assert reviewers.reviewer_file(tmp_path, "ann-b.2") == tmp_path / "ann-b.2.tsv"
    for bad in ("../x", "a b", "", ".hidden"):
        with pytest.raises(InputError, match="cannot name a reviewer's file"):
            reviewers.reviewer_file(tmp_path, bad)


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
    folder = write(tmp_path, ["111", "ann", TA, "include", "", "", "2024-05-01"],
                   ["222", "ann", TA, "exclude", "other", "", "2024-07-01"],
                   ["333", "ann", TA, "include", "", "", "2024-04-01"])
    with pytest.raises(InputError, match="line 5, field 'pmid': unknown PMID"):
        read(folder)
    decisions = read(folder, as_of="2024-06-01")
    assert [(d["record_id"], d["reviewer"]) for d in decisions] == [("pmid:111", "ann")]
    warnings = capsys.readouterr().err
    assert "not applied (dated after 2024-06-01): line 4" in warnings
    assert "not applied (333 is not among this run's records): line 5" in warnings


def test_records_the_review_has_seen_but_this_run_lacks_are_skipped_not_errors(tmp_path, capsys):
    folder = write(tmp_path, ["111", "ann", TA, "include", "", "", "2024-05-01"],
                   ["333", "ann", TA, "include", "", "", "2024-05-01"],
                   ["333", "ann", FT, "include", "", "", "2024-05-02"])
    decisions = read(folder, seen={"pmid:333"})
    assert [d["record_id"] for d in decisions] == ["pmid:111"]
    assert "not applied (333 is not among this run's records): lines 4, 5" in capsys.readouterr().err
    with pytest.raises(InputError, match="line 4, field 'pmid': unknown PMID"):  # never seen: a typo
        read(folder, seen={"pmid:444"})
