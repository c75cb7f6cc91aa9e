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


# Keras 2.2.4 backend functions added on jax: each checked against numpy.

def _close(got, want, rtol=1e-5, atol=1e-5):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=rtol, atol=atol)


def _cf(a):
    """channels_last -> channels_first."""
    return np.moveaxis(a, -1, 1)


def _cl(a):
    """channels_first -> channels_last."""
    return np.moveaxis(np.asarray(a), 1, -1)


def test_data_format_helpers_and_legacy_settings():
    assert K.normalize_data_format(None) == "channels_last"
    assert K.normalize_data_format("Channels_First") == "channels_first"
    with pytest.raises(ValueError, match="data_format"):
        K.normalize_data_format("NHWC")
    assert K.image_dim_ordering() == "tf"
    K.set_image_dim_ordering("th")
    try:
        assert K.image_data_format() == "channels_first" and K.image_dim_ordering() == "th"
    finally:
        K.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="dim_ordering"):
        K.set_image_dim_ordering("tensorflow")
    with K.name_scope("block") as scope:
        assert scope == "block"
    a = jnp.ones(3)
    assert K.is_tensor(a) and K.is_tensor(K.variable(1.0)) and not K.is_tensor(np.ones(3))
    assert not K.is_sparse(a) and K.to_dense(a) is a
    K.manual_variable_initialization(True)
    K.manual_variable_initialization(False)
    first = K.get_uid("test_backend_uid")
    assert K.get_uid("test_backend_uid") == first + 1


def test_tensor_utilities_match_numpy():
    rng = np.random.RandomState(1)
    x = rng.randn(2, 3, 4).astype("float32")
    e = K.eye(3)
    assert isinstance(e, K.Variable) and K.dtype(e) == "float32"
    _close(K.get_value(e), np.eye(3))
    _close(K.identity(x), x)
    assert K.get_variable_shape(K.variable(x)) == (2, 3, 4)
    _close(K.repeat_elements(x, 2, axis=1), np.repeat(x, 2, axis=1))
    _close(K.reverse(x, 1), x[:, ::-1])
    _close(K.reverse(x, [0, 2]), x[::-1, :, ::-1])
    _close(K.slice(x, (0, 1, 1), (2, 2, -1)), x[:, 1:3, 1:])
    _close(jax.jit(lambda a, s: K.slice(a, [0, s, 0], [1, 2, 4]))(x, 1), x[:1, 1:3])
    np.testing.assert_array_equal(np.asarray(K.arange(4)), np.arange(4))
    np.testing.assert_array_equal(np.asarray(K.arange(-3)), np.arange(0))
    np.testing.assert_array_equal(np.asarray(K.arange(1, 8, 3)), [1, 4, 7])
    assert K.dtype(K.arange(3, dtype="float32")) == "float32"
    assert K.dtype(K.arange(4)) == "int32"
    _close(K.temporal_padding(x, (1, 2)), np.pad(x, [(0, 0), (1, 2), (0, 0)]))
    img = rng.randn(2, 3, 4, 5).astype("float32")
    pad = ((1, 0), (2, 3))
    _close(K.spatial_2d_padding(img, pad), np.pad(img, [(0, 0), (1, 0), (2, 3), (0, 0)]))
    _close(K.spatial_2d_padding(img, pad, "channels_first"),
           np.pad(img, [(0, 0), (0, 0), (1, 0), (2, 3)]))
    vol = rng.randn(1, 2, 3, 2, 2).astype("float32")
    pad3 = ((1, 1), (0, 2), (2, 0))
    _close(K.spatial_3d_padding(vol, pad3), np.pad(vol, [(0, 0), *pad3, (0, 0)]))
    _close(K.spatial_3d_padding(vol, pad3, "channels_first"), np.pad(vol, [(0, 0), (0, 0), *pad3]))
    with pytest.raises(ValueError, match="padding"):
        K.spatial_2d_padding(img, (1, 1))
    # Gradients stop, values pass.
    g = jax.grad(lambda a: jnp.sum(K.stop_gradient(a) * a))(x)
    _close(g, x)
    a, _ = K.stop_gradient([x, x])
    _close(a, x)


def test_resize_images_and_volumes():
    rng = np.random.RandomState(2)
    img = rng.randn(2, 3, 4, 2).astype("float32")
    want = np.repeat(np.repeat(img, 2, axis=1), 3, axis=2)
    _close(K.resize_images(img, 2, 3, "channels_last"), want)
    _close(K.resize_images(_cf(img), 2, 3, "channels_first"), _cf(want))
    # Bilinear as TensorFlow 1: output i samples the input at i / factor.
    got = np.asarray(K.resize_images(img, 2, 2, "channels_last", interpolation="bilinear"))
    want = np.zeros((2, 6, 8, 2))
    for i in range(6):
        for j in range(8):
            y, x_ = i / 2, j / 2
            y0, x0 = int(np.floor(y)), int(np.floor(x_))
            y1, x1 = min(y0 + 1, 2), min(x0 + 1, 3)
            dy, dx = y - y0, x_ - x0
            want[:, i, j] = ((1 - dy) * ((1 - dx) * img[:, y0, x0] + dx * img[:, y0, x1])
                             + dy * ((1 - dx) * img[:, y1, x0] + dx * img[:, y1, x1]))
    _close(got, want)
    with pytest.raises(ValueError, match="interpolation"):
        K.resize_images(img, 2, 2, "channels_last", interpolation="bicubic")
    vol = rng.randn(1, 2, 2, 3, 2).astype("float32")
    want = np.repeat(np.repeat(np.repeat(vol, 2, axis=1), 1, axis=2), 3, axis=3)
    _close(K.resize_volumes(vol, 2, 1, 3, "channels_last"), want)
    _close(K.resize_volumes(_cf(vol), 2, 1, 3, "channels_first"), _cf(want))


