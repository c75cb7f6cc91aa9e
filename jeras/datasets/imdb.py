"""IMDB movie review sentiment, from the Keras cache file `imdb.npz`."""
from __future__ import annotations

import json

import numpy as np

from jeras.datasets._cache import check_kwargs, cut_words, dataset_file, object_array, shift_words

ORIGIN = "https://s3.amazonaws.com/text-datasets/imdb.npz"
FILE_HASH = "599dadb1135973df5b59232a0e9a887c"
INDEX_ORIGIN = "https://s3.amazonaws.com/text-datasets/imdb_word_index.json"
INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(path: str = "imdb.npz", num_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, seed: int = 113, start_char: int | None = 1,
              oov_char: int | None = 2, index_from: int = 3, **kwargs) -> tuple:
    """Loads the IMDB reviews as lists of word indices (by frequency rank).

    Train and test are shuffled with `seed` in Keras 2's order, so the same
    seed gives the same samples as Keras 2.

    # Arguments
        path: file name in the Keras cache (`datasets` subfolder).
        num_words: keep the `num_words` most frequent words; the rest become `oov_char`.
        skip_top: the most frequent words to treat as out of vocabulary.
        maxlen: drop sequences of `maxlen` words or more (after the start mark).
        seed: seed of the shuffle.
        start_char: index marking the start of each sequence (None for none).
        oov_char: index of cut words (None drops them).
        index_from: the offset added to every word index.

    # Returns
        `(x_train, y_train), (x_test, y_test)`: object arrays of lists, and labels.

    # Raises
        ValueError: when `maxlen` keeps no sequence.
        OSError: when the file is absent and cannot be downloaded.
    """
    num_words = check_kwargs(kwargs, num_words, "imdb")
    path = dataset_file(path, ORIGIN, FILE_HASH)
    with np.load(path, allow_pickle=True) as f:
        x_train, y_train, x_test, y_test = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
    rng = np.random.RandomState(seed)
    order = np.arange(len(x_train))
    rng.shuffle(order)
    x_train, y_train = x_train[order], y_train[order]
    order = np.arange(len(x_test))
    rng.shuffle(order)
    x_test, y_test = x_test[order], y_test[order]
    xs = shift_words(list(x_train) + list(x_test), start_char, index_from)
    labels = list(y_train) + list(y_test)
    is_train = [True] * len(x_train) + [False] * len(x_test)
    if maxlen:
        kept = [i for i, x in enumerate(xs) if len(x) < maxlen]
        if not kept:
            raise ValueError(f"imdb.load_data: after dropping sequences of maxlen={maxlen} "
                             f"words or more, none is left; increase maxlen")
        xs, labels, is_train = ([xs[i] for i in kept], [labels[i] for i in kept],
                                [is_train[i] for i in kept])
    xs = cut_words(xs, num_words, skip_top, oov_char)
    train = [i for i, t in enumerate(is_train) if t]
    test = [i for i, t in enumerate(is_train) if not t]
    return ((object_array([xs[i] for i in train]), np.asarray([labels[i] for i in train])),
            (object_array([xs[i] for i in test]), np.asarray([labels[i] for i in test])))


def get_word_index(path: str = "imdb_word_index.json") -> dict:
    """Returns the dict from word to index (before `index_from` is added).

    # Raises
        OSError: when the file is absent and cannot be downloaded.
    """
    with open(dataset_file(path, INDEX_ORIGIN, INDEX_HASH), encoding="utf-8") as f:
        return json.load(f)
