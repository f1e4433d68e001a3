"""Retrieval: NCBI answers parsed, the live PubMed path against a fake E-utilities server, the store."""
from __future__ import annotations

import datetime as dt
import gzip
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from Bio import Entrez

from conftest import REPO, SHARED, copy_workflow, run_snakemake
from lsr import retrieval
from lsr.pubmed import read_manifest
from lsr.records import collect_records
from lsr.ncbi import NcbiSettings, RetrievalError
from lsr.retrieval import (manifest_as_of, parse_epost, parse_esearch,
                           retrieve_pubmed, write_snapshot)
from lsr.tsv import read_tsv
from ncbi_server import FakeEutils, split_articles

NCBI = SHARED / "ncbi"
SNAPSHOT = REPO / "resources/snapshot/tacrolimus-jdm-2024.xml"
EMAIL, KEY = "reviewer@example.org", "secret-test-key-123"
DAY1 = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.timezone.utc)
DAY2 = dt.datetime(2026, 3, 8, 9, 30, tzinfo=dt.timezone.utc)
QUERY = "tacrolimus AND dermatomyositis"


@pytest.fixture(scope="module")
def articles() -> dict[str, bytes]:
    return split_articles(SNAPSHOT)


@pytest.fixture
def fake(articles, entrez_unthrottled):
    """The fake NCBI server, asked without Entrez's rate-limit pauses (one test checks those)."""
    with FakeEutils(articles) as server:
        yield server


def settings(fake: FakeEutils, **overrides) -> NcbiSettings:
    values = dict(email=EMAIL, api_key=KEY, eutils_url=fake.url, batch_size=10, max_tries=3,
                  backoff_seconds=0.01, timeout_seconds=10)
    return NcbiSettings(**{**values, **overrides})


def run(tmp_path: Path, fake: FakeEutils, now=DAY1, **overrides):
    return retrieve_pubmed(QUERY, settings(fake, **overrides), tmp_path / "data", tmp_path / "manifest.tsv",
                           tmp_path / "search_log.tsv", now=now)


def stored_pmids(path: Path) -> list[str]:
    return [record["pmid"] for record in collect_records([path])]


def efetched(fake: FakeEutils) -> list[str]:
    """PMIDs the server sent in efetch answers, from its request log and history."""
    pmids = []
    for call in fake.calls("efetch"):
        history = fake._history[call["params"]["webenv"]]
        start = int(call["params"]["retstart"])
        pmids += history[start:start + int(call["params"]["retmax"])]
    return pmids


# --- parsing real NCBI answers -------------------------------------------------------------------

@pytest.mark.parametrize("name, count, ids, first, translation, webenv", [
    ("esearch1.xml", 63, 20, "41282813", '"biopython"[All Fields]', ""),
    ("esearch2.xml", 42249, 100, "41297076", '("cancer s"[All Fields]', "MCID_6927d6e7fee3e90f880ec190"),
    ("esearch3.xml", 2651, 6, "11121077", '"proc natl acad sci u s a"[Journal] AND "97"[Volume]', ""),
    ("esearch5.xml", 5, 5, "6540636", '("stem cells"[MeSH Terms] OR', ""),
    ("esearch6.xml", 1018, 20, "3069587804", "biomol trna[prop]", ""),
    ("esearch7.xml", 330, 20, "3108048616", "000200020[molecular weight]", ""),
    ("esearch8.xml", 0, 0, None, "(abcXYZ[All Fields])", ""),
])
def test_parse_esearch_reads_every_real_answer(name, count, ids, first, translation, webenv):
    result = parse_esearch((NCBI / name).read_bytes())
    assert (result.count, len(result.pmids), result.webenv) == (count, ids, webenv)
    assert (result.pmids[0] if result.pmids else None) == first
    assert result.translation.startswith(translation)
    assert all(pmid.isdigit() for pmid in result.pmids)
    if name == "esearch2.xml":
        assert result.query_key == "1"
    if name == "esearch8.xml":
        assert result.not_found == ["abcXYZ"] and result.warnings == ["No items found."]
    else:
        assert result.not_found == []


def test_parse_epost_reads_the_history_key():
    assert parse_epost((NCBI / "epost1.xml").read_bytes()) == ("MCID_692851c130aec64bed0a8c2a", "1")


