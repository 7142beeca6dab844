"""What a user installs and waits for: the wheel, the install size of the reader and of
[train], and the time of `ocr --help`, `ocr extract` on a 12 MP photo and the Python API,
run from an installed wheel in a folder outside the checkout.

Usage: python benchmarks/bench_install.py [--repeat 3] [--photo PATH] [--sizes-only]

The wheel of this checkout is installed with its core dependencies only into a fresh virtual
environment (pip's configured index or wheel cache; no --system-site-packages), whose
site-packages is measured on disk (pip itself left out). The sizes of [train] and of the whole
dependency tree are the installed sizes (RECORD files) of the distributions in THIS
environment, following their requirements: no second install of torch. Times are the best of
--repeat runs (the machine may be shared; the minimum is the least noisy); the photo is
../shared/data/pages/04_deep.jpg (4032x3024) or, without it, a simulated 12 MP photo.
"""
import argparse
import configparser
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
API = ("import sys, ocr_cli; page = ocr_cli.read(sys.argv[1]); print(page.text)")


def installed_size(requirements) -> tuple[int, list[str]]:
    """Bytes on disk of the distributions ``requirements`` pull in here (each counted once), and
    the names of those not installed here."""
    sizes, missing, done = {}, set(), set()
    todo = [(Requirement(r), "") for r in requirements]
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({**default_environment(), "extra": extra}):
            continue
        name = req.name.lower().replace("_", "-")
        if (name, frozenset(req.extras)) in done:
            continue
        done.add((name, frozenset(req.extras)))
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            missing.add(req.name)
            continue
        sizes.setdefault(name, sum(_file_size(dist, f) for f in dist.files or []))
        todo += [(Requirement(r), e) for r in dist.requires or [] for e in ("", *req.extras)]
    return sum(sizes.values()), sorted(missing)


def _file_size(dist, f) -> int:
    try:
        return os.path.getsize(dist.locate_file(f))
    except OSError:
        return 0


def requirements():
    """``(core, {extra: [...]})`` from setup.cfg."""
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    lines = lambda text: [r for r in text.split("\n") if r.strip()]  # noqa: E731
    return lines(cfg["options"]["install_requires"]), {k: lines(v) for k, v in cfg["options.extras_require"].items()}


def folder_size(path: Path, skip=()) -> int:
    """Bytes of the files under ``path``, leaving out those under a folder whose name starts with one of ``skip``."""
    return sum(f.stat().st_size for f in path.rglob("*")
               if f.is_file() and not any(part.startswith(skip) for part in f.relative_to(path).parts[:-1]))


def best_of(n, args, **kw) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        r = subprocess.run(args, capture_output=True, text=True, **kw)
        times.append(time.perf_counter() - start)
        if r.returncode:
            raise SystemExit(f"{' '.join(map(str, args))} failed:\n{r.stderr}")
    return min(times)


def photo_12mp(folder: Path, given) -> Path:
    path = Path(given) if given else REPO.parent / "shared" / "data" / "pages" / "04_deep.jpg"
    if path.is_file():
        return path
    from PIL import Image

    from ocr_cli.data.photos import photo

    rgb, _ = photo(seed=0, char_h=60)
    out = folder / "photo_12mp.jpg"
    Image.fromarray(rgb).resize((4032, 3024)).save(out, quality=90)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--photo", help="the 12 MP photo to read (default: ../shared/data/pages/04_deep.jpg)")
    ap.add_argument("--sizes-only", action="store_true", help="only the install sizes from this environment")
    args = ap.parse_args()

    core, extras = requirements()
    mb = lambda n: f"{n / 1e6:,.0f} MB"  # noqa: E731
    reader, _ = installed_size(core)
    train, missing = installed_size(core + extras["train"])
    rows = [("reader (core requirements), this environment's copies", mb(reader)),
            ("reader + [train], this environment's copies", mb(train) + (f" (not here: {', '.join(missing)})" if missing else ""))]
    if not args.sizes_only:
        with tempfile.TemporaryDirectory(prefix="bench-install-") as tmp:
            tmp = Path(tmp)
            subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                            str(tmp), str(REPO)], check=True, capture_output=True)
            wheel = next(tmp.glob("ocr_cli-*.whl"))
            names = zipfile.ZipFile(wheel).namelist()
            models = sorted(Path(n).name for n in names if n.startswith("ocr_cli/models/"))
            rows.insert(0, ("wheel", f"{wheel.stat().st_size / 1e6:.1f} MB, {len(names)} files, models: {' '.join(models)}"))
            env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OCR_MODELS_DIR")}
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "venv", str(tmp / "env")], check=True)
            subprocess.run([str(tmp / "env" / "bin" / "pip"), "install", "-q", str(wheel)], check=True, env=env,
                           capture_output=True)
            seconds = time.perf_counter() - start
            site = next((tmp / "env" / "lib").glob("python*/site-packages"))
            tools = ("pip", "setuptools", "pkg_resources", "_distutils_hack")  # what venv puts there itself
            rows.insert(1, ("reader installed into a fresh venv (site-packages, pip and setuptools left out)",
                            f"{mb(folder_size(site, skip=tools))} ({seconds:.0f} s to create and install)"))
            run = tmp / "run"
            run.mkdir()
            photo = photo_12mp(run, args.photo)
            bin_ = tmp / "env" / "bin"
            kw = {"cwd": run, "env": env}
            rows += [("`ocr --help`", f"{best_of(args.repeat, [bin_ / 'ocr', '--help'], **kw):.2f} s"),
                     (f"`ocr extract` {photo.name} (whole command)",
                      f"{best_of(args.repeat, [bin_ / 'ocr', 'extract', photo], **kw):.2f} s"),
                     ("`ocr_cli.read(photo)` (new process: import, model, read)",
                      f"{best_of(args.repeat, [bin_ / 'python', '-c', API, photo], **kw):.2f} s")]
    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  measured")
    for what, value in rows:
        print(f"{what:<{width}}  {value}")


if __name__ == "__main__":
    main()
