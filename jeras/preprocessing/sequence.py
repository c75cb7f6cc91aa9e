"""Sequence preprocessing of Keras 2: `pad_sequences`."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np


def pad_sequences(sequences: Sequence[Iterable], maxlen: int | None = None, dtype: Any = "int32",
                  padding: str = "pre", truncating: str = "pre",
                  value: Any = 0.0) -> np.ndarray:
    """Pads (or cuts) sequences to one length, giving a `(samples, maxlen, ...)` array.

    # Arguments
        sequences: list of sequences (lists of ints, or of equally shaped arrays).
        maxlen: the length; default the longest sequence's.
        dtype: dtype of the result (a string dtype such as `object` or `str`
            needs a string `value`).
        padding: `'pre'` or `'post'`: pad before or after each sequence.
        truncating: `'pre'` or `'post'`: drop values from the start or the end
            of sequences longer than `maxlen`.
        value: the padding value.

    # Returns
        A numpy array of shape `(len(sequences), maxlen) + item_shape`.

    # Raises
        ValueError: for a non-iterable entry, an unknown `padding` or
            `truncating`, items of differing shapes, or a numeric `value`
            with a string `dtype`.
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("pad_sequences: `sequences` must be iterable.")
    lengths = []
    for x in sequences:
        if not hasattr(x, "__len__"):
            raise ValueError(f"pad_sequences: `sequences` must be a list of iterables; found "
                             f"non-iterable {x!r}")
        lengths.append(len(x))
    if padding not in ("pre", "post"):
        raise ValueError(f"pad_sequences: `padding` must be 'pre' or 'post', got {padding!r}")
    if truncating not in ("pre", "post"):
        raise ValueError(f"pad_sequences: `truncating` must be 'pre' or 'post', got "
                         f"{truncating!r}")
    if maxlen is None:
        maxlen = max(lengths) if lengths else 0
    sample_shape: tuple = ()
    for s in sequences:
        if len(s):
            sample_shape = np.asarray(s).shape[1:]
            break
    is_str = np.issubdtype(np.dtype(dtype), np.str_) or np.dtype(dtype) == object
    if isinstance(value, str) and not is_str:
        raise ValueError(f"pad_sequences: `dtype` {dtype} is not compatible with `value`'s type "
                         f"{type(value)}; use dtype=object for strings")
    x = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    for idx, s in enumerate(sequences):
        if not len(s) or not maxlen:
            continue
        trunc = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
        if trunc.shape[1:] != sample_shape:
            raise ValueError(f"pad_sequences: items of sequence {idx} have shape "
                             f"{trunc.shape[1:]}, expected {sample_shape} as in the first "
                             f"non-empty sequence")
        if padding == "post":
            x[idx, :len(trunc)] = trunc
        else:
            x[idx, -len(trunc):] = trunc
    return x


def _remove_long_seq(maxlen: int, seq: list, label: list) -> tuple[list, list]:
    """Keeps the sequences shorter than `maxlen`, with their labels (Keras 2's helper)."""
    kept = [(x, y) for x, y in zip(seq, label) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


__all__ = ["pad_sequences"]
