"""Screening: the matcher, the rules on near-miss records, reviewer overrides, outputs, the CLI."""
import csv
import subprocess
import sys
import textwrap
from collections import Counter

import openpyxl
import pytest

from conftest import lsr_in_process
from lsr import screening, text
from lsr.records import collect_records
from lsr.tsv import InputError, read_tsv, write_tsv

SCHEMA = "workflow/schemas/eligibility.schema.yaml"


@pytest.fixture(scope="module")
def eligibility(repo):
    return screening.load_eligibility(repo / "config/eligibility.yaml", repo / SCHEMA)


@pytest.fixture(scope="module")
def bundled(repo):
    """The bundled PubMed records as unique_records.tsv rows."""
    records = collect_records([repo / "resources/snapshot/tacrolimus-jdm-2024.xml"])
    return [{**r, "record_id": f"pmid:{r['pmid']}", "source": "PubMed"} for r in records]


def record(title, abstract, publication_types="Journal Article", mesh="", keywords="", journal=""):
    return {"record_id": "pmid:1", "pmid": "1", "title": title, "abstract": abstract, "journal": journal,
            "publication_types": publication_types, "mesh_terms": mesh, "keywords": keywords}


def status(result, name):
    return next(r.status for r in result.results if r.name == name)


def mentions(eligibility, text, concept):
    found = screening.RecordText(record(text, ""), eligibility).mentions
    return [m for m in found if m.concept == concept]


# --- the matcher ----------------------------------------------------------------------------------

def test_spellings_plurals_and_number_words_fold_to_one_form():
    norm = text.normalise_word
    assert norm("paediatric") == norm("Pediatric")
    assert norm("randomised") == norm("randomized") and norm("tumour") == norm("tumor")
    assert norm("myopathies") == norm("myopathy") and norm("children") != norm("child")
    assert norm("tópico") == "topico" and norm("eleven") == "11"
    assert [t.norm for t in text.tokenize("twenty-one patients")] == ["21", "patient"]


def test_fk506_spellings_and_word_boundaries(eligibility):
    for text in ("FK506 was given", "FK-506 was given", "FK 506 was given", "PROGRAF was given"):
        assert mentions(eligibility, text, "tacrolimus"), text
    assert not mentions(eligibility, "tacrolimusresistant cells", "tacrolimus")
    assert not mentions(eligibility, "cyclosporinemia", "other_calcineurin_inhibitor")
    # abbreviations are case-sensitive: 'CSA' is cyclosporin A, 'csa' is not
    assert mentions(eligibility, "CSA 5 mg/kg", "other_calcineurin_inhibitor")
    assert not mentions(eligibility, "csa 5 mg/kg", "other_calcineurin_inhibitor")


@pytest.mark.parametrize("sentence, negated", [
    ("Tacrolimus was not used in any patient.", True),
    ("None of the patients received tacrolimus.", True),
    ("She improved without tacrolimus.", True),
    ("No adverse effects of tacrolimus were seen.", False),
    ("Patients not responding to tacrolimus were switched.", False),
    ("Oral tacrolimus was started.", False),
    ("Remission came without the need for tacrolimus.", True),
    ("There was no tacrolimus-related nephrotoxicity.", False),     # denies the toxicity, not the drug
    ("No tacrolimus levels above 10 ng/mL were seen.", False),
])
def test_negation(eligibility, sentence, negated):
    found = mentions(eligibility, sentence, "tacrolimus")
    assert [m.negated for m in found] == [negated]


@pytest.mark.parametrize("sentence", ["Neither ciclosporin nor tacrolimus was given.",
                                      "They improved without ciclosporin or tacrolimus.",
                                      "Without ciclosporin or other drugs like tacrolimus."])
def test_negation_carries_over_or_and_nor(eligibility, sentence):
    negated = [m.negated for m in mentions(eligibility, sentence, "tacrolimus")]
    assert negated == [sentence.startswith(("Neither", "They"))]    # 'or other drugs like' breaks the chain


def test_a_record_defines_its_own_abbreviations(eligibility):
    text = screening.RecordText(record("x", "Tacrolimus (TAC) was added. TAC was given orally. TAC levels were low."),
                                eligibility)
    assert {m.sentence for m in text.mentions if m.concept == "tacrolimus"} == {1, 2, 3}   # 0 is the title


