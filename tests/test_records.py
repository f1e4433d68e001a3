"""Records stage: real NCBI efetch output, the bundled snapshot, versions, bad input, streaming, CLI."""
from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest
from lxml import etree

from conftest import lsr_in_process
from lsr import records
from lsr import pubmed
from lsr.pubmed import COLUMNS, iter_records, read_manifest, resolve_inputs, write_manifest
from lsr.records import collect_records, write_records
from lsr.tsv import InputError, read_tsv

SNAPSHOT = Path(__file__).resolve().parents[1] / "resources/snapshot/tacrolimus-jdm-2024.xml"


def one(path: Path) -> dict[str, str]:
    (record,) = list(iter_records(path))
    return record


def article(pmid: str, *, version: str = "1", title: str = "A title.", revised: str | None = None,
            citation: str = "", article_parts: str = "", pubmed_data: str = "",
            pub_date: str = "<Year>2020</Year>") -> str:
    """A minimal PubmedArticle in efetch layout (extra XML spliced into its parts)."""
    date_revised = ""
    if revised:
        year, month, day = revised.split("-")
        date_revised = f"<DateRevised><Year>{year}</Year><Month>{month}</Month><Day>{day}</Day></DateRevised>"
    return (f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="{version}">{pmid}</PMID>'
            f"{date_revised}<Article><Journal><JournalIssue><PubDate>{pub_date}</PubDate></JournalIssue>"
            f"<Title>Journal of Tests</Title></Journal><ArticleTitle>{title}</ArticleTitle>{article_parts}"
            f"<Language>eng</Language></Article>{citation}</MedlineCitation>"
            f'<PubmedData><PublicationStatus>ppublish</PublicationStatus>{pubmed_data}</PubmedData></PubmedArticle>')


def pubmed_file(path: Path, *articles: str) -> Path:
    path.write_text('<?xml version="1.0" ?>\n<PubmedArticleSet>\n' + "\n".join(articles) + "\n</PubmedArticleSet>\n",
                    encoding="utf-8")
    return path


# --- real NCBI efetch responses (../shared/ncbi) ---------------------------------------------------

def test_pubmed1_article_without_abstract_or_doi(shared):
    first, second = iter_records(shared / "ncbi/pubmed1.xml")
    assert (first["pmid"], first["year"], first["journal"]) == ("12091962", "1990", "Soc Justice")
    assert first["abstract"] == "" and first["doi"] == "" and first["pmcid"] == ""
    assert first["authors"] == "Olivero JM" and first["first_author"] == "Olivero"
    assert first["keywords"] == "Health Care and Public Health; Legal Approach"
    assert "Acquired Immunodeficiency Syndrome*" in first["mesh_terms"].split("; ")
    assert first["date_revised"] == "2007-11-15" and first["version"] == "1"
    assert (second["pmid"], second["doi"], second["year"]) == ("9997", "10.1016/0005-2795(76)90109-4", "1976")
    assert second["abstract"].startswith("Electron paramagnetic resonance")


def test_pubmed2_authors_in_order(shared):
    cryo, _ = iter_records(shared / "ncbi/pubmed2.xml")
    assert cryo["pmid"] == "11748933" and cryo["doi"] == "10.1006/cryo.2001.2328"
    assert cryo["authors"].split("; ") == ["Taddei AR", "Barbato F", "Abelli L", "Canese S", "Moretti F",
                                           "Rana KJ", "Fausto AM", "Mazzini M"]
    assert cryo["first_author"] == "Taddei"
    assert cryo["publication_types"] == "Journal Article; Research Support, Non-U.S. Gov't"


