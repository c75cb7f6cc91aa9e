"""The Sequential container."""
import numpy as np
import pytest

from jeras import Sequential as TopLevelSequential
from jeras.layers import Activation, Dense, Dropout, Input, InputLayer
from jeras.models import Sequential, model_from_json


def test_add_list_form_pop_and_layers():
    model = Sequential([Dense(4, input_shape=(3,)), Activation("relu")])
    assert TopLevelSequential is Sequential
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Activation"]
    model.add(Dense(2))
    assert model.output_shape == (None, 2) and model.input_shape == (None, 3)
    model.pop()
    assert len(model.layers) == 2 and model.output_shape == (None, 4)
    assert model.input_names == [model.layers[0].name + "_input"]
    with pytest.raises(TypeError, match="no layers"):
        Sequential().pop()
    with pytest.raises(TypeError, match="instance of class Layer"):
        model.add("dense")


def test_unique_names_and_incompatible_layers_are_refused():
    model = Sequential([Dense(4, input_shape=(3,), name="same")])
    with pytest.raises(ValueError, match="unique names"):
        model.add(Dense(2, name="same"))
    model = Sequential([Dense(4, input_shape=(3,))])
    with pytest.raises(ValueError, match="permutation|Permute"):
        from jeras.layers import Permute
        model.add(Permute((2, 1)))
    assert len(model.layers) == 1


def test_input_layer_first_and_deferred_build():
    model = Sequential([InputLayer(input_shape=(5,)), Dense(2)])
    assert model.input_shape == (None, 5) and len(model.layers) == 1
    deferred = Sequential([Dense(3), Dense(1)])
    assert not deferred.built
    with pytest.raises(ValueError, match="built"):
        deferred.count_params()
    deferred.compile("sgd", "mse")
    deferred.fit(np.zeros((4, 7)), np.zeros((4, 1)), verbose=0)
    assert deferred.built and deferred.count_params() == 7 * 3 + 3 + 3 + 1
    built = Sequential([Dense(3)])
    built.build((None, 2))
    assert built.count_params() == 9
    # As 2.2.4, the config of a model built from data keeps the shape it was
    # built for, nested models included, so the copy is built as the original.
    outer = Sequential([Sequential([Dense(3), Dense(3)]), Dense(5)])
    outer.compile("sgd", "mse")
    outer.train_on_batch(np.zeros((2, 4)), np.zeros((2, 5)))
    config = outer.get_config()
    assert config["build_input_shape"] == [None, 4]
    copy = Sequential.from_config(config)
    assert copy.built and copy.layers[0].built
    assert [w.shape for w in copy.get_weights()] == [w.shape for w in outer.get_weights()]
    assert "build_input_shape" not in Sequential([Dense(2, input_shape=(3,))]).get_config()


