"""Process pools for a large corpus: forked workers that share what the parent loaded.

Forking shares the parent's memory copy-on-write; the garbage collector of a child would
touch every object it inherited (and copy its page), so the parent's objects are frozen out
of collection while the pool runs (`gc.freeze`, as the `gc` documentation advises).
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager


def can_fork() -> bool:
    """Whether workers can be forked (and so share closures and loaded lexicons)."""
    return "fork" in mp.get_all_start_methods()


@contextmanager
def forked_pool(jobs: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of `jobs` processes, forked where the platform can."""
    context = mp.get_context("fork") if can_fork() else None
    gc.freeze()
    try:
        with ProcessPoolExecutor(jobs, mp_context=context) as pool:
            yield pool
    finally:
        gc.unfreeze()


def resolve_jobs(jobs: int | None) -> int:
    """Processes to use: every core by default, at least one."""
    return (os.cpu_count() or 1) if jobs is None else max(1, jobs)


POOL_MIN_UNITS = 20_000  # below this, one process is faster than starting a pool
_SHARED: dict[str, tuple[Callable, list]] = {}


def batches(items: list, jobs: int | None, size: int = 2000) -> list[list]:
    """Items in batches of `size`, smaller when several processes share them (so that the
    workers finish together)."""
    jobs = resolve_jobs(jobs)
    if jobs > 1:
        size = max(1, min(size, -(-len(items) // (16 * jobs))))
    return [items[i:i + size] for i in range(0, len(items), size)]


def _apply(key: str, start: int, stop: int) -> list:
    code, items = _SHARED[key]  # inherited from the parent: nothing to send but the bounds
    return [code(item) for item in items[start:stop]]


def map_texts(code: Callable[[object], object], items: list, jobs: int | None = None, *,
              units: int | None = None) -> list:
    """`code(item)` for every item (a text to prepare, a unit to code, a batch of texts to
    tokenise), on `jobs` forked processes when there are `units` (default: one per item)
    enough to pay for a pool: the workers share what the parent has loaded (codebook,
    cues, aliases, tokenizer, the items themselves), and the results come back in order."""
    jobs = resolve_jobs(jobs)
    units = len(items) if units is None else units
    if jobs == 1 or len(items) < 2 or units < POOL_MIN_UNITS or not can_fork():
        return [code(item) for item in items]
    key = f"{id(code)}"
    _SHARED[key] = (code, items)
    try:
        size = -(-len(items) // (16 * jobs))  # small chunks: the workers finish together
        starts = list(range(0, len(items), size))
        with forked_pool(jobs) as pool:
            return [result for part in pool.map(_apply, [key] * len(starts), starts,
                                                [start + size for start in starts])
                    for result in part]
    finally:
        _SHARED.pop(key, None)