def test_pubmed4_labelled_abstract_inline_markup_and_comment_links(shared):
    record = one(shared / "ncbi/pubmed4.xml")
    assert (record["pmid"], record["pmcid"], record["year"]) == ("27797938", "PMC5442267", "2017")
    abstract = record["abstract"]
    starts = [abstract.index(f"{label}: ") for label in ("OBJECTIVE", "DESIGN", "RESULTS", "CONCLUSIONS")]
    assert starts[0] == 0 and starts == sorted(starts)
    assert "reverse transcriptase (TERT) gene" in abstract and "ptrend=0.048" in abstract
    authors = record["authors"].split("; ")
    assert len(authors) == 22 and authors[0] == "Bao Y" and authors[-1] == "Wolpin BM"
    # CommentIn and Cites links are neither errata nor retractions.
    assert record["erratum"] == "" and record["retracted"] == "no"


def test_pubmed5_structured_abstract_and_keywords(shared):
    record = one(shared / "ncbi/pubmed5.xml")
    assert record["pmid"] == "28775130" and record["doi"] == "10.1136/oemed-2017-104431"
    assert record["abstract"].startswith("OBJECTIVES: Animal studies suggest")
    assert " METHODS: Self-reported lifetime" in record["abstract"]
    assert record["keywords"].split("; ")[0] == "agriculture"
    assert record["first_author"] == "Lerro" and "Beane Freeman LE" in record["authors"].split("; ")


def test_pubmed6_quote_entity_and_mathml(shared):
    record = one(shared / "ncbi/pubmed6.xml")
    assert record["pmid"] == "30108519"
    assert record["title"] == ('A "Blood Relationship" Between the Overlooked Minimum Lactate Equivalent and '
                               "Maximal Lactate Steady State in Trained Runners. Back to the Old Days?")
    assert 'disused "Minimum Lactate Equivalent" (LEmin)' in record["abstract"]
    assert "maximal oxygen uptake ( VO2max ) 67.6" in record["abstract"]
    assert "m a x" not in record["abstract"]
    assert record["keywords"].startswith("Owles' point; aerobic capacity")


def test_pubmed7_collective_author_mathml_and_reference_list(shared):
    record = one(shared / "ncbi/pubmed7.xml")
    assert record["pmid"] == "29963580"  # not one of the ReferenceList's pubmed ids
    assert record["doi"] == "10.1117/1.jmi.5.2.026002" and record["pmcid"] == "PMC6022861"
    assert record["authors"].split("; ")[-1] == "Canadian Respiratory Research Network"
    assert record["first_author"] == "Guo"
    assert "inhaled 3He/129Xe MRI ventilation" in record["abstract"]
    assert "ultrashort echo-time 1H MRI proton density" in record["abstract"]
    assert record["year"] == "2018" and record["journal"] == "J Med Imaging (Bellingham)"


@pytest.mark.parametrize("name, root", [("efetch_pmc.xml", "pmc-articleset"), ("esearch1.xml", "eSearchResult")])
def test_non_pubmed_xml_is_rejected(shared, name, root):
    with pytest.raises(InputError) as caught:
        list(iter_records(shared / "ncbi" / name))
    message = str(caught.value)
    assert name in message and "line 1" in message
    assert f"root element is <{root}>" in message and "<PubmedArticleSet>" in message


# --- the bundled snapshot ---------------------------------------------------------------------------

def test_bundled_snapshot_rows(repo):
    rows = collect_records([SNAPSHOT])
    assert len(rows) == 41
    pmids = [int(row["pmid"]) for row in rows]
    assert pmids == sorted(pmids) and pmids[0] == 2566009 and pmids[-1] == 37828793
    assert all(list(row) == COLUMNS for row in rows)
    seed = next(row for row in rows if row["pmid"] == "18716733")
    assert seed["authors"] == "Hassan J; van der Net JJ; van Royen-Kerkhof A"
    assert seed["first_author"] == "Hassan"
    assert seed["language"] == "eng" and seed["year"] == "2008" and seed["journal"] == "Clin Rheumatol"
    assert seed["doi"] == "10.1007/s10067-008-0973-2"
    mesh = seed["mesh_terms"].split("; ")
    # Major either on the descriptor or on one of its qualifiers.
    assert {"Calcineurin Inhibitors*", "Dermatomyositis*", "Tacrolimus*", "Child", "Humans"} <= set(mesh)
    assert seed["retracted"] == "no" and seed["source_file"] == "tacrolimus-jdm-2024.xml"
    labelled = next(row for row in rows if row["pmid"] == "19268410")
    assert "STUDY DESIGN: Randomized controlled trial" in labelled["abstract"]
    assert "SETTINGS & PARTICIPANTS: Tertiary-care" in labelled["abstract"]
    assert "(urinary protein-creatinine ratio < 0.2 g/g" in labelled["abstract"]


