"""Text preprocessing of Keras 2 (keras_preprocessing 1.0.5).

`Tokenizer`, `text_to_word_sequence`, `one_hot`, `hashing_trick`, and
`tokenizer_from_json` to read back `Tokenizer.to_json`.
"""
from __future__ import annotations

import hashlib
import json
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(text: str, filters: str = FILTERS, lower: bool = True,
                          split: str = " ") -> list[str]:
    """Splits a text into words: lower-cased, the `filters` characters made separators.

    # Returns
        The list of non-empty words.
    """
    if lower:
        text = text.lower()
    text = text.translate(str.maketrans({c: split for c in filters}))
    return [w for w in text.split(split) if w]


def hashing_trick(text: str, n: int, hash_function: Callable | str | None = None,
                  filters: str = FILTERS, lower: bool = True, split: str = " ") -> list[int]:
    """Maps each word to `hash(word) % (n - 1) + 1` (0 stays free for padding).

    # Arguments
        hash_function: a function of a string, `'md5'` (stable across runs),
            or None for Python's `hash` (salted per process unless
            `PYTHONHASHSEED` is set).
    """
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        def hash_function(w: str) -> int:
            return int(hashlib.md5(w.encode()).hexdigest(), 16)
    return [hash_function(w) % (n - 1) + 1
            for w in text_to_word_sequence(text, filters=filters, lower=lower, split=split)]


def one_hot(text: str, n: int, filters: str = FILTERS, lower: bool = True,
            split: str = " ") -> list[int]:
    """`hashing_trick` with Python's `hash`: word indices in `[1, n)`."""
    return hashing_trick(text, n, hash_function=hash, filters=filters, lower=lower, split=split)


