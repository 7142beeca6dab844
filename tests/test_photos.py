"""Real-photo conditions: the photo simulator, page finding, rule removal, orientation, noise.

Each condition is read from a small simulated photo with the shipped cnn; where a step of
the pipeline exists for the condition, the same photo read with that step switched off
must fail, so the assertion is known to test the step.
"""
import numpy as np
import pytest

from ocr_cli.data.photos import CONDITIONS, photo
from ocr_cli.page import read_page
from ocr_cli.page.evaluate import score_text
from ocr_cli.page.ink import find_ink
from ocr_cli.page.rules import remove_rules
from ocr_cli.page.sheet import find_sheet
from ocr_cli.recognizers import default_model_path, load_recognizer


@pytest.fixture(scope="module")
def cnn():
    path = default_model_path("cnn")
    if not path.is_file():
        pytest.skip(f"no shipped model at {path}")
    return load_recognizer(path, inference=True)


def small_photo(condition, seed):
    return photo(seed=seed, n_lines=2, n_words=2, **CONDITIONS[condition])


def errors(page, truth):
    return score_text(page.text, truth)["char_errors"]


def test_simulator_is_deterministic_and_varies_with_the_seed():
    a, text_a = small_photo("phone photo", 3)
    b, text_b = small_photo("phone photo", 3)
    c, text_c = small_photo("phone photo", 4)
    assert a.dtype == np.uint8 and a.ndim == 3 and np.array_equal(a, b) and text_a == text_b
    assert text_c != text_a
    turned, _ = small_photo("turned 90", 3)
    upright, _ = small_photo("clean", 3)
    assert turned.shape[:2] == upright.shape[1::-1]


@pytest.mark.parametrize("condition", ["clean", "wood desk", "textured desk", "perspective", "ruled paper",
                                       "squared paper", "ruled, sideways", "margin line", "turned 90", "turned 180",
                                       "turned 270", "tilted 8 degrees", "hard shadow", "glare", "show-through",
                                       "blur", "jpeg q20", "low resolution", "blue ink", "pencil", "clutter",
                                       "phone photo"])
def test_each_photo_condition_reads_nearly_exactly(cnn, condition):
    total = chars = 0
    for seed in (1, 2):
        rgb, truth = small_photo(condition, seed)
        page = read_page(rgb, cnn)
        total, chars = total + errors(page, truth), chars + len(truth.replace(" ", "").replace("\n", ""))
        assert len(page.lines) == truth.count("\n") + 1, (condition, seed, page.text)
    assert total <= max(3, 0.05 * chars), condition


@pytest.mark.parametrize("condition, off", [("textured desk", {"sheet": False}),
                                            ("ruled paper", {"remove_rules": False}),
                                            ("ruled, sideways", {"remove_rules": False}),
                                            ("turned 90", {"rotate": 0}), ("turned 180", {"rotate": 0})])
def test_the_step_for_a_condition_is_what_reads_it(cnn, condition, off):
    rgb, truth = small_photo(condition, 1)
    assert errors(read_page(rgb, cnn), truth) <= 1
    assert errors(read_page(rgb, cnn, **off), truth) >= len(truth) // 3, (condition, off)


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_the_turn_used_is_reported(cnn, turn):
    rgb, _ = photo(seed=5, n_lines=2, n_words=2, turn=turn)
    page = read_page(rgb, cnn)
    assert page.rotation == turn
    assert page.to_dict()["rotation"] == turn
    h, w = rgb.shape[:2]
    assert all(0 <= c.box[0] < c.box[2] <= w and 0 <= c.box[1] < c.box[3] <= h for c in page.chars)


def test_boxes_on_a_rectified_sheet_map_back_onto_the_photo(cnn):
    rgb, truth = photo(seed=6, n_lines=1, n_words=2, background="wood", sheet=0.6, perspective=0.08)
    page = read_page(rgb, cnn)
    assert "sheet rectified" in page.notes and errors(page, truth) <= 1
    dark = rgb.mean(axis=2) < 100  # ink and the dark desk
    for c in page.chars:  # every box holds ink of its character, not desk
        x0, y0, x1, y1 = c.box
        assert dark[y0:y1, x0:x1].mean() < 0.5 and dark[y0:y1, x0:x1].any()


