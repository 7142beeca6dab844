import os

import numpy as np
import pytest
from PIL import Image

from ocr_cli.errors import OcrError
from ocr_cli.fileio.images import read_image
from ocr_cli.fileio.writing import atomic_path, write_text
from ocr_cli.glyph import normalize_glyph


def test_read_image_grey_rgba_and_16bit_agree(tmp_path):
    a = np.full((20, 30), 255, np.uint8)
    a[5:15, 10:20] = 0
    Image.fromarray(a).save(tmp_path / "g.png")
    rgba = np.zeros((20, 30, 4), np.uint8)
    rgba[5:15, 10:20, 3] = 255  # opaque black square on transparent background
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    Image.fromarray(a.astype(np.uint16) * 257).save(tmp_path / "w.png")
    ref = read_image(tmp_path / "g.png")
    for name in ("a.png", "w.png"):
        np.testing.assert_allclose(read_image(tmp_path / name), ref, atol=1 / 255)
    assert ref.dtype == np.float32 and ref[0, 0] == 1.0 and ref[10, 15] == 0.0


@pytest.mark.parametrize("content", [b"", b"not an image at all", b"\xff\xd8\xff\xe0truncated"])
def test_read_image_rejects_bad_files(tmp_path, content):
    f = tmp_path / "bad.jpg"
    f.write_bytes(content)
    with pytest.raises(OcrError, match="bad.jpg"):
        read_image(f)


def test_read_image_missing_and_huge(tmp_path):
    with pytest.raises(OcrError, match="no such file"):
        read_image(tmp_path / "nope.png")
    Image.new("L", (200, 200)).save(tmp_path / "big.png")
    with pytest.raises(OcrError, match="megapixel"):
        read_image(tmp_path / "big.png", max_pixels=1000)


def test_atomic_path_keeps_old_file_on_failure(tmp_path):
    f = tmp_path / "model.txt"
    f.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(f) as tmp:
            tmp.write_text("half")
            raise RuntimeError
    assert f.read_text() == "old" and list(tmp_path.iterdir()) == [f]


def test_atomic_path_gives_new_files_the_umask_mode_and_keeps_an_old_files_mode(tmp_path):
    old_umask = os.umask(0o022)
    try:
        new = tmp_path / "new.txt"
        write_text(new, "x")
        assert new.stat().st_mode & 0o777 == 0o644  # not mkstemp's private 0600
        kept = tmp_path / "kept.txt"
        kept.write_text("old")
        kept.chmod(0o600)
        write_text(kept, "new")
        assert kept.read_text() == "new" and kept.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old_umask)


def test_normalize_glyph_centres_and_keeps_aspect():
    ink = np.zeros((200, 100), np.float32)
    ink[20:180, 30:70] = 1  # a tall bar, 4:1
    out = normalize_glyph(ink)
    rows, cols = np.nonzero(out > 0.5)
    assert rows.max() - rows.min() + 1 == 26
    assert 5 <= cols.max() - cols.min() + 1 <= 8
    assert abs((rows.max() + rows.min()) / 2 - 15.5) <= 1 and abs((cols.max() + cols.min()) / 2 - 15.5) <= 1
    assert not normalize_glyph(np.zeros((5, 5))).any()
