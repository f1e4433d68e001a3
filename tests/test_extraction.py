"""Extraction stage: Table 1 fields from titles and abstracts, and reviewer values on top."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import lsr_in_process
from lsr.extraction import (COLUMNS, FIELDS, NR, UNCLEAR, build_extraction, canonical_drug, extract_record,
                            read_reviewer_values)
from lsr.pubmed import resolve_inputs
from lsr.records import collect_records
from lsr.table1 import build_studies
from lsr.text import record_sentences, split_sentences
from lsr.sources import deduplicate, read_ris
from lsr.tsv import InputError, format_tsv, read_tsv, write_tsv

SNAPSHOT = "resources/snapshot/tacrolimus-jdm-2024.xml"
UNIQUE_COLUMNS = ["record_id", "pmid", "source", "source_file", "doi", "pmcid", "title", "abstract", "journal",
                  "year", "authors", "first_author", "language", "publication_types", "mesh_terms", "keywords",
                  "retracted", "erratum"]
REVIEWER_HEADER = "pmid\tfield\tvalue\treviewer\tsource\tnote\n"


def values(abstract: str, title: str = "Tacrolimus in juvenile dermatomyositis", publication_types: str = "",
           **record) -> dict[str, str]:
    findings = extract_record({"title": title, "abstract": abstract, "publication_types": publication_types,
                               **record})
    return {field: finding.value for field, finding in findings.items()}


@pytest.fixture(scope="module")
def snapshot_records(repo):
    rows = collect_records([repo / SNAPSHOT])
    return [{**row, "record_id": "pmid:" + row["pmid"]} for row in rows]


# --------------------------------------------------------------------------- the bundled gold abstracts

def test_martin_nalda_abstract_gives_the_gold_values_and_duration_is_not_age(snapshot_records):
    record = next(r for r in snapshot_records if r["pmid"] == "17169297")
    got = {field: finding.value for field, finding in extract_record(record).items()}
    assert got == {"study": NR, "design": "case series", "n_patients": "6", "age_min": NR, "age_max": NR,
                   "sex_m": NR, "sex_f": NR, "prior_treatments": NR, "tacrolimus_route": "oral",
                   "tacrolimus_dose": NR, "followup_months": "12", "skin_outcome": "improved",
                   "muscle_outcome": "improved", "steroid_sparing": "yes", "adverse_events": "none"}


def test_hassan_abstract_gives_the_gold_values_with_their_sentences(snapshot_records):
    record = next(r for r in snapshot_records if r["pmid"] == "18716733")
    findings = extract_record(record)
    got = {field: finding.value for field, finding in findings.items()}
    assert got == {"study": "Hassan 2008", "design": "case series", "n_patients": "3", "age_min": NR,
                   "age_max": NR, "sex_m": NR, "sex_f": NR, "prior_treatments": NR, "tacrolimus_route": NR,
                   "tacrolimus_dose": NR, "followup_months": "7-9", "skin_outcome": "improved",
                   "muscle_outcome": "no change", "steroid_sparing": "yes", "adverse_events": "none"}
    assert findings["muscle_outcome"].evidence[0].startswith("However, none of the patients showed recovery")
    assert findings["followup_months"].evidence == [
        "Patients were followed up for 7 to 9 months after the introduction of tacrolimus."]
    assert all(findings[f].evidence == [] for f in FIELDS if got[f] == NR)


# --------------------------------------------------------------------------- sentences

def test_sentences_keep_abbreviations_and_decimals_and_carry_sections():
    assert split_sentences("Yamada et al. reported one girl. Dose was 0.1 mg/kg/day i.v. twice. Done.") == [
        "Yamada et al. reported one girl.", "Dose was 0.1 mg/kg/day i.v. twice.", "Done."]
    sentences = record_sentences("[Efficacy of tacrolimus: study of 6 cases].",
                                 "BACKGROUND: Why. METHODS: How it was done. RESULTS: It worked.")
    assert [(s.section, s.text) for s in sentences] == [
        ("TITLE", "Efficacy of tacrolimus: study of 6 cases"), ("BACKGROUND", "Why."),
        ("METHODS", "How it was done."), ("RESULTS", "It worked.")]


# --------------------------------------------------------------------------- numbers of patients and design

@pytest.mark.parametrize("abstract, n", [
    ("We describe three children with refractory JDM treated with oral tacrolimus.", "3"),
    ("Children with JDM who received tacrolimus (n = 7) were reviewed retrospectively.", "7"),
    ("We report two girls and a boy with JDM who were treated with tacrolimus.", "3"),
    ("Clinical charts were reviewed. The study included 6 patients, (evolution: 0.16-11 years).", "6"),
    ("We present a couple of patients with refractory JDM who failed steroids and MTX.", "2"),
    ("Of 49 children with JDM, 12 were treated with tacrolimus. Remission occurred in 4 patients.", "12"),
    ("Eleven DM-A/SIP patients were enrolled. Seven patients had amyopathic disease.", "11"),
    ("In a multicenter study, data on 26 JDM (19 F, 7 M) patients were collected.", "26"),
    ("Forty-nine patients were followed up; transient calcinosis occurred in 4 patients.", "49"),
    ("Of 300 registry children, nine had received tacrolimus.", "9"),
    ("Eight children refractory to at least two drugs were treated with tacrolimus.", "8"),
    ("Patients were randomised to tacrolimus (trough 5-10 ng/mL; n = 16) or cyclophosphamide (n = 15). "
     "Thirty-one children were enrolled.", "16"),
    ("Fifty patients were included: 38 adults and 12 children with JDM.", "12"),
    ("Fifty patients with myositis were included, 38 of them adults, and received tacrolimus.", UNCLEAR),
])
def test_number_of_patients_as_authors_write_it(abstract, n):
    assert values(abstract)["n_patients"] == n


def test_literature_counts_are_not_the_study_size():
    got = values("We present a couple of patients with refractory JDM. Literature review revealed ten "
                 "patients with JDM who were treated with tacrolimus.")
    assert got["n_patients"] == "2"


@pytest.mark.parametrize("abstract, publication_types, design", [
    ("We describe a 13-year-old girl with JDM treated with tacrolimus.", "Case Reports", "case report"),
    ("We report three children with JDM treated with tacrolimus.", "Case Reports", "case series"),
    ("We report three children treated with tacrolimus. Larger randomized trials are needed.", "", "case series"),
    ("This retrospective cohort study included 25 patients with JDM given tacrolimus.", "", "cohort"),
    ("Medical records of 31 patients with JDM were reviewed retrospectively at two centres.", "", "cohort"),
    ("Thirty children were randomised to tacrolimus or cyclophosphamide.", "", "trial"),
    ("Twenty children received tacrolimus.", "Randomized Controlled Trial", "trial"),
    ("Tacrolimus is used in refractory disease.", "", NR),
])
def test_design_from_publication_type_and_text(abstract, publication_types, design):
    assert values(abstract, publication_types=publication_types)["design"] == design


# --------------------------------------------------------------------------- ages and sexes

@pytest.mark.parametrize("abstract, youngest, oldest", [
    ("Twelve patients aged 4-15 years were treated with tacrolimus.", "4", "15"),
    ("The patients, aged 4 to 15 years, were given tacrolimus.", "4", "15"),
    ("The median age at tacrolimus start was 8.5 years (range 3-14).", "3", "14"),
    ("We describe a 21-year-old woman whose disease began at 12 and who was treated with tacrolimus.", "21", "21"),
    ("We present 11- and 8-year-old boys with refractory JDM given tacrolimus.", "8", "11"),
    ("Three patients were included; their ages were 6, 6 and 4 years.", "4", "6"),
    ("Three patients, aged from 10 years 3 months to 13 years 4 months, were treated.", "10.25", "13.33"),
    ("An 18-month-old girl with JDM received tacrolimus.", "1.5", "1.5"),
    ("The median age of starting tacrolimus was 8.7 (range 2.2-15.1) years old.", "2.2", "15.1"),
    ("Eight children (age: 9 ± 2.5 (6-14) years) received tacrolimus.", "6", "14"),
    ("Children aged from 20 months to 7 years at the start of tacrolimus.", "1.67", "7"),
])
def test_ages_in_years_as_reported(abstract, youngest, oldest):
    got = values(abstract)
    assert (got["age_min"], got["age_max"]) == (youngest, oldest)


@pytest.mark.parametrize("abstract", [
    "The study included 6 patients (disease duration 0.16-11 years).",
    "The study included 6 patients, (evolution: 0.16-11 years).",
    "Twenty-six patients were studied; mean age at presentation was 6.5 years (SD 3.7).",
    "Mean age 12.2 ± 5.0 years; follow-up 2-5 years.",
    "We enrolled patients aged 18 years or younger with new-onset disease.",
    "Children who present before 5 years of age are prone to calcinosis.",
])
def test_durations_means_and_limits_are_not_ages(abstract):
    got = values(abstract)
    assert (got["age_min"], got["age_max"]) == (NR, NR)


def test_onset_age_is_used_only_when_no_other_age_is_given():
    got = values("We present a 19-year-old man whose JDM began at the age of 10 years; tacrolimus was given.")
    assert (got["age_min"], got["age_max"]) == ("19", "19")
    got = values("A 14-year-old boy, diagnosed at the age of 9 years, was treated with tacrolimus.")
    assert (got["age_min"], got["age_max"]) == ("14", "14")
    got = values("Six patients were treated with tacrolimus. Age at onset ranged from 2 to 11 years.")
    assert (got["age_min"], got["age_max"]) == ("2", "11")


@pytest.mark.parametrize("abstract, boys, girls", [
    ("We report two girls and a boy with JDM who were treated with tacrolimus.", "1", "2"),
    ("In a multicenter study, data on 26 JDM (19 F, 7 M) patients were collected.", "7", "19"),
    ("There were 2 females and 1 male, all given tacrolimus. We report 3 patients.", "1", "2"),
    ("We describe a 13-year-old girl with JDM treated with tacrolimus.", "0", "1"),
    ("We present 11- and 8-year-old boys with refractory JDM given tacrolimus.", "2", "0"),
    ("We report 6 patients treated with tacrolimus; 4 were girls.", "2", "4"),
    ("We retrospectively reviewed 14 children (9 girls) who received tacrolimus.", "5", "9"),
    ("Twelve children received tacrolimus. Mean age was 7 years; 8 (67%) were girls.", "4", "8"),
    ("Twelve children received tacrolimus. Of the 40 children screened, 8 (20%) were girls.", NR, "8"),
    ("We describe a pair of sisters with JDM treated with tacrolimus.", "0", "2"),
    ("Ten patients were treated with tacrolimus; 38 (76%) girls were in the registry.", NR, NR),
])
def test_boys_and_girls_counted_and_missing_sex_not_guessed(abstract, boys, girls):
    got = values(abstract)
    assert (got["sex_m"], got["sex_f"]) == (boys, girls)


# --------------------------------------------------------------------------- drugs

@pytest.mark.parametrize("name, code", [
    ("prednisolone", "CS"), ("methylprednisolone pulses", "CS"), ("Corticosteroids", "CS"),
    ("ciclosporin", "CSA"), ("cyclosporine A", "CSA"), ("Cyclosporin", "CSA"), ("CsA", "CSA"),
    ("methotrexate", "MTX"), ("intravenous immunoglobulin", "IVIG"), ("IVIg", "IVIG"),
    ("cyclophosphamide", "CYC"), ("mycophenolate mofetil", "MMF"), ("rituximab", "RTX"),
    ("hydroxychloroquine", "HCQ"), ("hydrochloroquine", "HCQ"), ("azathioprine", "AZA"),
    ("infliximab", "TNFi"), ("anti-TNF alpha", "TNFi"), ("tofacitinib", "JAKi"), ("plasmapheresis", "PLEX"),
    ("plasma exchange", "PLEX"), ("Abatacept", "abatacept"),
])
def test_drug_names_to_canonical_codes(name, code):
    assert canonical_drug(name) == code


@pytest.mark.parametrize("abstract, prior", [
    ("We present two patients with refractory JDM who had failed to respond to steroids and MTX.", "CS;MTX"),
    ("Her disease was refractory to prednisolone, methylprednisolone pulses, methotrexate and ciclosporin, "
     "so tacrolimus was started.", "CS;CSA;MTX"),
    ("Despite IVIG, hydroxychloroquine and cyclophosphamide, the rash persisted; tacrolimus was then added.",
     "CYC;HCQ;IVIG"),
    ("After failure of steroids and MTX, tacrolimus was started together with IVIG.", "CS;MTX"),
    ("A boy with steroid-resistant JDM was treated with tacrolimus.", "CS"),
    ("She had previously been treated with azathioprine and rituximab before tacrolimus.", "AZA;RTX"),
    ("Tacrolimus was given as first-line therapy together with prednisolone.", "none"),
    ("All three children were corticosteroid dependent and were treated with tacrolimus.", UNCLEAR),   # steroids before, not said to be a prior treatment
    ("Tacrolimus and prednisolone were given to three children.", NR),
    ("Oral steroids and IVIG proved ineffective. Tacrolimus was started.", "CS;IVIG"),
    ("Cyclosporine had failed, and tacrolimus was given.", "CSA"),
    ("He was given pulse methylprednisolone and rituximab, then tacrolimus was added.", "CS;RTX"),
    ("Her rash was recalcitrant to hydroxychloroquine; tacrolimus was started.", "HCQ"),
    ("Despite prednisone, MTX, colchicine and tacrolimus, calcinosis progressed.", UNCLEAR),   # given with tacrolimus or before it?
    ("After failure of prednisone and MTX, tacrolimus and IVIG were given.", "CS;MTX"),
])
def test_prior_treatments_only_when_the_text_says_they_came_before(abstract, prior):
    assert values(abstract)["prior_treatments"] == prior


@pytest.mark.parametrize("abstract, route", [
    ("We analysed the response to oral tacrolimus in severe JDM.", "oral"),
    ("Tacrolimus was administered orally at 0.1 mg/kg/day.", "oral"),
    ("Intravenous tacrolimus was given for two weeks, followed by oral tacrolimus.", "intravenous; oral"),
    ("FK506 was given intravenously.", "intravenous"),
    ("She received tacrolimus and oral prednisolone.", NR),
    ("Three children were treated with tacrolimus.", NR),
])
def test_route_attached_to_tacrolimus_only(abstract, route):
    assert values(abstract)["tacrolimus_route"] == route


@pytest.mark.parametrize("abstract, dose", [
    ("Tacrolimus was added at the dose of 0.1 mg/kg/day in two divided doses.", "0.1 mg/kg/day"),
    ("Tacrolimus 0.05 mg/kg twice daily was started.", "0.1 mg/kg/day"),
    ("Prednisolone 1 mg/kg/day and tacrolimus 0.1 mg/kg/d were given.", "0.1 mg/kg/day"),
    ("She received 0.06-0.1 mg/kg per day of tacrolimus.", "0.06-0.1 mg/kg/day"),
    ("Tacrolimus was started at 0.1 mg kg-1 day-1.", "0.1 mg/kg/day"),
    ("Oral tacrolimus was introduced (target serum level 10 µg/l, therapeutic range 5–15 µg/l).",
     "trough 5-15 ng/mL"),
    ("Tacrolimus trough levels were kept at 5-10 ng/ml.", "trough 5-10 ng/mL"),
    ("Tacrolimus target trough 8 mcg/L.", "trough 8 ng/mL"),
    ("Tacrolimus 0.075 mg/kg/day was adjusted to trough levels between 5 and 10 ug/L.",
     "0.075 mg/kg/day; trough 5-10 ng/mL"),
    ("Tacrolimus was given. Cyclosporine trough levels had been 100-150 ng/mL.", NR),
    ("Tacrolimus was given. Patients with tacrolimus levels above 6 ng/mL responded better.", NR),
    ("Tacrolimus was given. A tacrolimus trough of 5-10 ng/mL should be targeted.", NR),
    ("Prednisolone was given at 2 mg/kg/day with tacrolimus.", NR),
])
def test_doses_in_mg_per_kg_per_day_and_troughs_in_ng_per_ml(abstract, dose):
    assert values(abstract)["tacrolimus_dose"] == dose


@pytest.mark.parametrize("abstract, months", [
    ("Patients were followed up for 7 to 9 months after the introduction of tacrolimus.", "7-9"),
    ("At the end of the follow-up period (12 months) all patients had improved.", "12"),
    ("After a follow-up of 2 years, tacrolimus was still effective.", "24"),
    ("Patients were followed for 1-2 years on tacrolimus.", "12-24"),
    ("Skin improved during a 16-week follow-up on tacrolimus.", "3.7"),
    ("Patients were followed up for a mean ± SD of 48 ± 30 months.", "48"),
    ("At the last follow-up, 18 months after the initiation of tacrolimus, the score was 70/100.", "18"),
    ("After 6 months of tacrolimus treatment, the rash had cleared.", "6"),
    ("Children were followed for 12 months before the start of tacrolimus.", UNCLEAR),   # speaks of follow-up
    ("Patients were followed up; mean disease duration was 6.8 years.", UNCLEAR),         # not a follow-up
    ("Patients were followed at our clinic, aged 15 years at last visit.", UNCLEAR),
    ("Disease duration was 0.16-11 years.", NR),
    ("Tacrolimus was started. Mean follow-up was 30 months (range, 6-48).", "6-48"),
    ("Tacrolimus was started. Follow-up was 3 years in case 1 and 10 months in case 2.", "10-36"),
    ("Tacrolimus was started. At 6 months, the rash had improved. At 18 months, CMAS was normal.", "18"),
    ("Tacrolimus was started. Within 6 weeks the rash improved.", NR),
])
def test_follow_up_in_months(abstract, months):
    assert values(abstract)["followup_months"] == months


# --------------------------------------------------------------------------- outcomes

@pytest.mark.parametrize("abstract, skin, muscle", [
    ("Tacrolimus was started. There was no improvement of muscle strength.", NR, "no change"),
    ("Tacrolimus was started. However, none of the patients showed recovery of muscle strength.", NR, "no change"),
    ("Tacrolimus was started. Muscle strength did not improve.", NR, "no change"),
    ("After tacrolimus the skin lesions resolved completely.", "resolved", NR),
    ("After tacrolimus the rash improved but muscle weakness persisted.", "improved", "no change"),
    ("On tacrolimus, muscle strength decreased and the rash worsened.", "worsened", "worsened"),
    ("On tacrolimus, muscle weakness decreased.", NR, "improved"),
    ("Tacrolimus was added. Muscle enzymes normalized, but muscle strength did not improve.", NR, "no change"),
    ("Tacrolimus was added. Muscle enzymes normalized.", NR, "improved"),
    ("With tacrolimus, skin abnormalities resolved completely in two children and improved in the third.",
     "improved", NR),
    ("With tacrolimus the skin improved greatly but did not resolve completely.", "improved", NR),
    ("There was a significant improvement at both, muscular and cutaneous level in all patients on tacrolimus.",
     "improved", "improved"),
    ("Muscle strength normalised in all three patients after 1 year of tacrolimus.", NR, "resolved"),
    ("Tacrolimus was started. No worsening of the rash was seen.", NR, NR),
    ("A girl was treated with tacrolimus. Her lung disease improved and the rash resolved.", "resolved", NR),
    ("Tacrolimus was given. The skin ulcers healed.", "resolved", NR),
    ("Tacrolimus was given. The skin disease activity score fell from 20 to 4.", "improved", NR),
    ("Tacrolimus was given. Muscle strength normalised in 3 of 5 patients.", NR, "improved"),
    ("Tacrolimus was given. Muscle: CMAS improved in 4/6.", NR, "improved"),
    ("Because the rash persisted, tacrolimus was added; the rash then cleared.", "resolved", NR),
])
def test_outcomes_with_negation(abstract, skin, muscle):
    got = values(abstract)
    assert (got["skin_outcome"], got["muscle_outcome"]) == (skin, muscle)


def test_results_outrank_the_title():
    got = values("Tacrolimus was given. The skin ulcers healed.", title="Skin ulcers responding to tacrolimus")
    assert got["skin_outcome"] == "resolved"


def test_baseline_and_earlier_treatment_sentences_are_not_outcomes():
    got = values("A girl had persistent rash and weakness despite steroids and MTX. Her rash did not improve "
                 "with IVIG. Tacrolimus was then started.")
    assert (got["skin_outcome"], got["muscle_outcome"], got["steroid_sparing"]) == (NR, NR, NR)


def test_clinical_statements_outrank_laboratory_ones_and_results_outrank_conclusions():
    got = values("RESULTS: After tacrolimus, CK normalised and muscle strength was unchanged. "
                 "CONCLUSIONS: Tacrolimus improves muscle disease.")
    assert got["muscle_outcome"] == "no change"


@pytest.mark.parametrize("abstract, sparing", [
    ("Tacrolimus was started, and corticosteroid treatment could be tapered.", "yes"),
    ("Tapering of the daily corticosteroids dose was also possible after tacrolimus.", "yes"),
    ("On tacrolimus, steroids were discontinued in two children.", "yes"),
    ("Tacrolimus was started but prednisolone could not be tapered.", "no"),
    ("Tacrolimus was started; prednisolone was tapered without relapse.", "yes"),
    ("Tacrolimus was started and the steroid dose halved.", "yes"),
    ("On tacrolimus, the steroid dose had to be increased.", "no"),
    ("She relapsed during steroid tapering, so tacrolimus was started.", NR),
    ("Three children were treated with tacrolimus.", NR),
], ids=["tapered", "tapering-possible", "discontinued", "negated", "without-relapse", "halved", "increased",
        "relapse-before", "silent"])
def test_steroid_sparing(abstract, sparing):
    assert values(abstract)["steroid_sparing"] == sparing


def test_steroid_sparing_from_a_title():
    got = values("", title="Steroid-sparing effect of tacrolimus in a patient with juvenile dermatomyositis")
    assert (got["steroid_sparing"], got["n_patients"], got["design"]) == ("yes", "1", "case report")


@pytest.mark.parametrize("abstract, events", [
    ("Tacrolimus was given. No adverse effects were seen.", "none"),
    ("Tacrolimus was given. Side effects were not observed.", "none"),
    ("Tacrolimus was well tolerated without any side effects.", "none"),
    ("On tacrolimus, one patient developed hypertension and another had tremor.", "hypertension; tremor"),
    ("Tacrolimus was given. No serious adverse events occurred; one patient had mild hypertension "
     "as an adverse event.", "hypertension"),
    ("Tacrolimus can cause nephrotoxicity and hypertension.", NR),
    ("Tacrolimus was well tolerated.", NR),
    ("Tacrolimus was given. Adverse events were not reported.", NR),
    ("Tacrolimus was given. No serious adverse events occurred.", UNCLEAR),     # the others are left open
    ("Tacrolimus was given. Adverse effects were mild and transient.", UNCLEAR),  # spoken of, none named
    ("Tacrolimus was given. Infections were more frequent with cyclophosphamide; two children on tacrolimus "
     "developed hypertension.", "hypertension"),
    ("Tacrolimus was stopped because of deranged liver tests.", "hepatotoxicity"),
    ("On tacrolimus, tremor and hypomagnesaemia were observed in one patient each.", "hypomagnesaemia; tremor"),
])
def test_adverse_events(abstract, events):
    assert values(abstract)["adverse_events"] == events


def test_study_label_from_first_author_and_year_never_guessed():
    assert values("", first_author="Hassan", year="2008")["study"] == "Hassan 2008"
    assert values("", first_author="", year="2006")["study"] == NR


def test_a_record_without_abstract_is_all_nr_but_what_the_title_says():
    got = values("", title="FK-506 in the treatment of unresponsive juvenile dermatomyositis",
                 first_author="Modesto", year="2003")
    assert got == {**{field: NR for field in FIELDS}, "study": "Modesto 2003"}


# --------------------------------------------------------------------------- abstracts unseen by the rules

UNSEEN = Path(__file__).parent / "data" / "unseen_extraction.tsv"
# Floors for the key fields on the unseen abstracts (bench/evaluate.py prints the per-field numbers, set made-up).
UNSEEN_FLOORS = {"n_patients": 0.95, "design": 0.9, "tacrolimus_route": 0.95, "skin_outcome": 0.85,
                 "muscle_outcome": 0.85, "steroid_sparing": 0.9}


def test_unseen_abstracts_never_get_invented_values_and_key_fields_reach_their_floors():
    cases = read_tsv(UNSEEN, required=["id", "title", "abstract", *FIELDS], allow_comments=True)
    assert len(cases) >= 25
    right = dict.fromkeys(FIELDS, 0)
    invented = []
    for case in cases:
        got = {field: finding.value for field, finding in extract_record(case).items()}
        for field in FIELDS:
            right[field] += got[field] == case[field]
            if case[field] == NR and got[field] not in (NR, UNCLEAR):    # unclear asserts nothing
                invented.append(f"{case['id']} {field}={got[field]!r}")
    accuracy = {field: right[field] / len(cases) for field in FIELDS}
    print("\n".join(f"{field:17} {right[field]}/{len(cases)} {accuracy[field]:.0%}" for field in FIELDS))
    assert invented == []
    assert {f: accuracy[f] for f in UNSEEN_FLOORS if accuracy[f] < UNSEEN_FLOORS[f]} == {}


# --------------------------------------------------------------------------- reviewer values

def record(record_id: str, abstract: str = "", pmid: str = "", **fields) -> dict:
    row = {column: "" for column in UNIQUE_COLUMNS}
    row.update(record_id=record_id, pmid=pmid, abstract=abstract, title="Tacrolimus in JDM", **fields)
    return row


RECORDS = [
    record("pmid:111", "We report three children treated with oral tacrolimus. No adverse effects were seen.",
           pmid="111", first_author="Doe", year="2020"),
    record("pmid:222", "Tacrolimus in adults.", pmid="222"),
    record("doi:10.1/x", "We describe a 9-year-old girl treated with tacrolimus."),
]
SCREENING = [{"record_id": "pmid:111", "decision": "include"}, {"record_id": "pmid:222", "decision": "exclude"},
             {"record_id": "doi:10.1/x", "decision": "include"}]


def test_records_proposed_for_inclusion_get_rows_to_check_but_stay_out_of_table1():
    screening = [*SCREENING[:2], {"record_id": "doi:10.1/x", "decision": "needs_review", "leaning": "include"}]
    run = build_extraction(RECORDS, screening)
    statuses = {(r["record_id"], r["status"]) for r in run.rows}
    assert statuses == {("pmid:111", "included"), ("doi:10.1/x", "proposed")}
    assert [s.record_id for s in build_studies(run.rows)] == ["pmid:111"]
    not_leaning = [*SCREENING[:2], {"record_id": "doi:10.1/x", "decision": "needs_review", "leaning": ""}]
    assert {r["record_id"] for r in build_extraction(RECORDS, not_leaning).rows} == {"pmid:111"}


def write_values(tmp_path: Path, body: str) -> Path:
    """The body's rows in per-reviewer files (values/<reviewer>.tsv, by the reviewer column); the folder."""
    folder = tmp_path / "values"
    folder.mkdir(exist_ok=True)
    by_reviewer: dict[str, list[str]] = {}
    for line in body.splitlines(keepends=True):
        by_reviewer.setdefault(line.split("\t")[3] or "AB", []).append(line)
    for reviewer, lines in by_reviewer.items():
        (folder / f"{reviewer}.tsv").write_text("# reviewer values\n" + REVIEWER_HEADER + "".join(lines),
                                               encoding="utf-8")
    return folder


