"""Table 1: csv contract, order, total, daggers, the same rows in every format, versions, CLI, Snakemake."""
from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document
from lxml import html as lxml_html

from conftest import copy_workflow, lsr_in_process, run_snakemake
from lsr import evidence, table1
from lsr import state as review_state
from lsr.tsv import InputError, read_tsv, write_tsv

REVIEWER = "A. Reviewer"

# Hand-built from the seeds and gold values: Hassan 2008 reviewed from the full text (adverse events
# still the machine's), Martin Nalda 2006 from the abstract only, Rao 2020 from another source.
STUDIES = {
    "pmid:18716733": ("Hassan 2008", ["case series", "3", "4", "6", "1", "2", "CS;CYC;HCQ;IVIG;MMF;MTX;RTX",
                                      "oral", "trough 5-15 ng/mL", "7-9", "improved", "no change", "yes", "none"]),
    "pmid:17169297": ("Martin Nalda 2006", ["case series", "6", "NR", "NR", "NR", "NR", "NR", "oral", "NR", "12",
                                            "improved", "improved", "yes", "none"]),
    "doi:10.4103/injr.injr_128_20": ("Rao 2020", ["case series", "2", "8", "11", "2", "0", "CS;MMF;MTX", "oral",
                                                   "0.1 mg/kg/day", "11-18", "resolved", "improved", "yes", "none"]),
}
MACHINE_ONLY = {"pmid:17169297"}
UNVERIFIED_FIELDS = {"adverse_events"}  # of the reviewed records


def extraction_rows(studies=STUDIES) -> list[dict]:
    rows = []
    for record_id, (study, values) in studies.items():
        pmid = record_id.removeprefix("pmid:") if record_id.startswith("pmid:") else ""
        for field, value in zip(table1.FIELDS, [study, *values]):
            machine = record_id in MACHINE_ONLY or field in UNVERIFIED_FIELDS
            rows.append({"record_id": record_id, "pmid": pmid, "field": field, "value": value,
                         "evidence": f"sentence giving {field}",
                         "source": "abstract" if machine else "full text",
                         "reviewer": "" if machine else REVIEWER})
    return rows


def is_verified(record_id: str, field: str) -> bool:
    return record_id not in MACHINE_ONLY and field not in UNVERIFIED_FIELDS


def write_inputs(root: Path) -> dict[str, Path]:
    """The test study's inputs under `root`, and where the registry and the tables go."""
    extraction = root / "results/extraction.tsv"
    write_tsv(extraction, extraction_rows(), table1.EXTRACTION_COLUMNS)
    records = root / "results/unique_records.tsv"
    write_tsv(records, [{"record_id": "pmid:17169297", "year": "2006"}], ["record_id", "year"])
    screening = root / "results/screening.tsv"
    write_screening(screening)
    return {"extraction": extraction, "records": records, "registry": root / "data/table_versions.tsv",
            "outdir": root / "results", "screening": screening}


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    return write_inputs(tmp_path)


@pytest.fixture(scope="module")
def first_build(tmp_path_factory) -> tuple[list[table1.Study], review_state.Version, Path]:
    """The studies, version and output folder of one build of the inputs on 2026-11-22, shared by the
    tests that only read its files (a test that writes or builds again uses `inputs`)."""
    paths = write_inputs(tmp_path_factory.mktemp("table1"))
    studies, version, _ = build(paths)
    return studies, version, paths["outdir"]


def write_screening(path: Path, proposed=()) -> None:
    """Every fixture study included at full text; `proposed` ones only at title/abstract."""
    write_tsv(path, [{"record_id": record_id, "decision": "include",
                      "full_text": "awaiting" if record_id in proposed else "include"} for record_id in STUDIES],
              ["record_id", "decision", "full_text"])


WORDING = table1.Wording("systemic tacrolimus in juvenile dermatomyositis",
                         "Clinical profile of patients with juvenile dermatomyositis treated with systemic tacrolimus.")


