"""Sources stage: RIS records from other sources and deduplication against PubMed."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import lsr_in_process, run_snakemake
from lsr.pubmed import resolve_inputs
from lsr.records import collect_records
from lsr.sources import (COLUMNS, DUPLICATE_COLUMNS, author_name, author_names, deduplicate,
                         normalise_doi, normalise_title, read_ris)
from lsr.tsv import InputError, read_tsv

OTHER_SOURCES = "resources/other_sources/other-sources.ris"
REVIEWER_ADDED = "tests/fixtures/review/config/other_sources/reviewer-added.ris"  # frozen copy: the review's own file grows


@pytest.fixture(scope="module")
def pubmed_records(repo):
    return collect_records(resolve_inputs("resources/snapshot/*.xml", base=repo))


@pytest.fixture(scope="module")
def other_rows(repo):
    return read_ris(repo / OTHER_SOURCES) + read_ris(repo / REVIEWER_ADDED)


def write_ris(tmp_path: Path, text: str, name: str = "hand-search.ris") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def ris_record(title: str, year: str = "", doi: str = "", authors=(), extra: str = "",
               kind: str = "JOUR") -> str:
    lines = [f"TY  - {kind}", *[f"AU  - {a}" for a in authors], f"TI  - {title}"]
    lines += [f"PY  - {year}"] * bool(year) + [f"DO  - {doi}"] * bool(doi)
    return "\n".join(lines) + ("\n" + extra if extra else "") + "\nER  - \n\n"


def other(title: str, record_id: str, year: str = "", doi: str = "", first_author: str = "",
          source_file: str = "hand-search.ris", **extra) -> dict:
    row = {column: "" for column in COLUMNS}
    row.update(record_id=record_id, source="other", source_file=source_file, title=title, year=year,
               doi=doi, first_author=first_author, retracted="no", **extra)
    return row


def pubmed(pmid: str, title: str, year: str = "", doi: str = "", first_author: str = "") -> dict:
    return {"pmid": pmid, "title": title, "year": year, "doi": doi, "first_author": first_author,
            "source_file": "snapshot.xml", "retracted": "no"}


# Reading RIS

def test_bundled_other_sources_are_read_with_ids_years_and_dois(repo):
    rows = read_ris(repo / OTHER_SOURCES)
    portuguese_id = "ris:" + hashlib.sha1(normalise_title(
        "Tacrolimus tópico nas lesões cutâneas refratárias da dermatomiosite juvenil").encode()).hexdigest()[:12]
    assert [(r["record_id"], r["year"], r["doi"]) for r in rows] == [
        ("doi:10.4103/injr.injr_128_20", "2020", "10.4103/injr.injr_128_20"),
        (portuguese_id, "2007", ""),
        ("doi:10.1007/s10067-015-3065-0", "2015", "10.1007/s10067-015-3065-0"),
        ("doi:10.3760/cma.j.issn.0578-1310.2019.12.007", "2019", "10.3760/cma.j.issn.0578-1310.2019.12.007"),
        ("doi:10.1186/1546-0096-6-s1-p215", "2008", "10.1186/1546-0096-6-s1-p215"),
    ]
    assert all(r["source"] == "other" and r["source_file"] == "other-sources.ris" for r in rows)
    assert all(r["retracted"] == "no" and not r["pmid"] for r in rows)
    rao, brazil, _, _, congress = rows
    assert rao["journal"] == "Indian J Rheumatol" and rao["first_author"] == "Rao"
    assert rao["authors"] == "Rao AP; Kolli V; Rajarathinam I; Raghuram J"
    assert rao["abstract"].startswith("Juvenile dermatomyositis (JDM) is the most common")
    assert brazil["language"] == ""  # the file has no LA tag, and none is guessed
    assert brazil["authors"] == "" and brazil["journal"] == "Rev. bras. reumatol"
    assert congress["publication_types"] == "Congress abstract"
    assert rao["publication_types"] == "Journal Article"


def test_reviewer_added_studies_have_readable_ids_and_no_invented_doi(repo):
    rows = {r["record_id"]: r for r in read_ris(repo / REVIEWER_ADDED)}
    assert set(rows) == {"ris:yamada-2004", "ris:modesto-2003"}
    yamada, modesto = rows["ris:yamada-2004"], rows["ris:modesto-2003"]
    assert yamada["authors"] == "Yamada A; Ohshima Y; Omata N; Yasutomi M; Mayumi M"
    assert (yamada["journal"], yamada["year"]) == ("Eur J Pediatr", "2004")
    assert (modesto["journal"], modesto["year"], modesto["first_author"]) == ("Ann Rheum Dis", "2003", "Modesto")
    assert all(not r["doi"] and not r["abstract"] for r in rows.values())
    text = (repo / REVIEWER_ADDED).read_text()
    assert text.count("N1  - Added by a reviewer from the reference list") == 2


@pytest.mark.parametrize("raw, display, surname", [
    ("Rao, A. P.", "Rao AP", "Rao"),
    ("Rao, Anand P", "Rao AP", "Rao"),
    ("Yongpeng Ge", "Ge Y", "Ge"),
    ("J Hassan", "Hassan J", "Hassan"),
    ("JJ van der Net", "van der Net JJ", "van der Net"),
    ("A van Royen-Kerkhof", "van Royen-Kerkhof A", "van Royen-Kerkhof"),
    ("Hassan JJ", "Hassan JJ", "Hassan"),
    ("Guo, Hong-Li", "Guo HL", "Guo"),
    ("Jun HOU", "Hou J", "Hou"),
    ("HOU, JUN", "Hou J", "Hou"),
    ("Juvenile Dermatomyositis Research Group", "Juvenile Dermatomyositis Research Group",
     "Juvenile Dermatomyositis Research Group"),
])
def test_author_name_styles(raw, display, surname):
    assert author_name(raw) == (display, surname)


def test_capitalised_two_letter_surnames_follow_the_records_name_order():
    names = author_names(["Jun HOU", "Jianguo LI", "Yingjie XU"])
    assert [display for display, _ in names] == ["Hou J", "Li J", "Xu Y"]
    assert [display for display, _ in author_names(["Hassan J", "van der Net JJ"])] == \
        ["Hassan J", "van der Net JJ"]


def test_ris_fields_map_to_the_records_contract(tmp_path):
    path = write_ris(tmp_path, ris_record(
        "Um estudo", doi="https://doi.org/10.1000/ABC.1", authors=["Silva, M."], kind="CONF",
        extra="JO  - Rev Bras\nLA  - Portuguese\nKW  - tacrolimus; JDM\nKW  - child\n"
              "Y1  - 2011///\nAN  - PMID: 123456"))
    (row,) = read_ris(path)
    assert row["record_id"] == "doi:10.1000/abc.1" and row["doi"] == "10.1000/abc.1"
    assert (row["journal"], row["year"], row["language"]) == ("Rev Bras", "2011", "por")
    assert row["keywords"] == "tacrolimus; JDM; child"
    assert row["publication_types"] == "Congress"
    assert row["_pmid"] == "123456" and row["pmid"] == ""


@pytest.mark.parametrize("text, line, field", [
    ("TI  - No type\nER  - \n", 1, "TY"),
    ("TY  - JOUR\nTI  - First\nER  - \n\nTY  - JOUR\nTI  - Never ends\n", 5, "ER"),
    ("TY  - JOUR\nTI  - First\nTY  - JOUR\nTI  - Second\nER  - \n", 1, "ER"),
    ("TY  - JOUR\nTI  - A title\nZZ  - what\nER  - \n", 3, "ZZ"),
    ("TY  - JOUR\nTI - one space\nER  - \n", 2, "TI"),
    ("notes before\nTY  - JOUR\nTI  - A title\nER  - \n", 1, "TY"),
    ("TY  - NOPE\nTI  - A title\nER  - \n", 1, "TY"),
    ("TY  - JOUR\nPY  - 2001\nER  - \n", 1, "TI"),
    ("TY  - JOUR\nTI  - A title\nDO  - see the journal page\nER  - \n", 3, "DO"),
])
def test_malformed_ris_names_file_line_and_field(tmp_path, text, line, field):
    path = write_ris(tmp_path, text)
    with pytest.raises(InputError) as caught:
        read_ris(path)
    assert (caught.value.path, caught.value.line, caught.value.field) == (str(path), line, field)
    assert str(caught.value).startswith(f"{path}, line {line}")


def test_two_records_with_one_record_id_in_a_file_name_both_lines(tmp_path):
    path = write_ris(tmp_path, ris_record("First", extra="ID  - hand-1")
                     + ris_record("Second", extra="ID  - hand-1"))
    with pytest.raises(InputError, match=r"line 8, field 'ID'.*ris:hand-1.*record at line 1"):
        read_ris(path)
    same_doi = write_ris(tmp_path, ris_record("First", doi="10.1000/a") + ris_record("Second", doi="10.1000/A"))
    with pytest.raises(InputError, match=r"line 8, field 'DO'.*record at line 1"):
        read_ris(same_doi)


# Deduplication

def test_normalised_title_folds_case_accents_punctuation_and_pubmed_brackets():
    assert normalise_title("[Tacrolimus tópico na  dermatomiosite juvenil].") == \
        normalise_title("Tacrolimus Topico na Dermatomiosite-Juvenil")
    assert normalise_doi(" https://doi.org/10.1007/S10067-008-0973-2 ") == "10.1007/s10067-008-0973-2"


def test_bundled_congress_abstract_merges_into_the_pubmed_record(pubmed_records, other_rows):
    unique, duplicates = deduplicate(pubmed_records, other_rows)
    assert [(d["record_id"], d["duplicate_of"], d["matched_on"]) for d in duplicates] == [
        ("doi:10.1186/1546-0096-6-s1-p215", "pmid:18716733", "title")]
    ids = [row["record_id"] for row in unique]
    assert len(unique) == len(pubmed_records) + len(other_rows) - 1
    assert "doi:10.4103/injr.injr_128_20" in ids and "doi:10.1186/1546-0096-6-s1-p215" not in ids
    assert ids[:len(pubmed_records)] == [f"pmid:{r['pmid']}" for r in pubmed_records]
    assert ids[len(pubmed_records):] == sorted(ids[len(pubmed_records):])
    assert {row["source"] for row in unique[:len(pubmed_records)]} == {"PubMed"}


def test_doi_match_ignores_case_and_resolver_prefix():
    unique, duplicates = deduplicate(
        [pubmed("100", "A randomised trial of something else entirely", "2010", "10.1000/xyz")],
        [other("Different wording of the same trial in a database", "doi:10.1000/xyz", "2010",
               "https://doi.org/10.1000/XYZ")])
    assert [d["matched_on"] for d in duplicates] == ["doi"] and len(unique) == 1


def test_pmid_stated_in_ris_matches_the_pubmed_record():
    _, duplicates = deduplicate([pubmed("18716733", "Treatment of JDM with tacrolimus", "2008")],
                                [other("Tacrolimus for refractory JDM", "ris:x", "2008", _pmid="18716733")])
    assert [(d["duplicate_of"], d["matched_on"]) for d in duplicates] == [("pmid:18716733", "pmid")]


def test_short_generic_titles_do_not_merge_different_papers():
    records = [pubmed("1", "Juvenile dermatomyositis.", "2008", first_author="Feldman")]
    other_papers = [other("Juvenile dermatomyositis", "ris:a", "2009", first_author="Feldman"),
                    other("Juvenile dermatomyositis", "ris:b", "2008", first_author="Pachman"),
                    other("Juvenile dermatomyositis", "ris:c", "", first_author="Feldman")]
    unique, duplicates = deduplicate(records, other_papers)
    assert duplicates == [] and len(unique) == 4
    _, same = deduplicate(records, [other("Juvenile Dermatomyositis", "ris:d", "2008", first_author="Feldman")])
    assert [d["matched_on"] for d in same] == ["title"]


def test_title_match_needs_years_within_one():
    title = "Tacrolimus in refractory juvenile dermatomyositis: a case series"
    records = [pubmed("1", title + ".", "2008")]
    _, far = deduplicate(records, [other(title, "ris:far", "2012")])
    _, near = deduplicate(records, [other(title, "ris:near", "2007")])
    _, undated = deduplicate(records, [other(title, "ris:undated", "")])
    assert far == [] and len(near) == 1 and len(undated) == 1


def test_other_sources_dedupe_among_themselves_keeping_the_first():
    title = "Oral tacrolimus for calcinosis in juvenile dermatomyositis"
    unique, duplicates = deduplicate([], [other(title, "ris:first", "2019", source_file="a.ris"),
                                          other(title.upper(), "ris:second", "2019", source_file="b.ris")])
    assert [r["record_id"] for r in unique] == ["ris:first"]
    assert duplicates == [{"record_id": "ris:second", "duplicate_of": "ris:first", "matched_on": "title",
                           "source_file": "b.ris", "title": title.upper(), "_line": None}]


def test_one_record_id_for_two_different_records_across_files_is_an_error():
    with pytest.raises(InputError, match="ris:7.*a.ris"):
        deduplicate([], [other("Oral tacrolimus in JDM: a case report", "ris:7", source_file="a.ris"),
                         other("Cyclosporin in adult polymyositis: a trial", "ris:7", source_file="b.ris")])


# The user's path

def lsr_sources(repo, tmp_path, *ris, new_process=False):
    """`lsr retrieve` (the snapshot), `lsr records` and `lsr sources`: `records` and `sources` in a new
    process each (`python -m lsr`) or through the entry point's main in this one."""
    out = {name: tmp_path / f"{name}.tsv" for name in ("records", "other", "unique", "duplicates")}
    subprocess.run([sys.executable, "-m", "lsr", "retrieve", "--source", "snapshot", "--snapshot",
                    str(repo / "resources/snapshot/tacrolimus-jdm-2024.xml"), "--query", "q",
                    "--manifest", str(tmp_path / "manifest.tsv"), "--search-log", str(tmp_path / "log.tsv")],
                   check=True, capture_output=True)

    def lsr(*args):
        if new_process:
            return subprocess.run([sys.executable, "-m", "lsr", *map(str, args)], capture_output=True, text=True)
        return lsr_in_process(*args)

    lsr("records", "--manifest", tmp_path / "manifest.tsv", "--out", out["records"]).check_returncode()
    result = lsr("sources", "--records", out["records"], "--ris", *ris, "--other-out", out["other"],
                 "--unique-out", out["unique"], "--duplicates-out", out["duplicates"])
    return result, out


