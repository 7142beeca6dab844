"""``ocr models``: the models that can be asked for by name, and how each was trained."""
from __future__ import annotations

import click


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@click.pass_context
def models(ctx, as_json):
    """List the models: the shipped ones and those in $OCR_MODELS_DIR, with their held-out accuracy.

    Held-out accuracy is 36-way on the fixed 30% of each real source that training never saw
    (and on fixed synthetic samples), as the model's sidecar records it.
    """
    if ctx.invoked_subcommand is not None:
        return
    import json

    from ocr_cli.recognizers.catalog import describe, model_files, user_dirs

    rows = [describe(m) for m in model_files()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(format_table(rows))
    for d in user_dirs():
        if not d.is_dir():
            click.echo(f"warning: $OCR_MODELS_DIR names {d}, which is not a folder", err=True)


def format_table(rows: list[dict]) -> str:
    from ocr_cli.charset import CLASSES

    def cells(r):
        where = r["origin"] if r["origin"] == "shipped" else f"user: {r['file']}"
        where += " (replaced by the user's)" if r["shadowed"] else ""
        if "error" in r:
            return [r["name"], "?", "?", "?", f"unreadable: {r['error']}", where]
        classes = "A-Z 0-9" if r["classes"] == CLASSES else f"{r['classes'][:12]}{'...' if len(r['classes']) > 12 else ''}"
        acc = "  ".join(f"{k} {v:.1%}" for k, v in r["heldout_acc"].items()) or "not recorded"
        return [r["name"], r["kind"], f"{len(r['classes'])} ({classes})", f"{r['bytes'] / 1e6:.1f} MB", acc, where]

    table = [["name", "kind", "classes", "size", "held-out accuracy", "from"], *map(cells, rows)]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]) - 1)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[-1] for row in table)


@models.command()
@click.argument("name")
def show(name):
    """Print how the model NAME (or a model file) was trained: the command(s) that reproduce it.

    A fine-tuned or adapted model lists its starting model's command first.
    """
    from ocr_cli.recognizers.base import read_model_meta
    from ocr_cli.recognizers.catalog import resolve_model, training_commands

    path = resolve_model(name)
    meta, _ = read_model_meta(path)
    stages = training_commands(meta)
    click.echo(f"# {name} ({meta['model']}): {path}")
    for k, stage in enumerate(stages, 1):
        step = f"stage {k} of {len(stages)}, " if len(stages) > 1 else ""
        click.echo(f"# {step}trained by {stage['code'] or 'an unrecorded code version'}")
        click.echo(stage["command"] or "# (no command recorded)")
