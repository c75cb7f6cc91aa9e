"""Where the Keras 2 data sets live: the Keras cache, under Keras 2's own file names."""
from __future__ import annotations

import os

import numpy as np

from jeras.utils.data_utils import cache_root, get_file


def dataset_file(fname: str, origin: str, file_hash: str | None = None,
                 cache_subdir: str = "datasets", untar: bool = False) -> str:
    """Returns the path of a data set file in the Keras cache, downloading it when absent.

    A file already in the cache is read as it is, without checking its hash,
    so a copy placed by hand (a mirror, or a smaller file in the same format)
    works offline; a file jeras downloads is checked against `file_hash`.

    # Arguments
        fname: the file name Keras 2 uses (the `path=` argument of `load_data`;
            an absolute path is used as it is).
        origin: the URL Keras 2 downloads it from.
        file_hash: the hash Keras 2 checks.
        cache_subdir: the folder under the cache root.
        untar: `fname` is the folder extracted from `fname + '.tar.gz'`.

    # Raises
        OSError: when the file is absent and cannot be downloaded; the
            message names the file to put where.
    """
    local = os.path.join(cache_root(), cache_subdir, fname)
    if os.path.exists(local):
        return local
    return get_file(fname, origin, untar=untar, file_hash=file_hash, cache_subdir=cache_subdir)


def object_array(rows: list) -> np.ndarray:
    """A 1-D object array of lists (sequences of different lengths), as Keras 2 returns."""
    out = np.empty(len(rows), dtype=object)
    out[:] = [list(r) for r in rows]
    return out


def shift_words(xs: list, start_char: int | None, index_from: int) -> list:
    """Keras 2's word indices: every index plus `index_from`, after a `start_char` mark."""
    head = [] if start_char is None else [start_char]
    return [head + [int(w) + index_from for w in x] for x in xs]


def cut_words(xs: list, num_words: int | None, skip_top: int, oov_char: int | None) -> list:
    """Keras 2's vocabulary cut: words outside `[skip_top, num_words)` become `oov_char`.

    They are dropped when `oov_char` is None. Without `num_words`, the limit
    is the largest index, excluded as in Keras 2.
    """
    if not num_words:
        num_words = max(max(x) for x in xs if len(x))
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def check_kwargs(kwargs: dict, num_words: int | None, owner: str) -> int | None:
    """Keras 2's legacy `nb_words` spelling of `num_words`; other unknown kwargs fail."""
    if "nb_words" in kwargs:
        import warnings
        warnings.warn("The `nb_words` argument in `load_data` has been renamed `num_words`.",
                      stacklevel=3)
        num_words = kwargs.pop("nb_words")
    if kwargs:
        raise TypeError(f"{owner}.load_data: unrecognized keyword arguments {sorted(kwargs)}")
    return num_words
