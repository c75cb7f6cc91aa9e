"""jeras.preprocessing (sequence, text, image) against Keras 2.2.4's results, each checked
with an independent numpy computation or a count made by hand."""
import hashlib
import json
import os
import random
from collections import Counter

import numpy as np
import pytest

from jeras.preprocessing import image, sequence, text
from jeras.preprocessing.image import ImageDataGenerator, array_to_img, save_img
from jeras.preprocessing.sequence import (
    TimeseriesGenerator,
    make_sampling_table,
    pad_sequences,
    skipgrams,
)
from jeras.preprocessing.text import Tokenizer, hashing_trick, text_to_word_sequence
from jeras.utils.data_utils import Sequence

# Sequences.


def test_pad_sequences():
    seqs = [[1, 2, 3], [4], []]
    assert pad_sequences(seqs).tolist() == [[1, 2, 3], [0, 0, 4], [0, 0, 0]]
    assert pad_sequences(seqs, maxlen=2, padding="post", truncating="post").tolist() == \
        [[1, 2], [4, 0], [0, 0]]
    assert pad_sequences(seqs, maxlen=2).tolist() == [[2, 3], [0, 4], [0, 0]]
    assert pad_sequences([[1.5]], maxlen=2, dtype="float32", value=-1.0).tolist() == [[-1, 1.5]]
    assert pad_sequences([[[1, 2]], [[3, 4], [5, 6]]]).shape == (2, 2, 2)
    assert pad_sequences([["a"], ["b", "c"]], dtype=object, value="").tolist() == \
        [["", "a"], ["b", "c"]]
    with pytest.raises(ValueError, match="`padding` must be 'pre' or 'post'"):
        pad_sequences(seqs, padding="middle")
    with pytest.raises(ValueError, match="non-iterable 5"):
        pad_sequences([[1], 5])
    with pytest.raises(ValueError, match="not compatible"):
        pad_sequences([[1]], value="x")


def test_remove_long_seq_keeps_shorter_sequences_with_their_labels():
    kept = sequence._remove_long_seq(3, [[1], [1, 2, 3], [1, 2], [5, 6, 7, 8]], "abcd")
    assert kept == ([[1], [1, 2]], ["a", "c"])


def test_make_sampling_table_is_the_word2vec_formula_under_zipf():
    size, factor = 50, 1e-4
    table = make_sampling_table(size, sampling_factor=factor)
    for rank in range(1, size):
        frequency = 1 / (rank * (np.log(rank) + 0.577) + 0.5 - 1 / (12 * rank))
        assert table[rank] == pytest.approx(min(1.0, np.sqrt(factor / frequency)))
    assert table[0] == table[1]  # rank 0 is not a word; it is given rank 1's value
    # Keras 2.2.4's own test values.
    np.testing.assert_allclose(make_sampling_table(3), [0.00315225, 0.00315225, 0.00547597],
                               rtol=1e-5)


def test_skipgrams_pairs_counted_by_hand():
    # Window 1 around each non-zero word; index 0 is never a word.
    couples, labels = skipgrams([1, 2, 3, 0, 4], vocabulary_size=5, window_size=1,
                                negative_samples=0, shuffle=False)
    assert couples == [[1, 2], [2, 1], [2, 3], [3, 2]]
    assert labels == [1, 1, 1, 1]
    couples, labels = skipgrams([1, 2, 3], vocabulary_size=4, window_size=4,
                                negative_samples=0, shuffle=False, categorical=True)
    assert sorted(map(tuple, couples)) == [(a, b) for a in (1, 2, 3) for b in (1, 2, 3)
                                           if a != b]
    assert labels == [[0, 1]] * 6