def test_gzipped_input_gives_the_same_rows(tmp_path):
    packed = tmp_path / "snapshot.xml.gz"
    packed.write_bytes(gzip.compress(SNAPSHOT.read_bytes()))
    plain = collect_records([SNAPSHOT])
    unpacked = collect_records([packed])
    assert [row["source_file"] for row in unpacked] == ["snapshot.xml.gz"] * 41
    assert [{**row, "source_file": ""} for row in unpacked] == [{**row, "source_file": ""} for row in plain]


def test_write_records_tsv_round_trip_and_is_deterministic(tmp_path):
    first, second = tmp_path / "a.tsv", tmp_path / "b.tsv"
    assert write_records([SNAPSHOT], first) == 41
    write_records([SNAPSHOT], second)
    assert first.read_bytes() == second.read_bytes()
    rows = read_tsv(first, required=COLUMNS)
    assert list(rows[0])[:-1] == COLUMNS and len(rows) == 41
    assert rows == [{**row, "_line": number} for number, row in enumerate(collect_records([SNAPSHOT]), start=2)]


# --- fields built from small XML --------------------------------------------------------------------

def test_retracted_record_and_erratum(tmp_path):
    path = pubmed_file(
        tmp_path / "retractions.xml",
        article("100", article_parts="<PublicationTypeList><PublicationType>Journal Article</PublicationType>"
                                     "<PublicationType>Retracted Publication</PublicationType></PublicationTypeList>",
                citation='<CommentsCorrectionsList><CommentsCorrections RefType="RetractionIn">'
                         '<RefSource>J Tests. 2021;1:2</RefSource><PMID Version="1">300</PMID>'
                         '</CommentsCorrections></CommentsCorrectionsList>'),
        article("200", citation='<CommentsCorrectionsList><CommentsCorrections RefType="RetractionIn">'
                                '<RefSource>J Tests. 2022;3:4</RefSource></CommentsCorrections>'
                                '<CommentsCorrections RefType="ErratumIn"><RefSource>J Tests. 2020;5:6</RefSource>'
                                '<PMID Version="1">400</PMID></CommentsCorrections>'
                                '<CommentsCorrections RefType="ErratumIn"><RefSource>J Tests. 2020;7</RefSource>'
                                '</CommentsCorrections></CommentsCorrectionsList>'),
        # The retraction notice itself is not retracted.
        article("300", article_parts="<PublicationTypeList><PublicationType>Retraction of Publication"
                                     "</PublicationType></PublicationTypeList>",
                citation='<CommentsCorrectionsList><CommentsCorrections RefType="RetractionOf">'
                         '<RefSource>J Tests</RefSource><PMID Version="1">100</PMID></CommentsCorrections>'
                         '</CommentsCorrectionsList>'),
    )
    retracted, linked_only, notice = iter_records(path)
    assert retracted["retracted"] == "yes"
    assert retracted["publication_types"] == "Journal Article; Retracted Publication"
    assert linked_only["retracted"] == "yes" and linked_only["erratum"] == "400; J Tests. 2020;7"
    assert notice["retracted"] == "no" and notice["erratum"] == ""


