"""Models by name: the shipped ones inside the package and the user's folders ($OCR_MODELS_DIR)."""
import shutil

import pytest
from click.testing import CliRunner

from ocr_cli.cli import cli
from ocr_cli.errors import OcrError
from ocr_cli.recognizers import default_model_path, load_recognizer
from ocr_cli.recognizers.catalog import find_model, model_files, model_names, resolve_model, shipped_dir

REPO_IMAGE = shipped_dir().parents[1] / "images" / "sample_01.png"


def _copy_model(src_name: str, folder, name: str):
    src = shipped_dir() / src_name
    for suffix in (".json", ".npz" if src_name == "mlp" else ".pt"):
        shutil.copy(src.with_suffix(suffix), (folder / name).with_suffix(suffix))


@pytest.fixture
def user_models(tmp_path, monkeypatch):
    """A user folder holding ``mine`` (the shipped mlp) and a ``cnn`` that is really an mlp."""
    _copy_model("mlp", tmp_path, "mine")
    _copy_model("mlp", tmp_path, "cnn")
    (tmp_path / "orphan.json").write_text("{}")  # no weights beside it: not a model
    monkeypatch.setenv("OCR_MODELS_DIR", str(tmp_path))
    return tmp_path


def test_shipped_models_are_found_inside_the_package(monkeypatch):
    monkeypatch.delenv("OCR_MODELS_DIR", raising=False)
    assert shipped_dir().name == "models" and shipped_dir().parent.name == "ocr_cli"
    assert model_names() == ["cnn", "mlp"]
    assert default_model_path("cnn") == shipped_dir() / "cnn.json"
    assert load_recognizer(find_model("mlp")).name == "mlp"


def test_a_user_folder_adds_models_and_its_names_come_first(user_models):
    assert model_names() == ["cnn", "mlp", "mine"]
    assert find_model("mine") == user_models / "mine.json"
    assert find_model("cnn") == user_models / "cnn.json"  # the user's replaces the shipped one
    shadowed = [m for m in model_files() if m.shadowed]
    assert [(m.name, m.origin) for m in shadowed] == [("cnn", "shipped")]
    r = CliRunner().invoke(cli, ["extract", str(REPO_IMAGE), "--model", "mine", "--json"])
    assert r.exit_code == 0, r.output
    assert '"name": "mlp"' in r.stdout and str(user_models / "mine.json") in r.stdout


def test_unknown_names_and_missing_files_say_what_there_is(monkeypatch, tmp_path):
    monkeypatch.setenv("OCR_MODELS_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(OcrError, match=r"no model named 'fc'; the models are: cnn, mlp \(\$OCR_MODELS_DIR names a missing"):
        find_model("fc")
    with pytest.raises(OcrError, match="no such model file"):
        resolve_model(tmp_path / "gone.pt")
    assert resolve_model("mlp") == shipped_dir() / "mlp.json"
    assert resolve_model(shipped_dir() / "cnn.pt") == shipped_dir() / "cnn.pt"


def test_page_commands_offer_only_models_that_exist(monkeypatch):
    monkeypatch.delenv("OCR_MODELS_DIR", raising=False)
    r = CliRunner().invoke(cli, ["extract", "--help"])
    assert "[cnn|mlp]" in r.output
    r = CliRunner().invoke(cli, ["extract", str(REPO_IMAGE), "--model", "fc"])
    assert r.exit_code == 2 and r.output.startswith("error: ") and "'cnn', 'mlp'" in r.output
    r = CliRunner().invoke(cli, ["extract", str(REPO_IMAGE), "--model", "mlp", "--weights", "x.pt"])
    assert r.exit_code == 2 and "not both" in r.output


def _sidecar(name):
    import json

    return json.loads((shipped_dir() / f"{name}.json").read_text())


def test_ocr_models_lists_kind_classes_size_and_the_sidecars_held_out_accuracy(user_models):
    (user_models / "broken.json").write_text("{not json")
    (user_models / "broken.npz").write_bytes(b"")
    r = CliRunner().invoke(cli, ["models"])
    assert r.exit_code == 0, r.output
    rows = {line.split()[0]: line for line in r.output.splitlines()[1:]}
    assert set(rows) == {"cnn", "mlp", "mine", "broken"}
    shipped_cnn = next(line for line in r.output.splitlines() if line.startswith("cnn") and "shipped" in line)
    for source, acc in _sidecar("cnn")["metrics"]["heldout_acc"].items():
        assert f"{source} {acc:.1%}" in shipped_cnn
    assert "36 (A-Z 0-9)" in shipped_cnn and "replaced by the user's" in shipped_cnn
    size = sum((shipped_dir() / f).stat().st_size for f in ("mlp.json", "mlp.npz")) / 1e6
    assert f"{size:.1f} MB" in rows["mine"] and f"user: {user_models / 'mine.json'}" in rows["mine"]
    assert "unreadable" in rows["broken"]
    import json

    listed = json.loads(CliRunner().invoke(cli, ["models", "--json"]).output)
    assert [m["name"] for m in listed] == ["broken", "cnn", "mine", "cnn", "mlp"]


def test_ocr_models_show_prints_the_training_commands_first_stage_first(tmp_path, monkeypatch):
    r = CliRunner().invoke(cli, ["models", "show", "cnn"])
    assert r.exit_code == 0 and r.output.splitlines()[-1] == _sidecar("cnn")["command"]
    meta = {**_sidecar("mlp"), "command": "ocr finetune --from base", "code": "ocr-cli (git new)",
            "init_from_model": {"command": "ocr train --model mlp", "code": "ocr-cli (git old)"}}
    from ocr_cli.recognizers.base import write_model_file

    write_model_file(shipped_dir() / "mlp.npz", tmp_path / "tuned.npz", meta)  # the sidecar lives in the model file
    monkeypatch.setenv("OCR_MODELS_DIR", str(tmp_path))
    lines = CliRunner().invoke(cli, ["models", "show", "tuned"]).output.splitlines()
    assert lines[1:] == ["# stage 1 of 2, trained by ocr-cli (git old)", "ocr train --model mlp",
                         "# stage 2 of 2, trained by ocr-cli (git new)", "ocr finetune --from base"]
    r = CliRunner().invoke(cli, ["models", "show", "nothing"])
    assert r.exit_code == 1 and r.output.startswith("error: no model named 'nothing'")
