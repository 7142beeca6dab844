"""Hostile input (issue 15): crafted files the tests make themselves, one class of attack per section.

Every reader must answer a hostile file with one :class:`OcrError` line (or a correct
result) before it allocates anything large, never block on a FIFO or read a device, and
never crash the interpreter. A bounded property-based fuzz of the image reader, the model
readers and the page pipeline closes the module.
"""
import gzip
import io
import json
import signal
import tracemalloc
import zipfile
from contextlib import contextmanager

import numpy as np
import pytest
import scipy.io
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import hostile_files as hf
from ocr_cli.fileio import reading
from ocr_cli.charset import CLASSES
from ocr_cli.data import idx as idx_module
from ocr_cli.data import LOADERS, load_dataset, nist
from ocr_cli.errors import OcrError
from ocr_cli.fileio.images import read_image
from ocr_cli.fileio.reading import read_json, read_npz, read_text
from ocr_cli.nn.model import load_model
from ocr_cli.recognizers import load_recognizer
from ocr_cli.recognizers.cnn_numpy import load_numpy_cnn
from ocr_cli.recognizers.mlp import MLPRecognizer
from ocr_cli.recognizers.ptfile import read_state_dict

pytest.importorskip("ocr_cli.recognizers.torch_nets")  # torch imported here, not inside a timed block


@contextmanager
def deadline(seconds: float = 5.0):
    """Fail (instead of hanging the suite) if the block takes longer than ``seconds``."""
    def expired(*_):
        raise TimeoutError(f"took longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@contextmanager
def peak_memory_below(mb: float):
    """Fail if the block's Python and NumPy allocations peak above ``mb`` megabytes."""
    tracemalloc.start()
    try:
        yield
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < mb * 2**20, f"peak allocation {peak / 2**20:.0f} MB"


def one_line_error(fn, *args, match=None, seconds=5.0, mb=100.0) -> str:
    """``fn(*args)`` must raise a one-line OcrError, quickly and without a large allocation."""
    with deadline(seconds), peak_memory_below(mb), pytest.raises(OcrError) as e:
        fn(*args)
    msg = str(e.value)
    assert "\n" not in msg and len(msg) < 300, msg
    if match:
        assert match in msg, msg
    return msg


def both_cnn_loaders(path, match=None):
    """The NumPy twin (page commands) and the torch loader (training) give the same error."""
    fast = one_line_error(load_numpy_cnn, path, match=match)
    slow = one_line_error(load_recognizer, path, match=match, mb=400)  # torch's own import and model
    assert fast == slow


# --- memory safety: a .pt that lies about its tensors -------------------------------------------------------

@pytest.mark.parametrize("override,match", [
    ({"head.2.weight": {"stride": (2**20, 1)}}, "reaches past its storage"),  # was SIGSEGV in as_strided
    ({"head.5.bias": {"offset": 10**6}}, "reaches past its storage"),  # read memory beyond the storage
    ({"features.1.num_batches_tracked": {"offset": 5}}, "reaches past its storage"),  # was IndexError
    ({"head.5.bias": {"numel": 10**9}}, "declares 1,000,000,000 values"),
    ({"head.5.bias": {"stride": (-1,)}}, "malformed tensor record"),
    ({"head.5.bias": {"size": (2**62, 2**62), "stride": (0, 0)}}, "more than a model may have"),
    ({"head.5.bias": {"size": (36,) * 9, "stride": (0,) * 9}}, "malformed tensor record"),
])
def test_tensor_records_outside_their_storage_are_refused(tmp_path, override, match):
    path = hf.crafted_cnn(tmp_path / "bad.pt", override=override)
    both_cnn_loaders(path, match)


def test_a_valid_crafted_cnn_loads(tmp_path):
    """The crafting helpers make files the loaders accept: the failures above are the crafted lies."""
    path = hf.crafted_cnn(tmp_path / "ok.pt")
    X = np.random.default_rng(0).random((3, 32, 32)).astype(np.float32)
    assert np.allclose(load_numpy_cnn(path).predict_proba(X), load_recognizer(path).predict_proba(X), atol=1e-5)


def test_pretrained_squeezenet_weights_go_through_the_same_checks(tmp_path, monkeypatch):
    from ocr_cli.recognizers.squeezenet import imagenet_state_dict

    monkeypatch.setattr(reading, "MAX_ZIP_BYTES", 8 << 20)
    one_line_error(imagenet_state_dict, hf.zip_bomb_cnn(tmp_path / "bomb.pth", gigabytes=1 / 64), match="would inflate")
    one_line_error(imagenet_state_dict, hf.make_fifo(tmp_path / "fifo.pth"), match="is a FIFO")
    path = hf.crafted_cnn(tmp_path / "stride.pth", override={"head.2.weight": {"stride": (2**20, 1)}})
    one_line_error(imagenet_state_dict, path, match="reaches past its storage")


@pytest.mark.parametrize("damage,match", [
    ("deflate", "is corrupt"),  # was zlib.error
    ("encrypted", "is encrypted"),  # was RuntimeError
    ("compression", "compression method 98"),  # was NotImplementedError
    ("empty_pkl", "not a readable torch state dict"),  # was click's "Aborted!" (EOFError)
    ("global", "unexpected object posix.system"),
    ("not_dict", "not a state dict of named tensors"),
    ("bad_storage", "unexpected storage reference"),
    ("no_pkl", "no data.pkl"),
    ("truncated", "not a zip archive"),
    ("big_endian", "big-endian"),
])
def test_damaged_or_hostile_archives_are_one_line_errors(tmp_path, damage, match):
    path = tmp_path / "bad.pt"
    tensors, storages = hf.cnn_state()
    pkls = {"empty_pkl": b"", "global": b"\x80\x02cposix\nsystem\nX\x04\x00\x00\x00trueR.",
            "not_dict": b"\x80\x02K\x07.", "bad_storage": hf.state_pickle(tensors).replace(b"storage", b"storag!", 1)}
    hf.crafted_cnn(path, pkl=pkls.get(damage), compression=zipfile.ZIP_DEFLATED if damage == "deflate" else 0)
    if damage == "deflate":
        hf.corrupt_deflate(path, "data/21")
    elif damage == "encrypted":
        hf.patch_zip_flags(path, "data/0", flag_bits=1)
    elif damage == "compression":
        hf.patch_zip_flags(path, "data/0", method=98)
    elif damage == "no_pkl":
        hf.write_torch_zip(path, [], storages).unlink()
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("archive/other.pkl", b"")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:-200])
    elif damage == "big_endian":
        hf.write_torch_zip(path, tensors, storages, byteorder="big")
    both_cnn_loaders(path, match)


