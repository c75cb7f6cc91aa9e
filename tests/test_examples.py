"""Every example script (every snippet of the seed tutorial) runs through `jeras run`."""
import json
import os

import pytest

from jeras.cli import main

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def run(capsys, name, *args):
    assert main(["run", os.path.join(EXAMPLES, name), *args]) == 0
    return capsys.readouterr().out


def test_losses_and_to_categorical(capsys):
    out = run(capsys, "01_losses.py")
    lines = dict(line.split(" ", 1) for line in out.splitlines() if line.count(" ") >= 1)
    assert json.loads(lines["categorical_crossentropy"]) == [0.2231, 0.5108]
    assert json.loads(lines["hinge"]) == pytest.approx([0.6, 0.7])
    assert len([n for n in lines if n.endswith(("error", "hinge", "logcosh", "entropy",
                                                "divergence", "poisson", "proximity"))]) == 14
    assert "to_categorical: [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]" in out
    assert "keras is keras served by jeras" in out


def test_optimizers(capsys):
    out = run(capsys, "02_optimizers.py")
    for name in ("SGD", "RMSprop", "Adagrad", "Adadelta", "Adam"):
        assert f"\n{name} config:" in out
    assert "Adam config: ['amsgrad', 'beta_1', 'beta_2', 'decay', 'epsilon', 'lr']" in out


def test_metrics_and_activations(capsys):
    out = run(capsys, "03_metrics_activations.py")
    assert "names: ['loss', 'mean_absolute_error', 'acc']" in out
    assert "function metrics logged: ['categorical_accuracy', 'loss', 'mean_absolute_error']" \
        in out
    assert "\ntop_k_categorical_accuracy 1.0\n" in out
    assert "custom metric logged: ['acc', 'loss', 'mean_pred'] mean_pred in (0, 1): True" \
        in out
    assert "Activation layer == activation argument: True" in out
    assert "selu [[1.0507" in out


def test_callbacks(capsys, tmp_path):
    out = run(capsys, "04_callbacks.py", str(tmp_path))
    assert "LossHistory: 40 batch losses, first > last: True" in out
    assert "checkpoint written: True" in out and "json log lines: 2" in out
    assert "csv header: epoch,loss,lr,val_loss" in out
    assert "tensorboard events: True" in out
    assert (tmp_path / "weights.hdf5").exists() and (tmp_path / "all.csv").exists()


def test_stateful_lstm_example(capsys):
    out = run(capsys, "07_lstm_stateful.py")
    mse = {line.split()[0]: float(line.split()[-1]) for line in out.splitlines()
           if "test mse" in line}
    # The target variance is 0.022: only the stateful model sees the earlier chunks.
    assert mse["stateful=True"] < 0.01 < 0.015 < mse["stateful=False"], mse
