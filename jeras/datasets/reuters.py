"""Reuters newswire topics, from the Keras cache file `reuters.npz`."""
from __future__ import annotations

import json

import numpy as np

from jeras.datasets._cache import check_kwargs, cut_words, dataset_file, object_array, shift_words

ORIGIN = "https://s3.amazonaws.com/text-datasets/reuters.npz"
FILE_HASH = "87aedbeb0cb229e378797a632c1997b6"
INDEX_ORIGIN = "https://s3.amazonaws.com/text-datasets/reuters_word_index.json"
INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"


def load_data(path: str = "reuters.npz", num_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, test_split: float = 0.2, seed: int = 113,
              start_char: int | None = 1, oov_char: int | None = 2, index_from: int = 3,
              **kwargs) -> tuple:
    """Loads the Reuters newswires as lists of word indices, with 46 topic labels.

    # Arguments
        path: file name in the Keras cache (`datasets` subfolder).
        num_words, skip_top, maxlen, seed, start_char, oov_char, index_from:
            as for `imdb.load_data`.
        test_split: fraction of the (shuffled) samples held out as the test set.

    # Returns
        `(x_train, y_train), (x_test, y_test)`.

    # Raises
        OSError: when the file is absent and cannot be downloaded.
    """
    num_words = check_kwargs(kwargs, num_words, "reuters")
    path = dataset_file(path, ORIGIN, FILE_HASH)
    with np.load(path, allow_pickle=True) as f:
        xs, labels = f["x"], f["y"]
    order = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(order)
    xs, labels = xs[order], labels[order]
    xs = shift_words(list(xs), start_char, index_from)
    labels = list(labels)
    if maxlen:
        kept = [i for i, x in enumerate(xs) if len(x) < maxlen]
        xs, labels = [xs[i] for i in kept], [labels[i] for i in kept]
    xs = cut_words(xs, num_words, skip_top, oov_char)
    split = int(len(xs) * (1 - test_split))
    return ((object_array(xs[:split]), np.asarray(labels[:split])),
            (object_array(xs[split:]), np.asarray(labels[split:])))


def get_word_index(path: str = "reuters_word_index.json") -> dict:
    """Returns the dict from word to index (before `index_from` is added).

    # Raises
        OSError: when the file is absent and cannot be downloaded.
    """
    with open(dataset_file(path, INDEX_ORIGIN, INDEX_HASH), encoding="utf-8") as f:
        return json.load(f)
