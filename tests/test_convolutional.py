"""Convolutional layers against float64 numpy references, weight tables and a digits CNN."""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jeras.datasets import digits
from jeras.layers import (
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    Convolution2D,
    Cropping1D,
    Cropping2D,
    Deconvolution2D,
    Dense,
    DepthwiseConv2D,
    Flatten,
    MaxPooling2D,
    SeparableConv1D,
    SeparableConv2D,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from jeras.models import Sequential
from jeras.utils.np_utils import to_categorical

RNG = np.random.RandomState(0)


def run(layer, x, weights=None, training=False):
    layer.ensure_built(x.shape)
    if weights is not None:
        layer.set_weights(weights)
    out, _ = layer.apply(layer._values, x.astype("float32"), training=training)
    assert tuple(out.shape) == tuple(layer.compute_output_shape(x.shape))
    return np.asarray(out)


def random_weights(layer, shape):
    layer.ensure_built(shape)
    return [RNG.randn(*w.shape) * 0.5 for w in layer.get_weights()]


# Independent references (channels_last, float64).

def same_pads(n, k, s, d):
    """TensorFlow's 'same' padding: output ceil(n / s), the odd pad at the end."""
    dk = (k - 1) * d + 1
    total = max((-(-n // s) - 1) * s + dk - n, 0)
    return total // 2, total - total // 2


def np_conv(x, w, strides, padding, dilation):
    """out[b, o, f] = sum over taps t and channels c of xpad[b, o*s + t*d, c] * w[t, c, f]."""
    rank = w.ndim - 2
    pads = [(0, 0)]
    for a in range(rank):
        k, s, d, n = w.shape[a], strides[a], dilation[a], x.shape[1 + a]
        if padding == "same":
            pads.append(same_pads(n, k, s, d))
        elif padding == "causal":
            pads.append(((k - 1) * d, 0))
        else:
            pads.append((0, 0))
    xp = np.pad(x, pads + [(0, 0)])
    out_sizes = [(xp.shape[1 + a] - (w.shape[a] - 1) * dilation[a] - 1) // strides[a] + 1
                 for a in range(rank)]
    out = np.zeros((x.shape[0],) + tuple(out_sizes) + (w.shape[-1],))
    for tap in itertools.product(*[range(k) for k in w.shape[:rank]]):
        index = tuple(slice(t * d, t * d + (o - 1) * s + 1, s)
                      for t, d, o, s in zip(tap, dilation, out_sizes, strides))
        out += np.tensordot(xp[(slice(None),) + index], w[tap], axes=([-1], [0]))
    return out


def np_depthwise(x, w, strides, padding, dilation):
    """Each input channel c convolved alone with w[..., c, m]; output channel c * M + m."""
    channels, mult = w.shape[-2:]
    parts = [np_conv(x[..., c:c + 1], w[..., c:c + 1, m:m + 1], strides, padding, dilation)
             for c in range(channels) for m in range(mult)]
    return np.concatenate(parts, axis=-1)


def np_conv_transpose_2d(x, w, strides, padding, out_size, dilation=(1, 1)):
    """Scatter form: full[b, i*s + t*d] += x[b, i] @ w[t].T, then TF's crop of `pad_before`."""
    b, h, wd, _ = x.shape
    kh, kw, f, _ = w.shape
    (sh, sw), (dh, dw) = strides, dilation
    reach = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
    full = np.zeros((b, (h - 1) * sh + reach[0] + sh, (wd - 1) * sw + reach[1] + sw, f))
    for i, j, ti, tj in itertools.product(range(h), range(wd), range(kh), range(kw)):
        full[:, i * sh + ti * dh, j * sw + tj * dw, :] += x[:, i, j, :] @ w[ti, tj].T
    offsets = []
    for n, k, s, out in zip((h, wd), reach, strides, out_size):
        total = max((n - 1) * s + k - out, 0) if padding == "same" else 0
        offsets.append(total // 2)
    return full[:, offsets[0]:offsets[0] + out_size[0], offsets[1]:offsets[1] + out_size[1]]


def to_first(a):
    return np.moveaxis(a, -1, 1)


def check(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("padding,strides,dilation", [
    ("valid", 1, 1), ("same", 2, 1), ("causal", 1, 2), ("same", 1, 2), ("valid", 3, 1)])
def test_conv1d_paddings_strides_dilations(padding, strides, dilation):
    x = RNG.randn(2, 11, 3)
    layer = Conv1D(4, 3, strides=strides, padding=padding, dilation_rate=dilation,
                   activation="tanh")
    weights = random_weights(layer, x.shape)
    expected = np.tanh(np_conv(x, weights[0], (strides,), padding, (dilation,)) + weights[1])
    for training in (False, True):
        check(run(layer, x, weights, training), expected)


@pytest.mark.parametrize("padding,strides,dilation,data_format", [
    ("valid", (1, 1), (1, 1), "channels_last"), ("same", (2, 1), (1, 1), "channels_first"),
    ("valid", (1, 1), (2, 1), "channels_first"), ("same", (1, 1), (1, 2), "channels_last")])
def test_conv2d_every_padding_format_and_dilation(padding, strides, dilation, data_format):
    x = RNG.randn(2, 7, 6, 3)
    layer = Conv2D(5, (3, 2), strides=strides, padding=padding, dilation_rate=dilation,
                   data_format=data_format, use_bias=False)
    weights = random_weights(layer, x.shape if data_format == "channels_last"
                             else to_first(x).shape)
    expected = np_conv(x, weights[0], strides, padding, dilation)
    for training in (False, True):
        if data_format == "channels_first":
            check(run(layer, to_first(x), weights, training), to_first(expected))
        else:
            check(run(layer, x, weights, training), expected)


def test_conv3d_and_separable_and_depthwise():
    x3 = RNG.randn(1, 4, 5, 4, 2)
    conv3 = Conv3D(3, 2, padding="same", strides=(1, 2, 1))
    weights = random_weights(conv3, x3.shape)
    for training in (False, True):
        check(run(conv3, x3, weights, training),
              np_conv(x3, weights[0], (1, 2, 1), "same", (1, 1, 1)) + weights[1])

    x = RNG.randn(2, 7, 6, 3)
    sep = SeparableConv2D(4, 3, padding="same", depth_multiplier=2, dilation_rate=2)
    dw, pw, bias = random_weights(sep, x.shape)
    depthwise = np_depthwise(x, dw, (1, 1), "same", (2, 2))
    for training in (False, True):
        check(run(sep, x, [dw, pw, bias], training), depthwise @ pw[0, 0] + bias)

    x1 = RNG.randn(2, 9, 3)
    sep1 = SeparableConv1D(2, 3, strides=2, use_bias=False)
    dw1, pw1 = random_weights(sep1, x1.shape)
    check(run(sep1, x1, [dw1, pw1]), np_depthwise(x1, dw1, (2,), "valid", (1,)) @ pw1[0])

    depth = DepthwiseConv2D((2, 3), depth_multiplier=2, data_format="channels_first",
                            strides=2)
    weights = random_weights(depth, to_first(x).shape)
    expected = np_depthwise(x, weights[0], (2, 2), "valid", (1, 1)) + weights[1]
    check(run(depth, to_first(x), weights), to_first(expected))


def outputs_and_gradients(layer, x, training):
    """The layer's outputs and the gradients of a random projection of them with
    respect to its weights and its inputs."""
    weights = [jnp.asarray(w) for w in layer._values]

    def forward(weights, x):
        return layer.apply(weights, x, training=training)[0]

    out, vjp = jax.vjp(forward, weights, jnp.asarray(x, jnp.float32))
    cotangent = np.random.RandomState(2).randn(*out.shape).astype("float32")
    return [np.asarray(a) for a in [out, *jax.tree.leaves(vjp(cotangent))]]


@pytest.mark.parametrize("layer,shape", [
    (Conv1D(4, 3, padding="causal", dilation_rate=2), (2, 11, 3)),
    (Conv1D(4, 3, strides=3), (2, 11, 3)),
    (Conv2D(6, 3), (3, 12, 12, 1)),
    (Conv2D(5, (3, 2), strides=(2, 1), padding="same", data_format="channels_first"),
     (2, 3, 7, 6)),
    (Conv2D(5, (3, 2), padding="same", dilation_rate=(1, 2)), (2, 7, 6, 3)),
    (Conv3D(3, 2, padding="same", strides=(1, 2, 1)), (1, 4, 5, 4, 2)),
    (SeparableConv2D(4, 3, padding="same", depth_multiplier=2), (2, 7, 6, 3)),
    (SeparableConv1D(3, 3, strides=2, dilation_rate=1, data_format="channels_first"),
     (2, 3, 9)),
    (DepthwiseConv2D(3, depth_multiplier=3), (2, 6, 5, 2)),
    (DepthwiseConv2D((2, 3), strides=2, padding="same", data_format="channels_first"),
     (2, 4, 7, 6)),
    (Conv2DTranspose(3, 3, strides=2, padding="same"), (2, 5, 4, 3)),
    (Conv2DTranspose(2, (3, 2), strides=(2, 3), output_padding=(1, 0),
                     data_format="channels_first"), (2, 3, 4, 5)),
    (Conv3DTranspose(2, 2, strides=(1, 2, 1), padding="same"), (1, 3, 4, 3, 2)),
    (Conv2DTranspose(2, 3, padding="same", dilation_rate=2), (2, 5, 4, 3)),
])
def test_training_patches_match_the_xla_convolution_and_its_gradients(layer, shape):
    # Training on the CPU convolves patches with a matmul; inference keeps XLA's
    # convolution, so the two must agree, gradients included.
    x = RNG.randn(*shape)
    layer.ensure_built(shape)
    layer.set_weights(random_weights(layer, shape))
    for fast, reference in zip(outputs_and_gradients(layer, x, True),
                               outputs_and_gradients(layer, x, False)):
        check(fast, reference)


def compiled_gradient(layer, shape):
    layer.ensure_built(shape)
    loss = lambda w, x: jnp.sum(layer.apply(w, x, training=True)[0])  # noqa: E731
    return jax.jit(jax.grad(loss, argnums=(0, 1))).lower(
        layer._values, jnp.ones(shape)).compile().as_text()


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the CPU backend's formulation")
def test_cpu_training_avoids_xla_convolutions_where_layers_say_scan_friendly():
    for layer in (Conv1D(2, 3), Conv2D(2, 3, padding="same"), Conv3D(2, 2),
                  DepthwiseConv2D(3), SeparableConv2D(2, 3), Conv2DTranspose(2, 3, strides=2),
                  Conv3DTranspose(2, 2)):
        assert "convolution(" not in compiled_gradient(layer, (2,) + (5,) * layer.rank + (3,))
        assert layer.scan_friendly


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the CPU backend's formulation")
def test_large_or_unknown_images_keep_xla_convolutions_to_spare_memory():
    # 3x3 taps over 100x100x64 outputs: 23 MiB of patches per sample, over the limit.
    large = Conv2D(2, 3)
    assert "convolution(" in compiled_gradient(large, (1, 102, 102, 64))
    assert not large.scan_friendly
    unknown = Conv2D(2, 3)
    unknown.ensure_built((None, None, None, 3))
    assert not unknown.scan_friendly
    small = Conv2D(2, 3)
    small.ensure_built((None, 32, 32, 64))
    assert small.scan_friendly


@pytest.mark.parametrize("padding,strides,output_padding,data_format", [
    ("valid", (2, 2), None, "channels_last"), ("same", (2, 3), None, "channels_last"),
    ("valid", (1, 1), None, "channels_first"), ("same", (2, 2), (1, 0), "channels_last"),
    ("valid", (3, 2), (2, 1), "channels_first")])
def test_conv2d_transpose_matches_scatter_reference(padding, strides, output_padding,
                                                     data_format):
    x = RNG.randn(2, 4, 3, 3)
    layer = Conv2DTranspose(2, (3, 2), strides=strides, padding=padding,
                            output_padding=output_padding, data_format=data_format)
    first = data_format == "channels_first"
    weights = random_weights(layer, to_first(x).shape if first else x.shape)
    out = run(layer, to_first(x) if first else x, weights)
    out_size = out.shape[2:] if first else out.shape[1:3]
    expected = np_conv_transpose_2d(x, weights[0], strides, padding, out_size) + weights[1]
    check(out, to_first(expected) if first else expected)


@pytest.mark.parametrize("padding,strides,dilation,data_format,training", [
    ("same", (1, 1), (2, 2), "channels_last", False), ("valid", (1, 1), (2, 3), "channels_last",
                                                       True),
    ("same", (1, 1), (3, 2), "channels_first", True), ("valid", (2, 2), (2, 1), "channels_last",
                                                       False)])
def test_dilated_conv2d_transpose_matches_scatter_reference(padding, strides, dilation,
                                                            data_format, training):
    # Keras 2.2.4's Conv2DTranspose takes dilation_rate: the transpose of a dilated
    # convolution, its output size that of the dilated kernel.
    x = RNG.randn(2, 5, 4, 3)
    layer = Conv2DTranspose(2, (3, 2), strides=strides, padding=padding,
                            dilation_rate=dilation, data_format=data_format)
    first = data_format == "channels_first"
    weights = random_weights(layer, to_first(x).shape if first else x.shape)
    out = run(layer, to_first(x) if first else x, weights, training=training)
    out_size = out.shape[2:] if first else out.shape[1:3]
    reach = [(k - 1) * d + 1 for k, d in zip((3, 2), dilation)]
    if padding == "same":
        assert tuple(out_size) == (5 * strides[0], 4 * strides[1])
    else:
        assert tuple(out_size) == tuple(n * s + max(r - s, 0)
                                        for n, s, r in zip((5, 4), strides, reach))
    expected = np_conv_transpose_2d(x, weights[0], strides, padding, out_size,
                                    dilation) + weights[1]
    check(out, to_first(expected) if first else expected)
    assert layer.get_config()["dilation_rate"] == dilation


def test_transpose_output_sizes_follow_keras():
    # Keras 2.2.4 deconv_length: valid n*s + max(k - s, 0); same n*s;
    # with output_padding (n - 1)*s + k - 2*pad + output_padding.
    assert Conv2DTranspose(1, 3, strides=2).compute_output_shape((None, 5, 5, 1)) \
        == (None, 11, 11, 1)
    assert Conv2DTranspose(1, 2, strides=3).compute_output_shape((None, 5, 5, 1)) \
        == (None, 15, 15, 1)
    assert Conv2DTranspose(1, 3, strides=2, padding="same").compute_output_shape(
        (None, 5, 4, 1)) == (None, 10, 8, 1)
    assert Conv2DTranspose(1, 3, strides=2, padding="same", output_padding=1) \
        .compute_output_shape((None, 5, 5, 1)) == (None, 10, 10, 1)


def test_cropping_padding_upsampling():
    x = RNG.randn(2, 6, 5, 3)
    check(run(Cropping2D(((1, 2), (0, 1))), x), x[:, 1:4, 0:4])
    check(run(Cropping2D(1, data_format="channels_first"), to_first(x)),
          to_first(x)[:, :, 1:-1, 1:-1])
    check(run(ZeroPadding2D(((1, 0), (2, 1))), x),
          np.pad(x, ((0, 0), (1, 0), (2, 1), (0, 0))))
    check(run(ZeroPadding2D(1, data_format="channels_first"), to_first(x)),
          np.pad(to_first(x), ((0, 0), (0, 0), (1, 1), (1, 1))))
    check(run(UpSampling2D((2, 3)), x), x.repeat(2, axis=1).repeat(3, axis=2))
    check(run(UpSampling2D(data_format="channels_first"), to_first(x)),
          to_first(x).repeat(2, axis=2).repeat(2, axis=3))
    s = RNG.randn(2, 6, 3)
    check(run(Cropping1D((2, 1)), s), s[:, 2:5])
    check(run(ZeroPadding1D(2), s), np.pad(s, ((0, 0), (2, 2), (0, 0))))
    check(run(UpSampling1D(3), s), s.repeat(3, axis=1))
    assert Cropping2D(1).get_config()["cropping"] == ((1, 1), (1, 1))
    assert ZeroPadding1D(2).get_config()["padding"] == (2, 2)


def np_bilinear_tf1(x, factors):
    """TensorFlow 1's resize_bilinear (align_corners=False, no half-pixel centres) on
    channels_last images: output index i reads the input at i / factor."""
    out = x
    for axis, f in zip((1, 2), factors):
        n = out.shape[axis]
        where = np.arange(n * f) / f
        low = np.floor(where).astype(int)
        high = np.minimum(low + 1, n - 1)
        frac = (where - low).reshape([-1 if a == axis else 1 for a in range(out.ndim)])
        out = np.take(out, low, axis) * (1 - frac) + np.take(out, high, axis) * frac
    return out


@pytest.mark.parametrize("size,data_format", [((2, 2), "channels_last"),
                                              ((2, 3), "channels_first"),
                                              ((3, 1), "channels_last")])
def test_bilinear_upsampling_is_tensorflow_1s(size, data_format):
    x = RNG.rand(2, 5, 4, 3)
    layer = UpSampling2D(size, data_format=data_format, interpolation="bilinear")
    first = data_format == "channels_first"
    out = run(layer, to_first(x) if first else x)
    expected = np_bilinear_tf1(x, size)
    check(out, to_first(expected) if first else expected)
    # Rows and columns that are multiples of the factor keep the input's pixels.
    check(expected[:, ::size[0], ::size[1]], x)
    config = layer.get_config()
    assert config["interpolation"] == "bilinear"
    assert UpSampling2D.from_config(config).interpolation == "bilinear"
    assert UpSampling2D().get_config()["interpolation"] == "nearest"
    with pytest.raises(ValueError, match="interpolation"):
        UpSampling2D(interpolation="bicubic")


def test_cropping_every_step_predicts_an_empty_axis():
    # Keras 2.2.4 allows cropping all of an axis; predict then returns the empty
    # slice, batch by batch and for the short last batch alike.
    x = RNG.randn(5, 4, 3).astype("float32")
    for cropping in ((2, 2), (1, 2)):
        model = Sequential([Cropping1D(cropping, input_shape=(4, 3))])
        out = model.predict(x, batch_size=2)
        np.testing.assert_array_equal(out, x[:, cropping[0]:4 - cropping[1]])


# Parameter counts and weight shapes, as Keras 2.2.4 reports them.
KERAS_TABLE = [
    (lambda: Conv1D(16, 5), (None, 20, 8), [(5, 8, 16), (16,)], 656, (None, 16, 16)),
    (lambda: Conv2D(32, 3), (None, 28, 28, 1), [(3, 3, 1, 32), (32,)], 320, (None, 26, 26, 32)),
    (lambda: Conv3D(4, 3), (None, 5, 5, 5, 2), [(3, 3, 3, 2, 4), (4,)], 220,
     (None, 3, 3, 3, 4)),
    (lambda: SeparableConv2D(64, 3), (None, 10, 10, 32), [(3, 3, 32, 1), (1, 1, 32, 64), (64,)],
     2400, (None, 8, 8, 64)),
    (lambda: SeparableConv1D(8, 3, depth_multiplier=2), (None, 10, 4),
     [(3, 4, 2), (1, 8, 8), (8,)], 96, (None, 8, 8)),
    (lambda: DepthwiseConv2D(3, depth_multiplier=2), (None, 10, 10, 8),
     [(3, 3, 8, 2), (16,)], 160, (None, 8, 8, 16)),
    (lambda: Conv2DTranspose(16, 3, strides=2), (None, 7, 7, 8), [(3, 3, 16, 8), (16,)], 1168,
     (None, 15, 15, 16)),
]


@pytest.mark.parametrize("make,shape,weight_shapes,count,output_shape", KERAS_TABLE)
def test_weight_shapes_and_counts_match_keras(make, shape, weight_shapes, count, output_shape):
    layer = make()
    assert layer.ensure_built(shape) == output_shape
    assert [w.shape for w in layer.get_weights()] == weight_shapes
    assert layer.count_params() == count


def test_aliases_names_and_config_round_trip():
    assert Convolution2D is Conv2D and Deconvolution2D is Conv2DTranspose
    layer = Conv2D(3, 2, strides=(2, 1), padding="same", activation="relu", name="c")
    assert layer.name == "c" and Conv2D(1, 1).name.startswith("conv2d_")
    config = layer.get_config()
    assert config["kernel_size"] == (2, 2) and config["strides"] == (2, 1)
    assert config["data_format"] == "channels_last" and "rank" not in config
    assert Conv2D.from_config(config).get_config() == config
    transposed = Conv2DTranspose(2, 3, output_padding=1, strides=2).get_config()
    assert transposed["dilation_rate"] == (1, 1) and transposed["output_padding"] == (1, 1)
    # Keras 2.2.4's Conv3DTranspose has no dilation_rate, in its signature or its files.
    assert "dilation_rate" not in Conv3DTranspose(2, 3).get_config()
    depth = DepthwiseConv2D(3).get_config()
    assert "filters" not in depth and depth["depth_multiplier"] == 1
    assert DepthwiseConv2D.from_config(depth).get_config()["kernel_size"] == (3, 3)
    assert Conv1D(2, 3, input_dim=4, input_length=10).batch_input_shape == (None, 10, 4)


def test_bad_arguments_raise_naming_them():
    with pytest.raises(ValueError, match="padding"):
        Conv2D(2, 3, padding="full")
    with pytest.raises(ValueError, match="padding"):
        Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="filters"):
        Conv2D(-1, 3)
    with pytest.raises(ValueError, match="kernel_size"):
        Conv2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match="strides"):
        Conv1D(2, 3, strides=0)
    with pytest.raises(ValueError, match="data_format"):
        Conv2D(2, 3, data_format="nhwc")
    with pytest.raises(ValueError, match="causal"):
        Conv1D(2, 3, padding="causal", data_format="channels_first")
    with pytest.raises(ValueError, match="output_padding"):
        Conv2DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match=r"Conv2D 'bad'.*rank 4.*\(None, 8, 3\)"):
        Conv2D(2, 3, name="bad").ensure_built((None, 8, 3))
    with pytest.raises(ValueError, match="cropping"):
        Cropping2D((1, 2, 3))
    with pytest.raises(ValueError, match="dilation_rate"):
        Conv2DTranspose(2, 3, dilation_rate=0)


def test_digits_cnn_reaches_97_percent():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = x_train.reshape(-1, 8, 8, 1).astype("float32") / 16
    x_test = x_test.reshape(-1, 8, 8, 1).astype("float32") / 16
    model = Sequential([
        Conv2D(16, 3, padding="same", activation="relu", input_shape=(8, 8, 1)),
        MaxPooling2D(),
        Conv2D(32, 3, activation="relu"),
        Flatten(),
        Dense(10, activation="softmax"),
    ])
    model.compile("adam", "categorical_crossentropy", metrics=["acc"])
    model.fit(x_train, to_categorical(y_train, 10), batch_size=32, epochs=25, verbose=0)
    _, acc = model.evaluate(x_test, to_categorical(y_test, 10), verbose=0)
    assert acc >= 0.97
    # Keras 2's summary numbers for this model: 160 + 4640 + 1290 parameters.
    assert [layer.count_params() for layer in model.layers] == [160, 0, 4640, 0, 1290]
    assert model.layers[2].output_shape == (None, 2, 2, 32)
