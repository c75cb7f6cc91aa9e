"""Disk I/O utilities: `HDF5Matrix` (an HDF5 dataset used as an array) and the overwrite prompt."""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, ClassVar

import h5py
import numpy as np


class HDF5Matrix:
    """An HDF5 dataset used in place of a numpy array, read slice by slice.

    Indexing reads only the rows asked for, so data larger than memory can
    be fed to `predict` (or, whole, to anything that calls `np.asarray`).

    # Arguments
        datapath: string, path to an HDF5 file.
        dataset: string, name of the dataset in that file.
        start: int, first row of the dataset to use.
        end: int, the row after the last one to use (default: the dataset's length).
        normalizer: function applied to every block of rows read.

    # Example
    ```python
    x_data = HDF5Matrix('input/file.hdf5', 'data')
    model.predict(x_data)
    ```

    # Raises
        KeyError: when the file has no such dataset.
    """

    #: Open files by path, shared by every matrix reading them (as Keras 2 does).
    refs: ClassVar[dict[str, h5py.File]] = {}

    def __init__(self, datapath: str, dataset: str, start: int = 0, end: int | None = None,
                 normalizer: Callable[[np.ndarray], np.ndarray] | None = None):
        datapath = os.fspath(datapath)
        f = self.refs.get(datapath)
        if f is None or not f.id.valid:
            f = h5py.File(datapath, "r")
            self.refs[datapath] = f
        self.data = f[dataset]
        self.start = start
        self.end = self.data.shape[0] if end is None else end
        self.normalizer = normalizer
        first = self.data[0:1]
        if normalizer is not None:
            first = normalizer(first)
        self._base_shape = first.shape[1:]
        self._base_dtype = first.dtype

    def __len__(self) -> int:
        return self.end - self.start

    def __getitem__(self, key: Any) -> np.ndarray:
        """Reads rows: `key` is an int, a slice (without step), a list or an int array.

        # Raises
            IndexError: when a row lies past the matrix's end.
        """
        if isinstance(key, slice):
            start = 0 if key.start is None else key.start
            stop = self.shape[0] if key.stop is None else key.stop
            if stop + self.start > self.end:
                raise IndexError(f"HDF5Matrix: slice {key} goes past the end ({len(self)} rows)")
            index: Any = slice(start + self.start, stop + self.start)
        elif isinstance(key, (int, np.integer)):
            if key + self.start >= self.end:
                raise IndexError(f"HDF5Matrix: row {key} is past the end ({len(self)} rows)")
            index = int(key) + self.start
        else:
            rows = np.asarray(key)
            if rows.size and rows.max() + self.start >= self.end:
                raise IndexError(f"HDF5Matrix: row {rows.max()} is past the end "
                                 f"({len(self)} rows)")
            # h5py takes lists of increasing indices.
            index = (rows + self.start).tolist()
        values = self.data[index]
        return values if self.normalizer is None else self.normalizer(values)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        values = np.asarray(self[:])
        return values if dtype is None else values.astype(dtype)

    @property
    def shape(self) -> tuple:
        """The numpy-style shape: `(end - start,)` and the (normalized) row shape."""
        return (self.end - self.start,) + tuple(self._base_shape)

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the (normalized) rows."""
        return self._base_dtype

    @property
    def ndim(self) -> int:
        """The number of axes of the dataset."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements: the product of `shape`."""
        return int(np.prod(self.shape))


def ask_to_proceed_with_overwrite(filepath: str) -> bool:
    """Asks on the console whether to overwrite `filepath`.

    # Arguments
        filepath: the path of the file to be overwritten.

    # Returns
        True to overwrite (answer `y`), False to keep the file (`n`).
    """
    answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n]").strip().lower()
    while answer not in ("y", "n"):
        answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
    if answer == "n":
        return False
    print("[TIP] Next time specify overwrite=True!")
    return True


__all__ = ["HDF5Matrix", "ask_to_proceed_with_overwrite"]
