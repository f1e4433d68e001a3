"""Full texts: the JATS, text and PDF readers, the case splitter and aggregation, supplied papers,
PubMed Central retrieval on the fake NCBI server, and Table 1 read from the seed papers."""
from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from conftest import lsr_in_process, run_snakemake
from lsr import fulltext, papers
from lsr.extraction import paper_findings
from lsr.fields import NR, UNCLEAR
from lsr.papers import Document, iter_jats_articles, read_document, split_cases, text_document
from lsr.ncbi import NcbiSettings, RetrievalError
from lsr.tsv import InputError
from ncbi_server import FakeEutils

PMC_FILES = ["1471-2180-11-174.nxml", "1472-6831-8-11.nxml", "6605965a.nxml", "ehp-116-1694.nxml",
             "mds526.nxml", "pntd.0002065.nxml", "pone.0000217.nxml", "pone.0046493.nxml"]
SEEDS = {"18716733": "hassan-2008-clin-rheumatol.txt", "doi:10.4103/injr.injr_128_20": "rao-2020-indian-j-rheumatol.txt"}
TABLE_FIELDS = ["design", "n_patients", "age_min", "age_max", "sex_m", "sex_f", "prior_treatments",
                "tacrolimus_route", "tacrolimus_dose", "followup_months", "skin_outcome", "muscle_outcome",
                "steroid_sparing", "adverse_events"]
_XML = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)


# --------------------------------------------------------------------------- JATS


def _non_space(text: str) -> Counter:
    return Counter(c for c in text if not c.isspace())


@pytest.mark.parametrize("name", PMC_FILES)
def test_real_pmc_articles_parse_into_sections_without_losing_text(shared, name):
    path = shared / "ncbi" / "pmc" / name
    tree = etree.parse(str(path), _XML)
    article = tree.getroot()
    for identifier in list(article.iter("object-id")):  # identifiers of figures (DOIs), not text
        identifier.getparent().remove(identifier)
    parts = [article.find("body"), *article.findall("front/article-meta/abstract"), article.find("floats-group")]
    plain = "".join("".join(part.itertext()) for part in parts if part is not None)
    [(ids, document)] = list(iter_jats_articles(str(path), name))

    got = _non_space(" ".join(block.text for block in document.blocks))
    got["|"] -= sum(len(block.cells) - 1 for block in document.blocks if block.kind == "table_row")
    assert not _non_space(plain) - got, "every character of body, abstract and floats is in a block"
    # ... once; an author-year citation gains its reference's number ('Lee 2015[4]')
    author_year = [x for part in parts if part is not None for x in part.iter("xref") if x.get("ref-type") == "bibr"
                   and not re.fullmatch(r"[\[(]?\d+(?:\s*[–\-,]\s*\d+)*[\])]?", "".join(x.itertext()).strip())]
    added = got - _non_space(plain)
    assert set(added) <= set("[]0123456789") and added["["] == added["]"] == len(author_year)
    glued, blocks, split = body_words(article)
    assert glued <= blocks <= split, "body words: plain itertext() glued <= the blocks' <= split at every tag"
    assert ids["pmc"].isdigit()
    assert len({b.section for b in document.blocks if b.kind == "heading"}) >= 3
    assert sum(b.kind == "paragraph" for b in document.blocks) >= 10
    tables, figures = article.findall(".//table-wrap"), article.findall(".//fig")
    assert sum(b.kind == "caption" for b in document.blocks) >= len([t for t in tables + figures
                                                                     if t.find("caption") is not None])
    if tables:
        assert any(b.kind == "table_row" and " | " in b.text for b in document.blocks)
    # references and acknowledgements are never read
    own = " ".join(b.text for b in document.own_blocks())
    for title in article.findall("back/ref-list/ref//article-title")[:5]:
        text = " ".join("".join(title.itertext()).split())
        if len(text) > 30:
            assert text not in own
    for ack in article.findall("back/ack"):
        assert " ".join("".join(ack.itertext()).split())[:60] not in own
    assert not split_cases(document), "no case invented in a paper that describes none"


def body_words(article) -> tuple[int, int, int]:
    """Words of <body>: plain itertext() glued, the parser's blocks of the body alone, itertext()
    split at every element boundary."""
    body = article.find("body")
    glued = len("".join(body.itertext()).split())
    split = len(" ".join(body.itertext()).split())
    body_only = etree.Element("article")
    body_only.append(etree.fromstring(etree.tostring(body)))
    blocks = sum(sum(len(cell.split()) for cell in b.cells) if b.cells else len(b.text.split())
                 for b in papers.jats_document(body_only).blocks)
    return glued, blocks, split


def test_efetch_pmc_answer_is_one_article(shared):
    [(ids, document)] = list(iter_jats_articles(str(shared / "ncbi" / "efetch_pmc.xml"), "efetch"))
    assert ids["pmc"] == "8435807" and ids["pmid"] == "34527728"
    assert document.title.startswith("\u201cLung diffusing capacity")
    assert document.blocks and all(b.text for b in document.blocks)


def test_back_matter_sections_are_kept_out_of_extraction():
    article = etree.fromstring(
        "<article><front><article-meta><title-group><article-title>T</article-title></title-group>"
        "</article-meta></front><body><sec><title>Case presentation</title><p>A 9-year-old girl was treated with "
        "oral tacrolimus.</p></sec><sec><title>Competing interests</title><p>None declared.</p></sec></body>"
        "<back><ack><p>We thank the nurses.</p></ack><ref-list><ref><mixed-citation>Smith 2001</mixed-citation>"
        "</ref></ref-list></back></article>")
    document = papers.jats_document(article)
    text = " ".join(b.text for b in document.blocks)
    assert "None declared." in text and "nurses" not in text and "Smith" not in text
    assert "None declared." not in " ".join(b.text for b in document.own_blocks())


# --------------------------------------------------------------------------- cases and aggregation


def _values(record: dict, document: Document) -> dict[str, str]:
    return {name: value for name, (value, _) in paper_findings(record, document).items()}


RECORD = {"title": "Tacrolimus in juvenile dermatomyositis", "first_author": "Doe", "year": "2024",
          "publication_types": "Journal Article"}


