"""Living updates: review states, the history under data/history/, and results/changes.md."""
from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import lsr_in_process, run_snakemake

from lsr import changes
from lsr import state as review_state
from lsr import update as update_command
from lsr.tsv import InputError, format_tsv, read_tsv

TABLE_COLUMNS = ["study", "pmid", "design", "n_patients", "age_min", "age_max", "sex_m", "sex_f",
                 "prior_treatments", "tacrolimus_route", "tacrolimus_dose", "followup_months", "skin_outcome",
                 "muscle_outcome", "steroid_sparing", "adverse_events", "evidence"]
UNIQUE_COLUMNS = ["record_id", "pmid", "source", "title", "retracted", "erratum"]
SCREENING_COLUMNS = ["record_id", "pmid", "title", "decision", "decided_by", "conflict", "reasons",
                     "evidence", "exclusion_reason", "priority", "full_text"]


def record(pmid, decision, title=None, reason="", by="rules", conflict="no", retracted="no", erratum="",
           full_text=None):
    """One record as (unique_records row, screening row)."""
    record_id = f"pmid:{pmid}" if pmid.isdigit() else pmid
    title = title or f"Title of {record_id}"
    number = pmid if pmid.isdigit() else ""
    return ({"record_id": record_id, "pmid": number, "source": "PubMed" if number else "other", "title": title,
             "retracted": retracted, "erratum": erratum},
            {"record_id": record_id, "pmid": number, "title": title, "decision": decision, "decided_by": by,
             "conflict": conflict, "reasons": "", "evidence": "", "exclusion_reason": reason, "priority": "1",
             "full_text": full_text if full_text is not None else ("include" if decision == "include" else "")})


def table_row(study, pmid, n, **values):
    row = dict.fromkeys(TABLE_COLUMNS, "NR")
    row.update(study=study, pmid=pmid, design="case series" if n > 1 else "case report", n_patients=str(n),
               evidence="abstract", **values)
    return row


def table_csv(rows):
    return ",".join(TABLE_COLUMNS) + "\n" + "".join(",".join(r[c] for c in TABLE_COLUMNS) + "\n" for r in rows)


def state(records, rows):
    return review_state.build_state([r[0] for r in records], [r[1] for r in records], table_csv(rows))


def write_inputs(folder: Path, records, rows) -> dict[str, Path]:
    """The three pipeline outputs the changes stage reads, as files."""
    paths = {"unique_records": folder / "unique_records.tsv", "screening": folder / "screening.tsv",
             "table1": folder / "table1.csv"}
    paths["unique_records"].write_text(format_tsv([r[0] for r in records], UNIQUE_COLUMNS))
    paths["screening"].write_text(format_tsv([r[1] for r in records], SCREENING_COLUMNS))
    paths["table1"].write_text(table_csv(rows))
    return paths


def publish(tmp_path, records, rows, today, as_of=None):
    paths = write_inputs(tmp_path, records, rows)
    recorded = changes.publish_changes(paths["unique_records"], paths["screening"], paths["table1"],
                                      tmp_path / "changes.md", tmp_path / "history",
                                      tmp_path / "table_versions.tsv", as_of=as_of, today=today)
    return recorded, (tmp_path / "changes.md").read_text()


OLD_RECORDS = [record("100", "include"), record("200", "needs_review"),
               record("300", "exclude", reason="no tacrolimus", title='Ciclosporin "A" | adults')]
OLD_ROWS = [table_row("Hassan 2008", "100", 3, skin_outcome="improved")]
NEW_RECORDS = [record("100", "include", retracted="yes"), record("200", "include", by="Ana"),
               record("400", "needs_review", title="Tacrolimus in anti-MDA5 JDM"),
               record("500", "exclude", reason="adult-onset only", title='FK506 | "adult" DM'),
               record("doi:10.1/x", "include", title="Two children with JDM"),
               record("600", "needs_review", by="Ana; Ben", conflict="yes")]
