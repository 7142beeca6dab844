"""Hostile input, command by command: every crafted case of issue 15 run as a user would run it.

Each case runs ``python -m ocr_cli ...`` in a fresh temporary folder under a watchdog (killed
at 2 GB resident memory or after 20 s; address space capped at 12 GB) and reports the exit
code, wall time, peak memory of the process tree, whether stderr is one ``error:`` line,
whether every file the user had is intact, and whether a process outlived the command.
Target (issue 15): one ``error:`` line (or a correct result), exit 1 or 2, < 5 s, < 1 GB.

Usage: python benchmarks/bench_hostile.py [NAME_SUBSTRING ...]
"""
from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import hostile_files as hf  # noqa: E402

RSS_LIMIT = 2 * 2**30
TIMEOUT = 20.0
PAGE = REPO / "images" / "sample_01.png"


def tree_rss(pgid: int) -> int:
    """Resident bytes of every process in process group ``pgid``."""
    total = 0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            total += int(stat.rsplit(")", 1)[1].split()[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    return total


def survivors(pgid: int) -> list[str]:
    out = []
    for d in Path("/proc").iterdir():
        try:
            if d.name.isdigit() and int((d / "stat").read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                out.append(f"{d.name}: {cmd[:80]}")
        except (OSError, ValueError):
            pass
    return out


def group_alive(pgid: int) -> bool:
    """Whether a process of group ``pgid`` still runs (a zombie, dead but not yet reaped by
    an init that does not reap, does not count)."""
    for d in Path("/proc").iterdir():
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            if d.name.isdigit() and int(fields[2]) == pgid and fields[0] != "Z":
                return True
        except (OSError, ValueError, IndexError):
            continue
    return False


def run(argv, cwd, timeout=TIMEOUT, stdin=None, after_start=None):
    """Run ``ocr ARGV`` (or ``python -c CODE`` when ARGV is ``["-c", CODE]``); return
    dict(rc, seconds, peak_mb, stderr, stdout, killed, leftover)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "OCR_MODELS_DIR": ""}  # the shipped models only

    def limits():
        os.setsid()
        resource.setrlimit(resource.RLIMIT_AS, (12 * 2**30, 12 * 2**30))

    t0 = time.time()
    cmd = [sys.executable, *argv] if argv[0] == "-c" else [sys.executable, "-m", "ocr_cli", *map(str, argv)]
    p = subprocess.Popen(cmd, cwd=cwd, env=env, preexec_fn=limits,
                         stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if stdin is not None:
        p.stdin.write(stdin)
        p.stdin.close()
    peak, killed = 0, None
    import threading

    out = {}
    readers = [threading.Thread(target=lambda k=k, f=f: out.__setitem__(k, f.read())) for k, f in
               (("stdout", p.stdout), ("stderr", p.stderr))]
    for r in readers:
        r.start()
    if after_start:
        after_start(p)
    while p.poll() is None:
        peak = max(peak, tree_rss(p.pid))
        if peak > RSS_LIMIT:
            killed = f"killed at {peak / 2**30:.1f} GB"
        elif time.time() - t0 > timeout:
            killed = f"killed after {timeout:.0f} s"
        if killed:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            break
        time.sleep(0.01)
    seconds = time.time() - (SIGNALLED.pop() if SIGNALLED else t0)
    time.sleep(0.5)  # a worker that dies with its parent has had time to go
    leftover = group_alive(p.pid)
    if leftover:  # it would hold our pipes open for good
        print(f"  left over: {survivors(p.pid)}", file=sys.stderr)
        os.killpg(p.pid, signal.SIGKILL)
    for r in readers:
        r.join()
    return {"rc": p.returncode, "seconds": seconds, "peak_mb": peak / 2**20, "killed": killed, "leftover": leftover,
            "stderr": out["stderr"].decode(errors="replace"), "stdout": out["stdout"].decode(errors="replace")}


def snapshot(root: Path) -> dict:
    return {str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in sorted(root.rglob("*")) if f.is_file() and not f.is_symlink()}


def verdict(r, intact: bool, ok_rc=(1, 2)) -> str:
    lines = [s for s in r["stderr"].splitlines() if s.strip() and not s.startswith(("epoch", "\r"))]
    one_error = (len(lines) == 1 and lines[0].startswith("error:")) or r["rc"] in (0, -9, -15, 130, 143)
    good = (r["killed"] is None and r["rc"] in ok_rc and one_error and r["seconds"] < 5 and r["peak_mb"] < 1024
            and intact and not r["leftover"])
    return "ok" if good else "FAIL"


# --- the cases: each returns (argv, files to keep intact or None for the whole folder) -------------------

def tiny_mlp(tmp: Path, name="m"):
    """A small valid mlp model (NumPy) to tamper with."""
    from ocr_cli.charset import CLASSES
    from ocr_cli.recognizers.mlp import MLPRecognizer

    return MLPRecognizer(CLASSES, hidden=(8,)).save(tmp / name)


def case_stride(tmp):
    hf.crafted_cnn(tmp / "bad.pt", override={"head.2.weight": {"size": (128, 2048), "stride": (2**20, 1)}})
    return ["extract", "--weights", "bad.pt", PAGE]


def case_stride_eval(tmp):
    hf.crafted_cnn(tmp / "bad.pt", override={"head.2.weight": {"size": (128, 2048), "stride": (2**20, 1)}})
    (tmp / "pages").mkdir()
    shutil.copy(PAGE, tmp / "pages")
    shutil.copy(PAGE.with_suffix(".txt"), tmp / "pages")
    return ["eval", "pages", "--weights", "bad.pt"]


def case_offset(tmp):
    hf.crafted_cnn(tmp / "bad.pt", override={"head.5.bias": {"offset": 10**6}})
    return ["extract", "--weights", "bad.pt", PAGE]


def case_deflate(tmp):
    import zipfile

    hf.crafted_cnn(tmp / "bad.pt", compression=zipfile.ZIP_DEFLATED)
    hf.corrupt_deflate(tmp / "bad.pt", "data/21")
    return ["extract", "--weights", "bad.pt", PAGE]


def case_encrypted(tmp):
    hf.crafted_cnn(tmp / "bad.pt")
    hf.patch_zip_flags(tmp / "bad.pt", "data/0", flag_bits=1)
    return ["extract", "--weights", "bad.pt", PAGE]


def case_compression(tmp):
    hf.crafted_cnn(tmp / "bad.pt")
    hf.patch_zip_flags(tmp / "bad.pt", "data/0", method=98)  # PPMd: zipfile cannot decompress it
    return ["extract", "--weights", "bad.pt", PAGE]


def case_empty_pkl(tmp):
    hf.crafted_cnn(tmp / "bad.pt", pkl=b"")
    return ["extract", "--weights", "bad.pt", PAGE]


def case_hidden_bomb(tmp):
    """A few-byte sidecar asking for 1.5 M hidden units: inside the model file and as its copy."""
    path = hf.sidecar_only(tmp / "m.npz", hf.mlp_sidecar([1_500_000]), inside=True)
    path.with_suffix(".json").write_text(json.dumps(hf.mlp_sidecar([1_500_000])))
    return ["extract", "--weights", path.name, PAGE]


def case_npy_header_bomb(tmp):
    path = tiny_mlp(tmp)
    hf.npz_with_header(path, "layer0.W", (1024, 2_000_000), meta={"format": "ocr_cli.nn/1", "sizes": [1024, 8, 36]})
    return ["extract", "--weights", path.name, PAGE]


def case_zip_bomb(tmp):
    hf.zip_bomb_cnn(tmp / "bomb.pt", gigabytes=6)
    return ["extract", "--weights", "bomb.pt", PAGE]


def case_dev_zero_weights(tmp):
    (tmp / "zero.pt").symlink_to("/dev/zero")
    (tmp / "zero.json").write_text(json.dumps(hf.cnn_sidecar()))
    return ["extract", "--weights", "zero.pt", PAGE]


def case_dev_zero_sidecar(tmp):
    hf.crafted_cnn(tmp / "m.pt")
    (tmp / "m.json").unlink()
    (tmp / "m.json").symlink_to("/dev/zero")
    return ["extract", "--weights", "m.pt", PAGE]


def case_fifo_weights(tmp):
    hf.make_fifo(tmp / "f.pt")
    (tmp / "f.json").write_text(json.dumps(hf.cnn_sidecar()))
    return ["extract", "--weights", "f.pt", PAGE]


def case_fifo_image(tmp):
    hf.make_fifo(tmp / "page.png")
    return ["extract", "page.png"]


def case_dev_zero_text(tmp):
    return ["adapt", "--page", PAGE, "--text", "/dev/zero", "--out", "run", "--epochs", "1"]


def case_fifo_text(tmp):
    hf.make_fifo(tmp / "t.txt")
    return ["adapt", "--page", PAGE, "--text", "t.txt", "--out", "run", "--epochs", "1"]


def case_fifo_dataset(tmp):
    hf.make_fifo(tmp / "d.csv")
    return ["data", "preview", "--dataset", "mnist5k", "--path", "d.csv", "--out", "g.png"]


def case_text_mat(tmp):
    hf.mat_text(tmp / "d.mat")
    return ["data", "preview", "--dataset", "nist26", "--path", "d.mat", "--split", "valid", "--out", "g.png"]


def case_empty_mat(tmp):
    (tmp / "d.mat").write_bytes(b"")
    return ["data", "preview", "--dataset", "nist26", "--path", "d.mat", "--split", "valid", "--out", "g.png"]


def case_label_high(tmp):
    hf.mnist5k_csv(tmp / "m.csv", [40] * 10)
    return ["data", "preview", "--dataset", "mnist5k", "--path", "m.csv", "--out", "g.png"]


def case_label_negative(tmp):
    hf.mnist5k_csv(tmp / "m.csv", [-3] * 10)
    return ["data", "preview", "--dataset", "mnist5k", "--path", "m.csv", "--out", "g.png"]


def case_classes_list(tmp):
    hf.crafted_cnn(tmp / "m.pt", meta=hf.cnn_sidecar(classes=list(hf.CLASSES)))
    return ["extract", "--weights", "m.pt", PAGE]


def case_nan_tiff(tmp):
    hf.float_tiff(tmp / "nan.tif", float("nan"))
    return ["extract", "nan.tif"]


def case_inf_tiff(tmp):
    hf.float_tiff(tmp / "inf.tif", float("inf"))
    return ["extract", "inf.tif"]


TRAIN = ["train", "--model", "mlp", "--dataset", "synthetic", "--synthetic", "200", "--epochs", "1", "--out", "run"]


def case_synthetic_zero(tmp):
    return ["train", "--model", "mlp", "--dataset", "synthetic", "--synthetic", "0", "--epochs", "1", "--out", "run"]


def case_lr_nan(tmp):
    return [*TRAIN, "--lr", "nan"]


def case_lr_inf(tmp):
    return [*TRAIN, "--lr", "inf"]


def case_hidden_zero_cnn(tmp):
    return ["train", "--model", "cnn", "--dataset", "synthetic", "--synthetic", "200", "--epochs", "1", "--out", "run",
            "--hidden", "0"]


def case_seed_negative(tmp):
    return [*TRAIN, "--seed", "-1"]


def children(pid: int) -> list[int]:
    """The processes forked from ``pid`` that run the same command (its workers, not e.g. git)."""
    out = []
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return out
    for d in Path("/proc").iterdir():
        try:
            if (d.name.isdigit() and int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid
                    and (d / "cmdline").read_bytes() == cmd):
                out.append(int(d.name))
        except (OSError, ValueError):
            pass
    return out


def kill_parent_once_worker_runs(sig):
    """``after_start``: wait until ``ocr train`` has started its synthetic-data worker, then send
    ``sig`` to the parent alone (as a user's ``kill`` or the OOM killer would)."""
    def act(p):
        t0 = time.time()
        while p.poll() is None and time.time() - t0 < 15:
            if children(p.pid):
                time.sleep(0.5)
                SIGNALLED.append(time.time())
                os.kill(p.pid, sig)
                return
            time.sleep(0.05)
    return act


SIGNALLED = []  # when a case's signal was sent: its time counts from there


SLOW_TRAIN = ["train", "--model", "mlp", "--dataset", "synthetic", "--synthetic", "3000", "--epochs", "20",
              "--out", "run"]


def case_sigterm_worker(tmp):
    return SLOW_TRAIN, kill_parent_once_worker_runs(signal.SIGTERM), (-15, 143, 130)


def case_sigkill_worker(tmp):
    return SLOW_TRAIN, kill_parent_once_worker_runs(signal.SIGKILL), (-9,)


def case_two_trains_one_out(tmp):
    """A second ``ocr train`` into the folder a first one is still writing."""
    first = subprocess.Popen([sys.executable, "-m", "ocr_cli", *SLOW_TRAIN], cwd=tmp, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"},
                             start_new_session=True)
    t0 = time.time()
    while not (tmp / "run" / "mlp.npz").exists() and time.time() - t0 < 30:
        time.sleep(0.1)
    os.killpg(first.pid, signal.SIGSTOP)  # it holds the folder but writes nothing while the second one tries
    CLEANUP.append(lambda: os.killpg(first.pid, signal.SIGKILL))
    return [*TRAIN[:-2], "--out", "run"]


SAVE_AND_DIE = """
import os, signal
from ocr_cli.charset import CLASSES
from ocr_cli.recognizers.mlp import MLPRecognizer
MLPRecognizer(CLASSES, hidden=(8,), seed=0).save("m", {"note": "old"})
real = os.replace
def replace(a, b):
    real(a, b)
    if os.path.basename(b) == "m.npz":
        os.kill(os.getpid(), signal.SIGKILL)  # the machine dies right after the weights got their name
os.replace = replace
MLPRecognizer(CLASSES, hidden=(8,), seed=1).save("m", {"note": "new"})
"""
CHECK_PAIR = """
import sys, numpy as np
from ocr_cli.charset import CLASSES
from ocr_cli.cli import main
from ocr_cli.recognizers import load_recognizer
from ocr_cli.recognizers.mlp import MLPRecognizer
rec = load_recognizer("m.npz")
twin = MLPRecognizer(CLASSES, hidden=(8,), seed={"old": 0, "new": 1}[rec.info["note"]])
if not all(np.array_equal(a, b) for (a, _), (b, _) in zip(rec.get_layers(), twin.get_layers())):
    sys.exit("error: m.npz loaded, but its weights are not the ones its sidecar describes")
"""


def case_kill_during_save(tmp):
    """Kill a save right after its weights file is renamed into place; then load the model left behind."""
    r = run(["-c", SAVE_AND_DIE], tmp)
    assert r["rc"] == -9, r
    return ["-c", CHECK_PAIR], None, (0,)


def case_adapt_wrong_text(tmp):
    return ["adapt", "--page", PAGE, "--text", REPO / "images" / "sample_02.txt", "--out", "run", "--epochs", "1",
            "--synthetic", "200"]


CLEANUP = []

CASES = {
    "pt: tensor size/stride beyond its storage (extract)": case_stride,
    "pt: tensor size/stride beyond its storage (eval)": case_stride_eval,
    "pt: storage offset out of range": case_offset,
    "pt: corrupt deflate data": case_deflate,
    "pt: encrypted zip entry": case_encrypted,
    "pt: unsupported zip compression": case_compression,
    "pt: empty data.pkl": case_empty_pkl,
    "sidecar declares hidden [1500000]": case_hidden_bomb,
    "npz: .npy header declares 2e9 floats": case_npy_header_bomb,
    "pt: zip bomb (6 GB inflated)": case_zip_bomb,
    "--weights symlink to /dev/zero": case_dev_zero_weights,
    "sidecar symlink to /dev/zero": case_dev_zero_sidecar,
    "--weights is a FIFO": case_fifo_weights,
    "page image is a FIFO": case_fifo_image,
    "adapt --text /dev/zero": case_dev_zero_text,
    "adapt --text FIFO": case_fifo_text,
    "dataset --path FIFO": case_fifo_dataset,
    "dataset: text file as .mat": case_text_mat,
    "dataset: empty .mat": case_empty_mat,
    "dataset: label 40 (outside 0-35)": case_label_high,
    "dataset: label -3": case_label_negative,
    "sidecar classes as a JSON list": case_classes_list,
    "float TIFF with NaN": case_nan_tiff,
    "float TIFF with inf": case_inf_tiff,
    "train --synthetic 0": case_synthetic_zero,
    "train --lr nan": case_lr_nan,
    "train --lr inf": case_lr_inf,
    "train cnn --hidden 0": case_hidden_zero_cnn,
    "train --seed -1": case_seed_negative,
    "SIGTERM to ocr train (worker must die too)": case_sigterm_worker,
    "SIGKILL to ocr train (worker must die too)": case_sigkill_worker,
    "two ocr train into one --out": case_two_trains_one_out,
    "kill a save after its weights rename, then load": case_kill_during_save,
    "adapt with another page's text": case_adapt_wrong_text,
}
EXIT_2 = {"train --synthetic 0", "train --lr nan", "train --lr inf", "train cnn --hidden 0", "train --seed -1"}


def main():
    wanted = sys.argv[1:]
    rows = []
    print(f"{'case':<52} {'rc':>4} {'s':>6} {'MB':>6} {'intact':>6}  verdict  stderr (last line)")
    for name, setup in CASES.items():
        if wanted and not any(w in name for w in wanted):
            continue
        tmp = Path(tempfile.mkdtemp(prefix="hostile_"))
        try:
            argv, after_start, ok_rc = (lambda a: a if isinstance(a, tuple) else (a, None, None))(setup(tmp))
            ok_rc = ok_rc or ((2,) if name in EXIT_2 else (1, 2))
            before = snapshot(tmp)
            r = run(argv, tmp, after_start=after_start)
            after = snapshot(tmp)
            intact = all(after.get(k) == v for k, v in before.items())
            v = verdict(r, intact, ok_rc)
            last = (r["killed"] or (r["stderr"].strip().splitlines() or [""])[-1])[:90]
            extra = " (a process outlived it)" if r["leftover"] else ""
            print(f"{name:<52} {r['rc']:>4} {r['seconds']:6.2f} {r['peak_mb']:6.0f} {'yes' if intact else 'NO':>6}  "
                  f"{v:<7}  {last}{extra}", flush=True)
            rows.append({"case": name, **{k: r[k] for k in ("rc", "seconds", "peak_mb", "killed", "leftover")},
                         "intact": intact, "verdict": v, "last": last})
        finally:
            while CLEANUP:
                try:
                    CLEANUP.pop()()
                except OSError:
                    pass
            shutil.rmtree(tmp, ignore_errors=True)
    if os.environ.get("BENCH_JSON"):
        Path(os.environ["BENCH_JSON"]).write_text(json.dumps(rows, indent=1))
    failed = [r["case"] for r in rows if r["verdict"] != "ok"]
    print(f"\n{len(rows) - len(failed)}/{len(rows)} cases meet the target")


if __name__ == "__main__":
    main()