def test_cli_writes_the_three_tables_deterministically(repo, tmp_path):
    # The first run in new processes, the second in this one: two hash seeds.
    result, out = lsr_sources(repo, tmp_path, repo / OTHER_SOURCES, repo / REVIEWER_ADDED, new_process=True)
    assert result.returncode == 0, result.stderr
    assert "41 PubMed records, 7 records from 2 other source file(s), 1 duplicate(s)" in result.stdout
    unique = read_tsv(out["unique"], required=COLUMNS)
    assert len(unique) == 47 and list(unique[0])[:-1] == COLUMNS
    assert len(read_tsv(out["other"], required=COLUMNS)) == 7
    (duplicate,) = read_tsv(out["duplicates"], required=DUPLICATE_COLUMNS)
    assert duplicate["duplicate_of"] == "pmid:18716733"
    first = {name: path.read_bytes() for name, path in out.items()}
    lsr_sources(repo, tmp_path, repo / OTHER_SOURCES, repo / REVIEWER_ADDED)
    assert {name: path.read_bytes() for name, path in out.items()} == first


def test_cli_without_ris_files_and_with_a_bad_one(repo, tmp_path):
    result, out = lsr_sources(repo, tmp_path)
    assert result.returncode == 0, result.stderr
    assert out["other"].read_text() == "\t".join(COLUMNS) + "\n"
    assert len(read_tsv(out["unique"])) == 41
    bad = write_ris(tmp_path, "TY  - JOUR\nTI  - No end\n", name="bad.ris")
    result, _ = lsr_sources(repo, tmp_path, bad)
    assert result.returncode == 2
    assert f"{bad}, line 1, field 'ER'" in result.stderr


def test_snakemake_rule_reads_the_configured_ris_files(workflow_copy):
    run_snakemake(workflow_copy, "results/unique_records.tsv")
    unique = read_tsv(workflow_copy / "results/unique_records.tsv", required=COLUMNS)
    ids = {row["record_id"] for row in unique}
    assert {"ris:yamada-2004", "ris:modesto-2003", "doi:10.4103/injr.injr_128_20", "pmid:18716733"} <= ids
    assert "sources: 41 PubMed records" in (workflow_copy / "results/logs/sources.log").read_text()