def test_rows_for_included_records_in_record_then_field_order():
    run = build_extraction(RECORDS, SCREENING)
    assert [(r["record_id"], r["field"]) for r in run.rows] == [
        (record_id, field) for record_id in ("pmid:111", "doi:10.1/x") for field in FIELDS]
    first = {r["field"]: r for r in run.rows if r["record_id"] == "pmid:111"}
    assert first["n_patients"] == {"record_id": "pmid:111", "pmid": "111", "status": "included",
                                   "field": "n_patients", "value": "3",
                                   "evidence": RECORDS[0]["abstract"].split(" No")[0], "source": "abstract",
                                   "reviewer": ""}
    assert first["age_min"]["value"] == NR and first["age_min"]["evidence"] == ""


def test_reviewer_values_replace_machine_values_with_their_note(tmp_path):
    path = write_values(tmp_path, "111\tn_patients\t4\tAB\tfull text\tcases 1-4 in the paper\n"
                                  "doi:10.1/x\tprior_treatments\tMTX; CS\tAB\tfull text\tcase 1\n")
    run = build_extraction(RECORDS, SCREENING, read_reviewer_values(path, RECORDS))
    rows = {(r["record_id"], r["field"]): r for r in run.rows}
    assert rows[("pmid:111", "n_patients")] | {} == {
        "record_id": "pmid:111", "pmid": "111", "status": "included", "field": "n_patients", "value": "4",
        "evidence": "cases 1-4 in the paper", "source": "full text", "reviewer": "AB"}
    assert rows[("doi:10.1/x", "prior_treatments")]["value"] == "CS;MTX"
    assert rows[("pmid:111", "design")]["reviewer"] == ""
    assert run.overridden == 2 and not run.conflicts


