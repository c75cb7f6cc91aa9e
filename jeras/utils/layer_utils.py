"""Layer and model utilities: summaries, parameter counts, source inputs, kernel conversions."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def print_summary(model: Any, line_length: int | None = None,
                  positions: Sequence[float] | None = None,
                  print_fn: Callable[[str], None] | None = None) -> None:
    """Prints a summary of a Sequential model, as Keras 2's `model.summary()`.

    # Arguments
        model: a built model.
        line_length: total width of the table (default 65).
        positions: right edges of the columns, as fractions of the width
            (or absolute positions).
        print_fn: where lines go (default `print`).
    """
    from jeras.engine.sequential import Sequential
    print_fn = print_fn or print
    sequential = isinstance(model, Sequential)
    line_length = line_length or (65 if sequential else 98)
    positions = list(positions or ([0.45, 0.85, 1.0] if sequential else [0.33, 0.55, 0.67, 1.0]))
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    headers = ["Layer (type)", "Output Shape", "Param #"]
    if not sequential:
        headers.append("Connected to")

    def row(fields: Sequence[str]) -> None:
        line = ""
        for text, edge in zip(fields, positions):
            line += str(text)
            line = line[:edge].ljust(edge)
        print_fn(line)

    print_fn("_" * line_length)
    row(headers)
    print_fn("=" * line_length)
    layers = model.layers
    for i, layer in enumerate(layers):
        fields = [f"{layer.name} ({type(layer).__name__})", str(layer.output_shape),
                  f"{layer.count_params()}"]
        if sequential:
            row(fields)
        else:
            sources = _connections(model, layer)
            row(fields + [sources[0] if sources else ""])
            for source in sources[1:]:
                row(["", "", "", source])
        print_fn("=" * line_length if i == len(layers) - 1 else "_" * line_length)
    trainable = sum(int(w.value.size) for w in model.trainable_weights)
    total = model.count_params()
    print_fn(f"Total params: {total:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {total - trainable:,}")
    print_fn("_" * line_length)


def _connections(model: Any, layer: Any) -> list[str]:
    """The `layer_name[node_index][tensor_index]` entries of the Keras 2 "Connected to" column."""
    kept = {id(node) for node in model._graph.nodes}
    sources = []
    for node in layer._inbound_nodes:
        if id(node) not in kept:
            continue
        for t in node.inputs:
            inbound, node_index, tensor_index = t._keras_history
            sources.append(f"{inbound.name}[{node_index}][{tensor_index}]")
    return sources


def count_params(weights: Sequence[Any]) -> int:
    """Returns the number of scalars in a list of weights (variables or arrays).

    # Arguments
        weights: the weights, e.g. `layer.trainable_weights`.

    # Returns
        The sum of their sizes; a weight appearing twice counts once.
    """
    unique = {id(w): w for w in weights}
    return int(sum(int(np.prod(np.shape(w))) for w in unique.values()))


def get_source_inputs(tensor: Any, layer: Any = None, node_index: int | None = None) -> list:
    """Returns the input tensors (from `Input()`) that `tensor` is computed from.

    # Arguments
        tensor: a symbolic tensor.
        layer: the layer that made it (default: read from `tensor._keras_history`).
        node_index: which call of `layer` made it.

    # Returns
        A list of input tensors, each once, in the order they are reached.
        Anything without a Keras history is returned as it is.
    """
    if not hasattr(tensor, "_keras_history"):
        return tensor
    if layer is None or node_index is None:
        layer, node_index, _ = tensor._keras_history
    if not layer._inbound_nodes:
        return [tensor]
    node = layer._inbound_nodes[node_index]
    if not node.inputs:
        # An input layer: the graph starts here.
        return [tensor]
    sources: list = []
    for x in node.inputs:
        for source in get_source_inputs(x):
            if not any(source is seen for seen in sources):
                sources.append(source)
    return sources


_CONV_CLASSES = ("Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose")


def convert_all_kernels_in_model(model: Any) -> None:
    """Flips every convolution kernel of a model between Theano's and TensorFlow's layouts.

    # Arguments
        model: the model whose `Conv1D`/`Conv2D`/`Conv3D`/`Conv2DTranspose`
            kernels (the first weight of each) are converted in place.
    """
    from jeras.utils.conv_utils import convert_kernel
    for layer in model.layers:
        if type(layer).__name__ in _CONV_CLASSES:
            weights = layer.get_weights()
            weights[0] = convert_kernel(weights[0])
            layer.set_weights(weights)


def convert_dense_weights_data_format(dense: Any, previous_feature_map_shape: Sequence[int],
                                      target_data_format: str = "channels_first") -> None:
    """Reorders a `Dense` kernel that follows a `Flatten` when a convnet changes `data_format`.

    # Arguments
        dense: the `Dense` layer after the `Flatten`.
        previous_feature_map_shape: the feature map's shape (3 ints) before the
            `Flatten`, in the target format, e.g. `(512, 7, 7)`.
        target_data_format: `'channels_first'` or `'channels_last'`.

    # Raises
        ValueError: for another `target_data_format`.
    """
    if target_data_format not in ("channels_last", "channels_first"):
        raise ValueError("convert_dense_weights_data_format: `target_data_format` must be "
                         f"'channels_last' or 'channels_first', got {target_data_format!r}")
    kernel, *rest = dense.get_weights()
    a, b, c = previous_feature_map_shape
    units = kernel.shape[1]
    if target_data_format == "channels_first":
        # Rows were in (h, w, c) order; make them (c, h, w).
        reordered = kernel.reshape(b, c, a, units).transpose(2, 0, 1, 3)
    else:
        # Rows were in (c, h, w) order; make them (h, w, c).
        reordered = kernel.reshape(c, a, b, units).transpose(1, 2, 0, 3)
    dense.set_weights([reordered.reshape(kernel.shape), *rest])
