"""Reading what older (and newer) Keras versions wrote, as Keras 2.2.4 means it.

Two kinds of conversion live here:

- **Configs.** Each Keras version wrote its own schema: Keras 1 argument names
  (`output_dim`, `init`, `border_mode`...), Keras 2.0's GRU without
  `reset_after` and RNNs with `implementation=0`, tf.keras 2.x initializer
  class names (`GlorotUniform`) and keys 2.2.4 lacks (`time_major`,
  `ragged`...), Keras 3's `batch_shape`, dtype policies and the `module` /
  `registered_name` keys beside every serialized object. `convert_model_config`
  rewrites a whole model config into 2.2.4's schema, driven by the version
  that wrote it, never by what a particular file happens to contain.
- **Weights.** `preprocess_weights_for_loading` does what Keras 2.2.4's
  function of that name does: Keras 1 weight layouts (per-gate RNN weights,
  Theano-ordered conv kernels), kernels flipped between backends that compute
  a convolution (Theano) and those that compute a correlation (TensorFlow,
  CNTK, JAX), and CuDNN RNN weights turned into plain LSTM / GRU weights.
"""
from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import numpy as np

#: Marks a key whose value, whatever it is, changes nothing 2.2.4 computes.
_ANY = object()

#: Keys later Keras versions add to layer configs, with the value that keeps
#: Keras 2.2.4's behaviour. A jeras layer that does not take such a key loses
#: nothing when the key is dropped at that value; any other value is refused.
_LATER_KEYS: dict[str, Any] = {
    "ragged": False,
    "sparse": False,
    "optional": False,
    "time_major": False,
    "zero_output_for_mask": _ANY,
    "use_cudnn": _ANY,
    "seed": _ANY,
    "groups": 1,
    "keepdims": False,
    "synchronized": False,
    "renorm": False,
    "renorm_clipping": None,
    "renorm_momentum": _ANY,
    "fused": _ANY,
    "virtual_batch_size": None,
    "adjustment": None,
    "lora_rank": None,
    "lora_alpha": None,
    "quantization_config": None,
    "autocast": _ANY,
    "input_dtype": _ANY,
}

#: tf.keras 2.x / Keras 3 class names of the initializers 2.2.4 wrote as
#: `VarianceScaling` configs or snake-case names.
_INITIALIZER_NAMES = {
    "GlorotUniform": "glorot_uniform",
    "GlorotNormal": "glorot_normal",
    "HeUniform": "he_uniform",
    "HeNormal": "he_normal",
    "LecunUniform": "lecun_uniform",
    "LecunNormal": "lecun_normal",
}

#: Keras 1 layer class names that Keras 2 renamed.
_KERAS1_CLASSES = {
    "Convolution1D": "Conv1D",
    "Convolution2D": "Conv2D",
    "Convolution3D": "Conv3D",
    "AtrousConvolution1D": "Conv1D",
    "AtrousConvolution2D": "Conv2D",
    "Deconvolution2D": "Conv2DTranspose",
    "SeparableConvolution2D": "SeparableConv2D",
}

#: Keras 1 argument names and their Keras 2 spelling (Keras 2.2.4's
#: `legacy/interfaces.py` accepted them with a warning).
_KERAS1_KEYS = {
    "output_dim": "units",
    "nb_filter": "filters",
    "init": "kernel_initializer",
    "inner_init": "recurrent_initializer",
    "inner_activation": "recurrent_activation",
    "W_regularizer": "kernel_regularizer",
    "U_regularizer": "recurrent_regularizer",
    "b_regularizer": "bias_regularizer",
    "W_constraint": "kernel_constraint",
    "U_constraint": "recurrent_constraint",
    "b_constraint": "bias_constraint",
    "bias": "use_bias",
    "dropout_W": "dropout",
    "dropout_U": "recurrent_dropout",
    "border_mode": "padding",
    "dim_ordering": "data_format",
    "subsample": "strides",
    "subsample_length": "strides",
    "filter_length": "kernel_size",
    "pool_length": "pool_size",
    "stride": "strides",
    "atrous_rate": "dilation_rate",
    "beta_init": "beta_initializer",
    "gamma_init": "gamma_initializer",
    "input_dtype": "dtype",
}

