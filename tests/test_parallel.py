"""lsr.parallel: chunks across processes, merged in input order, so outputs do not depend on the cores."""
import os
import subprocess
import sys

from conftest import REPO, SNAKEMAKE
from lsr.parallel import CHUNKS_AHEAD, MIN_CHUNK_SIZE, imap_ordered, map_ordered

sys.path.insert(0, str(REPO / "bench"))


def test_map_ordered_gives_the_serial_result_whatever_the_jobs_and_chunks():
    offset = 7  # a closure: workers are forked, the function is never pickled
    items = [{"id": n, "text": "x" * (n % 13)} for n in range(2_503)]

    def work(item):
        return (item["id"], len(item["text"]) + offset, os.getpid())

    serial = map_ordered(work, items, jobs=1)
    parallel = map_ordered(work, items, jobs=2, chunk_size=100)
    assert [r[:2] for r in parallel] == [r[:2] for r in serial] == [(n, n % 13 + offset) for n in range(2_503)]
    assert {r[2] for r in serial} == {os.getpid()}
    assert os.getpid() not in {r[2] for r in parallel}  # the chunks ran in worker processes


def test_workflow_outputs_are_byte_identical_on_one_core_and_two(workflow_copy, tmp_path):
    from pipeline_bench import without_reviewer_rows
    from records_bench import write_synthetic

    without_reviewer_rows(workflow_copy)  # they name the bundled records
    snapshot = tmp_path / "synthetic.xml"
    write_synthetic(snapshot, 1_100)  # screening and extraction both split into several chunks
    outputs = ("screening.tsv", "to_review.tsv", "screening_summary.md", "extraction.tsv",
               "table1.csv", "prisma.json")
    seen = {}
    for cores in ("1", "2"):
        run = subprocess.run([str(SNAKEMAKE), "--cores", cores, "--forceall", "--config",
                              f"search={{'snapshot': '{snapshot}'}}", "data_dir=cores-data"],
                             cwd=workflow_copy, capture_output=True, text=True, timeout=900)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        log = (workflow_copy / "results/logs/screen.log").read_text()
        seen[cores] = {name: (workflow_copy / "results" / name).read_bytes() for name in outputs}
    assert seen["1"] == seen["2"]
    extracted = {line.split(b"\t")[0] for line in seen["1"]["extraction.tsv"].splitlines()[1:]}
    assert len(extracted) > 2 * MIN_CHUNK_SIZE and "screened 1106 records" in log  # 1,100 + the RIS records


def test_imap_ordered_streams_the_serial_result_a_few_chunks_ahead():
    offset = 7
    consumed = []

    def items():
        for n in range(2_503):
            consumed.append(n)
            yield {"id": n, "text": "x" * (n % 13)}

    def work(item):
        return (item["id"], len(item["text"]) + offset, os.getpid())

    expected = [(n, n % 13 + offset) for n in range(2_503)]
    assert [r[:2] for r in imap_ordered(work, items(), jobs=1)] == expected
    consumed.clear()
    stream = imap_ordered(work, items(), jobs=2, chunk_size=100)
    first = next(stream)
    assert len(consumed) <= (CHUNKS_AHEAD * 2 + 1) * 100     # not the whole input
    results = [first, *stream]
    assert [r[:2] for r in results] == expected
    assert os.getpid() not in {r[2] for r in results}  # the chunks ran in worker processes
    assert [r[:2] for r in imap_ordered(work, items(), jobs=2, chunk_size=5_000)] == expected  # one chunk: here
