"""What the page commands read: files, folders (optionally recursive) and ``-`` for stdin.

An argument becomes zero or more :class:`Input` s; one that cannot be used becomes one
error message (``PATH: why``) and the others go on. Inputs are then split into
:class:`PageTask` s, one per page of a PDF or multi-page TIFF.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from ocr_cli.errors import OcrError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp"}
INPUT_SUFFIXES = IMAGE_SUFFIXES | {".pdf"}  # what a folder contributes; files given by name are all tried
MAX_STDIN_BYTES = 1 << 30


@dataclass(frozen=True)
class Input:
    """One input document: ``name`` as the user wrote it (``-`` for stdin), ``path`` to read."""

    name: str
    path: Path


@dataclass(frozen=True)
class PageTask:
    """One page to read: page ``index`` (0-based) of ``pages`` of input number ``input``."""

    input: int
    name: str
    path: Path
    index: int
    pages: int


def folder_files(folder: Path, recursive: bool = False, suffixes=INPUT_SUFFIXES) -> list[Path]:
    """The files in ``folder`` (and below, if ``recursive``) with one of ``suffixes``, sorted.

    Hidden files and folders (``.name``) are left out: they are editor and OS litter, or the
    temporary files of an atomic write in progress.
    """
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in found if p.suffix.lower() in suffixes and p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def expand_inputs(args, recursive: bool = False, stdin_dir=None) -> tuple[list[Input], list[str]]:
    """Turn command-line arguments into inputs; returns ``(inputs, errors)``.

    A folder gives its image and PDF files (sorted; sub-folders only if ``recursive``);
    ``-`` copies stdin into ``stdin_dir`` (a temporary folder the caller removes) once.
    """
    inputs, errors = [], []
    for arg in args:
        arg = str(arg)
        path = Path(arg)
        if arg == "-":
            if stdin_dir is None:
                raise ValueError("reading '-' needs a stdin_dir")
            if any(i.name == "-" for i in inputs):
                errors.append("-: stdin can be read only once")
                continue
            try:
                inputs.append(Input("-", _copy_stdin(Path(stdin_dir) / "stdin")))
            except OcrError as e:
                errors.append(str(e))
        elif path.is_dir():
            files = folder_files(path, recursive)
            if not files:
                errors.append(f"{arg}: no images or PDFs in this folder"
                              + ("" if recursive else " (use --recursive to read its sub-folders)"))
            inputs += [Input(str(f), f) for f in files]
        elif path.is_file():
            inputs.append(Input(arg, path))
        else:
            errors.append(f"{arg}: {'not a file or folder' if path.exists() else 'no such file or folder'}")
    return inputs, errors


def _copy_stdin(target: Path) -> Path:
    """Copy stdin to ``target`` (readers need a file: PDFs and TIFFs are read page by page)."""
    size = 0
    with open(target, "wb") as f:
        while chunk := sys.stdin.buffer.read(1 << 20):
            size += len(chunk)
            if size > MAX_STDIN_BYTES:
                raise OcrError(f"-: more than {MAX_STDIN_BYTES >> 20} MB on stdin")
            f.write(chunk)
    if size == 0:
        raise OcrError("-: stdin is empty")
    return target


def page_tasks(inputs: list[Input], jobs: int | None = 1) -> tuple[list[PageTask], list[tuple[int, str]]]:
    """One task per page of every input; returns ``(tasks, errors)``, errors as ``(input number, message)``.

    Pages are counted in ``jobs`` worker processes: opening a PDF runs pdfium, and a
    document that crashes it costs only its own error line.
    """
    from ocr_cli.workers import ordered_map

    tasks, errors = [], []
    for k, (inp, n) in enumerate(zip(inputs, ordered_map(_count, inputs, jobs, crashed=_count_crashed, unit="file"))):
        if isinstance(n, str):
            errors.append((k, rename(n, inp)))
        elif n == 0:
            errors.append((k, f"{inp.name}: has no pages"))
        tasks += [PageTask(k, inp.name, inp.path, i, n) for i in range(n if isinstance(n, int) else 0)]
    return tasks, errors


def _count(inp: Input):
    """The number of pages of ``inp``, or the message saying why it cannot be read."""
    from ocr_cli.fileio.images import count_pages

    try:
        return count_pages(inp.path)
    except OcrError as e:
        return str(e)


def _count_crashed(inp: Input) -> str:
    return f"{inp.name}: the reader crashed on it (its process died)"


def rename(message: str, inp) -> str:
    """A reader's message about ``inp.path`` told with the name the user gave (stdin's copy is ``-``)."""
    return message.replace(str(inp.path), inp.name) if str(inp.path) != inp.name else message
