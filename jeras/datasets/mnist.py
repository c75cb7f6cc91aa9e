"""MNIST handwritten digits, from the Keras cache file `mnist.npz`."""
from __future__ import annotations

import numpy as np

from jeras.datasets._cache import dataset_file

ORIGIN = "https://s3.amazonaws.com/img-datasets/mnist.npz"
FILE_HASH = "8a61469f7ea1b51cbae51d4f78837e45"


def load_data(path: str = "mnist.npz") -> tuple:
    """Loads MNIST from `~/.keras/datasets/mnist.npz` (downloaded when absent).

    # Arguments
        path: file name in the Keras cache (`$KERAS_HOME` or `~/.keras`,
            subfolder `datasets`); an absolute path is used as it is.

    # Returns
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 28, 28)`
        and uint8 labels `(n,)`, as the file holds them.

    # Raises
        OSError: when the file is absent and cannot be downloaded.
    """
    path = dataset_file(path, ORIGIN, FILE_HASH)
    with np.load(path, allow_pickle=True) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
