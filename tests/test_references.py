"""References of Table 1 (numbered list, RIS, BibTeX) and the evidence-over-time figure, through Snakemake."""
from __future__ import annotations

import csv

import rispy
from docx import Document
from lxml import html as lxml_html

from lsr import evidence, references


def table_rows(workdir):
    with open(workdir / "results/table1.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_table1_study_points_to_its_reference_in_every_human_format(bundled_run):
    rows = table_rows(bundled_run)
    page = lxml_html.fromstring((bundled_run / "results/table1.html").read_bytes())
    items = page.xpath('//section[@class="references"]/ol/li')
    assert len(items) == len(rows) == 5
    records = {r["title"]: r for r in csv.DictReader((bundled_run / "results/unique_records.tsv").open(encoding="utf-8"),
                                                     delimiter="\t")}
    for number, (row, cell) in enumerate(zip(rows, page.xpath("//tbody/tr/th")), 1):
        link = cell.xpath('.//a[@class="ref"]')[0]
        assert link.get("href") == f"#ref-{number}" and link.text == f"[{number}]"
        entry = page.xpath(f'//li[@id="ref-{number}"]')[0].text_content()
        title = next(title for title in records if title.rstrip(".") in entry)  # the study's own record
        if row["pmid"]:
            assert f"PMID: {row['pmid']}" in entry and records[title]["pmid"] == row["pmid"]
        if records[title]["doi"]:
            assert f"doi:{records[title]['doi']}" in entry
    assert "Hassan J, van der Net JJ, van Royen-Kerkhof A. Treatment of refractory juvenile dermatomyositis" \
           " with tacrolimus. Clin Rheumatol. 2008;27(11):1469–71. doi:10.1007/s10067-008-0973-2" in page.text_content()
    assert "Indian J Rheumatol. 2020;15(6):205–8." in page.text_content()  # volume and pages from the RIS record
    markdown = (bundled_run / "results/table1.md").read_text(encoding="utf-8")
    assert "| Hassan 2008 [4] |" in markdown and "\n4. Hassan J, van der Net JJ" in markdown
    tex = (bundled_run / "results/table1.tex").read_text(encoding="utf-8")
    assert "Hassan 2008 [4] &" in tex and "4. Hassan J, van der Net JJ" in tex
    document = Document(bundled_run / "results/table1.docx")
    assert document.tables[0].rows[4].cells[0].text == "Hassan 2008 [4]"
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[paragraphs.index("References") + 4].startswith("4. Hassan J, van der Net JJ")


def test_ris_and_bibtex_hold_one_entry_per_study_with_doi_and_pmid(bundled_run):
    rows = table_rows(bundled_run)
    entries = rispy.loads((bundled_run / "results/references.ris").read_text(encoding="utf-8"))
    assert [entry["id"] for entry in entries] == ["modesto2003", "yamada2004", "martinnalda2006", "hassan2008",
                                                  "rao2020"]
    assert len(entries) == len(rows)
    hassan = entries[3]
    assert hassan["authors"] == ["Hassan J", "van der Net JJ", "van Royen-Kerkhof A"]
    assert (hassan["doi"], hassan["accession_number"], hassan["year"]) == ("10.1007/s10067-008-0973-2", "18716733", "2008")
    assert (hassan["volume"], hassan["number"], hassan["start_page"], hassan["end_page"]) == ("27", "11", "1469", "71")
    bib = (bundled_run / "results/references.bib").read_text(encoding="utf-8")
    assert bib.count("@article{") == len(rows)
    assert "author = {Hassan, J. and van der Net, J. J. and van Royen-Kerkhof, A.}" in bib
    assert "doi = {10.4103/injr.injr_128_20}" in bib and "pmid = {18716733}" in bib
    assert "volume = {15},\n  number = {6},\n  pages = {205--208}," in bib


def test_evidence_figure_is_beside_the_table_and_in_the_word_file_and_has_no_date(bundled_run):
    svg = (bundled_run / "results/evidence_over_time.svg").read_text(encoding="utf-8")
    assert "<dc:date>" not in svg and "Year of publication" in svg
    page = (bundled_run / "results/table1.html").read_text(encoding="utf-8")
    assert '<img src="evidence_over_time.svg"' in page and f"<figcaption>{evidence.CAPTION}</figcaption>" in page
    document = Document(bundled_run / "results/table1.docx")
    assert len(document.inline_shapes) == 1 and evidence.CAPTION in [p.text for p in document.paragraphs]


def test_cumulative_counts_by_year_leave_out_undated_studies():
    assert evidence.cumulative_by_year([(2008, 3), (2003, 3), (2008, None), (None, 7), (2020, 2)]) == [
        (2003, 1, 3), (2008, 3, 6), (2020, 4, 8)]


def test_figure_is_byte_identical_for_the_same_counts():
    rows = [(2003, 1, 3), (2008, 3, 6)]
    for figure in (evidence.figure_svg, evidence.figure_png):
        drawn = figure(rows, "t")
        assert figure(rows, "t") == drawn and figure([], "t") != drawn


def test_names_and_keys():
    assert references.split_author("van der Net JJ") == {"family": "van der Net", "given": "J J"}
    assert references.split_author("World Health Organization") == {"family": "World Health Organization"}
    built = references.build_references(
        [("pmid:1", "Ge 2015", "1"), ("pmid:2", "Ge 2015", "2"), ("ris:x", "Martín Nalda 2006", "")],
        {"pmid:1": {"authors": "Ge Y", "year": "2015"}, "pmid:2": {"authors": "Ge Z", "year": "2015"},
         "ris:x": {"year": "2006"}})
    assert [r.key for r in built] == ["ge2015a", "ge2015b", "martinnalda2006"]


def test_keys_stay_distinct_when_more_than_26_studies_share_one():
    studies = [(f"pmid:{n}", "Ge 2015", str(n)) for n in range(1, 30)]
    built = references.build_references(studies, {f"pmid:{n}": {"authors": "Ge Y", "year": "2015"} for n in range(1, 30)})
    keys = [r.key for r in built]
    assert keys[:2] == ["ge2015a", "ge2015b"] and keys[25:28] == ["ge2015z", "ge2015aa", "ge2015ab"]
    assert len(set(keys)) == len(keys)
