"""Sequential: a linear stack of layers."""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras.engine import model_state
from jeras.engine.base_layer import Layer
from jeras.engine.input_layer import InputLayer
from jeras.engine.network import Forward, mask_rows, pass_scope, settle_scope
from jeras.engine.training import Model
from jeras.utils.layer_utils import print_summary


class Sequential(Model):
    """A linear stack of layers.

    # Arguments
        layers: optional list of layers to add.
        name: the model's name.

    # Example
    ```python
    model = Sequential()
    model.add(Dense(32, input_shape=(500,)))
    model.add(Dense(10, activation='softmax'))
    model.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['acc'])
    ```
    """

    def __init__(self, layers: Sequence[Layer] | None = None, name: str | None = None):
        super().__init__(name=name)
        self._stack: list[Layer] = []
        self._batch_input_shape: tuple | None = None
        self._input_layer_name: str | None = None
        self._input_dtype = "float32"
        # The shape given to `build` (or learnt from data) when no layer declared
        # one: 2.2.4's config keeps it, so the copy is built as the original.
        self._build_input_shape: tuple | None = None
        # The graph tensors of the stack, once its input shape is known: what
        # `model.input`, `model.output` and each layer's `output` return.
        self._tensors: list = []
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> list[Layer]:
        """The layers, without the implicit input layer."""
        return list(self._stack)

    @property
    def built(self) -> bool:
        return self._batch_input_shape is not None and all(layer.built for layer in self._stack)

    @built.setter
    def built(self, value: bool) -> None:
        pass

    @property
    def input_names(self) -> list[str]:
        if self._input_layer_name:
            return [self._input_layer_name]
        return [f"{self._stack[0].name}_input" if self._stack else "input"]

    @property
    def output_names(self) -> list[str]:
        if not self._stack:
            raise ValueError(f"Sequential model {self.name!r} has no layers yet")
        return [self._stack[-1].name]

    @property
    def input_shape(self) -> tuple:
        self._require_built("input_shape")
        return self._batch_input_shape

    @input_shape.setter
    def input_shape(self, value: tuple) -> None:
        pass

    @property
    def output_shape(self) -> tuple:
        self._require_built("output_shape")
        return self._output_shapes()[0]

    @output_shape.setter
    def output_shape(self, value: tuple) -> None:
        pass

    @property
    def batch_input_shape(self) -> tuple | None:
        return self._batch_input_shape

    @property
    def inputs(self) -> list:
        self._require_built("input")
        return self._tensors[:1]

    @property
    def outputs(self) -> list:
        self._require_built("output")
        return self._tensors[-1:]

    def _graph_nodes(self) -> list:
        return [t._keras_history[0]._inbound_nodes[t._keras_history[1]] for t in self._tensors]

    def _connect(self, layer: Layer) -> None:
        """Calls `layer` on the stack's output tensor (making the input tensor first)."""
        if not self._tensors:
            from jeras.engine.input_layer import InputLayer as Entry
            entry = Entry(batch_input_shape=self._batch_input_shape, dtype=self._input_dtype,
                          name=self.input_names[0])
            self._tensors.append(entry._inbound_nodes[0].outputs[0])
        out = layer(self._tensors[-1])
        if isinstance(out, list):
            raise ValueError(f"Layer {layer.name!r} has several outputs; a Sequential model "
                             "takes layers with one output. Use the functional API instead.")
        self._tensors.append(out)

    def _require_built(self, what: str) -> None:
        if not self.built:
            raise ValueError(f"Sequential model {self.name!r} has no {what} yet: give the first "
                             "layer an `input_shape` (or call `build`, or fit it on data)")

    def _input_shapes(self) -> list[tuple]:
        return [self._batch_input_shape]

    def _output_shapes(self) -> list[tuple]:
        return [self._stack[-1].output_shape]

    def add(self, layer: Layer) -> None:
        """Adds a layer on top of the stack.

        # Arguments
            layer: a Layer instance, or, as first element, the tensor of `Input(...)`.

        # Raises
            TypeError: if `layer` is not a Layer.
            ValueError: if the name is taken, or the layer does not fit the
                output shape of the one below.
        """
        # tf.keras 2.x and Keras 3 accept the tensor of `Input(...)` as the first
        # element (`Sequential([Input((12,)), Dense(4)])`); it stands for its InputLayer.
        history = getattr(layer, "_keras_history", None)
        if history is not None and isinstance(history[0], InputLayer):
            layer = history[0]
        if not isinstance(layer, Layer):
            raise TypeError("The added layer must be an instance of class Layer; found "
                            f"{type(layer).__name__} {layer!r}")
        if isinstance(layer, InputLayer):
            if self._stack or self._batch_input_shape is not None:
                raise ValueError("An InputLayer can only be the first layer of a Sequential "
                                 "model")
            self._batch_input_shape = layer.batch_input_shape
            self._input_layer_name = layer.name
            self._input_dtype = layer.dtype
            return
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(f"All layers added to a Sequential model should have unique names. "
                             f"Name {layer.name!r} is already the name of a layer in this model. "
                             "Update the `name` argument to pass a unique name.")
        if not self._stack and self._batch_input_shape is None:
            self._batch_input_shape = layer.batch_input_shape
        self._stack.append(layer)
        if self._batch_input_shape is not None:
            try:
                self._connect(layer)
            except ValueError:
                self._stack.pop()
                raise
        model_state.claim(self, [layer])
        self._functions = {}

    def pop(self) -> None:
        """Removes the last layer.

        # Raises
            TypeError: if there are no layers.
        """
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        layer = self._stack.pop()
        model_state.release(self, layer)
        if len(self._tensors) > 1:
            node = self._tensors.pop()._keras_history
            if node[0] is layer and node[1] == len(layer._inbound_nodes) - 1:
                layer._inbound_nodes.pop()
        self._functions = {}

    def build(self, input_shape: Sequence | None = None) -> None:
        """Builds every layer for inputs of `input_shape` (batch axis included).

        # Raises
            ValueError: when no shape is known, or a layer does not fit the one below.
        """
        if input_shape is not None:
            if self._batch_input_shape is None:
                self._build_input_shape = tuple(input_shape)
            self._batch_input_shape = tuple(input_shape)
        if self._batch_input_shape is None:
            raise ValueError("Sequential.build needs an `input_shape` (with the batch axis, "
                             "e.g. (None, 784))")
        if not self._tensors:
            for layer in self._stack:
                self._connect(layer)
        if self.optimizer is not None and self._state.opt_state is None:
            self._init_optimizer_state()

    def ensure_built(self, input_shape: Any) -> Any:
        """Builds the stack for `input_shape` when it has no input shape yet (a
        Sequential used as a layer), and returns its output shape."""
        if not self.built:
            self.build(tuple(input_shape))
        return super().ensure_built(input_shape)

    def _build_from_data(self, inputs: list) -> None:
        self.build((None,) + tuple(inputs[0].shape[1:]))

    def _forward(self, weights: list, inputs: list, *, training: bool, rng: Any,
                 sample_mask: Any) -> Forward:
        x, mask = inputs[0], None
        new_weights = []
        activity = jnp.zeros((), jnp.float32)
        with pass_scope(self._stack, weights, training) as scope:
            for i, (layer, values) in enumerate(zip(self._stack, weights)):
                key = jax.random.fold_in(rng, i) if rng is not None and layer.uses_rng else None
                if key is None and training and layer.uses_rng:
                    # Training behaviour without a step key (predict after
                    # `K.set_learning_phase(1)`): a key fixed per layer.
                    key = jax.random.PRNGKey(i)
                y, values = layer.apply(values, x, training=training, rng=key, mask=mask,
                                        sample_mask=sample_mask)
                mask = layer.compute_mask(x, mask)
                x = y
                new_weights.append(values)
                if getattr(layer, "activity_regularizer", None) is not None:
                    activity = activity + layer.activity_penalty(mask_rows(x, sample_mask))
        activity = activity + settle_scope(scope, {id(layer): i for i, layer in
                                                   enumerate(self._stack)}, new_weights)
        return Forward([x], [mask], new_weights, activity + self._constant_losses())

    def summary(self, line_length: int | None = None, positions: Sequence[float] | None = None,
                print_fn: Any = None) -> None:
        """Prints the Keras 2 table of layers, output shapes and parameter counts."""
        self._require_built("summary")
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)

    def predict_proba(self, x: Any, batch_size: int = 32, verbose: int = 0) -> np.ndarray:
        """Returns class probability predictions for the input samples, batch by batch.

        Warns when a prediction lies outside [0, 1]: the last layer then does
        not normalize into probabilities (as softmax or sigmoid would).

        # Arguments
            x: input data, a numpy array (or a list of them).
            batch_size: the number of samples per batch.
            verbose: 0 or 1, whether to show a progress bar.

        # Returns
            A numpy array of probabilities.
        """
        preds = np.asarray(self.predict(x, batch_size=batch_size, verbose=verbose))
        if preds.min() < 0.0 or preds.max() > 1.0:
            warnings.warn("Network returning invalid probability values. The last layer might "
                          "not normalize predictions into probabilities (like softmax or "
                          "sigmoid would).", stacklevel=2)
        return preds

    def predict_classes(self, x: Any, batch_size: int = 32, verbose: int = 0) -> np.ndarray:
        """Returns class predictions for the input samples, batch by batch.

        # Arguments
            x: input data, a numpy array (or a list of them).
            batch_size: the number of samples per batch.
            verbose: 0 or 1, whether to show a progress bar.

        # Returns
            The argmax over the last axis; for a model with one output unit,
            `(p > 0.5)` as int32, keeping the last axis (as Keras 2.2.4).
        """
        proba = np.asarray(self.predict(x, batch_size=batch_size, verbose=verbose))
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def get_config(self) -> dict:
        """Returns the Keras 2 config: `{'name', 'layers': [{'class_name', 'config'}...]}`,
        and `'build_input_shape'` for a model built without a declared input shape."""
        layer_configs = [{"class_name": type(layer).__name__, "config": layer.get_config()}
                         for layer in self._stack]
        if self._input_layer_name is not None:
            layer_configs.insert(0, {"class_name": "InputLayer", "config": {
                "batch_input_shape": self._batch_input_shape, "dtype": self._input_dtype,
                "sparse": False, "name": self._input_layer_name}})
        config = {"name": self.name, "layers": layer_configs}
        if self._build_input_shape is not None and self._input_layer_name is None:
            config["build_input_shape"] = list(self._build_input_shape)
        return config

    @classmethod
    def from_config(cls, config: Any, custom_objects: dict | None = None) -> Sequential:
        """Rebuilds a Sequential model from its config.

        Reads both the dict form (`{'name', 'layers'}`) and the bare list of
        layer configs that Keras 2.2.4 itself wrote.
        """
        from jeras import layers as layers_module
        if isinstance(config, dict):
            name, layer_configs = config.get("name"), config["layers"]
            build_input_shape = config.get("build_input_shape")
        else:
            name, layer_configs, build_input_shape = None, config, None
        model = cls(name=name)
        for layer_config in layer_configs:
            model.add(layers_module.deserialize(layer_config, custom_objects))
        if not model.built and build_input_shape:
            model.build(tuple(build_input_shape))
        return model