def test_reference_list_ids_are_not_the_articles(tmp_path):
    references = ('<ReferenceList><Reference><Citation>Other paper.</Citation><ArticleIdList>'
                  '<ArticleId IdType="doi">10.9999/other</ArticleId><ArticleId IdType="pubmed">555</ArticleId>'
                  '<ArticleId IdType="pmc">PMC555</ArticleId></ArticleIdList></Reference></ReferenceList>')
    own = '<ArticleIdList><ArticleId IdType="pubmed">101</ArticleId></ArticleIdList>'
    path = pubmed_file(tmp_path / "refs.xml",
                       article("101", pubmed_data=own + references),
                       article("102", pubmed_data=own.replace("101", "102") + references,
                               article_parts='<ELocationID EIdType="doi" ValidYN="Y">10.5555/OWN.2</ELocationID>'))
    no_doi, elocation = iter_records(path)
    assert (no_doi["pmid"], no_doi["doi"], no_doi["pmcid"]) == ("101", "", "")
    assert (elocation["pmid"], elocation["doi"], elocation["pmcid"]) == ("102", "10.5555/own.2", "")


@pytest.mark.parametrize("pub_date, article_date, year", [
    ("<MedlineDate>1998 Dec-1999 Jan</MedlineDate>", "", "1998"),
    ("<MedlineDate>Winter 2003-2004</MedlineDate>", "", "2003"),
    ("<Season>Spring</Season>", '<ArticleDate DateType="Electronic"><Year>2011</Year><Month>03</Month>'
                                "<Day>02</Day></ArticleDate>", "2011"),
    ("<Year>2005</Year><Month>Jan</Month>", "", "2005"),
])
def test_year_from_pubdate_medlinedate_or_article_date(tmp_path, pub_date, article_date, year):
    record = one(pubmed_file(tmp_path / "dates.xml", article("7", pub_date=pub_date, article_parts=article_date)))
    assert record["year"] == year


def test_entities_whitespace_labels_and_authors(tmp_path):
    abstract = ('<Abstract><AbstractText Label="BACKGROUND" NlmCategory="BACKGROUND">A &lt; B &amp; C\n'
                "      spans\u00a0lines.</AbstractText>"
                '<AbstractText Label="UNLABELLED">Plain part.</AbstractText>'
                '<AbstractText Label="EMPTY"></AbstractText>'
                "<CopyrightInformation>Copyright holder.</CopyrightInformation></Abstract>")
    authors = ('<AuthorList CompleteYN="Y"><Author ValidYN="N"><LastName>Smiht</LastName><Initials>J</Initials>'
               '</Author><Author ValidYN="Y"><LastName>Smith</LastName><ForeName>Jean-Paul Marie</ForeName></Author>'
               '<Author><CollectiveName>The <i>JDM</i> Study Group</CollectiveName></Author>'
               "<Author><LastName>Ng</LastName><Initials>K</Initials><Suffix>Jr</Suffix></Author></AuthorList>")
    record = one(pubmed_file(tmp_path / "text.xml",
                             article("8", title="Tacrolimus &quot;rescue&quot; in <i>JDM</i>",
                                     article_parts=abstract + authors)))
    assert record["title"] == 'Tacrolimus "rescue" in JDM'
    assert record["abstract"] == "BACKGROUND: A < B & C spans lines. Plain part."
    assert record["authors"] == "Smith JPM; The JDM Study Group; Ng K"
    assert record["first_author"] == "Smith"


