"""SimpleRNN, LSTM and GRU against numpy transcriptions of Keras 2.2.4's cell equations."""
import h5py
import jax
import numpy as np
import pytest

from jeras import backend as K
from jeras.callbacks import LambdaCallback
from jeras.layers import GRU, LSTM, Dense, Embedding, Input, SimpleRNN
from jeras.models import Model, Sequential, load_model
from jeras.optimizers import Adam

RNG = np.random.RandomState(4)
B, T, D, U = 3, 5, 4, 3
X = RNG.randn(B, T, D).astype("float32")
MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 1, 1, 0, 1]], bool)


def hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def np_rnn(kind, x, weights, mask=None, go_backwards=False, reset_after=False, start=None):
    """Keras 2's loop: zero initial states (or `start`, `(h, c)`), masked steps keep the
    previous states."""
    W, Uk = weights[0], weights[1]
    b = weights[2] if len(weights) > 2 else np.zeros(W.shape[1])
    u = Uk.shape[0]
    h = np.zeros((x.shape[0], u))
    c = np.zeros_like(h)
    if start is not None:
        h, c = start
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
    with pytest.raises(ValueError, match=r"stateful RNN needs to know its batch size.*"
                                         r"batch_input_shape"):
        SimpleRNN(3, stateful=True).ensure_built((None, T, D))
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


# Stateful layers: each batch starts from the final states of the last one.

STATEFUL_CASES = [
    ("simple", {}),
    ("lstm", {}),
    ("lstm", {"go_backwards": True}),
    ("gru", {}),
    ("gru", {"reset_after": True, "go_backwards": True}),
]


def stateful_model(kind, kwargs, steps=None):
    model = Sequential([LAYERS[kind](U, stateful=True, return_sequences=True,
                                     batch_input_shape=(B, steps, D), **kwargs)])
    weights = [RNG.randn(*w.shape) * 0.6 for w in model.get_weights()]
    model.set_weights(weights)
    return model, weights


@pytest.mark.parametrize("kind,kwargs", STATEFUL_CASES)
def test_stateful_layer_continues_each_sample_from_the_last_batch(kind, kwargs):
    model, weights = stateful_model(kind, kwargs)
    layer = model.layers[0]
    state = None
    # Chunks of different lengths: the states do not depend on the number of steps.
    for chunk in (X[:, :2], X[:, 2:], X[:, 1:4]):
        seq, h, c = np_rnn(kind, chunk, weights, go_backwards=kwargs.get("go_backwards", False),
                           reset_after=kwargs.get("reset_after", False), start=state)
        check(model.predict(chunk), seq)
        state = (h, c)
        check(K.get_value(layer.states[0]), h)
        if kind == "lstm":
            check(K.get_value(layer.states[1]), c)
    model.reset_states()
    check(model.predict(X), np_rnn(kind, X, weights, go_backwards=kwargs.get("go_backwards"),
                                   reset_after=kwargs.get("reset_after", False))[0])


def test_reset_states_sets_zeros_or_given_values():
    model, weights = stateful_model("lstm", {})
    layer = model.layers[0]
    assert len(layer.states) == 2 and LSTM(U).states == [None, None]
    model.predict(X)
    assert np.abs(K.get_value(layer.states[1])).sum() > 0
    model.reset_states()
    for state in layer.states:
        np.testing.assert_array_equal(K.get_value(state), np.zeros((B, U)))
    h0, c0 = RNG.randn(B, U), RNG.randn(B, U)
    layer.reset_states([h0, c0])
    check(model.predict(X), np_rnn("lstm", X, weights, start=(h0, c0))[0])
    with pytest.raises(ValueError, match=r"expected shape \(3, 3\), found shape \(2, 3\)"):
        layer.reset_states([h0[:2], c0])
    with pytest.raises(ValueError, match="expects 2 state"):
        layer.reset_states(h0)
    with pytest.raises(AttributeError, match="stateful"):
        Sequential([LSTM(U, input_shape=(T, D))]).layers[0].reset_states()


