"""Sequence preprocessing of Keras 2 (keras_preprocessing 1.0.5).

`pad_sequences`, the word2vec helpers `make_sampling_table` and
`skipgrams`, and `TimeseriesGenerator`, a `Sequence` of windows over a
time series.
"""
from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from jeras.utils.data_utils import Sequence as DataSequence


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


def make_sampling_table(size: int, sampling_factor: float = 1e-5) -> np.ndarray:
    """The word2vec probability of keeping a word, by its frequency rank, for `skipgrams`.

    Word frequencies are taken to follow Zipf's law, so the frequency of the
    word of rank `r` is about `1 / (r * (log(r) + gamma) + 1/2 - 1/(12 * r))`
    (`gamma = 0.577`), and word2vec keeps a word of frequency `f` with
    probability `min(1, sqrt(sampling_factor / f))`. Rank 0 (not a word)
    is given rank 1's probability.

    # Arguments
        size: number of words (ranks `0 .. size - 1`).
        sampling_factor: word2vec's sampling factor.

    # Returns
        A float array of shape `(size,)`: entry `i` is the probability of
        keeping the `i`-th most frequent word.
    """
    gamma = 0.577
    rank = np.arange(size, dtype="float64")
    if size:
        rank[0] = 1.0
    inv_fq = rank * (np.log(rank) + gamma) + 0.5 - 1.0 / (12.0 * rank)
    return np.minimum(1.0, np.sqrt(sampling_factor * inv_fq))


def skipgrams(sequence: Sequence[int], vocabulary_size: int, window_size: int = 4,
              negative_samples: float = 1.0, shuffle: bool = True, categorical: bool = False,
              sampling_table: Sequence[float] | None = None,
              seed: int | None = None) -> tuple[list[list[int]], list]:
    """Skip-gram word pairs of a sequence of word indices, with labels.

    Each word `w_i` pairs with every word of its window
    `sequence[i - window_size : i + window_size + 1]` (itself excluded) as a
    positive couple, label 1; then `int(positives * negative_samples)`
    negative couples, label 0, pair the first words of positive couples
    (in random order) with random indices in `[1, vocabulary_size)`.
    Index 0 is not a word and is skipped. Randomness comes from Python's
    `random` module, as in Keras 2.

    # Arguments
        sequence: word indices (integers).
        vocabulary_size: the largest word index + 1.
        window_size: half the window's width.
        negative_samples: negative couples per positive one (0 for none).
        shuffle: shuffle the couples (and their labels alike).
        categorical: labels `[0, 1]` (positive) and `[1, 0]` (negative)
            instead of 1 and 0.
        sampling_table: `sampling_table[w]` is the probability of using
            word `w` as a centre word (see `make_sampling_table`).
        seed: seed of the shuffle.

    # Returns
        `(couples, labels)`: lists of `[word, context]` pairs and their labels.
    """
    couples: list[list[int]] = []
    labels: list = []
    for i, wi in enumerate(sequence):
        if not wi:
            continue
        if sampling_table is not None and sampling_table[wi] < random.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j == i or not sequence[j]:
                continue
            couples.append([wi, sequence[j]])
            labels.append([0, 1] if categorical else 1)
    if negative_samples > 0:
        count = int(len(labels) * negative_samples)
        words = [c[0] for c in couples]
        random.shuffle(words)
        couples += [[words[k % len(words)], random.randint(1, vocabulary_size - 1)]
                    for k in range(count)]
        labels += ([[1, 0]] if categorical else [0]) * count
    if shuffle:
        if seed is None:
            seed = random.randint(0, 10_000_000)
        # One seed for both shuffles keeps each couple with its label.
        random.Random(seed).shuffle(couples)
        random.Random(seed).shuffle(labels)
    return couples, labels