def test_inline_patient_labels_three_cases_aggregate_with_stated_rules():
    text = """# Tacrolimus in three children with juvenile dermatomyositis

Abstract

We describe three children with refractory juvenile dermatomyositis treated with oral tacrolimus.

Patients

Patient 1: A 5-year-old girl had been treated with prednisolone and methotrexate. Oral tacrolimus was
started at 0.1 mg/kg/day. After 12 months of follow-up her rash had resolved and her muscle strength was normal.

Patient 2: A 12-year-old boy had received prednisolone, IVIG and cyclophosphamide. Oral tacrolimus was added.
After 6 months of follow-up his rash had improved.

Patient 3: A 9-year-old girl had received prednisolone and rituximab. Oral tacrolimus was started.
She was followed up for 24 months; her skin lesions improved.

Discussion

Tacrolimus helped all three children.
"""
    document = text_document(text)
    cases = split_cases(document)
    assert [c.label for c in cases] == ["Patient 1", "Patient 2", "Patient 3"]
    findings = paper_findings(RECORD, document)
    values = {name: value for name, (value, _) in findings.items()}
    assert values["n_patients"] == "3" and values["design"] == "case series"
    assert (values["age_min"], values["age_max"]) == ("5", "12")
    assert (values["sex_m"], values["sex_f"]) == ("1", "2")
    assert values["prior_treatments"] == "CS;CYC;IVIG;MTX;RTX"
    assert values["followup_months"] == "6-24"
    assert values["tacrolimus_route"] == "oral"
    assert findings["age_min"][1][0].startswith("rule: youngest and oldest")
    assert findings["prior_treatments"][1][0].startswith("rule: union")
    assert any(e.startswith("Patient 2 (Patients): CS;CYC;IVIG: A 12-year-old boy had received")
               for e in findings["prior_treatments"][1])
    assert any(e.startswith("Patient 3 (Patients): not stated") for e in findings["muscle_outcome"][1])


def test_patients_introduced_by_sentences_and_a_missing_age_is_unclear():
    text = """Case reports

A 7-year-old boy presented with rash and weakness despite prednisolone. Tacrolimus was started.
After 10 months of follow-up the rash had resolved.
The second patient, an 11-year-old girl, had failed methotrexate. Tacrolimus was given.
After 14 months of follow-up her rash had improved.
A girl with calcinosis had received IVIG. Tacrolimus was added and her rash improved.
"""
    document = text_document(text)
    cases = split_cases(document)
    assert len(cases) == 2, "a patient introduced without an age is no new case for the splitter"
    values = _values(RECORD, document)
    assert (values["age_min"], values["age_max"]) == ("7", "11")
    assert values["followup_months"] == "10-14"


@pytest.mark.parametrize("sentence, introduces", [
    ("A 7-year-old boy presented with rash.", True),
    ("Case 2: an eighteen-month-old girl had fever.", True),
    ("The second patient, an 11-year-old girl, had failed methotrexate.", True),
    ("One 8-year-old previously healthy boy was seen.", True),
    ("Her 40-year-old mother had psoriasis.", False),           # another person's age
    ("A 3-year history of rash preceded the diagnosis.", False),  # a duration, not an age
    ("We describe 11- and 8-year-old boys.", False),            # two patients, not one introduced
])
def test_a_sentence_introduces_a_patient_by_a_year_old_age(sentence, introduces):
    assert papers.introduces_patient(sentence) is introduces


def test_a_case_without_age_leaves_the_ages_unclear():
    text = """Case reports

Case 1

A 7-year-old boy was treated with prednisolone. Tacrolimus was started and his rash resolved.

Case 2

A girl was treated with methotrexate. Tacrolimus was started and her rash improved.
"""
    values = _values(RECORD, text_document(text))
    assert values["n_patients"] == "2"
    assert values["age_min"] == values["age_max"] == UNCLEAR
    assert (values["sex_m"], values["sex_f"]) == ("1", "1")
    assert values["skin_outcome"] == "improved"


def test_single_case_presentation_in_jats():
    article = etree.fromstring(
        "<article><front><article-meta><title-group><article-title>Tacrolimus for anti-MDA5 juvenile "
        "dermatomyositis</article-title></title-group></article-meta></front><body>"
        "<sec><title>Introduction</title><p>Juvenile dermatomyositis is rare [1].</p></sec>"
        "<sec><title>Case presentation</title><p>A 13-year-old girl with anti-MDA5 JDM and interstitial lung "
        "disease had not responded to methylprednisolone pulses and cyclophosphamide.</p>"
        "<p>Oral tacrolimus (trough 5-10 ng/mL) was started. After 9 months of follow-up her skin lesions had "
        "resolved and prednisolone was tapered. No adverse events occurred.</p></sec>"
        "<sec><title>Discussion</title><p>Others reported similar results in six children [2].</p></sec>"
        "</body></article>")
    document = papers.jats_document(article)
    [case] = split_cases(document)
    assert case.label == "Case presentation"
    values = _values(RECORD, document)
    assert values["n_patients"] == "1" and values["design"] == "case report"
    assert (values["age_min"], values["sex_f"], values["sex_m"]) == ("13", "1", "0")
    assert values["prior_treatments"] == "CS;CYC"
    assert values["tacrolimus_route"] == "oral"
    assert values["tacrolimus_dose"] == "trough 5-10 ng/mL"
    assert values["followup_months"] == "9"
    assert values["skin_outcome"] == "resolved"
    assert values["steroid_sparing"] == "yes"
    assert values["adverse_events"] == "none"


def test_patients_table_rows_are_cases():
    article = etree.fromstring(
        "<article><front><article-meta><title-group><article-title>Tacrolimus in JDM</article-title>"
        "</title-group></article-meta></front><body><sec><title>Results</title>"
        "<p>Four children were treated with tacrolimus (Table 1).</p>"
        "<table-wrap><label>Table 1</label><caption><p>Patients treated with tacrolimus</p></caption><table>"
        "<thead><tr><th>Patient</th><th>Age (years)</th><th>Sex</th><th>Previous treatment</th>"
        "<th>Follow-up (months)</th></tr></thead><tbody>"
        "<tr><td>1</td><td>6</td><td>F</td><td>prednisolone, MTX</td><td>12</td></tr>"
        "<tr><td>2</td><td>14</td><td>M</td><td>prednisolone, IVIG</td><td>8</td></tr>"
        "<tr><td>3</td><td>10</td><td>F</td><td>prednisolone, MMF</td><td>30</td></tr>"
        "<tr><td>4</td><td>3</td><td>F</td><td>prednisolone</td><td>18</td></tr>"
        "</tbody></table></table-wrap></sec></body></article>")
    document = papers.jats_document(article)
    cases = split_cases(document)
    assert len(cases) == 4 and cases[0].label == "Table 1 Patients treated with tacrolimus, patient 1"
    values = _values(RECORD, document)
    assert values["n_patients"] == "4"
    assert (values["age_min"], values["age_max"], values["sex_m"], values["sex_f"]) == ("3", "14", "1", "3")
    assert values["prior_treatments"] == "CS;IVIG;MMF;MTX"
    assert values["followup_months"] == "8-30"


