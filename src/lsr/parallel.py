"""Many records across processes, merged in input order: the same result whatever the core count.

map_ordered(function, items, jobs) is [function(item) for item in items], computed in chunks by
`jobs` worker processes. Workers are forked, so `function` (a closure over the eligibility
criteria, say) is never pickled; the items and results are. Chunks are merged in input order,
so the outputs built from the result are byte-identical with 1 core or many.
"""
from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

CHUNK_SIZE = 1000
"""Most items per task: large enough that pickling overhead stays small."""
MIN_CHUNK_SIZE = 25
"""Fewest items per task: below that, forking a worker costs more than it saves."""

_function: Callable | None = None


def _set_function(function: Callable) -> None:
    global _function
    _function = function


def _run_chunk(chunk: Sequence) -> list:
    return [_function(item) for item in chunk]


def map_ordered(function: Callable[[Item], Result], items: Sequence[Item], jobs: int = 1,
                chunk_size: int | None = None) -> list[Result]:
    """[function(item) for item in items], with up to `jobs` processes for more than one chunk.

    By default about four chunks per process (for balance), of MIN_CHUNK_SIZE to CHUNK_SIZE items.
    """
    if chunk_size is None:
        chunk_size = max(MIN_CHUNK_SIZE, min(CHUNK_SIZE, -(-len(items) // (4 * max(jobs, 1)))))
    chunks = [items[start:start + chunk_size] for start in range(0, len(items), chunk_size)]
    jobs = min(jobs, len(chunks))
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [function(item) for item in items]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                             initializer=_set_function, initargs=(function,)) as pool:
        return [result for chunk in pool.map(_run_chunk, chunks) for result in chunk]
