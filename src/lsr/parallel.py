"""Many records across processes, merged in input order: the same result whatever the core count.

map_ordered(function, items, jobs) is [function(item) for item in items], computed in chunks by
`jobs` worker processes; imap_ordered is the same as a stream (items read, and results given,
a few chunks at a time: memory does not grow with the number of items). Workers are forked, so
`function` (a closure over the eligibility criteria, say) is never pickled; the items and
results are. Chunks are merged in input order, so the outputs built from the result are
byte-identical with 1 core or many.
"""
from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

CHUNK_SIZE = 1000
"""Most items per task: large enough that pickling overhead stays small."""
MIN_CHUNK_SIZE = 25
"""Fewest items per task: below that, forking a worker costs more than it saves."""
STREAM_CHUNK_SIZE = 250
"""Items per task of imap_ordered (whose length is not known ahead): small enough to balance
a thousand items over two processes."""
CHUNKS_AHEAD = 2
"""Chunks per process submitted ahead of the one being merged (imap_ordered): enough to keep
every process busy, few enough that memory stays flat."""

_function: Callable | None = None


def _set_function(function: Callable) -> None:
    global _function
    _function = function


def _run_chunk(chunk: Sequence) -> list:
    return [_function(item) for item in chunk]


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def map_ordered(function: Callable[[Item], Result], items: Sequence[Item], jobs: int = 1,
                chunk_size: int | None = None) -> list[Result]:
    """[function(item) for item in items], with up to `jobs` processes for more than one chunk.

    By default about four chunks per process (for balance), of MIN_CHUNK_SIZE to CHUNK_SIZE items.
    """
    if chunk_size is None:
        chunk_size = max(MIN_CHUNK_SIZE, min(CHUNK_SIZE, -(-len(items) // (4 * max(jobs, 1)))))
    chunks = [items[start:start + chunk_size] for start in range(0, len(items), chunk_size)]
    jobs = min(jobs, len(chunks))
    if jobs <= 1 or not _can_fork():
        return [function(item) for item in items]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                             initializer=_set_function, initargs=(function,)) as pool:
        return [result for chunk in pool.map(_run_chunk, chunks) for result in chunk]


def imap_ordered(function: Callable[[Item], Result], items: Iterable[Item], jobs: int = 1,
                 chunk_size: int = STREAM_CHUNK_SIZE) -> Iterator[Result]:
    """function(item) for each item, in input order, as a stream: with `jobs` > 1, chunks of
    `chunk_size` items go to `jobs` processes, at most CHUNKS_AHEAD per process at a time
    (a single chunk is computed here, without starting a process)."""
    items = iter(items)
    first = list(islice(items, chunk_size))
    if jobs <= 1 or not _can_fork():
        yield from map(function, first)
        yield from map(function, items)
        return
    second = list(islice(items, chunk_size))
    if not second:
        yield from map(function, first)
        return
    chunks = iter(lambda: list(islice(items, chunk_size)), [])
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                             initializer=_set_function, initargs=(function,)) as pool:
        pending = deque(pool.submit(_run_chunk, chunk) for chunk in (first, second))
        for chunk in islice(chunks, CHUNKS_AHEAD * jobs - 2):
            pending.append(pool.submit(_run_chunk, chunk))
        while pending:
            yield from pending.popleft().result()
            for chunk in islice(chunks, 1):
                pending.append(pool.submit(_run_chunk, chunk))
