"""The engine: layers, the graph of a functional model, and training.

`from jeras.engine import Input, Layer, InputSpec, Model` works as
`from keras.engine import ...` did in Keras 2.2.4. The names are imported on
first use, so importing one engine module never drags in the others (the
training loop imports layers, which import this package).
"""
from __future__ import annotations

import importlib
from typing import Any

_NAMES = {
    "Input": "jeras.engine.input_layer",
    "InputLayer": "jeras.engine.input_layer",
    "InputSpec": "jeras.engine.input_spec",
    "Layer": "jeras.engine.base_layer",
    "get_source_inputs": "jeras.utils.layer_utils",
    "Model": "jeras.engine.training",
}


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'jeras.engine' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_NAMES))


__all__ = ["Input", "InputLayer", "InputSpec", "Layer", "Model", "get_source_inputs"]
