"""Embedding lookups and masks, and Masking."""
import numpy as np
import pytest

from jeras.layers import Dense, Embedding, Flatten, Masking
from jeras.models import Sequential
from jeras.optimizers import Adam

RNG = np.random.RandomState(3)


def test_embedding_looks_up_rows_and_masks_zero():
    layer = Embedding(7, 3, mask_zero=True)
    layer.ensure_built((None, 4))
    table = RNG.randn(7, 3)
    layer.set_weights([table])
    tokens = np.array([[1, 0, 6, 2], [0, 0, 3, 5]])
    out, _ = layer.apply(layer._values, tokens.astype("float32"), training=False)
    np.testing.assert_allclose(out, table[tokens], rtol=1e-6)
    np.testing.assert_array_equal(layer.compute_mask(tokens), tokens != 0)
    assert Embedding(7, 3).compute_mask(tokens) is None
    assert layer.output_shape == (None, 4, 3) and layer.count_params() == 21


def test_embedding_defaults_config_and_shapes():
    layer = Embedding(1000, 64, input_length=10)
    assert layer.batch_input_shape == (None, 10)
    assert Embedding(5, 2).batch_input_shape == (None, None)
    layer.ensure_built((None, 10))
    assert layer.get_weights()[0].shape == (1000, 64) and layer.count_params() == 64000
    assert np.abs(layer.get_weights()[0]).max() <= 0.05
    config = layer.get_config()
    assert config["embeddings_initializer"]["class_name"] == "RandomUniform"
    assert config["input_length"] == 10 and config["mask_zero"] is False
    assert Embedding.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="input_length"):
        Embedding(5, 2, input_length=3).compute_output_shape((None, 4))
    with pytest.raises(ValueError, match="input_dim"):
        Embedding(0, 2)
    with pytest.raises(ValueError, match="output_dim"):
        Embedding(3, -2)


def test_masking_zeroes_and_masks_padded_steps():
    x = RNG.randn(2, 4, 3).astype("float32")
    x[0, 2:] = -1.0
    layer = Masking(mask_value=-1.0)
    out, _ = layer.apply([], x, training=False)
    expected = x.copy()
    expected[0, 2:] = 0
    np.testing.assert_allclose(out, expected)
    np.testing.assert_array_equal(layer.compute_mask(x), [[1, 1, 0, 0], [1, 1, 1, 1]])
    assert layer.get_config()["mask_value"] == -1.0


def test_embedding_model_trains_and_masked_loss_skips_padding():
    tokens = RNG.randint(1, 20, (64, 6))
    y = (tokens[:, 0] > 10).astype("float32")
    model = Sequential([Embedding(20, 4, input_length=6), Flatten(),
                        Dense(1, activation="sigmoid")])
    model.compile(Adam(lr=0.02), "binary_crossentropy", metrics=["acc"])
    history = model.fit(tokens, y, epochs=30, batch_size=16, verbose=0)
    assert history.history["acc"][-1] > 0.9
    # A per-step output with a mask: the loss averages only the unmasked steps.
    masked = Sequential([Embedding(5, 1, mask_zero=True, input_length=3)])
    masked.compile("sgd", "mse")
    masked.layers[0].set_weights([np.arange(5, dtype="float32")[:, None]])
    steps = np.array([[1, 2, 0]])
    loss = masked.evaluate(steps, np.zeros((1, 3, 1)), verbose=0)
    np.testing.assert_allclose(loss, (1 + 4) / 2, rtol=1e-5)
