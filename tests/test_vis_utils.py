"""plot_model draws the real layer graph; without Graphviz it says what to install."""
import shutil

import pytest

from jeras.callbacks import History
from jeras.cli import plot_history
from jeras.layers import Dense, Input, concatenate
from jeras.models import Model, Sequential
from jeras.utils import model_to_dot, plot_model

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz is not installed (make test installs it as root)")


@needs_dot
def test_graph_of_sequential_and_functional_models(tmp_path):
    seq = Sequential([Dense(3, input_dim=4, name="hidden"), Dense(2, name="out")])
    dot = model_to_dot(seq, show_shapes=True)
    labels = [n.get_label() for n in dot.get_nodes() if n.get_name() not in ("node", "graph")]
    assert labels[0].strip('"').startswith("hidden_input: InputLayer")
    assert any("hidden: Dense" in label and "(None, 3)" in label for label in labels)
    assert len(dot.get_edges()) == 2
    a, b = Input((4,), name="a"), Input((5,), name="b")
    merged = concatenate([Dense(2, name="d")(a), b], name="merge")
    model = Model([a, b], Dense(1, name="y")(merged))
    edges = model_to_dot(model, show_layer_names=False).get_edges()
    assert len(edges) == 4
    plot_model(model, to_file=str(tmp_path / "model.png"), show_shapes=True, rankdir="LR")
    assert (tmp_path / "model.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plot_model(seq, to_file=str(tmp_path / "model.svg"))
    assert b"hidden" in (tmp_path / "model.svg").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.png", "model.svg"]


def test_missing_graphviz_is_named(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(OSError, match="Graphviz's `dot` program"):
        plot_model(Sequential([Dense(1, input_dim=2)]), to_file=str(tmp_path / "m.png"))
    assert not list(tmp_path.iterdir())


def test_learning_curves_picture(tmp_path):
    history = History()
    history.on_train_begin()
    for epoch, (loss, acc) in enumerate([(1.0, 0.5), (0.5, 0.8)]):
        history.on_epoch_end(epoch, {"loss": loss, "acc": acc, "val_loss": loss + 0.1,
                                     "val_acc": acc - 0.1})
    path = plot_history(history, str(tmp_path / "curves.png"))
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
