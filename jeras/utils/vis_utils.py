"""`plot_model`: the model's layer graph drawn with pydot and Graphviz, as in Keras 2."""
from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from jeras.utils.data_utils import publish


def _check_pydot() -> Any:
    """Returns the pydot module, or raises naming what to install."""
    try:
        import pydot
    except ImportError as e:
        raise ImportError("plot_model needs `pydot`: pip install pydot") from e
    if shutil.which("dot") is None:
        raise OSError("plot_model needs Graphviz's `dot` program on the PATH, and it is not "
                      "there. Install Graphviz (`apt-get install graphviz` on Debian/Ubuntu, "
                      "`brew install graphviz` on macOS; `make demo` and `make test` install it "
                      "when run as root).")
    return pydot


def _shape_text(shape: Any) -> str:
    if isinstance(shape, list):
        return ", ".join(str(tuple(s)) for s in shape)
    return str(shape)


def _label(layer: Any, show_shapes: bool, show_layer_names: bool,
           input_shape: Any = None, output_shape: Any = None) -> str:
    """A node's record label: `name: Class` and, with shapes, an input/output table."""
    from jeras.layers.wrappers import Wrapper
    name, class_name = layer.name, type(layer).__name__
    if isinstance(layer, Wrapper):
        name = f"{name}({layer.layer.name})"
        class_name = f"{class_name}({type(layer.layer).__name__})"
    label = f"{name}: {class_name}" if show_layer_names else class_name
    if not show_shapes:
        return label
    inputs = _shape_text(input_shape if input_shape is not None
                         else getattr(layer, "input_shape", "multiple"))
    outputs = _shape_text(output_shape if output_shape is not None
                          else getattr(layer, "output_shape", "multiple"))
    return f"{label}\n|{{input:|output:}}|{{{{{inputs}}}|{{{outputs}}}}}"


def model_to_dot(model: Any, show_shapes: bool = False, show_layer_names: bool = True,
                 rankdir: str = "TB") -> Any:
    """Returns the model's layer graph as a `pydot.Dot`.

    A `Sequential` model is drawn with its input layer on top, as Keras 2
    draws it; a functional model with one edge per connection.

    # Arguments
        model: a built model.
        show_shapes: write each layer's input and output shapes.
        show_layer_names: write each layer's name before its class.
        rankdir: `'TB'` (top to bottom) or `'LR'` (left to right).

    # Raises
        ImportError: without pydot. OSError: without Graphviz.
        ValueError: for an unbuilt model or another `rankdir`.
    """
    pydot = _check_pydot()
    from jeras.engine.sequential import Sequential
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model: `rankdir` must be 'TB' or 'LR', got {rankdir!r}")
    if not model.built:
        raise ValueError("plot_model: the model is not built yet; give its first layer an "
                         "`input_shape` or call `model.build(input_shape)` first")
    dot = pydot.Dot()
    dot.set("rankdir", rankdir)
    dot.set("concentrate", True)
    dot.set_node_defaults(shape="record")
    if isinstance(model, Sequential):
        from jeras.engine.input_layer import InputLayer
        first = model.layers[0]
        source = InputLayer(input_shape=tuple(model.input_shape[1:]), name=f"{first.name}_input")
        source_id = f"{model.name}_input"
        dot.add_node(pydot.Node(source_id, label=_label(
            source, show_shapes, show_layer_names, model.input_shape, model.input_shape)))
        for layer in model.layers:
            dot.add_node(pydot.Node(str(id(layer)), label=_label(layer, show_shapes,
                                                                  show_layer_names)))
            dot.add_edge(pydot.Edge(source_id, str(id(layer))))
            source_id = str(id(layer))
        return dot
    kept = {id(node) for node in model._graph.nodes}
    for layer in model.layers:
        dot.add_node(pydot.Node(str(id(layer)), label=_label(layer, show_shapes,
                                                              show_layer_names)))
    for layer in model.layers:
        for node in layer._inbound_nodes:
            if id(node) not in kept:
                continue
            for t in node.inputs:
                dot.add_edge(pydot.Edge(str(id(t._keras_history[0])), str(id(layer))))
    return dot


def plot_model(model: Any, to_file: str = "model.png", show_shapes: bool = False,
               show_layer_names: bool = True, rankdir: str = "TB") -> None:
    """Draws the model's layer graph into an image file (format from the extension).

    # Arguments
        model: a built model.
        to_file: the image file (`.png`, `.svg`, `.pdf`...; no extension means png).
        show_shapes: write each layer's input and output shapes.
        show_layer_names: write each layer's name.
        rankdir: `'TB'` (top to bottom) or `'LR'` (left to right).

    # Raises
        ImportError: without pydot. OSError: without Graphviz's `dot`.
    """
    dot = model_to_dot(model, show_shapes, show_layer_names, rankdir)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    directory = os.path.dirname(os.path.abspath(to_file))
    fd, tmp = tempfile.mkstemp(prefix=".plot-", suffix="." + extension, dir=directory)
    os.close(fd)
    try:
        dot.write(tmp, format=extension)
        publish(tmp, to_file)
    except BaseException:
        os.remove(tmp)
        raise


__all__ = ["model_to_dot", "plot_model"]
