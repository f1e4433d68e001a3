"""PRISMA 2020 flow: counts that add up, the check that guards them, the SVG diagram, the CLI."""
import copy
import json
from pathlib import Path

import pytest
from lxml import etree

from conftest import lsr_in_process
from lsr import prisma
from lsr.tsv import InputError, write_tsv

SVG = "{http://www.w3.org/2000/svg}"
RIS = "resources/other_sources/other-sources.ris"
ELIGIBILITY = Path(__file__).resolve().parents[1] / "config/eligibility.yaml"
REASONS = prisma.read_exclusion_reasons(ELIGIBILITY)


def make_tables():
    """Six PubMed records and four RIS records (one a duplicate of a PubMed record)."""
    records = [{"pmid": str(pmid)} for pmid in range(101, 107)]
    other_records = [
        {"record_id": "doi:10.1/congress", "source": "other", "source_file": RIS},
        {"record_id": "doi:10.1/seed", "source": "other", "source_file": RIS},
        {"record_id": "ris:review", "source": "other", "source_file": RIS},
        {"record_id": "ris:3f2a9c0d1e4b", "source": "other", "source_file": "hand-search.ris"},
    ]
    duplicates = [{"record_id": "doi:10.1/congress", "duplicate_of": "pmid:101", "_line": 2}]
    unique_records = ([{"record_id": f"pmid:{pmid}", "source": "PubMed"} for pmid in range(101, 107)]
                      + [{"record_id": rid, "source": "other"}
                         for rid in ("doi:10.1/seed", "ris:3f2a9c0d1e4b", "ris:review")])
    decisions = {
        "pmid:101": ("include", "no", "", "include"),
        "pmid:102": ("exclude", "no", "non-human"),
        "pmid:103": ("exclude", "no", "adult-onset only"),
        "pmid:104": ("needs_review", "yes", ""),
        "pmid:105": ("needs_review", "no", ""),
        "pmid:106": ("exclude", "no", "non-human"),
        "doi:10.1/seed": ("include", "no", "", "include"),
        "ris:3f2a9c0d1e4b": ("exclude", "no", ""),
        "ris:review": ("exclude", "no", "review/editorial/guideline"),
    }
    screening = [{"record_id": row["record_id"], "decision": decisions[row["record_id"]][0],
                  "conflict": decisions[row["record_id"]][1],
                  "exclusion_reason": decisions[row["record_id"]][2],
                  "full_text": (decisions[row["record_id"]] + ("",))[3], "full_text_reason": "", "_line": line}
                 for line, row in enumerate(unique_records, start=2)]
    return {"records": records, "other_records": other_records, "duplicates": duplicates,
            "unique_records": unique_records, "screening": screening, "exclusion_reasons": REASONS}


@pytest.fixture
def flow():
    return prisma.count_flow(**make_tables())


def test_counts_per_column_and_overall(flow):
    databases, other, overall = flow["databases"], flow["other_methods"], flow["overall"]
    assert databases["identified"] == {"total": 6, "by_source": {"PubMed": 6}}
    assert other["identified"] == {"total": 4, "by_source": {"hand-search.ris": 1, RIS: 3}}
    assert (databases["duplicates_removed"], other["duplicates_removed"]) == (0, 1)
    assert (databases["screened"], other["screened"], overall["screened"]) == (6, 3, 9)
    assert (databases["excluded"]["total"], other["excluded"]["total"]) == (3, 2)
    assert databases["awaiting_review"] == {"total": 2, "conflicts": 1, "not_yet_reviewed": 1}
    assert (databases["included"], other["included"]) == (1, 1)
    assert flow["included_in_review"] == {"studies": 2, "reports": 2}
    assert overall["identified"] == {"total": 10, "by_source": {"databases": 6, "other_methods": 4}}
    for column in (databases, other, overall):
        assert column["identified"]["total"] - column["duplicates_removed"] == column["screened"]
        assert column["screened"] == (column["excluded"]["total"] + column["awaiting_review"]["total"]
                                      + column["reports_sought"])
        assert sum(column["excluded"]["by_reason"].values()) == column["excluded"]["total"]
    prisma.check_flow(flow)


def test_exclusions_are_counted_per_reason_in_vocabulary_order(flow):
    reasons = flow["overall"]["excluded"]["by_reason"]
    assert list(reasons) == [*REASONS, prisma.NOT_RECORDED]
    assert {reason: count for reason, count in reasons.items() if count} == {
        "adult-onset only": 1, "review/editorial/guideline": 1, "non-human": 2, prisma.NOT_RECORDED: 1}


