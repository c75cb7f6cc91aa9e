"""CIFAR-100, from the extracted `cifar-100-python` folder of the Keras cache."""
from __future__ import annotations

import os

import numpy as np

from jeras.datasets._cache import dataset_file
from jeras.datasets.cifar import channels_last, load_batch

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"


def load_data(label_mode: str = "fine") -> tuple:
    """Loads CIFAR-100 from `~/.keras/datasets/cifar-100-python/` (downloaded when absent).

    # Arguments
        label_mode: `'fine'` (100 classes) or `'coarse'` (20 super-classes).

    # Returns
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 32, 32, 3)`
        and labels `(n, 1)`.

    # Raises
        ValueError: for another `label_mode`.
        OSError: when the folder (or its `.tar.gz`) is absent and cannot be downloaded.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f"cifar100.load_data: `label_mode` must be 'fine' or 'coarse', got "
                         f"{label_mode!r}")
    path = dataset_file("cifar-100-python", ORIGIN, untar=True)
    out = []
    for name in ("train", "test"):
        x, y = load_batch(os.path.join(path, name), label_key=label_mode + "_labels")
        out.append((channels_last(x), np.reshape(y, (len(y), 1))))
    return tuple(out)
