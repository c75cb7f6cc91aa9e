"""Boston housing prices, from the Keras cache file `boston_housing.npz`."""
from __future__ import annotations

import numpy as np

from jeras.datasets._cache import dataset_file

ORIGIN = "https://s3.amazonaws.com/keras-datasets/boston_housing.npz"
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path: str = "boston_housing.npz", test_split: float = 0.2,
              seed: int = 113) -> tuple:
    """Loads the Boston housing data, shuffled with `seed` and split as Keras 2 does.

    # Arguments
        path: file name in the Keras cache (`datasets` subfolder).
        test_split: fraction in [0, 1) held out as the test set (the last samples).
        seed: seed of the shuffle (the same order as Keras 2 for the same seed).

    # Returns
        `(x_train, y_train), (x_test, y_test)`.

    # Raises
        ValueError: if `test_split` is not in [0, 1).
        OSError: when the file is absent and cannot be downloaded.
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"boston_housing.load_data: `test_split` must be in [0, 1), got "
                         f"{test_split!r}")
    path = dataset_file(path, ORIGIN, FILE_HASH)
    with np.load(path, allow_pickle=True) as f:
        x, y = f["x"], f["y"]
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    split = int(len(x) * (1 - test_split))
    return (x[:split], y[:split]), (x[split:], y[split:])
