"""Keras 2 layers, one module per family as in `keras.layers`."""
from __future__ import annotations

from typing import Any

# As Keras 2.2.4's `keras.layers`, the deprecated legacy layers too (so configs naming them load).
from jeras.compat.legacy_layers import Highway as Highway
from jeras.compat.legacy_layers import MaxoutDense as MaxoutDense
from jeras.engine.base_layer import Layer as Layer
from jeras.engine.input_layer import Input as Input
from jeras.engine.input_layer import InputLayer as InputLayer
from jeras.engine.input_spec import InputSpec as InputSpec
from jeras.layers.advanced_activations import *  # noqa: F403
from jeras.layers.convolutional import *  # noqa: F403
from jeras.layers.convolutional_recurrent import *  # noqa: F403
from jeras.layers.core import *  # noqa: F403
from jeras.layers.cudnn_recurrent import *  # noqa: F403
from jeras.layers.embeddings import *  # noqa: F403
from jeras.layers.local import *  # noqa: F403
from jeras.layers.merge import *  # noqa: F403
from jeras.layers.noise import *  # noqa: F403
from jeras.layers.normalization import *  # noqa: F403
from jeras.layers.pooling import *  # noqa: F403
from jeras.layers.recurrent import *  # noqa: F403
from jeras.layers.rnn_cells import *  # noqa: F403
from jeras.layers.wrappers import *  # noqa: F403
from jeras.utils.generic_utils import deserialize_keras_object


def serialize(layer: Layer) -> dict:
    """Returns `{'class_name', 'config'}` for a layer."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config: dict, custom_objects: dict | None = None) -> Any:
    """Makes a layer (or model) from `{'class_name', 'config'}`.

    # Arguments
        config: the layer's serialized form, as in a Keras model file.
        custom_objects: user classes by name, looked up first.

    # Raises
        ValueError: for a class name jeras does not have (naming it).
    """
    from jeras import models
    table = {k: v for k, v in globals().items() if isinstance(v, type) and issubclass(v, Layer)}
    table.update({k: getattr(models, k) for k in models.__all__
                  if isinstance(getattr(models, k), type)})
    return deserialize_keras_object(config, table, custom_objects, "layer")
