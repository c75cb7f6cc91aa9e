"""LocallyConnected1D/2D against numpy loops over Keras 2.2.4's unshared-weight formula.

The end of the file checks the 3-D layers that issue #10 lists beside them
(Conv3DTranspose, Cropping3D, ZeroPadding3D, UpSampling3D, the global 3-D
poolings), which no other test file covered.
"""
import numpy as np
import pytest

from jeras.layers import (
    Conv3DTranspose,
    Cropping3D,
    Dense,
    Flatten,
    GlobalAveragePooling3D,
    GlobalMaxPooling3D,
    LocallyConnected1D,
    LocallyConnected2D,
    UpSampling3D,
    ZeroPadding3D,
)
from jeras.models import Sequential, load_model

RNG = np.random.RandomState(3)


def randomize(layer, shape):
    layer.ensure_built(shape)
    weights = [RNG.randn(*w.shape).astype("float32") for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


def np_local1d(x, kernel, bias, k, stride):
    batch, steps, channels = x.shape
    length = kernel.shape[0]
    out = np.zeros((batch, length, kernel.shape[-1]))
    for t in range(length):
        patch = x[:, t * stride:t * stride + k, :]  # (batch, k, channels), flattened row-major
        for a in range(k):
            for c in range(channels):
                out[:, t] += patch[:, a, c][:, None] * kernel[t, a * channels + c]
    return out + (0 if bias is None else bias)


def np_local2d(x, kernel, bias, k, s, channels_first):
    if channels_first:
        x = np.moveaxis(x, 1, -1)
    batch, rows, cols, channels = x.shape
    out_r, out_c = (rows - k[0]) // s[0] + 1, (cols - k[1]) // s[1] + 1
    filters = kernel.shape[-1]
    out = np.zeros((batch, out_r, out_c, filters))
    for i in range(out_r):
        for j in range(out_c):
            w = kernel[i * out_c + j]
            for a in range(k[0]):
                for b in range(k[1]):
                    for c in range(channels):
                        # Keras flattens a patch in the input's own axis order.
                        f = (c * k[0] * k[1] + a * k[1] + b if channels_first
                             else (a * k[1] + b) * channels + c)
                        out[:, i, j] += x[:, i * s[0] + a, j * s[1] + b, c][:, None] * w[f]
    if channels_first:
        out = np.moveaxis(out, -1, 1)
        if bias is not None:  # Keras 2's bias_add reshapes (rows, cols, filters) memory
            out = out + bias.reshape(filters, out_r, out_c)
        return out
    return out + (0 if bias is None else bias)


@pytest.mark.parametrize("k, stride, use_bias", [(3, 1, True), (2, 2, False), (1, 3, True)])
def test_locally_connected_1d(k, stride, use_bias):
    x = RNG.randn(2, 9, 4).astype("float32")
    layer = LocallyConnected1D(5, k, strides=stride, use_bias=use_bias)
    weights = randomize(layer, (None, 9, 4))
    length = (9 - k) // stride + 1
    assert [w.shape for w in weights] == [(length, k * 4, 5)] + [(length, 5)] * use_bias
    expected = np_local1d(x, weights[0], weights[1] if use_bias else None, k, stride)
    np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-4, atol=1e-4)
    assert layer.compute_output_shape((None, 9, 4)) == (None, length, 5)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("k, s", [((3, 2), (1, 1)), ((2, 2), (2, 1))])
def test_locally_connected_2d(data_format, k, s):
    shape = (2, 6, 5, 3) if data_format == "channels_last" else (2, 3, 6, 5)
    x = RNG.randn(*shape).astype("float32")
    layer = LocallyConnected2D(4, k, strides=s, data_format=data_format, activation="tanh")
    weights = randomize(layer, (None,) + shape[1:])
    out_r, out_c = (6 - k[0]) // s[0] + 1, (5 - k[1]) // s[1] + 1
    assert [w.shape for w in weights] == [(out_r * out_c, k[0] * k[1] * 3, 4), (out_r, out_c, 4)]
    expected = np.tanh(np_local2d(x, weights[0], weights[1], k, s,
                                  data_format == "channels_first"))
    np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-4, atol=1e-4)
    assert layer.compute_output_shape((None,) + shape[1:]) == expected.shape[:0] + (
        (None,) + expected.shape[1:])