@pytest.mark.parametrize("abstract, route", [
    ("Topical tacrolimus was applied to the rash.", "fail"),
    ("Tacrolimus 0.1% ointment was applied twice daily.", "fail"),
    ("Patients received oral prednisolone and topical tacrolimus.", "fail"),     # 'oral' is prednisolone's
    ("Patients received topical steroids and oral tacrolimus.", "met"),
    ("Tacrolimus (0.1 mg/kg/day) was given in two doses.", "met"),
    ("Two received topical tacrolimus and two received intravenous tacrolimus.", "met"),
    ("Tacrolimus was added to prednisolone.", "unclear"),
])
def test_route_scope(eligibility, abstract, route):
    result = screening.screen_record(record("Tacrolimus in juvenile dermatomyositis", abstract), eligibility)
    assert status(result, "route") == route


@pytest.mark.parametrize("abstract, age", [
    ("An eleven-year-old girl with dermatomyositis was treated.", "met"),
    ("A 9 year old boy with dermatomyositis was treated.", "met"),
    ("Patients aged 18 years or younger with dermatomyositis were enrolled.", "met"),
    ("A sixty-one-year-old woman with dermatomyositis was treated.", "fail"),
    ("Twelve patients (mean age 52 years) with dermatomyositis were treated.", "fail"),
    ("Twenty adults and three children with dermatomyositis were treated.", "unclear"),
    ("Four patients with dermatomyositis were treated.", "unclear"),
    # an age at onset below 18 is juvenile-onset, whatever the age now
    ("A 24-year-old woman had been diagnosed with dermatomyositis at the age of 15 years.", "met"),
    ("A 19-year-old man, diagnosed with dermatomyositis at 13, was treated.", "met"),
    ("Diagnosis was made at 5 years; she is now 24 years old.", "met"),
    ("A 31-year-old man, aged 12 years at onset of dermatomyositis, was treated.", "met"),
    ("Thirty adults (onset 25-70 years) and 4 patients with onset at 9-15 years of age were treated.", "unclear"),
    ("A 45-year-old woman diagnosed with dermatomyositis 3 years earlier was treated.", "fail"),  # an interval
    ("Dermatomyositis was diagnosed at 40 years of age.", "fail"),
    ("Patients with onset before 16 years of age were excluded.", "unclear"),
    ("Tacrolimus was started at 15 mg per day in a patient with dermatomyositis.", "unclear"),   # a dose
])
def test_age_from_words_and_stated_ages(eligibility, abstract, age):
    result = screening.screen_record(record("Tacrolimus for dermatomyositis", abstract), eligibility)
    assert status(result, "age") == age


def test_the_title_counts_more_than_a_passing_mention(eligibility):
    passing = record("Intravenous immunoglobulin in juvenile dermatomyositis",
                     "We report 10 children with JDM given IVIG. Earlier drugs included tacrolimus. Eight improved.")
    focus = record("Tacrolimus in juvenile dermatomyositis",
                   "We report 10 children with JDM given oral tacrolimus. Eight improved.")
    assert status(screening.screen_record(passing, eligibility), "intervention") == "unclear"
    assert status(screening.screen_record(focus, eligibility), "intervention") == "met"


# --- decisions on records like those a search brings up ------------------------------------------

JDM_ORAL = record("Oral tacrolimus in refractory juvenile dermatomyositis",
                  "We report three children with refractory JDM given oral tacrolimus. Skin and muscle improved.",
                  "Case Reports")