def test_weights_round_trip_and_counts():
    model = Sequential([Dense(4, input_shape=(3,)), Dropout(0.1), Dense(2)])
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(3, 4), (4,), (4, 2), (2,)]
    new = [np.full(w.shape, i, "float32") for i, w in enumerate(weights)]
    model.set_weights(new)
    for got, want in zip(model.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    assert model.count_params() == 12 + 4 + 8 + 2
    with pytest.raises(ValueError, match="expected 4 arrays"):
        model.set_weights(new[:3])
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2


def test_frozen_layer_is_not_trained():
    model = Sequential([Dense(4, input_shape=(3,)), Dense(1)])
    model.layers[0].trainable = False
    model.compile("sgd", "mse")
    frozen = model.layers[0].get_weights()
    top = model.layers[1].get_weights()
    model.fit(np.random.rand(16, 3), np.random.rand(16, 1), epochs=2, verbose=0)
    for a, b in zip(frozen, model.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(top[0], model.layers[1].get_weights()[0])
    assert [w.shape for w in model.optimizer.get_weights()] == [(), (4, 1), (1,)]


def test_summary_in_keras_2_format():
    model = Sequential([Dense(64, input_shape=(784,), name="dense_a"),
                        Dense(10, activation="softmax", name="dense_b")])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert lines[1].startswith("Layer (type)") and "Output Shape" in lines[1]
    assert "Param #" in lines[1]
    assert "dense_a (Dense)              (None, 64)                50240" in text
    assert "dense_b (Dense)              (None, 10)                650" in text
    assert "Total params: 50,890" in text and "Trainable params: 50,890" in text
    assert "Non-trainable params: 0" in text


def test_config():
    model = Sequential([Dense(2, input_shape=(3,), name="d1")], name="net")
    config = model.get_config()
    assert config["name"] == "net"
    assert config["layers"][0]["class_name"] == "Dense"
    assert config["layers"][0]["config"]["batch_input_shape"] == (None, 3)


def test_predict_classes_and_proba_as_keras_2():
    x = np.random.rand(7, 3).astype("float32")
    model = Sequential([Dense(4, activation="softmax", input_shape=(3,))])
    proba = model.predict(x)
    np.testing.assert_array_equal(model.predict_classes(x, batch_size=2), proba.argmax(axis=-1))
    np.testing.assert_allclose(model.predict_proba(x), proba, rtol=1e-6)
    binary = Sequential([Dense(1, activation="sigmoid", input_shape=(3,))])
    p = binary.predict(x)
    classes = binary.predict_classes(x)
    assert classes.shape == (7, 1) and classes.dtype == np.int32
    np.testing.assert_array_equal(classes, (p > 0.5).astype("int32"))
    linear = Sequential([Dense(2, input_shape=(3,), kernel_initializer="ones",
                               bias_initializer="ones")])
    with pytest.warns(UserWarning, match="invalid probability values"):
        linear.predict_proba(x)


def test_clone_model_same_config_new_weights():
    from jeras.models import clone_model
    model = Sequential([Dense(4, activation="relu", input_shape=(3,)), Dropout(0.5), Dense(2)])
    clone = clone_model(model)
    assert type(clone) is Sequential and clone.get_config() == model.get_config()
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    # Fresh weights, not copies: the kernels differ; the zero-initialized biases agree.
    kernels = [(a, b) for a, b in zip(clone.get_weights(), model.get_weights()) if a.ndim == 2]
    assert kernels and all(not np.allclose(a, b) for a, b in kernels)
    clone.set_weights(model.get_weights())
    x = np.random.rand(5, 3).astype("float32")
    np.testing.assert_allclose(clone.predict(x), model.predict(x), rtol=1e-6)
    # A model given its shape by an InputLayer keeps it.
    built = Sequential([InputLayer(input_shape=(3,), name="features"), Dense(2)])
    assert clone_model(built).get_config() == built.get_config()


def test_clone_functional_model_and_on_new_inputs():
    from jeras.layers import Input, concatenate
    from jeras.models import Model, clone_model
    a, b = Input(shape=(4,), name="a"), Input(shape=(2,), name="b")
    shared = Dense(3, name="shared")
    h = concatenate([shared(a), shared(Dense(4, name="up")(b)), b])
    model = Model([a, b], Dense(1, name="out")(h), name="two_inputs")
    clone = clone_model(model)
    assert type(clone) is Model and clone.get_config() == model.get_config()
    assert clone.get_layer("shared") is not shared
    clone.set_weights(model.get_weights())
    xs = [np.random.rand(3, 4).astype("float32"), np.random.rand(3, 2).astype("float32")]
    np.testing.assert_allclose(clone.predict(xs), model.predict(xs), rtol=1e-5)
    new_a, new_b = Input(shape=(4,), name="new_a"), Input(shape=(2,), name="new_b")
    rebuilt = clone_model(model, input_tensors=[new_a, new_b])
    assert rebuilt.inputs[0] is new_a and rebuilt.input_names == ["new_a", "new_b"]
    with pytest.raises(ValueError, match="2 inputs"):
        clone_model(model, input_tensors=[new_a])
    with pytest.raises(ValueError, match="symbolic tensors"):
        clone_model(model, input_tensors=[xs[0], xs[1]])
    seq = Sequential([Dense(2, input_shape=(4,))])
    on_input = clone_model(seq, input_tensors=Input(shape=(4,), name="given"))
    assert on_input.input_names == ["given"]
    with pytest.raises(ValueError, match="InputLayer"):
        clone_model(seq, input_tensors=Dense(4)(Input(shape=(4,))))


def test_the_tensor_of_input_as_first_element_stands_for_its_input_layer():
    # The tf.keras 2.x and Keras 3 idiom.
    model = Sequential([Input((12,), name="features"), Dense(4)])
    assert model.input_shape == (None, 12) and model.input_names == ["features"]
    x = np.random.RandomState(0).rand(3, 12).astype("float32")
    kernel, bias = model.layers[0].get_weights()
    np.testing.assert_allclose(model.predict(x), x @ kernel + bias, rtol=1e-5)
    copy = model_from_json(model.to_json())
    assert copy.input_shape == (None, 12)
    dense_out = Dense(2)(Input((3,)))
    with pytest.raises(TypeError, match="instance of class Layer"):
        Sequential([dense_out])