@pytest.mark.parametrize("name, messages", [
    ("epost2.xml", ["Invalid db name specified: nothing"]),
    ("epost3.xml", ["Empty ID list; Nothing to store", "Some IDs have invalid value and were omitted"]),
])
def test_errors_inside_a_200_answer_raise_with_every_message(name, messages):
    with pytest.raises(RetrievalError) as error:
        parse_epost((NCBI / name).read_bytes())
    assert "NCBI reported an error" in str(error.value)
    assert all(message in str(error.value) for message in messages)


def test_an_efetch_error_answer_raises_with_its_message():
    body = b'<?xml version="1.0" ?>\n<eFetchResult><ERROR>Unable to obtain query #1</ERROR></eFetchResult>'
    with pytest.raises(RetrievalError, match="Unable to obtain query #1"):
        retrieval.parse_efetch(body, "efetch")


# --- live search against the fake server ---------------------------------------------------------

def test_multi_batch_fetch_stores_every_record_and_logs_the_search(tmp_path, fake, articles, caplog):
    caplog.set_level(logging.INFO)
    result = run(tmp_path, fake)
    efetch = fake.calls("efetch")
    assert [(c["params"]["retstart"], c["params"]["retmax"]) for c in efetch] == \
        [("0", "10"), ("10", "10"), ("20", "10"), ("30", "10"), ("40", "1")]
    assert {c["params"]["webenv"] for c in efetch} == {"MCID_fake000001"}  # esearch's history, no epost
    assert not fake.calls("epost")
    search = fake.calls("esearch")[0]["params"]
    assert (search["term"], search["usehistory"], search["db"]) == (QUERY, "y", "pubmed")
    assert all(c["params"]["rettype"] == "xml" and c["params"]["retmode"] == "xml" for c in efetch)
    assert (result.count, result.fetched, result.new, result.updated) == (41, 41, 41, 0)
    assert result.snapshot.name == "2026-03-01T093000Z.xml.gz"
    assert sorted(stored_pmids(result.snapshot), key=int) == sorted(articles, key=int)
    bundled = collect_records([SNAPSHOT])
    rows = collect_records(read_manifest(tmp_path / "manifest.tsv"))
    assert [{k: v for k, v in r.items() if k != "source_file"} for r in rows] == \
        [{k: v for k, v in r.items() if k != "source_file"} for r in bundled]
    log = read_tsv(tmp_path / "search_log.tsv", required=retrieval.SEARCH_LOG_COLUMNS)
    assert [(r["source"], r["query"], r["count"], r["fetched"], r["new"]) for r in log] == \
        [("pubmed", QUERY, "41", "41", "41")]
    assert log[0]["query_translation"] == fake.translation
    # The e-mail and key go to NCBI with every request, and nowhere else.
    assert all(r["params"]["email"] == EMAIL and r["params"]["api_key"] == KEY and r["params"]["tool"] == "lsr"
               for r in fake.requests)
    written = [p for p in (tmp_path).rglob("*") if p.is_file()]
    for path in written:
        text = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        assert EMAIL.encode() not in text and KEY.encode() not in text, path
    assert EMAIL not in caplog.text and KEY not in caplog.text
    assert not (tmp_path / "data/pubmed-partial").exists()
    assert Entrez.email is None and Entrez.max_tries == 3  # Bio.Entrez restored after the run


@pytest.mark.parametrize("utility, status", [("efetch", 429), ("efetch", 500), ("esearch", 429), ("esearch", 503)])
def test_transient_http_errors_are_retried_after_backoff(tmp_path, fake, utility, status, caplog):
    fake.faults[utility] = [None, status] if utility == "efetch" else [status]
    result = run(tmp_path, fake)
    assert result.fetched == 41 and len(stored_pmids(result.snapshot)) == 41
    assert len(fake.calls(utility)) == (6 if utility == "efetch" else 2)
    assert f"HTTP {status}" in caplog.text and "retrying in 0.01 s (try 2 of 3)" in caplog.text


def test_retries_wait_longer_each_time_and_then_give_up(tmp_path, fake):
    fake.faults["esearch"] = [500, 500, 500]
    with pytest.raises(RetrievalError, match="HTTP 500.*gave up after 3 tries"):
        run(tmp_path, fake, backoff_seconds=0.1)
    times = [call["time"] for call in fake.calls("esearch")]
    assert times[1] - times[0] >= 0.1 and times[2] - times[1] >= 0.2
    assert not (tmp_path / "manifest.tsv").exists()


