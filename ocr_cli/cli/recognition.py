"""``ocr score`` and ``ocr calibrate``: how well a model reads characters, and how sure it should say it is."""
from __future__ import annotations

import click

from ocr_cli.cli.options import command_line, data_dir_option, needs, page_model_options


@click.command()
@click.option("--dataset", required=True,
              help="Sources, comma-separated: folder:DIR (your labeled crops), nist26:PATH, nist26oct, mnist:DIR, "
                   "mnist5k, words, ... (as for `ocr train`).")
@page_model_options
@click.option("--heldout", is_flag=True, help="Score only each source's fixed held-out part (what `ocr train` never trains on).")
@click.option("--split", type=click.Choice(["train", "valid", "test"]), default=None,
              help="Split to score without --heldout (default: test for mnist/emnist, valid for nist26, else train).")
@click.option("--n", "n", type=click.IntRange(1), default=None, help="At most this many samples per source (a seeded subset).")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--errors", type=click.Path(dir_okay=False), default=None,
              help="Also save a PNG grid of the misread samples, surest first (needs the [train] extra: matplotlib).")
def score(dataset, model, weights, heldout, split, n, data_dir, as_json, errors):
    """36-way accuracy of a model on labeled characters, per class, most-confused pairs, calibration.

    No training: any model, any source, including a folder of crops you bring
    (ROOT/<class>/*.png, photographed or scanned).
    """
    import json

    from ocr_cli.cli.pages import page_recognizer
    from ocr_cli.scoring import format_report, score_dataset

    if heldout and split:
        raise click.UsageError("--heldout scores each source's held-out part of its own split; drop --split")
    if errors is not None:
        from ocr_cli.extras import require

        require("train", "--errors")
    rec, _ = page_recognizer(model, weights)
    report = score_dataset(dataset, rec, split=split, heldout=heldout, data_dir=data_dir, n=n, errors=errors)
    click.echo(json.dumps(report, indent=2) if as_json else format_report(report))


@click.command()
@needs("train")
@click.option("--weights", required=True, type=click.Path(dir_okay=False), help="The model to calibrate (.pt/.npz or its .json).")
@click.option("--dataset", required=True, help="Sources whose held-out parts fit and check the temperature (as for `ocr train`).")
@click.option("--check", default=None, help="Further sources scored whole, before and after (e.g. mnist:DIR, the real test digits).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for the calibrated copy of the model.")
@data_dir_option
@click.pass_context
def calibrate(ctx, weights, dataset, check, out, data_dir):
    """Fit a temperature so the model's confidences match its accuracy; write a calibrated copy.

    Fitted on half of the held-out parts, the expected calibration error (ECE) is reported
    on the other half before and after; OUT/reliability.png is the reliability diagram.
    """
    from ocr_cli.scoring import calibrate_model

    r = calibrate_model(weights, dataset, out, data_dir=data_dir, check=check, command=command_line(ctx, "ocr calibrate"))
    click.echo(f"temperature {r['temperature']:.3f} (fitted on {r['fitted_on']})")
    click.echo(f"ECE on {r['scored_on']}: {100 * r['ece_before']:.1f}% before, {100 * r['ece_after']:.1f}% after")
    for s, c in r.get("check", {}).items():
        click.echo(f"ECE on {s} ({c['n']}): {100 * c['ece_before']:.1f}% before, {100 * c['ece_after']:.1f}% after")
    click.echo(f"calibrated model -> {r['model']}  (reliability diagram: {out}/reliability.png)")
