"""RNN(cell) with Keras 2-style cells and the built-in cells, against numpy loops and
jeras's own SimpleRNN/LSTM/GRU."""
import numpy as np
import pytest

from jeras import backend as K
from jeras.layers import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    Dense,
    Embedding,
    GRUCell,
    Input,
    Layer,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
)
from jeras.models import Model, Sequential, load_model

RNG = np.random.RandomState(7)
B, T, D, U = 3, 5, 4, 3
X = RNG.randn(B, T, D).astype("float32")


class MinimalRNNCell(Layer):
    """The cell of Keras 2's RNN docstring, written the Keras 2 way."""

    def __init__(self, units, **kwargs):
        self.units = units
        self.state_size = units
        super().__init__(**kwargs)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                initializer="uniform", name="recurrent_kernel")
        self.built = True

    def call(self, inputs, states):
        prev_output = states[0]
        h = K.dot(inputs, self.kernel)
        output = h + K.dot(prev_output, self.recurrent_kernel)
        return output, [output]

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config


def np_minimal(x, kernel, recurrent, mask=None, go_backwards=False):
    """Keras 2's loop for MinimalRNNCell: masked steps keep the previous output/state."""
    h = np.zeros((x.shape[0], kernel.shape[1]))
    outputs = []
    for t in (reversed(range(x.shape[1])) if go_backwards else range(x.shape[1])):
        new = x[:, t].astype(np.float64) @ kernel + h @ recurrent
        if mask is not None:
            new = np.where(mask[:, t][:, None], new, h)
        h = new
        outputs.append(h)
    return h, np.stack(outputs, axis=1)


def test_custom_keras2_cell_matches_numpy_and_names_weights_after_the_rnn():
    inputs = Input((T, D))
    layer = RNN(MinimalRNNCell(U), return_sequences=True)
    model = Model(inputs, layer(inputs))
    assert [w.name for w in layer.weights] == [f"{layer.name}/kernel:0",
                                               f"{layer.name}/recurrent_kernel:0"]
    assert model.count_params() == D * U + U * U
    kernel, recurrent = layer.get_weights()
    _, expected = np_minimal(X, kernel, recurrent)
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-5, atol=1e-6)
    back = RNN(MinimalRNNCell(U), go_backwards=True)
    back.build((None, T, D))
    back.set_weights([kernel, recurrent])
    np.testing.assert_allclose(back(X), np_minimal(X, kernel, recurrent, go_backwards=True)[0],
                               rtol=1e-5, atol=1e-6)