@pytest.mark.parametrize("rec, decision, reason", [
    (JDM_ORAL, "include", ""),
    (record("Oral tacrolimus in paediatric dermatomyositis", "We report 2 paediatric patients with "
            "dermatomyositis given oral tacrolimus; steroids were tapered."), "include", ""),
    (record("Tacrolimus for refractory dermatomyositis", "We reviewed 12 adults with refractory dermatomyositis "
            "treated with oral tacrolimus. Strength improved."), "exclude", "adult-onset only"),
    (record("Topical tacrolimus for skin disease in juvenile dermatomyositis", "Five children with JDM applied "
            "tacrolimus 0.1% ointment. Erythema improved."), "exclude", "topical tacrolimus only"),
    (record("Ciclosporin A in refractory juvenile dermatomyositis", "Eight children with JDM were treated with "
            "ciclosporin A. Strength improved in six."), "exclude", "other calcineurin inhibitor only"),
    (record("Tacrolimus in children with steroid-dependent nephrotic syndrome", "We studied 30 children with "
            "nephrotic syndrome given oral tacrolimus. Remission was kept in 24."), "exclude", "not dermatomyositis"),
    (record("Treatment of juvenile dermatomyositis: a review", "This review summarises methotrexate, tacrolimus "
            "and rituximab in juvenile dermatomyositis.", "Review"), "exclude", "review/editorial/guideline"),
    (record("Tacrolimus in juvenile dermatomyositis: case report and review of the literature", "We present an "
            "11-year-old girl with JDM who responded to oral tacrolimus.", "Case Reports; Review"), "include", ""),
    (record("Tacrolimus suppresses experimental myositis in mice", "Myositis was induced in mice. Oral tacrolimus "
            "reduced inflammation, which may help patients.", mesh="Animals; Mice; Tacrolimus*"), "exclude", "non-human"),
    (record("Abatacept for refractory juvenile dermatomyositis", "Ten children with refractory JDM received "
            "abatacept. Eight improved."), "exclude", "no tacrolimus"),
    (record("Tacrolimus for myositis-associated lung disease: a systematic review", "We report pooled survival "
            "from 15 studies of dermatomyositis, limited to case reports in children.",
            "Meta-Analysis"), "exclude", "review/editorial/guideline"),
    (record("Retraction note: oral tacrolimus in juvenile dermatomyositis", "This article has been retracted.",
            "Retraction of Publication"), "exclude", "other"),
    (record("Adult-onset dermatomyositis treated with tacrolimus, unlike juvenile disease", "We describe two women "
            "aged 40 and 52 years given oral tacrolimus; juvenile dermatomyositis differs."), "needs_review", ""),
    # the safety rule: what the abstract cannot settle goes to a reviewer
    (record("RETRACTED: Oral tacrolimus in juvenile dermatomyositis", "We report 3 children with JDM given oral "
            "tacrolimus. All improved."), "needs_review", ""),
    (record("Tacrolimus lowers the interferon signature ex vivo in juvenile dermatomyositis", "Blood cells of 10 "
            "children with JDM were cultured with tacrolimus. IL-2 fell.", mesh="Cells, Cultured; Humans; Tacrolimus*"),
     "needs_review", ""),
    (record("Tacrolimus in juvenile dermatomyositis", ""), "needs_review", ""),
    (record("Refractory juvenile dermatomyositis: a case series", "We report three children with refractory JDM "
            "given a calcineurin inhibitor after steroids and methotrexate failed."), "needs_review", ""),
    (record("Tacrolimus in refractory juvenile dermatomyositis", "We report three children with JDM treated with "
            "tacrolimus. Steroids were tapered."), "needs_review", ""),
    (record("Calcinosis in juvenile dermatomyositis: a cohort", "We followed 40 children with JDM. Tacrolimus was "
            "not used in any patient. Calcinosis developed in 12."), "needs_review", ""),
    (record("Tacrolimus in dermatomyositis lung disease", "We studied 25 adults and 4 children with dermatomyositis "
            "given oral tacrolimus."), "needs_review", ""),
    # a protocol treats no one yet; a topical formulation binds to its drug even when blood is sampled
    (record("Oral tacrolimus versus cyclophosphamide in juvenile dermatomyositis: protocol of a randomised trial",
            "Children with JDM will be randomised to oral tacrolimus or cyclophosphamide. The primary outcome is "
            "remission at 12 months.", "Clinical Trial Protocol"), "needs_review", ""),
    (record("Tacrolimus ointment for the rash of juvenile dermatomyositis", "Six children with JDM applied "
            "tacrolimus ointment twice daily. Tacrolimus was not detectable in whole blood. The rash improved."),
     "exclude", "topical tacrolimus only"),
    # tacrolimus only in another population's sentence: the abstract does not say these children got it
    (record("Juvenile dermatomyositis with calcinosis: a case series", "We report three children with JDM and "
            "calcinosis. In adults with dermatomyositis, oral tacrolimus has been used. In adults with lung "
            "disease, tacrolimus improved survival."), "needs_review", ""),
    # adults and children together: are the children reported separately?
    (record("Oral tacrolimus in juvenile and adult dermatomyositis", "We treated 20 patients with dermatomyositis "
            "aged 9-64 years with oral tacrolimus. Strength improved."), "needs_review", ""),
    # 'childhood' in a history is not the patient's age group
    (record("Oral tacrolimus in refractory dermatomyositis", "A 45-year-old woman with a history of asthma in "
            "childhood developed dermatomyositis and received oral tacrolimus."), "exclude", "adult-onset only"),
    (record("Tacrolimus in juvenile polymyositis", "We describe two children with juvenile polymyositis given "
            "oral tacrolimus; polymyositis remitted in both."), "exclude", "not dermatomyositis"),
    # treatment given without its names: tacrolimus may be among the drugs
    (record("Rituximab for rapidly progressive lung disease in anti-MDA5 juvenile dermatomyositis", "A 14-year-old "
            "girl with anti-MDA5 JDM received aggressive immunosuppressive therapy and rituximab; the lung disease "
            "resolved."), "needs_review", ""),
    # an abstract cut off before it says what it is about
    (record("Juvenile dermatomyositis outcomes", "We followed 40 children with JDM and recorded"), "needs_review", ""),
])
def test_decisions_on_near_miss_records(eligibility, rec, decision, reason):
    result = screening.screen_record(rec, eligibility)
    assert (result.decision, result.exclusion_reason) == (decision, reason), result.reasons