def test_book_article(tmp_path):
    book = ('<PubmedBookArticle><BookDocument><PMID Version="1">20301466</PMID><ArticleIdList>'
            '<ArticleId IdType="bookaccession">NBK1116</ArticleId></ArticleIdList><Book><Publisher>'
            "<PublisherName>University of Washington</PublisherName></Publisher><BookTitle>GeneReviews</BookTitle>"
            "<PubDate><Year>1993</Year></PubDate>"
            '<AuthorList Type="editors"><Author><LastName>Adam</LastName><Initials>MP</Initials></Author>'
            "</AuthorList></Book><ArticleTitle>Juvenile Myositis</ArticleTitle><Language>eng</Language>"
            '<AuthorList Type="authors"><Author><LastName>Rider</LastName><ForeName>Lisa G</ForeName></Author>'
            "</AuthorList><PublicationType>Review</PublicationType>"
            "<Abstract><AbstractText Label=\"CLINICAL CHARACTERISTICS\">Weakness.</AbstractText></Abstract>"
            "<DateRevised><Year>2024</Year><Month>5</Month><Day>2</Day></DateRevised></BookDocument>"
            "<PubmedBookData><PublicationStatus>ppublish</PublicationStatus><ArticleIdList>"
            '<ArticleId IdType="pubmed">20301466</ArticleId><ArticleId IdType="doi">10.0000/NBK1116</ArticleId>'
            "</ArticleIdList></PubmedBookData></PubmedBookArticle>")
    record = one(pubmed_file(tmp_path / "book.xml", book))
    assert (record["pmid"], record["title"], record["journal"], record["year"]) == \
        ("20301466", "Juvenile Myositis", "GeneReviews", "1993")
    assert record["authors"] == "Rider LG" and record["first_author"] == "Rider"
    assert record["abstract"] == "CLINICAL CHARACTERISTICS: Weakness."
    assert record["doi"] == "10.0000/nbk1116" and record["publication_types"] == "Review"
    assert record["date_revised"] == "2024-05-02"


# --- one row per PMID ------------------------------------------------------------------------------

def test_latest_version_of_a_pmid_wins(tmp_path):
    a = pubmed_file(tmp_path / "a.xml",
                    article("11", version="2", title="Version two."),
                    article("22", title="Revised later.", revised="2021-03-01"),
                    article("33", title="Tie, first file.", revised="2020-01-01"))
    b = pubmed_file(tmp_path / "b.xml",
                    article("11", version="1", title="Version one.", revised="2024-01-01"),
                    article("22", title="Revised earlier.", revised="2020-12-31"),
                    article("33", title="Tie, second file.", revised="2020-01-01"),
                    article("9", title="Only here."))
    for files in ([a, b], [b, a]):
        rows = {row["pmid"]: row for row in collect_records(files)}
        assert rows["11"]["title"] == "Version two." and rows["11"]["version"] == "2"
        assert rows["22"]["title"] == "Revised later." and rows["22"]["date_revised"] == "2021-03-01"
    assert [row["pmid"] for row in collect_records([a, b])] == ["9", "11", "22", "33"]
    assert {row["pmid"]: row["title"] for row in collect_records([a, b])}["33"] == "Tie, second file."
    assert {row["pmid"]: row["title"] for row in collect_records([b, a])}["33"] == "Tie, first file."


def test_two_copies_of_one_version_with_other_content_are_named_and_the_later_kept(tmp_path, capsys):
    a = pubmed_file(tmp_path / "a.xml", article("5", title="First wording.", revised="2020-01-01"), article("6"))
    b = pubmed_file(tmp_path / "b.xml", article("5", title="Second wording.", revised="2020-01-01"), article("6"))
    write_records([a, b], tmp_path / "records.tsv")
    rows = read_tsv(tmp_path / "records.tsv")
    assert [(row["pmid"], row["title"], row["source_file"]) for row in rows] == [
        ("5", "Second wording.", "b.xml"), ("6", "A title.", "b.xml")]
    # Only PMID 5 differs: PMID 6 is the same record in both files (its source file aside).
    assert capsys.readouterr().err.splitlines() == [
        "PMID 5 (version 1, revised 2020-01-01) differs between a.xml and b.xml: kept the one read later, "
        "from the manifest's order"]


def test_the_records_table_is_written_from_a_spool_not_from_rows_in_memory(tmp_path, monkeypatch):
    path = renumbered_snapshot(tmp_path / "big.xml", 500)
    held = []
    real = records._spool_latest

    def spy(files, spool):  # what _spool_latest keeps: one small index entry per PMID, no row
        places = real(files, spool)
        held.append(places)
        return places

    monkeypatch.setattr(records, "_spool_latest", spy)
    assert write_records([path], tmp_path / "records.tsv") == 500
    assert all(isinstance(place, tuple) and len(place) == 2 for place in held[0])
    assert (tmp_path / "records.tsv").read_text(encoding="utf-8").count("\n") == 501
    assert not [p.name for p in tmp_path.iterdir() if p.name not in ("big.xml", "records.tsv")]


