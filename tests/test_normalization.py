"""BatchNormalization (moving statistics, padded rows), LayerNormalization and spatial dropout."""
import jax
import numpy as np
import pytest

from jeras.layers import (
    BatchNormalization,
    Conv2D,
    Dense,
    Flatten,
    LayerNormalization,
    SpatialDropout1D,
    SpatialDropout2D,
)
from jeras.models import Sequential

RNG = np.random.RandomState(2)


def weights_for(layer, shape):
    layer.ensure_built(shape)
    gamma, beta = RNG.rand(shape[layer.axis]) + 0.5, RNG.randn(shape[layer.axis])
    mean, var = RNG.randn(shape[layer.axis]), RNG.rand(shape[layer.axis]) + 0.5
    layer.set_weights([gamma, beta, mean, var])
    return gamma, beta, mean, var


def test_batchnorm_training_step_follows_keras_224():
    x = RNG.randn(6, 3, 4).astype("float32")
    layer = BatchNormalization(axis=1, momentum=0.9, epsilon=1e-3)
    gamma, beta, mean, var = weights_for(layer, x.shape)
    out, new = layer.apply(layer._values, x, training=True)
    x64 = x.astype(np.float64)
    bm = x64.mean(axis=(0, 2))
    bv = x64.var(axis=(0, 2))
    c = lambda v: v[None, :, None]  # noqa: E731
    expected = (x64 - c(bm)) / np.sqrt(c(bv) + 1e-3) * c(gamma) + c(beta)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    n = 6 * 4
    np.testing.assert_allclose(new[2], mean * 0.9 + bm * 0.1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new[3], var * 0.9 + bv * n / (n - 1.001) * 0.1, rtol=1e-5)
    np.testing.assert_allclose(new[0], gamma, rtol=1e-6)


def test_batchnorm_inference_uses_moving_statistics():
    x = RNG.randn(5, 4).astype("float32")
    layer = BatchNormalization(center=False)
    layer.ensure_built(x.shape)
    gamma, mean, var = RNG.rand(4) + 0.5, RNG.randn(4), RNG.rand(4) + 0.5
    layer.set_weights([gamma, mean, var])
    out, new = layer.apply(layer._values, x, training=False)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3) * gamma, rtol=1e-4,
                               atol=1e-5)
    assert all(np.array_equal(a, b) for a, b in zip(new, layer._values))


