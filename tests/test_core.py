"""Core and noise layers against numpy."""
import jax
import numpy as np
import pytest

from jeras import backend as K
from jeras.layers import (
    Activation,
    AlphaDropout,
    Dense,
    Dropout,
    Flatten,
    GaussianDropout,
    GaussianNoise,
    InputLayer,
    Permute,
    RepeatVector,
    Reshape,
)

RNG = np.random.RandomState(0)


def run(layer, x, training=False, key=None):
    layer.ensure_built(x.shape)
    out, _ = layer.apply(layer._values, x, training=training, rng=key)
    return np.asarray(out)


def test_dense_matches_numpy_on_2d_and_3d_inputs():
    layer = Dense(4, activation="relu", input_dim=3)
    assert layer.batch_input_shape == (None, 3)
    x = RNG.randn(5, 3).astype("float32")
    w, b = RNG.randn(3, 4), RNG.randn(4)
    layer.ensure_built(x.shape)
    layer.set_weights([w, b])
    np.testing.assert_allclose(run(layer, x), np.maximum(x @ w + b, 0), rtol=1e-5, atol=1e-6)
    x3 = RNG.randn(2, 7, 3).astype("float32")
    layer3 = Dense(4, use_bias=False, activation=K.tanh)
    layer3.ensure_built(x3.shape)
    layer3.set_weights([w])
    np.testing.assert_allclose(run(layer3, x3), np.tanh(x3 @ w), rtol=1e-5, atol=1e-6)
    assert layer3.output_shape == (2, 7, 4)
    assert [s.name for s in layer.weight_specs] == ["kernel", "bias"]
    assert layer.count_params() == 16 and layer3.count_params() == 12
    assert layer.weights[0].name.endswith("/kernel:0")


def test_layer_names_count_per_class():
    a, b, c = Dense(1), Dense(1), Activation("relu")
    na, nb = int(a.name.split("_")[-1]), int(b.name.split("_")[-1])
    assert a.name.startswith("dense_") and nb == na + 1
    assert c.name.startswith("activation_")
    assert GaussianNoise(0.1).name.startswith("gaussian_noise_")


def test_dense_config_round_trip_and_bad_arguments():
    layer = Dense(3, activation="tanh", kernel_initializer="he_normal", name="d", use_bias=False)
    config = layer.get_config()
    assert config["units"] == 3 and config["activation"] == "tanh" and config["name"] == "d"
    assert config["kernel_initializer"]["class_name"] == "VarianceScaling"
    clone = Dense.from_config(config)
    assert clone.get_config() == config
    with pytest.raises(ValueError, match="units"):
        Dense(0)
    with pytest.raises(ValueError, match="units"):
        Dense("ten")
    with pytest.raises(TypeError, match="bogus"):
        Dense(3, bogus=1)
    with pytest.raises(ValueError, match="nonexistent"):
        Dense(3, activation="nonexistent")
    with pytest.raises(ValueError, match="nonexistent"):
        Dense(3, kernel_initializer="nonexistent")


def test_set_weights_checks_count_and_shapes():
    layer = Dense(2)
    layer.ensure_built((None, 3))
    with pytest.raises(ValueError, match="expected a list of 2"):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 3\)"):
        layer.set_weights([np.zeros((2, 3)), np.zeros(2)])


def test_dropout_scales_kept_units_and_is_identity_in_inference():
    x = np.ones((200, 50), "float32")
    layer = Dropout(0.3)
    np.testing.assert_array_equal(run(layer, x), x)
    y = run(layer, x, training=True, key=jax.random.PRNGKey(0))
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 0.02
    shared = run(Dropout(0.5, noise_shape=(None, 1)), x, training=True,
                 key=jax.random.PRNGKey(1))
    assert all(len(set(row)) == 1 for row in shared.tolist())


@pytest.mark.parametrize("rate, clipped", [(1.5, 1.0), (3, 1.0), (-0.2, 0.0), (1.0, 1.0)])
def test_dropout_clips_its_rate_and_drops_only_below_one(rate, clipped):
    # Keras 2.2.4: rate = min(1, max(0, rate)), and dropout only when 0 < rate < 1.
    x = np.arange(12, dtype="float32").reshape(3, 4) + 1
    if clipped != rate:
        with pytest.warns(UserWarning, match="clipped"):
            layer = Dropout(rate)
    else:
        layer = Dropout(rate)
    assert layer.rate == clipped and layer.get_config()["rate"] == clipped
    np.testing.assert_array_equal(run(layer, x, training=True, key=jax.random.PRNGKey(0)), x)
    with pytest.raises(TypeError, match="rate"):
        Dropout("half")