def test_sheet_is_found_on_a_desk_and_not_on_a_page_that_fills_the_frame():
    desk, _ = photo(seed=7, n_lines=2, n_words=2, background="wood", sheet=0.6)
    grey = desk.mean(axis=2) / 255
    sheet = find_sheet(grey, desk.max(axis=2) / 255 - desk.min(axis=2) / 255)
    assert sheet is not None and sheet.rectify and 0.25 < sheet.mask.mean() < 0.6
    page, _ = photo(seed=7, n_lines=2, n_words=2, shadow=0.5)  # a shadow across the page is no desk
    assert find_sheet(page.mean(axis=2) / 255) is None


def test_rules_go_and_the_letters_that_cross_them_stay():
    ink = np.zeros((200, 600), bool)
    ink[40:43] = ink[100:103] = ink[160:163] = True  # three printed rules across the sheet
    ink[20:120, 100:106] = True  # a letter's stroke crossing two of them
    ink[60:90, 300:330] = True  # a blob between the rules
    kept, removed = remove_rules(ink, ink, ink.astype(np.float32))
    assert removed > 0
    assert not kept[160:163, :90].any() and not kept[40:43, 200:600].any()  # the rules are gone ...
    assert kept[20:120, 100:106].all() and kept[60:90, 300:330].all()  # ... the writing is whole


@pytest.mark.parametrize("seed", [101, 102])
def test_no_letter_goes_with_a_light_grid(cnn, seed):
    # letters whose strokes join neighbouring grid lines into one wide band of the faint
    # mask lay wholly inside it and were removed as pieces of the grid (W of WITH, a
    # blurred N); now only marks no thicker than the grid line are
    rgb, truth = photo(seed=seed, **CONDITIONS["squared paper"])
    page = read_page(rgb, cnn)
    assert len(page.chars) == len(truth.replace(" ", "").replace("\n", "")), page.text


def test_a_tight_crop_of_one_word_keeps_its_strokes():
    from ocr_cli.data.synthetic_pages import render_page

    grey = render_page(["MINIMUM HILL"], seed=3, char_h=40)
    rows, cols = np.flatnonzero((grey < 0.6).any(axis=1)), np.flatnonzero((grey < 0.6).any(axis=0))
    ink = grey[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1] < 0.6  # the strokes run edge to edge
    _, removed = remove_rules(ink, ink, ink.astype(np.float32))
    assert removed == 0


def test_noise_and_texture_are_refused_quickly_with_a_warning(cnn):
    rng = np.random.default_rng(0)
    blobs = np.full((1200, 1200), 230, np.uint8)
    for y, x in rng.integers(0, 1188, (3000, 2)):
        blobs[y:y + 12, x:x + 12] = 30
    page = read_page(blobs, cnn)
    assert page.text == "" and any("noise" in w for w in page.warnings)


def test_a_blank_page_is_empty_without_warnings(cnn):
    page = read_page(np.full((800, 600), 0.93, np.float32), cnn)
    assert page.text == "" and page.warnings == []


def test_unreadable_pages_say_so(cnn):
    rgb, _ = photo(seed=8, n_lines=1, n_words=2, scale=0.12)  # letters of about 5 px
    page = read_page(rgb, cnn)
    assert any("too small" in w for w in page.warnings)
    ink = find_ink(rgb)
    assert ink.mask.shape[0] >= rgb.shape[0]  # small images are not shrunk further


def test_bad_image_arrays_are_refused():
    with pytest.raises(ValueError):
        find_ink(np.zeros((10, 10, 2)))
    with pytest.raises(ValueError):
        find_ink(np.full((10, 10), np.nan))
    with pytest.raises(ValueError):
        find_ink(np.zeros((0, 10)))
