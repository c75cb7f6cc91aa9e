"""CIFAR-10, from the extracted `cifar-10-batches-py` folder of the Keras cache."""
from __future__ import annotations

import os

import numpy as np

from jeras.datasets._cache import dataset_file
from jeras.datasets.cifar import channels_last, load_batch

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"


def load_data() -> tuple:
    """Loads CIFAR-10 from `~/.keras/datasets/cifar-10-batches-py/` (downloaded when absent).

    # Returns
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 32, 32, 3)`
        (`(n, 3, 32, 32)` with `channels_first`) and labels `(n, 1)`.

    # Raises
        OSError: when the folder (or its `.tar.gz`) is absent and cannot be downloaded.
    """
    path = dataset_file("cifar-10-batches-py", ORIGIN, untar=True)
    parts = [load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([x for x, _ in parts])
    y_train = np.concatenate([np.asarray(y, np.uint8) for _, y in parts])
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    return ((channels_last(x_train), y_train.reshape(-1, 1)),
            (channels_last(x_test), np.reshape(y_test, (len(y_test), 1))))