def test_skipgrams_negative_samples_and_shuffle():
    seq = [1, 2, 3, 0, 4]
    positives = [[1, 2], [2, 1], [2, 3], [3, 2]]
    couples, labels = skipgrams(seq, vocabulary_size=9, window_size=1, negative_samples=2.0,
                                seed=7)
    assert len(couples) == len(labels) == 4 + 8
    assert sorted(c for c, label in zip(couples, labels) if label == 1) == sorted(positives)
    negatives = [c for c, label in zip(couples, labels) if label == 0]
    assert len(negatives) == 8
    assert all(c[0] in (1, 2, 3) and 1 <= c[1] < 9 for c in negatives)
    # The shuffle keeps every label with its couple and is repeatable with a seed.
    random.seed(0)
    again = skipgrams(seq, vocabulary_size=9, window_size=1, negative_samples=2.0, seed=7)
    random.seed(0)
    assert again == skipgrams(seq, vocabulary_size=9, window_size=1, negative_samples=2.0,
                              seed=7)


def test_skipgrams_sampling_table_decides_the_centre_words():
    seq = [1, 2, 3, 1]
    assert skipgrams(seq, 4, negative_samples=0, sampling_table=np.zeros(4)) == ([], [])
    kept, _ = skipgrams(seq, 4, negative_samples=0, shuffle=False, sampling_table=np.ones(4))
    assert kept == skipgrams(seq, 4, negative_samples=0, shuffle=False)[0]


def test_timeseries_generator_windows_are_slices_of_the_data():
    rng = np.random.RandomState(0)
    data, targets = rng.rand(50, 3), np.arange(50) * 10
    gen = TimeseriesGenerator(data, targets, length=6, sampling_rate=2, stride=3,
                              start_index=4, end_index=40, batch_size=4)
    assert isinstance(gen, Sequence)
    rows = list(range(4 + 6, 40 + 1, 3))
    assert len(gen) == -(-len(rows) // 4)
    for b in range(len(gen)):
        x, y = gen[b]
        batch_rows = rows[4 * b:4 * b + 4]
        np.testing.assert_array_equal(x, np.stack([data[r - 6:r:2] for r in batch_rows]))
        np.testing.assert_array_equal(y, targets[batch_rows])
    reverse = TimeseriesGenerator(data, targets, length=6, sampling_rate=2, reverse=True,
                                  batch_size=4)
    np.testing.assert_array_equal(reverse[0][0], np.stack([data[r - 6:r:2][::-1]
                                                           for r in range(6, 10)]))
    np.random.seed(1)
    x, y = TimeseriesGenerator(data, targets, length=5, shuffle=True, batch_size=8)[0]
    assert x.shape == (8, 5, 3)
    for sample, target in zip(x, y):
        row = target // 10
        assert 5 <= row <= 49
        np.testing.assert_array_equal(sample, data[row - 5:row])


def test_timeseries_generator_covers_every_step_and_round_trips_json():
    x = np.arange(23).reshape(23, 1)
    for length, stride, batch in ((3, 1, 6), (4, 5, 6), (7, 3, 5)):
        gen = TimeseriesGenerator(x, x, length=length, stride=stride, batch_size=batch)
        ys = np.concatenate([gen[i][1] for i in range(len(gen))])[:, 0]
        assert ys.tolist() == list(range(length, 23, stride))
    gen = TimeseriesGenerator(x, x * 2, length=4, sampling_rate=2, start_index=3,
                              batch_size=3)
    back = sequence.timeseries_generator_from_json(gen.to_json())
    assert len(back) == len(gen)
    for a, b in zip(back[1], gen[1]):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"`start_index\+length=50 > end_index=22`"):
        TimeseriesGenerator(x, x, length=50)
    with pytest.raises(ValueError, match="same length"):
        TimeseriesGenerator(x, x[:5], length=2)


# Text.

TEXTS = ["The cat sat on the mat.", "The dog sat on the log!", "Dogs and cats, living together"]