def test_agreeing_reviewers_are_listed_together(tmp_path):
    path = write_values(tmp_path, "111\tskin_outcome\timproved\tCD\tfull text\tcase 2\n"
                                  "111\tskin_outcome\timproved\tAB\tabstract\tabstract sentence 3\n")
    run = build_extraction(RECORDS, SCREENING, read_reviewer_values(path, RECORDS))
    row = next(r for r in run.rows if r["field"] == "skin_outcome" and r["record_id"] == "pmid:111")
    assert (row["value"], row["reviewer"], row["source"]) == ("improved", "AB; CD", "full text")
    assert row["evidence"] == "abstract sentence 3 | case 2"


def test_disagreeing_reviewers_are_a_conflict_and_the_machine_value_stays_unverified(tmp_path):
    path = write_values(tmp_path, "111\tn_patients\t4\tAB\tfull text\t\n111\tn_patients\t5\tCD\tfull text\t\n")
    run = build_extraction(RECORDS, SCREENING, read_reviewer_values(path, RECORDS))
    row = next(r for r in run.rows if r["field"] == "n_patients" and r["record_id"] == "pmid:111")
    assert (row["value"], row["reviewer"], row["source"]) == ("3", "", "abstract")
    assert row["evidence"].startswith("reviewer conflict (AB: 4; CD: 5)")
    assert run.conflicts == ["pmid:111 n_patients: AB: 4; CD: 5"]