def test_a_count_that_contradicts_the_cases_is_unclear():
    text = """Abstract

We report four children with juvenile dermatomyositis treated with tacrolimus.

Case reports

Case 1

A 7-year-old boy was treated with prednisolone. Tacrolimus was started.

Case 2

A 9-year-old girl was treated with prednisolone. Tacrolimus was started.
"""
    assert _values(RECORD, text_document(text))["n_patients"] == UNCLEAR


# --------------------------------------------------------------------------- supplied papers


def _records():
    return [{"record_id": "pmid:18716733", "pmid": "18716733"}, {"record_id": "doi:10.1/x", "pmid": ""}]


def test_supplied_papers_are_validated(tmp_path):
    folder = tmp_path / "fulltext"
    folder.mkdir()
    (folder / "paper.txt").write_text("Case 1\n\nA 6-year-old boy.\n")
    tsv = folder / "fulltexts.tsv"
    tsv.write_text("# comment\nrecord_id\tfile\tnote\n18716733\tpaper.txt\tfrom the authors\n")
    assert fulltext.read_supplied(tsv, _records()) == {"pmid:18716733": folder / "paper.txt"}
    cases = [("18716733\tmissing.pdf\t", "line 3, field 'file'", "not found"),
             ("12345\tpaper.txt\t", "line 3, field 'record_id'", "unknown"),
             ("18716733\t../x.txt\t", "line 3, field 'file'", "outside"),
             ("18716733\t\t", "line 3, field 'file'", "empty"),
             ("18716733\tpaper.txt\t\n18716733\tpaper.txt\t", "line 4, field 'record_id'", "duplicate")]
    for row, where, problem in cases:
        tsv.write_text(f"# comment\nrecord_id\tfile\tnote\n{row}\n")
        with pytest.raises(InputError) as error:
            fulltext.read_supplied(tsv, _records())
        assert where in str(error.value) and problem in str(error.value), str(error.value)
    tsv.write_text("record_id\tfile\tnote\n18716733\tmissing.pdf\t\n12345\tpaper.txt\t\n")
    with pytest.raises(InputError) as error:
        fulltext.read_supplied(tsv, _records())
    assert "2 problems" in str(error.value) and "line 2, field 'file'" in str(error.value) \
        and "line 3, field 'record_id'" in str(error.value), "every problem at once"
    (folder / "paper.doc").write_text("x")
    tsv.write_text("record_id\tfile\tnote\ndoi:10.1/x\tpaper.doc\t\n")
    with pytest.raises(InputError, match="expected a .txt"):
        fulltext.read_supplied(tsv, _records())


def test_unreadable_pdf_and_xml_are_input_errors(tmp_path):
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4 not really")
    (tmp_path / "bad.xml").write_text("<article><body><p>cut off")
    for name in ("bad.pdf", "bad.xml"):
        with pytest.raises(InputError, match=re.escape(name)):
            read_document(tmp_path / name)


# --------------------------------------------------------------------------- PubMed Central, live path


class FakePmc(FakeEutils):
    """The fake E-utilities server answering efetch db=pmc from a dict PMCID -> <article> XML."""

    def __init__(self, pmc_articles: dict[str, bytes]):
        super().__init__({})
        self.pmc_articles = pmc_articles

    def efetch(self, params):
        assert params["db"] == "pmc"
        wanted = [f"PMC{i}" for i in params["id"].split(",")]
        return (b'<?xml version="1.0" ?>\n<!DOCTYPE pmc-articleset PUBLIC "-//NLM//DTD ARTICLE SET 2.0//EN" '
                b'"https://dtd.nlm.nih.gov/ncbi/pmc/articleset/nlm-articleset-2.0.dtd">\n<pmc-articleset>'
                + b"".join(self.pmc_articles[p] for p in wanted if p in self.pmc_articles) + b"</pmc-articleset>\n")


@pytest.fixture
def pmc_articles(shared) -> dict[str, bytes]:
    articles = {}
    for name in PMC_FILES[:5]:
        root = etree.parse(str(shared / "ncbi" / "pmc" / name), _XML).getroot()
        pmcid = "PMC" + root.findtext("front/article-meta/article-id[@pub-id-type='pmc']")
        articles[pmcid] = etree.tostring(root, encoding="UTF-8")
    return articles


def _settings(server, **overrides) -> NcbiSettings:
    return NcbiSettings(email="test@example.org", eutils_url=server.url, max_tries=overrides.get("max_tries", 3),
                        backoff_seconds=0.01, timeout_seconds=5)


def test_pmc_fetch_in_batches_with_retries_and_resume(tmp_path, pmc_articles, entrez_unthrottled):
    ids = sorted(pmc_articles)
    store = tmp_path / "fulltext"
    with FakePmc(pmc_articles) as server:
        server.faults["efetch"] = [503, None, "truncate"]  # a 503 is retried; a cut-off answer stops the run
        with pytest.raises(RetrievalError, match="batch 2 of 3 .*not complete XML"):
            fulltext.fetch_pmc(ids, _settings(server), store, batch_size=2)
        first = sorted(p.stem for p in store.glob("PMC*.xml"))
        assert first == sorted(ids)[:2], "the batch that arrived is kept; the cut-off one is not"
        before = len(server.calls("efetch"))
        missing = fulltext.fetch_pmc(ids + ["PMC999"], _settings(server), store, batch_size=2)
        asked = [call["params"]["id"] for call in server.calls("efetch")[before:]]
    assert all(pmcid[3:] not in ",".join(asked) for pmcid in first), "a rerun resumes: stored articles are not asked again"
    assert missing == {"PMC999": "PMC returned no article"}
    assert sorted(p.stem for p in store.glob("PMC*.xml")) == ids
    for pmcid in ids:
        [(found, document)] = list(iter_jats_articles(str(store / f"{pmcid}.xml"), pmcid))
        assert "PMC" + found["pmc"] == pmcid and document.blocks
    assert all(call["params"].get("tool") == "lsr" and call["params"].get("email") for call in server.requests)