def test_other_source_record_in_portuguese_without_mesh(eligibility):
    rec = record("Tacrolimus tópico nas lesões cutâneas refratárias da dermatomiosite juvenil",
                 "Foram descritos três pacientes com DMJ. Tacrolimus tópico 0,03% foi usado duas vezes ao dia.")
    result = screening.screen_record(rec, eligibility)
    assert (result.decision, result.exclusion_reason) == ("exclude", "topical tacrolimus only")


def test_reasons_and_evidence_are_written_for_a_reviewer(eligibility):
    result = screening.screen_record(JDM_ORAL, eligibility)
    assert "population: dermatomyositis [title]" in result.reasons
    assert "route: Oral tacrolimus [title], oral tacrolimus [abstract]" in result.reasons
    assert "design: Case Reports [publication type]" in result.reasons
    assert "[abstract] We report three children with refractory JDM given oral tacrolimus." in result.evidence


def test_bundled_gold_includes_and_maybes_are_never_excluded(bundled, eligibility, shared):
    with open(shared / "gold/screening_labels.tsv", encoding="utf-8") as handle:
        gold = {row["pmid"]: row["label"] for row in csv.DictReader(handle, delimiter="\t")}
    decisions = {r["pmid"]: screening.screen_record(r, eligibility).decision for r in bundled}
    assert {p for p, label in gold.items() if label != "exclude" and decisions[p] == "exclude"} == set()
    assert {p for p, label in gold.items() if label == "exclude" and decisions[p] == "include"} == set()


def test_unseen_records_keep_the_safety_rule(repo, eligibility):
    """Made-up records unlike the bundled ones (tests/data/unseen_screening.tsv, labelled by a
    careful reviewer): no include or maybe is excluded, no exclude or maybe is included, and an
    auto-exclusion gives the reviewer's reason."""
    rows = read_tsv(repo / "tests/data/unseen_screening.tsv", allow_comments=True)
    assert {row["expected"] for row in rows} == {"include", "exclude", "maybe"}
    confusion, wrong = Counter(), []
    for row in rows:
        result = screening.screen_record(row, eligibility)
        confusion[row["expected"], result.decision] += 1
        if (result.decision == "exclude" and (row["expected"], row["expected_reason"]) != ("exclude", result.exclusion_reason)
                or result.decision == "include" and row["expected"] != "include"):
            wrong.append((row["record_id"], row["expected"], row["expected_reason"], result.decision,
                          result.exclusion_reason, result.reasons))
    agreement = sum(confusion[pair] for pair in [("include", "include"), ("exclude", "exclude"),
                                                  ("maybe", "needs_review")]) / len(rows)
    print(f"unseen records: {dict(confusion)}; agreement {agreement:.1%}")
    assert wrong == []


