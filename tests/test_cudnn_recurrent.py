"""CuDNNLSTM and CuDNNGRU against a numpy transcription of cuDNN's equations, and their files.

The transcription reads each gate's slice of the Keras kernels the way Keras 2
handed it to cuDNN: the slice's row-major memory as cuDNN's `(units, fan_in)`
matrix. It shares nothing with jeras's weight conversion.
"""
import numpy as np
import pytest

from jeras.layers import GRU, LSTM, Bidirectional, CuDNNGRU, CuDNNLSTM, Dense, Input
from jeras.models import Model, Sequential, load_model

RNG = np.random.RandomState(11)
B, T, D, U = 3, 5, 4, 3
X = RNG.randn(B, T, D).astype("float32")


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def cudnn_matrices(kernel, gates):
    """cuDNN's per-gate matrices: the raw memory of each Keras gate slice, row-major."""
    units = kernel.shape[1] // gates
    return [np.ascontiguousarray(kernel[:, g * units:(g + 1) * units]).reshape(units, -1)
            for g in range(gates)]


def np_cudnn(kind, x, weights, h0=None, c0=None, go_backwards=False):
    kernel, recurrent, bias = (np.asarray(w, np.float64) for w in weights)
    gates = 4 if kind == "lstm" else 3
    W, R = cudnn_matrices(kernel, gates), cudnn_matrices(recurrent, gates)
    units = recurrent.shape[0]
    bw, br = np.split(bias, 2)
    bw, br = np.split(bw, gates), np.split(br, gates)
    h = np.zeros((x.shape[0], units)) if h0 is None else h0.astype(np.float64)
    c = np.zeros_like(h) if c0 is None else c0.astype(np.float64)
    steps = reversed(range(x.shape[1])) if go_backwards else range(x.shape[1])
    outputs = []
    for t in steps:
        xt = x[:, t].astype(np.float64)
        wx = [xt @ W[g].T + bw[g] for g in range(gates)]
        rh = [h @ R[g].T + br[g] for g in range(gates)]
        if kind == "lstm":
            i, f = sigmoid(wx[0] + rh[0]), sigmoid(wx[1] + rh[1])
            g_, o = np.tanh(wx[2] + rh[2]), sigmoid(wx[3] + rh[3])
            c = f * c + i * g_
            h = o * np.tanh(c)
        else:
            z, r = sigmoid(wx[0] + rh[0]), sigmoid(wx[1] + rh[1])
            hh = np.tanh(wx[2] + r * rh[2])
            h = z * h + (1 - z) * hh
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


def randomize(layer, shape=(None, T, D)):
    layer.ensure_built(shape)
    weights = [RNG.randn(*w.shape).astype("float32") * 0.5 for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


@pytest.mark.parametrize("cls, kind", [(CuDNNLSTM, "lstm"), (CuDNNGRU, "gru")])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_forward_matches_cudnn_equations(cls, kind, go_backwards):
    layer = cls(U, return_sequences=True, go_backwards=go_backwards)
    weights = randomize(layer)
    expected, _, _ = np_cudnn(kind, X, weights, go_backwards=go_backwards)
    np.testing.assert_allclose(np.asarray(layer(X)), expected, rtol=1e-5, atol=1e-5)
    last = cls(U, go_backwards=go_backwards)
    randomize(last)
    last.set_weights(weights)
    np.testing.assert_allclose(np.asarray(last(X)), expected[:, -1], rtol=1e-5, atol=1e-5)


def test_return_state_and_initial_state():
    x = Input((T, D))
    h0, c0 = Input((U,)), Input((U,))
    layer = CuDNNLSTM(U, return_state=True)
    out, h, c = layer(x, initial_state=[h0, c0])
    model = Model([x, h0, c0], [out, h, c])
    weights = randomize(layer)
    init_h, init_c = RNG.randn(B, U).astype("float32"), RNG.randn(B, U).astype("float32")
    got = model.predict([X, init_h, init_c])
    _, eh, ec = np_cudnn("lstm", X, weights, init_h, init_c)
    for actual, expected in zip(got, [eh, eh, ec]):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)


def test_weights_layout_and_forget_bias():
    layer = CuDNNLSTM(U)
    layer.ensure_built((None, T, D))
    assert [w.shape for w in layer.get_weights()] == [(D, 4 * U), (U, 4 * U), (8 * U,)]
    assert [w.name for w in layer.weights] == [f"{layer.name}/kernel:0",
                                               f"{layer.name}/recurrent_kernel:0",
                                               f"{layer.name}/bias:0"]
    expected = np.zeros(8 * U)
    expected[5 * U:6 * U] = 1.0
    np.testing.assert_array_equal(layer.get_weights()[2], expected)
    gru = CuDNNGRU(U)
    gru.ensure_built((None, T, D))
    assert [w.shape for w in gru.get_weights()] == [(D, 3 * U), (U, 3 * U), (6 * U,)]


