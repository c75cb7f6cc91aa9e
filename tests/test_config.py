import numpy as np
import pytest

import jeras
from jeras.layers import Dense, Lambda
from jeras.models import Sequential, load_model
from jeras.utils import generic_utils


def test_enable_unsafe_deserialization_lets_every_load_run_lambda_code(tmp_path, monkeypatch):
    monkeypatch.setattr(generic_utils, "_UNSAFE_DESERIALIZATION", False)
    model = Sequential([Dense(2, input_shape=(3,)), Lambda(lambda t: t * 3.0 + 1.0)])
    path = tmp_path / "lambda.h5"
    model.save(path)
    with pytest.raises(ValueError, match="enable_unsafe_deserialization"):
        load_model(path, compile=False)
    with pytest.raises(ValueError, match="safe mode"):
        Sequential.from_config(model.get_config())
    jeras.config.enable_unsafe_deserialization()
    x = np.random.RandomState(0).rand(4, 3).astype("float32")
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(load_model(path, compile=False).predict(x),
                               (x @ kernel + bias) * 3 + 1, rtol=1e-5)
    copy = Sequential.from_config(model.get_config())
    copy.set_weights(model.get_weights())
    np.testing.assert_allclose(copy.predict(x), (x @ kernel + bias) * 3 + 1, rtol=1e-5)