def test_text_to_word_sequence_and_hashing():
    assert text_to_word_sequence("Hello, World!") == ["hello", "world"]
    assert text_to_word_sequence("Hello, World!", lower=False) == ["Hello", "World"]
    assert text_to_word_sequence("a-b c", filters="") == ["a-b", "c"]
    assert text_to_word_sequence("one,two;three", filters=";", split=",") == \
        ["one", "two", "three"]
    assert text_to_word_sequence("hello!stop?world!", split="stop") == ["hello", "world"]
    words = text_to_word_sequence(TEXTS[0])
    md5 = [int(hashlib.md5(w.encode()).hexdigest(), 16) % 6 + 1 for w in words]
    assert hashing_trick(TEXTS[0], 7, hash_function="md5") == md5
    assert hashing_trick(TEXTS[0], 7, hash_function=len) == [len(w) % 6 + 1 for w in words]
    encoded = text.one_hot(TEXTS[0], 5)
    assert len(encoded) == 6 and all(1 <= i < 5 for i in encoded)
    assert encoded[0] == encoded[4]  # "the" twice


def test_tokenizer_counts_and_ranks_words():
    tok = Tokenizer()
    tok.fit_on_texts(TEXTS)
    words = [text_to_word_sequence(t) for t in TEXTS]
    counts = Counter(w for ws in words for w in ws)
    assert dict(tok.word_counts) == dict(counts)
    assert dict(tok.word_docs) == dict(Counter(w for ws in words for w in set(ws)))
    assert tok.document_count == 3
    # By count, ties in first-seen order.
    first_seen = list(dict.fromkeys(w for ws in words for w in ws))
    ranked = sorted(first_seen, key=lambda w: -counts[w])
    assert tok.word_index == {w: i for i, w in enumerate(ranked, start=1)}
    assert tok.index_word == {i: w for i, w in enumerate(ranked, start=1)}
    assert tok.index_docs == {tok.word_index[w]: c for w, c in tok.word_docs.items()}
    tok.fit_on_texts([["The", "Cat"]])  # lists are token lists, lower-cased
    assert tok.document_count == 4 and tok.word_counts["cat"] == 2


def test_tokenizer_num_words_and_oov_token():
    tok = Tokenizer(num_words=4, oov_token="<unk>")
    tok.fit_on_texts(["The cat sat on the mat.", "The dog sat!", "a cat"])
    assert list(tok.word_index)[:4] == ["<unk>", "the", "cat", "sat"]
    assert tok.texts_to_sequences(["the cat and the mat sat"]) == [[2, 3, 1, 2, 1, 1]]
    assert tok.sequences_to_texts([[2, 3, 9, 5]]) == ["the cat <unk> <unk>"]
    plain = Tokenizer(num_words=4)
    plain.fit_on_texts(["The cat sat on the mat.", "The dog sat!", "a cat"])
    assert plain.texts_to_sequences(["the cat and the mat sat"]) == [[1, 2, 1, 3]]
    assert list(plain.texts_to_sequences_generator(["sat mat"])) == [[3]]
    chars = Tokenizer(char_level=True)
    chars.fit_on_texts(["abca"])
    assert chars.word_index == {"a": 1, "b": 2, "c": 3}


def test_texts_to_matrix_modes_against_counts():
    tok = Tokenizer(num_words=8)
    tok.fit_on_texts(TEXTS)
    queries = ["the cat and the cat", "dog log log unknown", ""]
    seqs = tok.texts_to_sequences(queries)
    n_docs = tok.document_count
    for mode in ("binary", "count", "freq", "tfidf"):
        got = tok.texts_to_matrix(queries, mode=mode)
        assert got.shape == (3, 8)
        want = np.zeros((3, 8))
        for row, seq in enumerate(seqs):
            for j, c in Counter(seq).items():
                want[row, j] = {"binary": 1, "count": c, "freq": c / len(seq),
                                "tfidf": (1 + np.log(c)) *
                                np.log(1 + n_docs / (1 + tok.index_docs[j]))}[mode]
        np.testing.assert_allclose(got, want, err_msg=mode)
    # Indices beyond num_words are left out, but count in the sequence's length.
    np.testing.assert_allclose(tok.sequences_to_matrix([[1, 1, 2, 12]], mode="freq")[0, :3],
                               [0, 0.5, 0.25])
    with pytest.raises(ValueError, match="unknown vectorization mode"):
        tok.texts_to_matrix(queries, mode="idf")