ALTERNATIVE = textwrap.dedent("""\
    question: Ciclosporin in juvenile dermatomyositis
    exclusion_reasons: [no ciclosporin, not juvenile dermatomyositis]
    concepts:
      ciclosporin: {label: ciclosporin, terms: [ciclosporin, cyclosporin, cyclosporine], abbreviations: [CsA]}
      jdm: {label: juvenile dermatomyositis, terms: [juvenile dermatomyositis, childhood dermatomyositis],
            abbreviations: [JDM]}
    criteria:
      - name: disease
        label: population
        exclusion_reason: not juvenile dermatomyositis
        rules:
          - {if: {any: [{concept: jdm, in: [focus]}]}, then: met}
          - {then: fail}
      - name: drug
        label: intervention
        exclusion_reason: no ciclosporin
        rules:
          - {if: {any: [{concept: ciclosporin, in: [focus]}]}, then: met}
          - {if: {any: [ciclosporin]}, then: unclear}
          - {then: fail, needs_full_abstract: true}
""")


def test_another_review_question_is_a_different_eligibility_file(tmp_path, repo, bundled, eligibility):
    path = tmp_path / "ciclosporin.yaml"
    path.write_text(ALTERNATIVE, encoding="utf-8")
    alternative = screening.load_eligibility(path, repo / SCHEMA)
    by_pmid = {r["pmid"]: r for r in bundled}
    cyclosporin_jdm, tacrolimus_jdm = by_pmid["2566009"], by_pmid["18716733"]
    assert screening.screen_record(cyclosporin_jdm, eligibility).decision == "exclude"
    assert screening.screen_record(cyclosporin_jdm, alternative).decision == "include"
    result = screening.screen_record(tacrolimus_jdm, alternative)
    assert (result.decision, result.exclusion_reason) == ("exclude", "no ciclosporin")


@pytest.mark.parametrize("edit, field, problem", [
    (("  focus_sentences: 2", "  focus_sentence: 2"), "settings", "focus_sentence"),
    (("        then: met\n", "        then: accept\n"), "criteria/1/rules/1/then", "accept"),
    (("      - if: {any: [{concept: tacrolimus, in: [focus]}]}", "      - if: {any: [{concept: tacrolimu, in: [focus]}]}"),
     "criteria/4", "unknown concept 'tacrolimu'"),
    (("        reason: no tacrolimus\n", "        reason: not tacrolimus\n"), "criteria/4/rules/5", "exclusion reason"),
])
def test_a_bad_eligibility_file_is_named_with_the_field(tmp_path, repo, edit, field, problem):
    text = (repo / "config/eligibility.yaml").read_text(encoding="utf-8")
    assert edit[0] in text
    path = tmp_path / "eligibility.yaml"
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        screening.load_eligibility(path, repo / SCHEMA)
    assert caught.value.field == field and problem in str(caught.value)


# --- reviewers on top of the rules -----------------------------------------------------------------

def decision(record_id, reviewer, verdict, reason="", stage="title_abstract", final=""):
    return {"record_id": record_id, "reviewer": reviewer, "decision": verdict, "exclusion_reason": reason,
            "stage": stage, "final": final}


def test_reviewer_decisions_override_the_rules_and_disagreement_is_a_conflict(bundled, eligibility):
    records = [r for r in bundled if r["pmid"] in ("2566009", "18716733", "19479872", "35280444")]
    screened = [screening.screen_record(r, eligibility) for r in records]
    assert [s.decision for s in screened] == ["exclude", "include", "needs_review", "needs_review"]
    rows = screening.combine(records, screened, [
        decision("pmid:2566009", "ann", "include"),                         # overrides an exclusion
        decision("pmid:19479872", "ann", "exclude", "no tacrolimus"),
        decision("pmid:19479872", "bob", "exclude", "no tacrolimus"),
        decision("pmid:35280444", "bob", "include"),
        decision("pmid:35280444", "ann", "exclude", "no tacrolimus"),
    ])
    got = [(r["decision"], r["decided_by"], r["conflict"], r["exclusion_reason"]) for r in rows]
    assert got == [("include", "ann", "no", ""), ("include", "rules", "no", ""),
                   ("exclude", "ann; bob", "no", "no tacrolimus"), ("needs_review", "ann; bob", "yes", "")]
    assert rows[3]["reasons"].startswith("reviewers: ann: exclude (no tacrolimus); bob: include; rules: needs_review")
    waiting = [row for row in rows if row["decision"] == "needs_review"]     # what to_review.tsv lists
    assert [row["record_id"] for row in waiting] == ["pmid:35280444"]    # the conflict; others are decided
    assert waiting[0]["priority"] > screening.CONFLICT_PRIORITY
    # included at title/abstract: awaiting the full-text decision, the gate before Table 1
    assert [r["full_text"] for r in rows] == ["awaiting", "awaiting", "", ""]