def build(inputs, today="2026-11-22", outdir=None):
    return table1.write_table1(inputs["extraction"], inputs["records"], inputs["registry"],
                               outdir or inputs["outdir"], today, WORDING)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --- csv contract, order, total ----------------------------------------------------------------

def test_csv_has_exact_columns_nr_literal_and_no_marks(first_build):
    _, _, out = first_build
    text = (out / "table1.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0].split(",") == [
        "study", "pmid", "design", "n_patients", "age_min", "age_max", "sex_m", "sex_f", "prior_treatments",
        "tacrolimus_route", "tacrolimus_dose", "followup_months", "skin_outcome", "muscle_outcome",
        "steroid_sparing", "adverse_events", "evidence"]
    assert table1.DAGGER not in text and "Total" not in text
    rows = {row["study"]: row for row in read_csv(out / "table1.csv")}
    assert rows["Martin Nalda 2006"]["age_min"] == "NR" and rows["Martin Nalda 2006"]["tacrolimus_dose"] == "NR"
    assert rows["Hassan 2008"]["pmid"] == "18716733" and rows["Rao 2020"]["pmid"] == ""
    assert rows["Hassan 2008"]["prior_treatments"] == "CS;CYC;HCQ;IVIG;MMF;MTX;RTX"
    assert rows["Hassan 2008"]["evidence"] == "abstract; full text"
    assert rows["Martin Nalda 2006"]["evidence"] == "abstract"


def test_rows_oldest_first_by_label_year_then_record_year_then_study_then_record_id():
    studies = {
        "pmid:3": ("Zed 2010", STUDIES["pmid:18716733"][1]),
        "pmid:2": ("Modesto", STUDIES["pmid:18716733"][1]),  # no year in the label: record year 2007
        "ris:x": ("Unknown group", STUDIES["pmid:18716733"][1]),  # no year anywhere: last
        "pmid:9": ("Abe 2010", STUDIES["pmid:18716733"][1]),
        "doi:10.1/b": ("Abe 2010", STUDIES["pmid:18716733"][1]),
        "pmid:1": ("Yamada 2004", STUDIES["pmid:18716733"][1]),
    }
    built = table1.build_studies(extraction_rows(studies), [{"record_id": "pmid:2", "year": "2007"},
                                                            {"record_id": "pmid:3", "year": "1999"}])
    assert [(s.cells["study"].value, s.record_id) for s in built] == [
        ("Yamada 2004", "pmid:1"), ("Modesto", "pmid:2"), ("Abe 2010", "doi:10.1/b"), ("Abe 2010", "pmid:9"),
        ("Zed 2010", "pmid:3"), ("Unknown group", "ris:x")]


def test_total_sums_patients_and_says_when_some_are_not_reported():
    built = table1.build_studies(extraction_rows())
    assert table1.total_line(built) == "Total: 3 studies, 11 patients"
    studies = dict(STUDIES)
    studies["ris:abc"] = ("Modesto 2007", ["case series", "NR", *STUDIES["pmid:17169297"][1][2:]])
    assert table1.total_line(table1.build_studies(extraction_rows(studies))) == (
        "Total: 4 studies, 11 patients (number of patients not reported in 1 study)")


def test_unclear_values_show_as_a_question_mark_with_a_note_and_count_no_patients():
    studies = dict(STUDIES)
    studies["ris:abc"] = ("Modesto 2007", ["case series", "unclear", *STUDIES["pmid:17169297"][1][2:]])
    built = table1.build_studies(extraction_rows(studies))
    modesto = next(study for study in built if study.record_id == "ris:abc")
    assert table1.display_cells(modesto)[table1.COLUMNS.index("n_patients")][0] == "?"
    assert table1.csv_row(modesto)["n_patients"] == "unclear"
    assert table1.UNCLEAR_NOTE in table1.footnotes(built)
    assert table1.total_line(built) == "Total: 4 studies, 11 patients (number of patients not reported in 1 study)"
    assert table1.UNCLEAR_NOTE not in table1.footnotes(table1.build_studies(extraction_rows()))


