"""Worker processes for batches: the one place that owns ``--jobs``.

:func:`ordered_map` applies a function to a list of items in N processes and yields the
results in the items' order, each as soon as it and all before it are done; a tqdm bar on
stderr when asked. :func:`use_recognizer` / :func:`worker_recognizer` hand each worker the
model once, not with every item.
"""
from __future__ import annotations

import os
import signal
import sys
from collections import deque


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def die_with_parent(parent: int) -> None:
    """In a worker process of ``parent`` (its pid, taken before the fork): end the worker when
    the parent ends, however it ends (SIGKILL included), and leave Ctrl-C and SIGTERM's
    clean-ups to the parent.

    Linux: the kernel sends SIGKILL on the parent's death (``PR_SET_PDEATHSIG``); elsewhere a
    daemon thread checks once a second whether the parent is still there.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, inherited by fork
    try:
        import ctypes

        armed = ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL) == 0  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        armed = False
    if not armed:
        import threading
        import time

        def watch():
            while os.getppid() == parent:
                time.sleep(1)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # it died before we were armed
        os._exit(1)


def _worker_start(parent, initializer, initargs):
    """In each worker: dies with the parent, Ctrl-C is the parent's to handle, and one BLAS thread
    (N workers, N cores)."""
    die_with_parent(parent)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    if initializer:
        initializer(*initargs)


def ordered_map(fn, items, jobs: int | None = None, initializer=None, initargs=(), progress: bool = False,
                unit: str = "page", crashed=None):
    """Yield ``fn(item)`` for every item, in order, computed in ``jobs`` processes.

    ``jobs`` None means one per core; with one job (or one item) everything runs in this
    process. ``fn`` and ``initializer`` must be module-level functions; ``initializer(*initargs)``
    runs once per process (here too when ``jobs`` is 1). ``fn`` should return its failures
    rather than raise: an exception ends the iteration. If a worker dies (a crash inside a
    C library), the items it may have held are run again one by one in fresh processes and
    ``crashed(item)`` is yielded for each that kills its process too; without ``crashed``
    the death ends the iteration (BrokenProcessPool). At most ``4 * jobs`` items are in
    flight, so memory stays bounded for any number of items. ``progress`` draws a tqdm bar
    on stderr.
    """
    items = list(items)
    jobs = max(1, min(jobs or available_cores(), len(items)))
    bar = _progress_bar(len(items), unit) if progress and len(items) >= 2 else _NoBar()
    try:
        if jobs == 1:
            if initializer:
                initializer(*initargs)
            for item in items:
                result = fn(item)
                bar.update()
                yield result
            return
        for result in _in_processes(fn, items, jobs, (initializer, initargs), crashed):
            bar.update()
            yield result
    finally:
        bar.close()


class _NoBar:
    def update(self):
        pass

    def close(self):
        pass


def _progress_bar(total: int, unit: str):
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: the workers are forked from this process
    return tqdm(total=total, unit=unit, file=sys.stderr, dynamic_ncols=True, leave=False)


def _pool(jobs, init):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork shares the parent's loaded model and imports; elsewhere each worker starts afresh
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(method),
                               initializer=_worker_start, initargs=(os.getpid(), *init))


def _in_processes(fn, items, jobs, init, crashed):
    from concurrent.futures.process import BrokenProcessPool

    ahead, pending = iter(items), deque()  # (item, future) in item order
    pool = _pool(jobs, init)
    try:
        while True:
            try:
                while len(pending) < 4 * jobs and (item := next(ahead, _END)) is not _END:
                    pending.append((item, None))  # kept even if submit finds the pool broken
                    pending[-1] = (item, pool.submit(fn, item))
                if not pending:
                    return
                result = pending[0][1].result()
            except BrokenProcessPool:
                if crashed is None:
                    raise
                pool.shutdown(wait=True, cancel_futures=True)
                for item, f in pending:  # which one killed it is unknown: each unfinished one alone, in order
                    if f is not None and f.done() and not f.cancelled() and f.exception() is None:
                        yield f.result()
                        continue
                    with _pool(1, init) as alone:
                        try:
                            result = alone.submit(fn, item).result()
                        except BrokenProcessPool:
                            result = crashed(item)
                    yield result
                pending.clear()
                pool = _pool(jobs, init)
                continue
            pending.popleft()
            yield result
    finally:
        for _, f in pending:
            if f is not None:
                f.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


_END = object()


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
