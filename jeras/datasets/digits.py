"""Handwritten digits that ship with jeras (UCI optical digits, 8x8, no download)."""
from __future__ import annotations

import os

import numpy as np

_PATH = os.path.join(os.path.dirname(__file__), "data", "digits.npz")


def load_data(test_split: float = 0.2, seed: int = 113) -> tuple:
    """Loads the 1797 handwritten digits that ship inside jeras.

    The samples are shuffled with a fixed seed, then the last `test_split`
    fraction is the test set, so every call gives the same split.

    # Arguments
        test_split: fraction of the samples held out as the test set.
        seed: seed of the shuffle.

    # Returns
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shape
        `(n, 8, 8)` with pixel counts 0..16, and uint8 labels 0..9.

    # Raises
        ValueError: if `test_split` is not in (0, 1).
    """
    if not 0.0 < test_split < 1.0:
        raise ValueError(f"digits.load_data: `test_split` must be in (0, 1), got {test_split!r}")
    with np.load(_PATH) as data:
        images, labels = data["images"], data["labels"]
    order = np.random.RandomState(seed).permutation(len(labels))
    images, labels = images[order], labels[order]
    split = int(len(labels) * (1.0 - test_split))
    return (images[:split], labels[:split]), (images[split:], labels[split:])