def test_full_text_decisions_give_the_reports_boxes():
    tables = make_tables()
    rows = {row["record_id"]: row for row in tables["screening"]}
    for record_id, state, reason in (("pmid:102", "not_retrieved", ""), ("pmid:103", "exclude", "other"),
                                     ("pmid:106", "conflict", ""), ("ris:review", "awaiting", "")):
        rows[record_id].update(decision="include", exclusion_reason="", full_text=state, full_text_reason=reason)
    flow = prisma.count_flow(**tables)
    databases, other = flow["databases"], flow["other_methods"]
    assert (databases["reports_sought"], databases["reports_not_retrieved"], databases["reports_assessed"]) == (4, 1, 3)
    assert databases["reports_excluded"]["total"] == 1 and databases["reports_excluded"]["by_reason"]["other"] == 1
    assert databases["reports_awaiting"] == {"total": 1, "conflicts": 1, "not_yet_assessed": 0}
    assert other["reports_awaiting"] == {"total": 1, "conflicts": 0, "not_yet_assessed": 1}
    assert flow["included_in_review"]["studies"] == 2
    prisma.check_flow(flow)
    rows["pmid:103"]["full_text_reason"] = "too dull"
    with pytest.raises(InputError) as error:
        prisma.count_flow(**tables)
    assert error.value.field == "full_text_reason"


def test_duplicate_goes_to_the_column_of_the_removed_record():
    tables = make_tables()
    # The RIS record is kept and the PubMed record removed: the duplicate now counts for PubMed.
    tables["duplicates"] = [{"record_id": "pmid:106", "duplicate_of": "doi:10.1/congress"}]
    tables["unique_records"] = [row for row in tables["unique_records"] if row["record_id"] != "pmid:106"]
    tables["unique_records"].append({"record_id": "doi:10.1/congress", "source": "other"})
    for row in tables["screening"]:
        if row["record_id"] == "pmid:106":
            row["record_id"] = "doi:10.1/congress"
    flow = prisma.count_flow(**tables)
    assert (flow["databases"]["duplicates_removed"], flow["other_methods"]["duplicates_removed"]) == (1, 0)
    assert (flow["databases"]["screened"], flow["other_methods"]["screened"]) == (5, 4)
    prisma.check_flow(flow)


def _break(flow, path, delta):
    broken = copy.deepcopy(flow)
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] += delta
    return broken


@pytest.mark.parametrize("path, message", [
    (("databases", "screened"), "databases: identified - duplicates removed = screened"),
    (("other_methods", "reports_sought"), "other_methods: screened = excluded + awaiting review + reports sought"),
    (("other_methods", "reports_assessed"), "other_methods: reports sought = not retrieved + assessed"),
    (("databases", "included"), "databases: reports assessed = excluded + awaiting + included"),
    (("databases", "reports_excluded", "by_reason", "other"), "databases: reports excluded = sum over reasons"),
    (("databases", "excluded", "by_reason", "non-human"), "databases: excluded = sum over reasons"),
    (("overall", "duplicates_removed"), "overall: identified - duplicates removed = screened"),
    (("databases", "awaiting_review", "conflicts"), "awaiting review = conflicts + not yet reviewed"),
    (("included_in_review", "reports"), "reports of included studies = overall included"),
])
def test_check_raises_when_counts_do_not_add_up(flow, path, message):
    with pytest.raises(prisma.FlowCountError, match=message.replace("+", r"\+")):
        prisma.check_flow(_break(flow, path, 1))


def test_check_raises_when_overall_is_not_the_sum_of_the_columns(flow):
    broken = copy.deepcopy(flow)
    broken["overall"]["identified"]["by_source"]["databases"] += 1
    broken["overall"]["identified"]["total"] += 1
    broken["overall"]["screened"] += 1
    for key in ("reports_sought", "reports_assessed", "included"):
        broken["overall"][key] += 1
    broken["included_in_review"] = {"studies": 3, "reports": 3}
    with pytest.raises(prisma.FlowCountError, match="overall screened = sum over columns"):
        prisma.check_flow(broken)