_KERAS1_DIM_ORDERING = {"th": "channels_first", "tf": "channels_last", "default": None}
_KERAS1_CONSUME_LESS = {"cpu": 1, "mem": 1, "gpu": 2}


def parse_version(version: str | None) -> tuple[int, ...]:
    """`'2.1.6-tf'` -> `(2, 1, 6)`; a file without a version is Keras 1's: `(1,)`."""
    if not version:
        return (1,)
    numbers = re.findall(r"\d+", version.split("-")[0])
    return tuple(int(n) for n in numbers) or (1,)


# Configs.

def convert_model_config(config: dict, keras_version: str | None,
                         layer_table: Callable[[str], type | None]) -> dict:
    """Rewrites a serialized model (`{'class_name', 'config'}`) into Keras 2.2.4's schema.

    # Arguments
        config: the model's `{'class_name', 'config'}` as the file holds it.
        keras_version: the `keras_version` the file records (None for Keras 1).
        layer_table: maps a class name to the class `deserialize` would build
            (custom objects first), or None; used to tell which keys a jeras
            layer takes.

    # Returns
        A new dict; the input is left untouched.
    """
    return _convert_object(config, parse_version(keras_version), layer_table)


def _convert_object(entry: dict, version: tuple, layer_table: Callable) -> dict:
    """Converts one serialized layer or model, with whatever wraps it."""
    entry = _strip_keras3_keys(entry)
    class_name = entry["class_name"]
    if version < (2,):
        class_name = _KERAS1_CLASSES.get(class_name, class_name)
    if class_name == "Functional":
        class_name = "Model"
    config = entry["config"]
    if class_name in ("Sequential", "Model") or (
            isinstance(config, dict) and isinstance(config.get("layers"), list)):
        config = _convert_container(config, version, layer_table)
    else:
        config = _convert_layer_config(class_name, config, version, layer_table)
    entry = {**entry, "class_name": class_name, "config": config}
    if "inbound_nodes" in entry:
        entry["inbound_nodes"] = _convert_inbound_nodes(entry["inbound_nodes"])
    return entry


def _convert_container(config: Any, version: tuple, layer_table: Callable) -> Any:
    if isinstance(config, list):
        return [_convert_object(layer, version, layer_table) for layer in config]
    config = dict(config)
    config["layers"] = [_convert_object(layer, version, layer_table)
                        for layer in config["layers"]]
    if isinstance(config.get("dtype"), dict):
        config["dtype"] = _policy_name(config["dtype"])
    return config


def _strip_keras3_keys(entry: dict) -> dict:
    """Drops the keys Keras 3 writes beside `class_name` and `config`."""
    return {k: v for k, v in entry.items()
            if k not in ("module", "registered_name", "build_config", "compile_config",
                         "shared_object_id")}


def _policy_name(policy: Any) -> Any:
    """A dtype policy dict (Keras 3 `DTypePolicy`, tf.keras `Policy`) -> its dtype name."""
    if isinstance(policy, dict) and isinstance(policy.get("config"), dict):
        return policy["config"].get("name")
    return policy


def _convert_nested(key: str, value: Any, version: tuple, layer_table: Callable) -> Any:
    """Converts a serialized object held in a layer config (an initializer, a wrapped layer)."""
    if not (isinstance(value, dict) and "class_name" in value and "config" in value):
        return value
    if key in ("layer", "backward_layer"):
        return _convert_object(value, version, layer_table)
    value = _strip_keras3_keys(value)
    if key.endswith("initializer"):
        # tf.keras 1.x initializers carried a `dtype`; the layer decides it.
        value = {**value, "config": {k: v for k, v in value["config"].items() if k != "dtype"}}
        name = _INITIALIZER_NAMES.get(value["class_name"])
        if name is not None:
            return {"class_name": name, "config": value["config"]}
        if value["class_name"] == "VarianceScaling" and \
                value["config"].get("distribution") == "truncated_normal":
            # tf.keras renamed 2.2.4's (truncated) "normal".
            return {**value, "config": {**value["config"], "distribution": "normal"}}
    return value


