"""Report pages: the search log, the screening summary and the changes as standalone HTML (the page
template of lsr.pages, as table1.html).

The Snakemake report shows HTML, SVG, PNG and PDF results on the page and offers other files
only as downloads; these pages put the two text results where reviewers read them.
"""
from __future__ import annotations

import markdown

from . import pages
from .tsv import atomic_write_text, read_tsv

def markdown_page(text: str, title: str) -> str:
    """A Markdown document (headings, lists, pipe tables) as a page."""
    return pages.render("page.html", title=title,
                        content=pages.markup(markdown.markdown(text, extensions=["tables"], output_format="html")))


def table_page(rows: list[dict[str, str]], columns: list[str], title: str) -> str:
    """TSV rows as a page holding one table, in file order."""
    return pages.render("table_page.html", title=title, rows=rows, columns=columns)


def configure_cli(parser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--markdown", help="a Markdown document to show (e.g. results/screening_summary.md)")
    source.add_argument("--tsv", help="a TSV table to show (e.g. results/search_log.tsv)")
    parser.add_argument("--title", required=True, help="the page title")
    parser.add_argument("--out", required=True, help="the HTML page to write")


def run_cli(args) -> int:
    if args.markdown:
        with open(args.markdown, encoding="utf-8") as handle:
            text = markdown_page(handle.read(), args.title)
    else:
        rows = read_tsv(args.tsv)
        columns = [column for column in (rows[0] if rows else {}) if column != "_line"]
        text = table_page(rows, columns, args.title)
    atomic_write_text(args.out, text)
    print(f"report page: {args.markdown or args.tsv} -> {args.out}")
    return 0
