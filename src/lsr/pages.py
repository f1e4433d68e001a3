"""HTML pages from the templates in lsr/templates: one page template (page.html) and one style sheet
(style.css) for table1.html, the report pages and the reviewer workspace (table1.html, table_page.html
and the workspace's base.html extend page.html; the workspace renders through Flask).

Autoescaped: every value is text unless wrapped in `markup` (HTML made by a trusted library:
Markdown's output, citeproc's references, the table's marks and links).
"""
from __future__ import annotations

from functools import cache

from markupsafe import Markup


def markup(html: str) -> Markup:
    """HTML the page shows as it is (not escaped)."""
    return Markup(html)


@cache
def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("lsr", "templates"), autoescape=True,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                              undefined=jinja2.StrictUndefined)


def render(template: str, **context) -> str:
    """The page `template` (a file of lsr/templates) with `context`."""
    return _environment().get_template(template).render(**context)