def test_values_for_a_record_not_included_are_reported_not_applied(tmp_path):
    path = write_values(tmp_path, "222\tn_patients\t4\tAB\tfull text\t\n")
    run = build_extraction(RECORDS, SCREENING, read_reviewer_values(path, RECORDS))
    assert run.not_applied == ["pmid:222: 1 reviewer value(s) wait until the record is included "
                               "(screening decision: exclude)"]
    assert all(r["record_id"] != "pmid:222" for r in run.rows)


@pytest.mark.parametrize("line, field, expected", [
    ("999\tn_patients\t4\tAB\tfull text\t", "pmid", "unknown PMID or record id"),
    ("111\tpatients\t4\tAB\tfull text\t", "field", "expected one of: study, design"),
    ("111\tdesign\tcase-series\tAB\tfull text\t", "value", "expected one of case report, case series"),
    ("111\tskin_outcome\tbetter\tAB\tfull text\t", "value", "resolved, improved, no change, worsened, NR"),
    ("111\tprior_treatments\tmethotrexate;CS\tAB\tfull text\t", "value", "canonical code MTX"),
    ("111\tprior_treatments\tCs\tAB\tfull text\t", "value", "codes as written"),
    ("111\tn_patients\tthree\tAB\tfull text\t", "value", "whole number"),
    ("111\tfollowup_months\t7 to 9\tAB\tfull text\t", "value", "e.g. 12 or 7-9"),
    ("111\tn_patients\t3\t\tfull text\t", "reviewer", "empty"),
    ("111\tn_patients\t3\tAB\tpaper\t", "source", "abstract, full text, reviewer"),
])
def test_bad_reviewer_rows_name_file_line_and_field(tmp_path, line, field, expected):
    path = write_values(tmp_path, "111\tdesign\tcase series\tAB\tfull text\tok\n" + line + "\n")
    with pytest.raises(InputError) as error:
        read_reviewer_values(path, RECORDS)
    assert (error.value.path, error.value.line, error.value.field) == (str(path / "AB.tsv"), 4, field)
    assert expected in str(error.value)