def test_alpha_dropout_follows_the_keras_formula():
    x = RNG.randn(300, 40).astype("float32")
    key = jax.random.PRNGKey(3)
    rate = 0.2
    y = run(AlphaDropout(rate), x, training=True, key=key)
    kept = np.asarray(jax.random.uniform(key, x.shape)) >= rate
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * rate
    np.testing.assert_allclose(y, a * np.where(kept, x, alpha_p) + b, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(run(AlphaDropout(rate), x), x)


def test_gaussian_noise_and_dropout_statistics():
    x = np.zeros((400, 100), "float32")
    noisy = run(GaussianNoise(0.5), x, training=True, key=jax.random.PRNGKey(0))
    assert abs(noisy.std() - 0.5) < 0.01 and abs(noisy.mean()) < 0.01
    np.testing.assert_array_equal(run(GaussianNoise(0.5), x), x)
    ones = np.ones((400, 100), "float32")
    dropped = run(GaussianDropout(0.5), ones, training=True, key=jax.random.PRNGKey(0))
    assert abs(dropped.mean() - 1) < 0.01 and abs(dropped.std() - 1.0) < 0.02


def test_shape_layers():
    x = RNG.randn(2, 3, 4, 5).astype("float32")
    np.testing.assert_array_equal(run(Flatten(), x), x.reshape(2, -1))
    np.testing.assert_array_equal(run(Flatten(data_format="channels_first"), x),
                                  np.moveaxis(x, 1, -1).reshape(2, -1))
    reshape = Reshape((-1, 10))
    np.testing.assert_array_equal(run(reshape, x), x.reshape(2, 6, 10))
    assert reshape.compute_output_shape((None, 3, 4, 5)) == (None, 6, 10)
    with pytest.raises(ValueError, match="Reshape"):
        Reshape((7,)).compute_output_shape((None, 3, 4, 5))
    np.testing.assert_array_equal(run(Permute((3, 1, 2)), x), x.transpose(0, 3, 1, 2))
    v = RNG.randn(2, 5).astype("float32")
    np.testing.assert_array_equal(run(RepeatVector(3), v), np.stack([v] * 3, axis=1))
    with pytest.raises(ValueError, match="permutation"):
        Permute((1, 3))


def test_input_layer():
    layer = InputLayer(input_shape=(4,))
    assert layer.batch_input_shape == (None, 4)
    assert InputLayer(batch_shape=(8, 2)).batch_input_shape == (8, 2)
    with pytest.raises(ValueError, match="input_shape"):
        InputLayer()


def _scale(x):
    return 3.0 * x


def test_lambda_config_round_trip_runs_code_that_reads_K_and_custom_objects():
    from jeras.layers import Lambda
    from jeras.utils.generic_utils import safe_mode_scope
    # The dumped code names `K` and `scale`, neither of which is a global of
    # the module the code is loaded into; 2.2.4 resolved both there.
    layer = Lambda(lambda x: K.square(x) + scale(x))  # noqa: F821
    config = layer.get_config()
    with safe_mode_scope(False):
        clone = Lambda.from_config(config, custom_objects={"scale": _scale})
    x = np.array([[1.0, -2.0]], np.float32)
    np.testing.assert_allclose(np.asarray(clone.function(x)), x ** 2 + 3 * x)


def test_lambda_numpy_arguments_come_back_as_arrays():
    from jeras.layers import Lambda
    from jeras.utils.generic_utils import safe_mode_scope
    mu = np.arange(6, dtype="float32").reshape(2, 3)
    layer = Lambda(lambda x, mu: x - mu, arguments={"mu": mu})
    config = layer.get_config()
    # 2.2.4's from_config reads this form back as an ndarray.
    assert config["arguments"]["mu"] == {"type": "ndarray", "value": mu.tolist()}
    with safe_mode_scope(False):
        clone = Lambda.from_config(config)
    assert isinstance(clone.arguments["mu"], np.ndarray)
    x = np.ones((4, 2, 3), "float32")
    np.testing.assert_allclose(np.asarray(clone.function(x, **clone.arguments)), x - mu)