def test_stateful_weights_config_and_files_are_keras_2s(tmp_path):
    model, weights = stateful_model("lstm", {})
    plain = Sequential([LSTM(U, return_sequences=True, input_shape=(T, D))])
    assert model.count_params() == plain.count_params() == 4 * U * (D + U + 1)
    assert [w.shape for w in model.get_weights()] == [w.shape for w in plain.get_weights()]
    assert [w.name for w in model.weights] == [f"{model.layers[0].name}/{n}:0"
                                               for n in ("kernel", "recurrent_kernel", "bias")]
    assert model.layers[0].get_config()["stateful"] is True
    model.compile("sgd", "mse")
    model.predict(X)
    path = str(tmp_path / "stateful.h5")
    model.save(path)
    with h5py.File(path, "r") as f:
        group = f["model_weights"][model.layers[0].name]
        assert len(group.attrs["weight_names"]) == 3
    loaded = load_model(path)
    assert loaded.stateful and loaded.layers[0].input_shape == (B, None, D)
    # States are not saved: the loaded model starts from zeros.
    check(loaded.predict(X), np_rnn("lstm", X, weights)[0])


def test_stateful_models_need_whole_batches_of_their_size():
    model, weights = stateful_model("gru", {}, steps=T)
    model.compile("sgd", "mse")
    y = np.zeros((2 * B, T, U))
    x = np.concatenate([X, X[::-1]])
    with pytest.raises(ValueError, match=r"fit: in a stateful network.*Found: 5 samples. "
                                         r"Batch size: 3"):
        model.fit(x[:5], y[:5], batch_size=3, verbose=0)
    # As 2.2.4, no batch_size means 32, which this model does not take.
    with pytest.raises(ValueError, match=r"fit: .*exactly 3 samples.*the default batch size "
                                         r"of 32 for 6 samples: pass batch_size=3"):
        model.fit(x, y, verbose=0)
    with pytest.raises(ValueError, match=r"predict: this stateful model takes batches of "
                                         r"exactly 3 samples"):
        model.predict(x, batch_size=2)
    with pytest.raises(ValueError, match="train_on_batch: this stateful model"):
        model.train_on_batch(x, y)
    with pytest.raises(ValueError, match=r"fit \(validation data\): in a stateful network"):
        model.fit(x, y, batch_size=3, validation_data=(x[:4], y[:4]), verbose=0)
    # Evaluation moves the states too (Keras 2.2.4 runs the state updates there).
    model.evaluate(x, y, batch_size=3, verbose=0)
    first = np_rnn("gru", X, weights)
    _, h, _ = np_rnn("gru", X[::-1], weights, start=first[1:])
    check(K.get_value(model.layers[0].states[0]), h)


def test_stateful_lstm_remembers_across_batches():
    # Each stream is cut into chunks; batch j holds chunk j of every stream, and
    # the target is the stream's running mean so far, which a model that forgets
    # between batches cannot know.
    streams, chunks, steps = 32, 6, 4

    def data(seed):
        u = np.random.RandomState(seed).uniform(0, 1, (streams, chunks, steps))
        x = u.transpose(1, 0, 2).reshape(chunks * streams, steps, 1).astype("float32")
        total = np.cumsum(u.sum(axis=2), axis=1) / (chunks * steps)
        return x, total.T.reshape(chunks * streams, 1)

    x, y = data(1)
    x_test, y_test = data(2)
    errors = {}
    for stateful in (True, False):
        np.random.seed(0)
        model = Sequential([LSTM(16, batch_input_shape=(streams, steps, 1), stateful=stateful),
                            Dense(1)])
        model.compile(Adam(lr=0.01), "mse")
        resets = [LambdaCallback(on_epoch_begin=lambda epoch, logs, m=model: m.reset_states())]
        model.fit(x, y, batch_size=streams, epochs=150, shuffle=False, verbose=0,
                  callbacks=resets if stateful else [])
        if stateful:
            model.reset_states()
        errors[stateful] = model.evaluate(x_test, y_test, batch_size=streams, verbose=0)
    # The targets' variance is about 0.023.
    assert errors[True] < 0.006 < 0.015 < errors[False], errors


def test_functional_model_with_a_stateful_layer():
    inputs = Input(batch_shape=(B, None, D))
    outputs = Dense(1)(SimpleRNN(U, stateful=True)(inputs))
    model = Model(inputs, outputs)
    assert model.stateful and not Sequential([Dense(1, input_shape=(2,))]).stateful
    first = model.predict(X)
    assert not np.allclose(model.predict(X), first)
    model.reset_states()
    np.testing.assert_allclose(model.predict(X), first, rtol=1e-6)


