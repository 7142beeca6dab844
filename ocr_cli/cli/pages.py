"""``ocr extract`` and ``ocr eval``: reading pages."""
from __future__ import annotations

import sys

import click

from ocr_cli.cli.options import page_model_options
from ocr_cli.errors import OcrError

FORMATS = ["text", "json", "hocr", "alto", "tsv"]  # ocr_cli.formats.WRITERS (not imported: --help stays light)


def page_recognizer(model, weights):
    """The recognizer for page commands: ``--weights FILE`` or the model called ``--model`` (default cnn).

    A ``cnn`` runs through its NumPy twin, so reading a page never waits for torch to import.
    Returns ``(recognizer, {"name", "file"})``: the model as the outputs describe it.
    """
    from ocr_cli.recognizers import default_model_path, load_recognizer

    if model and weights:
        raise click.UsageError("give --model NAME or --weights FILE, not both")
    path = weights or default_model_path(model or "cnn")
    rec = load_recognizer(path, inference=True)
    return rec, {"name": rec.name, "file": str(path)}


def reading_options(f):
    """--chars, --lexicon and --field/--page: what the page reader may read (see :func:`reader_settings`)."""
    f = click.option("--field/--page", "field", default=None,
                     help="Read each image as one form field (only its handwriting: printed labels, box lines and "
                          "neighbouring fields' slivers are left out) or as a page (default: a field when the image "
                          "is at most 160 px high and 3x as wide).")(f)
    f = click.option("--lexicon", default=None,
                     help="A word list (one per line), or 'english' (built in): a word read as a near-miss of a listed "
                          "word becomes it when its characters' probabilities allow; numbers are left alone.")(f)
    return click.option("--chars", default=None,
                        help="Allowed characters: letters, digits, or a set such as 0123456789X.")(f)


def reader_settings(rec, chars, lexicon) -> dict:
    """read_page's ``chars`` and ``lexicon`` from the command's options."""
    from ocr_cli.page.lexicon import load_lexicon, parse_chars

    try:
        allowed = parse_chars(chars, rec.classes) if chars else None
    except OcrError as e:
        raise click.BadParameter(str(e).partition(": ")[2], param_hint="--chars") from None
    return {"chars": allowed, "lexicon": load_lexicon(lexicon, rec.classes) if lexicon else None}


jobs_option = click.option("--jobs", "-j", type=click.IntRange(1), default=None,
                           help="Pages read at once, each in its own process (default: one per core).")
recursive_option = click.option("--recursive", "-r", is_flag=True, help="Read the sub-folders of folders too.")


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(allow_dash=True))
@page_model_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="text (default), json (docs/ocr-cli-1.schema.json), hocr (hOCR 1.2), alto (ALTO 4.4), "
                   "tsv (Tesseract's columns).")
@click.option("--json", "as_json", is_flag=True, help="Short for --format json.")
@click.option("-o", "--out-dir", type=click.Path(file_okay=False), default=None,
              help="Write one file per input, DIR/<stem>.<txt|json|hocr|xml|tsv>, instead of printing.")
@recursive_option
@jobs_option
@click.option("--boxes", type=click.Path(dir_okay=False), default=None,
              help="Save an overlay PNG of the found boxes and predictions (one per page: BOXES_<stem>[_p<page>].png "
                   "when several).")
@click.option("--rotate", type=click.Choice(["auto", "0", "90", "180", "270"]), default="auto", show_default=True,
              help="Degrees clockwise to turn each page before reading; auto picks the turn that reads best.")
@reading_options
def extract(inputs, model, weights, fmt, as_json, out_dir, recursive, jobs, boxes, rotate, chars, lexicon, field):
    """Read pages: image files, folders of them, PDFs and multi-page TIFFs page by page, or - for stdin.

    An input that cannot be read prints one error line and the others go on; the exit
    status is 1 if any failed.
    """
    from ocr_cli.batch import extract as read_and_write

    if as_json and fmt not in (None, "json"):
        raise click.UsageError(f"--json means --format json, not --format {fmt}")
    rec, described = page_recognizer(model, weights)
    sys.exit(read_and_write(inputs, rec, described, fmt or ("json" if as_json else "text"), out_dir, recursive,
                            jobs, progress=sys.stderr.isatty(), boxes=boxes,
                            read_options={"rotate": rotate if rotate == "auto" else int(rotate), "field": field,
                                          **reader_settings(rec, chars, lexicon)}))


@click.command("eval")
@click.argument("directory", type=click.Path())
@page_model_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@recursive_option
@jobs_option
@reading_options
def eval_pages(directory, model, weights, as_json, recursive, jobs, chars, lexicon, field):
    """Score page reading on every image in DIRECTORY that has a <stem>.txt ground truth.

    Unreadable images and ground truths print one error line each (exit status 1); the
    other pages are still scored.
    """
    import json

    from ocr_cli.page.evaluate import evaluate_dir, format_table

    rec, _ = page_recognizer(model, weights)
    report = evaluate_dir(directory, rec, recursive, jobs, progress=sys.stderr.isatty(), field=field,
                          **reader_settings(rec, chars, lexicon))
    for message in report["errors"]:
        click.echo(f"error: {message}", err=True)
    click.echo(json.dumps(report, indent=2) if as_json else format_table(report))
    sys.exit(1 if report["errors"] else 0)