@pytest.mark.parametrize("cudnn, plain", [
    (lambda: CuDNNLSTM(U, input_shape=(T, D)),
     lambda: LSTM(U, recurrent_activation="sigmoid", input_shape=(T, D))),
    (lambda: CuDNNGRU(U, input_shape=(T, D)),
     lambda: GRU(U, recurrent_activation="sigmoid", reset_after=True, input_shape=(T, D))),
])
def test_weights_files_interchange_with_plain_layers(tmp_path, cudnn, plain):
    source = Sequential([cudnn()])
    randomize(source.layers[0])
    path = str(tmp_path / "cudnn.h5")
    source.save_weights(path)
    target = Sequential([plain()])
    target.load_weights(path)
    np.testing.assert_allclose(target.predict(X), source.predict(X), rtol=1e-5, atol=1e-5)
    # And back: plain weights into the cuDNN layout.
    target.save_weights(path)
    back = Sequential([cudnn()])
    back.load_weights(path)
    np.testing.assert_allclose(back.predict(X), source.predict(X), rtol=1e-5, atol=1e-5)
    for a, b in zip(back.get_weights(), source.get_weights()):
        if a.shape == (8 * U,):  # only the sum of the two LSTM biases survives the plain layer
            a, b = a[:4 * U] + a[4 * U:], b[:4 * U] + b[4 * U:]
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_whole_model_round_trip_and_training(tmp_path):
    model = Sequential([Bidirectional(CuDNNGRU(U, return_sequences=True), input_shape=(T, D)),
                        CuDNNLSTM(U), Dense(1)])
    model.compile("adam", "mse")
    y = RNG.randn(B, 1).astype("float32")
    history = model.fit(X, y, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    path = str(tmp_path / "model.h5")
    model.save(path)
    loaded = load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers] == [
        "Bidirectional", "CuDNNLSTM", "Dense"]
    np.testing.assert_allclose(loaded.predict(X), model.predict(X), rtol=1e-5, atol=1e-6)


def test_masks_are_refused():
    from jeras.layers import Embedding
    model_layers = [Embedding(5, D, mask_zero=True, input_length=T), CuDNNLSTM(U)]
    with pytest.raises(TypeError, match="masking is not supported"):
        Sequential(model_layers).predict(np.ones((B, T)))


@pytest.mark.parametrize("cls, kind", [(CuDNNLSTM, "lstm"), (CuDNNGRU, "gru")])
def test_stateful_layer_continues_from_the_last_batch(cls, kind):
    model = Sequential([cls(U, stateful=True, return_sequences=True,
                            batch_input_shape=(B, None, D))])
    weights = [RNG.randn(*w.shape).astype("float32") * 0.5 for w in model.get_weights()]
    model.set_weights(weights)
    h = c = None
    for chunk in (X[:, :2], X[:, 2:]):
        expected, h, c = np_cudnn(kind, chunk, weights, h0=h, c0=c)
        np.testing.assert_allclose(model.predict(chunk), expected, rtol=1e-5, atol=1e-5)
    assert len(model.layers[0].states) == (2 if kind == "lstm" else 1)
    model.reset_states()
    np.testing.assert_allclose(model.predict(X), np_cudnn(kind, X, weights)[0],
                               rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="batch size"):
        cls(U, stateful=True).ensure_built((None, T, D))


@pytest.mark.interop
def test_tf_keras_cudnn_file_loads_and_matches_the_equations(tmp_path):
    tf_keras = pytest.importorskip("tf_keras")
    from tf_keras.src.layers.rnn.cudnn_gru import CuDNNGRU as TfCuDNNGRU
    from tf_keras.src.layers.rnn.cudnn_lstm import CuDNNLSTM as TfCuDNNLSTM
    source = tf_keras.Sequential([TfCuDNNLSTM(U, return_sequences=True, input_shape=(T, D)),
                                  TfCuDNNGRU(U)])
    weights = [RNG.randn(*w.shape).astype("float32") * 0.5 for w in source.get_weights()]
    source.set_weights(weights)
    path = str(tmp_path / "tf_keras_cudnn.h5")
    source.save(path)
    loaded = load_model(path, compile=False)
    hidden, _, _ = np_cudnn("lstm", X, weights[:3])
    _, expected, _ = np_cudnn("gru", hidden, weights[3:])
    np.testing.assert_allclose(loaded.predict(X), expected, rtol=1e-5, atol=1e-5)
