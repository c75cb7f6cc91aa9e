"""pad_sequences, Tokenizer and ImageDataGenerator with Keras 2's results."""
import numpy as np
import pytest

from jeras.preprocessing.image import ImageDataGenerator, array_to_img, save_img
from jeras.preprocessing.sequence import pad_sequences
from jeras.preprocessing.text import Tokenizer, hashing_trick, text_to_word_sequence


def test_pad_sequences():
    seqs = [[1, 2, 3], [4], []]
    assert pad_sequences(seqs).tolist() == [[1, 2, 3], [0, 0, 4], [0, 0, 0]]
    assert pad_sequences(seqs, maxlen=2, padding="post", truncating="post").tolist() == \
        [[1, 2], [4, 0], [0, 0]]
    assert pad_sequences(seqs, maxlen=2).tolist() == [[2, 3], [0, 4], [0, 0]]
    assert pad_sequences([[1.5]], maxlen=2, dtype="float32", value=-1.0).tolist() == [[-1, 1.5]]
    assert pad_sequences([[[1, 2]], [[3, 4], [5, 6]]]).shape == (2, 2, 2)
    with pytest.raises(ValueError, match="`padding` must be 'pre' or 'post'"):
        pad_sequences(seqs, padding="middle")
    with pytest.raises(ValueError, match="non-iterable 5"):
        pad_sequences([[1], 5])


def test_tokenizer_ranks_words_and_vectorizes():
    texts = ["The cat sat on the mat.", "The dog sat!", "a cat"]
    tok = Tokenizer(num_words=5, oov_token="<unk>")
    tok.fit_on_texts(texts)
    # oov first, then by count, ties in first-seen order.
    assert list(tok.word_index)[:4] == ["<unk>", "the", "cat", "sat"]
    assert tok.word_counts["the"] == 3 and tok.word_docs["the"] == 2
    assert tok.texts_to_sequences(["the cat and the mat"]) == [[2, 3, 1, 2, 1]]
    assert tok.sequences_to_texts([[2, 3, 9]]) == ["the cat <unk>"]
    binary = tok.texts_to_matrix(["the the cat"], mode="count")
    assert binary.shape == (1, 5) and binary[0, 2] == 2 and binary[0, 3] == 1
    tfidf = tok.texts_to_matrix(["the"], mode="tfidf")
    assert tfidf[0, 2] == pytest.approx(np.log(1 + 3 / (1 + 2)))
    assert text_to_word_sequence("Hello, World!") == ["hello", "world"]
    assert all(1 <= i < 7 for i in hashing_trick("a b c d", 7, hash_function="md5"))
    with pytest.raises(ValueError, match="fit on some text data first"):
        Tokenizer().texts_to_matrix(["x"])


def test_image_data_generator_flow_and_directory(tmp_path):
    rng = np.random.RandomState(0)
    x = rng.randint(0, 256, (10, 12, 12, 3)).astype("float32")
    y = np.arange(10)
    plain = ImageDataGenerator(rescale=1 / 255.0)
    batches = plain.flow(x, y, batch_size=4, shuffle=False)
    assert len(batches) == 3
    bx, by = batches[2]
    np.testing.assert_allclose(bx, x[8:] / 255.0, rtol=1e-6)
    assert by.tolist() == [8, 9]
    flipped = ImageDataGenerator(horizontal_flip=True).apply_transform(x[0],
                                                                       {"flip_horizontal": True})
    np.testing.assert_array_equal(flipped, x[0][:, ::-1])
    shifted = ImageDataGenerator().apply_transform(x[0], {"ty": 2})
    np.testing.assert_allclose(shifted[:, :-2], x[0][:, 2:], atol=1e-4)
    augmenting = ImageDataGenerator(rotation_range=30, zoom_range=0.2, width_shift_range=0.1,
                                    featurewise_center=True, featurewise_std_normalization=True)
    augmenting.fit(x)
    assert augmenting.mean.shape == (1, 1, 3)
    a1 = augmenting.flow(x, y, batch_size=5, seed=3)[0][0]
    a2 = augmenting.flow(x, y, batch_size=5, seed=3)[0][0]
    np.testing.assert_array_equal(a1, a2)
    assert abs(float(augmenting.standardize(x.copy()).mean())) < 1e-3
    with pytest.raises(ValueError, match="same length"):
        plain.flow(x, y[:3])
    with pytest.raises(ValueError, match="rank-4"):
        plain.flow(x[0])

    for label in ("cats", "dogs"):
        (tmp_path / label).mkdir()
        for i in range(3):
            save_img(str(tmp_path / label / f"{i}.png"), x[i])
    (tmp_path / "cats" / "notes.txt").write_text("not an image")
    split = ImageDataGenerator(rescale=1 / 255.0, validation_split=1 / 3)
    train = split.flow_from_directory(str(tmp_path), target_size=(6, 6), batch_size=4,
                                      shuffle=False, subset="training")
    val = split.flow_from_directory(str(tmp_path), target_size=(6, 6), class_mode="sparse",
                                    subset="validation")
    assert train.class_indices == {"cats": 0, "dogs": 1} and train.samples == 4
    assert val.samples == 2 and val.filenames == ["cats/0.png", "dogs/0.png"]
    images, labels = train[0]
    assert images.shape == (4, 6, 6, 3) and labels.tolist() == [[1, 0], [1, 0], [0, 1], [0, 1]]
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert np.asarray(array_to_img(x[0])).shape == (12, 12, 3)
