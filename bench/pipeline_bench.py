"""Benchmark of the whole workflow on N synthetic PubMed records: end to end and stage by stage.

    .venv/bin/python bench/pipeline_bench.py                      # N = 1,000 and 10,000
    .venv/bin/python bench/pipeline_bench.py --sizes 100000       # the issue's target size
    .venv/bin/python bench/pipeline_bench.py --sizes 1000 --cores 1

For each N it writes N records (the bundled snapshot's articles renumbered, as
bench/records_bench.py does) to a temporary file, runs the workflow on a copy of the project
(`snakemake --cores C`, as `make run` does) pointed at that file, and prints:

- end to end: wall seconds and records/s of the first run, and of a no-op second run;
- per stage: each rule rerun alone (`--forcerun R --until R`), wall seconds, records/s (N, or
  the included records for extraction), peak resident memory of the largest process of
  the run (wait4's ru_maxrss; Snakemake's own process is the floor, printed as `snakemake`),
  and CPU seconds of all its processes (Snakemake's included: see the `snakemake` line).

Wall time includes Snakemake's start-up (about a second), which dominates at small N. Then it
says, for each of the issue's end-to-end targets, whether this run met it: N = 100,000 end to end
in 60 s or less, peak memory under 1 GB (and, with two sizes or more, flat: growing less than
1.5 times from the smallest N to the largest), no-op rerun under 2 s. `--keep DIR` keeps the
review folders under DIR (to rerun a stage by hand).
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

TARGET_SIZE, TARGET_SECONDS, TARGET_MEGABYTES, TARGET_NOOP, FLAT = 100_000, 60, 1024, 2, 1.5
"""Issue 10's end-to-end targets (FLAT: the most peak memory may grow from the smallest N to the largest)."""

STAGES = ("retrieve", "records", "sources", "screen", "fulltext", "paper_values", "prisma", "extract", "table1", "changes")


def run(workdir: Path, *args: str) -> tuple[float, float, float]:
    """Run Snakemake in `workdir`; wall seconds, peak RSS (MB) of the largest process it started, and
    CPU seconds (user + system) of Snakemake and every process it started (steadier than wall time
    on a shared machine)."""
    start = time.perf_counter()
    process = subprocess.Popen([str(SNAKEMAKE), *args], cwd=workdir, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"snakemake {' '.join(args)} failed:\n{output[-4000:]}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


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


def bench_size(size: int, cores: int, folder: Path) -> dict[str, float]:
    """Run and print the benchmark of N = `size`; returns the end-to-end numbers the targets are about."""
    snapshot = folder / f"synthetic-{size}.xml"
    write_synthetic(snapshot, size)
    workdir = copy_workflow(folder / f"review-{size}")
    without_reviewer_rows(workdir)
    # A fresh review (an empty data_dir): every record is new, as in a first run of a broad question.
    config = ["--config", f"search={{'snapshot': '{snapshot}'}}", "data_dir=bench-data"]
    _, floor, floor_cpu = run(workdir, "--cores", "1", "--dry-run", *config)
    first, first_mb, first_cpu = run(workdir, "--cores", str(cores), *config)
    noop, _, noop_cpu = run(workdir, "--cores", str(cores), *config)
    extracted = included_count(workdir)
    print(f"\nN = {size:,} ({snapshot.stat().st_size / 2**20:.0f} MB XML), {cores} core(s), "
          f"{extracted:,} records extracted")
    print(f"{'step':<12} {'wall s':>8} {'records/s':>10} {'peak MB':>8} {'cpu s':>8}")
    print(f"{'snakemake':<12} {'':>8} {'':>10} {floor:>8.0f} {floor_cpu:>8.1f}")
    print(f"{'end to end':<12} {first:>8.1f} {size / first:>10,.0f} {first_mb:>8.0f} {first_cpu:>8.1f}")
    print(f"{'no-op rerun':<12} {noop:>8.1f} {'':>10} {'':>8} {noop_cpu:>8.1f}", flush=True)
    for stage in STAGES:
        seconds, megabytes, cpu = run(workdir, "--cores", "1", "--forcerun", stage, "--until", stage, *config)
        count = extracted if stage == "extract" else size
        print(f"{stage:<12} {seconds:>8.1f} {count / seconds:>10,.0f} {megabytes:>8.0f} {cpu:>8.1f}", flush=True)
    return {"seconds": first, "megabytes": first_mb, "noop": noop}


def bundled_noop(folder: Path) -> float:
    """Wall seconds of a no-op rerun of the bundled review (a copy of it, run once first)."""
    workdir = copy_workflow(folder / "bundled", shipped=True)
    run(workdir, "--cores", "2")
    return run(workdir, "--cores", "2")[0]


def verdicts(results: dict[int, dict[str, float]], bundled: float) -> list[str]:
    """One line per end-to-end target of issue 10: met or not, with the number measured."""
    def line(met: bool, text: str) -> str:
        return f"{'met    ' if met else 'NOT met'}  {text}"

    lines = []
    if TARGET_SIZE in results:
        seconds = results[TARGET_SIZE]["seconds"]
        lines.append(line(seconds <= TARGET_SECONDS,
                          f"{TARGET_SIZE:,} records end to end in {TARGET_SECONDS} s or less: {seconds:.1f} s"))
    peak = max(result["megabytes"] for result in results.values())
    lines.append(line(peak < TARGET_MEGABYTES, f"peak memory under {TARGET_MEGABYTES} MB: {peak:.0f} MB"))
    if len(results) > 1:
        smallest, largest = results[min(results)]["megabytes"], results[max(results)]["megabytes"]
        lines.append(line(largest < FLAT * smallest, f"memory flat as N grows (x{largest / smallest:.2f} from "
                                                     f"N = {min(results):,} to {max(results):,}; under x{FLAT})"))
    lines.append(line(bundled < TARGET_NOOP, f"no-op rerun of the bundled review under {TARGET_NOOP} s: {bundled:.1f} s"))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000],
                        help="numbers of synthetic records (default: 1000 10000)")
    parser.add_argument("--cores", type=int, default=2, help="Snakemake --cores of the end-to-end run")
    parser.add_argument("--keep", type=Path, help="keep the review folders in this (new or empty) folder")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        results = {size: bench_size(size, args.cores, folder) for size in args.sizes}
        bundled = bundled_noop(folder)
    print(f"\nTargets (issue 10), {args.cores} core(s):")
    for text in verdicts(results, bundled):
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
