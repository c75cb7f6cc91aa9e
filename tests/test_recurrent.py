"""SimpleRNN, LSTM and GRU against numpy transcriptions of Keras 2.2.4's cell equations."""
import jax
import numpy as np
import pytest

from jeras.layers import GRU, LSTM, Dense, Embedding, SimpleRNN
from jeras.models import Sequential
from jeras.optimizers import Adam

RNG = np.random.RandomState(4)
B, T, D, U = 3, 5, 4, 3
X = RNG.randn(B, T, D).astype("float32")
MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 1, 1, 0, 1]], bool)


def hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def np_rnn(kind, x, weights, mask=None, go_backwards=False, reset_after=False):
    """Keras 2's loop: zero initial states, masked steps keep the previous states."""
    W, Uk = weights[0], weights[1]
    b = weights[2] if len(weights) > 2 else np.zeros(W.shape[1])
    u = Uk.shape[0]
    h = np.zeros((x.shape[0], u))
    c = np.zeros_like(h)
    outputs = []
    for t in (reversed(range(x.shape[1])) if go_backwards else range(x.shape[1])):
        xt = x[:, t].astype(np.float64)
        if kind == "simple":
            nh, nc = np.tanh(xt @ W + b + h @ Uk), c
        elif kind == "lstm":
            z = xt @ W + h @ Uk + b
            i, f, g, o = (z[:, k * u:(k + 1) * u] for k in range(4))
            nc = hard_sigmoid(f) * c + hard_sigmoid(i) * np.tanh(g)
            nh = hard_sigmoid(o) * np.tanh(nc)
        elif reset_after:
            xz = xt @ W + b[0]
            rec = h @ Uk + b[1]
            z = hard_sigmoid(xz[:, :u] + rec[:, :u])
            r = hard_sigmoid(xz[:, u:2 * u] + rec[:, u:2 * u])
            hh = np.tanh(xz[:, 2 * u:] + r * rec[:, 2 * u:])
            nh, nc = z * h + (1 - z) * hh, c
        else:
            xz = xt @ W + b
            z = hard_sigmoid(xz[:, :u] + h @ Uk[:, :u])
            r = hard_sigmoid(xz[:, u:2 * u] + h @ Uk[:, u:2 * u])
            hh = np.tanh(xz[:, 2 * u:] + (r * h) @ Uk[:, 2 * u:])
            nh, nc = z * h + (1 - z) * hh, c
        if mask is not None:
            keep = mask[:, t][:, None]
            nh, nc = np.where(keep, nh, h), np.where(keep, nc, c)
        h, c = nh, nc
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