NEW_ROWS = [table_row("Hassan 2008", "100", 3, skin_outcome="resolved"), table_row("Lee 2019", "200", 1),
            table_row("Rao 2020", "", 2)]


def test_state_id_covers_decisions_flags_and_table_but_not_screening_prose():
    base = state(OLD_RECORDS, OLD_ROWS)
    reworded = [(u, {**s, "evidence": "another sentence", "priority": "9"}) for u, s in OLD_RECORDS]
    assert state(reworded, OLD_ROWS).id == base.id
    assert state([record("100", "include", retracted="yes")] + OLD_RECORDS[1:], OLD_ROWS).id != base.id
    assert state([record("100", "exclude", reason="other")] + OLD_RECORDS[1:], OLD_ROWS).id != base.id
    assert state(OLD_RECORDS, NEW_ROWS).id != base.id
    assert base.table_version == review_state.table_hash(table_csv(OLD_ROWS).encode())
    assert len(base.id) == 12 and len(base.table_version) == 8


def test_screening_and_unique_records_must_hold_the_same_records():
    unique = [r[0] for r in OLD_RECORDS]
    with pytest.raises(InputError, match="pmid:300"):
        review_state.build_state(unique, [r[1] for r in OLD_RECORDS[:2]], table_csv(OLD_ROWS))
    with pytest.raises(InputError, match="pmid:400.*stale"):
        review_state.build_state(unique[:2], [r[1] for r in OLD_RECORDS[:2]] + [record("400", "include")[1]],
                           table_csv(OLD_ROWS))


def test_changes_report_new_records_decisions_table_rows_and_retractions():
    old, new = state(OLD_RECORDS, OLD_ROWS), state(NEW_RECORDS, NEW_ROWS)
    dates = {old.table_version: "2024-01-01", new.table_version: "2024-02-01"}
    text = changes.changes_markdown(new, "2024-02-01", old, "2024-01-01", dates)
    assert text.startswith("# Living review update: 2024-02-01\n")
    assert f"compared with the previous distinct state {old.id} of 2024-01-01" in text
    assert (f"Table 1 version **2024-02-01 · {new.table_version}**: 3 studies, 6 patients "
            f"(was 2024-01-01 · {old.table_version}: 1 study, 3 patients)") in text
    assert "- 4 new records: 1 include, 1 exclude, 2 needs_review." in text
    assert '| PMID 500 | FK506 \\| "adult" DM | exclude (adult-onset only) | rules |' in text
    assert "| doi:10.1/x | Two children with JDM | include | rules |" in text
    needs_review = text.split("## Records that now need review (2)\n\n")[1].split("\n\n")[0]
    assert needs_review == "- PMID 400: Tacrolimus in anti-MDA5 JDM\n- PMID 600: Title of pmid:600 (reviewers disagree)"
    assert "- PMID 200: needs_review -> include (by Ana)" in text
    assert "**RETRACTED**: PMID 100, Title of pmid:100 (new since the previous state)" in text
    assert "WARNING: 1 included study retracted" in text
    assert "- Changed **Hassan 2008 (PMID 100)**: skin_outcome: improved -> resolved\n" in text
    assert "- Added **Lee 2019 (PMID 200)**: design: case report · n_patients: 1 · evidence: abstract\n" in text
    assert "- Added **Rao 2020**: design: case series · n_patients: 2 · evidence: abstract\n" in text
    assert "- 2 records awaiting review (2 new to review), 1 reviewer conflict." in text
    # Removed records and rows, the other way round.
    back = changes.changes_markdown(old, "2024-03-01", new, "2024-02-01", dates)
    assert "## Records no longer in the review (4)" in back
    assert "- PMID 400: Tacrolimus in anti-MDA5 JDM — was needs_review" in back
    assert "- Removed **Rao 2020**" in back and "- Removed **Lee 2019 (PMID 200)**" in back
    assert "RETRACTED" not in back