def _remove_long_seq(maxlen: int, seq: list, label: list) -> tuple[list, list]:
    """Keeps the sequences shorter than `maxlen`, with their labels (Keras 2's helper)."""
    kept = [(x, y) for x, y in zip(seq, label) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


class TimeseriesGenerator(DataSequence):
    """Batches of windows over a time series, with the target that follows each window.

    The sample ending before step `i` is
    `data[i - length], data[i - length + sampling_rate], ..., ` up to
    `data[i - 1]`, and its target is `targets[i]`. Steps `i` run from
    `start_index + length` to `end_index`, `stride` apart.

    # Arguments
        data: array (or indexable) of time steps on axis 0.
        targets: the targets of the steps, as long as `data`.
        length: the window's length in time steps.
        sampling_rate: the period between the steps taken in a window.
        stride: the period between successive windows.
        start_index: steps before it are not used.
        end_index: steps after it are not used; default the last step.
        shuffle: draw the windows of each batch at random (with
            replacement, `batch_size` of them) instead of in order.
        reverse: the steps of each window in reverse order.
        batch_size: windows per batch (the last batch may have fewer).

    # Raises
        ValueError: for `data` and `targets` of different lengths, or when
            `start_index + length > end_index`.

    # Example
    ```python
    data = np.arange(50).reshape(50, 1)
    gen = TimeseriesGenerator(data, data, length=10, sampling_rate=2, batch_size=2)
    x, y = gen[0]   # x: [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]] (each as a column); y: [[10], [11]]
    ```
    """

    def __init__(self, data: Any, targets: Any, length: int, sampling_rate: int = 1,
                 stride: int = 1, start_index: int = 0, end_index: int | None = None,
                 shuffle: bool = False, reverse: bool = False, batch_size: int = 128):
        if len(data) != len(targets):
            raise ValueError(f"Data and targets have to be of same length. Data length is "
                             f"{len(data)} while target length is {len(targets)}")
        self.data = np.asarray(data)
        self.targets = np.asarray(targets)
        self.length = length
        self.sampling_rate = sampling_rate
        self.stride = stride
        self.start_index = start_index + length
        self.end_index = len(data) - 1 if end_index is None else end_index
        self.shuffle = shuffle
        self.reverse = reverse
        self.batch_size = batch_size
        if self.start_index > self.end_index:
            raise ValueError(f"`start_index+length={self.start_index} > "
                             f"end_index={self.end_index}` is disallowed, as no part of the "
                             f"sequence would be left to be used as current step.")

    def __len__(self) -> int:
        span = self.batch_size * self.stride
        return (self.end_index - self.start_index + span) // span

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if self.shuffle:
            rows = np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        else:
            first = self.start_index + self.batch_size * self.stride * index
            rows = np.arange(first, min(first + self.batch_size * self.stride,
                                        self.end_index + 1), self.stride)
        samples = np.stack([self.data[row - self.length:row:self.sampling_rate]
                            for row in rows]) if len(rows) else \
            np.empty((0, len(range(0, self.length, self.sampling_rate))) + self.data.shape[1:],
                     self.data.dtype)
        targets = self.targets[rows]
        if self.reverse:
            return samples[:, ::-1, ...], targets
        return samples, targets

    def get_config(self) -> dict:
        """The generator's arguments, `data` and `targets` as JSON strings.

        # Raises
            TypeError: when `data` or `targets` cannot be written as JSON.
        """
        def dump(name: str, value: np.ndarray) -> str:
            try:
                return json.dumps(value.tolist())
            except TypeError as e:
                raise TypeError(f"TimeseriesGenerator: {name} is not JSON serializable") from e
        return {"data": dump("data", self.data), "targets": dump("targets", self.targets),
                "length": self.length, "sampling_rate": self.sampling_rate,
                "stride": self.stride, "start_index": self.start_index - self.length,
                "end_index": self.end_index, "shuffle": self.shuffle, "reverse": self.reverse,
                "batch_size": self.batch_size}

    def to_json(self, **kwargs: Any) -> str:
        """The generator as a JSON string, read back by `timeseries_generator_from_json`.

        # Arguments
            **kwargs: passed to `json.dumps`.
        """
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()},
                          **kwargs)


def timeseries_generator_from_json(json_string: str) -> TimeseriesGenerator:
    """The `TimeseriesGenerator` that `TimeseriesGenerator.to_json` wrote."""
    config = dict(json.loads(json_string)["config"])
    config["data"] = json.loads(config["data"])
    config["targets"] = json.loads(config["targets"])
    return TimeseriesGenerator(**config)


__all__ = ["TimeseriesGenerator", "make_sampling_table", "pad_sequences", "skipgrams",
           "timeseries_generator_from_json"]
