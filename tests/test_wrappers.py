"""Bidirectional and TimeDistributed against numpy, weight order and end-to-end fits."""
import numpy as np
import pytest

from jeras import backend as K
from jeras.layers import (
    GRU,
    LSTM,
    BatchNormalization,
    Bidirectional,
    Dense,
    Dropout,
    SimpleRNN,
    TimeDistributed,
)
from jeras.models import Sequential
from jeras.optimizers import Adam

RNG = np.random.RandomState(5)
X = RNG.randn(3, 5, 4).astype("float32")
MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 1, 1, 0, 1]], bool)


def np_simple_rnn(x, W, U, b, mask, go_backwards, h0=None):
    """Keras 2's SimpleRNN loop from zeros (or `h0`); outputs in reading order."""
    h = np.zeros((x.shape[0], U.shape[0])) if h0 is None else h0
    outputs = []
    for t in (reversed(range(x.shape[1])) if go_backwards else range(x.shape[1])):
        nh = np.tanh(x[:, t] @ W + b + h @ U)
        h = np.where(mask[:, t][:, None], nh, h)
        outputs.append(h)
    return np.stack(outputs, axis=1), h


def built(layer, shape=(None, 5, 4)):
    layer.ensure_built(shape)
    weights = [RNG.randn(*w.shape) * 0.6 for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merges_forward_and_reversed_backward(merge_mode):
    layer = Bidirectional(SimpleRNN(3, return_sequences=True), merge_mode=merge_mode)
    w = built(layer)
    fwd, _ = np_simple_rnn(X, *w[:3], MASK, False)
    bwd, _ = np_simple_rnn(X, *w[3:], MASK, True)
    bwd = bwd[:, ::-1]
    expected = {"concat": np.concatenate([fwd, bwd], -1), "sum": fwd + bwd, "mul": fwd * bwd,
                "ave": (fwd + bwd) / 2, None: [fwd, bwd]}[merge_mode]
    out, _ = layer.apply(layer._values, X, training=False, mask=MASK)
    if merge_mode is None:
        for actual, exp in zip(out, expected):
            np.testing.assert_allclose(actual, exp, rtol=1e-4, atol=1e-5)
        assert layer.compute_mask(X, MASK) == [MASK, MASK]
    else:
        np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
        assert layer.compute_mask(X, MASK) is MASK


def test_bidirectional_last_output_states_and_weight_order():
    layer = Bidirectional(LSTM(3, return_state=True), name="bi")
    layer.ensure_built((None, 5, 4))
    out, _ = layer.apply(layer._values, X, training=False)
    assert len(out) == 5 and out[0].shape == (3, 6)
    assert layer.compute_output_shape((None, 5, 4)) == [(None, 6)] + [(None, 3)] * 4
    names = [w.name for w in layer.weights]
    assert names[0] == f"bi/forward_{layer.layer.name}/kernel:0"
    assert names[3] == f"bi/backward_{layer.layer.name}/kernel:0" and len(names) == 6
    simple = Bidirectional(SimpleRNN(3))
    w = built(simple)
    _, h_fwd = np_simple_rnn(X, *w[:3], np.ones_like(MASK), False)
    _, h_bwd = np_simple_rnn(X, *w[3:], np.ones_like(MASK), True)
    out, _ = simple.apply(simple._values, X, training=False)
    np.testing.assert_allclose(out, np.concatenate([h_fwd, h_bwd], -1), rtol=1e-4, atol=1e-5)
    assert simple.count_params() == 2 * (4 * 3 + 3 * 3 + 3)
    lstm = Bidirectional(LSTM(32))
    lstm.ensure_built((None, 10, 16))
    assert lstm.count_params() == 12544 and lstm.output_shape == (None, 64)


def test_stateful_bidirectional_continues_both_directions():
    model = Sequential([Bidirectional(SimpleRNN(3, stateful=True),
                                      batch_input_shape=(3, None, 4))])
    w = [RNG.randn(*v.shape) * 0.6 for v in model.get_weights()]
    model.set_weights(w)
    assert len(w) == 6 and model.count_params() == 2 * (4 * 3 + 3 * 3 + 3)
    keep = np.ones_like(MASK)
    h_fwd = h_bwd = None
    for chunk in (X[:, :2], X[:, 2:]):
        _, h_fwd = np_simple_rnn(chunk, *w[:3], keep, False, h_fwd)
        _, h_bwd = np_simple_rnn(chunk, *w[3:], keep, True, h_bwd)
        np.testing.assert_allclose(model.predict(chunk), np.concatenate([h_fwd, h_bwd], -1),
                                   rtol=1e-4, atol=1e-5)
    model.reset_states()
    _, h_fwd = np_simple_rnn(X, *w[:3], keep, False)
    _, h_bwd = np_simple_rnn(X, *w[3:], keep, True)
    np.testing.assert_allclose(model.predict(X), np.concatenate([h_fwd, h_bwd], -1),
                               rtol=1e-4, atol=1e-5)
    with pytest.raises(AttributeError, match="stateful"):
        Bidirectional(SimpleRNN(3)).reset_states()


def test_bidirectional_config_round_trip_and_errors():
    layer = Bidirectional(GRU(4, return_sequences=True), merge_mode="sum", name="b")
    config = layer.get_config()
    assert config["merge_mode"] == "sum" and config["layer"]["class_name"] == "GRU"
    clone = Bidirectional.from_config(config)
    assert clone.get_config() == config and clone.backward_layer.go_backwards
    with pytest.raises(ValueError, match="merge_mode"):
        Bidirectional(LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="go_backwards"):
        Bidirectional(Dense(2))
    with pytest.raises(TypeError, match="layer"):
        Bidirectional("lstm")


def test_time_distributed_dense_and_batchnorm():
    layer = TimeDistributed(Dense(2, activation="tanh"))
    kernel, bias = built(layer)
    out, _ = layer.apply(layer._values, X, training=False, mask=MASK)
    np.testing.assert_allclose(out, np.tanh(X @ kernel + bias), rtol=1e-4, atol=1e-5)
    assert layer.output_shape == (None, 5, 2)
    np.testing.assert_array_equal(layer.compute_mask(X, MASK), MASK)
    assert [w.name for w in layer.weights][0] == f"{layer.name}/kernel:0"
    norm = TimeDistributed(BatchNormalization(momentum=0.0))
    norm.ensure_built((None, 5, 4))
    real = np.array([True, True, False])
    _, new = norm.apply(norm._values, X, training=True, sample_mask=real)
    np.testing.assert_allclose(new[2], X[:2].reshape(-1, 4).mean(0), rtol=1e-4, atol=1e-6)
    config = layer.get_config()
    assert TimeDistributed.from_config(config).get_config() == config
    with pytest.raises(ValueError, match=r"rank at least 3.*\(None, 4\)"):
        TimeDistributed(Dense(2)).ensure_built((None, 4))


def test_bidirectional_and_time_distributed_fit_a_sequence_task():
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (256, 6, 2)).astype("float32")
    # Each step's target depends on the whole sequence: the running sum of feature 0
    # from the start plus feature 1's sum to the end.
    y = (np.cumsum(x[:, :, :1], 1) + np.cumsum(x[:, ::-1, 1:], 1)[:, ::-1]) / 3
    model = Sequential([Bidirectional(LSTM(8, return_sequences=True), input_shape=(6, 2)),
                        TimeDistributed(Dropout(0.1)), TimeDistributed(Dense(1))])
    model.compile(Adam(lr=0.02), "mse")
    history = model.fit(x, y, batch_size=32, epochs=25, verbose=0)
    assert history.history["loss"][-1] < 0.2 * np.var(y)
    assert [layer.count_params() for layer in model.layers] == [2 * 4 * (2 * 8 + 8 * 8 + 8),
                                                                0, 17]