def test_table_rows_match_by_pmid_then_by_study_label():
    old = [table_row("Martin 2006", "100", 6), table_row("Hassan 2008", "", 3, age_min="7"),
           table_row("Kim 2019", "", 1)]
    new = [table_row("Martin Nalda 2006", "100", 6), table_row("Hassan 2008", "200", 3, age_min="4"),
           table_row("Rao 2020", "", 2)]
    added, changed, removed = review_state.match_table_rows(old, new)
    assert [r["study"] for r in added] == ["Rao 2020"] and [r["study"] for r in removed] == ["Kim 2019"]
    assert [(o["study"], n["study"]) for o, n in changed] == [("Martin 2006", "Martin Nalda 2006"),
                                                              ("Hassan 2008", "Hassan 2008")]
    text = changes.changes_markdown(state(OLD_RECORDS, new), "2024-02-01", state(OLD_RECORDS, old), "2024-01-01", {})
    assert "- Changed **Hassan 2008 (PMID 200)**: pmid: (none) -> 200 · age_min: 7 -> 4\n" in text
    assert "- Changed **Martin Nalda 2006 (PMID 100)**: study: Martin 2006 -> Martin Nalda 2006\n" in text


def test_erratum_on_an_included_study_is_flagged_and_excluded_studies_are_not():
    records = [record("100", "include", erratum="35000001"), record("300", "exclude", retracted="yes", reason="other")]
    text = changes.changes_markdown(state(records, OLD_ROWS), "2024-01-01", None, None, {})
    assert "**ERRATUM** (35000001): PMID 100" in text
    assert "PMID 300, Title" not in text.split("## New records")[0]
    assert "the first recorded state of the review" in text


def test_rerun_with_nothing_new_rewrites_the_same_bytes_and_keeps_the_history(tmp_path):
    assert publish(tmp_path, OLD_RECORDS, OLD_ROWS, "2024-01-01")[0] is True
    recorded, first = publish(tmp_path, NEW_RECORDS, NEW_ROWS, "2024-02-01")
    history = {p: p.read_bytes() for p in (tmp_path / "history").rglob("*") if p.is_file()}
    again_recorded, again = publish(tmp_path, NEW_RECORDS, NEW_ROWS, "2024-02-08")
    assert recorded is True and again_recorded is False
    assert again == first and "Changed **Hassan 2008 (PMID 100)**" in again
    assert {p: p.read_bytes() for p in (tmp_path / "history").rglob("*") if p.is_file()} == history
    log = read_tsv(tmp_path / "history/log.tsv", required=review_state.LOG_COLUMNS)
    assert [(e["date"], e["records"], e["included"], e["studies"], e["patients"]) for e in log] == [
        ("2024-01-01", "3", "1", "1", "3"), ("2024-02-01", "6", "3", "3", "6")]
    assert [review_state.load_state(tmp_path / "history", entry).id for entry in log] == [
        state(OLD_RECORDS, OLD_ROWS).id, state(NEW_RECORDS, NEW_ROWS).id]


def test_returning_to_an_earlier_state_is_compared_with_the_state_it_replaced(tmp_path):
    publish(tmp_path, OLD_RECORDS, OLD_ROWS, "2024-01-01")
    publish(tmp_path, NEW_RECORDS, NEW_ROWS, "2024-02-01")
    recorded, text = publish(tmp_path, OLD_RECORDS, OLD_ROWS, "2024-03-01")
    assert recorded is True
    assert text.startswith("# Living review: changes since Table 1 version 2024-02-01 · ")
    assert "\n## 2024-03-01: Table 1 version 2024-01-01 · " in text and "of 2024-02-01" in text and "Removed **Rao 2020**" in text
    # Stored once, under the date it was first seen; the log records each transition.
    assert len(list((tmp_path / "history").glob("*-*"))) == 2
    assert [e["date"] for e in review_state.read_log(tmp_path / "history")] == ["2024-01-01", "2024-02-01", "2024-03-01"]


