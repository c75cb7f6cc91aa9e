"""Disk I/O utilities: `HDF5Matrix` (an HDF5 dataset used as an array), `H5Dict` and the
overwrite prompt."""
from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import h5py
import numpy as np
import six


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
    # Read through `six.moves.input`, as 2.2.4 did: its users' tests patch that name.
    ask = six.moves.input
    answer = ask(f"[WARNING] {filepath} already exists - overwrite? [y/n]").strip().lower()
    while answer not in ("y", "n"):
        answer = ask('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
    if answer == "n":
        return False
    print("[TIP] Next time specify overwrite=True!")
    return True


class H5Dict:
    """A dict-like view of an HDF5 group, or of a plain dict, as Keras 2.2.4's `h5dict`.

    Keras 2.2.4 wrote models through this one interface, to a file or (for
    pickling) to nested dicts. On an HDF5 group, strings and lists are
    stored as attributes (lists of strings too big for one attribute header
    in numbered chunks `name0`, `name1`...), numpy arrays as datasets, and
    reading a missing key creates a sub-group (except in read mode). On a
    dict, numpy arrays are kept pickled and sub-groups are dicts marked
    `'_is_group'`, so both forms hold the same things.

    # Arguments
        path: a file path, an open `h5py.Group`, or a dict.
        mode: `h5py.File`'s mode for a path; `'w'` also empties a dict, `'r'`
            refuses writes.

    # Raises
        TypeError: when `path` is none of these.
    """

    def __init__(self, path: str | os.PathLike | h5py.Group | dict, mode: str = "a"):
        if isinstance(path, h5py.Group):
            self.data: h5py.Group | dict = path
            self._is_file = False
        elif isinstance(path, (str, os.PathLike)):
            self.data = h5py.File(os.fspath(path), mode=mode)
            self._is_file = True
        elif isinstance(path, dict):
            self.data = path
            self._is_file = False
            if mode == "w":
                path.clear()
            # Marks a dict that stands for a group, as opposed to a stored value.
            path["_is_group"] = True
        else:
            raise TypeError(f"h5dict: `path` must be a file path, an h5py Group or a dict, "
                            f"got {type(path).__name__}")
        self.read_only = mode == "r"

    def __setitem__(self, attr: str | bytes, val: Any) -> None:
        """Stores `val` under `attr`.

        # Raises
            ValueError: in read mode.
            KeyError: when a group named `attr` exists in the file.
            RuntimeError: for a list entry larger than an HDF5 attribute header holds
                (2.2.4's error).
        """
        if self.read_only:
            raise ValueError(f"h5dict: cannot set {attr!r}: opened in read-only mode")
        is_np = type(val).__module__ == np.__name__
        if isinstance(self.data, dict):
            if isinstance(attr, bytes):
                attr = attr.decode("utf-8")
            if is_np:
                self.data[attr] = pickle.dumps(val)
                self.data[f"_{attr}_pickled"] = True
            else:
                self.data[attr] = val
            return
        if attr in self.data:
            raise KeyError(f"h5dict: cannot set attribute {attr!r}: a group of that name exists")
        if is_np:
            dataset = self.data.create_dataset(attr, np.shape(val), dtype=val.dtype)
            dataset[()] = val
        elif isinstance(val, list):
            self._set_list(attr, val)
        else:
            self.data.attrs[attr] = val

    def _set_list(self, attr: str, val: list) -> None:
        from jeras.saving.hdf5 import HDF5_OBJECT_HEADER_LIMIT
        too_big = [x for x in val if len(x) > HDF5_OBJECT_HEADER_LIMIT]
        if too_big:
            raise RuntimeError(f"h5dict: {len(too_big)} entries of {attr!r} are larger than "
                               f"{HDF5_OBJECT_HEADER_LIMIT} bytes and cannot be saved in HDF5")
        if val and isinstance(val[0], str):
            val = [x.encode("utf-8") for x in val]
        data = np.asarray(val)
        chunks = 1
        while any(c.nbytes > HDF5_OBJECT_HEADER_LIMIT for c in np.array_split(data, chunks)):
            chunks += 1
        if chunks == 1:
            # As an `S` array, the form h5py 2 gave a list of bytes: h5py 3 would store
            # a list as variable-length strings and read it back as `str`.
            self.data.attrs[attr] = data
            return
        for i, chunk in enumerate(np.array_split(data, chunks)):
            self.data.attrs[f"{attr}{i}"] = chunk

    def __getitem__(self, attr: str | bytes) -> Any:
        """Reads `attr`; a missing key becomes a new, empty group.

        Lists come back as 2.2.4 gave them: bytes when stored whole, decoded
        strings when stored in chunks.

        # Raises
            ValueError: for a missing key in read mode.
        """
        if isinstance(self.data, dict):
            if isinstance(attr, bytes):
                attr = attr.decode("utf-8")
            if attr in self.data:
                val = self.data[attr]
                if isinstance(val, dict) and val.get("_is_group"):
                    return H5Dict(val)
                if f"_{attr}_pickled" in self.data:
                    return pickle.loads(val)
                return val
            return H5Dict(self._new_group(attr))
        if attr in self.data.attrs:
            val = self.data.attrs[attr]
            # h5py gives string lists as object arrays (fixed-length ones as `S`
            # arrays); 2.2.4 handed either back as a Python list.
            if isinstance(val, np.ndarray) and (val.dtype.type == np.bytes_ or
                                                h5py.check_string_dtype(val.dtype)):
                return val.tolist()
            return val
        if attr in self.data:
            val = self.data[attr]
            return np.asarray(val) if isinstance(val, h5py.Dataset) else H5Dict(val)
        if f"{attr}0" in self.data.attrs:
            values, i = [], 0
            while f"{attr}{i}" in self.data.attrs:
                values.extend(x.decode("utf8") for x in self.data.attrs[f"{attr}{i}"])
                i += 1
            return values
        return H5Dict(self._new_group(attr))

    def _new_group(self, attr: str) -> h5py.Group | dict:
        if self.read_only:
            raise ValueError(f"h5dict: no key {attr!r}, and a group cannot be created in "
                             f"read-only mode")
        if isinstance(self.data, dict):
            group: dict = {"_is_group": True}
            self.data[attr] = group
            return group
        return self.data.create_group(attr)

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self) -> Iterator:
        return iter(self.data)

    def iter(self) -> Iterator:
        """The keys, as `iter(self)` (2.2.4 had both)."""
        return iter(self.data)

    def __contains__(self, key: Any) -> bool:
        if isinstance(self.data, dict):
            return key in self.data
        return key in self.data or key in self.data.attrs

    def __getattr__(self, attr: str) -> Any:
        # Anything else (`attrs`, `keys`, `create_dataset`...) is the underlying
        # object's; a method that returns an object of the same kind gives an H5Dict.
        if attr.startswith("__") or attr == "data":
            raise AttributeError(attr)
        value = getattr(self.data, attr)
        if not callable(value):
            return value

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            out = value(*args, **kwargs)
            return H5Dict(out) if isinstance(self.data, type(out)) else out
        return wrapped

    def get(self, key: str, default: Any = None) -> Any:
        """`self[key]` when present, else `default` (no group is created)."""
        return self[key] if key in self else default

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Sets every item of a mapping (or of keyword arguments), as `dict.update`."""
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def close(self) -> None:
        """Flushes an HDF5 group, and closes the file when this object opened it."""
        if isinstance(self.data, h5py.Group):
            self.data.file.flush()
            if self._is_file:
                self.data.close()


h5dict = H5Dict


__all__ = ["H5Dict", "HDF5Matrix", "ask_to_proceed_with_overwrite", "h5dict"]
