"""Pooling layers against numpy window loops, including 'same' edges and masked means."""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jeras.layers import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool2D,
    Dense,
    Embedding,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPool1D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from jeras.models import Sequential

RNG = np.random.RandomState(1)


def run(layer, x, mask=None, training=False):
    layer.ensure_built(x.shape)
    out, _ = layer.apply(layer._values, x.astype("float32"), training=training, mask=mask)
    assert tuple(out.shape) == tuple(layer.compute_output_shape(x.shape))
    return np.asarray(out)


def np_pool(x, pool, strides, padding, reduce):
    """Windows over channels_last `x`; 'same' pads like TensorFlow (odd pad at the end)
    and the windows see only real entries (max ignores pads, mean divides by real count)."""
    rank = len(pool)
    starts, sizes = [], []
    for a in range(rank):
        n, k, s = x.shape[1 + a], pool[a], strides[a]
        if padding == "same":
            out = -(-n // s)
            before = max((out - 1) * s + k - n, 0) // 2
        else:
            out, before = (n - k) // s + 1, 0
        starts.append([o * s - before for o in range(out)])
        sizes.append(out)
    result = np.zeros((x.shape[0],) + tuple(sizes) + (x.shape[-1],))
    for pos in itertools.product(*[range(o) for o in sizes]):
        index = tuple(slice(max(starts[a][pos[a]], 0), starts[a][pos[a]] + pool[a])
                      for a in range(rank))
        window = x[(slice(None),) + index].reshape(x.shape[0], -1, x.shape[-1])
        result[(slice(None),) + pos] = reduce(window, axis=1)
    return result


def check(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("padding,pool,strides", [
    ("valid", (2, 2), None), ("same", (3, 2), (2, 2)), ("same", (2, 2), (1, 1)),
    ("valid", (3, 3), (2, 1))])
def test_2d_max_and_average_against_windows(padding, pool, strides):
    x = RNG.randn(2, 7, 6, 3)
    ref_strides = strides or pool
    for training in (False, True):
        check(run(MaxPooling2D(pool, strides, padding), x, training=training),
              np_pool(x, pool, ref_strides, padding, np.max))
    check(run(AveragePooling2D(pool, strides, padding), x),
          np_pool(x, pool, ref_strides, padding, np.mean))


def test_channels_first_1d_and_3d():
    x = RNG.randn(2, 7, 6, 3)
    first = np.moveaxis(x, -1, 1)
    expected = np.moveaxis(np_pool(x, (3, 2), (2, 2), "same", np.mean), -1, 1)
    check(run(AveragePooling2D((3, 2), (2, 2), "same", data_format="channels_first"), first),
          expected)
    s = RNG.randn(2, 9, 4)
    check(run(AveragePooling1D(), s), np_pool(s, (2,), (2,), "valid", np.mean))
    v = RNG.randn(1, 4, 5, 4, 2)
    for training in (False, True):
        check(run(MaxPooling1D(3, 2, "same"), s, training=training),
              np_pool(s, (3,), (2,), "same", np.max))
        check(run(MaxPooling3D(2, padding="same"), v, training=training),
              np_pool(v, (2, 2, 2), (2, 2, 2), "same", np.max))
        check(run(MaxPooling2D((3, 2), (2, 2), "same", data_format="channels_first"), first,
                  training=training),
              np.moveaxis(np_pool(x, (3, 2), (2, 2), "same", np.max), -1, 1))
    check(run(AveragePooling3D((2, 1, 2)), v), np_pool(v, (2, 1, 2), (2, 1, 2), "valid",
                                                          np.mean))


def max_pool_gradient(layer, x, training):
    """The gradient of a random projection of the layer's outputs by its inputs."""
    layer.ensure_built(x.shape)
    out, vjp = jax.vjp(lambda x: layer.apply([], x, training=training)[0],
                       jnp.asarray(x, jnp.float32))
    cotangent = np.random.RandomState(2).randn(*out.shape).astype("float32")
    return np.asarray(vjp(cotangent)[0])


@pytest.mark.parametrize("layer,shape", [
    (MaxPooling2D(), (2, 8, 8, 3)),
    (MaxPooling2D(), (2, 7, 9, 3)),
    (MaxPooling2D((3, 2), (2, 1), "same"), (2, 7, 6, 3)),
    (MaxPooling2D(3, 2, "same", data_format="channels_first"), (2, 3, 7, 6)),
    (MaxPooling1D(3, 1), (2, 9, 4)),
    (MaxPooling3D(2, padding="same"), (1, 4, 5, 3, 2)),
])
def test_training_max_matches_reduce_window_gradients(layer, shape):
    # Training on the CPU takes the maximum over strided slices; inference keeps
    # lax.reduce_window, whose gradient is the reference.
    x = RNG.randn(*shape)
    np.testing.assert_array_equal(max_pool_gradient(layer, x, True),
                                  max_pool_gradient(layer, x, False))


def test_training_max_gives_a_tied_window_gradient_to_its_first_maximum():
    # After ReLU whole windows tie at zero; TensorFlow and lax.reduce_window pass
    # each window's gradient to its first maximal entry, unsplit.
    x = np.maximum(RNG.randn(2, 6, 6, 2), 0)
    x[0, :2, :2, 0] = 0.0
    x[1, 2:4, 2:4, 1] = 1.5
    layer = MaxPooling2D()
    gradient = max_pool_gradient(layer, x, True)
    np.testing.assert_array_equal(gradient, max_pool_gradient(layer, x, False))
    assert gradient[0, 0, 0, 0] != 0 and not gradient[0, :2, :2, 0].ravel()[1:].any()
    assert gradient[1, 2, 2, 1] != 0 and not gradient[1, 2:4, 2:4, 1].ravel()[1:].any()


def test_training_max_propagates_nan_like_reduce_window():
    x = RNG.randn(1, 4, 4, 1)
    x[0, 1, 1, 0] = x[0, 2, 3, 0] = np.nan
    for training in (False, True):
        out = run(MaxPooling2D(), x, training=training)[0, :, :, 0]
        np.testing.assert_array_equal(np.isnan(out), [[True, False], [False, True]])


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the CPU backend's formulation")
def test_cpu_training_avoids_select_and_scatter():
    layer = MaxPooling2D(3, 2, "same")
    layer.ensure_built((2, 9, 9, 3))
    assert layer.scan_friendly and AveragePooling2D().scan_friendly
    loss = lambda x: jnp.sum(layer.apply([], x, training=True)[0])  # noqa: E731
    hlo = jax.jit(jax.grad(loss)).lower(jnp.ones((2, 9, 9, 3))).compile().as_text()
    assert "select-and-scatter" not in hlo


def test_global_pooling_and_masked_average():
    x = RNG.randn(3, 5, 4, 2)
    check(run(GlobalMaxPooling2D(), x), x.max(axis=(1, 2)))
    check(run(GlobalAveragePooling2D(data_format="channels_first"), x), x.mean(axis=(2, 3)))
    s = RNG.randn(3, 6, 4)
    check(run(GlobalMaxPooling1D(), s), s.max(axis=1))
    mask = np.array([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1], [0, 1, 0, 1, 0, 0]], bool)
    layer = GlobalAveragePooling1D()
    expected = np.stack([s[i][mask[i]].mean(axis=0) for i in range(3)])
    check(run(layer, s, mask=mask), expected)
    check(run(layer, s), s.mean(axis=1))
    assert layer.compute_mask(s, mask) is None
    check(run(GlobalAveragePooling1D(data_format="channels_first"), np.moveaxis(s, 1, 2),
              mask=mask), expected)


def test_masked_mean_in_a_model_ignores_padding_tokens():
    model = Sequential([Embedding(10, 4, mask_zero=True, input_length=5),
                        GlobalAveragePooling1D(), Dense(1)])
    table = model.layers[0].get_weights()[0]
    kernel, bias = model.layers[2].get_weights()
    tokens = np.array([[3, 4, 0, 0, 0], [1, 2, 3, 4, 5]])
    expected = np.stack([table[[3, 4]].mean(0), table[[1, 2, 3, 4, 5]].mean(0)]) @ kernel + bias
    np.testing.assert_allclose(model.predict(tokens), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="masking"):
        Sequential([Embedding(10, 4, mask_zero=True, input_length=5), GlobalMaxPooling1D(),
                    Dense(1)]).predict(tokens)


def test_shapes_configs_aliases_and_errors():
    assert MaxPool2D is MaxPooling2D and AvgPool2D is AveragePooling2D
    assert GlobalMaxPool1D is GlobalMaxPooling1D
    layer = MaxPooling2D(pool_size=3, padding="same")
    assert layer.compute_output_shape((None, 28, 28, 8)) == (None, 10, 10, 8)
    config = layer.get_config()
    assert config["pool_size"] == (3, 3) and config["strides"] == (3, 3)
    assert MaxPooling2D.from_config(config).get_config() == config
    assert GlobalAveragePooling2D().compute_output_shape((None, 7, 7, 16)) == (None, 16)
    with pytest.raises(ValueError, match="padding"):
        MaxPooling2D(padding="causal")
    with pytest.raises(ValueError, match="pool_size"):
        AveragePooling1D(0)
    with pytest.raises(ValueError, match=r"MaxPooling2D 'p'.*rank 4.*\(None, 5, 3\)"):
        MaxPooling2D(name="p").ensure_built((None, 5, 3))
