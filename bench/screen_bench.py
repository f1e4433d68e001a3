"""The screen stage alone on N records: seconds, records/s and peak memory, for each N and --jobs.

    .venv/bin/python bench/screen_bench.py                          # N = 10,000 and 100,000, 1 and 2 processes
    .venv/bin/python bench/screen_bench.py --sizes 20000 --jobs 1

For each N it writes N records (the columns of results/unique_records.tsv that screening reads: the
bundled snapshot's records, renumbered) to a temporary file and runs `lsr screen` on them as the
`screen` rule does (without reviewer decisions), then prints the wall and CPU seconds (CPU: every
process of the run), records per CPU second, and the peak resident memory of the run's largest
process (wait4's ru_maxrss). Peak memory flat as N grows means the stage streams its rows. Records
repeat every 41, so the text layer's caches of words see few new ones (real records hold more);
bench/text_bench.py measures the per-core rate on unseen copies.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

from lsr.records import collect_records
from lsr.screening import RECORD_COLUMNS
from lsr.tsv import write_tsv

REPO = Path(__file__).resolve().parents[1]
LSR = REPO / ".venv" / "bin" / "lsr"


def write_records(path: Path, count: int) -> None:
    """`count` records: the bundled snapshot's, repeated with new PMIDs (90000000 upwards)."""
    base = collect_records([REPO / "resources/snapshot/tacrolimus-jdm-2024.xml"])
    rows = ({**base[n % len(base)], "pmid": str(90_000_000 + n), "record_id": f"pmid:{90_000_000 + n}"}
            for n in range(count))
    write_tsv(path, rows, RECORD_COLUMNS)


def screen(records: Path, folder: Path, jobs: int) -> tuple[float, float, float, str]:
    """Run `lsr screen`: (wall seconds, CPU seconds, peak RSS in MB, what it printed)."""
    decisions = folder / "decisions"
    decisions.mkdir(exist_ok=True)
    command = [str(LSR), "screen", "--jobs", str(jobs), "--records", str(records),
               "--eligibility", str(REPO / "config/eligibility.yaml"),
               "--schema", str(REPO / "workflow/schemas/eligibility.schema.yaml"), "--decisions", str(decisions),
               "--out", str(folder / "screening.tsv"), "--to-review", str(folder / "to_review.tsv"),
               "--summary", str(folder / "screening_summary.md")]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"lsr screen failed:\n{output[-4000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        for size in args.sizes:
            records = folder / f"records-{size}.tsv"
            write_records(records, size)
            for jobs in args.jobs:
                wall, cpu, peak, said = screen(records, folder, jobs)
                print(f"N={size:>7,} jobs={jobs}: {wall:6.1f} s wall, {cpu:6.1f} s CPU ({size / cpu:,.0f} records per "
                      f"CPU second), peak {peak:,.0f} MB  [{said}]", flush=True)


if __name__ == "__main__":
    main()