def test_states_recorded_on_one_day_are_told_apart_by_their_state(tmp_path):
    publish(tmp_path, OLD_RECORDS, OLD_ROWS, "2024-01-01")
    publish(tmp_path, NEW_RECORDS, OLD_ROWS, "2024-02-01")
    _, text = publish(tmp_path, NEW_RECORDS[:-1], OLD_ROWS, "2024-02-01")     # the same table all along
    first, second, third = (entry["state"] for entry in review_state.read_log(tmp_path / "history"))
    assert "3 review states recorded in this window" in text
    assert text.index(f"\n\n## 2024-02-01 (state {third}): Table 1 version 2024-01-01 · ") < text.index(
        f"\n\n## 2024-02-01 (state {second}): Table 1 version 2024-01-01 · ")
    assert "\n\n## 2024-01-01: Table 1 version 2024-01-01 · " in text     # its day holds no other state

def test_as_of_compares_with_the_state_before_that_date_and_writes_no_history(tmp_path):
    publish(tmp_path, OLD_RECORDS, OLD_ROWS, "2024-01-01")
    publish(tmp_path, NEW_RECORDS, NEW_ROWS, "2024-02-01")
    log = (tmp_path / "history/log.tsv").read_bytes()
    # Reproducing 2024-01-15: the old records again, plus a reviewer decision taken since.
    records = [record("100", "include"), record("200", "exclude", by="Ana", reason="other"), OLD_RECORDS[2]]
    recorded, text = publish(tmp_path, records, OLD_ROWS, "2024-03-01", as_of="2024-01-15")
    assert recorded is False and (tmp_path / "history/log.tsv").read_bytes() == log
    assert len(list((tmp_path / "history").glob("*-*"))) == 2
    assert "\n## 2024-01-15: Table 1 version " in text
    assert "not recorded in the history" in text and "of 2024-01-01" in text
    assert "- PMID 200: needs_review -> exclude (other) (by Ana)" in text
    # A state already recorded keeps its own date and is compared with the one before it.
    _, text = publish(tmp_path, NEW_RECORDS, NEW_ROWS, "2024-03-01", as_of="2024-02-20")
    assert "\n## 2024-02-01: Table 1 version " in text and "of 2024-01-01" in text


def test_table_versions_registry_dates_the_table_versions(tmp_path):
    versions = [{"version_date": "2023-12-30", "content_hash": "aaaa1111"},
                {"version_date": "2023-12-01", "content_hash": "aaaa1111"}]
    log = [{"date": "2024-01-01", "table_version": "aaaa1111"}, {"date": "2024-02-01", "table_version": "bbbb2222"},
           {"date": "2024-03-01", "table_version": "aaaa1111"}]
    assert review_state.table_version_dates(versions, log) == {"aaaa1111": "2023-12-01", "bbbb2222": "2024-02-01"}
    current = state(OLD_RECORDS, OLD_ROWS)
    (tmp_path / "table_versions.tsv").write_text(
        f"version_date\tcontent_hash\tstudies\tpatients\n2023-11-30\t{current.table_version}\t1\t3\n")
    _, text = publish(tmp_path, OLD_RECORDS, OLD_ROWS, "2024-01-01")
    assert f"Table 1 version **2023-11-30 · {current.table_version}**" in text


def test_table_with_windows_line_endings_keeps_its_hash(tmp_path):
    paths = write_inputs(tmp_path, OLD_RECORDS, OLD_ROWS)
    data = table_csv(OLD_ROWS).replace("\n", "\r\n").encode()
    paths["table1"].write_bytes(data)
    changes.publish_changes(paths["unique_records"], paths["screening"], paths["table1"], tmp_path / "changes.md",
                           tmp_path / "history", tmp_path / "none.tsv", today="2024-01-01")
    assert f"· {review_state.table_hash(data)}**" in (tmp_path / "changes.md").read_text()
    assert list((tmp_path / "history").glob("*/table1_marked.csv"))[0].read_bytes() == data
    entry = review_state.read_log(tmp_path / "history")[0]
    assert review_state.load_state(tmp_path / "history", entry).id == entry["state"]


