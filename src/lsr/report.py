"""Report pages: the search log and the screening summary as standalone HTML.

The Snakemake report shows HTML, SVG, PNG and PDF results on the page and offers other files
only as downloads; these pages put the two text results where reviewers read them.
"""
from __future__ import annotations

import html

import markdown

from .tsv import atomic_write_text, read_tsv

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem; color: #1b1b1b;
       line-height: 1.45; }
table { border-collapse: collapse; margin: 0.75rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #c8c8c8; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #eef2f6; }
.scroll { overflow-x: auto; }
"""


def page(title: str, body: str) -> str:
    """A standalone HTML page (UTF-8, responsive) around `body`."""
    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n")


def markdown_page(text: str, title: str) -> str:
    """A Markdown document (headings, lists, pipe tables) as a page."""
    return page(title, markdown.markdown(text, extensions=["tables"], output_format="html"))


def table_page(rows: list[dict[str, str]], columns: list[str], title: str) -> str:
    """TSV rows as a page holding one table, in file order."""
    head = "".join(f"<th>{html.escape(column)}</th>" for column in columns)
    body = "\n".join("<tr>" + "".join(f"<td>{html.escape(row.get(column, ''))}</td>" for column in columns)
                     + "</tr>" for row in rows)
    return page(title, f"<h1>{html.escape(title)}</h1>\n<div class=\"scroll\"><table>\n"
                       f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table></div>")


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