def test_same_weights_give_tf_keras_outputs():
    # The weight lists interchange with Keras 2 (tf_keras): the same arrays, in the
    # same order, give the same predictions.
    tk = pytest.importorskip("tf_keras")
    from jeras.layers import Conv1D

    rng = np.random.RandomState(0)
    ours = Sequential([Conv1D(4, 3, padding="causal", dilation_rate=2, input_shape=(7, 3)),
                       BatchNormalization(), Bidirectional(LSTM(5, return_sequences=True)),
                       GRU(4, return_sequences=True, go_backwards=True),
                       GRU(3, reset_after=True), Dense(2)])
    theirs = tk.Sequential([
        tk.layers.Conv1D(4, 3, padding="causal", dilation_rate=2, input_shape=(7, 3)),
        tk.layers.BatchNormalization(),
        tk.layers.Bidirectional(tk.layers.LSTM(5, return_sequences=True,
                                               recurrent_activation="hard_sigmoid")),
        tk.layers.GRU(4, return_sequences=True, go_backwards=True, reset_after=False,
                      recurrent_activation="hard_sigmoid"),
        tk.layers.GRU(3, reset_after=True, recurrent_activation="hard_sigmoid"),
        tk.layers.Dense(2)])
    weights = [rng.randn(*w.shape) * 0.5 for w in ours.get_weights()]
    weights[5] = np.abs(weights[5]) + 0.5  # the moving variance
    ours.set_weights(weights)
    theirs.set_weights(weights)
    x = rng.randn(4, 7, 3).astype("float32")
    np.testing.assert_allclose(ours.predict(x), theirs.predict(x, verbose=0), rtol=1e-4,
                               atol=1e-5)