def test_footnotes_explain_the_dagger_and_only_the_codes_the_table_uses():
    notes = table1.footnotes(table1.build_studies(extraction_rows()))
    assert notes[0].startswith(table1.DAGGER)
    abbreviations = next(note for note in notes if note.startswith("Abbreviations"))
    for code in ("CS, corticosteroids", "MTX, methotrexate", "RTX, rituximab", "NR, not reported"):
        assert code in abbreviations
    assert "AZA" not in abbreviations and "JAKi" not in abbreviations
    verified_only = {k: v for k, v in STUDIES.items() if k not in MACHINE_ONLY}
    rows = [dict(row, reviewer=REVIEWER) for row in extraction_rows(verified_only)]
    assert not any(note.startswith(table1.DAGGER) for note in table1.footnotes(table1.build_studies(rows)))


# --- the same rows in every format, daggers only on unverified values --------------------------

def _unmark(text: str) -> tuple[str, bool]:
    text = re.sub(r"\s*\[\d+\]$", "", text.strip())  # the study's reference number
    for mark in (table1.DAGGER, r"\textsuperscript{\dag}"):
        if text.endswith(mark):
            return text[: -len(mark)].strip(), True
    return text, False


def _md_rows(text: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if line.startswith("|")]
    return [[re.sub(r"\\(.)", r"\1", cell.strip()) for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
            for line in lines[2:]]


def _html_rows(text: str) -> list[list[str]]:
    tree = lxml_html.fromstring(text.encode("utf-8"))
    assert [th.text_content() for th in tree.xpath("//thead//th")] == [table1.HEADERS[c] for c in table1.COLUMNS]
    return [[cell.text_content() for cell in row.xpath("./th|./td")] for row in tree.xpath("//tbody/tr")]


def _docx_rows(data: bytes) -> list[list[str]]:
    table = Document(io.BytesIO(data)).tables[0]
    assert [cell.text for cell in table.rows[0].cells] == [table1.HEADERS[c] for c in table1.COLUMNS]
    assert table.rows[-1].cells[0].text.startswith("Total:")
    return [[cell.text for cell in row.cells] for row in table.rows[1:-1]]


def _tex_rows(text: str) -> list[list[str]]:
    body = text.split("\\endhead\n", 1)[1].split("\\midrule", 1)[0]
    return [[cell.strip() for cell in re.split(r"(?<!\\)&", line.removesuffix(r" \\"))]
            for line in body.splitlines()]


def test_every_format_shows_the_csv_rows_with_daggers_only_on_unverified_values(first_build):
    studies, version, out = first_build
    expected = read_csv(out / "table1.csv")
    parsed = {
        "md": _md_rows((out / "table1.md").read_text(encoding="utf-8")),
        "html": _html_rows((out / "table1.html").read_text(encoding="utf-8")),
        "docx": _docx_rows((out / "table1.docx").read_bytes()),
        "tex": _tex_rows((out / "table1.tex").read_text(encoding="utf-8")),
    }
    for name, rows in parsed.items():
        assert len(rows) == len(expected) == 3, name
        for study, row, csv_row in zip(studies, rows, expected):
            assert len(row) == len(table1.COLUMNS), name
            for column, cell in zip(table1.COLUMNS, row):
                value, marked = _unmark(cell)
                assert value.replace("; ", ";") == csv_row[column].replace("; ", ";"), (name, column)
                should_mark = column in table1.FIELDS and not is_verified(study.record_id, column)
                assert marked == should_mark, (name, study.record_id, column)
    for name in ("table1.md", "table1.html", "table1.tex"):
        text = (out / name).read_text(encoding="utf-8")
        assert version.label in text.replace("$\\cdot$", "·") and "Total: 3 studies, 11 patients" in text
    document = Document(out / "table1.docx")
    assert version.label in document.paragraphs[0].text
    assert document.sections[0].page_width > document.sections[0].page_height


def test_empty_extraction_gives_an_empty_table_in_every_format(tmp_path):
    extraction = tmp_path / "extraction.tsv"
    write_tsv(extraction, [], table1.EXTRACTION_COLUMNS)
    studies, _, _ = table1.write_table1(extraction, None, tmp_path / "v.tsv", tmp_path / "out", "2026-11-22", WORDING)
    assert studies == []
    assert (tmp_path / "out/table1.csv").read_text().count("\n") == 1
    assert "Total: 0 studies, 0 patients" in (tmp_path / "out/table1.md").read_text()
    assert _docx_rows((tmp_path / "out/table1.docx").read_bytes()) == []


def test_latex_escapes_special_characters():
    assert table1.tex_escape("50% of #3 & a_b {x} ~ $5 ^ \\ ≥ 2 µg") == (
        r"50\% of \#3 \& a\_b \{x\} \textasciitilde{} \$5 \textasciicircum{} \textbackslash{} $\geq$ 2 \textmu{}g")


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_latex_fragment_compiles_with_special_characters(tmp_path):
    studies = dict(STUDIES)
    studies["ris:q"] = ("O'Brien & Šimić 2021", ["case report", "1", "NR", "NR", "NR", "NR", "CS;MTX", "oral",
                                                 "≥0.05 mg/kg/day, 10% taper_#1 {bid}", "6", "improved",
                                                 "improved", "yes", "tremor; Mg ~0.6 $"])
    built = table1.build_studies(extraction_rows(studies))
    fragment = tmp_path / "table1.tex"
    fragment.write_text(table1.render_latex(built, review_state.Version("2026-11-22", "a1b2c3d4"), WORDING), encoding="utf-8")
    (tmp_path / "wrapper.tex").write_text(
        "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{booktabs,longtable,array,pdflscape}\n"
        "\\begin{document}\n\\begin{landscape}\n\\input{table1.tex}\n\\end{landscape}\n\\end{document}\n")
    result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "wrapper.tex"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]