def test_a_later_value_replaces_the_reviewers_earlier_one(tmp_path):
    path = write_values(tmp_path, "111\tdesign\tcase series\tAB\tfull text\t\n"
                                  "pmid:111\tdesign\tcohort\tAB\tfull text\tcorrected\n")
    assert [(v["record_id"], v["value"], v["_line"]) for v in read_reviewer_values(path, RECORDS)] == [
        ("pmid:111", "cohort", 4)]


def test_a_value_in_another_reviewers_file_is_an_error(tmp_path):
    path = write_values(tmp_path, "111\tdesign\tcase series\tAB\tfull text\t\n")
    (path / "CD.tsv").write_text(REVIEWER_HEADER + "111\tdesign\tcohort\tAB\tfull text\t\n")
    with pytest.raises(InputError, match=r"CD\.tsv, line 2, field 'reviewer': 'AB' in CD's file"):
        read_reviewer_values(path, RECORDS)


# --------------------------------------------------------------------------- the shipped reviewer values

@pytest.fixture(scope="module")
def bundled_unique_records(repo):
    pubmed = collect_records(resolve_inputs("resources/snapshot/*.xml", base=repo))
    others = read_ris(repo / "resources/other_sources/other-sources.ris") + \
        read_ris(repo / "tests/fixtures/review/config/other_sources/reviewer-added.ris")
    return deduplicate(pubmed, others)[0]


