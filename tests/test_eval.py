"""`ocr eval`'s library side: metrics by rapidfuzz, empty truths, sub-folders, unreadable files."""
import numpy as np
import pytest
from PIL import Image

from ocr_cli.errors import OcrError
from ocr_cli.page.evaluate import edit_distance, evaluate_dir, format_table, rates, score_text
from ocr_cli.data.synthetic_pages import render_page


@pytest.fixture(scope="module")
def cnn():
    from ocr_cli.recognizers import default_model_path, load_recognizer

    return load_recognizer(default_model_path("cnn"), inference=True)


def save_page(path, lines, seed):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((render_page(lines, seed=seed) * 255).astype(np.uint8)).save(path)
    path.with_suffix(".txt").write_text("\n".join(lines) + "\n")


def test_edit_distance_on_strings_and_words():
    assert edit_distance("KITTEN", "SITTING") == 3
    assert edit_distance("", "ABC") == 3 and edit_distance("ABC", "ABC") == 0
    assert edit_distance("THE CAT SAT".split(), "THE BAT SAT ON".split()) == 2
    rng = np.random.default_rng(0)
    a, b = ("".join(rng.choice(list("AB"), 3000)) for _ in range(2))
    row = list(range(len(b) + 1))  # the textbook recurrence, for one long pair
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    assert edit_distance(a, b) == row[-1]


def test_empty_truth_is_reported_as_such_not_as_a_rate():
    counts = score_text("SOME TEXT", "\n \n")
    assert counts["chars"] == 0 and rates(counts) == {"char_accuracy": None, "cer": None, "word_accuracy": None}


def test_eval_reads_sub_folders_reports_empty_truth_and_goes_on(tmp_path, cnn):
    save_page(tmp_path / "p1.png", ["AB CD"], 1)
    save_page(tmp_path / "deeper" / "p2.png", ["XY 12"], 2)
    save_page(tmp_path / "blank.png", ["QQ"], 3)
    (tmp_path / "blank.txt").write_text("\n")
    (tmp_path / "broken.png").write_text("not an image")
    (tmp_path / "broken.txt").write_text("AB\n")
    save_page(tmp_path / "badtruth.png", ["AB"], 4)
    (tmp_path / "badtruth.txt").write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "no_truth.png").write_bytes((tmp_path / "p1.png").read_bytes())

    flat = evaluate_dir(tmp_path, cnn)
    assert [p["image"] for p in flat["pages"]] == ["blank.png", "p1.png"]
    assert flat["skipped"] == ["no_truth.png"]
    assert len(flat["errors"]) == 2 and flat["errors"][0].startswith(str(tmp_path / "badtruth.txt"))
    assert "broken.png: not an image" in flat["errors"][1]
    blank = flat["pages"][0]
    assert blank["empty_truth"] and blank["char_accuracy"] is None
    assert flat["total"]["pages"] == 1 and flat["total"]["chars"] == 4  # the empty page stays out of the totals
    assert "empty ground truth" in format_table(flat) and "-4000" not in format_table(flat)

    deep = evaluate_dir(tmp_path, cnn, recursive=True, jobs=2)
    assert [p["image"] for p in deep["pages"]] == ["blank.png", "deeper/p2.png", "p1.png"]
    assert deep["total"]["chars"] == 8 and deep["errors"] == flat["errors"]
    same = {p["image"]: p["text"] for p in evaluate_dir(tmp_path, cnn, recursive=True, jobs=1)["pages"]}
    assert same == {p["image"]: p["text"] for p in deep["pages"]}


def test_eval_refuses_a_folder_with_nothing_to_score(tmp_path, cnn):
    with pytest.raises(OcrError, match="no images"):
        evaluate_dir(tmp_path, cnn)
    save_page(tmp_path / "sub" / "p.png", ["AB"], 1)
    with pytest.raises(OcrError, match="--recursive"):
        evaluate_dir(tmp_path, cnn)