def test_fit_on_sequences_and_matrix_without_texts():
    tok = Tokenizer(num_words=5)
    with pytest.raises(ValueError, match="fit the Tokenizer"):
        tok.sequences_to_matrix([[1]], mode="tfidf")
    tok.fit_on_sequences([[1, 1, 2], [2, 3], [4]])
    assert tok.document_count == 3 and tok.index_docs == {1: 1, 2: 2, 3: 1, 4: 1}
    got = tok.sequences_to_matrix([[2, 2]], mode="tfidf")
    assert got[0, 2] == pytest.approx((1 + np.log(2)) * np.log(1 + 3 / 3))
    with pytest.raises(ValueError, match="fit on some text data first"):
        Tokenizer().texts_to_matrix(["x"])


def test_tokenizer_json_round_trip():
    tok = Tokenizer(num_words=6, oov_token="?", lower=False)
    tok.fit_on_texts(TEXTS)
    back = text.tokenizer_from_json(tok.to_json())
    assert back.get_config() == tok.get_config()
    assert back.index_word == tok.index_word and back.word_index == tok.word_index
    assert back.texts_to_sequences(TEXTS) == tok.texts_to_sequences(TEXTS)
    np.testing.assert_array_equal(back.texts_to_matrix(TEXTS, "tfidf"),
                                  tok.texts_to_matrix(TEXTS, "tfidf"))
    assert json.loads(tok.to_json())["class_name"] == "Tokenizer"


# Image transforms.

def _ramp(n: int, m: int) -> np.ndarray:
    """A linear image f(i, j) = i + 10 j, which linear interpolation reproduces exactly."""
    i, j = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    return (i + 10.0 * j)[..., None]


def test_rotation_by_90_degrees_is_rot90_about_keras_centre():
    n = 6
    a = np.random.RandomState(0).rand(n, n, 2)
    out = image.apply_affine_transform(a, theta=90)
    # Keras's centre is n/2 + 0.5, a pixel past the true one: output (i, j) reads input
    # (n + 1 - j, i), i.e. np.rot90(a, -1) moved 2 columns right, the rest filled 'nearest'.
    rotated = np.rot90(a, -1, axes=(0, 1))
    np.testing.assert_allclose(out[:, 2:], rotated[:, :-2], atol=1e-9)
    np.testing.assert_allclose(out[:, :2], np.repeat(rotated[:, :1], 2, axis=1), atol=1e-9)
    # Channels first, as the random_* functions take images by default.
    first = np.moveaxis(a, -1, 0)
    np.testing.assert_allclose(image.apply_affine_transform(first, theta=90, row_axis=1,
                                                            col_axis=2, channel_axis=0),
                               np.moveaxis(out, -1, 0), atol=1e-9)
    assert image.apply_affine_transform(a) is a


def test_random_transforms_draw_then_apply():
    x = np.random.RandomState(1).rand(2, 9, 9)  # channels first, as Keras's defaults
    np.random.seed(3)
    theta = np.random.uniform(-40, 40)
    np.random.seed(3)
    np.testing.assert_allclose(image.random_rotation(x, 40),
                               image.apply_affine_transform(x, theta=theta, row_axis=1,
                                                            col_axis=2, channel_axis=0))
    np.random.seed(4)
    tx, ty = np.random.uniform(-0.2, 0.2) * 9, np.random.uniform(-0.3, 0.3) * 9
    np.random.seed(4)
    np.testing.assert_allclose(image.random_shift(x, 0.3, 0.2),
                               image.apply_affine_transform(x, tx=tx, ty=ty, row_axis=1,
                                                            col_axis=2, channel_axis=0))
    np.random.seed(5)
    intensity = np.random.uniform(-0.5, 0.5)
    np.random.seed(5)
    np.testing.assert_allclose(image.random_channel_shift(x, 0.5),
                               np.clip(x + intensity, x.min(), x.max()))
    for fn, arg in ((image.random_shear, 20), (image.random_zoom, (0.5, 1.5))):
        assert fn(x, arg).shape == x.shape
    assert image.random_zoom(x, (1, 1)) is x
    with pytest.raises(ValueError, match="zoom_range"):
        image.random_zoom(x, (1, 2, 3))
    with pytest.raises(ValueError, match="brightness_range"):
        image.random_brightness(x, (1,))


