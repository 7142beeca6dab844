"""The synthetic engine: canonical, deterministic, balanced, and every class drawable."""
import numpy as np
import pytest

from ocr_cli.charset import CLASSES
from ocr_cli.data.synthetic import Style, generate, render_glyph, sample_style
from ocr_cli.errors import OcrError


def test_generate_is_canonical_balanced_and_deterministic():
    X, y = generate(72, seed=3)
    assert X.shape == (72, 32, 32) and X.dtype == np.float32 and y.dtype == np.int64
    assert X.min() >= 0 and X.max() <= 1
    assert np.array_equal(np.bincount(y, minlength=36), np.full(36, 2))
    # every sample went through normalize_glyph: longer side of the ink box is 26 px
    for x in X[:10]:
        rows, cols = np.flatnonzero(x.max(1) > 0.1), np.flatnonzero(x.max(0) > 0.1)
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 in (25, 26, 27)
    X2, y2 = generate(72, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert not np.array_equal(generate(72, seed=4)[0], X)


def test_generate_subset_labels_index_the_full_class_list():
    _, y = generate(20, seed=0, classes="0123456789")
    assert set(y) == set(range(26, 36))
    with pytest.raises(OcrError):
        generate(3, classes="a")


def test_render_glyph_is_page_resolution_ink_and_upright():
    rng = np.random.default_rng(0)
    style = Style(pen=0.1, slant=0.0, aspect=1.0, shake=0.0)
    for h in (40, 120):
        g = render_glyph("T", rng, height=h, style=style)
        assert g.dtype == np.float32 and g.ndim == 2 and 0.8 * h < g.shape[0] < 1.6 * h
    # T: the top bar is the widest row of ink, the bottom is only the stem
    g = render_glyph("T", np.random.default_rng(1), height=100, style=style)
    rows = np.flatnonzero(g.max(1) > 0.5)
    top, bottom = g[rows[0] + 3], g[rows[-1] - 3]
    assert (top > 0.5).sum() > 3 * (bottom > 0.5).sum()
    with pytest.raises(OcrError):
        render_glyph("é", rng)


def test_writer_style_fixes_variants_and_pen():
    style = sample_style(np.random.default_rng(5), fix_variants=True)
    assert set(style.variants) == set(CLASSES)
    a = render_glyph("4", np.random.default_rng(1), 64, style)
    b = render_glyph("4", np.random.default_rng(2), 64, style)
    assert a.shape != b.shape or not np.array_equal(a, b)  # same writer, two different glyphs


def test_data_preview_cli_writes_a_png(tmp_path):
    from click.testing import CliRunner
    from PIL import Image

    from ocr_cli.cli import cli

    out = tmp_path / "grid.png"
    r = CliRunner().invoke(cli, ["data", "preview", "--dataset", "synthetic", "--n", "12", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "12 samples" in r.output and Image.open(out).size[0] > 100
    r = CliRunner().invoke(cli, ["data", "preview", "--dataset", "nist36", "--data-dir", str(tmp_path),
                                 "--out", str(tmp_path / "x.png")])
    assert r.exit_code == 1 and r.output.startswith("error:") and "not found" in r.output


def test_parallel_generation_gives_the_same_samples(monkeypatch):
    import ocr_cli.data.synthetic as syn

    monkeypatch.setattr(syn, "CHUNK", 8)
    X1, y1 = syn.generate(20, seed=7, workers=1)
    X2, y2 = syn.generate(20, seed=7, workers=2)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert syn.generate(0)[0].shape == (0, 32, 32)
