"""Helpers for testing layers and models, as Keras 2's own tests (and users' suites) use them.

`layer_test(Dense, kwargs={'units': 3}, input_shape=(2, 4))` puts a layer
through what every layer must survive: weights read and written back,
a functional and a Sequential model built around it, its computed output
shape checked against `compute_output_shape`, its config and the model's
round-tripped, and one training step.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.testing import assert_allclose

from jeras import backend as K
from jeras.utils.generic_utils import has_arg


def get_test_data(num_train: int = 1000, num_test: int = 500, input_shape: tuple = (10,),
                  output_shape: tuple = (2,), classification: bool = True,
                  num_classes: int = 2) -> tuple[tuple[np.ndarray, np.ndarray],
                                                 tuple[np.ndarray, np.ndarray]]:
    """Makes random data a model can learn, split into training and test sets.

    With `classification=True` the targets are ints in `[0, num_classes)`
    (shape `(samples,)`, `output_shape` is ignored) and each sample is drawn
    around its class index; otherwise targets of `output_shape` and inputs
    are both drawn around one random value per sample.

    # Arguments
        num_train: the number of training samples.
        num_test: the number of test samples.
        input_shape: the shape of one input sample.
        output_shape: the shape of one target, for regression.
        classification: whether the targets are class indices.
        num_classes: the number of classes.

    # Returns
        `(x_train, y_train), (x_test, y_test)`, inputs as float32.
    """
    samples = num_train + num_test
    input_shape, output_shape = tuple(input_shape), tuple(output_shape)
    if classification:
        y = np.random.randint(0, num_classes, size=(samples,))
        x = np.zeros((samples,) + input_shape, dtype=np.float32)
        for i in range(samples):
            x[i] = np.random.normal(loc=y[i], scale=0.7, size=input_shape)
    else:
        centres = np.random.random((samples,))
        x = np.zeros((samples,) + input_shape, dtype=np.float32)
        y = np.zeros((samples,) + output_shape, dtype=np.float32)
        for i in range(samples):
            x[i] = np.random.normal(loc=centres[i], scale=0.7, size=input_shape)
            y[i] = np.random.normal(loc=centres[i], scale=0.7, size=output_shape)
    return (x[:num_train], y[:num_train]), (x[num_train:], y[num_train:])


def _check_shape(expected: tuple, actual: tuple, where: str) -> None:
    if len(expected) != len(actual) or any(e is not None and e != a
                                           for e, a in zip(expected, actual)):
        raise AssertionError(f"layer_test ({where}): the output has shape {actual}, but "
                             f"compute_output_shape gives {expected}")


def layer_test(layer_cls: type, kwargs: dict | None = None, input_shape: tuple | None = None,
               input_dtype: Any = None, input_data: np.ndarray | None = None,
               expected_output: np.ndarray | None = None, expected_output_dtype: Any = None,
               fixed_batch_size: bool = False) -> np.ndarray:
    """Tests a layer of one input and one output in the ways every layer must work.

    The layer is made from `kwargs`, its (empty) weights read and set back,
    then it is called on an `Input` in a functional model whose prediction
    must have the shape `compute_output_shape` gives (and equal
    `expected_output`, when given); the model's config must rebuild a model
    that, with the same weights, predicts the same. When the layer's `call`
    takes `training`, the model trains on one batch. Last, the layer is
    rebuilt from its config as the first layer of a `Sequential` model,
    which with the same weights must predict the same.

    # Arguments
        layer_cls: the layer class.
        kwargs: the arguments of its constructor.
        input_shape: the input's shape with the batch axis; None entries get
            random sizes in the generated data.
        input_dtype: the input's dtype (default `K.floatx()`).
        input_data: the input itself, instead of random data of `input_shape`.
        expected_output: what the layer must compute on `input_data`.
        expected_output_dtype: the output's dtype (default: the input's).
        fixed_batch_size: whether the model's input has a fixed batch size.

    # Returns
        The functional model's prediction on the input.

    # Raises
        AssertionError: for any property the layer does not have.
    """
    kwargs = dict(kwargs or {})
    if input_data is None:
        if not input_shape:
            raise ValueError("layer_test: give `input_shape` or `input_data`")
        input_dtype = input_dtype or K.floatx()
        data_shape = [np.random.randint(1, 4) if d is None else d for d in input_shape]
        input_data = (10 * np.random.random(data_shape)).astype(input_dtype)
    else:
        input_data = np.asarray(input_data)
        if input_shape is None:
            input_shape = input_data.shape
        if input_dtype is None:
            input_dtype = input_data.dtype
    input_shape = tuple(input_shape)
    input_dtype = np.dtype(input_dtype).name
    expected_output_dtype = np.dtype(expected_output_dtype or input_dtype).name

    layer = layer_cls(**kwargs)
    weights = layer.get_weights()
    layer.set_weights(weights)
    if has_arg(layer_cls.__init__, "weights") and weights:
        layer = layer_cls(**{**kwargs, "weights": weights})
    expected_output_shape = tuple(layer.compute_output_shape(input_shape))

    # The functional API.
    from jeras.engine.sequential import Sequential
    from jeras.layers import Input
    from jeras.models import Model
    if fixed_batch_size:
        x = Input(batch_shape=input_shape, dtype=input_dtype)
    else:
        x = Input(shape=input_shape[1:], dtype=input_dtype)
    y = layer(x)
    if K.dtype(y) != expected_output_dtype:
        raise AssertionError(f"layer_test: {layer_cls.__name__} outputs {K.dtype(y)}, "
                             f"expected {expected_output_dtype}")
    model = Model(x, y)
    built_weights = layer.get_weights()  # before the training step changes them
    actual_output = _layer_in_model_test(model, layer, input_data, expected_output,
                                         expected_output_shape, "functional model")

    # From the layer's config, as the first layer of a Sequential model.
    layer_config = layer.get_config()
    layer_config["batch_input_shape"] = input_shape
    clone = type(layer).from_config(layer_config)
    sequential = Sequential([clone])
    if built_weights:
        clone.set_weights(built_weights)
    output = _layer_in_model_test(sequential, clone, input_data, None, expected_output_shape,
                                  "Sequential model")
    if built_weights:
        assert_allclose(output, actual_output, rtol=1e-3, atol=1e-6,
                        err_msg="layer_test: the layer rebuilt from its config, given the same "
                        "weights, predicts otherwise")
    return actual_output


def _layer_in_model_test(model: Any, layer: Any, input_data: np.ndarray,
                         expected_output: np.ndarray | None, expected_output_shape: tuple,
                         where: str) -> np.ndarray:
    actual_output = np.asarray(model.predict(input_data))
    _check_shape(expected_output_shape, actual_output.shape, where)
    if expected_output is not None:
        assert_allclose(actual_output, expected_output, rtol=1e-3,
                        err_msg=f"layer_test ({where}): not the expected output")

    # The model's config and weights rebuild a model that predicts the same.
    recovered = type(model).from_config(model.get_config())
    if model.weights:
        recovered.set_weights(model.get_weights())
        assert_allclose(recovered.predict(input_data), actual_output, rtol=1e-3, atol=1e-6,
                        err_msg=f"layer_test ({where}): the model rebuilt from its config, "
                        "given the same weights, predicts otherwise")

    # Layers that behave differently in training (Dropout, BatchNormalization) train a step.
    if has_arg(layer.call, "training"):
        model.compile("rmsprop", "mse")
        model.train_on_batch(input_data, actual_output)
    return actual_output


def keras_test(func: Callable) -> Callable:
    """Decorates a test so that the backend's session is cleared after it runs.

    # Arguments
        func: the test function.

    # Returns
        The wrapped function, with `func`'s name and signature.
    """
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        finally:
            K.clear_session()
    return wrapper


__all__ = ["get_test_data", "keras_test", "layer_test"]
