"""`lsr` command line: one subcommand per pipeline stage; Snakemake rules call these.

Each stage module exposes `configure_cli(parser)` and `run_cli(args) -> int` (or, for a module
with several subcommands, `configure_<name>_cli` and `run_<name>_cli`); modules are imported only
when their subcommand runs, so `lsr status` stays fast.
"""
from __future__ import annotations

import argparse
import datetime
import importlib
import sys

from .tsv import InputError

SUBCOMMANDS = {
    "retrieve": ("retrieval", "run the search (bundled snapshot or live PubMed) and list the XML files it gives"),
    "records": ("records", "parse PubMed XML files into the records table"),
    "sources": ("sources", "read records from other sources (RIS) and remove duplicates across sources"),
    "screen": ("screening", "screen records against the eligibility criteria, with reviewer decisions"),
    "prisma": ("prisma", "PRISMA 2020 flow counts and diagram"),
    "extract": ("extraction", "extract Table 1 fields from included records, with reviewer values"),
    "table1": ("tables", "build Table 1 in every published format"),
    "changes": ("living", "compare this run with the last published version: results/changes.md"),
    "report-page": ("report", "a text result (Markdown or TSV) as an HTML page for the Snakemake report"),
    "status": ("status", "what awaits the review team: records to review, conflicts, table version"),
    "review": ("workspace", "the reviewer workspace in the browser (http://127.0.0.1:PORT/): screening, "
                            "full text, conflicts, value check"),
    "queue": ("reviewing", "a reviewer's blind queue as a spreadsheet with drop-down lists (outside results/)"),
    "import": ("reviewing", "append the decisions of a filled-in queue spreadsheet to the reviewer's file"),
}


def iso_date(text: str) -> str:
    """argparse type of the --as-of and --date options: a calendar date written YYYY-MM-DD."""
    try:
        valid = len(text) == 10 and datetime.date.fromisoformat(text).isoformat() == text
    except ValueError:
        valid = False
    if not valid:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}")
    return text


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="lsr", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if argv[:1] == [name]:
            module = importlib.import_module(f"lsr.{module_name}")
            getattr(module, f"configure_{name}_cli", getattr(module, "configure_cli", None))(sub)
            sub.set_defaults(run=getattr(module, f"run_{name}_cli", getattr(module, "run_cli", None)))
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except InputError as error:
        print(f"lsr {args.command}: error: {error}", file=sys.stderr)
        return 2
