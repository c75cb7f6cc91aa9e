"""The `jeras demo` main job."""
import subprocess
import sys

from jeras.cli import demo, main


def test_demo_reaches_90_percent_on_the_digits(capsys):
    results = demo(epochs=30, verbose=0)
    assert results["mlp"] >= 0.90
    assert results["softmax_regression"] >= 0.85
    out = capsys.readouterr().out
    assert "test accuracy, MLP:" in out and "Total params:" in out


def test_command_line_help_and_bad_subcommand():
    assert main(["demo", "--epochs", "1", "--verbose", "0"]) == 0
    done = subprocess.run([sys.executable, "-m", "jeras", "fly"], capture_output=True, text=True)
    assert done.returncode == 2 and "invalid choice" in done.stderr
