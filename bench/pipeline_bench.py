"""Benchmark of the whole workflow on N synthetic PubMed records: end to end and stage by stage.

    .venv/bin/python bench/pipeline_bench.py                      # N = 1,000 and 10,000
    .venv/bin/python bench/pipeline_bench.py --sizes 100000       # the issue's target size
    .venv/bin/python bench/pipeline_bench.py --sizes 1000 --cores 1

For each N it writes N records (the bundled snapshot's articles renumbered, as
bench/records_bench.py does) to a temporary file, runs the workflow on a copy of the project
(`snakemake --cores C`, as `make run` does) pointed at that file, and prints:

- end to end: wall seconds and records/s of the first run, and of a no-op second run;
- per stage: each rule rerun alone (`--forcerun R --until R`), wall seconds, records/s (N, or
  the included records for extraction) and peak resident memory of the largest process of
  the run (wait4's ru_maxrss; Snakemake's own process is the floor, printed as `snakemake`).

Wall time includes Snakemake's start-up (about a second), which dominates at small N.
"""
from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tests"))

from conftest import SNAKEMAKE, copy_workflow  # noqa: E402  (the tests' copy of a user's clone)
from records_bench import write_synthetic  # noqa: E402

STAGES = ("retrieve", "records", "sources", "screen", "prisma", "extract", "table1", "changes")


def run(workdir: Path, *args: str) -> tuple[float, float]:
    """Run Snakemake in `workdir`; wall seconds and peak RSS (MB) of the largest process it started."""
    start = time.perf_counter()
    process = subprocess.Popen([str(SNAKEMAKE), *args], cwd=workdir, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"snakemake {' '.join(args)} failed:\n{output[-4000:]}")
    return seconds, usage.ru_maxrss / 1024


def included_count(workdir: Path) -> int:
    """Records the extraction stage works on: distinct record ids of results/extraction.tsv."""
    with open(workdir / "results" / "extraction.tsv", encoding="utf-8", newline="") as handle:
        return len({row["record_id"] for row in csv.DictReader(handle, delimiter="\t")})


def without_reviewer_rows(workdir: Path) -> None:
    """Keep only the header of every reviewer TSV under config/: the synthetic PMIDs are unknown to them."""
    for path in (workdir / "config").rglob("*.tsv"):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        header = next(line for line in lines if line.strip() and not line.startswith("#"))
        path.write_text(header, encoding="utf-8")


def bench_size(size: int, cores: int, folder: Path) -> None:
    snapshot = folder / f"synthetic-{size}.xml"
    write_synthetic(snapshot, size)
    workdir = copy_workflow(folder / f"review-{size}")
    without_reviewer_rows(workdir)
    # A fresh review (an empty data_dir): every record is new, as in a first run of a broad question.
    config = ["--config", f"search={{'snapshot': '{snapshot}'}}", "data_dir=bench-data"]
    floor = run(workdir, "--cores", "1", "--dry-run", *config)[1]
    first, first_mb = run(workdir, "--cores", str(cores), *config)
    noop, _ = run(workdir, "--cores", str(cores), *config)
    extracted = included_count(workdir)
    print(f"\nN = {size:,} ({snapshot.stat().st_size / 2**20:.0f} MB XML), {cores} core(s), "
          f"{extracted:,} records extracted")
    print(f"{'step':<12} {'wall s':>8} {'records/s':>10} {'peak MB':>8}")
    print(f"{'snakemake':<12} {'':>8} {'':>10} {floor:>8.0f}")
    print(f"{'end to end':<12} {first:>8.1f} {size / first:>10,.0f} {first_mb:>8.0f}")
    print(f"{'no-op rerun':<12} {noop:>8.1f} {'':>10} {'':>8}")
    for stage in STAGES:
        seconds, megabytes = run(workdir, "--cores", "1", "--forcerun", stage, "--until", stage, *config)
        count = extracted if stage == "extract" else size
        print(f"{stage:<12} {seconds:>8.1f} {count / seconds:>10,.0f} {megabytes:>8.0f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000],
                        help="numbers of synthetic records (default: 1000 10000)")
    parser.add_argument("--cores", type=int, default=2, help="Snakemake --cores of the end-to-end run")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            bench_size(size, args.cores, Path(folder))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