def test_keras_documented_parameter_count_and_training(tmp_path):
    # Keras 2's docstring: 30*30*(3*3*3*64) + 30*30*64 parameters on 32x32 RGB.
    model = Sequential([LocallyConnected2D(64, (3, 3), input_shape=(32, 32, 3))])
    assert model.count_params() == 30 * 30 * (3 * 3 * 3 * 64) + 30 * 30 * 64
    model = Sequential([LocallyConnected1D(3, 2, input_shape=(6, 2)), Flatten(), Dense(1)])
    model.compile("sgd", "mse")
    x, y = RNG.randn(16, 6, 2).astype("float32"), RNG.randn(16, 1).astype("float32")
    history = model.fit(x, y, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    path = str(tmp_path / "local.h5")
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6)


@pytest.mark.parametrize("make, error", [
    (lambda: LocallyConnected2D(2, 3, padding="same"), "padding"),
    (lambda: LocallyConnected1D(2, 3, implementation=2), "implementation"),
])
def test_refusals(make, error):
    with pytest.raises(ValueError, match=error):
        make()
    with pytest.raises(ValueError, match="fully defined"):
        LocallyConnected1D(2, 2).ensure_built((None, None, 3))


@pytest.mark.interop
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_same_numbers_as_tf_keras(data_format):
    tf_keras = pytest.importorskip("tf_keras")
    shape = (5, 6, 2) if data_format == "channels_last" else (2, 5, 6)
    x = RNG.randn(3, *shape).astype("float32")
    theirs = tf_keras.layers.LocallyConnected2D(3, (2, 3), strides=(1, 2),
                                                data_format=data_format, input_shape=shape)
    tf_keras.Sequential([theirs])
    weights = [RNG.randn(*w.shape).astype("float32") for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours = LocallyConnected2D(3, (2, 3), strides=(1, 2), data_format=data_format,
                              weights=weights)
    np.testing.assert_allclose(np.asarray(ours(x)), theirs(x).numpy(), rtol=1e-5, atol=1e-5)
    theirs1d = tf_keras.layers.LocallyConnected1D(4, 3, strides=2, input_shape=(7, 3))
    tf_keras.Sequential([theirs1d])
    weights = [RNG.randn(*w.shape).astype("float32") for w in theirs1d.get_weights()]
    theirs1d.set_weights(weights)
    x1 = RNG.randn(2, 7, 3).astype("float32")
    ours1d = LocallyConnected1D(4, 3, strides=2, weights=weights)
    np.testing.assert_allclose(np.asarray(ours1d(x1)), theirs1d(x1).numpy(), rtol=1e-5,
                               atol=1e-5)


# The 3-D layers of the list.

V = RNG.randn(2, 3, 4, 5, 2).astype("float32")


def test_conv3d_transpose_is_the_adjoint_scatter():
    layer = Conv3DTranspose(3, (2, 2, 2), strides=(2, 1, 2))
    kernel, bias = randomize(layer, (None, 3, 4, 5, 2))
    assert kernel.shape == (2, 2, 2, 3, 2)
    out = np.zeros((2, 6, 5, 10, 3))
    for d, h, w in np.ndindex(3, 4, 5):
        for a, b, c in np.ndindex(2, 2, 2):
            out[:, 2 * d + a, h + b, 2 * w + c] += V[:, d, h, w] @ kernel[a, b, c].T
    np.testing.assert_allclose(np.asarray(layer(V)), out + bias, rtol=1e-4, atol=1e-4)
    assert layer.compute_output_shape((None, 3, 4, 5, 2)) == (None, 6, 5, 10, 3)


def test_cropping_padding_upsampling_3d():
    np.testing.assert_array_equal(np.asarray(Cropping3D(((1, 0), (1, 2), (0, 1)))(V)),
                                  V[:, 1:, 1:2, :4])
    padded = np.asarray(ZeroPadding3D((1, 0, 2))(V))
    np.testing.assert_array_equal(padded, np.pad(V, ((0, 0), (1, 1), (0, 0), (2, 2), (0, 0))))
    np.testing.assert_array_equal(np.asarray(UpSampling3D((2, 1, 3))(V)),
                                  V.repeat(2, 1).repeat(3, 3))
    assert UpSampling3D((2, 1, 3)).compute_output_shape((None, 3, 4, 5, 2)) == (
        None, 6, 4, 15, 2)


def test_global_pooling_3d():
    np.testing.assert_allclose(np.asarray(GlobalMaxPooling3D()(V)), V.max(axis=(1, 2, 3)))
    np.testing.assert_allclose(np.asarray(GlobalAveragePooling3D()(V)), V.mean(axis=(1, 2, 3)),
                               rtol=1e-5, atol=1e-7)
    first = np.moveaxis(V, -1, 1)
    np.testing.assert_allclose(
        np.asarray(GlobalAveragePooling3D(data_format="channels_first")(first)),
        V.mean(axis=(1, 2, 3)), rtol=1e-5, atol=1e-7)
