"""The Table 1 field registry (lsr.fields) through the commands a user runs: implausible reviewer
values stop the run naming the rule; implausible machine values become `unclear` (`?` for people)."""
import zipfile

import pytest

from conftest import lsr_in_process
from lsr import fields
from lsr.sources import COLUMNS as UNIQUE_COLUMNS
from lsr.tsv import read_tsv, write_tsv

ABSTRACT = ("We report two girls and three boys with juvenile dermatomyositis treated with oral tacrolimus. "
            "Patients were followed up for 900 months after the introduction of tacrolimus.")
HEADER = "# reviewer values\npmid\tfield\tvalue\treviewer\tsource\tnote\n"


@pytest.fixture
def review(tmp_path):
    record = {"record_id": "pmid:111", "pmid": "111", "source": "PubMed", "title": "Tacrolimus in JDM.",
              "abstract": ABSTRACT, "year": "2020", "first_author": "Doe", "publication_types": "Case Reports"}
    write_tsv(tmp_path / "unique_records.tsv", [record], UNIQUE_COLUMNS)
    write_tsv(tmp_path / "screening.tsv", [{"record_id": "pmid:111", "decision": "include", "full_text": "include"}],
              ["record_id", "decision", "full_text"])
    return tmp_path


def extract(review, values_text):
    """`lsr extract` with ann's values file (config/extraction/values/ann.tsv in a review)."""
    (review / "values").mkdir(exist_ok=True)
    (review / "values/ann.tsv").write_text(HEADER + values_text, encoding="utf-8")
    return lsr_in_process("extract", "--records", "unique_records.tsv", "--screening", "screening.tsv",
               "--reviewer-values", "values", "--out", "extraction.tsv", cwd=review)


@pytest.mark.parametrize("rows, message", [
    ("111\tage_max\t250\tann\tfull text\t\n", "line 3, field 'value': '250' is implausible for age_max: ages are between 0 and 30"),
    ("111\tfollowup_months\t9-7\tann\tfull text\t\n", "'9-7' is implausible for followup_months: follow-up is between 0 and 600 months, a range written low-high"),
    ("111\tfollowup_months\t7000\tann\tfull text\t\n", "'7000' is implausible for followup_months"),
    ("111\tage_min\t12\tann\tfull text\t\n111\tage_max\t5\tann\tfull text\t\n",
     "line 4, field 'value': implausible values for pmid:111 from ann: age_min 12 (line 3), age_max 5 (line 4); "
     "expected: the youngest age (age_min) is not above the oldest (age_max)"),
    ("111\tn_patients\t2\tann\tfull text\t\n111\tsex_f\t2\tann\tfull text\t\n111\tsex_m\t1\tann\tfull text\t\n",
     "boys plus girls (sex_m + sex_f) are not more than the patients"),
])
def test_implausible_reviewer_values_stop_the_run_naming_file_line_field_and_rule(review, rows, message):
    result = extract(review, rows)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "ann.tsv, line" in result.stderr and message in result.stderr
    assert not (review / "extraction.tsv").exists()


def test_implausible_machine_values_are_unclear_in_extraction_and_question_marks_for_people(review):
    result = extract(review, "111\tn_patients\t2\tann\tfull text\tcases 1-2\n")
    assert result.returncode == 0, result.stderr
    rows = {row["field"]: row for row in read_tsv(review / "extraction.tsv")}
    assert rows["followup_months"]["value"] == fields.UNCLEAR
    assert "'900' not published: expected follow-up is between 0 and 600 months" in rows["followup_months"]["evidence"]
    assert "followed up for 900 months" in rows["followup_months"]["evidence"]  # the sentence is kept
    assert (rows["sex_m"]["value"], rows["sex_f"]["value"]) == (fields.UNCLEAR, fields.UNCLEAR)
    assert rows["n_patients"]["value"] == "2"  # the reviewer's value stands
    assert "3 implausible ones made unclear" in result.stdout
    table = lsr_in_process("table1", "--extraction", "extraction.tsv", "--screening", "screening.tsv", "--registry",
                "table_versions.tsv", "--outdir", "out", "--topic", "a review", "--caption", "A table.", cwd=review)
    assert table.returncode == 0, table.stderr
    csv_text = (review / "out/table1.csv").read_text(encoding="utf-8")
    assert csv_text.count(",unclear") == 3 and "?" not in csv_text
    for name in ("table1.md", "table1.html", "table1.tex"):
        text = (review / "out" / name).read_text(encoding="utf-8")
        assert "? Not settled" in text or "?\\ Not settled" in text, name
    assert "| ?† |" in (review / "out/table1.md").read_text(encoding="utf-8")
    with zipfile.ZipFile(review / "out/table1.docx") as docx:
        document = docx.read("word/document.xml").decode("utf-8")
    assert ">?<" in document and "Not settled" in document


def test_every_field_has_one_definition_in_table1_order():
    assert fields.NAMES[0] == "study" and len(set(fields.NAMES)) == len(fields.NAMES) == 15
    assert all(rule_field in fields.FIELD for rule in fields.RULES for rule_field in rule.fields)
    assert fields.validate_value("design", "RCT") == "one of case report, case series, cohort, trial"
    assert fields.validate_value("age_max", "250") is None  # the form is right; plausibility is a rule
    assert [r.sentence for r in fields.broken_rules({"age_max": "250"})] == [fields.RULES[2].sentence]