def test_a_client_error_stops_at_once(tmp_path, fake):
    fake.faults["esearch"] = [400]
    with pytest.raises(RetrievalError, match="HTTP 400"):
        run(tmp_path, fake)
    assert len(fake.calls("esearch")) == 1


def test_network_errors_are_retried_then_reported(tmp_path, entrez_unthrottled):
    with FakeEutils({}) as closed:
        url = closed.url
    unreachable = NcbiSettings(email=EMAIL, eutils_url=url, max_tries=2, backoff_seconds=0.01)
    with pytest.raises(RetrievalError, match="network error.*gave up after 2 tries"):
        retrieve_pubmed(QUERY, unreachable, tmp_path / "data", tmp_path / "m.tsv", tmp_path / "log.tsv")


def test_requests_keep_to_ncbi_rate_limits(tmp_path, articles):
    with FakeEutils(articles) as fake:   # Entrez as it is, with its pauses
        run(tmp_path, fake, api_key="", batch_size=20)  # esearch + 3 efetch, no key: at most 3/s
    times = [call["time"] for call in fake.requests]
    assert len(times) == 4 and min(b - a for a, b in zip(times, times[1:])) >= 0.33
    assert all("api_key" not in call["params"] for call in fake.requests)


def test_a_truncated_efetch_body_fails_loudly_through_the_cli(tmp_path, fake):
    fake.faults["efetch"] = [None, "truncate"]
    command = [sys.executable, "-m", "lsr", "retrieve", "--source", "pubmed", "--query", QUERY,
               "--manifest", "manifest.tsv", "--search-log", "search_log.tsv", "--eutils-url", fake.url,
               "--batch-size", "10", "--backoff-seconds", "0.01"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "NCBI_EMAIL": EMAIL, "NCBI_API_KEY": KEY})
    assert result.returncode != 0
    assert "batch 2 of 5" in result.stderr and "not complete XML" in result.stderr
    assert EMAIL not in result.stderr + result.stdout and KEY not in result.stderr + result.stdout
    assert not list((tmp_path / "data/pubmed").glob("*.xml.gz"))
    assert len(list((tmp_path / "data/pubmed-partial").iterdir())) == 1  # batch 1 kept for the rerun
    assert not (tmp_path / "manifest.tsv").exists()


def test_fewer_records_than_asked_for_is_an_error(tmp_path, fake, articles):
    nine = sorted(articles, key=int, reverse=True)[:9]
    fake.faults["efetch"] = [fake.efetch({"id": ",".join(nine)})]
    with pytest.raises(RetrievalError, match="9 records in the answer; expected 10"):
        run(tmp_path, fake)


@pytest.mark.parametrize("name, problem", [("esearch1.xml", "Count is 63 but the answer lists 20 PMIDs"),
                                           ("esearch2.xml", "42249 records: PubMed's esearch lists at most")])
def test_an_incomplete_pmid_list_is_an_error(tmp_path, fake, name, problem):
    fake.faults["esearch"] = [(NCBI / name).read_bytes()]
    with pytest.raises(RetrievalError, match=problem):
        run(tmp_path, fake)


def test_a_query_that_finds_nothing_finishes_empty_and_says_so(tmp_path, fake, caplog):
    fake.faults["esearch"] = [(NCBI / "esearch8.xml").read_bytes()]
    result = run(tmp_path, fake)
    assert (result.count, result.fetched, result.snapshot) == (0, 0, None)
    assert "the query found nothing" in caplog.text and "abcXYZ" in caplog.text
    assert not fake.calls("efetch") and not fake.calls("epost")
    assert (tmp_path / "manifest.tsv").read_text() == "path\tsha256\n"
    log = read_tsv(tmp_path / "search_log.tsv")
    assert (log[0]["count"], log[0]["fetched"], log[0]["query_translation"]) == ("0", "0", "(abcXYZ[All Fields])")


