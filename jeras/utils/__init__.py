"""Utilities: `to_categorical`, `normalize`, `Sequence`, `get_file`, `plot_model`, `Progbar`."""
from __future__ import annotations

import random

import numpy as np

from jeras.utils.data_utils import GeneratorEnqueuer, OrderedEnqueuer, Sequence, get_file
from jeras.utils.generic_utils import Progbar
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


__all__ = ["GeneratorEnqueuer", "OrderedEnqueuer", "Progbar", "Sequence", "get_file",
           "model_to_dot", "normalize", "plot_model", "set_random_seed", "to_categorical"]
