"""Report pages: text results as HTML for the Snakemake report."""
import subprocess
import sys

from lxml import html

from lsr import report


def test_markdown_page_keeps_headings_lists_and_tables():
    text = "# Screening summary\n\n- Records screened: 47\n\n| decision | records |\n|---|---:|\n| include | 5 |\n"
    tree = html.fromstring(report.markdown_page(text, "Screening summary"))
    assert tree.findtext(".//h1") == "Screening summary"
    assert tree.findtext(".//li") == "Records screened: 47"
    assert [td.text for td in tree.iterfind(".//tbody//td")] == ["include", "5"]


def test_tsv_page_escapes_and_keeps_every_cell(tmp_path):
    log = tmp_path / "search_log.tsv"
    log.write_text('date\tquery\n2026-11-22T10:00:00Z\t"Tacrolimus"[mh] AND <JDM>\n', encoding="utf-8")
    out = tmp_path / "log.html"
    result = subprocess.run([sys.executable, "-m", "lsr", "report-page", "--tsv", str(log), "--title", "Search log",
                             "--out", str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    tree = html.fromstring(out.read_text(encoding="utf-8"))
    assert [th.text for th in tree.iterfind(".//th")] == ["date", "query"]
    assert tree.findall(".//td")[1].text == '"Tacrolimus"[mh] AND <JDM>'
