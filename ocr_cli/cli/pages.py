"""``ocr extract`` and ``ocr eval``: reading pages."""
from __future__ import annotations

import click

from ocr_cli.cli.options import page_model_options
from ocr_cli.errors import OcrError


def page_recognizer(model, weights):
    """The recognizer for page commands: ``--weights`` if given, else the shipped ``--model``.

    A ``cnn`` runs through its NumPy twin, so reading a page never waits for torch to import.
    """
    from ocr_cli.recognizers import default_model_path, load_recognizer
    from ocr_cli.recognizers.cnn_numpy import load_numpy_cnn

    model = model or ("" if weights else "cnn")
    path = weights or default_model_path(model)
    if not weights and not path.is_file():
        raise OcrError(f"no shipped {model} model ({path} is missing); pass --weights or train one with `ocr train`")
    rec = load_numpy_cnn(path) or load_recognizer(path)
    if weights and model and rec.name != model:
        raise OcrError(f"{weights}: holds a {rec.name!r} model, not {model!r}")
    return rec


@click.command()
@click.argument("images", nargs=-1, required=True, type=click.Path())
@page_model_options
@click.option("--json", "as_json", is_flag=True, help="Print lines, words, characters, boxes and confidences as JSON.")
@click.option("--boxes", type=click.Path(dir_okay=False), default=None,
              help="Save an overlay PNG of the found boxes and predictions (one per image: OUT_<stem>.png when several).")
def extract(images, model, weights, as_json, boxes):
    """Print the text of each page image."""
    import json
    from pathlib import Path

    from ocr_cli.fileio import read_image
    from ocr_cli.page import read_page

    rec = page_recognizer(model, weights)
    results = []
    for path in images:
        grey = read_image(path)
        page = read_page(grey, rec)
        page.source = str(path)
        if boxes:
            out = Path(boxes) if len(images) == 1 else Path(boxes).with_name(f"{Path(boxes).stem}_{Path(path).stem}.png")
            page.draw(grey, out)
        if as_json:
            results.append(page.to_dict())
            continue
        if len(images) > 1:
            click.echo(f"==> {path} <==")
        click.echo(page.text)
    if as_json:
        click.echo(json.dumps(results[0] if len(images) == 1 else results, indent=2))


@click.command("eval")
@click.argument("directory", type=click.Path())
@page_model_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def eval_pages(directory, model, weights, as_json):
    """Score page reading on every image in DIRECTORY that has a <stem>.txt ground truth."""
    import json

    from ocr_cli.page.evaluate import evaluate_dir, format_table

    report = evaluate_dir(directory, page_recognizer(model, weights))
    click.echo(json.dumps(report, indent=2) if as_json else format_table(report))