def test_shipped_reviewer_values_are_valid_and_agree_with_the_full_text_gold(repo, shared, bundled_unique_records):
    values_path = repo / "tests/fixtures/review/config/extraction/values"
    checked = read_reviewer_values(values_path, bundled_unique_records)
    gold = [row for row in read_tsv(shared / "gold/extraction.tsv") if row["level"] == "full text"]
    given = {(v["record_id"], v["field"]): v for v in checked}
    for row in gold:
        for field in FIELDS:
            value = given[(row["record"], field)]
            assert (value["value"], value["source"]) == (row[field], "full text"), (row["record"], field)
    assert given[("pmid:17169297", "study")]["value"] == "Martin Nalda 2006"
    for record_id in ("ris:yamada-2004", "ris:modesto-2003"):
        assert {v["field"] for v in checked if v["record_id"] == record_id} == set(FIELDS)
        assert all(v["source"] == "reviewer" and "seed" in v["note"] for v in checked if v["record_id"] == record_id)


# --------------------------------------------------------------------------- speed that changes nothing

def test_keyed_patterns_find_exactly_what_their_expressions_find(snapshot_records, repo):
    """Every rule's expression is tried only on text holding one of its key words: on real sentences,
    their clauses and windows, and on letters case-insensitive matching folds oddly, the keyed
    search finds what the bare expression finds."""
    from lsr import extraction, text as text_layer
    from lsr.keyed import Keyed
    corpus = collect_records([repo / "tests/data/corpus/records.xml"])
    texts = [s.text for r in [*snapshot_records, *corpus] for s in record_sentences(r["title"], r["abstract"])]
    texts += [piece for text in texts for piece in (*text.split(";"), *text.split(","), text[:40], text[-40:])]
    texts = list(dict.fromkeys(texts))  # each text once: a sentence without ';' or ',' is also its own piece
    texts += ["Two G\u0130RLS and a boy", "\u017feven patients were \u0131ncluded", "FK506 (n = 7)",
              "19 F, 7 M were treated", "a 13-year-old g\u0131rl", "TAC 0.1 mg/kg/day; trough 5-10 ng/mL"]
    patterns = [p for module in (extraction, text_layer) for p in vars(module).values() if isinstance(p, Keyed)]
    patterns += [p for p, *_ in [*extraction._SKIN_TERMS, *extraction._MUSCLE_TERMS, *extraction._OUTCOME_TRIGGERS]]
    patterns += [*extraction._AE_TERMS_RE.values(), *(p for _, p in extraction._DESIGN_WORDING)]
    assert sum(bool(p.keys) for p in patterns) > 40
    for pattern in patterns:
        for text in texts:
            assert [m.span() for m in pattern.finditer(text)] == [m.span() for m in pattern.regex.finditer(text)], \
                (pattern.pattern[:60], text)


