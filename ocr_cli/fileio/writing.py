"""Writing outputs atomically, never over an input, one run at a time per results folder.

Nothing half-written is ever left where a user's file was: every output is written to a
temporary file next to it and takes its name only once complete and on disk.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from ocr_cli.errors import OcrError


@contextlib.contextmanager
def atomic_path(path, suffix=None):
    """Yield a temporary path next to ``path``; move it over ``path`` only on success.

    ``suffix`` keeps the extension for writers that infer the format from it
    (``np.savez`` adds ``.npz``, matplotlib picks PNG from ``.png``).
    """
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or path.suffix, dir=path.parent)
    os.close(fd)
    os.chmod(tmp, _final_mode(path))  # mkstemp makes 0600; the result should look like any new file
    try:
        yield Path(tmp)
        with open(tmp, "rb") as f:  # on disk before it takes the name: a crash never leaves an empty file there
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_folder(path.parent)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _final_mode(path: Path) -> int:
    """The mode a replaced file keeps, or what ``open()`` would give a new one under the umask."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_LOCKED: dict[str, int] = {}  # results folders this process holds: real path -> nesting depth


@contextlib.contextmanager
def locked_folder(path, what: str = "results folder"):
    """Hold the folder ``path`` (made if missing) for one run: an exclusive ``flock`` on
    ``path/.ocr-run.lock`` for the block, so a second run into the same folder is refused at
    once instead of overwriting the first one's files. The kernel drops the lock when the
    process ends, however it ends; nested use in one process is allowed."""
    import fcntl

    path = Path(path)
    made = [p for p in (path, *path.parents) if not p.exists()]  # removed again if the run leaves them empty
    path.mkdir(parents=True, exist_ok=True)
    key = os.path.realpath(path)
    if key in _LOCKED:
        _LOCKED[key] += 1
        try:
            yield path
        finally:
            _LOCKED[key] -= 1
        return
    lock = path / ".ocr-run.lock"
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise OcrError(f"{path}: this {what} is in use by another run (pid {holder}); "
                           "wait for it to finish or choose another --out") from None
        try:
            if os.fstat(fd).st_ino == os.stat(lock).st_ino:
                break  # still the file at that path: the lock is ours (not one its last holder just removed)
        except FileNotFoundError:
            pass
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _LOCKED[key] = 1
        try:
            yield path
        finally:
            del _LOCKED[key]
            os.unlink(lock)  # while still holding it: a waiting opener then sees another inode and retries
            for folder in made:
                with contextlib.suppress(OSError):
                    folder.rmdir()
    finally:
        os.close(fd)


def refuse_overwriting(outputs, inputs) -> None:
    """OcrError if any file a command will write is one of the files it reads."""
    existing = [Path(p) for p in inputs if p is not None and Path(p).exists()]
    for out in map(Path, outputs):
        for inp in existing:
            if out.exists() and os.path.samefile(out, inp):
                raise OcrError(f"{out} would be overwritten, but it is an input ({inp}); choose another --out")


def pyplot():
    """matplotlib's pyplot on the headless Agg backend, imported only when a figure is drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path, dpi: int = 110, **savefig_kwargs) -> Path:
    """Write a matplotlib figure to ``path`` (PNG) atomically and close it."""
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=dpi, format="png", **savefig_kwargs)
    pyplot().close(fig)
    return Path(path)


def write_text(path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")
