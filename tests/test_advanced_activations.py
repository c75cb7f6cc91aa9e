"""Advanced activation layers against numpy transcriptions of Keras 2.2.4's formulas."""
import numpy as np
import pytest

from jeras import layers
from jeras.layers import (
    ELU,
    ActivityRegularization,
    Dense,
    LeakyReLU,
    PReLU,
    ReLU,
    Softmax,
    ThresholdedReLU,
)
from jeras.models import Sequential, model_from_json

RNG = np.random.RandomState(7)
X = (RNG.randn(4, 3, 5) * 3).astype("float32")


def np_relu(x, slope=0.0, max_value=None, threshold=0.0):
    y = np.where(x > threshold, x, slope * (x - threshold))
    return y if max_value is None else np.minimum(y, max_value)


@pytest.mark.parametrize("layer, expected", [
    (LeakyReLU(), np.where(X > 0, X, 0.3 * X)),
    (LeakyReLU(alpha=0.1), np.where(X > 0, X, 0.1 * X)),
    # Keras 2.2.4 takes any slope: zero is a ReLU, a negative one folds negatives up.
    (LeakyReLU(alpha=0.0), np.maximum(X, 0)),
    (LeakyReLU(alpha=-0.5), np.where(X > 0, X, -0.5 * X)),
    (LeakyReLU(alpha=-1.0), np.abs(X)),
    (ELU(), np.where(X > 0, X, np.expm1(np.minimum(X, 0)))),
    (ELU(alpha=0.5), np.where(X > 0, X, 0.5 * np.expm1(np.minimum(X, 0)))),
    (ThresholdedReLU(), np.where(X > 1.0, X, 0.0)),
    (ThresholdedReLU(theta=2.5), np.where(X > 2.5, X, 0.0)),
    (Softmax(), np.exp(X) / np.exp(X).sum(-1, keepdims=True)),
    (Softmax(axis=1), np.exp(X) / np.exp(X).sum(1, keepdims=True)),
    (ReLU(), np.maximum(X, 0)),
    (ReLU(max_value=6.0), np.clip(X, 0, 6)),
    (ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5), np_relu(X, 0.1, 2.0, 0.5)),
    (ReLU(negative_slope=0.2), np_relu(X, 0.2)),
    (ActivityRegularization(l1=0.1), X),
])
def test_forward(layer, expected):
    np.testing.assert_allclose(np.asarray(layer(X)), expected, rtol=1e-5, atol=1e-6)
    assert layer.compute_output_shape(X.shape) == X.shape


def test_prelu_weights_and_shared_axes():
    layer = PReLU(alpha_initializer="ones", shared_axes=[1])
    layer.ensure_built((None, 3, 5))
    assert [w.shape for w in layer.get_weights()] == [(1, 5)]
    alpha = RNG.rand(1, 5).astype("float32")
    layer.set_weights([alpha])
    np.testing.assert_allclose(np.asarray(layer(X)), np.where(X > 0, X, alpha * X), rtol=1e-6)
    assert layer.weights[0].name == f"{layer.name}/alpha:0"
    default = PReLU()
    default.ensure_built((None, 3, 5))
    assert default.get_weights()[0].shape == (3, 5)
    np.testing.assert_allclose(np.asarray(default(X)), np.maximum(X, 0))
    with pytest.raises(ValueError, match="shared axis 3"):
        PReLU(shared_axes=3).ensure_built((None, 3, 5))


def test_prelu_trains_its_slope():
    model = Sequential([Dense(4, input_shape=(5,), use_bias=False), PReLU()])
    model.compile("sgd", "mse")
    before = model.layers[1].get_weights()[0].copy()
    x = RNG.randn(16, 5).astype("float32")
    model.fit(x, -np.ones((16, 4), "float32"), epochs=2, verbose=0)
    assert not np.allclose(model.layers[1].get_weights()[0], before)


def test_activity_regularization_adds_its_penalty_to_the_loss():
    x = RNG.randn(8, 5).astype("float32")
    y = RNG.randn(8, 5).astype("float32")
    model = Sequential([ActivityRegularization(l1=0.01, l2=0.02, input_shape=(5,))])
    model.compile("sgd", "mse")
    loss = model.evaluate(x, y, batch_size=8, verbose=0)
    expected = np.mean((x - y) ** 2) + 0.01 * np.abs(x).sum() + 0.02 * (x ** 2).sum()
    np.testing.assert_allclose(loss, expected, rtol=1e-5)


@pytest.mark.parametrize("layer, keys", [
    (LeakyReLU(0.2), {"alpha": 0.2}),
    (PReLU(shared_axes=(1, 2)), {"shared_axes": [1, 2],
                                 "alpha_initializer": {"class_name": "Zeros", "config": {}}}),
    (ELU(0.7), {"alpha": 0.7}),
    (ThresholdedReLU(0.4), {"theta": 0.4}),
    (Softmax(1), {"axis": 1}),
    (ReLU(6.0, 0.1, 0.5), {"max_value": 6.0, "negative_slope": 0.1, "threshold": 0.5}),
    (ActivityRegularization(0.1, 0.2), {"l1": 0.1, "l2": 0.2}),
])
def test_config_round_trip(layer, keys):
    config = layer.get_config()
    assert {k: config[k] for k in keys} == keys
    clone = layers.deserialize({"class_name": type(layer).__name__, "config": config})
    assert clone.get_config() == config


def test_model_json_round_trip():
    model = Sequential([Dense(3, input_shape=(4,)), LeakyReLU(0.1), PReLU(), Softmax()])
    clone = model_from_json(model.to_json())
    assert [type(layer).__name__ for layer in clone.layers] == [
        "Dense", "LeakyReLU", "PReLU", "Softmax"]
    clone.set_weights(model.get_weights())
    x = RNG.randn(2, 4).astype("float32")
    np.testing.assert_allclose(clone.predict(x), model.predict(x), rtol=1e-6)


@pytest.mark.parametrize("make, error", [
    (lambda: ReLU(max_value=-1.0), ValueError),
    (lambda: ReLU(negative_slope=-0.1), ValueError),
    (lambda: LeakyReLU(alpha="big"), TypeError),
])
def test_bad_arguments(make, error):
    with pytest.raises(error):
        make()