def test_random_variables_dropout_and_truncated_normal():
    u = K.random_uniform_variable((200, 50), -2.0, 3.0, seed=3)
    v = K.get_value(u)
    assert isinstance(u, K.Variable) and v.dtype == np.float32
    assert v.min() >= -2.0 and v.max() < 3.0 and abs(v.mean() - 0.5) < 0.05
    np.testing.assert_array_equal(v, K.get_value(K.random_uniform_variable((200, 50), -2, 3,
                                                                           seed=3)))
    n = K.get_value(K.random_normal_variable((200, 50), 1.0, 2.0, seed=4))
    assert abs(n.mean() - 1.0) < 0.1 and abs(n.std() - 2.0) < 0.1
    t = np.asarray(K.truncated_normal((10000,), mean=1.0, stddev=0.5, seed=5))
    assert t.min() >= 0.0 and t.max() <= 2.0 and abs(t.mean() - 1.0) < 0.02
    x = np.ones((100, 100), "float32")
    d = np.asarray(K.dropout(x, 0.25, seed=6))
    assert set(np.unique(d)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((d == 0).mean() - 0.25) < 0.03
    d = np.asarray(K.dropout(x, 0.5, noise_shape=(100, 1), seed=7))
    assert ((d == 0).all(axis=1) | (d != 0).all(axis=1)).all()
    _close(K.dropout(x, 0.0), x)
    with pytest.raises(ValueError, match="level"):
        K.dropout(x, 1.0)


def test_print_tensor_returns_its_input(capfd):
    x = jnp.arange(3.0)
    y = jax.jit(lambda a: K.print_tensor(a, message="x is {odd}: ") * 2)(x)
    jax.effects_barrier()
    _close(y, [0.0, 2.0, 4.0])
    assert "x is {odd}: " in capfd.readouterr().out


def test_crossentropies_match_numpy():
    rng = np.random.RandomState(3)
    logits = rng.randn(4, 5).astype("float32")
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    onehot = np.eye(5, dtype="float32")[[0, 3, 1, 4]]
    eps = 1e-7
    want = -(onehot * np.log(np.clip(probs, eps, 1 - eps))).sum(-1)
    _close(K.categorical_crossentropy(onehot, probs), want)
    unnormalised = probs * 3.0  # renormalised over the classes first
    _close(K.categorical_crossentropy(onehot, unnormalised), want)
    _close(K.categorical_crossentropy(onehot, logits, from_logits=True), want)
    _close(K.categorical_crossentropy(onehot.T, probs.T, axis=0), want)
    sparse = np.array([0, 3, 1, 4])
    _close(K.sparse_categorical_crossentropy(sparse, probs), want)
    _close(K.sparse_categorical_crossentropy(sparse[:, None], logits, from_logits=True), want)
    # channels_first class axis on a 3-D output.
    p3 = np.moveaxis(np.stack([probs, probs[::-1]], axis=1), 2, 1)  # (4, 5, 2)
    t3 = np.stack([sparse, sparse[::-1]], axis=1)
    want3 = np.stack([want, -np.log(np.clip(probs[::-1], eps, 1))[np.arange(4),
                                                                  sparse[::-1]]], axis=1)
    _close(K.sparse_categorical_crossentropy(t3, p3, axis=1), want3)
    with pytest.raises(ValueError, match="axis"):
        K.categorical_crossentropy(onehot, probs, axis=2)
    target = rng.randint(0, 2, (4, 5)).astype("float32")
    p = np.clip(1 / (1 + np.exp(-logits)), eps, 1 - eps)
    want = -(target * np.log(p) + (1 - target) * np.log(1 - p))
    _close(K.binary_crossentropy(target, 1 / (1 + np.exp(-logits))), want, rtol=1e-4)
    _close(K.binary_crossentropy(target, logits, from_logits=True), want, rtol=1e-4)
    _close(K.binary_crossentropy(np.ones(2), np.array([0.0, 1.0])),
           [-np.log(eps), -np.log(1 - eps)], rtol=1e-3)


def test_batch_normalization_functions():
    rng = np.random.RandomState(4)
    x = rng.randn(3, 4, 5, 2).astype("float32")
    gamma, beta = rng.rand(2).astype("float32") + 0.5, rng.randn(2).astype("float32")
    m, v = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    normed, mean, var = K.normalize_batch_in_training(x, gamma, beta, [0, 1, 2])
    _close(mean, m)
    _close(var, v)
    _close(normed, (x - m) / np.sqrt(v + 1e-3) * gamma + beta, rtol=1e-4)
    xf = _cf(x)
    normed, mean, var = K.normalize_batch_in_training(xf, None, None, [0, 2, 3], epsilon=0.1)
    _close(mean, m)
    _close(normed, _cf((x - m) / np.sqrt(v + 0.1)), rtol=1e-4)
    x2 = rng.randn(6, 3).astype("float32")
    _, mean, var = K.normalize_batch_in_training(x2, np.ones(3), np.zeros(3), [0])
    _close(var, x2.var(0))
    out = K.batch_normalization(xf, m, v, beta, gamma, axis=1)
    _close(out, _cf((x - m) / np.sqrt(v + 1e-3) * gamma + beta), rtol=1e-4)
    out = K.batch_normalization(x2, x2.mean(0), x2.var(0), None, None, epsilon=0.0)
    _close(out, (x2 - x2.mean(0)) / x2.std(0), rtol=1e-4)