def test_check_rejects_negative_counts(flow):
    with pytest.raises(prisma.FlowCountError, match="whole number"):
        prisma.check_flow(_break(flow, ("other_methods", "duplicates_removed"), -5))


@pytest.mark.parametrize("table, field, value, expected", [
    ("screening", "decision", "maybe", "decision"),
    ("screening", "conflict", "perhaps", "conflict"),
    ("screening", "exclusion_reason", "too old", "exclusion_reason"),
    ("screening", "record_id", "pmid:999", "record_id"),
    ("unique_records", "source", "Embase", "source"),
    ("duplicates", "record_id", "doi:10.1/unknown", "record_id"),
])
def test_values_outside_the_contracts_raise_input_error(table, field, value, expected):
    tables = make_tables()
    rows = tables[table]
    row = next(r for r in rows if table != "screening" or r["decision"] == "exclude")
    row[field] = value
    if table == "unique_records":
        row["_line"] = 7
    with pytest.raises(InputError) as error:
        prisma.count_flow(**tables)
    assert error.value.field == expected
    assert error.value.path == prisma.DEFAULT_PATHS[table]


def test_unscreened_unique_record_is_an_input_error():
    tables = make_tables()
    tables["screening"].pop()
    with pytest.raises(InputError, match="not screened"):
        prisma.count_flow(**tables)


def test_json_has_a_fixed_documented_layout(flow):
    text = prisma.flow_json(flow)
    data = json.loads(text)
    assert list(data) == ["diagram", "screening", "databases", "other_methods", "overall", "included_in_review"]
    assert list(data["databases"]) == ["identified", "duplicates_removed", "screened", "excluded",
                                       "awaiting_review", "reports_sought", "reports_not_retrieved",
                                       "reports_assessed", "reports_excluded", "reports_awaiting", "included"]
    assert text.endswith("}\n") and '\n  "databases": {\n    "identified"' in text


def test_wrap_keeps_counts_whole_and_lines_within_width():
    text = "Records excluded other calcineurin inhibitor only (n = 1234): long/path/without/spaces.ris"
    lines = prisma.wrap(text, 150)
    assert any(line.endswith("(n = 1234):") or line.startswith("(n = 1234):") for line in lines)
    assert all(prisma.text_width(line) <= 150 for line in lines)
    assert " ".join(lines).replace(" ", "") == text.replace(" ", "")


def _svg_texts(svg: str) -> tuple[etree._Element, str]:
    root = etree.fromstring(svg.encode("utf-8"))
    return root, "\n".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))


def test_svg_is_well_formed_and_shows_the_flow(flow):
    root, text = _svg_texts(prisma.flow_svg(flow))
    assert root.tag == f"{SVG}svg"
    for phrase in ["Identification of studies via databases and registers",
                   "Identification of studies via other methods", "Identification", "Screening", "Included",
                   "PubMed (n = 6)", "other-sources.ris (n = 3)", "Duplicate records (n = 1)",
                   "Records screened (title and abstract) (n = 6)", "Records excluded (n = 3)", "non-human (n = 2)", "Reviewer conflicts (n = 1)",
                   "Studies included in review (n = 2)", "Reports sought for retrieval (n = 1)",
                   "Reports assessed for eligibility (full text) (n = 1)", "assessed in full text by reviewers"]:
        assert phrase in " ".join(text.split()), phrase
    assert "reason not recorded (n = 1)" in text
    assert "other calcineurin inhibitor only" not in text  # reasons with no record are left out
    arrows = [e for e in root.iter() if e.get("marker-end") == "url(#arrowhead)"]
    assert len(arrows) == 20 and root.find(f".//{SVG}marker[@id='arrowhead']") is not None
    assert float(root.get("font-size")) >= 12 and "sans-serif" in root.get("font-family")
    assert all(float(t.get("font-size", root.get("font-size"))) >= 12 for t in root.iter(f"{SVG}text"))


def test_svg_text_stays_inside_its_box(flow):
    root = etree.fromstring(prisma.flow_svg(flow).encode("utf-8"))
    rects = [tuple(float(r.get(k)) for k in ("x", "y", "width", "height")) for r in root.iter(f"{SVG}rect")][1:]
    for element in root.iter(f"{SVG}text"):
        if element.get("transform") or float(element.get("y")) > max(y + h for _, y, _, h in rects):
            continue  # phase labels and the footnote
        x, y = float(element.get("x")), float(element.get("y"))
        half = prisma.text_width(element.text, bold=element.get("font-weight") == "bold") / 2
        left, right = (x - half, x + half) if element.get("text-anchor") == "middle" else (x, x + 2 * half)
        assert any(rx <= left and right <= rx + rw and ry < y <= ry + rh for rx, ry, rw, rh in rects), element.text


