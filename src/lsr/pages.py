"""Pages and Markdown files from the templates in lsr/templates.

HTML: one page template (page.html) and one style sheet (style.css) for table1.html, the report
pages and the reviewer workspace (table1.html, table_page.html and the workspace's base.html extend
page.html; the workspace renders through Flask). Autoescaped: every value is text unless wrapped in
`markup` (HTML made by a trusted library: Markdown's output, citeproc's references, the table's
marks and links).

Markdown (the *.md.j2 templates: table1.md, changes.md, screening_summary.md): not autoescaped; a
template escapes values with the `md_escape` filter (anywhere in the text) or `md_cell` (inside a
table cell). Whitespace is the template's own: a line holding only a {% tag %} leaves nothing.
"""
from __future__ import annotations

import re
from functools import cache

from markupsafe import Markup


def markup(html: str) -> Markup:
    """HTML the page shows as it is (not escaped)."""
    return Markup(html)


@cache
def _environment(autoescape: bool = True):
    """The templates' environment: HTML autoescaped, Markdown not (its filters escape)."""
    import jinja2

    environment = jinja2.Environment(loader=jinja2.PackageLoader("lsr", "templates"), autoescape=autoescape,
                                     trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                                     undefined=jinja2.StrictUndefined)
    environment.filters.update(md_escape=md_escape, md_cell=md_cell)
    return environment


def render(template: str, **context) -> str:
    """The page `template` (a file of lsr/templates) with `context`."""
    return _environment().get_template(template).render(**context)


_MARKDOWN_SPECIAL = re.compile(r"([\\|*_`<>\[\]])")


def md_escape(text: str) -> str:
    """Text that Markdown shows as written: a backslash before each of \\ | * _ ` < > [ ]."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def md_cell(text: str | None) -> str:
    """Text for a Markdown table cell: only '|', which would end the cell, escaped (None: empty)."""
    return (text or "").replace("|", "\\|")


def render_markdown(template: str, **context) -> str:
    """The Markdown `template` (a *.md.j2 file of lsr/templates) with `context`."""
    return _environment(autoescape=False).get_template(template).render(**context)
