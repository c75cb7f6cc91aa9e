"""The functional API: Input, Model(inputs, outputs), shared layers, merges, Lambda, nesting."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jeras import backend as K
from jeras import optimizers
from jeras.layers import (
    Add,
    Average,
    Concatenate,
    Dense,
    Dot,
    Input,
    Lambda,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    concatenate,
)
from jeras.models import Model, Sequential
from jeras.utils.generic_utils import safe_mode_scope

RNG = np.random.RandomState(0)


def two_by_two():
    a = Input(shape=(3,), name="in_a")
    b = Input(shape=(3,), name="in_b")
    shared = Dense(4, activation="tanh", name="shared")
    ha, hb = shared(a), shared(b)
    joined = Concatenate(name="join")([ha, hb])
    halved = Lambda(lambda t: t * 0.5, name="halve")(joined)
    cls = Dense(2, activation="softmax", name="cls")(halved)
    reg = Dense(1, name="reg")(hb)
    return Model([a, b], [cls, reg], name="two_by_two")


def plain_forward(w, xa, xb):
    """The same model written with jax.numpy, from its weight list."""
    k_s, b_s, k_c, b_c, k_r, b_r = w
    ha, hb = jnp.tanh(xa @ k_s + b_s), jnp.tanh(xb @ k_s + b_s)
    joined = jnp.concatenate([ha, hb], axis=-1) * 0.5
    return jax.nn.softmax(joined @ k_c + b_c), hb @ k_r + b_r


def plain_losses(w, xa, xb, y_cls, y_reg):
    cls, reg = plain_forward(w, xa, xb)
    cls = cls / jnp.sum(cls, -1, keepdims=True)
    cce = jnp.mean(-jnp.sum(y_cls * jnp.log(jnp.clip(cls, 1e-7, 1 - 1e-7)), -1))
    mse = jnp.mean((reg - y_reg) ** 2)
    return cce + 0.5 * mse, (cce, mse, cls)


def data(n=24):
    xa, xb = RNG.randn(n, 3).astype("float32"), RNG.randn(n, 3).astype("float32")
    y_cls = np.eye(2, dtype="float32")[RNG.randint(0, 2, n)]
    y_reg = RNG.randn(n, 1).astype("float32")
    return xa, xb, y_cls, y_reg


def compiled(optimizer="sgd"):
    model = two_by_two()
    model.compile(optimizer=optimizer, loss={"cls": "categorical_crossentropy", "reg": "mse"},
                  loss_weights={"cls": 1.0, "reg": 0.5}, metrics={"cls": ["acc"]})
    return model


def test_layers_order_weights_and_predictions_match_plain_jax():
    model = two_by_two()
    assert [layer.name for layer in model.layers] == ["in_a", "in_b", "shared", "join", "halve",
                                                      "cls", "reg"]
    assert model.input_names == ["in_a", "in_b"] and model.output_names == ["cls", "reg"]
    assert model.output_shape == [(None, 2), (None, 1)]
    w = [jnp.asarray(v) for v in model.get_weights()]
    assert [v.shape for v in w] == [(3, 4), (4,), (8, 2), (2,), (4, 1), (1,)]
    xa, xb, _, _ = data()
    cls, reg = model.predict({"in_a": xa, "in_b": xb}, batch_size=5)
    want_cls, want_reg = plain_forward(w, xa, xb)
    np.testing.assert_allclose(cls, want_cls, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(reg, want_reg, rtol=1e-5, atol=1e-6)
    assert model.get_layer("shared") is model.get_layer(index=2)
    with pytest.raises(ValueError, match="no layer named"):
        model.get_layer("nope")


def test_per_output_losses_weights_logs_and_one_sgd_step():
    model = compiled(optimizers.SGD(lr=0.1))
    assert model.metrics_names == ["loss", "cls_loss", "reg_loss", "cls_acc"]
    xa, xb, y_cls, y_reg = data()
    w = [jnp.asarray(v) for v in model.get_weights()]
    total, (cce, mse, p) = plain_losses(w, xa, xb, y_cls, y_reg)
    acc = np.mean(np.argmax(p, 1) == np.argmax(y_cls, 1))
    got = model.evaluate([xa, xb], {"cls": y_cls, "reg": y_reg}, batch_size=7, verbose=0)
    np.testing.assert_allclose(got, [total, cce, mse, acc], rtol=1e-5)
    grads = jax.grad(lambda w: plain_losses(w, xa, xb, y_cls, y_reg)[0])(w)
    model.train_on_batch([xa, xb], [y_cls, y_reg])
    for got_w, w0, g in zip(model.get_weights(), w, grads):
        np.testing.assert_allclose(got_w, w0 - 0.1 * g, rtol=1e-4, atol=1e-6)
    history = model.fit([xa, xb], [y_cls, y_reg], epochs=2, batch_size=8, verbose=0,
                        validation_split=0.25)
    assert sorted(history.history) == sorted(
        ["loss", "cls_loss", "reg_loss", "cls_acc", "val_loss", "val_cls_loss", "val_reg_loss",
         "val_cls_acc"])
    for i in range(2):
        np.testing.assert_allclose(
            history.history["val_loss"][i],
            history.history["val_cls_loss"][i] + 0.5 * history.history["val_reg_loss"][i],
            rtol=1e-5)


def test_config_round_trip_needs_unsafe_mode_for_the_lambda():
    model = two_by_two()
    config = model.get_config()
    assert config["input_layers"] == [["in_a", 0, 0], ["in_b", 0, 0]]
    assert config["output_layers"] == [["cls", 0, 0], ["reg", 0, 0]]
    shared = next(c for c in config["layers"] if c["name"] == "shared")
    assert shared["inbound_nodes"] == [[["in_a", 0, 0, {}]], [["in_b", 0, 0, {}]]]
    reg = next(c for c in config["layers"] if c["name"] == "reg")
    assert reg["inbound_nodes"] == [[["shared", 1, 0, {}]]]
    with pytest.raises(ValueError, match="marshalled Python code"):
        Model.from_config(config)
    with safe_mode_scope(False):
        clone = Model.from_config(config)
    clone.set_weights(model.get_weights())
    xa, xb, _, _ = data(5)
    for got, want in zip(clone.predict([xa, xb]), model.predict([xa, xb])):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]


def test_merge_layers_match_numpy():
    x, y = RNG.randn(4, 5).astype("float32"), RNG.randn(4, 5).astype("float32")
    a, b = Input(shape=(5,)), Input(shape=(5,))
    cases = [(Add(), x + y), (Subtract(), x - y), (Multiply(), x * y), (Average(), (x + y) / 2),
             (Maximum(), np.maximum(x, y)), (Minimum(), np.minimum(x, y)),
             (Dot(axes=1), np.sum(x * y, axis=1, keepdims=True)),
             (Dot(axes=1, normalize=True),
              np.sum(x * y, 1, keepdims=True) / np.linalg.norm(x, axis=1, keepdims=True)
              / np.linalg.norm(y, axis=1, keepdims=True))]
    for layer, want in cases:
        got = Model([a, b], layer([a, b])).predict([x, y])
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=type(layer).__name__)
    s, t = Input(shape=(3, 4)), Input(shape=(3, 4))
    u, v = RNG.randn(2, 3, 4).astype("float32"), RNG.randn(2, 3, 4).astype("float32")
    got = Model([s, t], Dot(axes=(2, 2))([s, t])).predict([u, v])
    np.testing.assert_allclose(got, np.einsum("bik,bjk->bij", u, v), rtol=1e-5, atol=1e-6)
    got = Model([s, t], concatenate([s, t], axis=1)).predict([u, v])
    np.testing.assert_allclose(got, np.concatenate([u, v], axis=1))


def test_nesting_sequential_in_model_and_model_in_sequential():
    inner = Sequential([Dense(3, input_shape=(4,), activation="relu"), Dense(2)])
    x_in = Input(shape=(4,))
    outer = Model(x_in, Dense(1)(inner(x_in)))
    assert len(outer.get_weights()) == 6 and outer.count_params() == 15 + 8 + 3
    x = RNG.randn(6, 4).astype("float32")
    k1, b1, k2, b2, k3, b3 = outer.get_weights()
    want = (np.maximum(x @ k1 + b1, 0) @ k2 + b2) @ k3 + b3
    np.testing.assert_allclose(outer.predict(x), want, rtol=1e-5, atol=1e-6)
    outer.compile("sgd", "mse")
    before = inner.get_weights()
    outer.fit(x, np.ones((6, 1)), epochs=2, verbose=0)
    assert not np.array_equal(before[0], inner.get_weights()[0])

    stacked = Sequential([outer, Dense(2)])
    assert stacked.output_shape == (None, 2)
    np.testing.assert_allclose(stacked.predict(x),
                               outer.predict(x) @ stacked.layers[1].get_weights()[0]
                               + stacked.layers[1].get_weights()[1], rtol=1e-5, atol=1e-6)


def test_summary_has_the_connected_to_column():
    lines = []
    two_by_two().summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Connected to" in lines[1]
    assert "in_a[0][0]" in text and "shared[1][0]" in text
    assert "Total params: 39" in text


def test_graph_errors():
    a, b = Input(shape=(3,)), Input(shape=(3,))
    out = Dense(2)(add([a, b]))
    with pytest.raises(ValueError, match="Graph disconnected"):
        Model(a, out)
    with pytest.raises(ValueError, match=r"\(None, 3\) from layer .*\(None, 4\) from layer"):
        add([Dense(3, name="three")(a), Dense(4, name="four")(b)])
    with pytest.raises(TypeError, match="not a symbolic tensor"):
        Dense(2)([a, np.zeros((1, 3))])
    with pytest.raises(TypeError, match="symbolic tensors"):
        Model(np.zeros((1, 3)), out)
    x = Dense(2, name="dup")(a)
    y = Dense(2, name="dup")(x)
    with pytest.raises(ValueError, match="dup"):
        Model(a, y)
    with pytest.raises(ValueError, match="exactly 2"):
        Subtract()([a, b, a])


def test_rnn_initial_state_in_a_functional_model():
    from jeras.layers import LSTM
    seq, h0, c0 = Input(shape=(5, 3)), Input(shape=(4,)), Input(shape=(4,))
    lstm = LSTM(4, return_sequences=True)
    model = Model([seq, h0, c0], lstm(seq, initial_state=[h0, c0]))
    kernel, recurrent, bias = lstm.get_weights()
    x = RNG.randn(2, 5, 3).astype("float32")
    h_init, c_init = RNG.randn(2, 4).astype("float32"), RNG.randn(2, 4).astype("float32")

    def hard_sigmoid(v):
        return np.clip(0.2 * v + 0.5, 0, 1)

    h, c, outputs = h_init, c_init, []
    for t in range(5):
        i, f, g, o = np.split(x[:, t] @ kernel + h @ recurrent + bias, 4, axis=-1)
        c = hard_sigmoid(f) * c + hard_sigmoid(i) * np.tanh(g)
        h = hard_sigmoid(o) * np.tanh(c)
        outputs.append(h)
    np.testing.assert_allclose(model.predict([x, h_init, c_init]), np.stack(outputs, axis=1),
                               rtol=1e-5, atol=1e-6)
    lstm_config = next(c for c in model.get_config()["layers"] if c["class_name"] == "LSTM")
    assert len(lstm_config["inbound_nodes"][0]) == 3


FIXTURES = __import__("pathlib").Path(__file__).parent / "fixtures"


def test_save_and_reload_the_two_by_two_model(tmp_path):
    from jeras.models import load_model
    model = compiled(optimizers.SGD(lr=0.1))
    xa, xb, y_cls, y_reg = data()
    model.fit([xa, xb], [y_cls, y_reg], epochs=1, batch_size=8, verbose=0)
    model.save(str(tmp_path / "two.h5"))
    with pytest.raises(ValueError, match="safe_mode=False"):
        load_model(str(tmp_path / "two.h5"))
    clone = load_model(str(tmp_path / "two.h5"), safe_mode=False)
    for got, want in zip(clone.predict([xa, xb]), model.predict([xa, xb])):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    assert clone.metrics_names == model.metrics_names
    np.testing.assert_allclose(clone.evaluate([xa, xb], [y_cls, y_reg], verbose=0),
                               model.evaluate([xa, xb], [y_cls, y_reg], verbose=0), rtol=1e-6)


def test_functional_model_saved_by_tf_keras_loads_and_predicts():
    from jeras.models import load_model
    ref = np.load(FIXTURES / "tf_keras_functional.npz")
    model = load_model(str(FIXTURES / "tf_keras_functional.h5"))
    cls, reg = model.predict([ref["xa"], ref["xb"]])
    np.testing.assert_allclose(cls, ref["cls"], atol=1e-6)
    np.testing.assert_allclose(reg, ref["reg"], atol=1e-6)
    assert model.metrics_names == ["loss", "cls_loss", "reg_loss", "cls_acc"]
    model.fit([ref["xa"], ref["xb"]], [ref["y_cls"], ref["y_reg"]], epochs=1, verbose=0)


@pytest.mark.interop
def test_live_functional_round_trip_with_tf_keras(tmp_path):
    tf_keras = pytest.importorskip("tf_keras")
    from jeras.models import load_model
    a, b = Input(shape=(3,), name="in_a"), Input(shape=(3,), name="in_b")
    shared = Dense(4, activation="tanh", name="shared")
    joined = Concatenate(name="join")([shared(a), shared(b)])
    model = Model([a, b], [Dense(2, activation="softmax", name="cls")(joined),
                           Dense(1, name="reg")(shared(b))])
    model.compile("sgd", ["categorical_crossentropy", "mse"], loss_weights=[1.0, 0.5])
    xa, xb, _, _ = data(6)
    model.save(str(tmp_path / "ours.h5"))
    theirs = tf_keras.models.load_model(str(tmp_path / "ours.h5"))
    for got, want in zip(theirs.predict([xa, xb], verbose=0), model.predict([xa, xb])):
        np.testing.assert_allclose(got, want, atol=1e-6)
    theirs.save(str(tmp_path / "theirs.h5"))
    back = load_model(str(tmp_path / "theirs.h5"))
    for got, want in zip(back.predict([xa, xb]), model.predict([xa, xb])):
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_vae_with_add_loss_trains_on_the_loss_of_its_graph_tensors():
    from jeras import losses
    rng = np.random.RandomState(0)
    x = Input(shape=(6,))
    h = Dense(8, activation="relu")(x)
    z_mean, z_log_var = Dense(2)(h), Dense(2)(h)

    def sampling(args):
        mean, log_var = args
        eps = K.random_normal(shape=(K.shape(mean)[0], K.int_shape(mean)[1]))
        return mean + K.exp(0.5 * log_var) * eps

    z = Lambda(sampling, output_shape=(2,))([z_mean, z_log_var])
    decoded = Dense(6, activation="sigmoid")(z)
    vae = Model(x, decoded)
    kl = -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
    vae.add_loss(K.mean(losses.binary_crossentropy(x, decoded) * 6 + kl))
    assert len(vae.losses) == 1
    vae.compile(optimizer="adam")
    data = (rng.rand(128, 6) > 0.5).astype("float32")
    # The loss of the mean code, computed in numpy from the model's weights.
    encoder = Model(x, [z_mean, z_log_var])
    decoder_weights = vae.layers[-1].get_weights()

    def numpy_loss(mean, log_var, out):
        p = np.clip(out, 1e-7, 1 - 1e-7)
        bce = -(data * np.log(p) + (1 - data) * np.log(1 - p)).mean(-1) * 6
        return np.mean(bce - 0.5 * (1 + log_var - mean ** 2 - np.exp(log_var)).sum(-1))

    mean, log_var = encoder.predict(data)
    w, b = decoder_weights
    before = numpy_loss(mean, log_var, 1 / (1 + np.exp(-(mean @ w + b))))
    history = vae.fit(data, epochs=15, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    mean, log_var = encoder.predict(data)
    w, b = vae.layers[-1].get_weights()
    after = numpy_loss(mean, log_var, 1 / (1 + np.exp(-(mean @ w + b))))
    assert after < before


def test_graph_details_keras_2_2_4_accepts():
    from jeras import backend as K
    from jeras.layers import Reshape
    x = Input((None, 6))
    y = Reshape((-1, 3))(x)
    assert K.int_shape(y) == (None, None, 3)
    assert Model(x, y).predict(np.zeros((2, 4, 6), "float32")).shape == (2, 8, 3)
    inner = Sequential([Dense(3)])
    seq = Input((5, 4))
    assert K.int_shape(inner(seq)) == (None, 5, 3)
    general = Input((None, 3))
    model = Model(general, Dense(5)(general))
    assert K.int_shape(model(Input((10, 3)))) == (None, 10, 5)
    a, b = Input((3,), name="used"), Input((2,), name="unused")
    config = Model([a, b], Dense(1)(a)).get_config()
    assert [ref[0] for ref in config["input_layers"]] == ["used", "unused"]
    c, d = Input((3,)), Input((3,))
    both = Lambda(lambda t: t[0] + t[1], mask=lambda t, m: [None, None])([c, d])
    model = Model([c, d], both)
    model.compile("sgd", "mse")
    ones = np.ones((4, 3), "float32")
    np.testing.assert_allclose(model.evaluate([ones, ones], 2 * ones, verbose=0), 0.0)


def test_add_loss_on_tensors_inside_a_nested_model_uses_its_weights():
    from jeras import backend as K
    from jeras import losses
    from jeras.layers import Lambda
    x = Input((6,))
    h = Dense(8, activation="relu")(x)
    z_mean, z_log_var = Dense(2)(h), Dense(2)(h)
    z = Lambda(lambda a: a[0] + K.exp(0.5 * a[1]) * K.random_normal(K.shape(a[0])))(
        [z_mean, z_log_var])
    encoder = Model(x, [z_mean, z_log_var, z])
    latent = Input((2,))
    decoder = Model(latent, Dense(6, activation="sigmoid")(latent))
    out = decoder(encoder(x)[2])
    vae = Model(x, out)
    kl = -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
    vae.add_loss(K.mean(losses.mean_squared_error(x, out) * 6 + kl))
    vae.compile(optimizer="adam")
    data = np.random.RandomState(1).rand(64, 6).astype("float32")
    # With a zero decoder the output is 0.5 whatever z is: the loss is deterministic.
    decoder.set_weights([np.zeros((2, 6), "float32"), np.zeros(6, "float32")])
    mean, log_var, _ = encoder.predict(data)
    expected = np.mean(((data - 0.5) ** 2).mean(-1) * 6
                       - 0.5 * (1 + log_var - mean ** 2 - np.exp(log_var)).sum(-1))
    np.testing.assert_allclose(vae.evaluate(data, batch_size=64, verbose=0), expected,
                               rtol=1e-5)
    before = encoder.get_weights()[0].copy()
    vae.fit(data, epochs=2, batch_size=32, verbose=0)
    assert np.abs(encoder.get_weights()[0] - before).max() > 0


def test_add_loss_over_flattened_graph_tensors():
    from jeras import backend as K
    from jeras import losses
    x = Input((4,))
    out = Dense(4, activation="sigmoid")(x)
    model = Model(x, out)
    model.add_loss(K.mean(losses.binary_crossentropy(K.flatten(x), K.flatten(out))))
    model.compile("adam")
    data = np.random.RandomState(2).rand(20, 4).astype("float32")
    p = np.clip(model.predict(data).ravel(), 1e-7, 1 - 1e-7)
    t = data.ravel()
    expected = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(model.evaluate(data, batch_size=20, verbose=0), expected,
                               rtol=1e-4)
    model.fit(data, epochs=1, batch_size=8, verbose=0)


def test_a_nested_models_add_loss_terms_count_once():
    from jeras import backend as K
    a = Input((2,))
    h = Dense(1, kernel_initializer="ones", bias_initializer="zeros")(a)
    inner = Model(a, h)
    inner.add_loss(K.constant(1.5))
    inner.add_loss(K.mean(K.square(h)) + 2.0)
    b = Input((2,))
    outer = Model(b, inner(b))
    outer.compile("sgd", "mse")
    x = np.array([[1.0, 2.0], [0.0, 1.0]], "float32")
    pred = x.sum(1, keepdims=True)
    expected = 0.0 + 1.5 + np.mean(pred ** 2) + 2.0
    np.testing.assert_allclose(outer.evaluate(x, pred, batch_size=2, verbose=0), expected,
                               rtol=1e-6)
    assert len(outer.losses) == 2


def test_losses_of_a_nested_model_are_computed_on_the_tensors_it_is_called_on():
    from jeras import regularizers
    dense = Dense(2, kernel_regularizer=regularizers.l1(0.1),
                  activity_regularizer=regularizers.l2(0.5))
    t = Input((3,))
    inner = Model(t, dense(t))
    a, b = Input((3,)), Input((3,))
    outer = Model([a, b], Average()([inner(a), inner(b)]))
    outer.add_loss(1)
    # As 2.2.4 counts them: the kernel penalty once, one activity penalty per
    # call of the nested model here (not the one on its own input), the number.
    assert len(outer.losses) == 4
    x = np.random.RandomState(0).rand(4, 3).astype("float32")
    kernel, bias = dense.get_weights()
    (on_a,) = inner.get_losses_for(a)
    np.testing.assert_allclose(K.function([a], [on_a])([x])[0],
                               0.5 * np.sum((x @ kernel + bias) ** 2), rtol=1e-5)
    (penalty,) = inner.get_losses_for(None)
    np.testing.assert_allclose(float(penalty), 0.1 * np.abs(kernel).sum(), rtol=1e-5)