# --- determinism and the version registry ------------------------------------------------------

def test_identical_content_gives_byte_identical_files_on_another_day(inputs, tmp_path):
    build(inputs, today="2026-11-22")
    first = {name: (inputs["outdir"] / name).read_bytes() for name in table1.OUTPUT_NAMES.values()}
    registry = inputs["registry"].read_bytes()
    _, version, registered = build(inputs, today="2027-03-01", outdir=tmp_path / "again")
    assert not registered and version.date == "2026-11-22"
    for name, data in first.items():
        assert (tmp_path / "again" / name).read_bytes() == data, name
    assert inputs["registry"].read_bytes() == registry


def test_version_hash_covers_what_readers_see_and_new_content_is_registered(inputs):
    import hashlib

    _, first, registered = build(inputs, today="2026-11-22")
    marked_bytes = (inputs["outdir"] / "table1_marked.csv").read_bytes()
    assert registered and first.content_hash == hashlib.sha256(marked_bytes).hexdigest()[:8]
    assert ",6†," in marked_bytes.decode()  # Martin Nalda 2006's unverified values carry their mark
    md = (inputs["outdir"] / "table1.md").read_text()
    assert f"Version 2026-11-22 · {first.content_hash}" in md and "*First version of the table.*" in md

    rows = [dict(row, value="4") if (row["record_id"], row["field"]) == ("pmid:18716733", "n_patients") else row
            for row in extraction_rows()]
    write_tsv(inputs["extraction"], rows, table1.EXTRACTION_COLUMNS)
    _, second, registered = build(inputs, today="2026-12-05")
    assert registered and second.date == "2026-12-05" and second.content_hash != first.content_hash
    assert second.changes == f"Changes since version 2026-11-22 · {first.content_hash}: 1 value changed (Hassan 2008)."
    registry = read_tsv(inputs["registry"], required=review_state.REGISTRY_COLUMNS)
    assert [(r["version_date"], r["content_hash"], r["studies"], r["patients"]) for r in registry] == [
        ("2026-11-22", first.content_hash, "3", "11"), ("2026-12-05", second.content_hash, "3", "12")]


