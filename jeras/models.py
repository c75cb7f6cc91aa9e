"""Model classes (`Sequential`, the functional `Model`), loading or saving whole models,
and `clone_model`."""
from __future__ import annotations

from typing import Any

from jeras.engine.base_layer import SymbolicTensor
from jeras.engine.input_layer import Input, InputLayer
from jeras.engine.sequential import Sequential
from jeras.engine.training import Model
from jeras.saving import load_model, model_from_config, model_from_json, save_model
from jeras.saving.model_config import model_from_yaml
from jeras.utils.generic_utils import to_list


def _clone_layer(layer: Any) -> Any:
    return type(layer).from_config(layer.get_config())


def _input_tensors(model: Model, input_tensors: Any) -> list:
    """The new model's inputs: fresh `Input`s like the model's, or the ones given."""
    originals = model.inputs
    if input_tensors is None:
        tensors = []
        for t in originals:
            layer = t._keras_history[0]
            tensors.append(Input(batch_shape=layer.batch_input_shape, name=layer.name,
                                 dtype=getattr(layer, "input_dtype", None)))
        return tensors
    tensors = to_list(input_tensors)
    if len(tensors) != len(originals):
        raise ValueError(f"clone_model: model {model.name!r} has {len(originals)} inputs, "
                         f"but {len(tensors)} `input_tensors` were given")
    for t in tensors:
        if not isinstance(t, SymbolicTensor):
            raise ValueError("clone_model: `input_tensors` must be symbolic tensors (from "
                             f"`Input()` or a layer call); got {type(t).__name__}. jeras has "
                             "no `Input(tensor=...)` to wrap other tensors.")
    return tensors


def _clone_functional_model(model: Model, input_tensors: Any = None) -> Model:
    """Calls new layers, made from the model's layers' configs, on new inputs."""
    if not isinstance(model, Model):
        raise ValueError(f"clone_model: expected a Model instance, got {model!r}")
    if isinstance(model, Sequential):
        raise ValueError("clone_model: expected a functional Model, got a Sequential "
                         f"instance: {model!r}")
    inputs = _input_tensors(model, input_tensors)
    computed = {id(old): new for old, new in zip(model.inputs, inputs)}
    new_layers: dict[int, Any] = {}

    def compute(tensor: SymbolicTensor) -> SymbolicTensor:
        if id(tensor) in computed:
            return computed[id(tensor)]
        layer, node_index, tensor_index = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if not node.inputs:
            raise ValueError(f"clone_model: the graph uses input {layer.name!r}, which is not "
                             f"one of the inputs of model {model.name!r}")
        args = [compute(t) for t in node.inputs]
        if id(layer) not in new_layers:
            new_layers[id(layer)] = _clone_layer(layer)
        outputs = to_list(new_layers[id(layer)](args if len(args) > 1 else args[0],
                                                **node.call_kwargs))
        for old, new in zip(node.outputs, outputs):
            computed[id(old)] = new
        return computed[id(tensor)]

    outputs = [compute(t) for t in model.outputs]
    return Model(inputs if len(inputs) > 1 else inputs[0],
                 outputs if len(outputs) > 1 else outputs[0], name=model.name)


def _clone_sequential_model(model: Sequential, input_tensors: Any = None) -> Sequential:
    """A Sequential model of new layers made from the model's layers' configs."""
    if not isinstance(model, Sequential):
        raise ValueError(f"clone_model: expected a Sequential model, got {model!r}")
    layers = [_clone_layer(layer) for layer in model.layers]
    if input_tensors is None:
        if model.batch_input_shape is not None and (
                not layers or layers[0].batch_input_shape is None):
            # The model has its shape from an InputLayer or from build(): keep it.
            configs = model.get_config()["layers"]
            first = configs[0]["config"] if configs and \
                configs[0]["class_name"] == "InputLayer" else {}
            layers.insert(0, InputLayer(batch_input_shape=model.batch_input_shape,
                                        dtype=first.get("dtype"), name=first.get("name")))
        return Sequential(layers=layers, name=model.name)
    tensors = to_list(input_tensors)
    if len(tensors) != 1:
        raise ValueError("clone_model: to clone a Sequential model, give at most one tensor in "
                         f"`input_tensors`, got {len(tensors)}")
    tensor = tensors[0]
    origin = getattr(tensor, "_keras_history", (None,))[0]
    if not isinstance(origin, InputLayer):
        raise ValueError("clone_model: cannot clone a Sequential model on top of a tensor that "
                         "does not come from an InputLayer (`Input()`); use the functional "
                         "API instead")
    return Sequential(layers=[origin] + layers, name=model.name)


def clone_model(model: Model, input_tensors: Any = None) -> Model:
    """Clones a functional or Sequential model: new layers, new weights, same architecture.

    It is like calling the model on new inputs, except that every layer is
    a new one made from its config, so the clone's weights are freshly
    initialized rather than shared or copied (use
    `clone.set_weights(model.get_weights())` to copy them).

    # Arguments
        model: a `Model` or `Sequential` instance.
        input_tensors: optional tensor(s) from `Input()` to build the clone
            on; by default new inputs like the model's are made.

    # Returns
        A model of the same class (Sequential or Model) and config.

    # Raises
        ValueError: for something that is not a model, or unsuitable `input_tensors`.
    """
    if isinstance(model, Sequential):
        return _clone_sequential_model(model, input_tensors=input_tensors)
    return _clone_functional_model(model, input_tensors=input_tensors)


__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_config",
           "model_from_json", "model_from_yaml", "save_model"]
