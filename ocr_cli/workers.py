"""Worker processes for batches: the one place that owns ``--jobs``.

:func:`ordered_map` applies a function to a list of items in N processes and yields the
results in the items' order, each as soon as it and all before it are done; a tqdm bar on
stderr when asked. :func:`use_recognizer` / :func:`worker_recognizer` hand each worker the
model once, not with every item.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _worker_start(initializer, initargs):
    """In each worker: Ctrl-C is the parent's to handle, and one BLAS thread (N workers, N cores)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    if initializer:
        initializer(*initargs)


def ordered_map(fn, items, jobs: int | None = None, initializer=None, initargs=(), progress: bool = False,
                unit: str = "page"):
    """Yield ``fn(item)`` for every item, in order, computed in ``jobs`` processes.

    ``jobs`` None means one per core; with one job (or one item) everything runs in this
    process. ``fn`` and ``initializer`` must be module-level functions; ``initializer(*initargs)``
    runs once per process (here too when ``jobs`` is 1). ``fn`` should return its failures
    rather than raise: an exception ends the iteration. At most ``4 * jobs`` items are in
    flight, so memory stays bounded for any number of items. ``progress`` draws a tqdm bar
    on stderr.
    """
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: the workers are forked from this process
    items = list(items)
    jobs = max(1, min(jobs or available_cores(), len(items)))
    bar = tqdm(total=len(items), unit=unit, disable=not progress or len(items) < 2, file=sys.stderr,
               dynamic_ncols=True, leave=False)
    try:
        if jobs == 1:
            if initializer:
                initializer(*initargs)
            for item in items:
                result = fn(item)
                bar.update()
                yield result
            return
        # fork shares the parent's loaded model and imports; elsewhere each worker starts afresh
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(method),
                                 initializer=_worker_start, initargs=(initializer, initargs)) as pool:
            pending, ahead = [], iter(items)
            try:
                for item in ahead:
                    pending.append(pool.submit(fn, item))
                    if len(pending) >= 4 * jobs:
                        break
                while pending:
                    result = pending.pop(0).result()
                    for item in ahead:
                        pending.append(pool.submit(fn, item))
                        break
                    bar.update()
                    yield result
            finally:
                for f in pending:
                    f.cancel()
    finally:
        bar.close()


def say(message: str) -> None:
    """Print a line on stderr without tearing a progress bar."""
    from tqdm import tqdm

    tqdm.write(message, file=sys.stderr)


_recognizer = None  # the model a worker reads with, set once per process by use_recognizer


def use_recognizer(recognizer) -> None:
    """An :func:`ordered_map` initializer: the recognizer that :func:`worker_recognizer` returns."""
    global _recognizer
    _recognizer = recognizer


def worker_recognizer():
    return _recognizer