def test_pmc_error_answer_stores_nothing(tmp_path, pmc_articles, entrez_unthrottled):
    with FakePmc(pmc_articles) as server:
        server.faults["efetch"] = [b"<eFetchResult><ERROR>Cannot retrieve</ERROR></eFetchResult>", 400]
        with pytest.raises(RetrievalError, match="Cannot retrieve"):
            fulltext.fetch_pmc(sorted(pmc_articles)[:1], _settings(server), tmp_path)
        with pytest.raises(RetrievalError, match="HTTP 400"):
            fulltext.fetch_pmc(sorted(pmc_articles)[:1], _settings(server), tmp_path)
    assert not list(tmp_path.glob("PMC*.xml"))


def test_lsr_fulltext_fetches_pmc_for_included_records(tmp_path, pmc_articles, monkeypatch):
    pmcid = sorted(pmc_articles)[0]
    records = tmp_path / "records.tsv"
    columns = ["record_id", "pmid", "pmcid", "title", "abstract", "year", "first_author", "publication_types"]
    rows = [["pmid:1", "1", pmcid, "Included with PMC", "", "2020", "Roe", ""],
            ["pmid:2", "2", "", "Included without", "", "2021", "Poe", ""],
            ["pmid:3", "3", sorted(pmc_articles)[1], "Excluded", "", "2022", "Moe", ""]]
    records.write_text("\n".join("\t".join(r) for r in [columns, *rows]) + "\n")
    screening = tmp_path / "screening.tsv"
    screening.write_text("record_id\tdecision\npmid:1\tinclude\npmid:2\tinclude\npmid:3\texclude\n")
    supplied = tmp_path / "fulltext" / "fulltexts.tsv"
    supplied.parent.mkdir()
    supplied.write_text("record_id\tfile\tnote\n")
    out = tmp_path / "out"
    with FakePmc(pmc_articles) as server:
        command = [sys.executable, "-m", "lsr", "fulltext", "--records", str(records), "--screening", str(screening),
                   "--supplied", str(supplied), "--store", str(tmp_path / "store"), "--pmc",
                   "--eutils-url", server.url, "--backoff-seconds", "0.01",
                   "--availability", str(out / "availability.tsv"), "--cases", str(out / "cases.tsv")]
        result = subprocess.run(command, capture_output=True, text=True, env={"NCBI_EMAIL": "t@example.org",
                                                                             "PATH": "/usr/bin:/bin"})
        assert result.returncode == 0, result.stderr
        assert [c["params"]["id"] for c in server.calls("efetch")] == [pmcid[3:]]
    availability = list(csv.DictReader((out / "availability.tsv").open(), delimiter="\t"))
    assert [(r["record_id"], r["full_text"], r["reason"]) for r in availability] == [
        ("pmid:1", "yes", ""), ("pmid:2", "no", "no PMCID and no supplied file")]
    assert "not retrieved: pmid:2: no PMCID and no supplied file" in result.stdout