def test_drug_mentions_read_once_are_the_text_layers(snapshot_records, repo):
    """Extraction finds each sentence's drugs once, on its memoised scan; they are the mentions the
    text layer's Lexicon.find gives on its tokens."""
    from lsr import extraction
    from lsr.text import tokenize
    corpus = collect_records([repo / "tests/data/corpus/records.xml"])
    texts = [s.text for r in [*snapshot_records, *corpus] for s in record_sentences(r["title"], r["abstract"])]
    texts += [clause for text in texts for clause in extraction._clauses(text)]
    for text in texts:
        tokens = tokenize(text)
        assert extraction.drug_mentions(text) == tuple(
            (tokens[first].start, tokens[last].end, code) for code, first, last in extraction._DRUGS.find(tokens))


def test_modifier_scopes_asked_only_of_text_with_a_cue_are_the_text_layers(snapshot_records, repo):
    """_modified skips the scope of a category the text holds no cue of: on every word of real
    sentences and clauses it answers what ModifierLexicon.modifies answers."""
    from lsr import extraction
    from lsr.text import scan
    corpus = collect_records([repo / "tests/data/corpus/records.xml"])
    texts = [s.text for r in [*snapshot_records, *corpus] for s in record_sentences(r["title"], r["abstract"])]
    texts += [clause for text in texts for clause in extraction._clauses(text)]
    asked = 0
    for text in texts:
        _, _, starts, ends = scan(text)
        for start, end in zip(starts, ends):
            for category, windows in (("negated", extraction._OUTCOME_NEGATION_WINDOW), ("uncertain", None)):
                expected = extraction._MODIFIERS.modifies(text, start, end, category, windows)
                assert extraction._modified(text, start, end, category, windows) == expected, (text, start, category)
                asked += expected
    assert asked > 100


def test_sentences_failing_a_key_word_test_have_no_part_the_patterns_match(snapshot_records, repo):
    """Outcome and steroid statements skip a sentence without the key words of the skin and muscle
    terms (or of the steroid names), the dose its troughs without a level cue's, the route a sentence
    without a route word's, adverse events a sentence without their statements': no part of such a
    sentence matches one of their expressions."""
    from lsr import extraction
    corpus = collect_records([repo / "tests/data/corpus/records.xml"])
    texts = [extraction._outcome_text(s.text) for r in [*snapshot_records, *corpus]
             for s in record_sentences(r["title"], r["abstract"])]
    texts += ["The \u017fkin cleared; MMT-8 rose", "RASH resolved but weakne\u017fs persisted", "PSL was tapered",
              "Prednisolone: stopped", "CK normali\u017fed", "Tacrolimus was well tolerated",
              "Trough \u0130evels of 5-10 ng/mL", "trough 5-10 ng/mL", "\u0130.V. tacrolimus", "P.O. FK506",
              "No \u0130nfections; \u017feizures were \u017feen", "Side effects: none"]
    tests = [(extraction._MAY_NAME_DOMAIN, [p for p, *_ in [*extraction._SKIN_TERMS, *extraction._MUSCLE_TERMS]]),
             (extraction._MAY_NAME_STEROID, [extraction._STEROID_RE]),
             (extraction._MAY_NAME_DESIGN, [p for _, p in extraction._DESIGN_WORDING])]
    skipped = 0
    for text in texts:
        for may_name, patterns in tests:
            if not may_name(text):
                skipped += 1
                assert not any(p.regex.search(c) for c in extraction._CLAUSE_SPLIT_RE.regex.split(text)
                               for p in patterns), text
        # The dose's troughs (a level cue in the 60 characters before) and the route (a route word).
        if not extraction._LEVEL_CUE_RE.may_match(text):
            skipped += 1
            assert not any(extraction._LEVEL_CUE_RE.regex.search(text[max(0, m.start() - 60):m.start()])
                           for m in extraction._LEVEL_RE.regex.finditer(text)), text
        if not extraction._MAY_STATE_EVENTS(text):
            skipped += 1
            assert not any(p.regex.search(text) for p in (extraction._AE_NONE_RE, extraction._AE_CUE_RE)), text
            assert not any(extraction._AE_EVENT_RE.regex.search(clause) for clause in text.split(";")), text
        if not extraction._ROUTE_AFTER_RE.may_match(text):
            skipped += 1
            assert not extraction._ROUTE_BEFORE_RE.regex.search(text), text
    assert skipped > 3 * len(texts)


def test_extraction_rows_are_the_same_whatever_the_batch_size(snapshot_records, monkeypatch):
    from lsr import extraction
    screening = [{"record_id": r["record_id"], "decision": "include"} for r in snapshot_records]
    whole = build_extraction(snapshot_records, screening).rows
    monkeypatch.setattr(extraction, "BATCH_SIZE", 4)
    assert build_extraction(snapshot_records, screening).rows == whole
    assert len(whole) == len(snapshot_records) * len(FIELDS)


# --------------------------------------------------------------------------- the command a user runs