def test_an_interrupted_run_resumes_without_fetching_finished_batches(tmp_path, fake):
    fake.faults["efetch"] = [None, None, 500, 500]
    with pytest.raises(RetrievalError, match="batch 3 of 5"):
        run(tmp_path, fake, max_tries=2)
    done = efetched(fake)[:20]
    assert len(list((tmp_path / "data/pubmed-partial").iterdir())) == 2
    fake.requests.clear()
    result = run(tmp_path, fake, now=DAY2)
    posted = fake.calls("epost")[0]["params"]["id"].split(",")
    assert sorted(posted, key=int) == sorted(set(fake.found) - set(done), key=int) and len(posted) == 21
    assert len(fake.calls("efetch")) == 3 and not set(efetched(fake)) & set(done)
    assert result.fetched == 41 and len(stored_pmids(result.snapshot)) == 41
    assert not (tmp_path / "data/pubmed-partial").exists()
    # Records fetched by the first try are rechecked from the day before it, not from the rerun.
    searches = read_tsv(tmp_path / "data/pubmed/searches.tsv")
    assert searches[-1]["checkpoint"] == "2026-02-28"


def test_a_later_run_fetches_only_the_new_pmid(tmp_path, fake):
    extra = fake.found.pop(0)
    first = run(tmp_path, fake)
    assert first.count == 40
    fake.found.insert(0, extra)
    fake.requests.clear()
    second = run(tmp_path, fake, now=DAY2)
    assert fake.calls("epost")[0]["params"]["id"] == extra and efetched(fake) == [extra]
    mdat = fake.calls("esearch")[1]["params"]
    assert (mdat["datetype"], mdat["mindate"], mdat["maxdate"]) == ("mdat", "2026/02/28", "2026/03/08")
    assert (second.count, second.fetched, second.new) == (41, 1, 1)
    assert stored_pmids(second.snapshot) == [extra]
    assert [p.name for p in read_manifest(tmp_path / "manifest.tsv")] == \
        ["2026-03-01T093000Z.xml.gz", "2026-03-08T093000Z.xml.gz"]
    assert len(collect_records(read_manifest(tmp_path / "manifest.tsv"))) == 41


def test_modified_records_are_refetched_and_only_changed_ones_stored(tmp_path, fake):
    run(tmp_path, fake)
    changed, unchanged = fake.found[3], fake.found[7]
    fake.articles[changed] = fake.articles[changed].replace(b"<ArticleTitle>", b"<ArticleTitle>[Corrected] ", 1)
    fake.modified = {changed, unchanged}
    result = run(tmp_path, fake, now=DAY2)
    assert sorted(efetched(fake)[-2:]) == sorted([changed, unchanged])
    assert (result.fetched, result.new, result.updated) == (2, 0, 1)
    assert stored_pmids(result.snapshot) == [changed]
    latest = {r["pmid"]: r for r in collect_records(read_manifest(tmp_path / "manifest.tsv"))}
    assert latest[changed]["title"].startswith("[Corrected] ") and len(latest) == 41


def test_a_run_with_nothing_new_keeps_the_manifest_byte_identical(tmp_path, fake):
    run(tmp_path, fake)
    manifest = (tmp_path / "manifest.tsv").read_bytes()
    fake.modified = {fake.found[0]}  # modified at NCBI, but its XML is the same as stored
    result = run(tmp_path, fake, now=DAY2)
    assert (result.fetched, result.new, result.updated, result.snapshot) == (1, 0, 0, None)
    assert (tmp_path / "manifest.tsv").read_bytes() == manifest
    assert len(list((tmp_path / "data/pubmed").glob("*.xml.gz"))) == 1
    assert [r["fetched"] for r in read_tsv(tmp_path / "search_log.tsv")] == ["41", "1"]
    assert len(read_tsv(tmp_path / "data/pubmed/searches.tsv")) == 2


