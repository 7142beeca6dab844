"""`ocr --help` must stay instant: heavy libraries load only inside the commands that need them."""
import subprocess
import sys

HEAVY = ("torch", "torchvision", "matplotlib", "skimage")


def test_cli_import_does_not_load_heavy_libraries():
    code = (
        "import sys; from click.testing import CliRunner; from ocr_cli.cli import cli; "
        "r = CliRunner().invoke(cli, ['--help']); assert r.exit_code == 0, r.output; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_version_and_unknown_option_exit_codes():
    from click.testing import CliRunner

    from ocr_cli import __version__
    from ocr_cli.cli import cli

    r = CliRunner().invoke(cli, ["--version"])
    assert r.exit_code == 0 and __version__ in r.output
    r = CliRunner().invoke(cli, ["--no-such-option"])
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_a_bad_option_of_a_command_is_one_error_line_and_exit_2():
    from click.testing import CliRunner

    from ocr_cli.cli import cli

    for args in (["train", "--model", "mlp", "--dataset", "synthetic", "--epochs", "0"], ["extract", "x.png", "--model", "foo"]):
        r = CliRunner().invoke(cli, args)
        lines = r.output.strip().splitlines()
        assert r.exit_code == 2 and len(lines) == 1 and lines[0].startswith("error: "), r.output