def test_time_distributed_model_keeps_weights_in_the_wrapped_model():
    from jeras.layers import Input
    from jeras.models import Model

    inner = Sequential([Dense(3, input_shape=(4,))])
    model = Sequential([TimeDistributed(inner, input_shape=(5, 4))])
    model.compile("sgd", "mse")
    model.fit(X, RNG.randn(3, 5, 3), epochs=2, verbose=0)
    # The trained values are the wrapped model's own: reading them there gives
    # the wrapper's outputs.
    kernel, bias = inner.get_weights()
    np.testing.assert_array_equal(model.get_weights()[0], kernel)
    np.testing.assert_allclose(model.predict(X), X @ kernel + bias, rtol=1e-4, atol=1e-5)
    x = Input((5, 4))
    functional = Model(x, TimeDistributed(inner)(x))
    np.testing.assert_allclose(functional.predict(X), X @ kernel + bias, rtol=1e-4, atol=1e-5)
    td = model.layers[0]
    td.set_weights([np.ones((4, 3)), np.zeros(3)])
    np.testing.assert_array_equal(inner.get_weights()[0], np.ones((4, 3)))


def test_time_distributed_masks_and_inner_batchnorm_updates():
    from jeras.layers import Embedding, Input, Masking

    x = Input((None, 4))
    masking = TimeDistributed(Masking(0.0))
    y = masking(x)
    data = X.copy()
    data[0, 2:] = 0.0
    data[2, :1] = 0.0
    mask_fn = K.function([x], [masking.compute_mask(x)])
    np.testing.assert_array_equal(mask_fn([data])[0], np.any(data != 0, axis=-1))
    dense = TimeDistributed(Dense(2))
    dense(y)
    # A wrapped layer that gives no mask of its own passes the input's on.
    reduced = K.function([x], [dense.compute_mask(y, masking.compute_mask(x))])
    np.testing.assert_array_equal(reduced([data])[0], np.any(data != 0, axis=-1))
    ids = np.array([[[1, 2, 0], [0, 0, 0]], [[3, 0, 0], [4, 1, 2]]])
    tokens = Input((2, 3), dtype="int32")
    embed = TimeDistributed(Embedding(5, 2, mask_zero=True))
    rnn = TimeDistributed(SimpleRNN(2))
    rnn(embed(tokens))
    token_mask = embed.compute_mask(tokens)
    masks = K.function([tokens], [token_mask, rnn.compute_mask(embed.output, token_mask)])
    got = masks([ids])
    np.testing.assert_array_equal(got[0], ids > 0)
    np.testing.assert_array_equal(got[1], np.any(ids > 0, axis=-1))

    x = Input((5, 4))
    norm = TimeDistributed(BatchNormalization(momentum=0.75))
    norm(x)
    assert [v for v, _ in norm.updates] == [norm.layer.moving_mean, norm.layer.moving_variance]
    moved = K.function([x], [new for _, new in norm.updates])([X])
    # The moving statistics move towards those of every step of every sample.
    np.testing.assert_allclose(moved[0], 0.25 * X.reshape(-1, 4).mean(0), rtol=1e-4, atol=1e-6)
    norm.trainable = False
    assert norm.updates == [] and norm.trainable_weights == []
    assert not norm.layer.trainable


