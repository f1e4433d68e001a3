"""lsr.parallel: chunks across processes, merged in input order."""
import os

from lsr.parallel import map_ordered


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