def test_verifying_a_value_gives_a_new_version_and_the_caption_says_so(inputs):
    _, first, _ = build(inputs, today="2026-11-22")
    plain = (inputs["outdir"] / "table1.csv").read_bytes()
    rows = [dict(row, reviewer=REVIEWER)
            if (row["record_id"], row["field"]) == ("pmid:17169297", "n_patients") else row
            for row in extraction_rows()]
    write_tsv(inputs["extraction"], rows, table1.EXTRACTION_COLUMNS)
    _, second, registered = build(inputs, today="2026-12-05")
    assert (inputs["outdir"] / "table1.csv").read_bytes() == plain  # same values ...
    assert registered and second.content_hash != first.content_hash  # ... but not what readers see
    line = f"Changes since version 2026-11-22 · {first.content_hash}: 1 value verified by a reviewer (Martin Nalda 2006)."
    assert second.changes == line
    for name in ("table1.md", "table1.html", "table1.tex"):
        text = (inputs["outdir"] / name).read_text()
        assert line.replace("·", "$\\cdot$" if name.endswith(".tex") else "·") in text, name
    assert line in "\n".join(p.text for p in Document(inputs["outdir"] / "table1.docx").paragraphs)
    # Rebuilding the first content again shows the first version with its own summary.
    write_tsv(inputs["extraction"], extraction_rows(), table1.EXTRACTION_COLUMNS)
    _, again, registered = build(inputs, today="2026-12-06")
    assert not registered and again == first


def test_bad_registry_line_is_named(inputs):
    inputs["registry"].parent.mkdir(parents=True)
    inputs["registry"].write_text("version_date\tcontent_hash\tstudies\tpatients\n22/11/2026\tabcd1234\t1\t2\n")
    with pytest.raises(InputError, match=r"line 2, field 'version_date'"):
        build(inputs)


@pytest.mark.parametrize("change, problem", [
    ({"field": "sex"}, r"line 2, field 'field'.*unknown field 'sex'"),
    ({"value": "three"}, r"field 'value'.*n_patients 'three'"),
    ({"source": "guess"}, r"field 'source'"),
    ({"value": ""}, r"field 'value'.*empty value"),
])
def test_bad_extraction_rows_are_named(tmp_path, change, problem):
    rows = extraction_rows({"pmid:1": ("Yamada 2004", STUDIES["pmid:18716733"][1])})
    index = 0 if "field" in change else 2  # line 2 is the `study` row, line 4 is `n_patients`
    rows[index] = {**rows[index], **change}
    path = tmp_path / "extraction.tsv"
    write_tsv(path, rows, table1.EXTRACTION_COLUMNS)
    with pytest.raises(InputError, match=problem):
        table1.build_studies(read_tsv(path, required=table1.EXTRACTION_COLUMNS), path=str(path))


def test_missing_or_repeated_field_is_named():
    rows = extraction_rows({"pmid:1": ("Yamada 2004", STUDIES["pmid:18716733"][1])})
    with pytest.raises(InputError, match="pmid:1 has no row for steroid_sparing"):
        table1.build_studies([row for row in rows if row["field"] != "steroid_sparing"])
    with pytest.raises(InputError, match="second row for design of pmid:1"):
        table1.build_studies(rows + [rows[1]])