def _convert_layer_config(class_name: str, config: dict, version: tuple,
                          layer_table: Callable) -> dict:
    config = dict(config)
    if version < (2,):
        config = _keras1_layer_config(class_name, config)
    if "batch_shape" in config:
        config.setdefault("batch_input_shape", config.pop("batch_shape"))
        config.pop("batch_shape", None)
    if isinstance(config.get("dtype"), dict):
        config["dtype"] = _policy_name(config["dtype"])
    for key, value in list(config.items()):
        config[key] = _convert_nested(key, value, version, layer_table)
    # Keras 2.0 to 2.1.2 had no `reset_after`; their GRU is the reset_after=False one.
    if class_name in ("GRU", "GRUCell") and "reset_after" not in config:
        config["reset_after"] = False
    # Keras 2.0's `implementation=0` became 1 in 2.2.4 (same numbers, other kernel).
    if class_name in ("LSTM", "GRU", "SimpleRNN") and config.get("implementation") == 0:
        config["implementation"] = 1
    return _drop_later_keys(class_name, config, layer_table)


def _drop_later_keys(class_name: str, config: dict, layer_table: Callable) -> dict:
    """Drops keys a jeras layer does not take when their value keeps 2.2.4's behaviour.

    User classes are left alone: their `__init__` decides what it takes.

    # Raises
        ValueError: for such a key with a value that would change the
            layer's computation, naming the layer and the key.
    """
    cls = layer_table(class_name)
    if cls is None or not cls.__module__.startswith("jeras."):
        return config
    accepted = _accepted_keys(cls)
    for key in [k for k in config if k not in accepted and k in _LATER_KEYS]:
        neutral = _LATER_KEYS[key]
        if neutral is not _ANY and config[key] != neutral:
            raise ValueError(
                f"Layer {config.get('name')!r} ({class_name}): its config sets "
                f"{key}={config[key]!r}, which Keras 2.2.4 (and jeras) has no equivalent for")
        del config[key]
    return config


def _accepted_keys(cls: type) -> set[str]:
    """The keyword arguments a jeras layer class takes, through its whole `__init__` chain."""
    keys = {"input_dim", "input_length"}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for param in inspect.signature(init).parameters.values():
            if param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
                keys.add(param.name)
    return keys


def _convert_inbound_nodes(nodes: Any) -> Any:
    """Keras 3 node dicts (`{'args': [keras tensors], 'kwargs': {...}}`) -> Keras 2 lists."""
    converted = []
    for node in nodes:
        if not isinstance(node, dict):
            converted.append(node)
            continue
        kwargs = {k: v for k, v in node.get("kwargs", {}).items() if not _is_keras_tensor(v)}
        tensors = []
        for arg in node.get("args", []):
            tensors.extend(arg if isinstance(arg, list) else [arg])
        converted.append([[*t["config"]["keras_history"], kwargs]
                          for t in tensors if _is_keras_tensor(t)])
    return converted


def _is_keras_tensor(value: Any) -> bool:
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _keras1_layer_config(class_name: str, config: dict) -> dict:
    """Renames Keras 1 arguments to their Keras 2 names, as 2.2.4's legacy interfaces did."""
    out = {}
    for key, value in config.items():
        new_key = _KERAS1_KEYS.get(key, key)
        if class_name.startswith(("Dropout", "SpatialDropout")) and key == "p":
            new_key = "rate"
        if class_name == "Embedding" and key in ("init", "W_regularizer", "W_constraint"):
            new_key = {"init": "embeddings_initializer", "W_regularizer": "embeddings_regularizer",
                       "W_constraint": "embeddings_constraint"}[key]
        if new_key == "data_format":
            value = _KERAS1_DIM_ORDERING.get(value, value)
        out[new_key] = value
    if class_name in ("LSTM", "GRU", "SimpleRNN") and "consume_less" in out:
        out["implementation"] = _KERAS1_CONSUME_LESS.get(out.pop("consume_less"), 1)
    if class_name == "LSTM" and "forget_bias_init" in out:
        out["unit_forget_bias"] = out.pop("forget_bias_init") in ("one", "ones")
    if "nb_row" in out:
        out["kernel_size"] = (out.pop("nb_row"), out.pop("nb_col"))
    if class_name == "BatchNormalization":
        out.pop("mode", None)
    if class_name == "Embedding":
        out.pop("dropout", None)
    return out


