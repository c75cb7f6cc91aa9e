"""The pickled batch files of CIFAR-10 and CIFAR-100."""
from __future__ import annotations

import pickle

import numpy as np


def load_batch(fpath: str, label_key: str = "labels") -> tuple[np.ndarray, list]:
    """Reads one CIFAR batch file: a pickled dict with `data` and labels.

    # Arguments
        fpath: path of the file.
        label_key: the key of the labels (`'labels'`, `'fine_labels'`, `'coarse_labels'`).

    # Returns
        `(data, labels)`: uint8 images `(n, 3, 32, 32)` and a list of ints.
    """
    with open(fpath, "rb") as f:
        # The files were pickled by Python 2: keys are bytes.
        d = {k.decode("utf8") if isinstance(k, bytes) else k: v
             for k, v in pickle.load(f, encoding="bytes").items()}
    data = np.asarray(d["data"], dtype=np.uint8)
    return data.reshape(data.shape[0], 3, 32, 32), list(d[label_key])


def channels_last(x: np.ndarray) -> np.ndarray:
    """Moves the channel axis last when `K.image_data_format()` says so, as Keras 2 does."""
    from jeras import backend as K
    return x.transpose(0, 2, 3, 1) if K.image_data_format() == "channels_last" else x
