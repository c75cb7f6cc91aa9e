"""Saving and loading in Keras 2's HDF5 layout: round trips, interchange, real files, safety."""
import json
import os
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest

import jeras
from jeras import layers as layers_module
from jeras.layers import Activation, Dense, Dropout
from jeras.models import Model, Sequential, load_model, model_from_config, model_from_json
from jeras.saving import legacy, preprocess_weights_for_loading

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = Path(__file__).parents[2] / "shared" / "keras-files"


def _mlp(seed=0, compile=True):
    np.random.seed(seed)
    model = Sequential([Dense(8, activation="relu", input_shape=(4,), name="dense_1"),
                        Dropout(0.25, name="dropout_1"),
                        Dense(3, name="dense_2"),
                        Activation("softmax", name="activation_1")], name="mlp")
    if compile:
        model.compile("adam", "categorical_crossentropy", metrics=["acc"])
    return model


def _data(n=32, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, 4)).astype("float32"),
            np.eye(3, dtype="float32")[rng.integers(0, 3, n)])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A trained MLP, its data and the file `model.save` wrote."""
    model = _mlp()
    x, y = _data()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    path = tmp_path_factory.mktemp("saved") / "mlp.h5"
    model.save(path)
    return model, x, y, path


# Whole models.

def test_save_writes_the_keras2_layout(trained):
    model, _, _, path = trained
    with h5py.File(path, "r") as f:
        assert f.attrs["keras_version"] == "2.2.4"
        assert f.attrs["backend"] == "jax"
        config = json.loads(f.attrs["model_config"])
        assert config["class_name"] == "Sequential"
        assert [lay["class_name"] for lay in config["config"]["layers"]] == \
            ["Dense", "Dropout", "Dense", "Activation"]
        assert config["config"]["layers"][0]["config"]["batch_input_shape"] == [None, 4]
        training = json.loads(f.attrs["training_config"])
        assert training["loss"] == "categorical_crossentropy"
        assert training["metrics"] == ["acc"]
        assert training["optimizer_config"]["class_name"] == "Adam"
        assert training["optimizer_config"]["config"]["lr"] == pytest.approx(0.001)
        weights = f["model_weights"]
        assert [n.decode() for n in weights.attrs["layer_names"]] == \
            ["dense_1", "dropout_1", "dense_2", "activation_1"]
        assert [n.decode() for n in weights["dense_1"].attrs["weight_names"]] == \
            ["dense_1/kernel:0", "dense_1/bias:0"]
        assert len(weights["dropout_1"].attrs["weight_names"]) == 0
        np.testing.assert_array_equal(weights["dense_2"]["dense_2/kernel:0"][()],
                                      model.layers[2].get_weights()[0])
        slots = f["optimizer_weights"]
        names = [n.decode() for n in slots.attrs["weight_names"]]
        assert names[0] == "Adam/iterations:0" and len(names) == 1 + 3 * 4
        assert slots[names[0]][()] == 8  # 2 epochs of 4 batches


def test_load_model_restores_weights_compile_and_optimizer(trained):
    model, x, y, path = trained
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert loaded.get_config() == model.get_config()
    assert loaded.metrics_names == ["loss", "acc"]
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    for a, b in zip(loaded.optimizer.get_weights(), model.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))


def test_load_model_without_compile_or_optimizer(trained, tmp_path):
    model, x, _, path = trained
    loaded = load_model(path, compile=False)
    assert loaded.optimizer is None
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    bare = tmp_path / "bare.h5"
    model.save(bare, include_optimizer=False)
    with h5py.File(bare, "r") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f
    with pytest.warns(UserWarning, match="not.*compiled"):
        assert load_model(bare).optimizer is None


def test_exact_resume_from_a_saved_model(tmp_path):
    x, y = _data(40, seed=3)
    straight = _mlp(seed=5)
    np.random.seed(7)
    straight.fit(x, y, batch_size=8, epochs=4, verbose=0)

    first = _mlp(seed=5)
    np.random.seed(7)
    first.fit(x, y, batch_size=8, epochs=2, verbose=0)
    first.save(tmp_path / "half.h5")
    resumed = load_model(tmp_path / "half.h5")
    np.random.seed(7)  # the same fit key: shuffles and dropout masks by epoch
    resumed.fit(x, y, batch_size=8, epochs=4, initial_epoch=2, verbose=0)

    assert int(resumed.optimizer.get_weights()[0]) == 20
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)


# Weights.

def test_save_and_load_weights_by_order(trained, tmp_path):
    model, x, _, _ = trained
    model.save_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "r") as f:
        assert "model_config" not in f.attrs
        assert [n.decode() for n in f.attrs["layer_names"]][0] == "dense_1"
    fresh = _mlp(seed=9, compile=False)
    fresh.load_weights(tmp_path / "w.h5")
    np.testing.assert_array_equal(fresh.predict(x), model.predict(x))
    # A whole-model file serves as a weights file too.
    other = _mlp(seed=9, compile=False)
    other.load_weights(trained[3])
    np.testing.assert_array_equal(other.predict(x), model.predict(x))


def test_load_weights_by_name_and_mismatches(trained, tmp_path):
    model, x, _, path = trained
    np.random.seed(2)
    renamed = Sequential([Dense(8, activation="relu", input_shape=(4,), name="dense_1"),
                          Dense(3, name="other"), Activation("softmax")])
    before = renamed.layers[1].get_weights()
    renamed.load_weights(path, by_name=True)
    np.testing.assert_array_equal(renamed.layers[0].get_weights()[0],
                                  model.layers[0].get_weights()[0])
    np.testing.assert_array_equal(renamed.layers[1].get_weights()[0], before[0])

    wrong = Sequential([Dense(8, input_shape=(6,), name="dense_1"), Dense(3, name="dense_2")])
    with pytest.raises(ValueError, match=r"mlp\.h5.*'dense_1'.*kernel.*\(6, 8\), "
                                         r"but the saved weight .*has shape \(4, 8\)"):
        wrong.load_weights(path)
    with pytest.raises(ValueError, match="dense_1"):
        wrong.load_weights(path, by_name=True)
    with pytest.warns(UserWarning, match="Skipping.*dense_1"):
        wrong.load_weights(path, by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(wrong.layers[1].get_weights()[0],
                                  model.layers[2].get_weights()[0])
    with pytest.raises(ValueError, match="by_name"):
        wrong.load_weights(path, skip_mismatch=True)
    short = Sequential([Dense(8, input_shape=(4,))])
    with pytest.raises(ValueError, match=r"containing 2 layers into a model with 1 layers"):
        short.load_weights(path)
    # A count mismatch in 2.2.4's words, which scripts match on.
    unbiased = Sequential([Dense(8, input_shape=(4,), use_bias=False, name="dense_1"),
                           Dense(3, name="dense_2")])
    with pytest.raises(ValueError, match=r"expects 1 weight\(s\).*but the saved weights "
                                         r"of the file's layer 'dense_1' have 2 element\(s\)"):
        unbiased.load_weights(path)


def test_long_attributes_are_split_like_keras(tmp_path):
    from jeras.saving.hdf5 import load_attributes, save_attributes
    names = [f"layer_{i:05d}_" + "x" * 80 for i in range(1200)]
    with h5py.File(tmp_path / "a.h5", "w") as f:
        save_attributes(f, "layer_names", names)
        assert "layer_names" not in f.attrs and "layer_names1" in f.attrs
        assert load_attributes(f, "layer_names") == names


# Configs and custom objects.

def test_json_and_config_round_trip(trained):
    model, x, _, _ = trained
    text = model.to_json()
    decoded = json.loads(text)
    assert decoded["class_name"] == "Sequential" and decoded["keras_version"] == "2.2.4"
    rebuilt = model_from_json(text)
    assert rebuilt.get_config() == model.get_config()
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_array_equal(rebuilt.predict(x), model.predict(x))
    again = model_from_config({"class_name": "Sequential", "config": model.get_config()})
    assert again.get_config() == model.get_config()
    with pytest.raises(TypeError, match="Sequential.from_config"):
        model_from_config(model.get_config()["layers"])
    with pytest.raises(ValueError, match="not valid JSON"):
        model_from_json("{nope")


class Scale(jeras.engine.base_layer.Layer):
    """A user layer with one weight: `x * alpha`."""

    def __init__(self, init_value=2.0, **kwargs):
        super().__init__(**kwargs)
        self.init_value = init_value

    def build(self, input_shape):
        self.add_weight("alpha", (input_shape[-1],),
                        initializer=jeras.initializers.Constant(self.init_value))

    def call(self, params, inputs, *, training=False, rng=None):
        return inputs * params["alpha"]

    def get_config(self):
        return {**super().get_config(), "init_value": self.init_value}


def scaled_mse(y_true, y_pred):
    return 2.0 * jeras.losses.mean_squared_error(y_true, y_pred)


def cube(x):
    return x * x * x


def test_custom_layer_loss_and_activation_through_custom_objects(tmp_path):
    np.random.seed(4)
    model = Sequential([Dense(3, activation=cube, input_shape=(4,)), Scale(3.0)])
    model.compile("sgd", scaled_mse)
    x, y = _data(16)
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "custom.h5")
    with pytest.raises(ValueError, match="custom.h5.*Scale"):
        load_model(tmp_path / "custom.h5", custom_objects={"cube": cube})
    custom = {"Scale": Scale, "scaled_mse": scaled_mse, "cube": cube}
    loaded = load_model(tmp_path / "custom.h5", custom_objects=custom)
    assert isinstance(loaded.layers[1], Scale) and loaded.layers[1].init_value == 3.0
    assert loaded.layers[0].activation is cube
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))
    # Without the loss, the model still loads for inference, uncompiled and with a warning.
    with pytest.warns(UserWarning, match="not.*compiled.*scaled_mse"):
        partial = load_model(tmp_path / "custom.h5", custom_objects={"Scale": Scale,
                                                                     "cube": cube})
    assert partial.optimizer is None


# Interchange with tf_keras, through committed fixtures.

def test_tf_keras_fixture_loads_and_predicts():
    ref = np.load(FIXTURES / "tf_keras_mlp.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = load_model(FIXTURES / "tf_keras_mlp.h5")
    np.testing.assert_allclose(model.predict(ref["x"]), ref["y"], atol=1e-6)
    assert model.metrics_names == ["loss", "acc"]
    assert model.optimizer.lr == pytest.approx(0.01)
    assert int(model.optimizer.get_weights()[0]) == 4
    fresh = _mlp(seed=11, compile=False)
    fresh.load_weights(FIXTURES / "tf_keras_mlp_weights.h5")
    np.testing.assert_allclose(fresh.predict(ref["x"]), ref["y"], atol=1e-6)


def _layout(path):
    """What a Keras 2 reader relies on: attributes, layer and weight names, shapes, config keys."""
    with h5py.File(path, "r") as f:
        weights = f["model_weights"]
        names = [n.decode() if isinstance(n, bytes) else n for n in weights.attrs["layer_names"]]
        per_layer = {n: [(w.decode() if isinstance(w, bytes) else w, weights[n][w].shape)
                         for w in weights[n].attrs["weight_names"]] for n in names}
        config = json.loads(f.attrs["model_config"])
        layer_keys = [(lay["class_name"], set(lay["config"]))
                      for lay in config["config"]["layers"] if lay["class_name"] != "InputLayer"]
        return {"attrs": set(f.attrs) - {"training_config"}, "groups": set(f),
                "layers": per_layer, "config": layer_keys,
                "optimizer": [f["optimizer_weights"][n].shape
                              for n in f["optimizer_weights"].attrs["weight_names"]]}


def test_jeras_file_has_the_layout_tf_keras_writes(trained):
    ours, theirs = _layout(trained[3]), _layout(FIXTURES / "tf_keras_mlp.h5")
    assert ours["attrs"] == theirs["attrs"] and ours["groups"] == theirs["groups"]
    assert ours["layers"] == theirs["layers"]
    for (cls_a, keys_a), (cls_b, keys_b) in zip(ours["config"], theirs["config"]):
        assert cls_a == cls_b and keys_a <= keys_b
    # tf.keras keeps no vhat slots; the rest of 2.2.4's order is the same.
    assert ours["optimizer"][:len(theirs["optimizer"])] == theirs["optimizer"]


@pytest.mark.interop
def test_live_round_trip_with_tf_keras(trained, tmp_path):
    tf_keras = pytest.importorskip("tf_keras")
    model, x, _, path = trained
    theirs = tf_keras.models.load_model(path)
    np.testing.assert_allclose(theirs.predict(x, verbose=0), model.predict(x), atol=1e-6)
    assert int(theirs.optimizer.iterations.numpy()) == 8
    model.save_weights(tmp_path / "w.h5")
    clone = tf_keras.models.model_from_json(model.to_json())
    clone.load_weights(tmp_path / "w.h5")
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x), atol=1e-6)
    theirs.save(tmp_path / "back.h5")
    back = load_model(tmp_path / "back.h5")
    np.testing.assert_allclose(back.predict(x), model.predict(x), atol=1e-6)


# Real files written by Keras 2.0 to 2.15 and Keras 3.

def _manifest():
    if not (CORPUS / "manifest.json").exists():
        return []
    return json.loads((CORPUS / "manifest.json").read_text())


def test_corpus_is_present():
    # The corpus lives in ../shared beside the clone, in CI as here; its absence
    # must fail rather than leave the parametrized test below with nothing to run.
    assert len(_manifest()) >= 20, f"no keras-files corpus at {CORPUS}"


def _corpus_params():
    return [pytest.param(entry, id=entry["file"]) for entry in _manifest()]


@pytest.mark.parametrize("entry", _corpus_params())
def test_corpus_file(entry):
    path = CORPUS / entry["file"]
    if entry["expect"] == "refuse-unless-unsafe":
        with pytest.raises(ValueError, match="Lambda.*safe_mode=False"):
            load_model(path)
        return
    with warnings.catch_warnings():
        # Old optimizer layouts and training configs only warn.
        warnings.simplefilter("ignore")
        model = load_model(path)
    inputs = [np.load(CORPUS / name) for name in entry["inputs"]]
    preds = model.predict(inputs if len(inputs) > 1 else inputs[0])
    preds = preds if isinstance(preds, list) else [preds]
    for pred, name in zip(preds, entry["preds"], strict=True):
        np.testing.assert_allclose(pred, np.load(CORPUS / name), atol=1e-4, rtol=1e-3)


def test_lambda_file_loads_past_the_refusal_when_unsafe():
    lambda_files = [e["file"] for e in _manifest() if e["expect"] == "refuse-unless-unsafe"]
    if not lambda_files:
        pytest.skip("the keras-files corpus is not beside the repository")
    try:
        load_model(CORPUS / lambda_files[0], safe_mode=False, compile=False)
    except ValueError as err:  # A layer jeras lacks may still stop it, but not safe mode.
        assert "safe_mode" not in str(err)


# Safety.

def test_truncated_and_corrupt_files_raise_clear_errors(trained, tmp_path):
    data = trained[3].read_bytes()
    rng = np.random.default_rng(0)
    for cut in sorted(rng.integers(1, len(data), 12)) + [0]:
        broken = tmp_path / f"cut_{cut}.h5"
        broken.write_bytes(data[:cut])
        with pytest.raises((OSError, ValueError), match=f"cut_{cut}.h5"):
            load_model(broken)
    text = tmp_path / "notes.h5"
    text.write_text("not hdf5")
    with pytest.raises(OSError, match="notes.h5.*not a readable HDF5"):
        load_model(text)
    with pytest.raises(FileNotFoundError, match="missing.h5"):
        load_model(tmp_path / "missing.h5")
    trained[0].save_weights(tmp_path / "weights_only.h5")
    with pytest.raises(ValueError, match="weights_only.h5.*no model"):
        load_model(tmp_path / "weights_only.h5")


def test_a_failed_write_leaves_the_old_file_and_no_temporary(trained, tmp_path, monkeypatch):
    model, _, _, path = trained
    target = tmp_path / "model.h5"
    target.write_bytes(path.read_bytes())
    before = target.read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(jeras.saving.hdf5, "_write_layer_weights", full_disk)
    with pytest.raises(OSError, match="No space"):
        model.save(target)
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.h5"]


def test_overwrite_false_asks_first(trained, tmp_path, monkeypatch):
    model, _, _, _ = trained
    target = tmp_path / "m.h5"
    target.write_bytes(b"keep me")
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    model.save(target, overwrite=False)
    model.save_weights(target, overwrite=False)
    assert target.read_bytes() == b"keep me"
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    model.save(target, overwrite=False)
    assert load_model(target).get_config() == model.get_config()


# Conversions of older files (Keras 2.2.4's preprocess_weights_for_loading and configs).

def test_theano_conv_kernels_are_flipped():
    conv = layers_module.Conv2D(2, (3, 2), input_shape=(5, 5, 1))
    conv.ensure_built((None, 5, 5, 1))
    kernel = np.arange(12, dtype="float32").reshape(3, 2, 1, 2)
    bias = np.zeros(2, "float32")
    out = preprocess_weights_for_loading(conv, [kernel, bias], "2.1.3", "theano")
    np.testing.assert_array_equal(out[0], kernel[::-1, ::-1])
    same = preprocess_weights_for_loading(conv, [kernel, bias], "2.1.3", "tensorflow")
    np.testing.assert_array_equal(same[0], kernel)


def test_keras1_lstm_gates_are_reordered():
    lstm = layers_module.LSTM(2)
    lstm.ensure_built((None, 3, 4))
    gates = {g: [np.full((4, 2), i), np.full((2, 2), i), np.full((2,), i)]
             for i, g in enumerate("icfo")}
    keras1 = [w for g in "icfo" for w in gates[g]]
    kernel, recurrent, bias = preprocess_weights_for_loading(lstm, keras1, None, None)
    assert kernel.shape == (4, 8) and recurrent.shape == (2, 8)
    np.testing.assert_array_equal(bias, [0, 0, 2, 2, 1, 1, 3, 3])  # i, f, c, o


def test_cudnn_lstm_weights_become_plain_lstm_weights():
    lstm = layers_module.LSTM(3)
    lstm.ensure_built((None, 5, 2))
    rng = np.random.default_rng(0)
    kernel, recurrent = rng.standard_normal((2, 12)), rng.standard_normal((3, 12))
    bias = rng.standard_normal(24)
    out = preprocess_weights_for_loading(lstm, [kernel, recurrent, bias], "2.2.4", "tensorflow")
    np.testing.assert_allclose(out[2], bias[:12] + bias[12:])
    np.testing.assert_array_equal(out[1][:, :3], recurrent[:, :3].T)
    assert out[0].shape == (2, 12)


def test_configs_are_read_as_their_version_wrote_them():
    def convert(config, version):
        return legacy.convert_model_config(config, version, lambda name: None)

    gru = {"class_name": "Sequential", "config": [
        {"class_name": "GRU", "config": {"name": "g", "units": 2, "implementation": 0}}]}
    layer = convert(gru, "2.0.4")["config"][0]["config"]
    assert layer["reset_after"] is False and layer["implementation"] == 1

    keras1 = {"class_name": "Sequential", "config": [
        {"class_name": "Dense", "config": {"name": "d", "output_dim": 3, "init": "uniform",
                                           "W_regularizer": None, "bias": True}},
        {"class_name": "Dropout", "config": {"name": "p", "p": 0.5}},
        {"class_name": "Convolution2D", "config": {"name": "c", "nb_filter": 4, "nb_row": 3,
                                                   "nb_col": 3, "border_mode": "same",
                                                   "dim_ordering": "tf"}}]}
    dense, dropout, conv = convert(keras1, None)["config"]
    assert dense["config"] == {"name": "d", "units": 3, "kernel_initializer": "uniform",
                               "kernel_regularizer": None, "use_bias": True}
    assert dropout["config"]["rate"] == 0.5
    assert conv["class_name"] == "Conv2D"
    assert conv["config"] == {"name": "c", "filters": 4, "kernel_size": (3, 3),
                              "padding": "same", "data_format": "channels_last"}

    keras3 = {"class_name": "Functional", "config": {"name": "m", "layers": [
        {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
         "config": {"name": "d", "units": 1,
                    "dtype": {"module": "keras", "class_name": "DTypePolicy",
                              "config": {"name": "float32"}, "registered_name": None},
                    "kernel_initializer": {"module": "keras.initializers",
                                           "class_name": "GlorotUniform",
                                           "config": {"seed": None}, "registered_name": None}},
         "build_config": {"input_shape": [None, 3]}, "name": "d",
         "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {
             "shape": [None, 3], "dtype": "float32", "keras_history": ["x", 0, 0]}}],
             "kwargs": {}}]}]}}
    converted = convert(keras3, "3.8.0")
    assert converted["class_name"] == "Model"
    (dense,) = converted["config"]["layers"]
    assert set(dense) == {"class_name", "config", "name", "inbound_nodes"}
    assert dense["config"]["dtype"] == "float32"
    assert dense["config"]["kernel_initializer"] == {"class_name": "glorot_uniform",
                                                     "config": {"seed": None}}
    assert dense["inbound_nodes"] == [[["x", 0, 0, {}]]]


def test_later_keys_are_dropped_only_when_they_change_nothing():
    lookup = {"Dense": Dense}.get
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "Dense", "config": {"name": "d", "units": 1, "lora_rank": None}}]}}
    converted = legacy.convert_model_config(config, "3.8.0", lookup)
    assert "lora_rank" not in converted["config"]["layers"][0]["config"]
    config["config"]["layers"][0]["config"]["lora_rank"] = 4
    with pytest.raises(ValueError, match="'d'.*lora_rank=4"):
        legacy.convert_model_config(config, "3.8.0", lookup)


def test_interleaved_optimizer_slots_are_put_in_keras2_order():
    k, b = np.zeros((2, 3)), np.zeros(3)
    tf211 = ["iteration:0", "Adam/m/d/kernel:0", "Adam/v/d/kernel:0", "Adam/m/d/bias:0",
             "Adam/v/d/bias:0"]
    values = [np.array(5), k, k + 1, b, b + 1]
    ordered = legacy.order_optimizer_weights(tf211, values)
    assert [v.shape for v in ordered] == [(), (2, 3), (3,), (2, 3), (3,)]
    assert [float(v.flat[0]) for v in ordered] == [5, 0, 0, 1, 1]
    keras3 = ["adam/iteration", "adam/learning_rate", "adam/d_kernel_momentum",
              "adam/d_kernel_velocity", "adam/d_bias_momentum", "adam/d_bias_velocity"]
    ordered = legacy.order_optimizer_weights(keras3, [np.array(5), np.array(0.1)] + values[1:])
    assert [float(v.flat[0]) for v in ordered] == [5, 0, 0, 1, 1]
    keras2 = ["Adam/iterations:0", "training/Adam/Variable:0", "training/Adam/Variable_1:0"]
    assert legacy.order_optimizer_weights(keras2, values[:3]) == values[:3]


def test_nested_model_entry_lists_trainable_weights_first(tmp_path):
    def build():
        inner = Sequential([layers_module.Dense(3, input_shape=(4,), name="d_a"),
                            layers_module.BatchNormalization(name="bn"),
                            layers_module.Dense(2, name="d_b")], name="inner")
        x = layers_module.Input(shape=(4,), name="x")
        return Model(x, layers_module.Dense(1, name="top")(inner(x)))

    model = build()
    rng = np.random.RandomState(3)
    model.set_weights([rng.rand(*w.shape).astype("float32") + 0.5 for w in model.get_weights()])
    path = tmp_path / "nested.h5"
    model.save_weights(str(path))
    with h5py.File(path, "r") as f:
        names = [n.decode() if isinstance(n, bytes) else n
                 for n in f["inner"].attrs["weight_names"]]
    assert names == ["d_a/kernel:0", "d_a/bias:0", "bn/gamma:0", "bn/beta:0", "d_b/kernel:0",
                     "d_b/bias:0", "bn/moving_mean:0", "bn/moving_variance:0"]
    clone = build()
    clone.load_weights(str(path))
    x = rng.rand(5, 4).astype("float32")
    np.testing.assert_allclose(clone.predict(x), model.predict(x), rtol=1e-6)


def test_unknown_layer_class_names_the_layer_and_the_jeras_version(tmp_path):
    model = Sequential([Dense(2, input_shape=(3,), name="d")])
    config = json.loads(model.to_json())
    config["config"]["layers"][0]["class_name"] = "FancyLayer"
    with pytest.raises(ValueError, match=rf"FancyLayer.*jeras {jeras.__version__}"):
        model_from_json(json.dumps(config))


# YAML configs and pickling.

def test_yaml_round_trip_gives_the_same_config():
    import yaml

    from jeras.models import model_from_yaml
    from jeras.saving.model_config import model_to_yaml
    model = _mlp(compile=False)
    text = model_to_yaml(model)
    assert yaml.safe_load(text)["keras_version"] == "2.2.4"
    rebuilt = model_from_yaml(text)
    assert rebuilt.get_config() == model.get_config()
    assert json.loads(rebuilt.to_json()) == json.loads(model.to_json())
    # Keras 2.2.4 wrote its YAML with yaml.dump: shapes as !!python/tuple.
    old = yaml.dump({"class_name": "Sequential", "keras_version": "2.2.4",
                     "config": [{"class_name": "Dense", "config": {
                         "units": 2, "name": "d", "batch_input_shape": (None, 3)}}]})
    assert "!!python/tuple" in old
    assert model_from_yaml(old).input_shape == (None, 3)
    with pytest.raises(ValueError, match="not YAML jeras can read"):
        model_from_yaml("!!python/object/apply:os.system ['echo owned']")


class PicklableDense(Dense):
    """A user layer: pickles by reference to this module."""


def test_pickle_round_trip_keeps_predictions_config_and_optimizer_state():
    import pickle
    x, y = _data()
    # No Dropout: its random draws are not part of the state.
    model = Sequential([Dense(3, activation="softmax", input_shape=(4,))], name="softmax")
    model.compile("adam", "categorical_crossentropy", metrics=["acc"])
    model.train_on_batch(x, y)
    restored = pickle.loads(pickle.dumps(model))
    assert type(restored) is Sequential and restored.get_config() == model.get_config()
    np.testing.assert_allclose(restored.predict(x), model.predict(x), rtol=1e-6)
    for a, b in zip(restored.optimizer.get_weights(), model.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)
    # Training goes on from the same state in both.
    model.train_on_batch(x, y)
    restored.train_on_batch(x, y)
    np.testing.assert_allclose(restored.predict(x), model.predict(x), rtol=1e-5, atol=1e-6)


def test_pickle_functional_unbuilt_and_custom_layer_models():
    import pickle

    from jeras.layers import Input
    inputs = Input(shape=(3,))
    model = Model(inputs, PicklableDense(2, name="mine")(Dense(4)(inputs)))
    restored = pickle.loads(pickle.dumps(model))
    assert type(restored.get_layer("mine")) is PicklableDense and restored.optimizer is None
    x = np.random.rand(4, 3).astype("float32")
    np.testing.assert_allclose(restored.predict(x), model.predict(x), rtol=1e-6)
    unbuilt = Sequential([Dense(2), Dense(1)], name="later")
    again = pickle.loads(pickle.dumps(unbuilt))
    assert not again.built and again.get_config() == unbuilt.get_config()
    from jeras.saving.pickling import unpickle_model
    with pytest.raises(ValueError, match="not a jeras pickled model"):
        unpickle_model({"h5": b""})