# Weights.

#: Whether a backend computes a correlation (True) or a true convolution.
_USES_CORRELATION = {"tensorflow": True, "cntk": True, "jax": True, "torch": True,
                     "theano": False}
_CONV_CLASSES = ("Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "ConvLSTM2D")


def convert_kernel(kernel: np.ndarray) -> np.ndarray:
    """Flips a convolution kernel along its spatial axes (all but the last two).

    Turns a kernel trained with a backend that computes true convolutions
    (Theano) into one for a backend that computes correlations, and back.
    """
    kernel = np.asarray(kernel)
    spatial = tuple(range(kernel.ndim - 2))
    return np.flip(kernel, axis=spatial).copy()


def needs_kernel_flip(original_backend: str | None) -> bool:
    """True when conv kernels from `original_backend` must be flipped for jeras (a correlation).

    An unknown or missing backend means no flip, as in Keras 2.2.4.
    """
    if original_backend not in _USES_CORRELATION:
        return False
    return not _USES_CORRELATION[original_backend]


def _kernel_shape(layer: Any) -> tuple:
    return tuple(layer.weight_specs[0].shape)


def preprocess_weights_for_loading(layer: Any, weights: list[np.ndarray],
                                   original_keras_version: str | None = None,
                                   original_backend: str | None = None,
                                   reshape: bool = False) -> list[np.ndarray]:
    """Converts a layer's weights from a file's layout to the layer's (Keras 2.2.4 rules).

    # Arguments
        layer: the jeras layer that will receive the weights.
        weights: the arrays read from the file, in the file's order.
        original_keras_version: the `keras_version` the file records
            (None or `'1'` for Keras 1 files).
        original_backend: the `backend` the file records, or None.
        reshape: reshape a conv kernel whose size fits but shape does not.

    # Returns
        The arrays in the layer's layout.

    # Raises
        ValueError: for RNN biases of no known layout, GRU weights from a
            variant that cannot be converted, or a reshape of a kernel whose
            size differs.
    """
    weights = [np.asarray(w) for w in weights]
    class_name = type(layer).__name__
    version = parse_version(original_keras_version)

    if class_name == "Bidirectional":
        half = len(weights) // 2
        weights = (preprocess_weights_for_loading(layer.forward_layer, weights[:half],
                                                  original_keras_version, original_backend)
                   + preprocess_weights_for_loading(layer.backward_layer, weights[half:],
                                                    original_keras_version, original_backend))
    elif class_name == "TimeDistributed":
        weights = preprocess_weights_for_loading(layer.layer, weights, original_keras_version,
                                                 original_backend)
    elif hasattr(layer, "layers") and hasattr(layer, "get_weights"):
        weights = _preprocess_nested_model(layer, weights, original_keras_version,
                                           original_backend)

    if version < (2,):
        weights = _keras1_weights(layer, class_name, weights)

    if class_name in _CONV_CLASSES:
        if needs_kernel_flip(original_backend):
            weights[0] = convert_kernel(weights[0])
            if class_name == "ConvLSTM2D":
                weights[1] = convert_kernel(weights[1])
        expected = _kernel_shape(layer)
        if reshape and expected != weights[0].shape:
            if weights[0].size != int(np.prod(expected)):
                raise ValueError(
                    f"Layer {layer.name!r}: cannot reshape the saved kernel of shape "
                    f"{weights[0].shape} ({weights[0].size} values) to the layer's "
                    f"{expected} ({int(np.prod(expected))} values)")
            weights[0] = np.reshape(weights[0], expected)
        elif expected != weights[0].shape and weights[0].ndim == 4:
            # Theano-ordered (filters, channels, rows, cols) kernels.
            weights[0] = np.transpose(weights[0], (3, 2, 0, 1))
            if class_name == "ConvLSTM2D":
                weights[1] = np.transpose(weights[1], (3, 2, 0, 1))

    return _convert_rnn_weights(layer, class_name, weights)


def _preprocess_nested_model(model: Any, weights: list, version: str | None,
                             backend: str | None) -> list:
    """A nested model's weights: each sublayer's trainable ones first, then the rest (Keras 2)."""
    converted = []
    for trainable in (True, False):
        for sub in model.layers:
            count = len(sub.trainable_weights) if trainable else \
                len(sub.weights) - len(sub.trainable_weights)
            if count:
                converted.extend(preprocess_weights_for_loading(sub, weights[:count], version,
                                                                backend))
                weights = weights[count:]
    return converted


def _keras1_weights(layer: Any, class_name: str, weights: list) -> list:
    """Keras 1 layouts: per-gate RNN weights and Theano-ordered conv kernels."""
    data_format = getattr(layer, "data_format", "channels_last")
    if class_name == "Conv1D":
        kernel = weights[0]
        kernel_size = _kernel_shape(layer)[0]
        filters = _kernel_shape(layer)[-1]
        if kernel.shape[:2] != (kernel_size, 1) or kernel.shape[3] != filters:
            # Keras 1.1's (filters, input_dim, filter_length, 1).
            kernel = np.transpose(kernel, (2, 3, 1, 0))
        weights[0] = kernel[:, 0, :, :]
    elif class_name == "Conv2D" and data_format == "channels_first":
        weights[0] = np.transpose(weights[0], (2, 3, 1, 0))
    elif class_name == "Conv2DTranspose":
        axes = (0, 1, 3, 2) if data_format == "channels_last" else (2, 3, 0, 1)
        weights[0] = np.transpose(weights[0], axes)
    elif class_name == "Conv3D" and data_format == "channels_first":
        weights[0] = np.transpose(weights[0], (2, 3, 4, 1, 0))
    elif class_name == "GRU" and len(weights) == 9:
        # Keras 1: (W, U, b) for the z, r, h gates in turn.
        weights = [np.concatenate(weights[i::3], axis=-1) for i in range(3)]
    elif class_name in ("LSTM", "ConvLSTM2D") and len(weights) == 12:
        # Keras 1 stored the gates i, c, f, o; Keras 2 orders them i, f, c, o.
        gates = [weights[0:3], weights[6:9], weights[3:6], weights[9:12]]
        weights = [np.concatenate([g[i] for g in gates], axis=-1) for i in range(3)]
        if class_name == "ConvLSTM2D" and data_format == "channels_first":
            weights[0] = np.transpose(weights[0], (2, 3, 1, 0))
            weights[1] = np.transpose(weights[1], (2, 3, 1, 0))
    return weights


def _per_gate(kernel: np.ndarray, fn: Callable, n_gates: int) -> np.ndarray:
    return np.hstack([fn(k) for k in np.hsplit(kernel, n_gates)])


def _cudnn_input_kernel(from_cudnn: bool) -> Callable:
    # CuDNN stores each gate's input kernel transposed, in Fortran order.
    order = "F" if from_cudnn else "C"
    return lambda k: k.T.reshape(k.shape, order=order)


def _convert_rnn_weights(layer: Any, class_name: str, weights: list) -> list:
    """Converts CuDNNLSTM / CuDNNGRU weights to plain LSTM / GRU(reset_after=True) ones."""
    if class_name not in ("LSTM", "CuDNNLSTM", "GRU", "CuDNNGRU") or len(weights) != 3:
        return weights
    units = weights[1].shape[0]
    bias_shape = weights[2].shape
    if class_name in ("LSTM", "CuDNNLSTM"):
        layouts = {(8 * units,): "CuDNNLSTM", (4 * units,): "LSTM"}
        source = layouts.get(bias_shape)
        if source is None:
            raise ValueError(f"Layer {layer.name!r} ({class_name}): the saved bias has shape "
                             f"{bias_shape}, which fits neither LSTM ({4 * units},) nor "
                             f"CuDNNLSTM ({8 * units},)")
        if source == class_name:
            return weights
        from_cudnn = source == "CuDNNLSTM"
        kernel = _per_gate(weights[0], _cudnn_input_kernel(from_cudnn), 4)
        recurrent = _per_gate(weights[1], lambda k: k.T, 4)
        # CuDNN keeps separate input and recurrent biases; only their sum matters.
        bias = (np.sum(np.split(weights[2], 2), axis=0) if from_cudnn
                else np.tile(0.5 * weights[2], 2))
        return [kernel, recurrent, bias]

    layouts = {(6 * units,): "CuDNNGRU", (2, 3 * units): "GRU(reset_after=True)",
               (3 * units,): "GRU(reset_after=False)"}
    source = layouts.get(bias_shape)
    if source is None:
        raise ValueError(f"Layer {layer.name!r} ({class_name}): the saved bias has shape "
                         f"{bias_shape}, which fits no GRU layout for {units} units")
    if class_name == "CuDNNGRU":
        target = "CuDNNGRU"
    else:
        target = f"GRU(reset_after={bool(getattr(layer, 'reset_after', False))})"
    if source == target:
        return weights
    if "GRU(reset_after=False)" in (source, target):
        raise ValueError(f"Layer {layer.name!r}: weights saved by a {source} layer cannot be "
                         f"loaded into a {target} layer")
    from_cudnn = source == "CuDNNGRU"
    kernel = _per_gate(weights[0], _cudnn_input_kernel(from_cudnn), 3)
    recurrent = _per_gate(weights[1], lambda k: k.T, 3)
    bias = np.asarray(weights[2]).reshape((2, -1) if from_cudnn else -1)
    return [kernel, recurrent, bias]



# Optimizer slots.

#: Slot names tf.keras 2.x and Keras 3 give optimizer variables.
_SLOT_NAMES = ("m", "v", "vhat", "momentum", "velocity", "velocity_hat", "rms", "accumulator",
               "accum_grad", "accum_var", "accumulated_grad", "accumulated_delta_var")
_ITERATION_NAMES = ("iter", "iteration", "iterations")


def _slot_of(name: str) -> str | None:
    """The slot a variable name belongs to (`'Adam/m/dense/kernel:0'` -> `'m'`), or None."""
    parts = name.removesuffix(":0").split("/")
    if parts[-1] in _ITERATION_NAMES or parts[-1] == "learning_rate":
        return parts[-1]
    if len(parts) >= 3 and parts[1] in _SLOT_NAMES:  # tf.keras 2.11+: Adam/m/dense/kernel
        return parts[1]
    if parts[-1] in _SLOT_NAMES:  # tf.keras 2.x: Adam/dense/kernel/m
        return parts[-1]
    # Keras 3: adam/sequential_dense_kernel_momentum; the longest slot name that ends it.
    return max((s for s in _SLOT_NAMES if parts[-1].endswith("_" + s)), key=len, default=None)


def order_optimizer_weights(names: list[str], values: list[np.ndarray]) -> list[np.ndarray]:
    """Puts optimizer slots saved by tf.keras 2.11+ or Keras 3 in Keras 2.2.4's order.

    Those versions interleave the slots per variable (`m0, v0, m1, v1...`) and
    Keras 3 adds a `learning_rate` variable; 2.2.4 keeps the iteration count
    first, then each slot for all variables (`m...`, `v...`). Slots are grouped
    in the order they first appear; names of no known pattern (2.2.4's
    `Variable_3:0`) leave the list as it is.
    """
    slots = [_slot_of(n) for n in names]
    if None in slots:
        return list(values)
    first = [v for v, s in zip(values, slots) if s in _ITERATION_NAMES]
    groups: dict[str, list] = {}
    for value, slot in zip(values, slots):
        if slot not in _ITERATION_NAMES and slot != "learning_rate":
            groups.setdefault(slot, []).append(value)
    return first + [v for group in groups.values() for v in group]
