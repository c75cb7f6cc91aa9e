"""jeras.backend (K): variables and the ops custom losses and metrics use."""
import itertools

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


def test_relu_edge_cases_as_keras_2_2_4():
    x = np.linspace(-3, 3, 13).astype("float32")
    # Above a negative threshold the part kept is still clipped to [0, max_value].
    _close(K.relu(x, threshold=-1.0, max_value=2.0),
           np.clip(np.where(x > -1, x, 0), 0, 2))
    _close(K.relu(x, alpha=0.5, threshold=1.0, max_value=2.0),
           np.clip(np.where(x > 1, x, 0), 0, 2) - 0.5 * np.maximum(1 - x, 0))
    _close(K.relu(x, alpha=2.0), np.maximum(x, 2 * x))  # leaky_relu is max(x, alpha * x)
    _close(K.relu(x, alpha=0.1, max_value=6), np.minimum(np.maximum(x, 0), 6)
           - 0.1 * np.maximum(-x, 0))


def test_switch_as_keras_2_2_4():
    x = np.arange(6, dtype="float32").reshape(3, 2)
    # An elementwise condition, and a (samples,) one that picks whole rows.
    _close(K.switch(x > 2, x, -x), np.where(x > 2, x, -x))
    _close(K.switch(np.array([True, False, True]), x, -x), [[0, 1], [-2, -3], [4, 5]])
    _close(jax.jit(lambda c, a: K.switch(c, a, a * 10))(np.array([0, 1, 0]), x),
           [[0, 10], [2, 3], [40, 50]])
    # Callables, and a Python condition choosing expressions of different shapes.
    _close(K.switch(jnp.asarray(True), lambda: x, lambda: -x), x)
    _close(K.switch(False, lambda: x, lambda: x[0]), x[0])
    with pytest.raises(ValueError, match="rank"):
        K.switch(np.ones((3, 2, 1), bool), x, x)


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
    graph = K.placeholder((None, 3))
    assert K.is_tensor(graph) is True and K.get_variable_shape(graph) == (None, 3)
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