def test_iter_pmids_gives_iter_records_pmids_and_the_file_checksum(tmp_path):
    digest = hashlib.sha256()
    assert list(pubmed.iter_pmids(SNAPSHOT, digest)) == [row["pmid"] for row in iter_records(SNAPSHOT)]
    assert digest.hexdigest() == pubmed.file_sha256(SNAPSHOT)
    packed = tmp_path / "snapshot.xml.gz"
    packed.write_bytes(gzip.compress(SNAPSHOT.read_bytes()))
    digest = hashlib.sha256()
    assert len(list(pubmed.iter_pmids(packed, digest))) == 41
    assert digest.hexdigest() == pubmed.file_sha256(packed)  # of the file's bytes, compressed
    with pytest.raises(InputError, match=r"bad\.xml, line 3, field 'PMID': PMID '12a' is not a number"):
        list(pubmed.iter_pmids(pubmed_file(tmp_path / "bad.xml", article("12a"))))


def test_a_listed_file_changed_into_bad_xml_is_reported_as_changed(tmp_path):
    copy = pubmed_file(tmp_path / "copy.xml", article("1"), article("2"))
    write_manifest([copy], tmp_path / "manifest.tsv")
    copy.write_text(copy.read_text(encoding="utf-8")[:-30], encoding="utf-8")  # cut off: not XML any more
    with pytest.raises(InputError) as caught:
        write_records(pubmed.list_manifest(tmp_path / "manifest.tsv"), tmp_path / "records.tsv")
    assert caught.value.field == "sha256" and caught.value.line == 2 and "changed since retrieval" in str(caught.value)
    assert not (tmp_path / "records.tsv").exists()


# --- bad input -------------------------------------------------------------------------------------

def test_truncated_file_names_file_and_line(tmp_path):
    text = SNAPSHOT.read_text(encoding="utf-8")
    broken = tmp_path / "truncated.xml"
    broken.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(InputError) as caught:
        list(iter_records(broken))
    assert "truncated.xml, line " in str(caught.value) and "malformed XML" in str(caught.value)
    assert caught.value.line >= 1


def test_empty_and_corrupt_gzip_files(tmp_path):
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.xml, line 1: malformed XML"):
        list(iter_records(empty))
    fake = tmp_path / "fake.xml.gz"
    fake.write_bytes(b"<PubmedArticleSet/>")
    with pytest.raises(InputError, match=r"fake\.xml\.gz: cannot read file"):
        list(iter_records(fake))


def test_article_without_pmid_or_with_a_bad_pmid(tmp_path):
    missing = pubmed_file(tmp_path / "missing.xml", article("1"), article("2").replace('<PMID Version="1">2</PMID>', ""))
    with pytest.raises(InputError) as caught:
        list(iter_records(missing))
    assert caught.value.field == "PMID" and caught.value.line == 4
    bad = pubmed_file(tmp_path / "bad.xml", article("12a"))
    with pytest.raises(InputError, match=r"bad\.xml, line 3, field 'PMID': PMID '12a' is not a number"):
        list(iter_records(bad))


# --- streaming -------------------------------------------------------------------------------------

def renumbered_snapshot(path: Path, count: int) -> Path:
    """`count` articles with unique PMIDs 1..count, cycling through the snapshot's articles."""
    articles = [etree.tostring(a, encoding="unicode") for a in etree.parse(str(SNAPSHOT)).getroot()]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("<PubmedArticleSet>\n")
        for number in range(1, count + 1):
            template = articles[number % len(articles)]
            pmid = template.split('<PMID Version="1">', 1)[1].split("<", 1)[0]
            handle.write(template.replace(f">{pmid}<", f">{number}<") + "\n")
        handle.write("</PubmedArticleSet>\n")
    return path