def test_custom_cell_trains_saves_and_loads(tmp_path):
    inputs = Input((T, D))
    rnn = RNN(MinimalRNNCell(U))
    model = Model(inputs, Dense(1)(rnn(inputs)))
    model.compile("adam", "mse")
    y = X.sum(axis=(1, 2))[:, None] / 10
    before = rnn.get_weights()
    history = model.fit(X, y, epochs=12, batch_size=B, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    after = rnn.get_weights()
    assert all(not np.allclose(a, b) for a, b in zip(before, after))
    # The cell's own variables follow the layer's trained values.
    np.testing.assert_array_equal(K.get_value(rnn.cell.kernel), after[0])
    path = str(tmp_path / "model.h5")
    model.save(path)
    loaded = load_model(path, custom_objects={"MinimalRNNCell": MinimalRNNCell})
    assert isinstance(loaded.layers[1].cell, MinimalRNNCell)
    np.testing.assert_allclose(loaded.predict(X), model.predict(X), rtol=1e-6)


@pytest.mark.parametrize("cell,layer", [
    (lambda: SimpleRNNCell(U), lambda: SimpleRNN(U, return_sequences=True)),
    (lambda: LSTMCell(U), lambda: LSTM(U, return_sequences=True)),
    (lambda: LSTMCell(U, implementation=2), lambda: LSTM(U, return_sequences=True)),
    (lambda: GRUCell(U), lambda: GRU(U, return_sequences=True)),
    (lambda: GRUCell(U, reset_after=True, implementation=2),
     lambda: GRU(U, reset_after=True, return_sequences=True)),
])
def test_builtin_cells_match_the_layers_with_the_same_weights(cell, layer):
    rnn, ref = RNN(cell(), return_sequences=True), layer()
    ref.ensure_built((None, T, D))
    rnn.build((None, T, D))
    rnn.set_weights(ref.get_weights())
    assert [w.shape for w in rnn.get_weights()] == [w.shape for w in ref.get_weights()]
    np.testing.assert_allclose(rnn(X), ref(X), rtol=1e-5, atol=1e-6)


def test_stacked_cells_equal_two_stacked_layers_and_return_flat_states():
    inputs = Input((T, D))
    stacked = RNN([LSTMCell(U), GRUCell(2)], return_state=True)
    outputs = stacked(inputs)
    assert [tuple(t.shape) for t in outputs] == [(None, 2), (None, U), (None, U), (None, 2)]
    assert [w.name.split("/")[1] for w in stacked.weights] == [
        "kernel:0", "recurrent_kernel:0", "bias:0", "kernel_1:0", "recurrent_kernel_1:0",
        "bias_1:0"]
    lower, upper = LSTM(U, return_sequences=True), GRU(2)
    upper.ensure_built(lower.ensure_built((None, T, D)))
    weights = stacked.get_weights()
    lower.set_weights(weights[:3])
    upper.set_weights(weights[3:])
    sequence = lower(X)
    out, h1, c1, h2 = stacked(X)
    np.testing.assert_allclose(out, upper(sequence), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h2, out)
    np.testing.assert_allclose(h1, sequence[:, -1], rtol=1e-5, atol=1e-6)
    config = stacked.get_config()
    assert config["cell"]["class_name"] == "StackedRNNCells"
    clone = RNN.from_config(config)
    assert isinstance(clone.cell, StackedRNNCells) and len(clone.cell.cells) == 2


def test_masks_carry_output_and_states_over_masked_steps():
    tokens = np.array([[3, 1, 2, 0, 0], [1, 1, 1, 1, 1], [0, 2, 2, 0, 3]])
    inputs = Input((T,), dtype="int32")
    embedding = Embedding(5, D, mask_zero=True)
    rnn = RNN(MinimalRNNCell(U), return_sequences=True)
    model = Model(inputs, rnn(embedding(inputs)))
    table = embedding.get_weights()[0]
    kernel, recurrent = rnn.get_weights()
    _, expected = np_minimal(table[tokens], kernel, recurrent, mask=tokens != 0)
    np.testing.assert_allclose(model.predict(tokens), expected, rtol=1e-5, atol=1e-6)


def test_initial_state_and_return_state():
    inputs, h0, c0 = Input((T, D)), Input((U,)), Input((U,))
    rnn = RNN(LSTMCell(U), return_state=True)
    outputs = rnn(inputs, initial_state=[h0, c0])
    assert [tuple(t.shape) for t in outputs] == [(None, U)] * 3
    model = Model([inputs, h0, c0], outputs)
    ref = LSTM(U, return_state=True)
    ref.ensure_built((None, T, D))
    ref.set_weights(rnn.get_weights())
    start = [RNG.randn(B, U).astype("float32") for _ in range(2)]
    for got, want in zip(model.predict([X] + start), ref([X] + start)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="initial_state"):
        RNN(LSTMCell(U))(inputs, initial_state=[Input((U + 1,)), c0])


def test_constants_reach_every_step():
    class ConstantCell(Layer):
        state_size = 2

        def call(self, inputs, states, constants=None):
            output = states[0] + K.sum(inputs, axis=-1, keepdims=True) + constants[0]
            return output, [output]

    inputs, offset = Input((T, D)), Input((2,))
    rnn = RNN(ConstantCell())
    model = Model([inputs, offset], rnn(inputs, constants=offset))
    c = RNG.randn(B, 2).astype("float32")
    expected = X.sum(axis=(1, 2))[:, None] + T * c
    np.testing.assert_allclose(model.predict([X, c]), expected, rtol=1e-5)
    assert rnn.get_config()["num_constants"] == 1


def test_dropout_masks_are_drawn_once_per_sequence_in_training_only():
    rnn = RNN(SimpleRNNCell(U, dropout=0.5, activation="linear", use_bias=False),
              return_sequences=True)
    ones = np.ones((B, T, D), "float32")
    np.testing.assert_array_equal(rnn(ones), rnn(ones))
    kernel, recurrent = rnn.get_weights()
    rnn.set_weights([kernel, np.zeros_like(recurrent)])
    dropped = np.asarray(rnn(ones, training=True))
    # No recurrence: every step sees the same dropped input, so the outputs repeat.
    np.testing.assert_allclose(dropped, np.repeat(dropped[:, :1], T, axis=1), rtol=1e-6)
    assert not np.allclose(dropped[:, 0], ones[:, 0] @ kernel)
    assert rnn.cell._dropout_mask is None and rnn.uses_rng


def test_stateful_rnn_continues_from_the_last_batch():
    rnn = RNN(GRUCell(U), stateful=True, batch_input_shape=(B, T, D))
    model = Sequential([rnn])
    whole = np.concatenate([X, X[:, ::-1]], axis=1)
    ref = GRU(U)
    ref.ensure_built((None, 2 * T, D))
    ref.set_weights(rnn.get_weights())
    model.predict(X, batch_size=B)
    np.testing.assert_allclose(model.predict(X[:, ::-1], batch_size=B), ref(whole),
                               rtol=1e-5, atol=1e-6)
    model.reset_states()
    np.testing.assert_array_equal(K.get_value(rnn.states[0]), np.zeros((B, U)))


def test_bidirectional_and_config_round_trip():
    rnn = RNN(SimpleRNNCell(U), return_sequences=True)
    layer = Bidirectional(rnn)
    out = layer(X)
    assert out.shape == (B, T, 2 * U)
    config = rnn.get_config()
    assert config["cell"] == {"class_name": "SimpleRNNCell",
                              "config": rnn.cell.get_config()}
    assert {"return_sequences", "return_state", "go_backwards", "stateful",
            "unroll"} <= set(config)
    with pytest.raises(ValueError, match="state_size"):
        RNN(Dense(2))


def test_initial_state_of_a_graph_tensor_and_cell_losses_by_input():
    class PlusOne(Layer):
        state_size = 4

        def call(self, inputs, states):
            return inputs + 1, [states[0] + 1]

    x = Input((None, 2))
    layer = RNN(PlusOne())
    model = Model(x, layer(x))
    (zeros,) = layer.get_initial_state(x)
    assert K.int_shape(zeros) == (None, 4)
    np.testing.assert_array_equal(K.function([x], [zeros])([X[:, :, :2]])[0], np.zeros((B, 4)))
    # The output is the last step's input plus one (the state does not feed it).
    np.testing.assert_allclose(model.predict(X[:, :, :2]), X[:, -1, :2] + 1, rtol=1e-6)

    cells = [SimpleRNNCell(2), SimpleRNNCell(2)]
    stacked = RNN(cells)
    y = Input((None, 3))
    penalty = K.sum(y)
    cells[1].add_loss(penalty, inputs=y)
    cells[0].add_loss(K.constant(1.0))
    assert stacked.get_losses_for(y) == [penalty]
    assert [float(K.eval(v)) for v in stacked.get_losses_for(None)] == [1.0]