def test_changes_list_everything_since_the_previous_table_version_and_any_window(tmp_path):
    """Three runs: the table changes in the second, only screening in the third. The third run's
    changes.md still shows the study the second added; --since gives any window, writing nothing."""
    publish(tmp_path, OLD_RECORDS, OLD_ROWS, "2024-01-01")
    publish(tmp_path, NEW_RECORDS, NEW_ROWS, "2024-02-01")
    third = NEW_RECORDS + [record("700", "exclude", reason="non-human", title="Tacrolimus in dogs")]
    recorded, text = publish(tmp_path, third, NEW_ROWS, "2024-03-01")
    assert recorded
    old_version = review_state.table_hash(table_csv(OLD_ROWS).encode())
    new_version = review_state.table_hash(table_csv(NEW_ROWS).encode())
    assert text.startswith(f"# Living review: changes since Table 1 version 2024-01-01 · {old_version}\n")
    assert "2 review states recorded in this window" in text
    third_section = text.index(f"\n## 2024-03-01: Table 1 version 2024-02-01 · {new_version}\n")
    second_section = text.index(f"\n\n## 2024-02-01: Table 1 version 2024-02-01 · {new_version}\n") + 1
    assert third_section < second_section  # newest first, each state after a blank line
    assert "| PMID 700 | Tacrolimus in dogs | exclude (non-human) | rules |" in text[third_section:second_section]
    assert "- Added **Lee 2019 (PMID 200)**" in text[second_section:]  # added two runs ago, still listed
    assert "- Added **Rao 2020**" in text[second_section:]

    log = (tmp_path / "history/log.tsv").read_bytes()
    paths = write_inputs(tmp_path, third, NEW_ROWS)
    command = ["changes", "--unique-records", str(paths["unique_records"]),
               "--screening", str(paths["screening"]), "--table1", str(paths["table1"]),
               "--history", str(tmp_path / "history"), "--table-versions", str(tmp_path / "none.tsv")]
    window = lsr_in_process(*command, "--since", "2024-02-15")
    assert window.returncode == 0, window.stderr
    assert window.stdout.startswith("# Living review: changes since 2024-02-15\n")
    assert "\n## 2024-03-01: " in window.stdout and "\n## 2024-02-01: " not in window.stdout
    everything = lsr_in_process(*command, "--since", "2024-01-01").stdout
    assert all(f"\n## {day}: " in everything for day in ("2024-01-01", "2024-02-01", "2024-03-01"))
    assert (tmp_path / "history/log.tsv").read_bytes() == log


def changes_command(tmp_path, paths) -> list[str]:
    """`lsr changes` on the inputs `write_inputs` wrote, recording the state of 2024-01-01 under tmp_path."""
    return ["changes", "--unique-records", str(paths["unique_records"]),
            "--screening", str(paths["screening"]), "--table1", str(paths["table1"]),
            "--out", str(tmp_path / "changes.md"), "--history", str(tmp_path / "history"), "--date", "2024-01-01"]


def test_cli_writes_changes_and_rejects_a_bad_date(tmp_path):
    paths = write_inputs(tmp_path, OLD_RECORDS, OLD_ROWS)
    command = changes_command(tmp_path, paths)
    done = lsr_in_process(*command)
    assert done.returncode == 0, done.stderr
    assert "new review state recorded" in done.stdout
    text = (tmp_path / "changes.md").read_text()
    assert text.startswith("# Living review: changes since the first recorded state\n")
    assert "\n## 2024-01-01: Table 1 version 2024-01-01 · " in text
    bad = lsr_in_process(*command[:-1], "1/2/2024")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
    paths["screening"].write_text("record_id\tdecision\n")
    missing = lsr_in_process(*command)
    assert missing.returncode == 2 and "screening.tsv" in missing.stderr and "title" in missing.stderr


