"""``ocr extract`` as a library: every page of every input, read in worker processes, written in a format.

:func:`read_documents` reads the pages through :func:`~ocr_cli.workers.ordered_map` (input
order kept); :func:`extract` streams them to stdout or one file per input; the ``*_paths``
functions choose output names that are unique and never an input's.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ocr_cli.errors import OcrError, UsageError
from ocr_cli.inputs import Input, PageTask, page_tasks, rename
from ocr_cli.workers import ordered_map, say, use_recognizer, worker_recognizer


@dataclass
class Document:
    """The pages read from one input, in order, and what failed (``PATH: why`` messages)."""

    input: Input
    pages: list = field(default_factory=list)  # (page number from 1, Page)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _read_task(task: tuple[PageTask, str | None, dict]):
    """Read one page in a worker: ``(number, Page or None, error or None, seconds)``."""
    from ocr_cli.fileio.images import read_image_page
    from ocr_cli.page.fields import read_page_or_field

    t, overlay, options = task
    start = time.perf_counter()
    where = f"{t.name}: page {t.index + 1}: " if t.pages > 1 else f"{t.name}: "
    try:
        image = read_image_page(t.path, t.index, colour=True)
        page = read_page_or_field(image, worker_recognizer(), **options)
        page.source = t.name
        if overlay:
            page.draw(image, overlay)
        return t.index + 1, page, None, time.perf_counter() - start
    except OcrError as e:
        message = rename(str(e), t)
        return t.index + 1, None, message if message.startswith(t.name) else where + message, 0.0
    except (OSError, ValueError, MemoryError) as e:
        return t.index + 1, None, f"{where}{type(e).__name__}: {e}", 0.0


def _crashed(task):
    t = task[0]
    where = f"{t.name}: page {t.index + 1}" if t.pages > 1 else t.name
    return t.index + 1, None, f"{where}: the reader crashed on it (its process died)", 0.0


def read_documents(inputs: list[Input], recognizer, jobs: int | None = None, progress: bool = False,
                   overlays: dict | None = None, planned=None, read_options: dict | None = None):
    """Read every page of every input with ``recognizer``; yield one :class:`Document` per input, in order.

    Inputs whose pages cannot be counted (missing, not an image, a broken PDF) come back with
    an error and no pages. ``overlays`` maps ``(input number, page index)`` to the path of a
    ``--boxes`` image to draw; ``read_options`` are keyword arguments of
    :func:`~ocr_cli.page.read_page` (``rotate``, ``chars``, ``lexicon``). ``planned`` is :func:`~ocr_cli.inputs.page_tasks` ``(inputs)``
    if the caller has it already.
    """
    tasks, errors = planned or page_tasks(inputs, jobs)
    docs = [Document(inp) for inp in inputs]
    for k, message in errors:
        docs[k].errors.append(message)
    overlays = overlays or {}
    options = read_options or {}
    results = ordered_map(_read_task, [(t, overlays.get((t.input, t.index)), options) for t in tasks], jobs,
                          use_recognizer, (recognizer,), progress, crashed=_crashed)
    ready = 0  # documents before this one have been yielded
    try:
        for t in tasks:
            while ready < t.input:
                yield docs[ready]
                ready += 1
            number, page, error, seconds = next(results)
            doc = docs[t.input]
            doc.seconds += seconds
            if page is not None:
                doc.pages.append((number, page))
            else:
                doc.errors.append(error)
    finally:
        results.close()
    yield from docs[ready:]


def overlay_paths(boxes, inputs: list[Input], tasks: list[PageTask]) -> dict:
    """Where ``--boxes BOXES`` draws each page: BOXES itself for a single page, else
    ``BOXES_<stem>[_p<page>].png``; never an input's path, never the same name twice.

    Returns ``{(input number, page index): path}``. Raises :class:`OcrError` if BOXES itself
    is one of the inputs.
    """
    boxes = Path(boxes)
    taken = {_key(i.path) for i in inputs}
    if _key(boxes) in taken:
        raise OcrError(f"--boxes {boxes}: that is one of the inputs; choose another name")
    out = {}
    for t in tasks:
        if len(tasks) == 1:
            path = boxes
        else:
            page = f"_p{t.index + 1}" if t.pages > 1 else ""
            path = boxes.with_name(f"{boxes.stem}_{_stem(t.name)}{page}.png")
        out[(t.input, t.index)] = unique_path(path, taken)
    return out


def _stem(name: str) -> str:
    return "stdin" if name == "-" else Path(name).stem


def output_paths(directory, inputs: list[Input], extension: str) -> list[Path]:
    """``DIR/<stem><extension>`` for each input (``stdin`` for ``-``), made unique
    (``<stem>_2``, ...) among themselves, and never an input's own path nor the ground truth
    beside it (``<stem>.txt``, what ``ocr eval`` scores against: ``-o`` pointed at the
    input folder must not replace it)."""
    directory = Path(directory)
    taken = {_key(i.path) for i in inputs} | {_key(i.path.with_suffix(".txt")) for i in inputs if i.name != "-"}
    return [unique_path(directory / f"{_stem(i.name)}{extension}", taken) for i in inputs]


def unique_path(path: Path, taken: set) -> Path:
    """``path``, or ``<stem>_2<suffix>``, ``_3``, ... if taken; the chosen one is added to ``taken``."""
    candidate, n = path, 1
    while _key(candidate) in taken:
        n += 1
        candidate = path.with_name(f"{path.stem}_{n}{path.suffix}")
    taken.add(_key(candidate))
    return candidate


def _key(path: Path) -> str:
    """Paths compared as the file system would: resolved, and case-folded (macOS and Windows ignore case)."""
    return str(Path(path).resolve()).casefold()


def extract(args, recognizer, model: dict, fmt: str = "text", out_dir=None, recursive: bool = False,
            jobs: int | None = None, progress: bool = False, boxes=None, stdout=None,
            read_options: dict | None = None) -> int:
    """``ocr extract``: read every page of every input and write it in ``fmt``.

    Without ``out_dir`` one document in ``fmt`` goes to ``stdout``, page by page in input
    order; with it, each input becomes ``out_dir/<stem>.<ext>``, written atomically once its
    pages are read. Each input or page that fails prints ``error: PATH: why`` and the rest go
    on; each page warning prints ``warning: PATH: why``. Returns the exit status: 1 if anything failed, else 0. Raises :class:`OcrError` for
    a request that cannot start (ALTO of several inputs on stdout, ``--boxes`` over an input).
    """
    import tempfile

    from ocr_cli.formats import WRITERS
    from ocr_cli.inputs import expand_inputs

    writer_class = WRITERS[fmt]
    if out_dir is not None and Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise OcrError(f"-o {out_dir}: exists and is not a folder")
    with tempfile.TemporaryDirectory(prefix="ocr-stdin-") as tmp:
        inputs, errors = expand_inputs(args, recursive, tmp)
        if fmt == "alto" and out_dir is None and len(inputs) > 1:
            raise UsageError("an ALTO file describes one source image or document: "
                           f"use -o DIR to write one per input ({len(inputs)} inputs)")
        for message in errors:
            say(f"error: {message}")
        tasks, _ = planned = page_tasks(inputs, jobs)
        overlays = overlay_paths(boxes, inputs, tasks) if boxes else {}
        targets = output_paths(out_dir, inputs, writer_class.extension) if out_dir is not None else None

        def new_writer(n_pages, source=None):
            kw = {"source": source} if writer_class is WRITERS["alto"] else {}
            return writer_class(model, n_pages=n_pages, headers=targets is None and len(tasks) > 1, **kw)

        pages_of = {t.input: t.pages for t in tasks}
        documents = read_documents(inputs, recognizer, jobs, progress, overlays, planned, read_options)
        if targets is not None:
            failed = _write_files(documents, pages_of, new_writer, targets)
        else:  # streamed: how many pages will be read is not known yet
            stream = new_writer(None, inputs[0].name if len(inputs) == 1 else None) if tasks else None
            failed = _write_stream(documents, pages_of, stream, stdout or sys.stdout, errors)
    return 1 if failed or errors else 0


def _say_problems(doc: Document, of: int) -> bool:
    """Print a document's errors and its pages' warnings (issue 11); whether it had errors.
    ``of`` is how many pages its input has (pages are named only when there are several)."""
    for message in doc.errors:
        say(f"error: {message}")
    for n, page in doc.pages:
        for warning in getattr(page, "warnings", []):
            say(f"warning: {doc.input.name}{f': page {n}' if of > 1 else ''}: {warning}")
    return bool(doc.errors)


def _write_files(documents, pages_of: dict, new_writer, targets: list[Path]) -> bool:
    """Write each document that has pages to its own target, atomically; whether any failed."""
    from ocr_cli.fileio.writing import write_text

    failed = False
    for k, doc in enumerate(documents):
        of = pages_of.get(k, 0)
        failed |= _say_problems(doc, of)
        if doc.pages:
            w = new_writer(len(doc.pages), doc.input.name)
            write_text(targets[k], w.begin() + "".join(w.page(p, n, of) for n, p in doc.pages) + w.end(doc.errors))
    return failed


def _write_stream(documents, pages_of: dict, stream, stdout, errors: list[str]) -> bool:
    """Write every document's pages to ``stdout`` as one ``stream`` (None: nothing to write),
    each page as soon as it is read; the end lists ``errors`` and the documents'. Whether any failed."""
    if stream is not None:
        stdout.write(stream.begin())
    failed, all_errors = False, []
    for k, doc in enumerate(documents):
        failed |= _say_problems(doc, pages_of.get(k, 0))
        if stream is not None:
            stdout.write("".join(stream.page(page, n, pages_of.get(k, 0)) for n, page in doc.pages))
            stdout.flush()
            all_errors += doc.errors
    if stream is not None:
        stdout.write(stream.end(errors + all_errors))
        stdout.flush()
    return failed