def test_as_of_lists_the_snapshots_of_that_day_and_before_and_searches_nothing(tmp_path, fake):
    extra = fake.found.pop(0)
    run(tmp_path, fake)
    fake.found.insert(0, extra)
    run(tmp_path, fake, now=DAY2)
    fake.requests.clear()
    command = [sys.executable, "-m", "lsr", "retrieve", "--source", "pubmed", "--query", QUERY,
               "--manifest", "past.tsv", "--search-log", "search_log.tsv", "--as-of", "2026-03-07",
               "--eutils-url", fake.url]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "NCBI_EMAIL": EMAIL})
    assert result.returncode == 0, result.stderr
    assert not fake.requests
    past = read_tsv(tmp_path / "past.tsv")
    assert [Path(r["path"]).name for r in past] == ["2026-03-01T093000Z.xml.gz"]
    assert len(collect_records([tmp_path / p["path"] for p in past])) == 40
    assert len(manifest_as_of(tmp_path / "data", "2026-03-08", tmp_path / "now.tsv")) == 2
    with pytest.raises(RetrievalError, match="no PubMed snapshot dated on or before 2026-02-01"):
        manifest_as_of(tmp_path / "data", "2026-02-01", tmp_path / "none.tsv")


def test_a_completed_snapshot_is_never_overwritten(tmp_path, articles):
    path = tmp_path / "2026-03-01T093000Z.xml.gz"
    one = dict(list(articles.items())[:1])
    write_snapshot(path, one)
    before = path.read_bytes()
    with pytest.raises(RetrievalError, match="exists already"):
        write_snapshot(path, articles)
    assert path.read_bytes() == before and list(tmp_path.iterdir()) == [path]


def test_a_new_snapshot_must_sort_after_the_stored_ones(tmp_path, fake):
    extra = fake.found.pop(0)
    run(tmp_path, fake, now=DAY2)
    fake.found.insert(0, extra)
    with pytest.raises(RetrievalError, match="not older than this run's 2026-03-01T093000Z.xml.gz"):
        run(tmp_path, fake, now=DAY1)  # a clock set back would make the new versions sort first


def test_the_publication_date_window_is_sent_as_pdat(tmp_path, fake):
    retrieve_pubmed(QUERY, settings(fake), tmp_path / "data", tmp_path / "m.tsv", tmp_path / "log.tsv",
                    mindate="2000/01", now=DAY1)
    search = fake.calls("esearch")[0]["params"]
    assert (search["datetype"], search["mindate"], search["maxdate"]) == ("pdat", "2000/01", "3000")
    assert read_tsv(tmp_path / "log.tsv")[0]["mindate"] == "2000/01"


def test_an_email_is_required_for_live_searches():
    with pytest.raises(RetrievalError, match="NCBI_EMAIL"):
        NcbiSettings(email="")


def test_snapshot_mode_still_lists_the_bundled_files(tmp_path):
    files = retrieval.retrieve_snapshot(str(SNAPSHOT), QUERY, tmp_path / "m.tsv", tmp_path / "log.tsv")
    assert files == [SNAPSHOT] and read_manifest(tmp_path / "m.tsv") == [SNAPSHOT]
    assert read_tsv(tmp_path / "log.tsv")[0]["count"] == "41"


# --- end to end ----------------------------------------------------------------------------------

@pytest.mark.e2e
def test_snakemake_live_pubmed_run_builds_the_records(tmp_path, articles):
    workdir = copy_workflow(tmp_path / "review")
    with FakeEutils(articles) as fake:
        overlay = tmp_path / "live.yaml"
        overlay.write_text(f"search:\n  source: pubmed\nncbi:\n  eutils_url: {fake.url}\n  batch_size: 10\n"
                           "  backoff_seconds: 0.01\n")
        env = {"NCBI_EMAIL": EMAIL, "NCBI_API_KEY": KEY}
        run_snakemake(workdir, "results/records.tsv", "--configfile", str(overlay), env=env)
        again = run_snakemake(workdir, "results/records.tsv", "--configfile", str(overlay), env=env)
    assert "Nothing to be done" in again.stdout + again.stderr  # one search a day
    assert len(fake.calls("esearch")) == 1 and len(fake.calls("efetch")) == 5
    records = read_tsv(workdir / "results/records.tsv")
    assert sorted(r["pmid"] for r in records) == sorted(articles)
    assert all(r["source_file"].endswith(".xml.gz") for r in records)
    assert [Path(r["path"]).parent.as_posix() for r in read_tsv(workdir / "results/retrieval/manifest.tsv")] == \
        ["data/pubmed"]
    log = (workdir / "results/logs/retrieve.log").read_text()
    assert "41 PMIDs found" in log and EMAIL not in log and KEY not in log


# --- a poisoned answer never enters the store; a failed search is not a search ------------------------

