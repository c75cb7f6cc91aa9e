"""The `jeras demo` main job."""
import subprocess
import sys

from jeras.cli import demo, main


def test_demo_reaches_90_percent_on_the_digits(capsys, tmp_path):
    results = demo(epochs=30, verbose=0, run_dir=str(tmp_path))
    assert results["mlp"] >= 0.90 and results["best_model"] >= 0.90
    assert results["softmax_regression"] >= 0.85
    out = capsys.readouterr().out
    assert "test accuracy, MLP:" in out and "Total params:" in out and str(tmp_path) in out
    rows = (tmp_path / "training.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,") and len(rows) >= 2
    assert (tmp_path / "best_model.h5").stat().st_size > 0
    assert any((tmp_path / "logs").iterdir())
    curves = tmp_path / "learning_curves.png"
    assert results["learning_curves"] == str(curves)
    assert curves.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if "model_plot" in results:  # drawn when Graphviz's `dot` is installed
        assert (tmp_path / "model.png").read_bytes()[:4] == b"\x89PNG"


def test_command_line_help_and_bad_subcommand(tmp_path):
    assert main(["demo", "--epochs", "1", "--verbose", "0", "--run-dir", str(tmp_path)]) == 0
    done = subprocess.run([sys.executable, "-m", "jeras", "fly"], capture_output=True, text=True)
    assert done.returncode == 2 and "invalid choice" in done.stderr