def test_svg_escapes_source_names():
    tables = make_tables()
    for row in tables["other_records"]:
        row["source_file"] = "exports/R&D <congress>.ris"
    root, text = _svg_texts(prisma.flow_svg(prisma.count_flow(**tables)))
    assert "R&D <congress>.ris (n = 4)" in " ".join(text.split())


def _write_inputs(folder, tables):
    paths = {name: folder / f"{name}.tsv" for name in prisma.DEFAULT_PATHS}
    write_tsv(paths["records"], tables["records"], ["pmid"])
    write_tsv(paths["other_records"], tables["other_records"], ["record_id", "source", "source_file"])
    write_tsv(paths["duplicates"], tables["duplicates"], ["record_id", "duplicate_of", "matched_on"])
    write_tsv(paths["unique_records"], tables["unique_records"], ["record_id", "source"])
    write_tsv(paths["screening"], tables["screening"], ["record_id", "decision", "conflict", "exclusion_reason",
                                                        "full_text", "full_text_reason"])
    return paths


def test_outputs_are_byte_identical_on_two_runs(tmp_path):
    paths = _write_inputs(tmp_path, make_tables())
    outputs = []
    for run in ("first", "second"):
        prisma.write_prisma(paths, tmp_path / run / "prisma.json", tmp_path / run / "prisma.svg", REASONS)
        outputs.append([(tmp_path / run / name).read_bytes() for name in ("prisma.json", "prisma.svg")])
    assert outputs[0] == outputs[1]


def _cli(tmp_path, paths, *options):
    if "--eligibility" not in options:
        options = ("--eligibility", str(ELIGIBILITY), *options)
    args = ["prisma", "--json", str(tmp_path / "out/prisma.json"), "--svg", str(tmp_path / "out/prisma.svg"), *options]
    for name, path in paths.items():
        args += ["--" + name.replace("_", "-"), str(path)]
    return lsr_in_process(*args)


def test_cli_writes_checked_counts_and_diagram(tmp_path):
    result = _cli(tmp_path, _write_inputs(tmp_path, make_tables()))
    assert result.returncode == 0, result.stderr
    assert "10 identified, 1 duplicates removed, 9 screened" in result.stdout
    data = json.loads((tmp_path / "out/prisma.json").read_text())
    prisma.check_flow(data)
    assert data["overall"]["included"] == 2
    etree.parse(str(tmp_path / "out/prisma.svg"))


def test_cli_refuses_inputs_whose_counts_do_not_add_up(tmp_path):
    tables = make_tables()
    tables["records"].append({"pmid": "107"})  # identified, but neither removed nor screened
    result = _cli(tmp_path, _write_inputs(tmp_path, tables))
    assert result.returncode == 2
    assert "databases: identified - duplicates removed = screened: 7 != 6" in result.stderr
    assert not (tmp_path / "out").exists()


def test_cli_lists_the_exclusion_reasons_of_the_eligibility_file(tmp_path):
    # Another review question brings its own reasons: the diagram follows the eligibility file.
    tables = make_tables()
    for row in tables["screening"]:
        if row["exclusion_reason"] == "non-human":
            row["exclusion_reason"] = "animal study"
    eligibility = tmp_path / "eligibility.yaml"
    eligibility.write_text("exclusion_reasons:\n  - animal study\n  - adult-onset only\n"
                           "  - review/editorial/guideline\n")
    paths = _write_inputs(tmp_path, tables)
    refused = _cli(tmp_path, paths)
    assert refused.returncode == 2 and "'animal study'; expected one of" in refused.stderr
    result = _cli(tmp_path, paths, "--eligibility", str(eligibility))
    assert result.returncode == 0, result.stderr
    by_reason = json.loads((tmp_path / "out/prisma.json").read_text())["overall"]["excluded"]["by_reason"]
    assert list(by_reason) == ["animal study", "adult-onset only", "review/editorial/guideline",
                               "reason not recorded"]
    assert by_reason["animal study"] == 2
    assert "animal study (n = 2)" in (tmp_path / "out/prisma.svg").read_text()
