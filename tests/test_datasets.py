"""Keras 2 data sets read from small files written in the Keras cache formats; never downloaded."""
import gzip
import json
import os
import pickle
import tarfile

import numpy as np
import pytest
import requests

from jeras.datasets import (
    boston_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A temporary KERAS_HOME, with the network cut off."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def offline(*args, **kwargs):
        raise requests.ConnectionError("network is unreachable")

    monkeypatch.setattr(requests, "get", offline)
    (tmp_path / "datasets").mkdir()
    return tmp_path / "datasets"


def test_mnist_boston_and_path_argument(cache):
    rng = np.random.RandomState(0)
    arrays = {"x_train": rng.randint(0, 255, (6, 28, 28)).astype("uint8"),
              "y_train": np.arange(6, dtype="uint8"),
              "x_test": rng.randint(0, 255, (2, 28, 28)).astype("uint8"),
              "y_test": np.arange(2, dtype="uint8")}
    np.savez(cache / "mnist.npz", **arrays)
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    assert y_test.tolist() == [0, 1] and x_test.shape == (2, 28, 28)
    other = cache.parent / "elsewhere.npz"
    np.savez(other, **arrays)
    assert mnist.load_data(path=str(other))[0][1].tolist() == list(range(6))

    x, y = rng.randn(10, 13), np.arange(10.0)
    np.savez(cache / "boston_housing.npz", x=x, y=y)
    (bx, by), (tx, ty) = boston_housing.load_data(test_split=0.2, seed=113)
    order = np.arange(10)
    np.random.RandomState(113).shuffle(order)
    assert by.tolist() + ty.tolist() == order.tolist() and len(by) == 8
    np.testing.assert_array_equal(bx[0], x[order[0]])


def test_fashion_mnist_reads_the_idx_files(cache):
    folder = cache / "fashion-mnist"
    folder.mkdir()
    images = np.arange(3 * 784, dtype=np.uint8).reshape(3, 28, 28)
    for prefix, n in (("train", 3), ("t10k", 3)):
        with gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(b"\0" * 8 + bytes(range(n)))
        with gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(b"\0" * 16 + images.tobytes())
    (x_train, y_train), (x_test, _) = fashion_mnist.load_data()
    np.testing.assert_array_equal(x_train, images)
    assert y_train.tolist() == [0, 1, 2] and x_test.shape == (3, 28, 28)


def _cifar_batch(path, n, label_keys, seed):
    rng = np.random.RandomState(seed)
    d = {b"data": rng.randint(0, 255, (n, 3072)).astype("uint8")}
    for key in label_keys:
        d[key.encode()] = list(rng.randint(0, 10, n))
    with open(path, "wb") as f:
        pickle.dump(d, f)
    return d


def test_cifar10_from_the_tar_gz_and_cifar100_from_the_folder(cache, tmp_path):
    staging = tmp_path / "staging" / "cifar-10-batches-py"
    staging.mkdir(parents=True)
    batches = [_cifar_batch(staging / f"data_batch_{i}", 2, ["labels"], i) for i in range(1, 6)]
    _cifar_batch(staging / "test_batch", 3, ["labels"], 9)
    with tarfile.open(cache / "cifar-10-batches-py.tar.gz", "w:gz") as tar:
        tar.add(staging, arcname="cifar-10-batches-py")
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and y_train.shape == (10, 1)
    assert x_test.shape == (3, 32, 32, 3) and y_test.shape == (3, 1)
    np.testing.assert_array_equal(x_train[0, :, :, 0], batches[0][b"data"][0, :1024]
                                  .reshape(32, 32))
    assert (cache / "cifar-10-batches-py" / "test_batch").exists()

    folder = cache / "cifar-100-python"
    folder.mkdir()
    train = _cifar_batch(folder / "train", 4, ["fine_labels", "coarse_labels"], 1)
    _cifar_batch(folder / "test", 2, ["fine_labels", "coarse_labels"], 2)
    (_, fine), _ = cifar100.load_data()
    (_, coarse), _ = cifar100.load_data(label_mode="coarse")
    assert fine.ravel().tolist() == train[b"fine_labels"]
    assert coarse.ravel().tolist() == train[b"coarse_labels"]
    with pytest.raises(ValueError, match="'fine' or 'coarse'"):
        cifar100.load_data(label_mode="medium")


def test_imdb_and_reuters_index_words_as_keras2(cache):
    x_train = np.empty(3, dtype=object)
    x_train[:] = [[1, 2, 3], [4, 5], [6, 7, 8, 9]]
    x_test = np.empty(2, dtype=object)
    x_test[:] = [[2, 2], [9]]
    np.savez(cache / "imdb.npz", x_train=x_train, y_train=np.array([0, 1, 0]),
             x_test=x_test, y_test=np.array([1, 0]))
    (xt, yt), (xs, ys) = imdb.load_data(num_words=10, seed=113)
    order = np.arange(3)
    rng = np.random.RandomState(113)
    rng.shuffle(order)
    assert yt.tolist() == np.array([0, 1, 0])[order].tolist()
    # start mark 1, words shifted by 3, words >= num_words become 2 (out of vocabulary).
    first = x_train[order[0]]
    assert xt[0] == [1] + [w + 3 if w + 3 < 10 else 2 for w in first]
    (short, _), (short_test, _) = imdb.load_data(maxlen=4)
    assert all(len(x) < 4 for x in list(short) + list(short_test)) and len(short) == 1
    with pytest.raises(ValueError, match="none is left"):
        imdb.load_data(maxlen=1)
    with open(cache / "imdb_word_index.json", "w") as f:
        json.dump({"good": 1}, f)
    assert imdb.get_word_index() == {"good": 1}

    xs_all = np.empty(5, dtype=object)
    xs_all[:] = [[1], [2, 3], [4], [5, 6], [7]]
    np.savez(cache / "reuters.npz", x=xs_all, y=np.arange(5))
    (rx, ry), (tx, ty) = reuters.load_data(test_split=0.4, start_char=None, index_from=0,
                                           oov_char=None)
    assert len(rx) == 3 and len(tx) == 2
    assert sorted(ry.tolist() + ty.tolist()) == list(range(5))
    with pytest.raises(TypeError, match="unrecognized keyword arguments"):
        reuters.load_data(bogus=1)


def test_offline_without_the_file_says_which_file_to_put_where(cache):
    with pytest.raises(OSError) as info:
        mnist.load_data()
    message = str(info.value)
    assert os.path.join(str(cache), "mnist.npz") in message
    assert "could not be downloaded from https://s3.amazonaws.com/img-datasets/mnist.npz" in message
    assert "Offline, copy that file" in message
    with pytest.raises(OSError, match="cifar-10-batches-py"):
        cifar10.load_data()
    assert not list(cache.glob("*.part"))
