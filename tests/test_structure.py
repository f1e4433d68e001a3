"""The package's layering: stages talk through files, and import only the modules below them."""
import ast
import re
from functools import cache
from pathlib import Path

from lsr.cli import SUBCOMMANDS

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "lsr"
# The pipeline's stages: the modules of the subcommands the workflow's rules run. Commands around
# the workflow (the reviewer workspace, `lsr update`, `lsr status`) may use the stages.
RUN_BY_RULES = {match.group(1) for path in (REPO / "workflow/rules").glob("*.smk")
                for match in re.finditer(r"\{params\.lsr\} --log \{log:q\} ([a-z0-9-]+)", path.read_text())}
STAGES = {SUBCOMMANDS[command][0] for command in RUN_BY_RULES}


@cache
def syntax_tree(path: Path) -> ast.Module:
    """A module's parsed source (read-only: shared by the checks below)."""
    return ast.parse(path.read_text(encoding="utf-8"))


def imported_modules(path: Path) -> set[str]:
    """The lsr modules a file imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(syntax_tree(path)):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level == 1 and not base:  # from . import x, y
                found.update(alias.name for alias in node.names)
            elif node.level == 1:
                found.add(base.split(".")[0])
            elif base.startswith("lsr."):
                found.add(base.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[1] for alias in node.names if alias.name.startswith("lsr."))
    return found


def test_no_stage_imports_another_stage():
    assert {"records", "sources", "screening", "fulltext", "extraction", "table1", "changes", "prisma"} <= STAGES
    crossings = {(path.stem, module) for path in PACKAGE.glob("*.py") if path.stem in STAGES
                 for module in imported_modules(path) if module in STAGES and module != path.stem}
    assert not crossings, sorted(crossings)


def test_a_stage_has_one_name_for_its_module_and_rule_file():
    """workflow/rules/<stage>.smk runs only subcommands of src/lsr/<stage>.py (the subcommand is the
    stage's verb where it has one: retrieval/retrieve, screening/screen, extraction/extract)."""
    elsewhere = {(path.stem, command) for path in (REPO / "workflow/rules").glob("*.smk")
                 for match in re.finditer(r"\{params\.lsr\} --log \{log:q\} ([a-z0-9-]+)", path.read_text())
                 for command in [match.group(1)] if SUBCOMMANDS[command][0] != path.stem}
    assert not elsewhere, sorted(elsewhere)


def test_only_the_entry_point_imports_the_command_line():
    importers = {path.stem for path in PACKAGE.glob("*.py") if "cli" in imported_modules(path)}
    assert importers == {"__main__"}


def markdown_tables_in_code(package: Path) -> set[tuple[str, int]]:
    """Where the code holds a piece of a Markdown table: a string starting a row ('| ') or a rule ('|---')."""
    return {(path.name, node.lineno) for path in package.glob("*.py")
            for node in ast.walk(syntax_tree(path))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and (node.value.startswith("| ") or "|---" in node.value)}


def test_markdown_tables_are_laid_out_in_templates():
    """table1.md, changes.md and screening_summary.md come from lsr/templates/*.md.j2 (lsr.pages.render_markdown),
    not from strings joined in the code."""
    assert {"table1.md.j2", "changes.md.j2", "screening_summary.md.j2"} <= {
        path.name for path in (PACKAGE / "templates").glob("*.md.j2")}
    found = markdown_tables_in_code(PACKAGE)
    assert not found, sorted(found)