def test_shift_zoom_and_shear_map_coordinates_as_keras_does():
    n, m = 12, 10
    ramp = _ramp(n, m)
    ci, cj = n / 2 + 0.5, m / 2 + 0.5  # Keras's centre
    f = ramp[..., 0]
    # A shift reads the input `tx` rows and `ty` columns further on.
    shifted = image.apply_affine_transform(ramp, tx=2, ty=-1)[..., 0]
    np.testing.assert_allclose(shifted[:-2, 1:], f[2:, :-1], atol=1e-9)
    # Zoom: output (i, j) reads input (zx (i - ci) + ci, zy (j - cj) + cj).
    i, j = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    zoomed = image.apply_affine_transform(ramp, zx=0.5, zy=0.8)[..., 0]
    np.testing.assert_allclose(zoomed, (0.5 * (i - ci) + ci) + 10 * (0.8 * (j - cj) + cj),
                               atol=1e-9)
    # Shear by s: input row = i - sin(s) (j - cj), input column = cos(s) (j - cj) + cj.
    s = np.deg2rad(10)
    sheared = image.apply_affine_transform(ramp, shear=10, fill_mode="constant", cval=-1)[..., 0]
    rows, cols = i - np.sin(s) * (j - cj), np.cos(s) * (j - cj) + cj
    inside = (rows >= 0) & (rows <= n - 1) & (cols >= 0) & (cols <= m - 1)
    np.testing.assert_allclose(sheared[inside], (rows + 10 * cols)[inside], atol=1e-9)
    # The centre matrix fixes Keras's centre point.
    rotation = np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]])
    moved = image.transform_matrix_offset_center(rotation, n, m) @ [ci, cj, 1]
    np.testing.assert_allclose(moved, [ci, cj, 1])


def test_flips_channel_and_brightness_shifts():
    x = np.random.RandomState(2).rand(4, 5, 3)
    np.testing.assert_array_equal(image.flip_axis(x, 1), x[:, ::-1])
    np.testing.assert_allclose(image.apply_channel_shift(x, 0.3, channel_axis=2),
                               np.clip(x + 0.3, x.min(), x.max()))
    pixels = np.random.RandomState(3).randint(0, 256, (4, 5, 3)).astype("float32")
    pixels[0, 0] = [0, 0, 255]  # full range, so array_to_img's scaling changes nothing
    np.testing.assert_array_equal(image.apply_brightness_shift(pixels, 1.0), pixels)
    np.testing.assert_array_equal(image.apply_brightness_shift(pixels, 0.0), 0 * pixels)
    np.random.seed(0)
    assert image.random_brightness(pixels, (0.2, 0.8)).max() < 255


def test_array_to_img_scales_as_keras():
    x = np.full((2, 2, 1), 100.0)
    x[0, 0] = 200.0  # no negative values: only divided by the maximum
    np.testing.assert_array_equal(np.asarray(array_to_img(x))[..., None],
                                  (x / 200 * 255).astype("uint8"))
    x[1, 1] = -50.0  # shifted up by 50 first
    np.testing.assert_array_equal(np.asarray(array_to_img(x))[..., None],
                                  ((x + 50) / 250 * 255).astype("uint8"))
    assert np.asarray(array_to_img(x, scale=False))[0, 0] == 200
    first = np.random.rand(3, 4, 5)
    assert array_to_img(first, data_format="channels_first").size == (5, 4)
    for bad in (np.zeros((4, 5)), np.zeros((4, 5, 2))):
        with pytest.raises(ValueError):
            array_to_img(bad)
    assert image.img_to_array(array_to_img(np.zeros((4, 5, 1))), "channels_first").shape == \
        (1, 4, 5)


