"""Numpy helpers of Keras 2: `to_categorical`, `normalize`."""
from __future__ import annotations

from typing import Any

import numpy as np


def to_categorical(y: Any, num_classes: int | None = None, dtype: str = "float32") -> np.ndarray:
    """Converts a class vector (integers) to a binary class matrix.

    As in Keras 2: the class count is inferred as `max(y) + 1` when not given,
    leading axes are kept, and a trailing axis of size 1 is dropped first
    (so `(n, 1)` labels give `(n, num_classes)`).

    # Arguments
        y: array-like of class ids from 0 to `num_classes - 1`.
        num_classes: total number of classes.
        dtype: dtype of the result.

    # Returns
        A one-hot array of shape `y.shape + (num_classes,)` (trailing 1 dropped).

    # Raises
        ValueError: for negative, non-integer or out-of-range class ids.
    """
    y = np.asarray(y)
    if y.size and not np.issubdtype(y.dtype, np.number):
        raise TypeError(f"to_categorical: `y` must hold integer class ids, got dtype {y.dtype}")
    if y.size and np.any(np.asarray(y, dtype=np.float64) % 1 != 0):
        raise ValueError("to_categorical: `y` must hold integer class ids, got fractional values")
    y = y.astype(np.int64)
    input_shape = y.shape
    if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
        input_shape = input_shape[:-1]
    y = y.ravel()
    if y.size and y.min() < 0:
        raise ValueError(f"to_categorical: class ids must be >= 0, got {int(y.min())}")
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    elif y.size and y.max() >= num_classes:
        raise ValueError(f"to_categorical: class id {int(y.max())} is out of range for "
                         f"num_classes={num_classes}")
    categorical = np.zeros((y.shape[0], num_classes), dtype=dtype)
    categorical[np.arange(y.shape[0]), y] = 1
    return categorical.reshape(input_shape + (num_classes,))


def normalize(x: Any, axis: int = -1, order: int = 2) -> np.ndarray:
    """Normalizes `x` to unit `order`-norm along `axis` (zero vectors stay zero)."""
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)
