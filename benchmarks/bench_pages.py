"""Time page reading on the real photos: `ocr extract` (whole process), the pipeline alone
with the model already loaded, and `tesseract IMAGE stdout --psm 6` when installed.

Usage: python benchmarks/bench_pages.py [--weights PATH] [--repeat N] [--pages DIR]
Where a page has a <stem>.txt, both readings' character accuracy is shown too.
Each time is the best of N runs (the machine is shared; the minimum is the least noisy).
"pipeline" is read_image + read_page in this process with the model loaded: reading the image,
finding, cropping and recognising every character (wall clock, and CPU time, which a
busy shared machine distorts less).
Goals (issue 5): whole `ocr extract` at least 2× faster than Tesseract on the 12 MP page;
the pipeline alone at most 0.3 s per page.
"""
import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def best_of(n, fn, clock=time.perf_counter):
    times = []
    for _ in range(n):
        start = clock()
        fn()
        times.append(clock() - start)
    return min(times)


def accuracy(page: Path, text: str) -> str | None:
    """Character accuracy of ``text`` against the page's ``.txt`` truth, if there is one."""
    from ocr_cli.page.evaluate import rates, score_text

    truth = page.with_suffix(".txt")
    if not truth.is_file():
        return None
    return f"{100 * rates(score_text(text, truth.read_text()))['char_accuracy']:.1f}%"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", help="model file (default: the shipped cnn)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pages", default=str(REPO.parent / "shared" / "data" / "pages"))
    args = ap.parse_args()

    from ocr_cli.page import read_page
    from ocr_cli.recognizers import default_model_path, load_recognizer

    pages = sorted(p for p in Path(args.pages).glob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not pages:
        print(f"no pages in {args.pages}; nothing to time")
        return
    weights = args.weights or str(default_model_path("cnn"))
    if not Path(weights).with_suffix(".json").is_file():
        print(f"no model at {weights}; pass --weights")
        return
    from ocr_cli.fileio.images import read_image

    rec = load_recognizer(weights, inference=True)  # what `ocr extract` uses

    def read(path):
        return read_page(read_image(path, colour=True), rec)

    read(pages[0])  # warm up imports
    tesseract = shutil.which("tesseract")
    extract = [sys.executable, "-m", "ocr_cli", "extract", "--weights", weights]
    env = {"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}

    print(f"{'page':<16} {'megapixels':>10} {'pipeline s':>10} {'(cpu s)':>8} {'ocr extract s':>13} {'tesseract s':>11}"
          f" {'tess/ocr':>8} {'ocr acc':>8} {'tess acc':>8}")
    for page in pages:
        from PIL import Image

        with Image.open(page) as im:
            mp = im.size[0] * im.size[1] / 1e6
        pipeline = best_of(args.repeat, lambda: read(page))
        cpu = best_of(args.repeat, lambda: read(page), time.process_time)
        whole = best_of(args.repeat, lambda: subprocess.run(extract + [str(page)], check=True, capture_output=True,
                                                            cwd=REPO, env={**env, "PYTHONPATH": str(REPO)}))
        ours_acc, tess_acc = accuracy(page, read(page).text), None
        if tesseract:
            tess = best_of(args.repeat, lambda: subprocess.run([tesseract, str(page), "stdout", "--psm", "6"],
                                                               check=True, capture_output=True, env=env))
            tess_s, ratio = f"{tess:11.2f}", f"{tess / whole:7.2f}×"
            run = subprocess.run([tesseract, str(page), "stdout", "--psm", "6"], capture_output=True, text=True, env=env)
            tess_acc = accuracy(page, run.stdout)
        else:
            tess_s, ratio = f"{'n/a':>11}", f"{'n/a':>8}"
        print(f"{page.name:<16} {mp:10.1f} {pipeline:10.3f} {cpu:8.3f} {whole:13.2f} {tess_s} {ratio}"
              f" {ours_acc:>8} {tess_acc or 'n/a':>8}")
    if not tesseract:
        print("tesseract not installed (apt-get install tesseract-ocr) : no comparison")


if __name__ == "__main__":
    main()