def test_save_load_and_list_pictures(tmp_path):
    x = np.random.RandomState(4).randint(0, 256, (6, 7, 3)).astype("float32")
    save_img(str(tmp_path / "a.png"), x, scale=False)
    np.testing.assert_array_equal(image.img_to_array(image.load_img(str(tmp_path / "a.png"))), x)
    with open(tmp_path / "b.PNG", "wb") as f:
        save_img(f, x, file_format="png", scale=False)
    gray = image.img_to_array(image.load_img(str(tmp_path / "b.PNG"), color_mode="grayscale",
                                             target_size=(3, 4)))
    assert gray.shape == (3, 4, 1)
    with pytest.warns(UserWarning, match="RGBA"):
        save_img(str(tmp_path / "c.jpg"), np.zeros((4, 4, 4)), file_format="jpg")
    (tmp_path / "sub").mkdir()
    save_img(str(tmp_path / "sub" / "d.jpeg"), x)
    save_img(str(tmp_path / "my-pic.png"), x)  # Keras's pattern wants word characters
    (tmp_path / "e.txt").write_text("no")
    found = sorted(os.path.relpath(p, tmp_path) for p in image.list_pictures(str(tmp_path)))
    assert found == ["a.png", "b.PNG", "c.jpg", os.path.join("sub", "d.jpeg")]
    assert image.list_pictures(str(tmp_path), ext="jpeg") == [str(tmp_path / "sub" / "d.jpeg")]


# ImageDataGenerator.

def test_random_transform_parameters_follow_keras_rules():
    shape = (10, 20, 3)
    draws = [ImageDataGenerator(width_shift_range=2, height_shift_range=[3, 5])
             .get_random_transform(shape, seed=s) for s in range(60)]
    assert {d["ty"] for d in draws} <= {-1, 0, 1} and len({d["ty"] for d in draws}) == 3
    assert {d["tx"] for d in draws} == {-5, -3, 3, 5}
    gen = ImageDataGenerator(width_shift_range=0.1, height_shift_range=0.5,
                             rotation_range=30, horizontal_flip=True)
    draws = [gen.get_random_transform(shape, seed=s) for s in range(40)]
    assert all(abs(d["ty"]) <= 0.1 * 20 and abs(d["tx"]) <= 0.5 * 10 for d in draws)
    assert all(abs(d["theta"]) <= 30 for d in draws)
    assert {d["flip_horizontal"] for d in draws} == {True, False}
    assert not any(d["flip_vertical"] for d in draws)
    assert gen.get_random_transform(shape, seed=9) == gen.get_random_transform(shape, seed=9)
    plain = ImageDataGenerator().get_random_transform(shape)
    assert (plain["theta"], plain["tx"], plain["zx"], plain["brightness"]) == (0, 0, 1, None)


def test_options_made_consistent_as_in_keras():
    with pytest.warns(UserWarning) as caught:
        gen = ImageDataGenerator(zca_whitening=True, featurewise_std_normalization=True)
    assert gen.featurewise_center and not gen.featurewise_std_normalization
    assert all("overrides setting of" in str(w.message) for w in caught)
    with pytest.warns(UserWarning, match="samplewise_std_normalization"):
        gen = ImageDataGenerator(samplewise_std_normalization=True)
    assert gen.samplewise_center
    with pytest.raises(ValueError):
        ImageDataGenerator(validation_split=5)


