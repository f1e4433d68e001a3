"""Helpers of the Snakemake rule files (workflow/rules/*.smk): the config turned into paths and options.

The rule files hold rules only (`snakemake --lint`); what they compute from the config lives here,
as plain functions of the config mapping. Every rule runs `lsr` through `params.lsr` (LSR below).
"""
from __future__ import annotations

import datetime as dt
import os
import shlex
import sys
from collections.abc import Mapping

from .state import DATA_DIR

CONFIG_FILE = "config/config.yaml"
"""The workflow's config, relative to the review's folder (Snakefile `configfile:`)."""

LSR = f'"{sys.executable}" -m lsr'
"""The command the rules run: the `lsr` package with the interpreter running Snakemake."""

CHUNK_THREADS = 4
"""Threads of the screening and extraction rules (processes over record chunks; the outputs are
the same whatever the number). Snakemake gives a local job at most --cores of them."""


def data_dir(config: Mapping) -> str:
    """The review's durable state (committed): PubMed snapshots, table versions, history of states."""
    return config.get("data_dir") or DATA_DIR


def history_dir(config: Mapping) -> str:
    return os.path.join(data_dir(config), "history")


def table_versions(config: Mapping) -> str:
    return os.path.join(data_dir(config), "table_versions.tsv")


def as_of_option(config: Mapping) -> str:
    """`--as-of DATE` when the config rebuilds the review as it stood that day, else nothing."""
    return f"--as-of {shlex.quote(str(config['as_of']))}" if config.get("as_of") else ""


def export_ncbi_email(config: Mapping, environ=os.environ) -> None:
    """The e-mail reaches the live search through the environment, never through a logged command
    line; the API key only ever comes from NCBI_API_KEY (the Snakefile refuses it in the config)."""
    if config.get("ncbi", {}).get("email"):
        environ.setdefault("NCBI_EMAIL", config["ncbi"]["email"])


def other_source_paths(config: Mapping) -> list[str]:
    """The RIS files of `other_sources` (entries are {name, path} or a bare path)."""
    return [source["path"] if isinstance(source, Mapping) else source for source in config.get("other_sources") or []]


def source_names_option(config: Mapping) -> str:
    """`--source-name FILE=NAME ...` for `lsr prisma`: the names the config gives the other sources."""
    pairs = [f"{os.path.basename(source['path'])}={source['name']}"
             for source in config.get("other_sources") or [] if isinstance(source, Mapping)]
    return " ".join(f"--source-name {shlex.quote(pair)}" for pair in pairs)


def live_search(config: Mapping) -> bool:
    return config["search"]["source"] == "pubmed"


def snapshot_files(config: Mapping) -> list[str]:
    """The snapshot XML files of `search.snapshot` (path, glob or list), resolved when the workflow is parsed."""
    from .pubmed import resolve_inputs

    snapshot = config["search"]["snapshot"]
    return [str(path) for path in resolve_inputs([snapshot] if isinstance(snapshot, str) else list(snapshot))]


def retrieve_inputs(config: Mapping) -> list[str]:
    """The files `retrieve` reads: none for a live search, the snapshot files otherwise.

    A snapshot setting that names no XML file is a user error: the workflow stops with the message
    alone (SystemExit), without Snakemake's traceback.
    """
    from .tsv import InputError

    try:
        return [] if live_search(config) else snapshot_files(config)
    except InputError as error:
        raise SystemExit(f"error: {error}") from None


def snapshot_option(paths) -> str:
    """`--snapshot FILE...` for the snapshot files `retrieve` reads (nothing for a live search)."""
    return " ".join(["--snapshot", *(shlex.quote(str(path)) for path in paths)]) if paths else ""


def retrieve_options(config: Mapping) -> str:
    """Command-line options of `lsr retrieve` for the configured source (never the e-mail or key:
    those reach it through NCBI_EMAIL / NCBI_API_KEY, see export_ncbi_email)."""
    as_of = config.get("as_of") or ""
    if not live_search(config):
        return f"--as-of {shlex.quote(as_of)}" if as_of else ""  # only to note in the log that it does not apply
    search, ncbi = config["search"], config.get("ncbi", {})
    options = {
        "--data-dir": data_dir(config),
        "--as-of": as_of,
        "--mindate": search.get("mindate"),
        "--maxdate": search.get("maxdate"),
        "--eutils-url": ncbi.get("eutils_url"),
        "--batch-size": ncbi.get("batch_size"),
        "--max-tries": ncbi.get("max_tries"),
        "--backoff-seconds": ncbi.get("backoff_seconds"),
        "--timeout-seconds": ncbi.get("timeout_seconds"),
    }
    return " ".join(f"{name} {shlex.quote(str(value))}" for name, value in options.items()
                    if value not in (None, ""))


def search_day(config: Mapping, now: dt.datetime | None = None) -> str:
    """Today (UTC) for a live search, so that it reruns at most once a day; empty otherwise."""
    if not live_search(config) or config.get("as_of"):
        return ""
    return (now or dt.datetime.now(dt.timezone.utc)).date().isoformat()


def fulltext_supplied(config: Mapping) -> str:
    """The reviewers' list of supplied papers (config/fulltext/fulltexts.tsv by default)."""
    return (config.get("fulltext") or {}).get("supplied", "config/fulltext/fulltexts.tsv")


def fulltext_store(config: Mapping) -> str:
    """PubMed Central articles kept once each (durable state, like the PubMed snapshots)."""
    return os.path.join(data_dir(config), "fulltext")


def fulltext_pmc(config: Mapping) -> bool:
    return bool((config.get("fulltext") or {}).get("pmc"))


def supplied_papers(config: Mapping) -> list[str]:
    """The files fulltexts.tsv names (so an edited paper reruns the stage); `lsr fulltext` checks them
    and reports what is wrong with the list (file, line, field)."""
    from .tsv import InputError, read_tsv

    supplied = fulltext_supplied(config)
    try:
        rows = read_tsv(supplied, allow_comments=True)
    except InputError:
        return []
    folder = os.path.dirname(supplied)
    return [p for p in (os.path.join(folder, row.get("file", "")) for row in rows) if os.path.isfile(p)]


def pmc_options(config: Mapping) -> str:
    """`--pmc` and the E-utilities settings when fulltext.pmc is on (the e-mail and key come from the
    environment); nothing for a rebuild of a past day (as_of reads only the stored articles)."""
    if not fulltext_pmc(config) or config.get("as_of"):
        return ""
    ncbi = config.get("ncbi", {})
    options = {"--eutils-url": ncbi.get("eutils_url"), "--max-tries": ncbi.get("max_tries"),
               "--backoff-seconds": ncbi.get("backoff_seconds"), "--timeout-seconds": ncbi.get("timeout_seconds")}
    return "--pmc " + " ".join(f"{name} {shlex.quote(str(value))}" for name, value in options.items()
                               if value not in (None, ""))


def vocabulary_files() -> list[str]:
    """The vocabulary files the text layer reads (config/vocabularies/*.yaml) and their schema."""
    from .text import VOCABULARY_DIR, VOCABULARY_SCHEMA

    return sorted(str(path) for path in VOCABULARY_DIR.glob("*.yaml")) + [str(VOCABULARY_SCHEMA)]


def reviewer_files(folder: str) -> list[str]:
    """The per-reviewer files of a folder (`<reviewer>.tsv`), as a rule's inputs: an edit or a new
    reviewer's file reruns the rule."""
    from .reviewers import reviewer_files as files

    return [str(path) for path in files(folder)]
