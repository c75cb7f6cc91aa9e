"""Fashion-MNIST, from the four gzipped IDX files Keras 2 caches in `datasets/fashion-mnist`."""
from __future__ import annotations

import gzip
import os

import numpy as np

from jeras.datasets._cache import dataset_file

BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")


def load_data() -> tuple:
    """Loads Fashion-MNIST from `~/.keras/datasets/fashion-mnist/` (downloaded when absent).

    # Returns
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 28, 28)`
        and uint8 labels `(n,)`.

    # Raises
        OSError: when a file is absent and cannot be downloaded.
    """
    subdir = os.path.join("datasets", "fashion-mnist")
    paths = [dataset_file(name, BASE + name, cache_subdir=subdir) for name in FILES]
    arrays = []
    for path, offset in zip(paths, (8, 16, 8, 16)):
        # IDX files: a header (8 bytes for labels, 16 for images), then uint8 data.
        with gzip.open(path, "rb") as f:
            arrays.append(np.frombuffer(f.read(), np.uint8, offset=offset))
    y_train, x_train, y_test, x_test = arrays
    return ((x_train.reshape(len(y_train), 28, 28), y_train),
            (x_test.reshape(len(y_test), 28, 28), y_test))
