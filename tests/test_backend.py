"""jeras.backend (K): variables and the ops custom losses and metrics use."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jeras import backend as K


def test_defaults_and_setters():
    assert K.epsilon() == 1e-7 and K.floatx() == "float32"
    K.set_epsilon(1e-5)
    try:
        assert K.epsilon() == 1e-5
    finally:
        K.set_epsilon(1e-7)
    with pytest.raises(ValueError, match="float8"):
        K.set_floatx("float8")
    assert K.image_data_format() == "channels_last"


def test_variables_get_and_set():
    v = K.variable(0.5, name="lr")
    assert K.get_value(v).dtype == np.float32 and float(K.get_value(v)) == 0.5
    K.set_value(v, 0.25)
    assert float(K.eval(v)) == 0.25 and float(v * 2) == 0.5
    K.batch_set_value([(v, 1.0)])
    assert K.batch_get_value([v])[0] == 1.0
    with pytest.raises(TypeError, match="Variable"):
        K.set_value(np.zeros(3), 1.0)
    with pytest.raises(TypeError, match="number"):
        K.set_value(v, "fast")
    z = K.zeros((2, 3))
    assert K.int_shape(z) == (2, 3) and K.ndim(z) == 2 and K.count_params(z) == 6
    assert K.dtype(K.ones((1,))) == "float32"


def test_ops_match_numpy():
    rng = np.random.RandomState(0)
    x = rng.randn(4, 5).astype("float32")
    y = rng.randn(5, 3).astype("float32")
    checks = [
        (K.mean(x, axis=1, keepdims=True), x.mean(axis=1, keepdims=True)),
        (K.sum(x, axis=[0, 1]), x.sum()),
        (K.max(x, axis=0), x.max(axis=0)),
        (K.min(x), x.min()),
        (K.square(x), x ** 2),
        (K.sqrt(x), np.sqrt(np.maximum(x, 0))),
        (K.abs(x), np.abs(x)),
        (K.exp(x), np.exp(x)),
        (K.log(np.abs(x) + 1), np.log(np.abs(x) + 1)),
        (K.pow(x, 2), x ** 2),
        (K.tanh(x), np.tanh(x)),
        (K.sigmoid(x), 1 / (1 + np.exp(-x))),
        (K.softplus(x), np.log1p(np.exp(x))),
        (K.clip(x, -0.5, 0.5), np.clip(x, -0.5, 0.5)),
        (K.round(x), np.round(x)),
        (K.sign(x), np.sign(x)),
        (K.argmax(x), x.argmax(-1)),
        (K.argmin(x, axis=0), x.argmin(0)),
        (K.equal(x, x), np.ones_like(x, bool)),
        (K.not_equal(x, 0), x != 0),
        (K.greater(x, 0), x > 0),
        (K.less(x, 0), x < 0),
        (K.cast(K.greater(x, 0), "float32"), (x > 0).astype("float32")),
        (K.dot(x, y), x @ y),
        (K.l2_normalize(x, axis=-1), x / np.linalg.norm(x, axis=-1, keepdims=True)),
        (K.hard_sigmoid(x), np.clip(0.2 * x + 0.5, 0, 1)),
        (K.relu(x, alpha=0.1, max_value=0.5), np.minimum(np.where(x > 0, x, 0.1 * x), 0.5)),
    ]
    for got, want in checks:
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)


def test_ops_trace_under_jit_and_in_top_k():
    f = jax.jit(lambda a: K.mean(K.square(a - K.mean(a, axis=-1, keepdims=True)), axis=-1))
    a = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(np.asarray(f(a)), a.var(axis=-1), rtol=1e-6)
    preds = jnp.array([[0.1, 0.5, 0.4], [0.3, 0.3, 0.4]])
    np.testing.assert_array_equal(np.asarray(K.in_top_k(preds, jnp.array([2, 0]), 1)),
                                  [False, False])
    np.testing.assert_array_equal(np.asarray(K.in_top_k(preds, jnp.array([2, 0]), 2)),
                                  [True, True])


def test_rng_key_follows_numpy_seed():
    np.random.seed(7)
    a = K.random_normal((3,))
    np.random.seed(7)
    b = K.random_normal((3,))
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