INTERNAL_SUBSET = (b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
                   b'1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd" [\n'
                   b'<!ENTITY tac "tacrolimus">\n]>\n<PubmedArticleSet>\n')


def lsr_retrieve(tmp_path, fake):
    command = [sys.executable, "-m", "lsr", "retrieve", "--source", "pubmed", "--query", QUERY,
               "--manifest", "manifest.tsv", "--search-log", "search_log.tsv", "--eutils-url", fake.url,
               "--batch-size", "100", "--backoff-seconds", "0.01", "--max-tries", "1"]
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "NCBI_EMAIL": EMAIL, "NCBI_API_KEY": KEY})


def test_an_answer_with_an_internal_doctype_subset_is_stored_as_valid_xml(tmp_path, fake, articles):
    fake.faults["efetch"] = [INTERNAL_SUBSET + b"\n".join(articles[p] for p in fake.found) + b"\n</PubmedArticleSet>\n"]
    result = lsr_retrieve(tmp_path, fake)
    assert result.returncode == 0, result.stderr
    (snapshot,) = (tmp_path / "data/pubmed").glob("*.xml.gz")
    assert sorted(stored_pmids(snapshot), key=int) == sorted(articles, key=int)


def test_an_answer_the_records_parser_cannot_read_is_never_stored(tmp_path, fake, articles):
    first = fake.found[0]
    poisoned = articles[first].replace(b"</ArticleTitle>", b" &tac;</ArticleTitle>", 1)
    fake.faults["efetch"] = [INTERNAL_SUBSET + b"\n".join(poisoned if p == first else articles[p] for p in fake.found)
                             + b"\n</PubmedArticleSet>\n"]
    result = lsr_retrieve(tmp_path, fake)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "nothing was stored" in result.stderr and "NCBI sent" in result.stderr and "<!ENTITY tac" in result.stderr
    assert not list((tmp_path / "data/pubmed").glob("*.xml.gz"))
    assert not [p for p in (tmp_path / "data/pubmed-partial").glob("*") if not p.name.startswith(".")]
    again = lsr_retrieve(tmp_path, fake)  # NCBI answers normally again: the store was not poisoned
    assert again.returncode == 0, again.stderr
    (snapshot,) = (tmp_path / "data/pubmed").glob("*.xml.gz")
    assert len(stored_pmids(snapshot)) == len(articles)


@pytest.mark.e2e
def test_a_failed_live_search_is_searched_again_on_the_next_run(tmp_path, articles):
    workdir = copy_workflow(tmp_path / "review")
    run_snakemake(workdir)  # the bundled snapshot: every table exists
    with FakeEutils(articles) as fake:
        overlay = tmp_path / "live.yaml"
        overlay.write_text(f"search:\n  source: pubmed\nncbi:\n  eutils_url: {fake.url}\n  batch_size: 100\n"
                           "  max_tries: 1\n  backoff_seconds: 0.01\n")
        env = {"NCBI_EMAIL": EMAIL, "NCBI_API_KEY": KEY}
        fake.faults["esearch"] = [503]
        failed = run_snakemake(workdir, "--configfile", str(overlay), env=env, check=False)
        assert failed.returncode != 0 and "lsr retrieve: error: NCBI esearch" in failed.stderr
        again = run_snakemake(workdir, "--configfile", str(overlay), env=env)
    assert "Nothing to be done" not in again.stdout + again.stderr
    assert len(fake.calls("esearch")) == 2
    assert (workdir / "results/retrieval/manifest.tsv").exists()


@pytest.mark.e2e
@pytest.mark.parametrize("where", ["command line", "config file"])
def test_an_api_key_in_the_config_is_refused_and_never_logged(workflow_copy, where):
    if where == "config file":
        config = workflow_copy / "config/config.yaml"
        config.write_text(config.read_text().replace('  email: ""', f'  email: ""\n  api_key: "{KEY}"'))
        result = run_snakemake(workflow_copy, "-n", check=False)
    else:
        result = run_snakemake(workflow_copy, "--config", f"ncbi={{'api_key': '{KEY}'}}", check=False)
    assert result.returncode != 0
    assert "ncbi.api_key is not accepted" in result.stdout + result.stderr and "NCBI_API_KEY" in result.stdout + result.stderr
    logged = [p for p in (workflow_copy / ".snakemake").rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]
    assert not logged
