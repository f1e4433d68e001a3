"""`lsr` command line: one subcommand per pipeline stage; Snakemake rules call these.

Each stage module exposes `configure_cli(parser)` and `run_cli(args) -> int` (or, for a module
with several subcommands, `configure_<name>_cli` and `run_<name>_cli`); modules are imported only
when their subcommand runs, so `lsr status` stays fast. A command that wraps another program
(`lsr update` runs Snakemake) sets the default `passed_on`: the arguments it does not know go to
that program, in `args.passed_on`.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
import traceback

from .tsv import InputError

SUBCOMMANDS = {
    "retrieve": ("retrieval", "run the search (bundled snapshot or live PubMed) and list the XML files it gives"),
    "records": ("records", "parse PubMed XML files into the records table"),
    "sources": ("sources", "read records from other sources (RIS) and remove duplicates across sources"),
    "screen": ("screening", "screen records against the eligibility criteria, with reviewer decisions"),
    "fulltext": ("fulltext", "full texts of the included records (PMC, reviewer-supplied) and the cases they describe"),
    "prisma": ("prisma", "PRISMA 2020 flow counts and diagram"),
    "paper-values": ("extraction", "Table 1 values read from the full texts, case by case"),
    "extract": ("extraction", "extract Table 1 fields from included records, with reviewer values"),
    "table1": ("table1", "build Table 1 in every published format"),
    "changes": ("changes", "compare this run with the last published version: results/changes.md"),
    "update": ("update", "the scheduled living update: run the workflow, exit 0 if a new review state was published"),
    "report-page": ("report", "a text result (Markdown or TSV) as an HTML page for the Snakemake report"),
    "status": ("status", "what awaits the review team: records to review, conflicts, table version"),
    "review": ("workspace", "the reviewer workspace in the browser (http://127.0.0.1:PORT/): screening, "
                            "full text, conflicts, value check"),
    "queue": ("reviewing", "a reviewer's blind queue as a spreadsheet with drop-down lists (outside results/)"),
    "import": ("reviewing", "append the decisions of a filled-in queue spreadsheet to the reviewer's file"),
}


def _command(argv: list[str]) -> str | None:
    """The subcommand named in `argv` (after the global options)."""
    rest = list(argv)
    while rest[:1] == ["--log"]:
        rest = rest[2:]
    return rest[0] if rest else None


def main(argv: list[str] | None = None) -> int:
    """Run one stage. User errors (InputError) print one message and return 2; with --log the
    stage's output goes to the log and the error message to the log and the terminal."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="lsr", description=__doc__.splitlines()[0])
    parser.add_argument("--log", help="write the stage's output to this file (a rule's log); "
                                      "an error message also goes to the terminal")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    chosen = _command(argv)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if chosen == name:
            module = importlib.import_module(f"lsr.{module_name}")
            own = name.replace("-", "_")  # a module's second command: configure_<command>_cli, run_<command>_cli
            getattr(module, f"configure_{own}_cli", getattr(module, "configure_cli", None))(sub)
            sub.set_defaults(run=getattr(module, f"run_{own}_cli", getattr(module, "run_cli", None)))
    args, extra = parser.parse_known_args(argv)
    if extra and not hasattr(args, "passed_on"):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if hasattr(args, "passed_on"):  # a command around another program: what it does not know goes on
        args.passed_on = extra
    if not args.log:
        return _run(args, sys.stderr)
    terminal = sys.stderr
    try:
        log = open(args.log, "w", encoding="utf-8")
    except OSError as error:
        print(f"lsr {args.command}: error: cannot write the log {args.log}: {error.strerror}", file=terminal)
        return 2
    with log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        try:
            return _run(args, terminal)
        except BaseException:
            traceback.print_exc()  # a bug: its traceback goes to the log, and to the terminal below
            raise


def _run(args, terminal) -> int:
    try:
        return int(args.run(args) or 0)
    except (InputError, OSError) as error:
        if isinstance(error, OSError) and error.filename is None:
            raise  # not about a file the user named: a bug
        if isinstance(error, OSError):
            error = f"{error.filename}: {error.strerror}"
        message = f"lsr {args.command}: error: {error}"
        print(message, file=sys.stderr)
        if terminal is not sys.stderr:
            print(message, file=terminal)
        return 2