def test_a_final_decision_settles_a_conflict_and_names_who_resolved_it(bundled, eligibility):
    records = [r for r in bundled if r["pmid"] == "35280444"]
    screened = [screening.screen_record(r, eligibility) for r in records]
    votes = [decision("pmid:35280444", "bob", "include"), decision("pmid:35280444", "ann", "exclude", "no tacrolimus")]
    final = decision("pmid:35280444", "cat", "include", final="yes")
    row = screening.combine(records, screened, votes + [final])[0]
    assert (row["decision"], row["decided_by"], row["conflict"]) == ("include", "cat (final)", "no")
    assert "cat (final): include" in row["reasons"]


def test_full_text_decisions_are_the_gate_and_can_conflict(bundled, eligibility):
    records = [r for r in bundled if r["pmid"] in ("18716733", "17169297", "2566009")]
    screened = [screening.screen_record(r, eligibility) for r in records]
    ft = dict(stage="full_text")
    rows = screening.combine(records, screened, [
        decision("pmid:18716733", "ann", "include", **ft), decision("pmid:18716733", "bob", "include", **ft),
        decision("pmid:17169297", "ann", "exclude", "other", **ft), decision("pmid:17169297", "bob", "include", **ft),
        decision("pmid:2566009", "ann", "include", **ft)])     # excluded at title/abstract: not applied
    by_pmid = {r["pmid"]: r for r in rows}
    assert [(by_pmid[p]["full_text"], by_pmid[p]["full_text_by"]) for p in ("18716733", "17169297", "2566009")] == [
        ("include", "ann; bob"), ("conflict", "ann: exclude (other); bob: include"), ("", "")]
    assert screening.unapplied_full_text(rows, [decision("pmid:2566009", "ann", "include", **ft)]) == [
        "ann's full-text decision on pmid:2566009 waits until the record is included at title/abstract "
        "(now: exclude)"]


def test_summary_counts_and_kappa(bundled, eligibility):
    records = bundled[:4]
    decisions = [decision(r["record_id"], "ann", "exclude", "no tacrolimus") for r in records[:2]] + [
        decision(records[0]["record_id"], "bob", "exclude", "no tacrolimus"),
        decision(records[1]["record_id"], "bob", "include")]
    rows = screening.combine(records, [screening.screen_record(r, eligibility) for r in records], decisions)
    summary = screening.summary_markdown(Counter(map(screening.outcome, rows)), decisions, eligibility)
    assert "- Decided by the rules without a reviewer: 2 of 4 (50.0%)" in summary
    assert "| ann; bob | 0 | 1 | 1 | 2 |" in summary  # one agreed exclusion, one conflict awaiting review
    rules = next(line for line in summary.splitlines() if line.startswith("| rules |"))
    include, exclude, needs_review, total = map(int, rules.strip("|").split("|")[1:])
    assert (include + exclude, needs_review, total) == (2, 0, 2)  # = the bullet's "2 of 4"
    assert "| ann / bob | 2 | 50.0% | 0.000 |" in summary
    assert "| non-human | 0 |" in summary


def test_xlsx_is_formatted_and_byte_identical(tmp_path):
    rows = [{"priority": 3, "record_id": "pmid:1", "title": "A title", "abstract": "Long text\x01", "pmid": "1"}]
    first = screening.xlsx_bytes(rows, screening.TO_REVIEW_COLUMNS)
    assert screening.xlsx_bytes(rows, screening.TO_REVIEW_COLUMNS) == first
    path = tmp_path / "q.xlsx"
    path.write_bytes(first)
    sheet = openpyxl.load_workbook(path).active
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
    assert [c.value for c in sheet[1]] == screening.TO_REVIEW_COLUMNS
    assert sheet["D2"].alignment.wrap_text and sheet.column_dimensions["D"].width == 90


# --- the command a user runs --------------------------------------------------------------------------

def run_screen(tmp_path, repo, records_path, decisions_path, out, new_process=False):
    """`lsr screen`: in a new process (`python -m lsr`) or through the entry point's main in this one."""
    args = ["screen", "--records", str(records_path),
            "--eligibility", str(repo / "config/eligibility.yaml"), "--schema", str(repo / SCHEMA),
            "--decisions", str(decisions_path), "--out", str(out / "screening.tsv"),
            "--to-review", str(out / "to_review.tsv"),
            "--summary", str(out / "screening_summary.md")]
    if new_process:
        return subprocess.run([sys.executable, "-m", "lsr", *args], capture_output=True, text=True, cwd=tmp_path)
    return lsr_in_process(*args, cwd=tmp_path)


