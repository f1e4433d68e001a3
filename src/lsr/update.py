"""`lsr update`: the scheduled living update, a command around the workflow (not a stage in it).

It runs Snakemake here with the arguments it is given, then reads the review's history: exit 0
when the run recorded a new review state (the `changes` stage appended to <data_dir>/history/log.tsv),
NOTHING_CHANGED (3) when it did not, and another non-zero code when the pipeline failed: the one
command cron jobs and CI schedules need. The data folder is the config's `data_dir`
(config/config.yaml, or --data-dir when a run overrides it).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .state import DATA_DIR
from .tsv import read_yaml
from .workflow import CONFIG_FILE, data_dir

NOTHING_CHANGED = 3
"""Exit code when the run published no new review state."""


def configured_data_dir(config: str | Path = CONFIG_FILE) -> str:
    """The config file's data_dir (the default `data` when the file or the key is absent)."""
    settings = read_yaml(config, "the workflow's config") if Path(config).is_file() else None
    return data_dir(settings or {})


def run_update(snakemake_args: list[str], data_dir: str | Path) -> int:
    """Run Snakemake here; 0 if a new state was recorded, NOTHING_CHANGED if not, else non-zero."""
    log_file = Path(data_dir) / "history" / "log.tsv"
    before = log_file.read_bytes() if log_file.exists() else b""
    code = subprocess.call([sys.executable, "-m", "snakemake", *snakemake_args])
    if code != 0:
        print(f"lsr update: the pipeline failed (snakemake exit code {code})", file=sys.stderr)
        return 1 if code == NOTHING_CHANGED else code
    if (log_file.read_bytes() if log_file.exists() else b"") == before:
        print(f"lsr update: nothing new; the review state is unchanged (exit code {NOTHING_CHANGED})")
        return NOTHING_CHANGED
    print("lsr update: a new review state was published; see results/changes.md")
    return 0


def configure_cli(parser) -> None:
    parser.usage = "lsr update [--data-dir DIR] SNAKEMAKE_ARG..."
    parser.epilog = (f"Every other argument goes to Snakemake. Exit code: 0 when a new review state was published, "
                     f"{NOTHING_CHANGED} when nothing changed, other non-zero on error. Example: lsr update --cores 2 "
                     "--config \"search={source: pubmed}\" --forcerun retrieve")
    parser.add_argument("--data-dir", help=f"the review's data folder (default: data_dir of {CONFIG_FILE}, else {DATA_DIR})")
    parser.set_defaults(passed_on=[])


def run_cli(args) -> int:
    return run_update(args.passed_on, args.data_dir or configured_data_dir())