def test_cli_counts_many_new_records_and_lists_every_one_in_the_records_file(tmp_path):
    many = changes.NEW_RECORDS_LISTED + 3
    records = [record(str(1000 + n), "needs_review" if n < 2 else "exclude",
                      reason="not JDM" if n % 2 else "no tacrolimus") for n in range(many)]
    paths = write_inputs(tmp_path, records, OLD_ROWS)
    command = changes_command(tmp_path, paths)
    listed = lsr_in_process(*command)
    assert listed.returncode == 0, listed.stderr
    assert (tmp_path / "changes.md").read_text().count("\n| PMID ") == many  # without the records file: a table
    done = lsr_in_process(*command, "--records-out", tmp_path / "records.tsv")
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "changes.md").read_text()
    assert f"### New records ({many})\n\nToo many to list here: {tmp_path / 'records.tsv'} lists every one" in text
    assert "| record |" not in text and "PMID 1002" not in text  # an excluded record: counted, not listed
    excluded = many - 2
    assert f"- no tacrolimus: {excluded - excluded // 2}\n- not JDM: {excluded // 2}\n" in text
    assert "- PMID 1000: Title of pmid:1000" in text  # awaiting review: still listed
    rows = read_tsv(tmp_path / "records.tsv", required=changes.NEW_RECORD_COLUMNS)
    state_id = read_tsv(tmp_path / "history/log.tsv")[0]["state"]
    assert [(r["record_id"], r["title"], r["decision"], r["state_date"], r["state"]) for r in rows] == [
        (r[1]["record_id"], r[1]["title"], r[1]["decision"], "2024-01-01", state_id) for r in records]


# --- end to end: the workflow on a copy, as a scheduler runs it --------------------------------

RETRACTION_NOTICE = ('<CommentsCorrectionsList><CommentsCorrections RefType="RetractionIn">'
                     '<RefSource>Med Clin (Barc). 2025;1:1</RefSource><PMID Version="1">99999999</PMID>'
                     '</CommentsCorrections></CommentsCorrectionsList>')


def split_snapshot(source: Path, older: Path, newer: Path, up_to_year: int, retracted: str) -> set[str]:
    """Write the articles of `source` published up to `up_to_year` to `older`, and all of them to
    `newer`, where PubMed has since added a retraction notice to PMID `retracted`. Returns the
    PMIDs of `older`."""
    from lxml import etree

    from lsr.pubmed import parse_article

    tree = etree.parse(str(source))
    kept = set()
    for article in list(tree.getroot()):
        citation = article.find("MedlineCitation")
        if citation.findtext("PMID") == retracted:
            citation.append(etree.fromstring(RETRACTION_NOTICE))
        if int(parse_article(article, source.name)["year"]) <= up_to_year:
            kept.add(citation.findtext("PMID"))
    newer.parent.mkdir(parents=True, exist_ok=True)
    tree.write(str(newer), xml_declaration=True, encoding="UTF-8")
    for article in list(tree.getroot()):
        citation = article.find("MedlineCitation")
        if citation.findtext("PMID") not in kept:
            tree.getroot().remove(article)
        elif citation.findtext("PMID") == retracted:
            citation.remove(citation.find("CommentsCorrectionsList"))
    tree.write(str(older), xml_declaration=True, encoding="UTF-8")
    return kept


SEARCH_LOGS = {"search_log.tsv", "searches.tsv", "search_log.html"}  # grow with every search


def published_bytes(workdir: Path) -> dict[str, bytes]:
    """Every file under results/ and data/, except the search logs and run logs (which grow)."""
    return {str(p.relative_to(workdir)): p.read_bytes() for folder in ("results", "data")
            for p in sorted((workdir / folder).rglob("*"))
            if p.is_file() and p.name not in SEARCH_LOGS and "logs" not in p.relative_to(workdir).parts}


