"""Check that this tree reads pages and trains exactly like another checkout of the project.

Usage: python benchmarks/same_outputs.py OTHER_TREE [--train] [--keep DIR]

OTHER_TREE is another copy of the repository (for a refactoring: ``git archive main | tar -x
-C /tmp/base``). Both trees run the same commands: ``ocr extract`` (text and ``--json``) with
the shipped ``cnn`` and ``mlp`` on every page of ``images/`` and ``../shared/data/pages``;
with ``--train`` also short ``ocr train``/``finetune``/``adapt`` runs. Page outputs must be
byte-identical (but for the checkout's own path, which JSON gives as the model's file); a training run must print the same lines and write the same weights and
sidecar (timings and the code version aside). Prints one row per command; exits 1 on any
difference.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "images", REPO.parent / "shared" / "data" / "pages"]
SUFFIXES = {".png", ".jpg", ".jpeg"}
TIMING = re.compile(r"\[\d+s\]|\(\d+s\)|\d+(\.\d+)? min")
VOLATILE = {"code", "seconds", "train_seconds"}  # differ between any two runs or checkouts


def pages() -> list[str]:
    return [str(p) for d in PAGES if d.is_dir() for p in sorted(d.iterdir()) if p.suffix.lower() in SUFFIXES]


def page_commands() -> dict:
    files = pages()
    return {f"extract --model {m}{' --json' if j else ''} ({len(files)} pages)":
            ["extract", "--model", m, *(["--json"] if j else []), *files] for m in ("cnn", "mlp") for j in (False, True)}


def train_commands() -> dict:
    data = ["--data-dir", str(REPO.parent / "shared" / "data"), "--threads", "1"]
    page, text = str(REPO / "images" / "sample_01.png"), str(REPO / "images" / "sample_01.txt")
    return {
        "train mlp": ["train", "--model", "mlp", "--dataset", "synthetic,nist26*2", "--synthetic", "400",
                      "--epochs", "2", "--seed", "3", "--hidden", "16", *data],
        "train mlp, two rates": ["train", "--model", "mlp", "--dataset", "synthetic", "--synthetic", "300",
                                 "--epochs", "1", "--lr", "0.1", "--lr", "0.01", "--hidden", "8", *data],
        "train fc": ["train", "--model", "fc", "--dataset", "synthetic", "--val", "nist26", "--synthetic", "300",
                     "--epochs", "2", "--hidden", "12,8", *data],
        "train cnn": ["train", "--model", "cnn", "--dataset", "nist26,synthetic", "--synthetic", "300", "--epochs", "2",
                      "--hidden", "32", "--label-smoothing", "0.1", "--batch-size", "50", *data],
        "finetune cnn": ["finetune", "--from", "cnn", "--dataset", "nist26", "--epochs", "1", *data],
        "finetune cnn, head only": ["finetune", "--from", "cnn", "--dataset", "synthetic", "--synthetic", "200",
                                    "--freeze", "features", "--epochs", "1", "--lr", "0.001", *data],
        "adapt cnn": ["adapt", "--page", page, "--text", text, "--synthetic", "200", "--epochs", "1", *data],
    }


def run(tree: Path, args: list[str], cwd: Path, progress_bars: bool) -> tuple[int, str]:
    """Exit status and output of ``ocr ARGS`` run from ``tree``; training's progress bars
    (stderr, timing-dependent) left out unless the command failed."""
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env.pop("OCR_MODELS_DIR", None)
    r = subprocess.run([sys.executable, "-m", "ocr_cli", *args], cwd=cwd, env=env, capture_output=True, text=True)
    return r.returncode, r.stdout + (r.stderr if r.returncode or not progress_bars else "")


def weights(folder: Path) -> dict:
    """``{file: arrays}`` of every model under ``folder``; sidecars without volatile fields
    (and with ``folder`` itself written as OUT)."""
    sys.path.insert(0, str(REPO))
    from ocr_cli.recognizers.cnn_numpy import read_state_dict

    import numpy as np

    found = {}
    for f in sorted(folder.rglob("*")):
        key = str(f.relative_to(folder))
        if f.suffix == ".npz":
            with np.load(f) as z:  # arrays, and the sidecar the model file embeds (a JSON member: bytes)
                found[key] = {k: strip(json.loads(z[k].decode().replace(str(folder), "OUT")))
                              if isinstance(z[k], bytes) else z[k].tobytes() for k in z.files}
        elif f.suffix == ".pt":
            found[key] = {k: v.tobytes() for k, v in read_state_dict(f).items()}
        elif f.suffix == ".json":
            found[key] = strip(json.loads(f.read_text().replace(str(folder), "OUT")))
    return found


def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in VOLATILE}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x


def compare(other: Path, commands: dict, training: bool, keep: Path | None) -> list[str]:
    bad = []
    for name, args in commands.items():
        outs = []
        for tree in (REPO, other):
            with tempfile.TemporaryDirectory() as tmp:
                work = Path(keep or tmp) / ("this" if tree == REPO else "other") / name.replace(" ", "_").replace(",", "")
                work.mkdir(parents=True, exist_ok=True)
                extra = ["--out", str(work / "run")] if training else []
                code, text = run(tree, args + extra, work, training)
                text = text.replace(str(tree), "CHECKOUT").replace(str(REPO), "CHECKOUT")  # model and page paths
                if training:
                    text = TIMING.sub("", text.replace(str(work), "OUT"))
                outs.append((code, text, weights(work) if training else None))
        same = outs[0] == outs[1]
        print(f"{name:<40} exit {outs[0][0]:>3}  {len(outs[0][1]):>8} chars  {'same' if same else 'DIFFERENT'}", flush=True)
        if not same:
            bad.append(name)
            for (c, t, w), label in zip(outs, ("this", "other")):
                print(f"--- {label}: exit {c}\n{t[-1500:]}")
            if outs[0][2] != outs[1][2]:
                a, b = outs[0][2] or {}, outs[1][2] or {}
                print("files differ:", [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)])
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("other", type=Path, help="the other checkout's root")
    ap.add_argument("--train", action="store_true", help="also compare short training runs (a few minutes)")
    ap.add_argument("--keep", type=Path, help="keep the training runs' folders here")
    args = ap.parse_args()
    bad = compare(args.other.resolve(), page_commands(), False, None)
    if args.train:
        bad += compare(args.other.resolve(), train_commands(), True, args.keep)
    print("all the same" if not bad else f"{len(bad)} different: {', '.join(bad)}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