def test_wrapper_losses_are_tied_to_their_inputs():
    from jeras.layers import Input
    from jeras.regularizers import l1

    td = TimeDistributed(Dense(2, kernel_regularizer=l1(0.5)))
    td(Input((5, 4)))
    (penalty,) = td.get_losses_for(None)
    np.testing.assert_allclose(K.eval(penalty), 0.5 * np.abs(td.get_weights()[0]).sum(),
                               rtol=1e-5)
    x = Input((5, 4))
    bi = Bidirectional(SimpleRNN(3, bias_regularizer=l1(1.0)))
    bi(x)
    bi.set_weights([np.full(w.shape, 0.5) for w in bi.get_weights()])
    assert [float(K.eval(p)) for p in bi.get_losses_for(None)] == [1.5, 1.5]
    bi.forward_layer.add_loss(K.constant(2.0), inputs=x)
    bi.backward_layer.add_loss(K.constant(3.0))
    assert [float(K.eval(p)) for p in bi.get_losses_for(x)] == [2.0]
    assert len(bi.get_losses_for(None)) == 3 and len(bi.losses) == 4


def test_bidirectional_initial_state_splits_between_directions():
    from jeras.layers import Input
    from jeras.models import Model

    x = Input((5, 4))
    h_fwd, h_bwd = Input((3,)), Input((3,))
    layer = Bidirectional(SimpleRNN(3), merge_mode=None)
    model = Model([x, h_fwd, h_bwd], layer(x, initial_state=[h_fwd, h_bwd]))
    w = [RNG.randn(*v.shape) * 0.6 for v in model.get_weights()]
    model.set_weights(w)
    s_fwd, s_bwd = RNG.randn(3, 3), RNG.randn(3, 3)
    keep = np.ones_like(MASK)
    _, fwd = np_simple_rnn(X, *w[:3], keep, False, s_fwd)
    _, bwd = np_simple_rnn(X, *w[3:], keep, True, s_bwd)
    out = model.predict([X, s_fwd, s_bwd])
    np.testing.assert_allclose(out[0], fwd, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out[1], bwd, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match=r"bidirectional.*initial_state.*even"):
        Bidirectional(SimpleRNN(3))(x, initial_state=h_fwd)


def test_bidirectional_passes_constants_to_both_cells():
    from jeras.layers import RNN, Input, Layer
    from jeras.models import Model
    from jeras.utils import CustomObjectScope

    class ShiftedCell(Layer):
        """h = x @ W + h_prev + c: a cell reading a constant."""

        state_size = 2

        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", (input_shape[0][-1], 2))

        def call(self, inputs, states, constants):
            output = K.dot(inputs, self.kernel) + states[0] + constants[0]
            return output, [output]

    x, c = Input((5, 4)), Input((2,))
    # The backward copy is made from the config, as in Keras 2.2.4: the cell's
    # class must be known by name.
    with CustomObjectScope({"ShiftedCell": ShiftedCell}):
        layer = Bidirectional(RNN(ShiftedCell()), merge_mode="concat")
    model = Model([x, c], layer(x, constants=c))
    w_fwd, w_bwd = model.get_weights()
    const = RNG.randn(3, 2)
    # The state is the sum over the steps read, whichever the order.
    expected = np.concatenate([X.sum(1) @ w_fwd + 5 * const, X.sum(1) @ w_bwd + 5 * const], -1)
    np.testing.assert_allclose(model.predict([X, const]), expected, rtol=1e-4, atol=1e-4)
    assert layer.get_config()["num_constants"] == 1


def test_wrappers_mark_outputs_that_depend_on_the_learning_phase():
    from jeras.layers import Input

    x = Input((5, 4))
    free = Bidirectional(LSTM(3, dropout=0.5, return_state=True))(x)
    assert all(t._uses_learning_phase for t in free)
    fixed = Bidirectional(LSTM(3, dropout=0.5))(x, training=True)
    assert not fixed._uses_learning_phase
    assert TimeDistributed(Dropout(0.5))(x)._uses_learning_phase
    assert not TimeDistributed(Dense(2))(x)._uses_learning_phase
