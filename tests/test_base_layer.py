"""Keras 2 layers written the Keras 2 way: `build` with `add_weight`, `call` with `K.*`,
`add_loss` and `K.update` from `call`, and the graph API of layers and models."""
import numpy as np
import pytest

from jeras import backend as K
from jeras.engine.base_layer import Layer
from jeras.layers import Dense, Dropout, Input
from jeras.models import Model, Sequential, load_model


class Affine(Layer):
    """A Dense layer as a Keras 2 tutorial writes it."""

    def __init__(self, units, **kwargs):
        self.units = units
        super().__init__(**kwargs)

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform", trainable=True)
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
        super().build(input_shape)

    def call(self, inputs):
        return K.dot(inputs, self.kernel) + self.bias

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config


def _data(n=96, d=5, k=3, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.rand(n, d).astype("float32")
    w = rng.randn(d, k).astype("float32")
    return x, x @ w


def test_custom_layer_trains_saves_loads_and_predicts_the_same(tmp_path):
    x, y = _data()
    inp = Input((5,))
    layer = Affine(3, name="affine")
    model = Model(inp, layer(inp))
    assert [w.name for w in model.weights] == ["affine/kernel:0", "affine/bias:0"]
    model.compile("sgd", "mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.5 * before
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(model.predict(x), x @ kernel + bias, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(K.get_value(layer.kernel), kernel)
    path = str(tmp_path / "affine.h5")
    model.save(path)
    loaded = load_model(path, custom_objects={"Affine": Affine})
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6)


def test_weights_are_the_same_objects_at_every_access():
    inp = Input((5,))
    layer = Affine(3)
    model = Model(inp, Dense(2)(layer(inp)))
    assert model.trainable_weights == model.trainable_weights
    assert model.layers[1].trainable_weights == [layer.kernel, layer.bias]
    assert model.trainable_weights[:2] == layer.trainable_weights


def test_add_weight_from_call_is_refused_naming_the_layer():
    class Late(Layer):
        def call(self, inputs):
            self.add_weight(name="w", shape=(1,))
            return inputs

    with pytest.raises(ValueError, match="'late'.*add_weight"):
        Late(name="late")(Input((2,)))


def test_call_that_fails_on_the_input_shape_names_the_layer():
    class Broken(Layer):
        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(7, 2))

        def call(self, inputs):
            return K.dot(inputs, self.kernel)

    with pytest.raises(ValueError, match="'broken'.*call.*failed.*\\(None, 3\\)"):
        Broken(name="broken")(Input((3,)))


def test_add_loss_from_call_joins_the_objective():
    class ActivityL1(Layer):
        def call(self, inputs):
            self.add_loss(0.5 * K.sum(K.abs(inputs)) / K.cast(K.shape(inputs)[0], "float32"))
            return inputs

    x, y = _data(n=40)
    inp = Input((5,))
    dense = Dense(3, name="d")
    model = Model(inp, ActivityL1()(dense(inp)))
    model.compile("sgd", "mse")
    kernel, bias = model.get_weights()
    pred = x @ kernel + bias
    expected = np.mean((pred - y) ** 2) + 0.5 * np.abs(pred).sum() / len(x)
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=40, verbose=0), expected,
                               rtol=1e-5)


def test_update_from_call_becomes_the_new_state():
    class RunningMax(Layer):
        def build(self, input_shape):
            self.peak = self.add_weight(name="peak", shape=(input_shape[-1],),
                                        initializer="zeros", trainable=False)

        def call(self, inputs, training=None):
            new = K.maximum(self.peak, K.max(inputs, axis=0))
            self.add_update([K.update(self.peak, new)], inputs)
            return inputs

    x, y = _data(n=64)
    inp = Input((5,))
    layer = RunningMax()
    model = Model(inp, Dense(3)(layer(inp)))
    model.compile("sgd", "mse")
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(K.get_value(layer.peak), x.max(axis=0), rtol=1e-6)


def test_random_draws_in_a_keras2_call_change_every_step():
    class Noise(Layer):
        def call(self, inputs, training=None):
            return K.in_train_phase(lambda: inputs + K.random_normal(K.shape(inputs)),
                                    inputs, training=training)

    inp = Input((4,))
    model = Model(inp, Noise()(inp))
    x = np.zeros((8, 4), "float32")
    np.testing.assert_array_equal(model.predict(x), x)
    f = K.function([inp, K.learning_phase()], [model.output])
    a, b = f([x, 1])[0], f([x, 1])[0]
    assert a.std() > 0.5 and not np.allclose(a, b)


def test_graph_api_of_layers_and_models():
    inp = Input((5,), name="x")
    hidden = Dense(4, name="hidden")
    out = Dense(2, name="out")(hidden(inp))
    model = Model(inp, out)
    assert model.input is inp and model.output is out
    assert hidden.input is inp and hidden.output.shape == (None, 4)
    assert hidden.get_output_at(0) is hidden.output
    hidden(Input((5,)))
    with pytest.raises(AttributeError, match="multiple inbound nodes"):
        _ = hidden.output
    assert hidden.get_output_shape_at(1) == (None, 4)


def test_transfer_learning_from_an_inner_output():
    x, _ = _data()
    base = Sequential([Dense(4, activation="relu", input_shape=(5,), name="feat"),
                       Dense(2, name="head")])
    assert base.input.shape == (None, 5) and base.output.shape == (None, 2)
    features = Model(inputs=base.input, outputs=base.get_layer("feat").output)
    kernel, bias = base.get_layer("feat").get_weights()
    np.testing.assert_allclose(features.predict(x), np.maximum(x @ kernel + bias, 0),
                               rtol=1e-5, atol=1e-6)
    new_head = Dense(1, name="new_head")(base.get_layer("feat").output)
    tuned = Model(base.input, new_head)
    base.get_layer("feat").trainable = False
    tuned.compile("sgd", "mse")
    tuned.fit(x, x[:, :1], epochs=2, verbose=0)
    np.testing.assert_array_equal(base.get_layer("feat").get_weights()[0], kernel)


def test_call_kwargs_training_true_keeps_dropout_on_in_inference():
    inp = Input((200,))
    model = Model(inp, Dropout(0.5)(inp, training=True))
    out = model.predict(np.ones((4, 200), "float32"))
    assert 0.3 < (out == 0).mean() < 0.7


def test_a_slice_taken_in_build_follows_the_trained_weights():
    class HalfKernel(Layer):
        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], 4))
            self.left = self.kernel[:, :2]
            super().build(input_shape)

        def call(self, inputs):
            return K.dot(inputs, self.left)

        def compute_output_shape(self, input_shape):
            return (input_shape[0], 2)

    x, y = _data(k=2)
    inp = Input((5,))
    layer = HalfKernel()
    model = Model(inp, layer(inp))
    model.compile("sgd", "mse")
    model.fit(x, y, epochs=3, verbose=0)
    kernel = K.get_value(layer.kernel)
    np.testing.assert_allclose(K.get_value(layer.left), kernel[:, :2])
    np.testing.assert_allclose(model.predict(x), x @ kernel[:, :2], rtol=1e-5, atol=1e-6)