def test_batchnorm_statistics_skip_padded_rows():
    x = RNG.randn(8, 3).astype("float32")
    x[5:] = 1000.0  # the engine's padding of a short last batch
    real = np.arange(8) < 5
    layer = BatchNormalization()
    layer.ensure_built(x.shape)
    out, new = layer.apply(layer._values, x, training=True, sample_mask=real)
    bm, bv = x[:5].astype(np.float64).mean(0), x[:5].astype(np.float64).var(0)
    np.testing.assert_allclose(out[:5], (x[:5] - bm) / np.sqrt(bv + 1e-3), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(new[2], 0.01 * bm, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(new[3], 0.99 + 0.01 * bv * 5 / (5 - 1.001), rtol=1e-5)


def test_batchnorm_weights_config_and_errors():
    layer = BatchNormalization(name="bn")
    layer.ensure_built((None, 5, 5, 8))
    assert [s.name for s in layer.weight_specs] == ["gamma", "beta", "moving_mean",
                                                    "moving_variance"]
    assert [s.trainable for s in layer.weight_specs] == [True, True, False, False]
    assert layer.count_params() == 32 and len(layer.trainable_weights) == 2
    config = layer.get_config()
    assert config["momentum"] == 0.99 and config["epsilon"] == 1e-3 and config["axis"] == -1
    assert BatchNormalization.from_config(config).get_config() == config
    with pytest.raises(ValueError, match=r"BatchNormalization.*axis.*rank 2"):
        BatchNormalization(axis=3).ensure_built((None, 4))
    with pytest.raises(ValueError, match="epsilon"):
        BatchNormalization(epsilon=-1)


def test_batchnorm_state_is_updated_by_fit_and_used_by_predict():
    x = (RNG.randn(50, 4) * 3 + 5).astype("float32")
    y = RNG.randn(50, 1).astype("float32")
    model = Sequential([BatchNormalization(momentum=0.5, input_shape=(4,)), Dense(1)])
    model.compile("sgd", "mse")
    # Batches of 20, 20 and 10 (the last one padded by the engine to 20).
    model.fit(x, y, batch_size=20, epochs=1, shuffle=False, verbose=0)
    mean, var = np.zeros(4), np.ones(4)
    for batch in (x[:20], x[20:40], x[40:]):
        b = batch.astype(np.float64)
        n = len(b)
        mean = 0.5 * mean + 0.5 * b.mean(0)
        var = 0.5 * var + 0.5 * b.var(0) * n / (n - 1.001)
    moving_mean, moving_var = model.layers[0].get_weights()[2:]
    np.testing.assert_allclose(moving_mean, mean, rtol=1e-4)
    np.testing.assert_allclose(moving_var, var, rtol=1e-4)
    gamma, beta, mean, var = model.layers[0].get_weights()
    kernel, bias = model.layers[1].get_weights()
    expected = ((x - mean) / np.sqrt(var + 1e-3) * gamma + beta) @ kernel + bias
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-4, atol=1e-4)


def test_batchnorm_in_a_cnn_channels_first():
    x = RNG.randn(20, 2, 6, 6).astype("float32")
    y = RNG.randint(0, 2, (20, 1)).astype("float32")
    model = Sequential([Conv2D(3, 3, data_format="channels_first", input_shape=(2, 6, 6)),
                        BatchNormalization(axis=1), Flatten(), Dense(1, activation="sigmoid")])
    assert model.layers[1].get_weights()[0].shape == (3,)
    model.compile("adam", "binary_crossentropy")
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_layer_normalization_matches_numpy():
    x = RNG.randn(3, 4, 5).astype("float32")
    layer = LayerNormalization()
    layer.ensure_built(x.shape)
    gamma, beta = RNG.randn(5), RNG.randn(5)
    layer.set_weights([gamma, beta])
    out, _ = layer.apply(layer._values, x, training=False)
    x64 = x.astype(np.float64)
    mu, var = x64.mean(-1, keepdims=True), x64.var(-1, keepdims=True)
    np.testing.assert_allclose(out, (x64 - mu) / np.sqrt(var + 1e-3) * gamma + beta,
                               rtol=1e-4, atol=1e-4)
    both = LayerNormalization(axis=[1, 2], scale=False)
    both.ensure_built(x.shape)
    assert both.get_weights()[0].shape == (4, 5)
    out, _ = both.apply(both._values, x, training=False)
    mu, var = x64.mean((1, 2), keepdims=True), x64.var((1, 2), keepdims=True)
    np.testing.assert_allclose(out, (x64 - mu) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4)
    assert [s.name for s in layer.weight_specs] == ["gamma", "beta"]
    with pytest.raises(ValueError, match="batch axis"):
        LayerNormalization(axis=0).ensure_built((None, 3))


def test_spatial_dropout_drops_whole_channels():
    x = np.ones((40, 6, 5, 8), "float32")
    layer = SpatialDropout2D(0.5)
    out, _ = layer.apply([], x, training=True, rng=jax.random.PRNGKey(0))
    out = np.asarray(out)
    per_channel = out.reshape(40, 30, 8)
    assert (per_channel == per_channel[:, :1]).all()
    assert set(np.unique(out)) == {0.0, 2.0}
    assert abs((out == 0).mean() - 0.5) < 0.1
    np.testing.assert_array_equal(layer.apply([], x, training=False)[0], x)
    first = SpatialDropout2D(0.5, data_format="channels_first")
    out, _ = first.apply([], x, training=True, rng=jax.random.PRNGKey(1))
    out = np.asarray(out).reshape(40, 6, 40)
    assert (out == out[:, :, :1]).all()
    seq = np.ones((30, 7, 4), "float32")
    out = np.asarray(SpatialDropout1D(0.25).apply([], seq, training=True,
                                                  rng=jax.random.PRNGKey(2))[0])
    assert (out == out[:, :1]).all()
    assert SpatialDropout1D(0.3).get_config()["rate"] == 0.3
    # Keras 2.2.4 (Dropout's rule): rate 1 is accepted and drops nothing.
    np.testing.assert_array_equal(SpatialDropout1D(1.0).apply(
        [], seq, training=True, rng=jax.random.PRNGKey(3))[0], seq)


def test_frozen_batchnorm_keeps_its_statistics_and_updates_list_as_2_2_4():
    from jeras import backend as K
    from jeras.layers import BatchNormalization, Input
    from jeras.models import Model
    rng = np.random.RandomState(0)
    x, y = rng.rand(10, 4).astype("float32"), rng.rand(10, 4).astype("float32")
    inp = Input((4,))
    layer = BatchNormalization()
    model = Model(inp, layer(inp))
    assert [v for v, _ in model.updates] == [layer.moving_mean, layer.moving_variance]
    # The update pairs compute 2.2.4's moving averages from the batch.
    f = K.function([inp], [], updates=model.updates)
    f([x])
    np.testing.assert_allclose(K.get_value(layer.moving_mean), 0.01 * x.mean(0), rtol=1e-5)
    layer.trainable = False
    model.compile("sgd", "mse")
    assert not model.updates
    before = layer.get_weights()
    model.train_on_batch(x, y)
    for got, want in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_set_learning_phase_one_makes_predict_use_batch_statistics():
    from jeras import backend as K
    from jeras.layers import BatchNormalization, Input
    from jeras.models import Model
    inp = Input((1,))
    model = Model(inp, BatchNormalization()(inp))
    model.set_weights([np.ones(1), np.zeros(1), np.full(1, 0.5), np.full(1, 100.0)])
    x = np.arange(10, dtype="float32").reshape(10, 1)
    try:
        K.set_learning_phase(1)
        out = model.predict(x)
    finally:
        K.clear_session()
    np.testing.assert_allclose(out, (x - x.mean()) / np.sqrt(x.var() + 1e-3), atol=1e-4)
    np.testing.assert_allclose(model.predict(x), (x - 0.5) / np.sqrt(100.0 + 1e-3), rtol=1e-5)


def test_a_sequential_model_lists_its_batchnorm_updates():
    from jeras.layers import BatchNormalization, Dense
    from jeras.models import Sequential
    from jeras.utils.generic_utils import to_list
    model = Sequential([Dense(3, input_shape=(2,)), BatchNormalization()])
    assert len(to_list(model.updates)) == 2
    model.trainable = False
    assert model.updates == []


def test_make_batches_covers_the_samples_as_2_2_4():
    from jeras.engine.training_utils import make_batches
    assert make_batches(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert make_batches(0, 4) == []