def test_nan_weights_are_refused(tmp_path):
    tensors, storages = hf.cnn_state()
    storages["19"] = np.full(36 * 128, np.nan, np.float32).tobytes()  # head.5.weight
    path = hf.write_model(tmp_path / "nan.pt", hf.cnn_sidecar(), lambda p: hf.write_torch_zip(p, tensors, storages))
    both_cnn_loaders(path, "NaN or infinite")
    rec = MLPRecognizer(CLASSES, hidden=(8,))
    rec.model.params["layer0.W"][0, 0] = np.inf
    one_line_error(load_recognizer, rec.save(tmp_path / "inf"), match="not finite")


# --- allocation bombs ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("model,arch,match", [
    ("mlp", {"hidden": [1_500_000], "activation": "sigmoid"}, "from 1 to 100,000"),  # was 17.6 GB
    ("mlp", {"hidden": [90_000, 90_000], "activation": "sigmoid"}, "more than the 20,000,000"),
    ("fc", {"hidden": [30_000], "activation": "sigmoid"}, "more than the 20,000,000"),
    ("cnn", {"channels": [32, 64, 90_000], "hidden": 128, "dropout": 0.3}, "more than the 20,000,000"),
    ("cnn", {"channels": [32, 64, 128], "hidden": 0, "dropout": 0.3}, "from 1 to"),
    ("cnn", {"channels": [32, 64], "hidden": 128, "dropout": 0.3}, "must be 3 whole numbers"),
    ("cnn", {"channels": [32, 64, 128], "hidden": 128, "dropout": 7}, "dropout must be in [0, 1)"),
    ("cnn", {"channels": [32, 64, 128], "hidden": True, "dropout": 0.3}, "whole numbers"),
    ("mlp", {"hidden": ["64"], "activation": "sigmoid"}, "whole numbers"),
    ("mlp", {"hidden": [64], "activation": "sigmoid", "evil": 1}, "not a mlp architecture"),
    ("squeezenet", {"input_size": 100_000}, "input size must be"),
])
@pytest.mark.parametrize("inside", [True, False], ids=["inside", "beside"])
def test_sidecars_cannot_declare_huge_or_nonsense_networks(tmp_path, model, arch, match, inside):
    meta = {"model": model, "classes": CLASSES, "arch": arch}
    path = hf.sidecar_only(tmp_path / f"m{'.npz' if model == 'mlp' else '.pt'}", meta, inside)
    one_line_error(load_recognizer, path, match=match, mb=400)
    if model == "cnn":
        one_line_error(load_numpy_cnn, path, match=match)


@pytest.mark.parametrize("meta,match", [
    ({"model": "cnn", "classes": list(CLASSES)}, "class list must be a string"),  # was AttributeError
    ({"model": "cnn", "classes": "AAB"}, "distinct characters"),
    ({"model": "cnn", "classes": ""}, "class list"),
    ({"model": "cnn", "classes": CLASSES, "arch": [1, 2]}, "'arch' must be an object"),
    ({"model": ["cnn"], "classes": CLASSES}, "not an ocr-cli model sidecar"),
    ({"model": "evil", "classes": CLASSES}, "unknown model"),
    ([1, 2, 3], "not an ocr-cli model sidecar"),
])
@pytest.mark.parametrize("inside", [True, False], ids=["inside", "beside"])
def test_malformed_sidecars_are_one_line_errors(tmp_path, meta, match, inside):
    path = hf.crafted_cnn(tmp_path / "m.pt", meta=meta, inside=inside)
    one_line_error(load_numpy_cnn, path, match=match)
    one_line_error(load_recognizer, path, match=match)


@pytest.mark.parametrize("text,match", [
    ("[" * 100_000 + "]" * 100_000, "not valid JSON"),  # RecursionError inside json
    ('{"model": ' + "9" * 10_000 + "}", "not valid JSON"),  # too many digits for int()
    (b"\xff\xfe{}", "not UTF-8"),
])
def test_json_bombs_and_bad_encodings(tmp_path, text, match):
    f = tmp_path / "m.json"
    f.write_bytes(text if isinstance(text, bytes) else text.encode())
    one_line_error(read_json, f, match=match)


