"""Multi-process extraction: batches of articles coded in a pool of processes, each loading the spaCy
pipeline once; results come back in input order.

Why not `nlp.pipe(n_process=N)`: marsad's components leave Python objects on the Doc (event mentions that
point at tokens, resolved places) which spaCy's Doc serialisation between processes does not carry, and
the work after parsing (records, ACLED codes) is a third of the time: so whole batches go to the workers
and only the finished records (Article, [Event]) come back.

Bounded: at most `2 * workers` batches are in flight, so the parent never reads ahead of the workers
(a 1M-article input costs the same memory as a 1k one). Processes are started with `spawn` (no state
inherited from the parent: database connections, threads) and with one BLAS / OpenMP thread each.
"""
from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ..config import Settings
from ..errors import MarsadError

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")
_settings: Settings | None = None


def default_workers() -> int:
    """`--workers 0`: one process per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _init(settings: Settings) -> None:
    global _settings
    _settings = settings


def _nlp():
    from ..nlp import load_pipeline

    return load_pipeline(_settings.spacy_model)


def _code(batch: list) -> list:
    from ..pipeline import code_batch

    return code_batch(_nlp, batch)


def _warm(_: int) -> int:
    _nlp()
    return os.getpid()


@contextlib.contextmanager
def _one_thread_each() -> Iterator[None]:
    """Children inherit the environment at start: one math-library thread per process (N processes on N
    cores, not N x N threads); the parent's own environment is restored afterwards."""
    saved = {k: os.environ.get(k) for k in _THREAD_VARS}
    for k in _THREAD_VARS:
        os.environ.setdefault(k, "1")
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def pool(settings: Settings, workers: int) -> ProcessPoolExecutor:
    """A started pool of `workers` processes with the pipeline loaded in each (call `.shutdown()`)."""
    with _one_thread_each():
        ex = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_init,
                                 initargs=(settings,))
        list(ex.map(_warm, range(workers)))  # start them all now, and load the model in each
    return ex


def code_batches(batches: Iterable[list], settings: Settings, workers: int,
                 executor: ProcessPoolExecutor | None = None) -> Iterator[list]:
    """Each batch coded (pipeline.code_batch) in a worker process, yielded in input order."""
    own = executor is None
    ex = executor or pool(settings, workers)
    window: deque[Future] = deque()
    ahead = 2 * workers
    try:
        for batch in batches:
            window.append(ex.submit(_code, batch))
            if len(window) >= ahead:
                yield _result(window.popleft())
        while window:
            yield _result(window.popleft())
    finally:
        for f in window:
            f.cancel()
        if own:
            ex.shutdown(wait=True, cancel_futures=True)


def _result(f: Future) -> list:
    try:
        return f.result()
    except BrokenProcessPool:
        raise MarsadError("a worker process died (out of memory?); rerun: finished work is skipped "
                          "(ingest, extract --resume)", code="E201") from None