def test_fit_and_standardize_against_numpy():
    x = np.random.RandomState(5).rand(6, 4, 4, 3)
    gen = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True,
                             data_format="channels_last")
    gen.fit(x)
    np.testing.assert_allclose(gen.mean[0, 0], x.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(gen.std[0, 0], x.std(axis=(0, 1, 2)), rtol=1e-4)
    np.testing.assert_allclose(gen.standardize(x.copy()),
                               (x - gen.mean) / (gen.std + 1e-6), rtol=1e-5)
    first = ImageDataGenerator(featurewise_center=True, data_format="channels_first")
    first.fit(np.moveaxis(x, -1, 1))
    np.testing.assert_allclose(first.mean[:, 0, 0], x.mean(axis=(0, 1, 2)), rtol=1e-5)
    zca = ImageDataGenerator(featurewise_center=True, zca_whitening=True, zca_epsilon=1e-6)
    zca.fit(x)
    white = zca.standardize(x.copy()).reshape(6, -1)
    # ZCA after centring each channel: W = U diag(1 / sqrt(s + eps)) U^T of the covariance.
    flat = (x - x.mean(axis=(0, 1, 2))).reshape(6, -1)
    u, sv, _ = np.linalg.svd(flat.T @ flat / 6)
    np.testing.assert_allclose(white, flat @ (u / np.sqrt(sv + 1e-6)) @ u.T, atol=1e-3)
    # Whitened, the data's covariance is the identity on the data's span.
    np.testing.assert_allclose(np.linalg.eigvalsh(white.T @ white / 6)[-6:], 1, atol=1e-2)
    with pytest.raises(ValueError, match="rank 4"):
        gen.fit(x[0])


def test_flow_batches_misc_inputs_and_errors():
    rng = np.random.RandomState(0)
    x = rng.randint(0, 256, (10, 6, 6, 3)).astype("float32")
    y, w = np.arange(10), np.arange(10) + 1.0
    misc1, misc2 = rng.rand(10), rng.rand(10, 2, 2)
    plain = ImageDataGenerator(rescale=1 / 255.0)
    batches = plain.flow(x, y, batch_size=4, shuffle=False, sample_weight=w)
    assert len(batches) == 3
    bx, by, bw = batches[2]
    np.testing.assert_allclose(bx, x[8:] / 255.0, rtol=1e-6)
    assert by.tolist() == [8, 9] and bw.tolist() == [9, 10]
    (inputs, by) = plain.flow((x, misc1), y, batch_size=3, shuffle=False)[1]
    assert isinstance(inputs, list) and len(inputs) == 2
    np.testing.assert_allclose(inputs[0], x[3:6] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(inputs[1], misc1[3:6])
    inputs = plain.flow((x, [misc1, misc2]), None, batch_size=3, shuffle=False).next()
    assert [a.shape for a in inputs] == [(3, 6, 6, 3), (3,), (3, 2, 2)]
    np.testing.assert_array_equal(inputs[2], misc2[:3])
    assert isinstance(next(plain.flow(x, batch_size=2)), np.ndarray)
    with pytest.raises(ValueError, match="All of the arrays in"):
        plain.flow((x, rng.rand(11)), y)
    with pytest.raises(ValueError, match=r"`x` \(images tensor\) and `y` \(labels\)"):
        plain.flow((x, misc1), np.arange(11))
    with pytest.raises(ValueError, match="rank 4"):
        plain.flow(x[0])
    split = ImageDataGenerator(validation_split=0.3)
    val = split.flow(x, y % 2, subset="validation", shuffle=False)
    assert val.n == 3 and val[0][1].tolist() == [0, 1, 0]
    with pytest.raises(ValueError, match="different number of classes"):
        split.flow(x, np.arange(10) >= 3, subset="training")


def test_flow_augmentation_is_seeded_and_deterministic_transforms_are_exact():
    x = np.random.RandomState(1).rand(6, 8, 8, 3).astype("float32")
    gen = ImageDataGenerator(rotation_range=30, zoom_range=0.2, width_shift_range=0.1,
                             brightness_range=(0.5, 1.5), horizontal_flip=True)
    a1 = gen.flow(x, batch_size=3, seed=3)[0]
    a2 = gen.flow(x, batch_size=3, seed=3)[0]
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(gen.apply_transform(x[0], {"flip_vertical": True}),
                                  x[0][::-1])
    shifted = ImageDataGenerator().apply_transform(x[0], {"ty": 2})
    np.testing.assert_allclose(shifted[:, :-2], x[0][:, 2:], atol=1e-6)
    # Brightness works on channels-first images too, moving the channels for Pillow.
    first = ImageDataGenerator(data_format="channels_first")
    pixels = np.random.RandomState(2).randint(0, 256, (3, 5, 4)).astype("float32")
    pixels[:, 0, 0] = [0, 0, 255]
    np.testing.assert_array_equal(first.apply_transform(pixels, {"brightness": 1.0}), pixels)


def test_flow_from_directory_order_split_and_labels(tmp_path):
    x = np.random.RandomState(0).randint(0, 256, (4, 5, 5, 3)).astype("float32")
    # Keras lists a folder's own files (sorted) before its subfolders'.
    names = {"cats": ["z.png", "sub/a.png", "b.png"], "dogs": ["c.png", "d.png"]}
    for label, files in names.items():
        for i, name in enumerate(files):
            os.makedirs(tmp_path / label / os.path.dirname(name), exist_ok=True)
            save_img(str(tmp_path / label / name), x[i], scale=False)
    (tmp_path / "cats" / "notes.txt").write_text("not an image")
    gen = ImageDataGenerator(rescale=1 / 255.0, validation_split=0.5)
    every = gen.flow_from_directory(str(tmp_path), target_size=(5, 5), shuffle=False)
    expected = ["cats/b.png", "cats/z.png", "cats/sub/a.png", "dogs/c.png", "dogs/d.png"]
    assert every.filenames == expected and every.classes.tolist() == [0, 0, 0, 1, 1]
    train = gen.flow_from_directory(str(tmp_path), target_size=(5, 5), batch_size=2,
                                    shuffle=False, subset="training")
    val = gen.flow_from_directory(str(tmp_path), target_size=(5, 5), class_mode="sparse",
                                  subset="validation")
    # int(0.5 * 3) = 1 cat and int(0.5 * 2) = 1 dog for validation, the rest for training.
    assert val.filenames == ["cats/b.png", "dogs/c.png"]
    assert train.filenames == ["cats/z.png", "cats/sub/a.png", "dogs/d.png"]
    images, labels = train[0]
    assert images.shape == (2, 5, 5, 3) and labels.tolist() == [[1, 0], [1, 0]]
    np.testing.assert_allclose(images[0], x[0] / 255.0, atol=1e-6)  # z.png holds x[0]
    inputs, targets = gen.flow_from_directory(str(tmp_path), target_size=(5, 5),
                                              class_mode="input", batch_size=2).next()
    np.testing.assert_array_equal(inputs, targets)
    assert targets is not inputs
    with pytest.raises(ValueError):
        gen.flow_from_directory(str(tmp_path), subset="foo")
    with pytest.raises(ValueError):
        gen.flow_from_directory(str(tmp_path), color_mode="cmyk")


def test_flow_from_dataframe(tmp_path):
    pd = pytest.importorskip("pandas")
    for i in range(4):
        save_img(str(tmp_path / f"{i}.png"), np.full((3, 3, 3), 40.0 * i), scale=False)
    frame = pd.DataFrame({"filename": ["2.png", "0.png", "1.png", "3.png", "7.png"],
                          "class": ["b", "a", "b", None, "a"], "v": [2.0, 0, 1, 3, 7]})
    gen = ImageDataGenerator()
    it = gen.flow_from_dataframe(frame, str(tmp_path), target_size=(3, 3), shuffle=False)
    # Files in listing order; 3.png has no class and 7.png no file.
    assert it.filenames == ["0.png", "1.png", "2.png"]
    assert it.class_indices == {"b": 0, "a": 1}
    images, labels = it[0]
    assert images[:, 0, 0, 0].tolist() == [0, 40, 80]
    assert labels.tolist() == [[0, 1], [1, 0], [1, 0]]
    other = gen.flow_from_dataframe(frame.drop(columns="class"), str(tmp_path), y_col="v",
                                    class_mode="other", target_size=(3, 3), shuffle=False)
    assert other[0][1].tolist() == [0, 1, 2, 3]
    bare = frame.assign(filename=frame.filename.str[:-4])
    assert gen.flow_from_dataframe(bare, str(tmp_path), has_ext=False).samples == 3
    with pytest.raises(ValueError, match="has_ext"):
        gen.flow_from_dataframe(bare, str(tmp_path))