def test_the_first_bad_line_is_named_with_its_first_problem(tmp_path):
    rows = extraction_rows({"pmid:1": ("Yamada 2004", STUDIES["pmid:18716733"][1]),
                            "pmid:2": ("Abe 2010", STUDIES["pmid:18716733"][1])})
    rows[20] = {**rows[20], "value": ""}  # line 22: pmid:2's sex_m
    rows[4] = {**rows[4], "source": "guess", "value": "", "field": "ages"}  # line 6: three problems
    rows[3] = {**rows[3], "status": "proposed", "source": "guess"}  # a proposal is not checked
    rows.append({**rows[17], "value": "4"})  # line 32: pmid:2's n_patients again
    path = tmp_path / "extraction.tsv"
    write_tsv(path, rows, table1.EXTRACTION_COLUMNS)
    read = read_tsv(path, required=table1.EXTRACTION_COLUMNS)
    with pytest.raises(InputError, match=r"line 6, field 'field'.*unknown field 'ages'"):
        table1.build_studies(read, path=str(path))
    del read[4], read[3]  # lines 6 and 5 (pmid:1 now misses two fields)
    with pytest.raises(InputError, match=r"line 22, field 'value'.*empty value for sex_m"):
        table1.build_studies(read, path=str(path))
    del read[18]  # line 22
    with pytest.raises(InputError, match=r"line 32, field 'field'.*second row for n_patients of pmid:2 \(first on "
                                         r"line 19\)"):
        table1.build_studies(read, path=str(path))
    with pytest.raises(InputError, match=r"line 2, field 'field'.*pmid:1 has no row for age_min, age_max"):
        table1.build_studies(read[:-1], path=str(path))


# --- the user's paths: CLI and Snakemake ------------------------------------------------------

def cli_args(inputs, outdir: Path) -> list[str]:
    """`lsr table1` on the test inputs, as a rebuild as of 2026-11-22 (registers nothing)."""
    return ["table1", "--extraction", str(inputs["extraction"]),
            "--screening", str(inputs["screening"]), "--records", str(inputs["records"]),
            "--registry", str(inputs["registry"]), "--outdir", str(outdir), "--as-of", "2026-11-22",
            "--topic", WORDING.topic, "--caption", WORDING.caption]


def test_cli_writes_every_format_and_reports_bad_input(inputs):
    args = cli_args(inputs, inputs["outdir"])
    result = lsr_in_process(*args)
    assert result.returncode == 0, result.stderr
    assert "Total: 3 studies, 11 patients; Version 2026-11-22 · " in result.stdout
    assert "not registered: as_of rebuild" in result.stdout and not inputs["registry"].exists()
    assert all((inputs["outdir"] / name).stat().st_size > 0 for name in table1.OUTPUT_NAMES.values())
    inputs["extraction"].write_text("record_id\tpmid\tstatus\tfield\tvalue\tevidence\tsource\treviewer\n"
                                    "pmid:1\t1\tincluded\tstudy\tYamada 2004\t\tblog\t\n")
    result = lsr_in_process(*args)
    assert result.returncode == 2 and "line 2, field 'source'" in result.stderr


def test_word_file_shows_the_evidence_figure_under_the_notes_and_is_byte_identical_across_runs(inputs, tmp_path):
    # One run in a new process (`python -m lsr`, another hash seed), the other in this one.
    first = subprocess.run([sys.executable, "-m", "lsr", *cli_args(inputs, tmp_path / "first")],
                           capture_output=True, text=True, timeout=120)
    second = lsr_in_process(*cli_args(inputs, tmp_path / "second"))
    for result in (first, second):
        assert result.returncode == 0, result.stderr
    data = (tmp_path / "first/table1.docx").read_bytes()
    assert (tmp_path / "second/table1.docx").read_bytes() == data
    document = Document(io.BytesIO(data))
    assert len(document.inline_shapes) == 1
    texts = [paragraph.text for paragraph in document.paragraphs]
    pictures = [index for index, paragraph in enumerate(document.paragraphs) if paragraph._p.xpath(".//pic:pic")]
    assert pictures == [texts.index(table1.EVIDENCE_NOTE) + 1]  # below the table and its notes ...
    assert texts[pictures[0] + 1] == evidence.CAPTION and texts[pictures[0] + 2] == "References"  # ... captioned
    blip = document.inline_shapes[0]._inline.graphic.graphicData.pic.blipFill.blip
    image = document.part.related_parts[blip.embed].blob
    assert image.startswith(b"\x89PNG\r\n\x1a\n") and b"tEXt" not in image and b"Software" not in image
    assert document.inline_shapes[0]._inline.docPr.get("descr") == evidence.DESCRIPTION



