"""Utilities: `to_categorical`, `normalize`, `Sequence`, `get_file`, `plot_model`, `Progbar`,
custom-object scopes, `HDF5Matrix`, and the `conv_utils`, `generic_utils`, `io_utils`... modules."""
from __future__ import annotations

import random

import numpy as np

from jeras.utils import conv_utils, data_utils, generic_utils, io_utils, np_utils
from jeras.utils.data_utils import GeneratorEnqueuer, OrderedEnqueuer, Sequence, get_file
from jeras.utils.generic_utils import (
    CustomObjectScope,
    Progbar,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    serialize_keras_object,
)
from jeras.utils.io_utils import HDF5Matrix
from jeras.utils.layer_utils import (
    convert_all_kernels_in_model,
    get_source_inputs,
    print_summary,
)
from jeras.utils.multi_gpu_utils import multi_gpu_model as multi_gpu_model
from jeras.utils.np_utils import normalize, to_categorical
from jeras.utils.vis_utils import model_to_dot, plot_model


def set_random_seed(seed: int) -> None:
    """Seeds Python's, numpy's and so jeras's random numbers.

    jeras draws every `jax.random` key (weight initialization, shuffling,
    dropout) from numpy's global generator, so after `set_random_seed(n)`
    (or `np.random.seed(n)`, as Keras 2 users write) two identical runs give
    bit-identical weights on the same machine.

    # Arguments
        seed: int in [0, 2**32).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not \
            0 <= seed < 2**32:
        raise ValueError(f"set_random_seed: `seed` must be an int in [0, 2**32), got {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed))


__all__ = ["CustomObjectScope", "GeneratorEnqueuer", "HDF5Matrix", "OrderedEnqueuer", "Progbar",
           "Sequence", "conv_utils", "convert_all_kernels_in_model", "custom_object_scope",
           "data_utils", "deserialize_keras_object", "generic_utils", "get_custom_objects",
           "get_file", "get_source_inputs", "io_utils", "model_to_dot", "multi_gpu_model",
           "normalize", "np_utils", "plot_model", "print_summary", "serialize_keras_object",
           "set_random_seed", "to_categorical"]
