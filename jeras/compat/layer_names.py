"""The names every `keras.layers.*` module of Keras 2.2.4 imported at its top.

Keras 2's layer modules began with `from ..engine.base_layer import Layer,
InputSpec`, `from .. import backend as K`, `from ..utils import conv_utils`...
and scripts came to import those names from there (`from keras.layers.core
import Layer`). Each `keras.layers.X` stand-in looks here after `jeras.layers.X`.
"""
from __future__ import annotations

import importlib
from typing import Any

from jeras import activations, constraints, initializers, regularizers
from jeras import backend as K
from jeras.compat import legacy as interfaces
from jeras.engine.base_layer import Layer
from jeras.engine.input_layer import Input, InputLayer
from jeras.engine.input_spec import InputSpec
from jeras.utils import conv_utils
from jeras.utils.generic_utils import (
    deserialize_keras_object,
    func_dump,
    func_load,
    has_arg,
    object_list_uid,
    to_list,
    transpose_shape,
    unpack_singleton,
)

# Recurrent layers' bases, imported from `keras.layers.recurrent` by its siblings.
_RECURRENT = ("RNN", "Recurrent", "ConvRecurrent2D")


def __getattr__(name: str) -> Any:
    if name in _RECURRENT:
        for module in ("jeras.layers.recurrent", "jeras.layers.rnn_cells"):
            found = importlib.import_module(module)
            if hasattr(found, name):
                return getattr(found, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Input", "InputLayer", "InputSpec", "K", "Layer", "activations", "constraints",
           "conv_utils", "deserialize_keras_object", "func_dump", "func_load", "has_arg",
           "initializers", "interfaces", "object_list_uid", "regularizers", "to_list",
           "transpose_shape", "unpack_singleton"]