def update(workdir: Path, *snakemake_args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The scheduler's command: run the pipeline, exit 0 (new state), 3 (nothing new) or other."""
    return subprocess.run([sys.executable, "-m", "lsr", "update", "--cores", "2", *snakemake_args],
                          cwd=workdir, capture_output=True, text=True, timeout=600, env=env)


def test_living_update_reports_what_changed_then_reruns_without_change(workflow_copy, repo):
    older, newer = workflow_copy / "searches/to-2007.xml", workflow_copy / "searches/to-2024.xml"
    old_pmids = split_snapshot(repo / "resources/snapshot/tacrolimus-jdm-2024.xml", older, newer, 2007, "17169297")
    # The first week's reviewer files: nothing yet about PubMed records the older search cannot find.
    reviewer_files = [workflow_copy / "config/screening/decisions/seed-review.tsv",
                      workflow_copy / "config/extraction/values/seed-review.tsv",
                      workflow_copy / "config/fulltext/fulltexts.tsv"]
    later = {path: path.read_text() for path in reviewer_files}
    for path, text in later.items():
        path.write_text("".join(line for line in text.splitlines(keepends=True)
                                if not line.split("\t")[0].isdigit() or line.split("\t")[0] in old_pmids))
    first = update(workflow_copy, "--config", f"search={{snapshot: {older.relative_to(workflow_copy)}}}")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "the first recorded state" in (workflow_copy / "results/changes.md").read_text()
    old_table = list(csv.DictReader((workflow_copy / "results/table1_marked.csv").open()))
    martin = next(row for row in old_table if row["pmid"] == "17169297")
    pending = next(row for row in read_tsv(workflow_copy / "results/screening.tsv")
                   if row["decision"] == "needs_review")

    # A week later: new records, and meanwhile the team included a pending record and entered a value.
    for path, text in later.items():
        path.write_text(text)
    decisions, values = (path.with_name("Tester.tsv") for path in reviewer_files[:2])
    decisions.write_text("pmid\treviewer\tstage\tdecision\texclusion_reason\tnote\tdate\n"
                         f"{pending['pmid'] or pending['record_id']}\tTester\ttitle_abstract\tinclude\t\t"
                         "full text read\t2026-01-05\n")
    values.write_text("pmid\tfield\tvalue\treviewer\tsource\tnote\n17169297\tage_min\t5\tTester\tfull text\tcase 1\n")
    snapshot = f"search={{snapshot: {newer.relative_to(workflow_copy)}}}"
    second = update(workflow_copy, "--config", snapshot)
    assert second.returncode == 0, second.stdout + second.stderr
    changes_md = (workflow_copy / "results/changes.md").read_text()
    screening = read_tsv(workflow_copy / "results/screening.tsv")
    new = [row for row in screening if row["pmid"] and row["pmid"] not in old_pmids]
    assert new and f"## New records ({len(new)})" in changes_md
    for row in new:
        line = next(line for line in changes_md.splitlines() if line.startswith(f"| PMID {row['pmid']} | "))
        assert f" | {row['decision']}" in line
    label = f"PMID {pending['pmid']}" if pending["pmid"] else pending["record_id"]
    assert f"- {label}: needs_review -> include (by Tester)" in changes_md
    # included at title/abstract only: proposed for Table 1 with its values, not in it
    assert "## Proposed for Table 1, awaiting a reviewer (1)" in changes_md
    assert f"({label}; awaiting a full-text decision)" in changes_md
    assert f"- Changed **Martin Nalda 2006 (PMID 17169297)**: age_min: {martin['age_min']} -> 5" in changes_md
    assert "**RETRACTED**: PMID 17169297" in changes_md and "WARNING: 1 included study retracted" in changes_md
    table = list(csv.DictReader((workflow_copy / "results/table1_marked.csv").open()))
    for row in table:  # every study of the new table is reported as added or changed, unless unchanged
        study = row["study"].rstrip("†")
        old = [o for o in old_table if (row["pmid"] and o["pmid"] == row["pmid"]) or o["study"].rstrip("†") == study]
        name = f"{study} (PMID {row['pmid']})" if row["pmid"] else study
        if not old:
            assert f"- Added **{name}**: " in changes_md
        elif old[0] != row:
            assert f"- Changed **{name}**: " in changes_md
    registry = read_tsv(workflow_copy / "data/table_versions.tsv")
    version = next(row for row in registry
                   if row["content_hash"] == review_state.table_hash((workflow_copy / "results/table1_marked.csv").read_bytes()))
    assert (f"Table 1 version **{version['version_date']} · {version['content_hash']}**: "
            f"{len(table)} studies") in changes_md
    assert len(review_state.read_log(workflow_copy / "data/history")) == 2

    before = published_bytes(workflow_copy)
    again = update(workflow_copy, "--config", snapshot, "--forcerun", "retrieve")  # as the weekly live run
    assert again.returncode == update_command.NOTHING_CHANGED, again.stdout + again.stderr
    assert "review state unchanged" in (workflow_copy / "results/logs/changes.log").read_text()  # it reran
    assert published_bytes(workflow_copy) == before
    failed = update(workflow_copy, "--config", "search={snapshot: searches/missing.xml}")
    assert failed.returncode not in (0, update_command.NOTHING_CHANGED)


def test_slurm_profile_dry_run_needs_no_slurm_and_keeps_network_steps_local(workflow_copy):
    result = run_snakemake(workflow_copy, "--profile", "profiles/slurm", "--dry-run")
    out = result.stdout + result.stderr
    assert "rule records:" in out and "rule changes:" in out
    resources = dict(re.findall(r"\nrule (\w+):.*?\n    resources: ([^\n]*)", out, re.S))
    assert "mem_mb=1000" in resources["records"] and "runtime=30" in resources["records"]  # the profile's
    assert "mem_mb=2000" in resources["screen"] and "runtime=20" in resources["screen"]

    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ResourceSettings

    with SnakemakeApi() as api:
        workflow = api.workflow(resource_settings=ResourceSettings(), snakefile=workflow_copy / "Snakefile",
                                workdir=workflow_copy)._workflow
        assert {"retrieve", "changes"} <= workflow._localrules


def test_live_update_finds_the_extra_pmid_of_the_second_search(workflow_copy, repo, tmp_path):
    from ncbi_server import FakeEutils, split_articles

    articles = split_articles(repo / "resources/snapshot/tacrolimus-jdm-2024.xml")
    with FakeEutils(articles) as fake:
        extra = fake.found.pop(0)  # the newest PMID: not yet indexed at the first search
        overlay = tmp_path / "live.yaml"
        overlay.write_text(f"search:\n  source: pubmed\nncbi:\n  eutils_url: {fake.url}\n  backoff_seconds: 0.01\n")
        live = ("--configfile", str(overlay), "--forcerun", "retrieve")
        env = {**os.environ, "NCBI_EMAIL": "reviewer@example.org"}
        live_update = lambda: update(workflow_copy, *live, env=env)  # noqa: E731
        first = live_update()
        assert first.returncode == 0, first.stdout + first.stderr
        fake.found.insert(0, extra)
        fake.requests.clear()
        second = live_update()
        assert second.returncode == 0, second.stdout + second.stderr
        assert [call["params"]["id"] for call in fake.calls("epost")] == [extra]  # only the new PMID fetched
        changes_md = (workflow_copy / "results/changes.md").read_text(encoding="utf-8")
        assert "## New records (1)" in changes_md and f"| PMID {extra} | " in changes_md
        published = published_bytes(workflow_copy)
        third = live_update()
    assert third.returncode == 3, third.stdout + third.stderr  # nothing new: nothing to commit
    assert published_bytes(workflow_copy) == published
    assert len(list((workflow_copy / "data/pubmed").glob("*.xml.gz"))) == 2
