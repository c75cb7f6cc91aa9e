"""jeras.utils: to_categorical, normalize, set_random_seed, Progbar."""
import numpy as np
import pytest

from jeras.utils import Progbar, normalize, set_random_seed, to_categorical
from jeras.utils.np_utils import to_categorical as np_utils_to_categorical


def test_to_categorical_as_keras_2():
    assert np_utils_to_categorical is to_categorical
    np.testing.assert_array_equal(to_categorical([0, 2, 1]),
                                  [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert to_categorical([[1], [0]], num_classes=4).shape == (2, 4)
    assert to_categorical(np.zeros((2, 3), int), 5).shape == (2, 3, 5)
    assert to_categorical([1, 2]).dtype == np.float32
    with pytest.raises(ValueError, match="out of range"):
        to_categorical([0, 5], num_classes=3)
    with pytest.raises(ValueError, match=">= 0"):
        to_categorical([-1, 1])
    with pytest.raises(ValueError, match="integer"):
        to_categorical([0.5, 1])


def test_normalize():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(normalize(x), [[0.6, 0.8], [0.0, 0.0]])


def test_set_random_seed_seeds_numpy():
    set_random_seed(3)
    a = np.random.rand(3)
    set_random_seed(3)
    np.testing.assert_array_equal(a, np.random.rand(3))
    with pytest.raises(ValueError, match="seed"):
        set_random_seed(-1)


def test_progbar_prints_averages(capsys):
    bar = Progbar(10, verbose=1)
    bar.update(5, [("loss", 1.0)])
    bar.update(10, [("loss", 3.0)])
    out = capsys.readouterr().out
    assert "10/10 [==============================]" in out and "loss: 2.0000" in out
    bar = Progbar(4, verbose=2)
    bar.update(4, [("loss", 0.5)])
    assert capsys.readouterr().out.startswith(" - 0s - loss: 0.5000")