def test_lsr_fulltext_bad_supplied_file_exits_2(tmp_path):
    records = tmp_path / "records.tsv"
    records.write_text("record_id\tpmid\tpmcid\ttitle\tabstract\tyear\tfirst_author\tpublication_types\n"
                       "pmid:1\t1\t\tT\t\t2020\tRoe\t\n")
    screening = tmp_path / "screening.tsv"
    screening.write_text("record_id\tdecision\npmid:1\tinclude\n")
    supplied = tmp_path / "fulltexts.tsv"
    supplied.write_text("record_id\tfile\tnote\n1\tpaper.pdf\t\n")
    result = subprocess.run([sys.executable, "-m", "lsr", "fulltext", "--records", str(records), "--screening",
                             str(screening), "--supplied", str(supplied), "--availability", str(tmp_path / "a.tsv"),
                             "--cases", str(tmp_path / "c.tsv")],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "fulltexts.tsv, line 2, field 'file': 'paper.pdf' not found" in result.stderr


def test_lsr_paper_values_reads_the_papers_the_availability_table_names(tmp_path):
    records = tmp_path / "records.tsv"
    records.write_text("record_id\tpmid\ttitle\tyear\tfirst_author\tpublication_types\n"
                       "pmid:1\t1\tT\t2020\tRoe\tCase Reports\npmid:2\t2\tU\t2021\tPoe\t\n")
    paper = tmp_path / "paper.txt"
    paper.write_text("Case report\n\nA 9-year-old girl was treated with methotrexate. Tacrolimus was started "
                     "orally and her rash resolved.\n")
    availability = tmp_path / "availability.tsv"
    availability.write_text(f"record_id\tfull_text\tfile\npmid:1\tyes\t{paper}\npmid:2\tno\t\n")
    args = ["paper-values", "--records", records, "--availability", availability, "--out", tmp_path / "values.tsv"]
    result = lsr_in_process(*args)
    assert result.returncode == 0, result.stderr
    rows = {r["field"]: r for r in csv.DictReader((tmp_path / "values.tsv").open(), delimiter="\t")}
    assert {r["record_id"] for r in rows.values()} == {"pmid:1"}
    assert (rows["n_patients"]["value"], rows["age_min"]["value"], rows["sex_f"]["value"]) == ("1", "9", "1")
    assert rows["n_patients"]["evidence"].startswith("rule: 1 case(s) described one by one")

    availability.write_text(f"record_id\tfull_text\tfile\npmid:9\tyes\t{paper}\n")
    result = lsr_in_process(*args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "availability.tsv, line 2, field 'record_id': record 'pmid:9' is not in" in result.stderr

# --------------------------------------------------------------------------- the seed papers (Done when)


def make_pdf(text: str, path: Path) -> None:
    """A PDF of a plain-text paper: headings bold, Markdown marks dropped (fpdf2, core font)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    latin = {"\u2013": "-", "\u2014": "-", "\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
             "\u00b7": "-", "\u2022": "-"}
    for line in text.splitlines():
        line = "".join(latin.get(c, c) for c in line)
        line = re.sub(r"\*\*|</?sup>|\$|\\text\{([^}]*)\}", r"\1", line).encode("latin-1", "replace").decode("latin-1")
        if not line.strip():
            pdf.ln(4)
            continue
        pdf.set_font("Helvetica", style="B" if line.startswith("#") else "", size=10)
        pdf.multi_cell(0, 5, line.lstrip("# ").strip(), new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def _reviewer_value_files(review: Path) -> list[Path]:
    return sorted(p for p in (review / "config" / "extraction").rglob("*.tsv"))


def shipped_values(review: Path) -> dict[str, dict[str, str]]:
    """The shipped reviewer values of the two seed studies: {record: {field: value}}."""
    values: dict[str, dict[str, str]] = {}
    for path in _reviewer_value_files(review):
        lines = [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
        for row in csv.DictReader(lines, delimiter="\t"):
            if row["pmid"] in SEEDS:
                values.setdefault(row["pmid"], {})[row["field"]] = row["value"]
    return values


def _drop_seed_values(review: Path) -> None:
    for path in _reviewer_value_files(review):
        kept = [line for line in path.read_text().splitlines(keepends=True)
                if line.split("\t", 1)[0] not in SEEDS]
        path.write_text("".join(kept))


def _compare(extraction: Path, shipped: dict[str, dict[str, str]]) -> dict[str, Counter]:
    rows = list(csv.DictReader(extraction.open(), delimiter="\t"))
    outcome: dict[str, Counter] = {}
    for record, expected in shipped.items():
        key = record if record.startswith("doi:") else f"pmid:{record}"
        machine = {r["field"]: r for r in rows if r["record_id"] == key}
        tally = Counter()
        for name in TABLE_FIELDS:
            row = machine[name]
            assert row["source"] == "full text" and row["reviewer"] == "", row
            verdict = "match" if row["value"] == expected[name] else "unclear" if row["value"] == UNCLEAR else "wrong"
            tally[verdict] += 1
            print(f"{key} {name}: machine {row['value']!r} reviewer {expected[name]!r} -> {verdict}")
            assert row["evidence"].startswith("rule: ") or ": " in row["evidence"]
        outcome[key] = tally
    return outcome


def test_seed_papers_as_text_and_pdf_give_table1_values(shared, workflow_copy):
    review = workflow_copy
    shipped = shipped_values(review)
    assert set(shipped) == set(SEEDS) and all(len(v) >= 14 for v in shipped.values())
    _drop_seed_values(review)
    folder = review / "config" / "fulltext"
    for record, name in SEEDS.items():
        shutil.copy(shared / "seeds" / name, folder / name)
    (folder / "fulltexts.tsv").write_text("record_id\tfile\tnote\n" + "".join(
        f"{record}\t{name}\tseed paper\n" for record, name in SEEDS.items()))
    run_snakemake(review)
    for tally in _compare(review / "results" / "extraction.tsv", shipped).values():
        assert tally["match"] >= 12 and tally["wrong"] <= 1 and tally["match"] + tally["unclear"] + tally["wrong"] == 14
    reports = json.loads((review / "results" / "prisma.json").read_text())["reports"]
    available = list(csv.DictReader((review / "results" / "fulltext" / "availability.tsv").open(), delimiter="\t"))
    assert reports["sought"] == len(available) and reports["sought"] - reports["not_retrieved"] == 2

    for record, name in SEEDS.items():
        make_pdf((shared / "seeds" / name).read_text(), folder / name.replace(".txt", ".pdf"))
    (folder / "fulltexts.tsv").write_text("record_id\tfile\tnote\n" + "".join(
        f"{record}\t{name.replace('.txt', '.pdf')}\tseed paper as PDF\n" for record, name in SEEDS.items()))
    run_snakemake(review)
    assert "pdf" in (review / "results" / "fulltext" / "availability.tsv").read_text()
    for tally in _compare(review / "results" / "extraction.tsv", shipped).values():
        assert tally["match"] >= 12 and tally["wrong"] <= 1


# --------------------------------------------------------------------------- PRISMA: reports sought, not retrieved


def test_prisma_counts_reports_sought_and_not_retrieved():
    from lsr import prisma

    screening = [{"record_id": r, "decision": d, "conflict": "no", "exclusion_reason": e,
                  "full_text": "awaiting" if d == "include" else "", "full_text_reason": ""}
                 for r, d, e in (("pmid:1", "include", ""), ("pmid:2", "include", ""), ("pmid:3", "exclude", "other"))]
    unique = [{"record_id": r, "source": "PubMed"} for r in ("pmid:1", "pmid:2", "pmid:3")]
    tables = dict(records=[{"pmid": "1"}, {"pmid": "2"}, {"pmid": "3"}], other_records=[], duplicates=[],
                  unique_records=unique, screening=screening, exclusion_reasons=["other"])
    availability = [{"record_id": "pmid:1", "full_text": "yes"}, {"record_id": "pmid:2", "full_text": "no"}]
    flow = prisma.count_flow(**tables, availability=availability)
    prisma.check_flow(flow)
    assert flow["reports"] == {"sought": 2, "not_retrieved": 1}
    # the diagram's boxes count the reviewers' full-text decisions: none yet, both reports awaiting
    assert "Reports not retrieved (n = 0)" in prisma.flow_svg(flow)
    assert flow["overall"]["reports_awaiting"]["not_yet_assessed"] == 2
    assert "reports" not in prisma.count_flow(**tables)
    for rows, problem in (([availability[0]], "missing"), (availability + [{"record_id": "pmid:3", "full_text": "no"}],
                                                           "not one row per record")):
        with pytest.raises(InputError, match=problem):
            prisma.count_flow(**tables, availability=rows)
    flow["reports"]["not_retrieved"] = 3
    with pytest.raises(prisma.FlowCountError, match="not retrieved"):
        prisma.check_flow(flow)


def test_case_descriptions_win_over_a_summary_table_and_literature_tables_are_not_cases():
    rows = ("<tr><td>1</td><td>7</td><td>M</td></tr><tr><td>2</td><td>9</td><td>F</td></tr>")
    table = ("<table-wrap><label>Table 1</label><caption><p>{caption}</p></caption><table><thead><tr><th>Patient"
             "</th><th>Age (years)</th><th>Sex</th></tr></thead><tbody>" + rows + "</tbody></table></table-wrap>")
    cases = ("<sec><title>Case reports</title><sec><title>Case 1</title><p>A 7-year-old boy was treated with "
             "prednisolone. Tacrolimus was started.</p></sec><sec><title>Case 2</title><p>A 9-year-old girl was "
             "treated with prednisolone. Tacrolimus was started.</p></sec></sec>")

    def document(body: str) -> Document:
        return papers.jats_document(etree.fromstring(f"<article><body>{body}</body></article>"))

    summary = document(cases + "<sec><title>Results</title>" + table.format(caption="Our patients") + "</sec>")
    assert [c.label for c in split_cases(summary)] == ["Case 1", "Case 2"]
    assert _values(RECORD, summary)["sex_m"] == "1"
    literature = document("<sec><title>Discussion</title>" + table.format(caption="Patients reported in the "
                                                                                  "literature") + "</sec>")
    assert split_cases(literature) == []


def test_aggregation_keeps_unclear_case_values_unclear():
    from lsr.extraction import CaseFindings, Value, aggregate_study
    from lsr.papers import Case

    fields = ["study", "design", "n_patients", "age_min", "age_max", "sex_m", "sex_f", "prior_treatments",
              "tacrolimus_route", "tacrolimus_dose", "followup_months", "skin_outcome", "muscle_outcome",
              "steroid_sparing", "adverse_events"]
    study = {name: Value(NR, []) for name in fields}
    settled = {"age_min": "5", "age_max": "5", "sex_m": "1", "sex_f": "0", "prior_treatments": "MTX",
               "tacrolimus_dose": "0.1 mg/kg/day", "followup_months": "6", "skin_outcome": "improved"}
    first = {name: Value(settled.get(name, NR), ["a sentence."]) for name in fields}
    second = {name: Value(UNCLEAR if name in settled else NR, ["another sentence."]) for name in fields}
    cases = [CaseFindings(Case("Case 1", "Case reports > Case 1"), first),
             CaseFindings(Case("Case 2", "Case reports > Case 2"), second)]
    values = {name: value for name, (value, _) in aggregate_study(study, cases, []).items()}
    assert values["n_patients"] == "2"
    for name in settled:
        assert values[name] == UNCLEAR, name


def add_include_decision(review: Path, pmid: str) -> None:
    """A reviewer 'Tester' includes `pmid` at title/abstract: a row in the decisions file the config
    names, or a new file of the same columns in the decisions folder it names."""
    import yaml

    target = review / yaml.safe_load((review / "config" / "config.yaml").read_text())["screening"]["decisions"]
    values = {"pmid": pmid, "record_id": pmid, "reviewer": "Tester", "decision": "include",
              "stage": "title_abstract", "note": "full text to read", "date": "2026-01-05"}
    model = target if target.is_file() else sorted(target.glob("*.tsv"))[0]
    header = next(line for line in model.read_text().splitlines() if line.strip() and not line.startswith("#"))
    row = "\t".join(values.get(column, "") for column in header.split("\t")) + "\n"
    if target.is_file():
        target.write_text(target.read_text() + row)
    else:
        (target / "Tester.tsv").write_text(header + "\n" + row)


def test_workflow_fetches_pmc_full_text_of_an_included_record(workflow_copy, shared):
    """fulltext.pmc on: a record included by a reviewer with a PMCID gets its article from (fake) PMC,
    kept under data/fulltext/; a failing NCBI stops the run and stores nothing; a rerun then succeeds."""
    review = workflow_copy
    unique = {}
    run_snakemake(review, "results/unique_records.tsv")
    for row in csv.DictReader((review / "results" / "unique_records.tsv").open(), delimiter="\t"):
        unique[row["record_id"]] = row
    record = next(r for r in unique.values() if r["pmcid"] and r["pmid"])
    article = etree.parse(str(shared / "ncbi" / "pmc" / PMC_FILES[0]), _XML).getroot()
    article.find("front/article-meta/article-id[@pub-id-type='pmc']").text = record["pmcid"][3:]
    add_include_decision(review, record["pmid"])
    with FakePmc({record["pmcid"]: etree.tostring(article, encoding="UTF-8")}) as server:
        overlay = review / "pmc.yaml"
        overlay.write_text("fulltext:\n  supplied: config/fulltext/fulltexts.tsv\n  pmc: true\n"
                           f"ncbi:\n  eutils_url: {server.url}\n  max_tries: 2\n  backoff_seconds: 0.01\n")
        config = ["--configfile", str(overlay)]
        env = {"NCBI_EMAIL": "tester@example.org"}
        server.faults["efetch"] = [500, 500]
        failed = run_snakemake(review, *config, check=False, env=env)
        assert failed.returncode != 0, failed.stdout + failed.stderr
        log = review / "results" / "logs" / "fulltext.log"
        assert log.exists() and "HTTP 500" in log.read_text(), failed.stderr[-3000:]
        assert not list((review / "data" / "fulltext").glob("PMC*.xml"))
        run_snakemake(review, *config, env=env)
    stored = review / "data" / "fulltext" / f"{record['pmcid']}.xml"
    assert stored.is_file()
    rows = {r["record_id"]: r for r in csv.DictReader((review / "results" / "fulltext" / "availability.tsv").open(),
                                                        delimiter="\t")}
    assert rows[record["record_id"]]["full_text"] == "yes" and rows[record["record_id"]]["file"].endswith(stored.name)
    reports = json.loads((review / "results" / "prisma.json").read_text())["reports"]
    assert reports["sought"] - reports["not_retrieved"] == sum(r["full_text"] == "yes" for r in rows.values())


def test_text_headings_case_lines_and_back_matter():
    text = ("# A title\n\n**Abstract** We report two children.\n\nCase 1: calcinosis\n\nA 5-year-old girl was "
            "treated.\n\nCase 2: A 7-year-old boy was treated with tacrolimus.\n\n  Discussion Top\n\nIt helped."
            "\n\nAcknowledgements\n\nWe thank the nurses.\n\nConclusion\n\nUseful.\n\nReferences\n\n1. Smith J. "
            "A 9-year-old girl. J 2001.\n")
    document = text_document(text)
    assert document.title == "A title"
    headings = [b.text for b in document.blocks if b.kind == "heading"]
    assert headings == ["A title", "Case 1: calcinosis", "Discussion", "Conclusion"]
    paragraphs = [(b.section, b.text) for b in document.blocks if b.kind == "paragraph"]
    assert ("Abstract", "We report two children.") in paragraphs
    assert ("A title > Case 1: calcinosis", "Case 2: A 7-year-old boy was treated with tacrolimus.") in paragraphs
    assert not any("nurses" in text or "Smith" in text for _, text in paragraphs)
    assert [c.label for c in split_cases(document)] == ["Case 1: calcinosis", "Case 2"]


def test_pmc_article_without_body_is_not_retrieved(tmp_path, pmc_articles, entrez_unthrottled):
    pmcid = sorted(pmc_articles)[0]
    article = etree.fromstring(pmc_articles[pmcid])
    article.remove(article.find("body"))
    with FakePmc({pmcid: etree.tostring(article)}) as server:
        missing = fulltext.fetch_pmc([pmcid], _settings(server), tmp_path)
    assert missing == {pmcid: "PMC returned no full text (the publisher does not allow it as XML)"}
    assert not list(tmp_path.glob("PMC*.xml"))


def test_extraction_takes_full_text_values_and_keeps_the_abstract_where_the_paper_gives_nr():
    from lsr.extraction import build_extraction

    record = {"record_id": "pmid:1", "pmid": "1", "title": "Tacrolimus in two children with JDM",
              "abstract": "We report two children with juvenile dermatomyositis treated with oral tacrolimus.",
              "first_author": "Roe", "year": "2020", "publication_types": ""}
    screening = [{"record_id": "pmid:1", "decision": "include"}]
    paper = [{"record_id": "pmid:1", "field": "n_patients", "value": "2", "evidence": "rule: 2 case(s)"},
             {"record_id": "pmid:1", "field": "tacrolimus_route", "value": NR, "evidence": ""},
             {"record_id": "pmid:1", "field": "age_min", "value": UNCLEAR, "evidence": "rule: every case ..."}]
    reviewer = [{"record_id": "pmid:1", "field": "age_min", "value": "4", "reviewer": "R", "source": "full text",
                 "note": "case 1"}]
    rows = {row["field"]: row for row in build_extraction([record], screening, reviewer, paper).rows}
    assert (rows["n_patients"]["value"], rows["n_patients"]["source"]) == ("2", "full text")
    assert (rows["tacrolimus_route"]["value"], rows["tacrolimus_route"]["source"]) == ("oral", "abstract")
    assert (rows["age_min"]["value"], rows["age_min"]["reviewer"]) == ("4", "R"), "reviewer values still override"
    assert rows["design"]["source"] == "abstract"


def test_workflow_reports_a_bad_supplied_papers_file(workflow_copy):
    supplied = workflow_copy / "config" / "fulltext" / "fulltexts.tsv"
    supplied.write_text("record_id\tfile\tnote\n18716733\tnot-there.pdf\t\n")
    result = run_snakemake(workflow_copy, check=False)
    assert result.returncode != 0
    assert "fulltexts.tsv, line 2, field 'file': 'not-there.pdf' not found" in result.stdout + result.stderr


ANTI_MDA5_CASE = """# Intravenous then oral tacrolimus in anti-MDA5 juvenile dermatomyositis with rapidly progressive lung disease

Abstract

We describe a 12-year-old girl with anti-MDA5 positive juvenile dermatomyositis and interstitial lung disease who improved on tacrolimus.

Introduction

Anti-MDA5 antibodies mark a subgroup at risk of lung disease. Tacrolimus has been used in adults [3, 4]. Kobayashi et al. treated 8 children aged 5 to 15 years with tacrolimus [5].

Case presentation

A 12-year-old girl presented with Gottron papules, skin ulcers and dyspnoea. Her 40-year-old mother had rheumatoid arthritis. She received three methylprednisolone pulses, oral prednisolone 2 mg/kg/day and intravenous cyclophosphamide, but her lung disease progressed. Intravenous tacrolimus (0.05 mg/kg/day) was started on day 10 and switched to oral tacrolimus after two weeks, with a target trough of 5-10 ng/mL. Her oxygen requirement fell and the skin ulcers healed within 3 months. Muscle strength improved (CMAS 30 to 45). Prednisolone was tapered to 0.2 mg/kg/day. She developed hypertension, treated with amlodipine. At 14 months of follow-up she remained well.

Discussion

Tacrolimus may cause nephrotoxicity and tremor [6].
"""


def test_single_case_report_other_ages_routes_together_and_named_events():
    document = text_document(ANTI_MDA5_CASE)
    assert document.title.startswith("Intravenous then oral tacrolimus")
    [case] = split_cases(document)
    values = _values(RECORD, document)
    assert (values["n_patients"], values["design"]) == ("1", "case report")
    assert (values["age_min"], values["age_max"]) == ("12", "12"), "the mother's age is not the patient's"
    assert (values["sex_m"], values["sex_f"]) == ("0", "1")
    assert values["prior_treatments"] == "CS;CYC"
    assert values["tacrolimus_route"] == "intravenous; oral"
    assert values["tacrolimus_dose"] == "0.05 mg/kg/day; trough 5-10 ng/mL"
    assert values["followup_months"] == "14"
    assert values["muscle_outcome"] == "improved" and values["steroid_sparing"] == "yes"
    assert values["adverse_events"] == "hypertension", "events the introduction and discussion cite are not hers"


# --------------------------------------------------------------------------- citations

def _xref(number: int, text: str | None = None) -> str:
    return f'<xref ref-type="bibr" rid="R{number}">{number if text is None else text}</xref>'


_REFERENCES = "".join(f'<ref id="R{n}"><label>{n}</label><mixed-citation>Ref {n}.</mixed-citation></ref>'
                      for n in range(1, 9))


def test_jats_citations_in_any_rendering_become_bracketed_numbers():
    article = etree.fromstring(
        "<article><body><sec><title>Introduction</title>"
        f"<p>Rare.<sup>{_xref(1)}</sup> Seen in boys<sup>{_xref(2)},{_xref(3)}</sup> and girls "
        f"[{_xref(5)}–{_xref(7)}], in adults ({_xref(8)}) and cited by name ({_xref(4, 'Lee et al., 2015')}); "
        f"a dose of 1.5 mg/m<sup>2</sup> at age 12 is no citation.</p></sec></body>"
        f"<back><ref-list>{_REFERENCES}</ref-list></back></article>")
    [paragraph] = [b.text for b in papers.jats_document(article).blocks if b.kind == "paragraph"]
    assert paragraph == ("Rare.[1] Seen in boys[2,3] and girls [5–7], in adults [8] and cited by name "
                         "(Lee et al., 2015[4]); a dose of 1.5 mg/m2 at age 12 is no citation.")


def _girl_case_report_values(paper: Path, tmp_path: Path) -> dict[str, dict[str, str]]:
    """`lsr paper-values` on the case report of a 7-year-old girl on oral tacrolimus (`paper`), which
    cites other cohorts: its rows by field, checked to be hers alone."""
    records = tmp_path / "records.tsv"
    records.write_text("record_id\tpmid\ttitle\tyear\tfirst_author\tpublication_types\n"
                       "pmid:1\t1\tT\t2020\tRoe\tCase Reports\n")
    availability = tmp_path / "availability.tsv"
    availability.write_text(f"record_id\tfull_text\tfile\npmid:1\tyes\t{paper}\n")
    result = lsr_in_process("paper-values", "--records", records, "--availability", availability,
                            "--out", tmp_path / "values.tsv")
    assert result.returncode == 0, result.stderr
    rows = {r["field"]: r for r in csv.DictReader((tmp_path / "values.tsv").open(), delimiter="\t")}
    values = {name: row["value"] for name, row in rows.items()}
    assert (values["n_patients"], values["age_min"], values["age_max"]) == ("1", "7", "7")
    assert (values["sex_m"], values["sex_f"]) == ("0", "1")
    assert values["tacrolimus_route"] == "oral", "the cited cohort's intravenous route is not hers"
    assert values["adverse_events"] == "none", "the hypertension of the cited series is not hers"
    return rows


def test_superscript_cited_cohort_in_a_jats_case_report_is_not_the_case(tmp_path):
    """The background cites, by superscript, a cohort with other ages, counts and routes, and the
    discussion another by author and year: none of it is the girl's (through `lsr paper-values`)."""
    paper = tmp_path / "case.nxml"
    paper.write_text(
        "<article><front><article-meta><title-group><article-title>Tacrolimus in a girl with refractory juvenile "
        "dermatomyositis</article-title></title-group></article-meta></front><body>"
        "<sec><title>Introduction</title><p>Juvenile dermatomyositis is the commonest inflammatory myopathy of "
        f"childhood.<sup>{_xref(1)}</sup> In a cohort of 45 children aged 2 to 17 years, 28 boys and 17 girls, oral "
        f"tacrolimus was followed by skin improvement in most and nephrotoxicity in four<sup>{_xref(2)},{_xref(3)}"
        f"</sup>. Intravenous tacrolimus was given to 12 boys aged 14 to 16 years.<sup>{_xref(4)}</sup></p></sec>"
        "<sec><title>Case presentation</title><p>A 7-year-old girl with JDM had not responded to prednisolone and "
        "methotrexate.</p><p>Oral tacrolimus was started at 0.1 mg/kg/day. Her rash improved and prednisolone was "
        "tapered. No adverse events occurred.</p></sec>"
        "<sec><title>Discussion</title><p>Tacrolimus was continued for a median of 24 months in 20 children, 3 of "
        f"whom developed hypertension ({_xref(5, 'Lee 2015')}).</p></sec></body>"
        f"<back><ref-list>{_REFERENCES}</ref-list></back></article>")
    rows = _girl_case_report_values(paper, tmp_path)
    assert rows["followup_months"]["value"] == NR
    assert not any("cohort" in row["evidence"] or "Lee" in row["evidence"] for row in rows.values())


def _pdf_with_superscripts(paragraphs: list[str], path: Path) -> None:
    """A PDF of headings ('# ...') and paragraphs whose <sup>...</sup> parts are set as superscripts (fpdf2)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    for paragraph in paragraphs:
        pdf.set_font("Helvetica", style="B" if paragraph.startswith("#") else "", size=10)
        for part in re.split(r"(<sup>.*?</sup>)", paragraph.lstrip("# ")):
            pdf.char_vpos = "SUP" if part.startswith("<sup>") else "LINE"
            pdf.write(5, re.sub(r"</?sup>", "", part))
        pdf.char_vpos = "LINE"
        pdf.ln(9)
    pdf.output(str(path))


def test_superscript_citations_of_a_pdf_keep_a_cited_cohort_out_of_the_case(tmp_path):
    """The JATS case report above as a PDF, its citations set as superscripts: the cited cohort's
    ages, counts, route and adverse events are still not the girl's (through `lsr paper-values`)."""
    paper = tmp_path / "case.pdf"
    _pdf_with_superscripts([
        "# Tacrolimus in a girl with refractory juvenile dermatomyositis", "# Introduction",
        "Juvenile dermatomyositis is the commonest inflammatory myopathy of childhood.<sup>1</sup> In a cohort of 45 "
        "children aged 2 to 17 years, 28 boys and 17 girls, oral tacrolimus was followed by skin improvement in most "
        "and nephrotoxicity in four<sup>2,3</sup>. Intravenous tacrolimus was given to 12 boys aged 14 to 16 "
        "years.<sup>4</sup>",
        "# Case presentation",
        "A 7-year-old girl with JDM had not responded to prednisolone and methotrexate, 2 mg/m<sup>2</sup> weekly.",
        "Oral tacrolimus was started at 0.1 mg/kg/day. Her rash improved and prednisolone was tapered. No adverse "
        "events occurred.",
        "# Discussion",
        "Tacrolimus was continued for a median of 24 months in 20 children, 3 of whom developed "
        "hypertension.<sup>5</sup>"], paper)
    text = papers.read_pdf_text(paper)
    assert "childhood.<sup>1</sup>" in text and "four<sup>2,3</sup>." in text and "m<sup>2</sup>" in text
    rows = _girl_case_report_values(paper, tmp_path)
    assert not any("cohort" in row["evidence"] for row in rows.values())


def test_plain_text_superscripts_that_can_only_be_citations():
    document = text_document("Introduction\n\nRare.<sup>1</sup> Seen in boys<sup>2,3</sup> and girls<sup>4-6</sup>; "
                             "prednisolone 2 mg kg<sup>-1</sup> in 1.5 m<sup>2</sup> at age 12.\n")
    [paragraph] = [b.text for b in document.blocks if b.kind == "paragraph"]
    assert paragraph == "Rare.[1] Seen in boys[2,3] and girls[4-6]; prednisolone 2 mg kg-1 in 1.5 m2 at age 12."