@pytest.mark.e2e
def test_snakemake_rule_is_a_noop_on_rerun_keeps_the_registry_and_reports_the_table(tmp_path):
    workdir = copy_workflow(tmp_path / "review")
    write_tsv(workdir / "results/extraction.tsv", extraction_rows(), table1.EXTRACTION_COLUMNS)
    write_tsv(workdir / "results/unique_records.tsv", [{"record_id": "pmid:17169297", "year": "2006"}],
              ["record_id", "year"])
    write_screening(workdir / "results/screening.tsv")
    # Only this stage's rule: the fixtures stand in for the extraction and sources stages.
    target = ["--allowed-rules", "table1", "--", "table1"]
    run_snakemake(workdir, *target)
    registry = (workdir / "data/table_versions.tsv").read_bytes()
    assert registry.count(b"\n") == 2
    outputs = {name: (workdir / "results" / name).read_bytes() for name in table1.OUTPUT_NAMES.values()}
    again = run_snakemake(workdir, *target)
    assert "Nothing to be done" in again.stdout + again.stderr
    (workdir / "results/table1.html").unlink()
    run_snakemake(workdir, *target)
    assert {name: (workdir / "results" / name).read_bytes() for name in outputs} == outputs
    assert (workdir / "data/table_versions.tsv").read_bytes() == registry
    run_snakemake(workdir, "--report", "results/report.html", *target)
    report = (workdir / "results/report.html").read_text(encoding="utf-8")
    assert "table1.html" in report and "1. Table 1" in report


def test_the_version_covers_the_unclear_mark(inputs):
    _, first, _ = build(inputs, today="2026-11-22")
    rows = [dict(row, value=table1.UNCLEAR) if (row["record_id"], row["field"]) == ("pmid:17169297", "skin_outcome")
            else row for row in extraction_rows()]
    write_tsv(inputs["extraction"], rows, table1.EXTRACTION_COLUMNS)
    _, second, registered = build(inputs, today="2026-12-05")
    marked = read_csv(inputs["outdir"] / "table1_marked.csv")
    assert next(r for r in marked if r["pmid"] == "17169297")["skin_outcome"] == "?†"  # as readers see it
    assert registered and second.content_hash != first.content_hash
    assert second.changes.endswith("1 value changed (Martin Nalda 2006).")


def test_only_studies_included_at_full_text_enter_and_proposals_leave_the_version_alone(inputs, tmp_path):
    studies, version, _ = table1.write_table1(inputs["extraction"], inputs["records"], inputs["registry"],
                                              inputs["outdir"], "2026-11-22", WORDING, screening_path=inputs["screening"])
    proposed = sorted(STUDIES)[0]
    write_screening(inputs["screening"], proposed=[proposed])
    fewer, smaller, _ = table1.write_table1(inputs["extraction"], inputs["records"], inputs["registry"],
                                            tmp_path / "gated", "2026-11-23", WORDING, screening_path=inputs["screening"])
    assert {s.record_id for s in fewer} == {s.record_id for s in studies} - {proposed}
    assert smaller.content_hash != version.content_hash
    # the same admitted studies with a proposal added give the same version as without it
    write_tsv(tmp_path / "ext.tsv", [r for r in extraction_rows() if r["record_id"] != proposed],
              table1.EXTRACTION_COLUMNS)
    same, same_version, _ = table1.write_table1(tmp_path / "ext.tsv", inputs["records"], inputs["registry"],
                                                tmp_path / "without", "2026-11-24", WORDING)
    assert same_version == smaller
