"""ConvLSTM2D against a numpy transcription of Keras 2.2.4's ConvLSTM2DCell equations."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jeras.layers import ConvLSTM2D, Dense, Flatten, Masking
from jeras.models import Sequential, load_model
from jeras.optimizers import Adam

RNG = np.random.RandomState(7)
B, T, H, W, C, F = 2, 4, 6, 5, 2, 3
X = RNG.randn(B, T, H, W, C).astype("float32")
MASK = np.array([[1, 1, 0, 1], [0, 1, 1, 0]], bool)


def hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def np_conv2d(x, w, strides=(1, 1), padding="valid", dilation=(1, 1)):
    """A 2-D correlation as TensorFlow computes it, channels_last, by explicit loops.

    'same' pads `max((out - 1) * stride + reach - size, 0)` in all, the odd one at the end.
    """
    out, pads = [], []
    for n, k, s, d in zip(x.shape[1:3], w.shape[:2], strides, dilation):
        reach = (k - 1) * d + 1
        if padding == "same":
            size = -(-n // s)
            total = max((size - 1) * s + reach - n, 0)
            pads.append((total // 2, total - total // 2))
        else:
            size = (n - reach) // s + 1
            pads.append((0, 0))
        out.append(size)
    xp = np.pad(x.astype(np.float64), ((0, 0), pads[0], pads[1], (0, 0)))
    y = np.zeros((x.shape[0], out[0], out[1], w.shape[3]))
    for r in range(out[0]):
        for c in range(out[1]):
            for i in range(w.shape[0]):
                for j in range(w.shape[1]):
                    y[:, r, c] += xp[:, r * strides[0] + i * dilation[0],
                                     c * strides[1] + j * dilation[1]] @ w[i, j]
    return y


def np_convlstm(x, weights, strides=(1, 1), padding="valid", dilation=(1, 1),
                channels_first=False, mask=None, go_backwards=False, initial=None,
                in_masks=None, rec_masks=None):
    """Keras 2.2.4's loop over ConvLSTM2DCell: zero initial states unless given, masked
    steps keep the previous states, per-gate dropout masks fixed over the sequence.
    Returns (sequence of outputs, h, c), channels_last unless `channels_first`."""
    kernel, recurrent = weights[0], weights[1]
    f = recurrent.shape[2]
    bias = weights[2] if len(weights) > 2 else np.zeros(4 * f)
    if channels_first:
        x = np.moveaxis(x, 2, -1)
        initial = None if initial is None else [np.moveaxis(s, 1, -1) for s in initial]
    outputs = []
    h = c = None
    if initial is not None:
        h, c = (s.astype(np.float64) for s in initial)
    for t in (reversed(range(x.shape[1])) if go_backwards else range(x.shape[1])):
        xs = [x[:, t] * (1 if in_masks is None else in_masks[g]) for g in range(4)]
        xg = [np_conv2d(xs[g], kernel[..., g * f:(g + 1) * f], strides, padding, dilation)
              + bias[g * f:(g + 1) * f] for g in range(4)]
        if h is None:
            h = c = np.zeros_like(xg[0])
        hs = [h * (1 if rec_masks is None else rec_masks[g]) for g in range(4)]
        hg = [np_conv2d(hs[g], recurrent[..., g * f:(g + 1) * f], padding="same")
              for g in range(4)]
        i = hard_sigmoid(xg[0] + hg[0])
        fg = hard_sigmoid(xg[1] + hg[1])
        nc = fg * c + i * np.tanh(xg[2] + hg[2])
        o = hard_sigmoid(xg[3] + hg[3])
        nh = o * np.tanh(nc)
        if mask is not None:
            keep = mask[:, t][:, None, None, None]
            nh, nc = np.where(keep, nh, h), np.where(keep, nc, c)
        h, c = nh, nc
        outputs.append(h)
    seq = np.stack(outputs, axis=1)
    if channels_first:
        return np.moveaxis(seq, -1, 2), np.moveaxis(h, -1, 1), np.moveaxis(c, -1, 1)
    return seq, h, c


def randomize(layer, shape):
    layer.ensure_built(shape)
    weights = [RNG.randn(*w.shape) * 0.5 for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


def apply(layer, x, mask=None, training=False, rng=None):
    out, _ = layer.apply(layer._values, x, training=training, rng=rng, mask=mask)
    return out


def check(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=1e-4, atol=1e-5)


CASES = [
    ({"padding": "valid"}, None, False),
    ({"padding": "same", "strides": (2, 1), "return_sequences": True}, None, False),
    ({"padding": "valid", "dilation_rate": 2, "return_sequences": True}, None, True),
    ({"padding": "same", "kernel_size": (2, 3)}, None, True),
    ({"padding": "same", "return_sequences": True}, MASK, False),
    ({"padding": "valid", "go_backwards": True, "return_sequences": True}, MASK, True),
    ({"padding": "same", "go_backwards": True, "use_bias": False}, None, False),
]


@pytest.mark.parametrize("kwargs,mask,channels_first", CASES)
def test_forward_pass_matches_numpy(kwargs, mask, channels_first):
    kwargs = dict(kwargs)
    kernel_size = kwargs.pop("kernel_size", (3, 3))
    data_format = "channels_first" if channels_first else "channels_last"
    x = np.moveaxis(X, -1, 2) if channels_first else X
    layer = ConvLSTM2D(F, kernel_size, data_format=data_format, **kwargs)
    weights = randomize(layer, (None,) + x.shape[1:])
    seq, h, _ = np_convlstm(x, weights, layer.strides, layer.padding, layer.dilation_rate,
                            channels_first, mask, layer.go_backwards)
    expected = seq if layer.return_sequences else h
    out = apply(layer, x, mask=mask)
    check(out, expected)
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + expected.shape[1:]
    assert layer.compute_mask(x, mask) is (mask if layer.return_sequences else None)


@pytest.mark.parametrize("channels_first", [False, True])
def test_return_state_and_initial_state(channels_first):
    data_format = "channels_first" if channels_first else "channels_last"
    x = np.moveaxis(X, -1, 2) if channels_first else X
    layer = ConvLSTM2D(F, 3, padding="same", strides=2, data_format=data_format,
                       return_sequences=True, return_state=True)
    weights = randomize(layer, (None,) + x.shape[1:])
    state_shape = (B, F, 3, 3) if channels_first else (B, 3, 3, F)
    h0, c0 = (RNG.randn(*state_shape).astype("float32") for _ in range(2))
    seq, h, c = np_convlstm(x, weights, (2, 2), "same", channels_first=channels_first,
                            mask=MASK, initial=[h0, c0])
    out = apply(layer, [x, h0, c0], mask=[MASK, None, None])
    assert isinstance(out, list) and len(out) == 3
    for actual, expected in zip(out, (seq, h, c)):
        check(actual, expected)
    # Called through `initial_state=`, as Keras 2 scripts do.
    for actual, expected in zip(layer(x, initial_state=[h0, c0]),
                                np_convlstm(x, weights, (2, 2), "same",
                                            channels_first=channels_first, initial=[h0, c0])):
        check(actual, expected)
    shape = (None,) + x.shape[1:]
    state = (None,) + state_shape[1:]
    assert layer.compute_output_shape([shape, state, state]) == \
        [(None, T) + state_shape[1:], state, state]
    assert layer.compute_mask(x, [MASK, None, None]) == [MASK, None, None]
    with pytest.raises(ValueError, match="initial_state"):
        apply(layer, [x, h0])
    with pytest.raises(ValueError, match="initial_state"):
        apply(layer, [x, h0[:, :2], c0])


def test_dropout_masks_are_per_gate_fixed_over_time_and_scaled():
    layer = ConvLSTM2D(F, 3, padding="same", dropout=0.5, recurrent_dropout=0.4,
                       return_sequences=True)
    weights = randomize(layer, (None,) + X.shape[1:])
    key = jax.random.PRNGKey(3)

    @jax.jit
    def masks_and_output(key):
        # One compiled function: drawing random bits eagerly compiles per shape, slowly.
        masks = layer._dropout_masks(True, key, B, (H, W, C), (H, W, F), np.float32)
        return masks, apply(layer, X, training=True, rng=key)

    (in_masks, rec_masks), trained = masks_and_output(key)
    assert in_masks.shape == (4, B, H, W, C) and rec_masks.shape == (4, B, H, W, F)
    assert set(np.unique(np.asarray(in_masks))) == {0.0, 2.0}
    np.testing.assert_allclose(np.unique(np.asarray(rec_masks)), [0.0, 1 / 0.6])
    expected = np_convlstm(X, weights, padding="same", in_masks=np.asarray(in_masks),
                           rec_masks=np.asarray(rec_masks))[0]
    check(trained, expected)
    # Inference ignores both rates.
    check(apply(layer, X), np_convlstm(X, weights, padding="same")[0])
    assert layer.uses_rng and not ConvLSTM2D(2, 3).uses_rng
    with pytest.raises(ValueError, match="rng"):
        apply(layer, X, training=True)


KERAS_TABLE = [
    # Keras 2 counts: 4 * filters * (kh * kw * (channels + filters) + 1).
    (lambda: ConvLSTM2D(4, (3, 3)), (None, 5, 8, 8, 2),
     [(3, 3, 2, 16), (3, 3, 4, 16), (16,)], 880, (None, 6, 6, 4)),
    (lambda: ConvLSTM2D(8, (3, 5), padding="same", return_sequences=True), (None, 3, 9, 9, 3),
     [(3, 5, 3, 32), (3, 5, 8, 32), (32,)], 5312, (None, 3, 9, 9, 8)),
    (lambda: ConvLSTM2D(2, 2, data_format="channels_first", use_bias=False),
     (None, 4, 3, 7, 6), [(2, 2, 3, 8), (2, 2, 2, 8)], 160, (None, 2, 6, 5)),
]


@pytest.mark.parametrize("make,shape,weights,count,output", KERAS_TABLE)
def test_weight_shapes_and_counts_match_keras(make, shape, weights, count, output):
    layer = make()
    assert layer.ensure_built(shape) == output
    assert [w.shape for w in layer.get_weights()] == weights
    assert [s.name for s in layer.weight_specs] == ["kernel", "recurrent_kernel", "bias"][
        :len(weights)]
    assert layer.count_params() == count


@pytest.mark.interop
@pytest.mark.parametrize("kwargs", [
    {"padding": "valid", "strides": (1, 2)},
    {"padding": "same", "data_format": "channels_first", "return_sequences": True,
     "go_backwards": True, "dilation_rate": 2},
])
def test_same_numbers_as_tf_keras(kwargs):
    tf_keras = pytest.importorskip("tf_keras")
    x = np.moveaxis(X, -1, 2) if kwargs.get("data_format") == "channels_first" else X
    theirs = tf_keras.layers.ConvLSTM2D(F, (3, 2), input_shape=x.shape[1:], **kwargs)
    tf_keras.Sequential([theirs])
    weights = [RNG.randn(*w.shape).astype("float32") * 0.5 for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours = ConvLSTM2D(F, (3, 2), weights=weights, **kwargs)
    np.testing.assert_allclose(np.asarray(ours(x)), theirs(x).numpy(), rtol=1e-5, atol=1e-5)
    assert ours.compute_output_shape((None,) + x.shape[1:]) == \
        tuple(theirs.compute_output_shape((None,) + x.shape[1:]))


@pytest.mark.interop
def test_files_interchange_with_tf_keras(tmp_path):
    tf_keras = pytest.importorskip("tf_keras")
    theirs = tf_keras.Sequential([
        tf_keras.layers.ConvLSTM2D(F, 3, padding="same", return_sequences=True,
                                   input_shape=X.shape[1:]),
        tf_keras.layers.ConvLSTM2D(2, 2, go_backwards=True)])
    theirs.compile("sgd", "mse")
    path = str(tmp_path / "tf_keras.h5")
    theirs.save(path)
    ours = load_model(path, compile=False)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X, verbose=0), rtol=1e-5,
                               atol=1e-6)
    path = str(tmp_path / "jeras.h5")
    ours.save(path)
    back = tf_keras.models.load_model(path, compile=False)
    np.testing.assert_allclose(back.predict(X, verbose=0), ours.predict(X), rtol=1e-5,
                               atol=1e-6)


def test_config_forget_bias_and_round_trip():
    layer = ConvLSTM2D(3, 2, input_shape=(None, 4, 4, 1))
    layer.ensure_built((None, 5, 4, 4, 1))
    np.testing.assert_array_equal(layer.get_weights()[2], [0] * 3 + [1] * 3 + [0] * 6)
    config = layer.get_config()
    expected = {"filters": 3, "kernel_size": (2, 2), "strides": (1, 1), "padding": "valid",
                "data_format": "channels_last", "dilation_rate": (1, 1),
                "activation": "tanh", "recurrent_activation": "hard_sigmoid",
                "use_bias": True, "unit_forget_bias": True, "return_sequences": False,
                "return_state": False, "go_backwards": False, "stateful": False,
                "unroll": False, "dropout": 0.0, "recurrent_dropout": 0.0,
                "batch_input_shape": (None, None, 4, 4, 1)}
    for key, value in expected.items():
        assert config[key] == value, key
    for key in ("kernel_initializer", "recurrent_initializer", "bias_initializer",
                "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                "activity_regularizer", "kernel_constraint", "recurrent_constraint",
                "bias_constraint", "name", "trainable", "dtype"):
        assert key in config
    assert "units" not in config and "cell" not in config
    assert ConvLSTM2D.from_config(config).get_config() == config
    no_forget = ConvLSTM2D(2, 2, unit_forget_bias=False, bias_initializer="ones")
    no_forget.ensure_built((None, 2, 3, 3, 1))
    np.testing.assert_array_equal(no_forget.get_weights()[2], np.ones(8))


@pytest.mark.parametrize("kwargs,error,match", [
    ({"padding": "causal"}, ValueError, "padding"),
    ({"padding": "full"}, ValueError, "padding"),
    ({"unroll": True}, TypeError, "unroll"),
    ({"data_format": "channels_middle"}, ValueError, "data_format"),
    ({"strides": (1, 0)}, ValueError, "strides"),
    ({"dropout": 1.5}, ValueError, "dropout"),
    ({"recurrent_dropout": "x"}, TypeError, "recurrent_dropout"),
    ({"nb_filter": 3}, TypeError, "nb_filter"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        ConvLSTM2D(2, 3, **kwargs)


def test_bad_filters_and_input_shapes():
    with pytest.raises(ValueError, match="filters"):
        ConvLSTM2D(0, 3)
    with pytest.raises(ValueError, match="kernel_size"):
        ConvLSTM2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match=r"ConvLSTM2D 'c'.*\(None, 4, 4, 2\)"):
        ConvLSTM2D(2, 3, name="c").ensure_built((None, 4, 4, 2))
    with pytest.raises(ValueError, match="known channels"):
        ConvLSTM2D(2, 3, data_format="channels_first").ensure_built((None, 3, None, 5, 5))


def _frames(n, seed):
    """Short clips of a bright square moving right or down; the label is the direction."""
    rng = np.random.RandomState(seed)
    x = np.zeros((n, 4, 6, 6, 1), "float32")
    y = rng.randint(0, 2, n)
    for k in range(n):
        r, c = rng.randint(0, 2, 2)
        for t in range(4):
            dr, dc = (0, t) if y[k] else (t, 0)
            x[k, t, r + dr:r + dr + 2, c + dc:c + dc + 2, 0] = 1.0
    return x + 0.05 * rng.randn(*x.shape).astype("float32"), y.astype("float32")[:, None]


def test_sequential_fit_lowers_the_loss_and_round_trips_through_a_file(tmp_path):
    np.random.seed(0)
    x, y = _frames(64, 0)
    model = Sequential([ConvLSTM2D(4, 3, padding="same", input_shape=(4, 6, 6, 1),
                                   dropout=0.1, recurrent_dropout=0.1),
                        Flatten(), Dense(1, activation="sigmoid")])
    model.compile(Adam(lr=0.01), "binary_crossentropy")
    losses = model.fit(x, y, batch_size=16, epochs=8, verbose=0).history["loss"]
    assert losses[-1] < 0.25 * losses[0], losses
    path = tmp_path / "convlstm.h5"
    model.save(str(path))
    loaded = load_model(str(path))
    assert type(loaded.layers[0]) is ConvLSTM2D
    assert loaded.layers[0].get_config() == model.layers[0].get_config()
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(loaded.predict(x[:8]), model.predict(x[:8]), rtol=1e-5,
                               atol=1e-6)


def test_masking_blank_frames_in_a_model_ignores_them():
    # Masking on frames gives a (batch, steps, rows, cols) mask; a step whose every
    # position is padding is skipped, so leading blank frames change nothing.
    x = RNG.randn(2, 3, 4, 4, 1).astype("float32")
    padded = np.concatenate([np.zeros((2, 2, 4, 4, 1), "float32"), x], axis=1)
    model = Sequential([Masking(input_shape=(5, 4, 4, 1)), ConvLSTM2D(2, 3)])
    trimmed = Sequential([ConvLSTM2D(2, 3, input_shape=(3, 4, 4, 1))])
    trimmed.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(padded), trimmed.predict(x), rtol=1e-5,
                               atol=1e-6)


def test_stateful_layer_continues_from_the_last_batch():
    model = Sequential([ConvLSTM2D(F, 3, padding="same", stateful=True, return_sequences=True,
                                   batch_input_shape=(B, None, H, W, C))])
    weights = [RNG.randn(*w.shape).astype("float32") * 0.3 for w in model.get_weights()]
    model.set_weights(weights)
    state = None
    for chunk in (X[:, :1], X[:, 1:]):
        expected, h, c = np_convlstm(chunk, weights, padding="same", initial=state)
        np.testing.assert_allclose(model.predict(chunk), expected, rtol=1e-4, atol=1e-5)
        state = [h, c]
    model.reset_states()
    np.testing.assert_allclose(model.predict(X), np_convlstm(X, weights, padding="same")[0],
                               rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="batch size"):
        ConvLSTM2D(F, 3, stateful=True).ensure_built((None, T, H, W, C))


@pytest.mark.parametrize("kwargs", [
    {"padding": "same"},
    {"strides": (2, 1), "data_format": "channels_first"},
    {"dilation_rate": (1, 2), "dropout": 0.3, "recurrent_dropout": 0.4},
])
def test_training_patches_match_xla_convolutions_and_their_gradients(kwargs):
    # Training on the CPU convolves patches; the same layer with XLA's
    # convolutions must give the same outputs and gradients, dropout included.
    shape = (B, T, C, H, W) if kwargs.get("data_format") == "channels_first" else (B, T, H, W, C)
    x = RNG.randn(*shape).astype("float32")
    fast = ConvLSTM2D(F, 3, return_sequences=True, **kwargs)
    fast.ensure_built(shape)
    fast.set_weights([RNG.randn(*w.shape).astype("float32") * 0.3 for w in fast.get_weights()])
    assert fast._use_patches(shape)
    key = jax.random.PRNGKey(3)

    def outputs_and_gradients(patches):
        fast._patches = patches

        def loss(weights, x):
            out = fast.apply(weights, x, training=True, rng=key)[0]
            return jnp.sum(out * jnp.cos(out)), out

        grads, out = jax.jit(jax.grad(loss, argnums=(0, 1), has_aux=True))(fast._values, x)
        return [out, *jax.tree.leaves(grads)]

    for a, b in zip(outputs_and_gradients(True), outputs_and_gradients(False)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=2e-4, atol=2e-5)


def test_patches_are_chosen_per_call_within_a_budget_per_batch():
    layer = ConvLSTM2D(16, 3, padding="same")
    layer.ensure_built((None, None, 64, 64, 8))
    # 64 * 64 positions * 9 taps * (8 + 16) channels * 4 bytes = 3.5 MB per step.
    per_step = 64 * 64 * 9 * 24 * 4
    assert layer._use_patches((2 ** 30 // per_step, 1, 64, 64, 8))
    assert not layer._use_patches((2 ** 30 // per_step + 1, 1, 64, 64, 8))
    assert not layer._use_patches((32, 10, 64, 64, 8))
    assert layer._use_patches((4, 10, 64, 64, 8))
    layer._patches = False
    assert not layer._use_patches((4, 10, 64, 64, 8))