@pytest.mark.interop
def test_stateful_lstm_matches_tf_keras_batch_after_batch():
    tf_keras = pytest.importorskip("tf_keras")
    # tf_keras's hard_sigmoid has another slope than Keras 2.2.4's, so both use sigmoid.
    theirs = tf_keras.Sequential([tf_keras.layers.LSTM(
        U, stateful=True, return_sequences=True, recurrent_activation="sigmoid",
        batch_input_shape=(B, None, D))])
    ours, _ = stateful_model("lstm", {"recurrent_activation": "sigmoid"})
    theirs.set_weights(ours.get_weights())
    for chunk in (X[:, :2], X[:, 2:], X):
        check(ours.predict(chunk), theirs.predict(chunk, batch_size=B, verbose=0))
    ours.reset_states()
    theirs.reset_states()
    check(ours.predict(X), theirs.predict(X, batch_size=B, verbose=0))


def test_direct_build_and_get_initial_state_as_keras_2_2_4():
    layer = LSTM(3)
    layer.build((None, 4, 2))
    x = Input((4, 2))
    states = layer.get_initial_state(x)
    assert [K.int_shape(s) for s in states] == [(None, 3), (None, 3)]
    with_zeros = Model(x, layer(x, initial_state=states))
    assert len(layer.weights) == 3
    plain = Model(x, layer(x))
    data = np.random.RandomState(0).rand(5, 4, 2).astype("float32")
    np.testing.assert_allclose(with_zeros.predict(data), plain.predict(data), rtol=1e-6)
    zeros = layer.get_initial_state(data)
    assert [z.shape for z in zeros] == [(5, 3), (5, 3)] and not np.any(np.asarray(zeros[0]))


@pytest.mark.parametrize("kind,layer_class", [("simple", SimpleRNN), ("lstm", LSTM)])
def test_initial_state_given_as_variables_is_read_when_the_model_runs(kind, layer_class):
    x = Input((T, D))
    count = 2 if kind == "lstm" else 1
    states = [K.variable(RNG.randn(B, U)) for _ in range(count)]
    model = Model(x, layer_class(U)(x, initial_state=states))
    weights = model.get_weights()
    start = [K.get_value(s) for s in states] + [np.zeros((B, U))] * (2 - count)
    _, h, _ = np_rnn(kind, X, weights, start=start)
    np.testing.assert_allclose(model.predict(X), h, rtol=1e-4, atol=1e-5)
    # The variable is read at run time, not frozen into the graph.
    K.set_value(states[0], np.zeros((B, U)))
    _, h, _ = np_rnn(kind, X, weights, start=[np.zeros((B, U))] + start[1:])
    np.testing.assert_allclose(model.predict(X), h, rtol=1e-4, atol=1e-5)
    model.compile("sgd", "mse")
    # A batch shorter than the batch size is padded; the padding starts from zeros.
    model.fit(X, np.zeros((B, U)), batch_size=8, verbose=0)


def test_dropout_marks_outputs_as_depending_on_the_learning_phase():
    x = Input((T, D))
    assert all(t._uses_learning_phase for t in LSTM(U, dropout=0.5, return_state=True)(x))
    assert not LSTM(U, dropout=0.5)(x, training=True)._uses_learning_phase
    assert not LSTM(U)(x)._uses_learning_phase


def test_losses_are_tied_to_inputs_as_in_keras_2():
    from jeras.regularizers import l1

    layer = SimpleRNN(U, kernel_regularizer=l1(0.5), activity_regularizer=l1(0.25))
    x = K.variable(X)
    out = layer(x)
    kernel = layer.get_weights()[0]
    (weight_penalty,) = layer.get_losses_for(None)
    np.testing.assert_allclose(K.eval(weight_penalty), 0.5 * np.abs(kernel).sum(), rtol=1e-5)
    (activity,) = layer.get_losses_for(x)
    np.testing.assert_allclose(K.eval(activity), 0.25 * np.abs(np.asarray(out)).sum(),
                               rtol=1e-5)
    assert layer.get_losses_for(K.variable(X)) == []


def test_cell_of_a_builtin_layer_is_a_view_owning_the_weight_penalties():
    from jeras.regularizers import l1

    layer = LSTM(U, kernel_regularizer=l1(0.5), activity_regularizer=l1(0.25))
    x = K.variable(X)
    layer(x)
    cell = layer.cell
    assert cell is layer.cell and cell.kernel is layer.kernel
    assert cell.units == U and cell.state_size == (U, U) and SimpleRNN(2).cell.state_size == 2
    (penalty,) = cell.losses
    np.testing.assert_allclose(K.eval(penalty), 0.5 * np.abs(layer.get_weights()[0]).sum(),
                               rtol=1e-5)
    assert len(cell.get_losses_for(None)) == 1 and cell.get_losses_for(x) == []
    assert len(layer.get_losses_for(x)) == 1
    cell.trainable = False
    assert not layer.trainable and layer.trainable_weights == []