class Tokenizer:
    """Turns texts into sequences of word indices, or into word-count matrices.

    Indices follow word frequency over the texts given to `fit_on_texts`
    (1 for the most frequent); 0 is never a word. With `oov_token`, that
    token takes index 1 and stands for unknown words.

    # Arguments
        num_words: keep only words of index below `num_words` when converting.
        filters: characters removed from texts.
        lower: lower-case texts first.
        split: the word separator.
        char_level: every character is a token.
        oov_token: the token for out-of-vocabulary words, or None to drop them.
        document_count: texts already seen (restoring a tokenizer).
    """

    def __init__(self, num_words: int | None = None, filters: str = FILTERS, lower: bool = True,
                 split: str = " ", char_level: bool = False, oov_token: str | None = None,
                 document_count: int = 0, **kwargs: Any):
        if "nb_words" in kwargs:
            import warnings
            warnings.warn("The `nb_words` argument in `Tokenizer` has been renamed `num_words`.",
                          stacklevel=2)
            num_words = kwargs.pop("nb_words")
        if kwargs:
            raise TypeError(f"Tokenizer: unrecognized keyword arguments {sorted(kwargs)}")
        self.word_counts: OrderedDict[str, int] = OrderedDict()
        self.word_docs: defaultdict[str, int] = defaultdict(int)
        self.filters = filters
        self.split = split
        self.lower = lower
        self.num_words = num_words
        self.document_count = document_count
        self.char_level = char_level
        self.oov_token = oov_token
        self.index_docs: defaultdict[int, int] = defaultdict(int)
        self.word_index: dict[str, int] = {}
        self.index_word: dict[int, str] = {}

    def _tokens(self, text: Any) -> list:
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [t.lower() for t in text] if isinstance(text, list) else text.lower()
            return list(text)
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts: Iterable[Any]) -> None:
        """Counts the words of `texts` (strings, or lists of tokens) and ranks them."""
        for text in texts:
            self.document_count += 1
            seq = self._tokens(text)
            for w in seq:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
            for w in set(seq):
                self.word_docs[w] += 1
        # A stable sort by count: ties keep first-seen order, as in Keras 2.
        ranked = sorted(self.word_counts.items(), key=lambda wc: wc[1], reverse=True)
        vocabulary = ([] if self.oov_token is None else [self.oov_token]) + [w for w, _ in ranked]
        self.word_index = {w: i for i, w in enumerate(vocabulary, start=1)}
        self.index_word = {i: w for w, i in self.word_index.items()}
        for w, c in self.word_docs.items():
            self.index_docs[self.word_index[w]] = c

    def fit_on_sequences(self, sequences: Iterable[Iterable[int]]) -> None:
        """Counts in how many sequences each index occurs (for `'tfidf'` matrices)."""
        self.document_count += len(sequences)
        for seq in sequences:
            for i in set(seq):
                self.index_docs[i] += 1

    def texts_to_sequences(self, texts: Iterable[Any]) -> list[list[int]]:
        """Returns each text as its list of word indices."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts: Iterable[Any]) -> Iterator[list[int]]:
        """Yields each text as its list of word indices.

        Words unknown or of index `>= num_words` become the `oov_token`'s
        index, or are dropped without one.
        """
        oov_index = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        for text in texts:
            vect = []
            for w in self._tokens(text):
                i = self.word_index.get(w)
                if i is not None and not (self.num_words and i >= self.num_words):
                    vect.append(i)
                elif oov_index is not None:
                    vect.append(oov_index)
            yield vect

    def sequences_to_texts(self, sequences: Iterable[Iterable[int]]) -> list[str]:
        """Returns each sequence of indices as a text (words joined by spaces)."""
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences: Iterable[Iterable[int]]) -> Iterator[str]:
        """Yields each sequence of indices as a text (words joined by spaces).

        Indices unknown or `>= num_words` become the `oov_token`, or are
        dropped without one.
        """
        oov_word = self.oov_token
        for seq in sequences:
            words = []
            for i in seq:
                w = self.index_word.get(i)
                if w is not None and not (self.num_words and i >= self.num_words):
                    words.append(w)
                elif oov_word is not None:
                    words.append(oov_word)
            yield " ".join(words)

    def texts_to_matrix(self, texts: Iterable[Any], mode: str = "binary") -> np.ndarray:
        """`sequences_to_matrix(texts_to_sequences(texts), mode)`."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences: Iterable[Iterable[int]],
                            mode: str = "binary") -> np.ndarray:
        """Returns a `(len(sequences), num_words)` matrix of word presence, counts or weights.

        # Arguments
            mode: `'binary'` (1 where the word occurs), `'count'`, `'freq'`
                (count over the sequence's length) or `'tfidf'`
                (`(1 + log(count)) * log(1 + docs / (1 + docs_with_word))`).

        # Raises
            ValueError: for another mode, without `num_words` on an unfitted
                tokenizer, or for `'tfidf'` before fitting.
        """
        if mode not in ("binary", "count", "freq", "tfidf"):
            raise ValueError(f"Tokenizer: unknown vectorization mode {mode!r}; expected "
                             f"'binary', 'count', 'freq' or 'tfidf'")
        if self.num_words:
            num_words = self.num_words
        elif self.word_index:
            num_words = len(self.word_index) + 1
        else:
            raise ValueError("Tokenizer: specify a dimension (`num_words` argument), or fit on "
                             "some text data first.")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Tokenizer: fit the Tokenizer on some data before using tfidf mode.")
        x = np.zeros((len(sequences), num_words))
        for i, seq in enumerate(sequences):
            if not seq:
                continue
            counts: defaultdict[int, int] = defaultdict(int)
            for j in seq:
                if j < num_words:
                    counts[j] += 1
            for j, c in counts.items():
                if mode == "count":
                    x[i, j] = c
                elif mode == "freq":
                    x[i, j] = c / len(seq)
                elif mode == "binary":
                    x[i, j] = 1
                else:
                    tf = 1 + np.log(c)
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(j, 0)))
                    x[i, j] = tf * idf
        return x

    def get_config(self) -> dict:
        """The tokenizer's arguments and state; its dictionaries as JSON strings."""
        return {"num_words": self.num_words, "filters": self.filters, "lower": self.lower,
                "split": self.split, "char_level": self.char_level,
                "oov_token": self.oov_token, "document_count": self.document_count,
                "word_counts": json.dumps(self.word_counts),
                "word_docs": json.dumps(self.word_docs),
                "index_docs": json.dumps(self.index_docs),
                "index_word": json.dumps(self.index_word),
                "word_index": json.dumps(self.word_index)}

    def to_json(self, **kwargs: Any) -> str:
        """The tokenizer as a JSON string, read back by `tokenizer_from_json`.

        # Arguments
            **kwargs: passed to `json.dumps`.
        """
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()},
                          **kwargs)


def tokenizer_from_json(json_string: str) -> Tokenizer:
    """The `Tokenizer` that `Tokenizer.to_json` wrote, vocabulary and counts included.

    JSON object keys are strings, so the integer keys of `index_docs` and
    `index_word` are turned back into integers.
    """
    config = dict(json.loads(json_string)["config"])
    state = {k: json.loads(config.pop(k)) for k in
             ("word_counts", "word_docs", "index_docs", "index_word", "word_index")}
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = OrderedDict(state["word_counts"])
    tokenizer.word_docs = defaultdict(int, state["word_docs"])
    tokenizer.index_docs = defaultdict(int, {int(k): v for k, v in state["index_docs"].items()})
    tokenizer.index_word = {int(k): v for k, v in state["index_word"].items()}
    tokenizer.word_index = state["word_index"]
    return tokenizer


__all__ = ["Tokenizer", "hashing_trick", "one_hot", "text_to_word_sequence",
           "tokenizer_from_json"]