def build(layer, shape=(None, T, D)):
    layer.ensure_built(shape)
    weights = [RNG.randn(*w.shape) * 0.6 for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


def apply(layer, x=X, mask=None, training=False, rng=None):
    out, _ = layer.apply(layer._values, x, training=training, rng=rng, mask=mask)
    return out


def check(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=1e-4, atol=1e-5)


CASES = [
    ("simple", {}, None, False),
    ("simple", {"go_backwards": True}, MASK, True),
    ("lstm", {}, MASK, False),
    ("lstm", {"go_backwards": True, "implementation": 2}, None, True),
    ("lstm", {"go_backwards": True}, MASK, True),
    ("gru", {}, MASK, True),
    ("gru", {"go_backwards": True}, None, False),
    ("gru", {"reset_after": True}, MASK, True),
    ("gru", {"reset_after": True, "go_backwards": True, "use_bias": False}, MASK, False),
]
LAYERS = {"simple": SimpleRNN, "lstm": LSTM, "gru": GRU}


@pytest.mark.parametrize("kind,kwargs,mask,sequences", CASES)
def test_forward_pass_matches_numpy(kind, kwargs, mask, sequences):
    layer = LAYERS[kind](U, return_sequences=sequences, **kwargs)
    weights = build(layer)
    seq, last, _ = np_rnn(kind, X, weights, mask, kwargs.get("go_backwards", False),
                          kwargs.get("reset_after", False))
    check(apply(layer, mask=mask), seq if sequences else last)
    assert layer.compute_mask(X, mask) is (mask if sequences else None)


def test_return_state_and_unroll():
    layer = LSTM(U, return_state=True, return_sequences=True, unroll=True)
    weights = build(layer)
    seq, h, c = np_rnn("lstm", X, weights, MASK)
    out = apply(layer, mask=MASK)
    assert isinstance(out, list) and len(out) == 3
    for actual, expected in zip(out, (seq, h, c)):
        check(actual, expected)
    assert layer.compute_output_shape((None, T, D)) == [(None, T, U), (None, U), (None, U)]
    gru = GRU(U, return_state=True)
    build(gru)
    assert len(apply(gru)) == 2


def test_dropout_masks_are_fixed_over_time_and_scaled():
    # A linear SimpleRNN with identity kernel and no recurrence outputs the dropped
    # inputs: one mask per sequence, the same at every step, values 0 or 1 / (1 - rate).
    layer = SimpleRNN(6, activation="linear", use_bias=False, dropout=0.5,
                      return_sequences=True)
    layer.ensure_built((None, 4, 6))
    layer.set_weights([np.eye(6), np.zeros((6, 6))])
    x = np.ones((50, 4, 6), "float32")
    out = np.asarray(apply(layer, x, training=True, rng=jax.random.PRNGKey(0)))
    assert (out == out[:, :1]).all()
    assert set(np.unique(out)) == {0.0, 2.0}
    np.testing.assert_array_equal(np.asarray(apply(layer, x)), x)
    assert layer.uses_rng and not SimpleRNN(2).uses_rng
    lstm = LSTM(U, dropout=0.3, recurrent_dropout=0.3)
    weights = build(lstm)
    check(apply(lstm), np_rnn("lstm", X, weights)[1])
    trained = np.asarray(apply(lstm, training=True, rng=jax.random.PRNGKey(1)))
    assert not np.allclose(trained, np_rnn("lstm", X, weights)[1])
    with pytest.raises(ValueError, match="rng"):
        apply(lstm, training=True)


KERAS_TABLE = [
    (lambda: SimpleRNN(32), [(16, 32), (32, 32), (32,)], 1568),
    (lambda: LSTM(32), [(16, 128), (32, 128), (128,)], 6272),
    (lambda: GRU(32), [(16, 96), (32, 96), (96,)], 4704),
    (lambda: GRU(32, reset_after=True), [(16, 96), (32, 96), (2, 96)], 4800),
    (lambda: LSTM(32, use_bias=False), [(16, 128), (32, 128)], 6144),
]


@pytest.mark.parametrize("make,shapes,count", KERAS_TABLE)
def test_weight_shapes_and_counts_match_keras(make, shapes, count):
    layer = make()
    layer.ensure_built((None, 10, 16))
    assert [w.shape for w in layer.get_weights()] == shapes
    assert [s.name for s in layer.weight_specs][:2] == ["kernel", "recurrent_kernel"]
    assert layer.count_params() == count


def test_lstm_forget_bias_config_and_errors():
    layer = LSTM(4, input_dim=3, input_length=7)
    assert layer.batch_input_shape == (None, 7, 3)
    layer.ensure_built((None, 7, 3))
    np.testing.assert_array_equal(layer.get_weights()[2], [0] * 4 + [1] * 4 + [0] * 8)
    config = layer.get_config()
    for key, value in [("units", 4), ("recurrent_activation", "hard_sigmoid"),
                       ("unit_forget_bias", True), ("implementation", 1),
                       ("return_sequences", False), ("stateful", False), ("dropout", 0.0)]:
        assert config[key] == value
    assert LSTM.from_config(config).get_config() == config
    assert GRU(2).get_config()["reset_after"] is False
    with pytest.raises(ValueError, match="units"):
        LSTM(0)
    with pytest.raises(ValueError, match="recurrent_dropout"):
        GRU(3, recurrent_dropout=1.5)
    with pytest.raises(ValueError, match="stateful"):
        SimpleRNN(3, stateful=True)
    with pytest.raises(ValueError, match="implementation"):
        LSTM(3, implementation=3)
    with pytest.raises(ValueError, match=r"LSTM 'r'.*\(None, 4\)"):
        LSTM(3, name="r").ensure_built((None, 4))


def test_lstm_learns_the_sum_of_a_sequence():
    rng = np.random.RandomState(0)
    x = rng.uniform(0, 1, (512, 6, 1)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None]
    model = Sequential([LSTM(16, input_shape=(6, 1)), Dense(1)])
    model.compile(Adam(lr=0.01), "mse")
    model.fit(x, y, batch_size=32, epochs=40, verbose=0)
    x_test = rng.uniform(0, 1, (200, 6, 1)).astype("float32")
    mse = model.evaluate(x_test, x_test.sum(axis=(1, 2))[:, None], verbose=0)
    # The targets' variance is 6/12 = 0.5; an error of 0.01 is 2% of it.
    assert mse < 0.01


def test_masked_gru_in_a_model_ignores_padding():
    model = Sequential([Embedding(10, 4, mask_zero=True, input_length=5), GRU(3)])
    padded = np.array([[0, 0, 4, 2, 7]])
    trimmed = Sequential([Embedding(10, 4, input_length=3), GRU(3)])
    trimmed.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(padded), trimmed.predict(padded[:, 2:]),
                               rtol=1e-5, atol=1e-6)
