"""Benchmark of the records stage against a bare lxml iterparse of the same PubMed XML.

    .venv/bin/python bench/records_bench.py                 # N = 1,000, 10,000 and 100,000
    .venv/bin/python bench/records_bench.py --sizes 10000   # one size

For each N it writes N synthetic records (the bundled snapshot's 41 articles, renumbered
to unique PMIDs, repeated) to a temporary .xml file and times, each in a fresh Python
subprocess so that peak memory of one measurement does not bleed into the next:

- iterparse: lxml.etree.iterparse of the articles, clearing each one and nothing else
  (the practical limit of any streaming parser built on lxml);
- iter_pmids: lsr.pubmed.iter_pmids, the PMIDs only, checksum taken in the same read (what the
  retrieve stage does to count a snapshot's records);
- iter_records: lsr.pubmed.iter_records, rows consumed and dropped (the streaming parser);
- write_records: lsr.records.write_records, the records stage: rows spooled to a file beside
  the output, an index of PMIDs (version, revision date, place in the spool) in memory to keep
  the latest version and sort; the table is written from the spool.

Peak memory is the child's ru_maxrss; `growth` is ru_maxrss at the end minus ru_maxrss
after imports, i.e. what the measurement itself added. Time is the CPU time (user + system,
time.process_time) of the best of --repeat runs: the parser is single-threaded and CPU-bound,
and CPU time is steadier than wall time on a machine shared with other jobs.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAPSHOT = REPO / "resources" / "snapshot" / "tacrolimus-jdm-2024.xml"
ARTICLE_TAGS = ("PubmedArticle", "PubmedBookArticle")
MODES = ("iterparse", "iter_pmids", "iter_records", "write_records")
FIRST_PMID = 40_000_000
PLACEHOLDER = "@PMID@"


def article_templates(snapshot: Path) -> list[str]:
    """The snapshot's articles serialised with every occurrence of their own PMID as a placeholder."""
    from lxml import etree

    templates = []
    for article in etree.parse(str(snapshot)).getroot().iterfind("PubmedArticle"):
        article.tail = "\n"
        pmid = article.findtext("MedlineCitation/PMID")
        own_ids = [article.find("MedlineCitation/PMID"),
                   *article.iterfind("PubmedData/ArticleIdList/ArticleId[@IdType='pubmed']")]
        for element in own_ids:
            assert element.text == pmid
            element.text = PLACEHOLDER
        templates.append(etree.tostring(article, encoding="unicode"))
    return templates


def write_synthetic(path: Path, count: int, snapshot: Path = SNAPSHOT) -> None:
    """`count` articles with unique PMIDs FIRST_PMID, FIRST_PMID + 1, ... in PubMed efetch layout."""
    templates = article_templates(snapshot)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write('<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
                     '1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
                     "<PubmedArticleSet>\n")
        for number in range(count):
            template = templates[number % len(templates)]
            handle.write(template.replace(PLACEHOLDER, str(FIRST_PMID + number)))
        handle.write("</PubmedArticleSet>\n")


def bare_iterparse(path: Path) -> int:
    """Count the articles with lxml.iterparse, clearing each as lsr.pubmed does; nothing else."""
    from lxml import etree

    count = 0
    with open(path, "rb") as handle:
        for _, element in etree.iterparse(handle, events=("end",), tag=ARTICLE_TAGS, resolve_entities=False,
                                          load_dtd=False, no_network=True, huge_tree=True):
            count += 1
            element.clear(keep_tail=False)
            parent = element.getparent()
            while element.getprevious() is not None:
                del parent[0]
    return count


def measure(mode: str, path: Path, repeat: int) -> dict[str, float]:
    """Run one mode `repeat` times in this process; best time, and memory growth over the imports."""
    from lsr import pubmed, records

    def run() -> int:
        if mode == "iterparse":
            return bare_iterparse(path)
        if mode == "iter_pmids":
            return sum(1 for _ in pubmed.iter_pmids(path, hashlib.sha256()))
        if mode == "iter_records":
            return sum(1 for _ in pubmed.iter_records(path))
        with tempfile.TemporaryDirectory() as folder:
            return records.write_records([path], Path(folder, "records.tsv"))

    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        count = run()
        best = min(best, time.process_time() - start)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"records": count, "seconds": best, "peak_mb": peak_kb / 1024, "growth_mb": (peak_kb - baseline_kb) / 1024}


def measure_in_child(mode: str, path: Path, repeat: int) -> dict[str, float]:
    result = subprocess.run([sys.executable, __file__, "--measure", mode, str(path), "--repeat", str(repeat)],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000],
                        help="numbers of synthetic records (default: 1000 10000 100000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement; the best counts")
    parser.add_argument("--measure", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        mode, path = args.measure
        print(json.dumps(measure(mode, Path(path), args.repeat)))
        return 0

    print(f"{'N':>8} {'mode':<14} {'MB file':>8} {'CPU s':>8} {'records/s':>10} "
          f"{'vs bare':>8} {'peak MB':>8} {'growth MB':>9}")
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            path = Path(folder, f"synthetic-{size}.xml")
            write_synthetic(path, size)
            megabytes = path.stat().st_size / 2**20
            bare_rate = None
            for mode in MODES:
                result = measure_in_child(mode, path, args.repeat)
                if result["records"] != size:
                    raise SystemExit(f"{mode}: {result['records']} records, expected {size}")
                rate = size / result["seconds"]
                bare_rate = bare_rate or rate
                print(f"{size:>8} {mode:<14} {megabytes:>8.1f} {result['seconds']:>8.2f} {rate:>10,.0f} "
                      f"{bare_rate / rate:>7.2f}x {result['peak_mb']:>8.1f} {result['growth_mb']:>9.1f}",
                      flush=True)
            path.unlink()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "src"))
    raise SystemExit(main())