def test_lsr_extract_cli_writes_the_table_and_never_touches_reviewer_values(tmp_path, snapshot_records):
    records_path = tmp_path / "unique_records.tsv"
    write_tsv(records_path, snapshot_records, UNIQUE_COLUMNS)
    screening_path = tmp_path / "screening.tsv"
    included = {"pmid:17169297", "pmid:18716733"}
    write_tsv(screening_path, [{"record_id": r["record_id"], "pmid": r["pmid"],
                                "decision": "include" if r["record_id"] in included else "exclude"}
                               for r in snapshot_records], ["record_id", "pmid", "decision"])
    values_path = write_values(tmp_path, "17169297\tstudy\tMartin Nalda 2006\tseed-review\treviewer\tseeds\n"
                                         "17169297\tage_min\t3\tAB\tfull text\t\n"
                                         "17169297\tage_min\t4\tCD\tfull text\t\n")
    files = sorted(values_path.iterdir())
    before = [(f.read_bytes(), f.stat().st_mtime_ns) for f in files]
    out = tmp_path / "results" / "extraction.tsv"
    command = [sys.executable, "-m", "lsr", "extract", "--records", str(records_path), "--screening",
               str(screening_path), "--reviewer-values", str(values_path), "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "2 included and 0 proposed record(s), 30 values (1 from reviewers" in result.stdout
    assert "CONFLICT pmid:17169297 age_min: AB: 3; CD: 4" in result.stdout
    rows = read_tsv(out, required=COLUMNS)
    assert [r["field"] for r in rows[:15]] == FIELDS and rows[0]["record_id"] == "pmid:17169297"
    assert (rows[0]["value"], rows[0]["source"], rows[0]["reviewer"]) == ("Martin Nalda 2006", "reviewer",
                                                                          "seed-review")
    assert out.read_text().splitlines()[0] == "\t".join(COLUMNS)
    first = hashlib.sha256(out.read_bytes()).hexdigest()
    lsr_in_process(*command[3:]).check_returncode()  # again, in this process (another hash seed)
    assert hashlib.sha256(out.read_bytes()).hexdigest() == first
    assert [(f.read_bytes(), f.stat().st_mtime_ns) for f in sorted(values_path.iterdir())] == before


def test_lsr_extract_cli_reports_a_bad_reviewer_file_and_writes_nothing(tmp_path):
    records_path = tmp_path / "unique_records.tsv"
    write_tsv(records_path, RECORDS, UNIQUE_COLUMNS)
    screening_path = tmp_path / "screening.tsv"
    screening_path.write_text(format_tsv(SCREENING, ["record_id", "decision"]))
    values_path = write_values(tmp_path, "111\tdesign\tRCT\tAB\tfull text\t\n")
    out = tmp_path / "extraction.tsv"
    result = lsr_in_process("extract", "--records", records_path, "--screening", screening_path,
                            "--reviewer-values", values_path, "--out", out)
    assert result.returncode == 2
    assert f"{values_path / 'AB.tsv'}, line 3, field 'value': 'RCT' is not allowed for design" in result.stderr
    assert not out.exists()


def test_pipeline_run_publishes_extraction_for_every_included_record(bundled_run):
    rows = read_tsv(bundled_run / "results/extraction.tsv", required=COLUMNS)
    screening = read_tsv(bundled_run / "results/screening.tsv")
    extracted = [(row["record_id"], "included" if row["decision"] == "include" else "proposed") for row in screening
                 if row["decision"] == "include" or row["decision"] == "needs_review" and row["leaning"] == "include"]
    assert [(r["record_id"], r["status"], r["field"]) for r in rows] == [(i, s, f) for i, s in extracted for f in FIELDS]
    hassan = [r for r in rows if r["record_id"] == "pmid:18716733"]
    assert hassan and all((r["source"], r["reviewer"]) == ("full text", "seed-review") for r in hassan)
    assert "extraction:" in (bundled_run / "results/logs/extract.log").read_text()


@pytest.mark.parametrize("abstract, field", [
    ("Tacrolimus was started. The rash improved in two children and worsened in two.", "skin_outcome"),
    ("Tacrolimus was started. Muscle strength improved in two children; muscle weakness worsened in two others.",
     "muscle_outcome"),
    ("Tacrolimus was started. Prednisolone was tapered in one child and increased in another.", "steroid_sparing"),
])
def test_statements_that_contradict_each_other_leave_the_field_to_a_reviewer(abstract, field):
    findings = extract_record({"title": "Tacrolimus in juvenile dermatomyositis", "abstract": abstract})
    assert findings[field].value == UNCLEAR and findings[field].evidence


def test_every_table1_field_has_one_extractor():
    from lsr.extraction import EXTRACTORS
    assert list(EXTRACTORS) == FIELDS


def test_a_protocol_reports_no_values_of_patients():
    got = values("Forty children with JDM will be randomised to oral tacrolimus 0.1 mg/kg/day or cyclophosphamide. "
                 "Patients will be followed for 12 months.", title="Tacrolimus in JDM: protocol of a randomised trial")
    assert (got["n_patients"], got["tacrolimus_dose"], got["followup_months"]) == (NR, NR, NR)


def test_an_age_or_onset_is_not_read_as_follow_up_or_as_the_age_at_tacrolimus():
    got = values("JDM was diagnosed at the age of 10 years. At 13 years of age, oral tacrolimus was started.")
    assert (got["age_min"], got["age_max"], got["followup_months"]) == ("13", "13", NR)   # the age at its start
    got = values("JDM was diagnosed at the age of 10 years. At 13 years, the rash worsened on tacrolimus.")
    assert (got["age_min"], got["age_max"]) == (UNCLEAR, UNCLEAR)   # 'at 13 years': an age or a time point
    assert values("At 15 years of age, she started tacrolimus; the rash improved.")["followup_months"] == NR


def test_a_fall_in_the_steroid_dose_is_not_a_fall_in_the_muscle_score():
    got = values("Tacrolimus was started. The CMAS was 30/52 at 3 months and the prednisolone dose was reduced.")
    assert got["muscle_outcome"] != "worsened"
    got = values("Tacrolimus was started. Muscle strength improved and the prednisolone dose was reduced.")
    assert (got["muscle_outcome"], got["steroid_sparing"]) == ("improved", "yes")


def test_monitoring_for_possible_adverse_events_reports_none():
    got = values("Tacrolimus was started. Possible adverse events were monitored by blood pressure and creatinine.")
    assert got["adverse_events"] == NR
