"""Model summaries in the Keras 2 table format."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


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