def test_iter_records_streams_without_keeping_parsed_articles(tmp_path, monkeypatch):
    path = renumbered_snapshot(tmp_path / "big.xml", 2000)
    parsed = []
    real_iterparse = pubmed.etree.iterparse

    def spy(*args, **kwargs):  # remembers each element iterparse hands to the parser
        for event, element in real_iterparse(*args, **kwargs):
            parsed.append(element)
            yield event, element

    monkeypatch.setattr(pubmed.etree, "iterparse", spy)
    elements_in_tree = []
    for record in iter_records(path):
        article = parsed[-1]
        root = article.getroottree().getroot()
        # The article just read is emptied and is the root's first child (earlier ones are gone).
        assert len(article) == 0 and root[0] is article
        elements_in_tree.append(sum(1 for _ in root.iter()))
        parsed.clear()
    assert len(elements_in_tree) == 2000 and record["pmid"] == "2000"
    # Left in the tree: only the articles lxml has already read ahead in its current input chunk
    # (a few hundred elements), never the ~100,000 elements of the 2,000 articles.
    assert max(elements_in_tree) < 1500
    assert max(elements_in_tree[1000:]) <= 1.5 * max(elements_in_tree[:1000])


# --- manifest and the command line -----------------------------------------------------------------

def test_cli_writes_records_from_the_manifest(tmp_path):
    write_manifest([SNAPSHOT], tmp_path / "manifest.tsv")
    result = lsr_in_process("records", "--manifest", "manifest.tsv", "--out", "results/records.tsv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "41 unique PMIDs from 1 file(s)" in result.stdout
    table = (tmp_path / "results/records.tsv").read_text(encoding="utf-8")
    assert table.splitlines()[0].split("\t") == COLUMNS and table.count("\n") == 42


def test_cli_bad_manifest_exits_2_naming_the_line(tmp_path):
    copy = tmp_path / "copy.xml"
    copy.write_bytes(SNAPSHOT.read_bytes())
    write_manifest([SNAPSHOT, copy], tmp_path / "manifest.tsv")
    copy.write_bytes(SNAPSHOT.read_bytes().replace(b"Cyclosporin in juvenile", b"Ciclosporin in juvenile"))
    result = lsr_in_process("records", "--manifest", "manifest.tsv", "--out", "records.tsv", cwd=tmp_path)
    assert result.returncode == 2
    assert "manifest.tsv, line 3, field 'sha256'" in result.stderr and "changed since retrieval" in result.stderr
    copy.unlink()
    result = lsr_in_process("records", "--manifest", "manifest.tsv", "--out", "records.tsv", cwd=tmp_path)
    assert result.returncode == 2
    assert "manifest.tsv, line 3, field 'path'" in result.stderr and "does not exist" in result.stderr
    assert not (tmp_path / "records.tsv").exists()


def test_cli_malformed_xml_exits_2_naming_file_and_line(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text('<?xml version="1.0" ?>\n<PubmedArticleSet>\n<PubmedArticle>\n</PubmedArticleSet>\n')
    write_manifest([broken], tmp_path / "manifest.tsv")
    result = lsr_in_process("records", "--manifest", "manifest.tsv", "--out", "records.tsv", cwd=tmp_path)
    assert result.returncode == 2
    assert "broken.xml, line 4: malformed XML" in result.stderr


def test_read_manifest_and_resolve_inputs(tmp_path):
    (tmp_path / "snap").mkdir()
    for name in ("b.xml", "a.xml.gz", "notes.txt"):
        (tmp_path / "snap" / name).write_bytes(b"x")
    assert [p.name for p in resolve_inputs("snap", base=tmp_path)] == ["a.xml.gz", "b.xml"]
    assert [p.name for p in resolve_inputs(["snap/*.xml"], base=tmp_path)] == ["b.xml"]
    with pytest.raises(InputError, match="no PubMed XML file matches"):
        resolve_inputs("nothing/*.xml", base=tmp_path)
    manifest = tmp_path / "manifest.tsv"
    manifest.write_text(f"path\tsha256\n{tmp_path / 'snap/b.xml'}\t\n")
    assert read_manifest(manifest) == [tmp_path / "snap/b.xml"]