def test_zip_bombs_are_refused_from_the_directory(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ZIP_BYTES", 8 << 20)  # the same check as at 256 MB, with a small bomb
    bomb = hf.zip_bomb_cnn(tmp_path / "bomb.pt", gigabytes=1 / 64)  # 16 MB of zeros in ~16 KB
    assert bomb.stat().st_size < 2 << 20  # (1 MB of it the other, random, tensors)
    both_cnn_loaders(bomb, "would inflate to 17 MB")


def test_a_member_that_inflates_past_its_declared_size_is_cut_off(tmp_path):
    """zipfile stops at the declared size, so the declared sizes the bound checks are what is read."""
    path = hf.crafted_cnn(tmp_path / "m.pt", compression=zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("archive/data/21")
    size = info.file_size.to_bytes(4, "little")
    for pos in [i for i in range(len(data)) if data[i:i + 4] == size]:
        data[pos:pos + 4] = (info.file_size // 2).to_bytes(4, "little")  # claim half of what is there
    path.write_bytes(bytes(data))
    both_cnn_loaders(path)


def test_npy_headers_must_match_their_data(tmp_path):
    path = hf.npz_with_header(tmp_path / "m.npz", "layer0.W", (1024, 2_000_000), meta={"format": "ocr_cli.nn/1"})
    one_line_error(read_npz, path, match="declares shape (1024, 2000000)")
    path = hf.npz_with_header(tmp_path / "o.npz", "x", (3,), b"\0" * 12, meta={"format": "ocr_cli.nn/1"})
    with zipfile.ZipFile(path, "a") as zf:  # an object array would need pickle
        buf = io.BytesIO()
        np.lib.format.write_array_header_1_0(buf, {"descr": "|O", "fortran_order": False, "shape": (1,)})
        zf.writestr("obj.npy", buf.getvalue() + b"\x00" * 8)
    one_line_error(read_npz, path, match="holds object data")


def test_npz_metadata_cannot_declare_a_huge_network(tmp_path):
    meta = {"format": "ocr_cli.nn/1", "sizes": [1024, 10**6, 1024], "hidden": "relu", "output": "sigmoid"}
    one_line_error(load_model, hf.npz_with_header(tmp_path / "m.npz", "layer0.W", (1,), b"\0" * 4, meta=meta),
                   match="more than 20,000,000 parameters")
    meta.update(sizes=[1024, 8, 1024], dtype="object")
    one_line_error(load_model, hf.npz_with_header(tmp_path / "d.npz", "layer0.W", (1,), b"\0" * 4, meta=meta),
                   match="not float32 or float64")


def test_gzip_bombs_in_idx_and_csv_files_are_cut_off(tmp_path, monkeypatch):
    monkeypatch.setattr(idx_module, "MAX_RAW_BYTES", 4 << 20)
    bomb = tmp_path / "train-images-idx3-ubyte.gz"
    with gzip.open(bomb, "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + np.array([10_000, 28, 28], ">u4").tobytes() + bytes(10_000 * 784))
    one_line_error(idx_module.read_idx, bomb, match="inflates to more than the 4 MB")
    csv = tmp_path / "m.csv.gz"
    with gzip.open(csv, "wb") as f:
        f.write(b"0," * 785 * 5000)
    one_line_error(load_dataset, f"mnist5k:{csv}", match="inflates to more than")


def test_idx_headers_must_match_their_data(tmp_path):
    f = tmp_path / "x-idx3-ubyte"
    f.write_bytes(bytes([0, 0, 8, 3]) + np.array([2**32 - 1] * 3, ">u4").tobytes() + bytes(100))
    one_line_error(idx_module.read_idx, f, match="not what the file holds")
    f.write_bytes(bytes([0, 0, 8, 200]) + bytes(100))
    one_line_error(idx_module.read_idx, f, match="not an IDX file")


def test_mat_zip_bombs_are_refused_before_loadmat(tmp_path, monkeypatch):
    monkeypatch.setattr(nist, "MAX_MAT_BYTES", 8 << 20)
    f = tmp_path / "nist26_valid.mat"
    scipy.io.savemat(f, {"valid_data": np.zeros((3000, 1024)), "valid_labels": np.eye(26)[np.zeros(3000, int)]},
                     do_compression=True)
    assert f.stat().st_size < 1 << 20
    one_line_error(load_dataset, f"nist26:{f}", "valid", match="inflate to more than 8 MB")


# --- special files: FIFOs and devices never block or stream forever ------------------------------------------

def _fifo_cases(tmp_path):
    fifo = hf.make_fifo(tmp_path / "fifo")
    model = hf.crafted_cnn(tmp_path / "m.pt")
    (tmp_path / "f.json").write_text(json.dumps(hf.cnn_sidecar()))
    (tmp_path / "f.pt").symlink_to(fifo)
    (tmp_path / "z.json").write_text(json.dumps(hf.cnn_sidecar()))
    (tmp_path / "z.pt").symlink_to("/dev/zero")
    (tmp_path / "s.pt").write_bytes(model.read_bytes())
    (tmp_path / "s.json").symlink_to(fifo)
    return fifo, {
        "weights FIFO": (load_numpy_cnn, tmp_path / "f.pt"),
        "weights /dev/zero": (load_numpy_cnn, tmp_path / "z.pt"),
        "torch weights /dev/zero": (load_recognizer, tmp_path / "z.pt"),
        "sidecar FIFO": (load_recognizer, tmp_path / "s.pt"),
        "image FIFO": (read_image, fifo),
        "image /dev/zero": (read_image, "/dev/zero"),
        "text FIFO": (read_text, fifo),
        "text /dev/zero": (read_text, "/dev/zero"),
        "json directory": (read_json, tmp_path),
        "nist FIFO": (lambda p: load_dataset(f"nist26:{p}", "valid"), fifo),
        "mnist5k FIFO": (lambda p: load_dataset(f"mnist5k:{p}"), fifo),
        "idx /dev/zero": (idx_module.read_idx, "/dev/zero"),
    }


def test_fifos_and_devices_are_refused_at_once(tmp_path):
    fifo, cases = _fifo_cases(tmp_path)
    for what, (fn, arg) in cases.items():
        msg = one_line_error(fn, arg, seconds=5, mb=400 if fn is load_recognizer else 100)
        assert "FIFO" in msg or "device" in msg or "directory" in msg, (what, msg)


def test_folder_and_pages_datasets_refuse_a_fifo_inside(tmp_path):
    (tmp_path / "chars" / "A").mkdir(parents=True)
    Image.new("L", (20, 20), 255).save(tmp_path / "chars" / "A" / "ok.png")
    hf.make_fifo(tmp_path / "chars" / "A" / "stuck.png")
    one_line_error(load_dataset, f"folder:{tmp_path / 'chars'}", match="stuck.png: is a FIFO")
    pages = tmp_path / "pages"
    pages.mkdir()
    Image.new("L", (60, 40), 255).save(pages / "p.png")
    (pages / "p.txt").symlink_to("/dev/zero")
    # a device is not "a .txt beside it": the page is skipped (here: none left), not read forever
    one_line_error(load_dataset, f"pages:{pages}", match="no page image with a .txt")


def test_word_lists_and_ground_truths_are_read_bounded_and_never_from_a_fifo(tmp_path):
    from ocr_cli.page.lexicon import Lexicon

    fifo = hf.make_fifo(tmp_path / "words.txt")
    one_line_error(Lexicon.from_file, fifo, CLASSES, match="is a FIFO")
    one_line_error(Lexicon.from_file, "/dev/zero", CLASSES, match="is a device")
    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        f.truncate(65 << 20)  # sparse: 65 MB of nothing, no disk used
    one_line_error(Lexicon.from_file, big, CLASSES, match="larger than the 64 MB")


# --- bad values inside well-formed files ---------------------------------------------------------------------

@pytest.mark.parametrize("content", [b"", b"this is not a MATLAB file\n" * 20, b"MATLAB 5.0 MAT-file" + b"\0" * 200])
def test_broken_mat_files_are_one_line_errors(tmp_path, content):
    f = tmp_path / "d.mat"
    f.write_bytes(content)
    one_line_error(load_dataset, f"nist26:{f}", "valid", match="d.mat")


@pytest.mark.parametrize("labels,match", [
    (np.zeros((2, 26)), "not one-hot"),  # an all-zero row read as "A"
    (np.full((2, 26), 0.5), "not one-hot"),
])
def test_nist_labels_must_be_one_hot(tmp_path, labels, match):
    f = tmp_path / "d.mat"
    scipy.io.savemat(f, {"valid_data": np.ones((2, 1024)), "valid_labels": labels})
    one_line_error(load_dataset, f"nist26:{f}", "valid", match=match)
    data = np.ones((2, 1024))
    data[0, 0] = np.nan
    scipy.io.savemat(f, {"valid_data": data, "valid_labels": np.eye(26)[[0, 1]]})
    one_line_error(load_dataset, f"nist26:{f}", "valid", match="finite")


@pytest.mark.parametrize("label", [40, -3, 2.5, np.nan])
def test_mnist5k_labels_outside_the_digits_are_errors(tmp_path, label):
    """-3 used to wrap silently to 'X' (index 23), 40 to an IndexError."""
    f = hf.mnist5k_csv(tmp_path / "m.csv", [1, label, 2])
    one_line_error(load_dataset, f"mnist5k:{f}", match="labels must be the digits 0-9")


BAD_LABELS = [[36], [-1], [0.5]]


def bad_label_loader(split, path, data_dir, n, seed):
    y = BAD_LABELS[int(path)]
    return np.zeros((len(y), 32, 32), np.float32), np.array(y)


@pytest.mark.parametrize("which", range(len(BAD_LABELS)))
def test_any_loader_giving_labels_outside_the_classes_is_an_error(monkeypatch, which):
    monkeypatch.setitem(LOADERS, "hostile-test", "test_hostile:bad_label_loader")
    one_line_error(load_dataset, f"hostile-test:{which}", match="outside the 36 classes")


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_float_tiffs_with_nan_or_inf_are_errors(tmp_path, value):
    path = hf.float_tiff(tmp_path / "x.tif", value)
    one_line_error(read_image, path, match="NaN or infinite")


def test_a_plain_float_tiff_still_reads(tmp_path):
    a = read_image(hf.float_tiff(tmp_path / "ok.tif", 0.0))
    assert a.dtype == np.float32 and a.min() == 0.0 and a.max() == 1.0


# --- options: finite and in range, exit 2 ------------------------------------------------------------------

TRAIN = ["train", "--model", "mlp", "--dataset", "synthetic", "--synthetic", "100", "--epochs", "1"]


@pytest.mark.parametrize("args", [
    [*TRAIN, "--lr", "nan"], [*TRAIN, "--lr", "inf"], [*TRAIN, "--lr", "0"], [*TRAIN, "--lr", "-1"],
    [*TRAIN, "--seed", "-1"], [*TRAIN, "--seed", str(2**32)], [*TRAIN, "--synthetic", "-1"],
    [*TRAIN, "--synthetic", str(10**7)], [*TRAIN, "--repeat-real", "0"], [*TRAIN, "--repeat-real", str(10**6)],
    [*TRAIN, "--batch-size", "0"], [*TRAIN, "--batch-size", str(10**6)], [*TRAIN, "--threads", "0"],
    ["train", "--model", "cnn", "--dataset", "synthetic", "--hidden", "0"],  # was accepted
    ["train", "--model", "mlp", "--dataset", "synthetic", "--hidden", "64,-3"],
    ["train", "--model", "mlp", "--dataset", "synthetic", "--hidden", str(10**6)],
    ["train", "--model", "cnn", "--dataset", "synthetic", "--label-smoothing", "nan"],
    ["train", "--model", "mlp", "--dataset", "synthetic*100000"],
    ["train", "--model", "mlp", "--dataset", "nist26*0"],
    ["finetune", "--from", "cnn", "--dataset", "synthetic", "--lr", "nan"],
    ["adapt", "--page", "p.png", "--text", "t.txt", "--out", "o", "--lr", "inf"],
    ["adapt", "--page", "p.png", "--text", "t.txt", "--out", "o", "--synthetic", str(10**7)],
    ["compress", "train", "--method", "autoencoder", "--dataset", "synthetic", "--lr", "nan"],
    ["gradcheck", "--tol", "nan"], ["gradcheck", "--tol", "inf"], ["gradcheck", "--seed", "-2"],
    ["data", "preview", "--dataset", "synthetic", "--out", "g.png", "--n", str(10**6)],
    ["data", "preview", "--dataset", "synthetic", "--out", "g.png", "--seed", "-1"],
])
def test_numeric_options_out_of_range_are_usage_errors(tmp_path, monkeypatch, args):
    from click.testing import CliRunner

    from ocr_cli.cli import cli

    monkeypatch.chdir(tmp_path)
    with deadline(20):
        result = CliRunner().invoke(cli, args)
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert not (tmp_path / "runs").exists() and not (tmp_path / "g.png").exists()


def test_an_epoch_without_samples_is_a_usage_error(tmp_path):
    """--synthetic 0 with synthetic the only source used to divide by zero."""
    from click.testing import CliRunner

    from ocr_cli.cli import cli

    result = CliRunner().invoke(cli, ["train", "--model", "mlp", "--dataset", "synthetic", "--synthetic", "0",
                                      "--out", str(tmp_path / "run")])
    assert result.exit_code == 2 and "no training samples" in result.output, result.output


def test_a_diverging_run_stops_with_an_error_and_keeps_its_last_finite_model(tmp_path, monkeypatch):
    from ocr_cli.data.mix import DataMix
    from ocr_cli.training import TrainConfig, loop

    real = loop.make_step

    def poisoned(rec, cfg, **kw):
        step = real(rec, cfg, **kw)
        calls = [0]

        def run(X, y):
            calls[0] += 1
            loss, correct = step(X, y)
            return (float("nan") if calls[0] > 4 else loss), correct
        run.set_lr = step.set_lr
        return run

    monkeypatch.setattr(loop, "make_step", poisoned)
    mix = DataMix.load("synthetic", synthetic_n=128)
    cfg = TrainConfig(model="mlp", out=tmp_path / "run", epochs=3, batch_size=32, progress=False)
    with pytest.raises(OcrError, match="training diverged in epoch 2"):
        loop.train(cfg, mix, log=lambda *a: None)
    rec = load_recognizer(tmp_path / "run" / "mlp.npz")  # epoch 1's model: finite, loads
    assert rec.info["metrics"]["epoch"] == 1


# --- a model and its sidecar are one unit ---------------------------------------------------------------------

SAVE_TWICE = """
import os, signal, sys
from ocr_cli.charset import CLASSES
from ocr_cli.recognizers import base
from ocr_cli.recognizers.mlp import MLPRecognizer

MLPRecognizer(CLASSES, hidden=(8,), seed=0).save("m", {"note": "old"})
when, target = sys.argv[1], sys.argv[2]
real = os.replace

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def replace(a, b):  # the rename that gives the file its name: kill just before or just after it
    if when == "before" and os.path.basename(b) == target:
        die()
    real(a, b)
    if when == "after" and os.path.basename(b) == target:
        die()

os.replace = replace
if when == "embedding":
    base.embed_sidecar = lambda *a: die()
MLPRecognizer(CLASSES, hidden=(8,), seed=1).save("m", {"note": "new"})
"""


@pytest.mark.parametrize("when,target", [("embedding", "-"), ("before", "m.npz"), ("after", "m.npz"),
                                         ("before", "m.json"), ("after", "m.json")])
def test_a_save_killed_at_any_point_leaves_a_model_that_loads_with_its_own_sidecar(tmp_path, when, target):
    """Weights and sidecar used to be two writes: a kill between them left new weights under the
    old sidecar, and at later saves the two could silently come from different epochs."""
    import subprocess
    import sys
    import warnings

    r = subprocess.run([sys.executable, "-c", SAVE_TWICE, when, target], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == -9, r.stderr
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rec = load_recognizer(tmp_path / "m.npz")
    seed = {"old": 0, "new": 1}[rec.info["note"]]
    twin = MLPRecognizer(CLASSES, hidden=(8,), seed=seed)
    assert all(np.array_equal(a, b) for (a, _), (b, _) in zip(rec.get_layers(), twin.get_layers())), \
        "the weights are not the ones its sidecar describes"
    stale = (when, target) in (("after", "m.npz"), ("before", "m.json"))  # the new model, its copy not yet rewritten
    assert rec.info["note"] == ("new" if when == "after" or target == "m.json" else "old")
    assert any("does not describe" in str(w.message) for w in caught) == stale
    if stale:  # asked for by the stale copy: a clear error, not the other model's weights
        one_line_error(load_recognizer, tmp_path / "m.json", match="does not describe m.npz")


def test_cli_reads_with_a_stale_copy_saying_so_and_refuses_the_copy(tmp_path):
    import shutil

    from click.testing import CliRunner

    from ocr_cli.cli import cli
    from ocr_cli.recognizers import default_model_path

    shipped = default_model_path("cnn")
    shutil.copy(shipped.with_suffix(".pt"), tmp_path / "m.pt")
    meta = json.loads(shipped.read_text())
    (tmp_path / "m.json").write_text(json.dumps({**meta, "seed": 5}))  # another run's description
    page = __import__("pathlib").Path(__file__).parents[1] / "images" / "sample_01.png"
    r = CliRunner().invoke(cli, ["extract", "--weights", str(tmp_path / "m.pt"), str(page)])
    assert r.exit_code == 0 and "THE QUICK BROWN FOX" in r.output, r.output
    assert [line for line in r.output.splitlines() if line.startswith("warning:")][0].startswith(
        f"warning: {tmp_path / 'm.json'} does not describe m.pt")
    r = CliRunner().invoke(cli, ["extract", "--weights", str(tmp_path / "m.json"), str(page)])
    assert r.exit_code == 1 and "give" in r.output and "error:" in r.output, r.output


def test_the_shipped_models_carry_their_sidecar_and_provenance():
    from ocr_cli.recognizers import default_model_path
    from ocr_cli.recognizers.base import embedded_sidecar

    for name in ("cnn", "mlp"):
        copy = default_model_path(name)
        weights = next(p for p in (copy.with_suffix(".pt"), copy.with_suffix(".npz")) if p.exists())
        inside = embedded_sidecar(weights)
        assert inside == json.loads(copy.read_text())
        assert inside["command"].startswith("ocr train") and inside["metrics"]["heldout_acc"]


# --- results folders: one run each; outputs never replace inputs; figures never beside another model --------

HOLD = """
import sys, time
from ocr_cli.fileio.writing import locked_folder
with locked_folder(sys.argv[1]):
    print("held", flush=True)
    time.sleep(60)
"""


def _holder(folder):
    import subprocess
    import sys

    p = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "held"
    return p


def test_a_second_run_into_a_busy_results_folder_is_refused(tmp_path):
    from click.testing import CliRunner

    from ocr_cli.cli import cli

    run = tmp_path / "run"
    holder = _holder(run)
    try:
        with deadline(10):
            result = CliRunner().invoke(cli, [*TRAIN, "--out", str(run)])
        assert result.exit_code == 1 and f"in use by another run (pid {holder.pid})" in result.output, result.output
        assert sorted(p.name for p in run.iterdir()) == [".ocr-run.lock"]  # nothing of the refused run
    finally:
        holder.kill()
        holder.wait()
    # the holder was killed (no clean-up ran): its lock went with it, the folder is free
    from ocr_cli.fileio.writing import locked_folder

    with locked_folder(run):
        pass
    assert not (run / ".ocr-run.lock").exists()


def test_outputs_that_would_replace_an_input_are_refused(tmp_path):
    from click.testing import CliRunner

    from ocr_cli.cli import cli

    start = MLPRecognizer(CLASSES, hidden=(8,)).save(tmp_path / "run" / "mlp")
    before = start.read_bytes()
    result = CliRunner().invoke(cli, [*TRAIN, "--init-from", str(start), "--hidden", "8", "--out", str(tmp_path / "run")])
    assert result.exit_code == 1 and "is an input" in result.output, result.output
    assert start.read_bytes() == before
    page = tmp_path / "me" / "curves.png"  # a page where the run's figure would go
    page.parent.mkdir()
    Image.new("L", (50, 30), 255).save(page)
    (tmp_path / "t.txt").write_text("ABC\n")
    result = CliRunner().invoke(cli, ["adapt", "--page", str(page), "--text", str(tmp_path / "t.txt"),
                                      "--out", str(page.parent)])
    assert result.exit_code == 1 and "is an input" in result.output, result.output


def test_a_previous_runs_figures_go_before_the_new_model_is_written(tmp_path, monkeypatch):
    """A run killed after its first save (here: finish never runs) leaves no old figures beside its model."""
    from ocr_cli.data.mix import DataMix
    from ocr_cli.training import TrainConfig, loop, report

    out = tmp_path / "run"
    out.mkdir()
    for name in report.FIGURES:
        (out / name).write_bytes(b"figure of the previous run's model")
    monkeypatch.setattr(report, "finish", lambda result, *a: result)
    cfg = TrainConfig(model="mlp", out=out, epochs=1, batch_size=32, progress=False)
    loop.train(cfg, DataMix.load("synthetic", synthetic_n=64), log=lambda *a: None)
    assert sorted(p.name for p in out.iterdir()) == ["mlp.json", "mlp.npz"]


# --- workers die with their parent; SIGTERM cleans up ---------------------------------------------------------

POOL = """
import sys, time
from ocr_cli.data.mix import DataMix
from ocr_cli import workers
if sys.argv[1] == "mix":
    pool = DataMix([], [])._pool()
else:
    pool = workers._pool(1, (None, ()))
import os
print(pool.submit(os.getpid).result(), flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("which", ["mix", "batch"])
def test_workers_die_with_a_killed_parent(which):
    import os
    import subprocess
    import sys
    import time

    p = subprocess.Popen([sys.executable, "-c", POOL, which], stdout=subprocess.PIPE, text=True)
    worker = int(p.stdout.readline())
    p.kill()  # SIGKILL: no clean-up can run in the parent
    p.wait()
    t0 = time.time()
    while _running(worker) and time.time() - t0 < 5:
        time.sleep(0.05)
    assert not _running(worker), "the worker outlived its killed parent"


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.slow
def test_sigterm_to_ocr_train_keeps_the_model_and_leaves_nothing_running(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    p = subprocess.Popen([sys.executable, "-m", "ocr_cli", "train", "--model", "mlp", "--dataset", "synthetic",
                          "--synthetic", "1000", "--epochs", "50", "--out", "run"], cwd=tmp_path, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    t0 = time.time()
    while not (tmp_path / "run" / "mlp.json").exists() and time.time() - t0 < 60:
        time.sleep(0.1)
    workers = []
    while not workers and time.time() - t0 < 60:  # on a busy machine the data worker may start late
        workers = [int(d.name) for d in __import__("pathlib").Path("/proc").iterdir() if d.name.isdigit()
                   and _parent_of(int(d.name)) == p.pid]
        time.sleep(0.1)
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=60) == 130
    assert "interrupted: keeping the best model so far (no figures drawn)" in p.stdout.read()
    time.sleep(0.5)
    assert workers and not any(_running(w) for w in workers)
    files = sorted(f.name for f in (tmp_path / "run").iterdir())
    assert files == ["mlp.json", "mlp.npz"], files  # no temporary file, no lock (and no figures: asked to end now)
    load_recognizer(tmp_path / "run" / "mlp.npz")


def _parent_of(pid: int):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ValueError):
        return None


# --- ocr adapt: the text must plausibly be what the page shows -----------------------------------------------

ADAPT_LINES = ["ABC DEF", "XYZ 42", "HELLO"]


def test_adapt_refuses_another_pages_text_and_names_the_lines(tmp_path):
    """Lines matched by character count alone trained on wrong labels."""
    from ocr_cli.data.synthetic_pages import render_page
    from ocr_cli.training.adapt import writer_samples

    page = render_page(ADAPT_LINES, seed=3, char_h=32)
    shipped = load_numpy_cnn(__import__("ocr_cli.recognizers", fromlist=["x"]).default_model_path("cnn"))
    X, y, reports = writer_samples([(page, "KLM NOP\n913 QR\nWORLD")], log=lambda *a: None, judges=[shipped])
    assert len(y) == 0 and [d["text"] for d in reports[0]["implausible"]] == ["KLMNOP", "913QR", "WORLD"]
    X, y, reports = writer_samples([(page, "ABC DEF\n913 QR\nHELLO")], log=lambda *a: None, judges=[shipped])
    assert "".join(CLASSES[i] for i in y) == "ABCDEFHELLO"
    assert reports[0]["implausible"][0]["text"] == "913QR" and reports[0]["lines_used"] == 2


def test_cli_adapt_with_the_wrong_text_is_one_error_line(tmp_path):
    from click.testing import CliRunner

    from ocr_cli.cli import cli
    from ocr_cli.data.synthetic_pages import render_page

    Image.fromarray((render_page(ADAPT_LINES, seed=3, char_h=32) * 255).astype(np.uint8)).save(tmp_path / "p.png")
    (tmp_path / "t.txt").write_text("KLM NOP\n913 QR\nWORLD\n")
    result = CliRunner().invoke(cli, ["adapt", "--page", str(tmp_path / "p.png"), "--text", str(tmp_path / "t.txt"),
                                      "--out", str(tmp_path / "me"), "--epochs", "1"])
    assert result.exit_code == 1, result.output
    assert "error: the text does not match the page" in result.output and "'KLMNOP' reads as" in result.output
    assert not (tmp_path / "me" / "cnn.pt").exists()


# --- bounded fuzz ---------------------------------------------------------------------------------------------

def fuzz(n: int):
    """Hypothesis settings for a bounded, reproducible fuzz run of ``n`` examples (seconds, in ``make test``)."""
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _image_bytes():
    a = np.random.default_rng(0).integers(0, 256, (24, 32), np.uint8)
    out = {}
    for fmt, mode in (("PNG", "L"), ("JPEG", "RGB"), ("TIFF", "F"), ("BMP", "RGB"), ("GIF", "P"), ("WEBP", "RGB")):
        buf = io.BytesIO()
        Image.fromarray(a).convert(mode).save(buf, fmt)
        out[fmt] = buf.getvalue()
    return out


IMAGES = _image_bytes()


def mutated(blob: bytes):
    """Strategy: ``blob`` with a few bytes overwritten, inserted or cut, or truncated."""
    edits = st.lists(st.tuples(st.integers(0, len(blob) - 1), st.integers(0, 255), st.sampled_from("set ins del".split())),
                     max_size=8)

    def apply(args):
        cut, ops = args
        b = bytearray(blob[:cut])
        for pos, val, op in ops:
            pos %= max(len(b), 1)
            if op == "set" and b:
                b[pos] = val
            elif op == "ins":
                b[pos:pos] = bytes([val]) * (val % 5 + 1)
            elif b:
                del b[pos]
        return bytes(b)

    return st.tuples(st.integers(0, len(blob)), edits).map(apply)


@fuzz(250)
@given(st.sampled_from(sorted(IMAGES)).flatmap(lambda fmt: mutated(IMAGES[fmt])))
def test_fuzz_image_reader(tmp_path, blob):
    f = tmp_path / "fuzz.img"
    f.write_bytes(blob)
    with deadline(5):
        try:
            a = read_image(f)
        except OcrError as e:
            assert "\n" not in str(e)
            return
    assert a.ndim == 2 and a.dtype == np.float32 and np.isfinite(a).all() and 0 <= a.min() and a.max() <= 1


def _model_bytes():
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        pt = hf.crafted_cnn(Path(d) / "c.pt", compression=zipfile.ZIP_DEFLATED)
        npz = MLPRecognizer(CLASSES, hidden=(4,)).save(Path(d) / "m")
        return {"pt": (pt.read_bytes(), pt.with_suffix(".json").read_text()),
                "npz": (npz.read_bytes(), npz.with_suffix(".json").read_text())}


MODELS = _model_bytes()


@fuzz(250)
@given(st.sampled_from(["pt", "npz"]).flatmap(lambda k: st.tuples(st.just(k), mutated(MODELS[k][0]))))
def test_fuzz_model_readers(tmp_path, kind_blob):
    kind, blob = kind_blob
    path = tmp_path / f"m.{kind}"
    path.write_bytes(blob)
    path.with_suffix(".json").write_text(MODELS[kind][1])
    with deadline(5):
        for read in ((read_state_dict, load_numpy_cnn) if kind == "pt" else (read_npz, load_recognizer)):
            try:
                read(path)
            except OcrError as e:
                assert "\n" not in str(e)


@fuzz(150)
@given(st.integers(0, len(hf.CNN_SHAPES) - 1), st.integers(0, 2**40),
       st.lists(st.integers(0, 2**33), max_size=5), st.lists(st.integers(0, 2**33), max_size=5), st.integers(0, 2**40))
def test_fuzz_tensor_records(tmp_path, which, offset, size, stride, numel):
    """Any lie about one tensor's offset, size, stride or element count: a clean error or a correct load, never a crash."""
    name = hf.CNN_SHAPES[which][0]
    path = hf.crafted_cnn(tmp_path / "m.pt", override={name: {"offset": offset % (1 << (offset % 41)), "numel": numel,
                                                              "size": tuple(size), "stride": tuple(stride)}})
    with deadline(5), peak_memory_below(200):
        try:
            load_numpy_cnn(path)
        except OcrError as e:
            assert "\n" not in str(e)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=12)


@fuzz(120)
@given(st.fixed_dictionaries({"model": st.sampled_from(["cnn", "mlp", "fc", "squeezenet"]) | JSON,
                              "classes": st.just(CLASSES) | st.text(max_size=40) | JSON},
                             optional={"arch": st.dictionaries(st.sampled_from(["hidden", "channels", "dropout",
                                                                                "activation", "input_size", "x"]),
                                                               JSON, max_size=4) | JSON}))
def test_fuzz_sidecars(tmp_path, meta):
    path = hf.crafted_cnn(tmp_path / "m.pt")
    path.with_suffix(".json").write_text(json.dumps(meta))
    with deadline(5), peak_memory_below(100):
        try:
            load_numpy_cnn(path)
        except OcrError as e:
            assert "\n" not in str(e)


@fuzz(150)
@given(st.integers(8, 200), st.integers(8, 120), st.integers(0, 2**32 - 1), st.sampled_from(["noise", "blocks", "flat"]))
def test_fuzz_page_pipeline(h, w, seed, kind):
    """Any small image is read (a Page) or refused with an OcrError, in bounded time."""
    from ocr_cli.page import read_page
    from ocr_cli.recognizers import default_model_path

    rng = np.random.default_rng(seed)
    if kind == "noise":
        img = rng.random((h, w)).astype(np.float32)
    elif kind == "blocks":
        img = np.ones((h, w), np.float32)
        for _ in range(rng.integers(0, 6)):
            y, x = rng.integers(0, h), rng.integers(0, w)
            img[y:y + rng.integers(1, 30), x:x + rng.integers(1, 30)] = rng.random()
    else:
        img = np.full((h, w), rng.random(), np.float32)
    rec = _cnn(default_model_path("cnn"))
    with deadline(10):
        try:
            page = read_page(img, rec)
        except OcrError:
            return
    assert isinstance(page.text, str)


_CNN = {}


def _cnn(path):
    if path not in _CNN:
        _CNN[path] = load_numpy_cnn(path)
    return _CNN[path]