def _same_pads(n, k, s, d=1):
    """TensorFlow's 'same' padding (before, after) for one axis."""
    eff = (k - 1) * d + 1
    out = -(-n // s)
    total = max((out - 1) * s + eff - n, 0)
    return total // 2, total - total // 2


def _np_conv(x, k, strides, padding, dilation=None, groups=1):
    """Channels-last N-D convolution by explicit loops over output positions."""
    rank = x.ndim - 2
    dilation = dilation or (1,) * rank
    ks = k.shape[:rank]
    if padding == "same":
        pads = [_same_pads(x.shape[1 + i], ks[i], strides[i], dilation[i]) for i in range(rank)]
        x = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    n, cin, cout = x.shape[0], x.shape[-1], k.shape[-1]
    eff = [(ks[i] - 1) * dilation[i] + 1 for i in range(rank)]
    outs = [(x.shape[1 + i] - eff[i]) // strides[i] + 1 for i in range(rank)]
    out = np.zeros((n, *outs, cout), np.float64)
    per_in, per_out = cin // groups, cout // groups
    for pos in np.ndindex(*outs):
        idx = tuple(np.arange(ks[i]) * dilation[i] + pos[i] * strides[i] for i in range(rank))
        patch = x[(slice(None),) + np.ix_(*idx) + (slice(None),)]  # (n, *ks, cin)
        for g in range(groups):
            p = patch[..., g * per_in:(g + 1) * per_in].reshape(n, -1)
            w = k[..., g * per_out:(g + 1) * per_out].reshape(-1, per_out)
            out[(slice(None),) + pos + (slice(g * per_out, (g + 1) * per_out),)] = p @ w
    return out


def _np_conv_transpose(x, k, out_spatial, strides, padding):
    """Channels-last transposed convolution: scatter each input pixel through the kernel."""
    rank = x.ndim - 2
    ks = k.shape[:rank]
    full = [(x.shape[1 + i] - 1) * strides[i] + ks[i] for i in range(rank)]
    acc = np.zeros((x.shape[0], *full, k.shape[-2]))
    for pos in np.ndindex(*x.shape[1:-1]):
        contrib = np.einsum("nc,...oc->n...o", x[(slice(None),) + pos], k)
        sl = tuple(slice(pos[i] * strides[i], pos[i] * strides[i] + ks[i]) for i in range(rank))
        acc[(slice(None),) + sl] += contrib
    before = [0] * rank
    if padding == "same":
        before = [_same_pads(out_spatial[i], ks[i], strides[i])[0] for i in range(rank)]
    sl = tuple(slice(before[i], before[i] + out_spatial[i]) for i in range(rank))
    return acc[(slice(None),) + sl]


def test_convolutions_match_numpy_loops():
    rng = np.random.RandomState(5)
    x = rng.randn(2, 7, 6, 3)
    k = rng.randn(3, 2, 3, 4)
    for strides, padding, dilation in [((1, 1), "valid", (1, 1)), ((2, 2), "same", (1, 1)),
                                       ((1, 1), "same", (2, 2)), ((2, 1), "valid", (1, 1))]:
        want = _np_conv(x, k, strides, padding, dilation)
        got = K.conv2d(x.astype("float32"), k.astype("float32"), strides, padding,
                       dilation_rate=dilation)
        _close(got, want, rtol=1e-4, atol=1e-4)
        got = K.conv2d(_cf(x).astype("float32"), k.astype("float32"), strides, padding,
                       "channels_first", dilation)
        _close(_cl(got), want, rtol=1e-4, atol=1e-4)
    x1 = rng.randn(2, 9, 3)
    k1 = rng.randn(3, 3, 2)
    _close(K.conv1d(x1, k1, 2, "same"), _np_conv(x1, k1, (2,), "same"), rtol=1e-4, atol=1e-4)
    _close(K.conv1d(_cf(x1), k1, 1, "valid", "channels_first", 2),
           _cf(_np_conv(x1, k1, (1,), "valid", (2,))), rtol=1e-4, atol=1e-4)
    causal = np.asarray(K.conv1d(x1, k1, padding="causal", dilation_rate=2))
    _close(causal, _np_conv(np.pad(x1, [(0, 0), (4, 0), (0, 0)]), k1, (1,), "valid", (2,)),
           rtol=1e-4, atol=1e-4)
    assert causal.shape == (2, 9, 2)
    x3 = rng.randn(1, 4, 5, 4, 2)
    k3 = rng.randn(2, 3, 2, 2, 3)
    _close(K.conv3d(x3, k3, (1, 2, 1), "same"), _np_conv(x3, k3, (1, 2, 1), "same"),
           rtol=1e-4, atol=1e-4)
    _close(_cl(K.conv3d(_cf(x3), k3, data_format="channels_first")),
           _np_conv(x3, k3, (1, 1, 1), "valid"), rtol=1e-4, atol=1e-4)
    # Depthwise: channel i through its `multiplier` filters gives channels i*m .. i*m+m-1.
    dk = rng.randn(3, 3, 3, 2)
    want = _np_conv(x, dk.reshape(3, 3, 1, 6), (1, 1), "same", groups=3)
    for i in range(3):
        _close(want[..., 2 * i:2 * i + 2], _np_conv(x[..., i:i + 1], dk[:, :, i:i + 1], (1, 1),
                                                    "same"), rtol=1e-6)
    _close(K.depthwise_conv2d(x, dk, padding="same"), want, rtol=1e-4, atol=1e-4)
    _close(_cl(K.depthwise_conv2d(_cf(x), dk, padding="same", data_format="channels_first")),
           want, rtol=1e-4, atol=1e-4)
    pk = rng.randn(1, 1, 6, 4)
    _close(K.separable_conv2d(x, dk, pk, (2, 2), "same"),
           _np_conv(_np_conv(x, dk.reshape(3, 3, 1, 6), (2, 2), "same", groups=3), pk,
                    (1, 1), "valid"), rtol=1e-4, atol=1e-4)
    dk1, pk1 = rng.randn(3, 3, 2), rng.randn(1, 6, 4)
    _close(K.separable_conv1d(x1, dk1, pk1, padding="valid", dilation_rate=2),
           _np_conv(_np_conv(x1, dk1.reshape(3, 1, 6), (1,), "valid", (2,), groups=3), pk1,
                    (1,), "valid"), rtol=1e-4, atol=1e-4)
    # Jit-traceable, with static arguments.
    f = jax.jit(lambda a, b: K.conv2d(a, b, (2, 2), "same"))
    _close(f(x.astype("float32"), k.astype("float32")), _np_conv(x, k, (2, 2), "same"),
           rtol=1e-4, atol=1e-4)


def test_transposed_convolutions_match_numpy_scatter():
    rng = np.random.RandomState(6)
    x = rng.randn(2, 3, 4, 3)
    k = rng.randn(3, 3, 5, 3)  # (kh, kw, filters, in_channels)
    got = K.conv2d_transpose(x, k, (2, 7, 9, 5), (2, 2), "valid")
    _close(got, _np_conv_transpose(x, k, (7, 9), (2, 2), "valid"), rtol=1e-4, atol=1e-4)
    got = K.conv2d_transpose(x, k, (None, 6, 8, 5), (2, 2), "same")
    want = _np_conv_transpose(x, k, (6, 8), (2, 2), "same")
    _close(got, want, rtol=1e-4, atol=1e-4)
    got = K.conv2d_transpose(_cf(x), k, (2, 5, 6, 8), (2, 2), "same", "channels_first")
    _close(_cl(got), want, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="output_shape"):
        K.conv2d_transpose(x, k, (2, 9, 9, 5), (2, 2), "same")
    # The transpose of conv2d: <conv2d(z), x> == <z, conv2d_transpose(x)>.
    z = rng.randn(2, 6, 8, 5)
    lhs = np.sum(np.asarray(K.conv2d(z, k, (2, 2), "same", dilation_rate=1)) * x)
    dil = K.conv2d_transpose(x, k, (2, 6, 8, 5), (2, 2), "same")
    _close(lhs, np.sum(np.asarray(dil) * z), rtol=1e-4)
    xd = rng.randn(1, 4, 4, 3)
    dz = rng.randn(1, 8, 8, 5)
    fwd = np.asarray(K.conv2d(dz, k, padding="valid", dilation_rate=(2, 2)))
    back = K.conv2d_transpose(xd, k, (1, 8, 8, 5), padding="valid", dilation_rate=(2, 2))
    _close(np.sum(fwd * xd), np.sum(np.asarray(back) * dz), rtol=1e-4)
    x3 = rng.randn(1, 2, 3, 2, 2)
    k3 = rng.randn(2, 2, 2, 3, 2)
    got = K.conv3d_transpose(x3, k3, (1, 4, 6, 4, 3), (2, 2, 2), "same")
    _close(got, _np_conv_transpose(x3, k3, (4, 6, 4), (2, 2, 2), "same"), rtol=1e-4, atol=1e-4)


def _np_pool(x, size, strides, padding, mode):
    rank = x.ndim - 2
    if padding == "same":
        pads = [_same_pads(x.shape[1 + i], size[i], strides[i]) for i in range(rank)]
    else:
        pads = [(0, 0)] * rank
    outs = [(x.shape[1 + i] + sum(pads[i]) - size[i]) // strides[i] + 1 for i in range(rank)]
    out = np.zeros((x.shape[0], *outs, x.shape[-1]))
    for pos in np.ndindex(*outs):
        lo = [max(pos[i] * strides[i] - pads[i][0], 0) for i in range(rank)]
        hi = [min(pos[i] * strides[i] - pads[i][0] + size[i], x.shape[1 + i])
              for i in range(rank)]
        win = x[(slice(None),) + tuple(slice(a, b) for a, b in zip(lo, hi)) + (slice(None),)]
        win = win.reshape(x.shape[0], -1, x.shape[-1])
        out[(slice(None),) + pos] = win.max(1) if mode == "max" else win.mean(1)
    return out


def test_pooling_matches_numpy_loops():
    rng = np.random.RandomState(7)
    x = rng.randn(2, 5, 7, 3).astype("float32")
    for size, strides, padding, mode in [((2, 2), (2, 2), "valid", "max"),
                                         ((3, 3), (2, 2), "same", "avg"),
                                         ((2, 3), (1, 2), "same", "max"),
                                         ((2, 3), (1, 2), "valid", "avg")]:
        want = _np_pool(x, size, strides, padding, mode)
        _close(K.pool2d(x, size, strides, padding, pool_mode=mode), want)
        _close(_cl(K.pool2d(_cf(x), size, strides, padding, "channels_first", mode)), want)
    x3 = rng.randn(1, 3, 4, 5, 2).astype("float32")
    for mode in ("max", "avg"):
        _close(K.pool3d(x3, (2, 2, 2), (2, 2, 2), "same", pool_mode=mode),
               _np_pool(x3, (2, 2, 2), (2, 2, 2), "same", mode))
    with pytest.raises(ValueError, match="pool_mode"):
        K.pool2d(x, (2, 2), pool_mode="sum")
    g = jax.grad(lambda a: jnp.sum(K.pool2d(a, (2, 2), (2, 2))))(x)
    assert float(jnp.sum(g)) == 2 * 2 * 3 * 3


def test_bias_add_both_data_formats():
    rng = np.random.RandomState(8)
    for shape in [(2, 3, 4), (2, 3, 4, 5), (2, 3, 4, 2, 5)]:
        x = rng.randn(*shape).astype("float32")
        b = rng.randn(shape[-1]).astype("float32")
        _close(K.bias_add(x, b), x + b)
        _close(_cl(K.bias_add(_cf(x), b, "channels_first")), x + b)
        full = rng.randn(*shape[1:]).astype("float32")
        _close(K.bias_add(x, full), x + full)
        # channels_first: the bias is reshaped (not transposed) to (channels, spatial...).
        want = _cf(x) + full.reshape((shape[-1],) + shape[1:-1])
        _close(K.bias_add(_cf(x), full, "channels_first"), want)
    _close(K.bias_add(np.ones((2, 3)), np.arange(3.0)), np.ones((2, 3)) + np.arange(3.0))
    with pytest.raises(ValueError, match="bias"):
        K.bias_add(np.ones((2, 3, 4, 5)), np.ones((4, 5)))
    with pytest.raises(ValueError, match="data_format"):
        K.bias_add(np.ones((2, 3, 4)), np.ones(4), data_format="NCW")


def test_locally_connected_convolutions():
    rng = np.random.RandomState(9)
    x = rng.randn(2, 7, 3)
    length = (7 - 3) // 2 + 1
    kern = rng.randn(length, 3 * 3, 4)
    want = np.stack([x[:, 2 * i:2 * i + 3, :].reshape(2, -1) @ kern[i] for i in range(length)],
                    axis=1)
    _close(K.local_conv1d(x, kern, (3,), (2,)), want, rtol=1e-4, atol=1e-4)
    x2 = rng.randn(2, 5, 6, 3)
    rows, cols = 2, 3
    kern2 = rng.randn(rows * cols, 3 * 2 * 3, 4)
    want = np.zeros((2, rows, cols, 4))
    want_cf = np.zeros((2, 4, rows, cols))
    x2f = _cf(x2)
    for i in range(rows):
        for j in range(cols):
            w = kern2[i * cols + j]
            want[:, i, j] = x2[:, 2 * i:2 * i + 3, 2 * j:2 * j + 2, :].reshape(2, -1) @ w
            want_cf[:, :, i, j] = x2f[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 2].reshape(2, -1) @ w
    _close(K.local_conv2d(x2, kern2, (3, 2), (2, 2), (rows, cols)), want, rtol=1e-4, atol=1e-4)
    _close(K.local_conv2d(x2f, kern2, (3, 2), (2, 2), (rows, cols), "channels_first"), want_cf,
           rtol=1e-4, atol=1e-4)


def test_bad_convolution_arguments_raise():
    x, k = np.ones((1, 4, 4, 1), "float32"), np.ones((2, 2, 1, 1), "float32")
    with pytest.raises(ValueError, match="padding"):
        K.conv2d(x, k, padding="full")
    with pytest.raises(ValueError, match="data_format"):
        K.conv2d(x, k, data_format="NHWC")
    with pytest.raises(ValueError, match="causal"):
        K.conv1d(np.ones((1, 1, 4)), np.ones((2, 1, 1)), padding="causal",
                 data_format="channels_first")
    with pytest.raises(ValueError, match="strides"):
        K.conv2d(x, k, strides=(1, 1, 1))
    with pytest.raises(ValueError, match="4-D input"):
        K.conv2d(x[0], k)


def _np_simple_rnn(x, h0, w, u, c, mask=None, backwards=False, keep_previous_output=False):
    n, steps = x.shape[:2]
    order = range(steps - 1, -1, -1) if backwards else range(steps)
    h, outputs, prev = h0, [], np.zeros_like(h0)
    for t in order:
        new = np.tanh(x[:, t] @ w + h @ u + c)
        out = new
        if mask is not None:
            m = mask[:, t][:, None].astype(bool)
            out = np.where(m, new, prev if keep_previous_output else h)
            new = np.where(m, new, h)
        h, prev = new, out
        outputs.append(out)
    return outputs[-1], np.stack(outputs, axis=1), h


def test_rnn_matches_python_loop():
    rng = np.random.RandomState(10)
    x = rng.randn(3, 5, 2).astype("float32")
    w, u = rng.randn(2, 4).astype("float32"), rng.randn(4, 4).astype("float32") * 0.5
    c = rng.randn(4).astype("float32")
    h0 = rng.randn(3, 4).astype("float32")
    mask = np.array([[0, 1, 1, 0, 1], [1, 1, 1, 1, 1], [1, 1, 0, 0, 0]], "float32")

    def step(x_t, states):
        h, const = states
        out = jnp.tanh(x_t @ w + h @ u + const)
        return out, [out]

    for kwargs in [{"go_backwards": True}, {"mask": mask, "unroll": True},
                   {"mask": mask, "go_backwards": True}]:
        last, outs, states = K.rnn(step, x, [h0], constants=[c], **kwargs)
        want = _np_simple_rnn(x, h0, w, u, c, kwargs.get("mask"), kwargs.get("go_backwards"),
                              kwargs.get("unroll", False))
        _close(last, want[0], rtol=1e-4, atol=1e-5)
        _close(outs, want[1], rtol=1e-4, atol=1e-5)
        assert isinstance(states, list) and len(states) == 1
        _close(states[0], want[2], rtol=1e-4, atol=1e-5)
    jitted = jax.jit(lambda a, m: K.rnn(step, a, [h0], mask=m, constants=[c])[1])
    _close(jitted(x, mask), _np_simple_rnn(x, h0, w, u, c, mask)[1], rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="3-D"):
        K.rnn(step, x[:, 0], [h0])
    with pytest.raises(ValueError, match="initial states"):
        K.rnn(lambda a, s: (a, []), x, [], mask=mask)


def test_map_fn_foldl_foldr():
    x = np.arange(12, dtype="float32").reshape(4, 3)
    _close(K.map_fn(lambda r: r * r.sum(), x), x * x.sum(1, keepdims=True))
    assert K.dtype(K.map_fn(jnp.sum, x, dtype="int32")) == "int32"
    _close(K.foldl(lambda acc, r: acc * 2 + r, x), ((x[0] * 2 + x[1]) * 2 + x[2]) * 2 + x[3])
    _close(K.foldr(lambda acc, r: acc * 2 + r, x), ((x[3] * 2 + x[2]) * 2 + x[1]) * 2 + x[0])
    _close(K.foldl(lambda acc, r: acc - r.sum(), x, initializer=np.float32(100)), 100 - x.sum())
    _close(K.foldr(lambda acc, r: acc + r[:1], x[:, :1], initializer=np.zeros(1, "float32")),
           [x[:, 0].sum()])


def _collapse(path, blank):
    out, prev = [], None
    for s in path:
        if s != prev and s != blank:
            out.append(s)
        prev = s
    return tuple(out)


def _brute_force_ctc(probs, steps):
    """{labelling: total probability} over every path of `steps` frames."""
    blank = probs.shape[-1] - 1
    totals = {}
    for path in itertools.product(range(probs.shape[-1]), repeat=steps):
        p = np.prod([probs[t, s] for t, s in enumerate(path)])
        key = _collapse(path, blank)
        totals[key] = totals.get(key, 0.0) + p
    return totals


def test_ctc_batch_cost_matches_brute_force():
    # The case of Keras 2.2.4's own test, with the values TensorFlow gives for it.
    labels = np.array([[0, 1, 2, 1, 0], [0, 1, 1, 0, -1]])
    y_pred = np.array(
        [[[0.633766, 0.221185, 0.0917319, 0.0129757, 0.0142857, 0.0260553],
          [0.111121, 0.588392, 0.278779, 0.0055756, 0.00569609, 0.010436],
          [0.0357786, 0.633813, 0.321418, 0.00249248, 0.00272882, 0.0037688],
          [0.0663296, 0.643849, 0.280111, 0.00283995, 0.0035545, 0.00331533],
          [0.458235, 0.396634, 0.123377, 0.00648837, 0.00903441, 0.00623107]],
         [[0.30176, 0.28562, 0.0831517, 0.0862751, 0.0816851, 0.161508],
          [0.24082, 0.397533, 0.0557226, 0.0546814, 0.0557528, 0.19549],
          [0.230246, 0.450868, 0.0389607, 0.038309, 0.0391602, 0.202456],
          [0.280884, 0.429522, 0.0326593, 0.0339046, 0.0326856, 0.190345],
          [0.423286, 0.315517, 0.0338439, 0.0393744, 0.0339315, 0.154046]]], "float32")
    for input_length, label_length, tf_values in [([5, 5], [5, 4], [3.34211, 5.42262]),
                                                  ([4, 5], [3, 2], None)]:
        got = np.asarray(K.ctc_batch_cost(labels, y_pred, np.array(input_length)[:, None],
                                          np.array(label_length)[:, None]))
        assert got.shape == (2, 1)
        if tf_values is not None:
            _close(got[:, 0], tf_values, atol=1e-5)
        for b in range(2):
            # The probabilities TensorFlow's ctc_loss sees: softmax(log(y_pred + eps)).
            probs = (y_pred[b] + 1e-7) / (y_pred[b] + 1e-7).sum(-1, keepdims=True)
            table = _brute_force_ctc(probs, input_length[b])
            _close(got[b, 0], -np.log(table[tuple(labels[b, :label_length[b]])]), rtol=1e-5)
    # Differentiable, with finite gradients, under jit.
    lengths = np.array([[5], [5]]), np.array([[5], [4]])
    grad = jax.jit(jax.grad(lambda p: jnp.sum(K.ctc_batch_cost(labels, p, *lengths))))(y_pred)
    assert np.isfinite(np.asarray(grad)).all()


def test_ctc_decode_greedy_and_beam_search():
    # Greedy: best class per frame, repeats merged, blanks (the last class) dropped.
    y = np.full((2, 6, 4), 0.01, "float32")
    best = [[0, 3, 0, 0, 1, 2], [1, 1, 3, 1, 2, 2]]
    for b in range(2):
        y[b, np.arange(6), best[b]] = 0.97
    decoded, log_prob = K.ctc_decode(y, np.array([5, 6]))
    assert len(decoded) == 1
    np.testing.assert_array_equal(np.asarray(decoded[0]), [[0, 0, 1, -1, -1, -1],
                                                           [1, 1, 2, -1, -1, -1]])
    _close(log_prob, [[-5 * np.log(0.97 + 1e-7)], [-6 * np.log(0.97 + 1e-7)]], rtol=1e-5)
    # Beam search wide enough to be exact: the best labellings by total path score,
    # each frame scored relative to its best class.
    rng = np.random.RandomState(12)
    y = rng.rand(1, 3, 3).astype("float32") + 0.1
    y /= y.sum(-1, keepdims=True)
    frames = (y[0] + 1e-7) / (y[0] + 1e-7).max(-1, keepdims=True)
    table = sorted(_brute_force_ctc(frames, 3).items(), key=lambda kv: -kv[1])
    assert all(len(set(lab)) == len(lab) for lab, _ in table[:2])  # no repeat to merge
    # 8 beams hold every prefix of two steps (1 + 2 + 4), so the search is exact.
    decoded, log_prob = K.ctc_decode(y, np.array([3]), greedy=False, beam_width=8, top_paths=2)
    assert len(decoded) == 2 and np.asarray(log_prob).shape == (1, 2)
    for i in range(2):
        lab, score = table[i]
        row = np.asarray(decoded[i])[0]
        np.testing.assert_array_equal(row[:len(lab)], lab)
        assert (row[len(lab):] == -1).all()
        _close(np.asarray(log_prob)[0, i], np.log(score), rtol=1e-4)
    # The beams TensorFlow finds with beam_width=2 in Keras 2.2.4's own test.
    y = np.array([[0.30999, 0.309938, 0.0679938, 0.0673362, 0.0708352, 0.173908],
                  [0.215136, 0.439699, 0.0370931, 0.0393967, 0.0381581, 0.230517],
                  [0.199959, 0.489485, 0.0233221, 0.0251417, 0.0233289, 0.238763],
                  [0.279611, 0.452966, 0.0204795, 0.0209126, 0.0194803, 0.20655],
                  [0.51286, 0.288951, 0.0243026, 0.0220788, 0.0219297, 0.129878],
                  [0.0] * 6, [0.0] * 6], "float32")[None]
    decoded, log_prob = K.ctc_decode(y, np.array([5]), greedy=False, beam_width=2, top_paths=2)
    np.testing.assert_array_equal(np.asarray(decoded[0])[0, :3], [1, 0, -1])
    np.testing.assert_array_equal(np.asarray(decoded[1])[0, :4], [0, 1, 0, -1])
    _close(log_prob, [[0.584855, 0.389139]], atol=1e-5)
    with pytest.raises(ValueError, match="top_paths"):
        K.ctc_decode(y, np.array([5]), greedy=False, beam_width=2, top_paths=3)


def test_ctc_label_dense_to_sparse():
    labels = np.array([[3, 1, 2], [4, 5, 6]])
    sp = K.ctc_label_dense_to_sparse(labels, np.array([2, 3]))
    assert K.is_sparse(sp)
    np.testing.assert_array_equal(np.asarray(K.to_dense(sp)), [[3, 1, 0], [4, 5, 6]])


def test_batch_dot_follows_keras_2_2_4_shapes_and_values():
    rng = np.random.RandomState(3)
    x, y = rng.rand(32, 20, 1), rng.rand(32, 30, 20)
    np.testing.assert_allclose(K.batch_dot(x, y, axes=[1, 2]),
                               np.einsum("bik,bjk->bij", x.transpose(0, 2, 1), y), rtol=1e-5)
    a, b = rng.rand(4, 3), rng.rand(4, 3)
    np.testing.assert_allclose(K.batch_dot(a, b, axes=1), (a * b).sum(1, keepdims=True),
                               rtol=1e-5)
    # The capsule network's routing: every leading axis is a batch axis.
    c, hat = rng.rand(5, 10, 8), rng.rand(5, 10, 8, 16)
    np.testing.assert_allclose(K.batch_dot(c, hat, [2, 2]), np.einsum("bnk,bnkd->bnd", c, hat),
                               rtol=1e-5)
    o = rng.rand(5, 10, 16)
    np.testing.assert_allclose(K.batch_dot(o, hat, [2, 3]), np.einsum("bnd,bnkd->bnk", o, hat),
                               rtol=1e-5)
    with pytest.raises(ValueError, match="multiple target dimensions"):
        K.batch_dot(a, b, axes=[[1], [1]])


def test_compiled_programs_read_variables_outside_the_model_at_every_call():
    from jeras import callbacks, optimizers
    from jeras.layers import Dense, Input, Lambda
    from jeras.models import Model
    beta = K.variable(0.0)
    other = Dense(2)
    other.build((None, 3))
    x = Input((3,))
    dense = Dense(2)
    y = Lambda(lambda t: t[0] * beta + K.dot(t[1], other.kernel))([dense(x), x])
    model = Model(x, y)
    # lr 0: the weights stay, so each epoch's loss follows from beta alone.
    model.compile(optimizers.SGD(lr=0.0), "mse")
    a = np.random.RandomState(0).rand(4, 3).astype("float32")
    target = np.ones((4, 2), "float32")
    kernel, bias = dense.get_weights()

    def expected(b):
        return (a @ kernel + bias) * b + a @ other.get_weights()[0]

    np.testing.assert_allclose(model.predict(a), expected(0.0), rtol=1e-5)
    K.set_value(beta, 2.0)
    other.set_weights([np.ones((3, 2), "float32"), np.zeros(2, "float32")])
    np.testing.assert_allclose(model.predict(a), expected(2.0), rtol=1e-5)
    function = K.function([x], [y])
    K.set_value(beta, -1.0)
    np.testing.assert_allclose(function([a])[0], expected(-1.0), rtol=1e-5)
    # KL annealing: a callback sets the weight of a term before each epoch.
    anneal = callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: K.set_value(beta, e))
    history = model.fit(a, target, epochs=3, batch_size=4, verbose=0, callbacks=[anneal])
    np.testing.assert_allclose(history.history["loss"],
                               [np.mean((expected(e) - target) ** 2) for e in range(3)],
                               rtol=1e-5)
