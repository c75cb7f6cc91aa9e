"""Activations against NumPy transcriptions of the Keras 2.2.4 formulas."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jeras import activations
from jeras import backend as K

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

RNG = np.random.default_rng(0)
X = (RNG.standard_normal((4, 5)) * 3).astype(np.float32)
# Exact zeros and large magnitudes alongside random values.
X_EDGE = np.array([[-50.0, -1.0, 0.0, 1e-8, 2.5, 50.0]], dtype=np.float32)


def np_elu(x, alpha=1.0):
    x = x.astype(np.float64)
    return np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1))


def np_softmax(x, axis=-1):
    x = x.astype(np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


REFERENCES = {
    "elu": np_elu,
    "selu": lambda x: SELU_SCALE * np_elu(x, SELU_ALPHA),
    "softplus": lambda x: np.logaddexp(0.0, x.astype(np.float64)),
    "softsign": lambda x: x / (np.abs(x) + 1.0),
    "relu": lambda x: np.maximum(x, 0.0),
    "tanh": np.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x.astype(np.float64))),
    "hard_sigmoid": lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0),
    "exponential": lambda x: np.exp(x.astype(np.float64)),
    "linear": lambda x: x,
    "softmax": np_softmax,
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
@pytest.mark.parametrize("x", [X, X_EDGE], ids=["random", "edge"])
def test_matches_numpy_reference(name, x):
    fn = activations.get(name)
    out = np.asarray(fn(jnp.asarray(x)))
    assert out.shape == x.shape
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, REFERENCES[name](x), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_works_under_jit(name):
    fn = activations.get(name)
    np.testing.assert_allclose(np.asarray(jax.jit(fn)(X)), np.asarray(fn(X)), rtol=1e-6)


def test_softmax_rows_sum_to_one_and_respect_axis():
    x3 = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    out = np.asarray(activations.softmax(x3))
    np.testing.assert_allclose(out.sum(axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(out, np_softmax(x3), rtol=1e-6)
    out_axis1 = np.asarray(activations.softmax(x3, axis=1))
    np.testing.assert_allclose(out_axis1, np_softmax(x3, axis=1), rtol=1e-6)


def test_softmax_1d_raises_naming_the_shape():
    with pytest.raises(ValueError, match=r"1D.*\(3,\)"):
        activations.softmax(jnp.ones(3))


def test_relu_keras_arguments():
    x = X_EDGE.astype(np.float64)
    np.testing.assert_allclose(
        np.asarray(activations.relu(X_EDGE, alpha=0.1)), np.where(x > 0, x, 0.1 * x), rtol=1e-6)
    np.testing.assert_allclose(
        np.asarray(activations.relu(X_EDGE, max_value=6.0)), np.clip(x, 0.0, 6.0), rtol=1e-6)
    np.testing.assert_allclose(
        np.asarray(activations.relu(X_EDGE, alpha=0.2, threshold=1.0)),
        np.where(x > 1.0, x, 0.2 * (x - 1.0)), rtol=1e-6)


def test_elu_alpha():
    np.testing.assert_allclose(
        np.asarray(activations.elu(X, alpha=0.5)), np_elu(X, 0.5), rtol=1e-6, atol=1e-7)


def test_selu_is_within_a_few_float32_steps_of_the_exact_value():
    # selu = scale * alpha * expm1(x) for x <= 0, computed in float32: a few units in
    # the last place from the float64 value, and the nearest float32 at x = -1 and -2
    # (a reference through float32 np.exp(x) - 1 can be a unit further off than that).
    x = np.linspace(-10.0, 3.0, 2001).astype(np.float32)
    x64 = x.astype(np.float64)
    exact = np.where(x64 > 0, SELU_SCALE * x64, SELU_SCALE * SELU_ALPHA * np.expm1(x64))
    out = np.asarray(activations.selu(jnp.asarray(x)))
    ulp = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    assert np.all(np.abs(out - exact) <= 4 * ulp)
    at = np.array([-1.0, -2.0], np.float32)
    exact_at = SELU_SCALE * SELU_ALPHA * np.expm1(at.astype(np.float64))
    np.testing.assert_array_equal(np.asarray(activations.selu(jnp.asarray(at))),
                                  exact_at.astype(np.float32))


def test_selu_constants_are_keras():
    # selu(-inf) -> -scale * alpha and selu(1) = scale.
    out = np.asarray(activations.selu(jnp.array([-100.0, 1.0])))
    np.testing.assert_allclose(out, [-SELU_SCALE * SELU_ALPHA, SELU_SCALE], rtol=1e-6)


def test_get_none_is_linear_and_linear_is_identity():
    assert activations.get(None) is activations.linear
    assert activations.linear(X) is X


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_get_by_name_and_serialize_round_trip(name):
    fn = activations.get(name)
    assert fn is getattr(activations, name)
    assert activations.serialize(fn) == name
    assert activations.deserialize(name) is fn


def test_get_callable_returned_as_is():
    assert activations.get(K.tanh) is K.tanh
    assert activations.get(activations.relu) is activations.relu

    def custom(x):
        return x * 2

    assert activations.get(custom) is custom


def test_deserialize_custom_objects_first():
    def relu(x):
        return x

    assert activations.deserialize("relu", custom_objects={"relu": relu}) is relu


def test_unknown_name_is_value_error_naming_it():
    with pytest.raises(ValueError, match="Unknown activation function: 'foo'"):
        activations.get("foo")


@pytest.mark.parametrize("bad", [42, 1.5, ["relu"], {"class_name": "relu", "config": {}}])
def test_other_types_are_type_error_and_value_error_as_in_keras_2(bad):
    # A TypeError by kind; Keras 2.2.4's get() raises ValueError, which its users catch.
    for kind in (TypeError, ValueError):
        with pytest.raises(kind, match="activation function identifier"):
            activations.get(bad)