def test_cli_screens_records_with_reviewer_decisions_deterministically(tmp_path, repo, bundled):
    from lsr.sources import COLUMNS
    records_path = tmp_path / "unique_records.tsv"
    write_tsv(records_path, bundled, COLUMNS)
    decisions_path = tmp_path / "decisions"
    decisions_path.mkdir()
    header = "pmid\treviewer\tstage\tdecision\texclusion_reason\tnote\tdate\n"  # no `final` column: optional
    (decisions_path / "ann.tsv").write_text(
        "# ann's decisions\n" + header + "19479872\tann\ttitle_abstract\tinclude\t\tfull text shows tacrolimus\t"
        "2024-06-01\n", encoding="utf-8")
    (decisions_path / "bob.tsv").write_text(
        header + "19479872\tbob\ttitle_abstract\texclude\tno tacrolimus\t\t2024-06-02\n", encoding="utf-8")
    first, second = tmp_path / "first", tmp_path / "second"
    for out, new_process in ((first, True), (second, False)):  # two processes, two hash seeds
        result = run_screen(tmp_path, repo, records_path, decisions_path, out, new_process)
        assert result.returncode == 0, result.stderr
    for name in ("screening.tsv", "to_review.tsv", "screening_summary.md"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name

    rows = read_tsv(first / "screening.tsv", required=screening.SCREENING_COLUMNS)
    assert [r["record_id"] for r in rows] == [r["record_id"] for r in bundled]
    conflict = next(r for r in rows if r["pmid"] == "19479872")
    assert (conflict["decision"], conflict["conflict"], conflict["decided_by"]) == ("needs_review", "yes", "ann; bob")
    queue = read_tsv(first / "to_review.tsv", required=screening.TO_REVIEW_COLUMNS)
    assert queue[0]["pmid"] == "19479872"                                # conflicts first
    assert all(q["abstract"] or q["pmid"] == "28864644" for q in queue)
    assert "| ann / bob | 1 | 0.0% | 0.000 |" in (first / "screening_summary.md").read_text(encoding="utf-8")

    (decisions_path / "cat.tsv").write_text(header + "123\tcat\ttitle_abstract\tinclude\t\t\t2024-06-03\n",
                                            encoding="utf-8")
    result = run_screen(tmp_path, repo, records_path, decisions_path, first)
    assert result.returncode == 2
    assert f"{decisions_path / 'cat.tsv'}, line 2, field 'pmid': unknown PMID or record id" in result.stderr


def test_an_eligibility_concept_naming_an_unknown_vocabulary_entry_is_named(tmp_path, repo):
    text = (repo / "config/eligibility.yaml").read_text(encoding="utf-8")
    path = tmp_path / "eligibility.yaml"
    path.write_text(text.replace("vocabulary: [drugs.tacrolimus]", "vocabulary: [drugs.tacrolimu]", 1), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        screening.load_eligibility(path, repo / SCHEMA)
    assert caught.value.field == "concepts/tacrolimus/vocabulary" and "drugs.tacrolimus" in str(caught.value)


def test_a_drug_named_only_for_another_population_does_not_settle_the_intervention(eligibility):
    rec = record("Juvenile dermatomyositis with calcinosis: a case series", "We report three children with JDM and "
                 "calcinosis. In adults with dermatomyositis, oral tacrolimus has been used. In adults with lung "
                 "disease, tacrolimus improved survival.")
    result = screening.screen_record(rec, eligibility)
    assert status(result, "intervention") == "unclear"
    assert "intervention: unclear, named only in other population statements" in result.reasons


def test_the_review_queue_on_disk_gives_the_sorted_queue():
    entries = [{"priority": p, "record_id": f"r{k}", "abstract": "x" * k} for k, p in enumerate([3, 1, 104, 3, 1, 7, 3])]
    with screening.ReviewQueue() as queue:
        for entry in entries:
            queue.add(entry)
        highest_first = sorted(entries, key=lambda entry: -entry["priority"])    # stable: then in input order
        assert list(queue.entries()) == highest_first
        assert list(queue.entries()) == highest_first     # read again from the start
