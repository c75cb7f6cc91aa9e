"""Model configs as Keras 2 writes them: JSON, YAML, `model_from_config`, training configs.

A model config is `{'class_name', 'config'}` with the Keras 2 `get_config()`
of the model and each layer. Reading one goes through `legacy` first, so a
config written by any Keras version reaches the layers in 2.2.4's schema.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import yaml

from jeras import losses as losses_module
from jeras import optimizers as optimizers_module
from jeras.saving import legacy
from jeras.utils.generic_utils import (
    deserialize_keras_object,
    get_custom_objects,
    safe_mode_scope,
)

#: The Keras version whose file schema jeras writes, and the backend it records.
KERAS_VERSION = "2.2.4"
BACKEND = "jax"

#: Layer config keys whose values `activations.get`, `initializers.get`...
#: resolve by name, so that `custom_objects` reach them as Keras 2's
#: `CustomObjectScope` did.
_RESOLVED_SUFFIXES = ("activation", "_initializer", "_regularizer", "_constraint")


def json_default(obj: Any) -> Any:
    """Turns what a config may hold (numpy values, objects with `get_config`, functions) into JSON.

    # Raises
        TypeError: for anything else, naming it.
    """
    if hasattr(obj, "get_config"):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if callable(obj) and hasattr(obj, "__name__"):
        return obj.__name__
    raise TypeError(f"Cannot write {type(obj).__name__} {obj!r} to a Keras model config: it is "
                    "neither a number, a string, a function nor an object with get_config")


def model_to_json(model: Any, **kwargs: Any) -> str:
    """Returns the model's config as a Keras 2 JSON string.

    # Arguments
        model: a jeras model.
        **kwargs: passed to `json.dumps` (`indent=2`...).

    # Returns
        A JSON string `{'class_name', 'config', 'keras_version', 'backend'}`.
    """
    config = {"class_name": type(model).__name__, "config": model.get_config(),
              "keras_version": KERAS_VERSION, "backend": BACKEND}
    return json.dumps(config, default=json_default, **kwargs)


def model_from_json(json_string: str, custom_objects: Mapping[str, Any] | None = None, *,
                    safe_mode: bool = True) -> Any:
    """Makes a model (with fresh weights) from a JSON string written by `to_json`.

    # Arguments
        json_string: the JSON of a Keras model config (any Keras 2 or 3 version).
        custom_objects: user classes and functions by name (layers,
            activations, initializers...).
        safe_mode: refuse `Lambda` layers holding marshalled Python code.

    # Returns
        A jeras model.

    # Raises
        ValueError: for text that is not JSON, or a config jeras cannot build.
    """
    try:
        config = json.loads(json_string)
    except json.JSONDecodeError as err:
        raise ValueError(f"model_from_json: `json_string` is not valid JSON ({err})") from None
    return model_from_config(config, custom_objects, safe_mode=safe_mode)


def model_to_yaml(model: Any, **kwargs: Any) -> str:
    """Returns the model's config as a Keras 2 YAML string.

    The config is the one `model_to_json` writes, as plain YAML (tuples
    become lists), so `yaml.safe_load` reads it.

    # Arguments
        model: a jeras model.
        **kwargs: passed to `yaml.safe_dump` (`default_flow_style`...).

    # Returns
        A YAML string `{class_name, config, keras_version, backend}`.
    """
    return yaml.safe_dump(json.loads(model_to_json(model)), **kwargs)


class _ConfigLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` that also reads the Python tags Keras 2's `to_yaml` wrote.

    Keras 2 dumped configs with `yaml.dump`, which writes tuples (shapes) as
    `!!python/tuple` and, under Python 2, strings as `!!python/unicode`.
    Those two tags are read as a tuple and a string; any other Python tag
    (one that would build an arbitrary object) is refused.
    """


_ConfigLoader.add_constructor("tag:yaml.org,2002:python/tuple",
                              lambda loader, node: tuple(loader.construct_sequence(node)))
for _tag in ("python/unicode", "python/str"):
    _ConfigLoader.add_constructor(f"tag:yaml.org,2002:{_tag}",
                                  lambda loader, node: loader.construct_scalar(node))


def model_from_yaml(yaml_string: str, custom_objects: Mapping[str, Any] | None = None, *,
                    safe_mode: bool = True) -> Any:
    """Makes a model (with fresh weights) from a YAML string written by `to_yaml`.

    # Arguments
        yaml_string: the YAML of a Keras model config (jeras's, or Keras 2's
            with its `!!python/tuple` tags).
        custom_objects: user classes and functions by name.
        safe_mode: refuse `Lambda` layers holding marshalled Python code.

    # Returns
        A jeras model.

    # Raises
        ValueError: for text that is not YAML jeras reads, or a config it cannot build.
    """
    try:
        config = yaml.load(yaml_string, Loader=_ConfigLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as err:
        raise ValueError(f"model_from_yaml: `yaml_string` is not YAML jeras can read ({err})"
                         ) from None
    return model_from_config(config, custom_objects, safe_mode=safe_mode,
                             source="model_from_yaml")


def model_from_config(config: dict, custom_objects: Mapping[str, Any] | None = None, *,
                      safe_mode: bool = True, keras_version: str | None = None,
                      source: str = "model_from_config") -> Any:
    """Makes a model from `{'class_name', 'config'}`.

    `'Sequential'` goes to `Sequential.from_config`; `'Model'` and
    `'Functional'` to `jeras.models.Model.from_config` (the functional API).

    # Arguments
        config: the serialized model.
        custom_objects: user classes and functions by name.
        safe_mode: refuse `Lambda` layers holding marshalled Python code.
        keras_version: the Keras version that wrote the config; defaults to
            the config's own `keras_version` key, else 2.2.4.
        source: what to name in errors (a file path).

    # Returns
        A jeras model.

    # Raises
        TypeError: for a list (a bare Sequential layer list) or another non-dict.
        ValueError: for an unknown class, a refused Lambda, or a config
            that does not describe a model; the message starts with `source`.
    """
    if not isinstance(config, dict):
        hint = (" Maybe you meant `Sequential.from_config(config)`?"
                if isinstance(config, list) else "")
        raise TypeError(f"{source}: expected a dict `{{'class_name', 'config'}}`, got "
                        f"{type(config).__name__}.{hint}")
    if "class_name" not in config or "config" not in config:
        raise ValueError(f"{source}: the model config has no 'class_name'/'config' "
                         f"(keys: {sorted(config)})")
    custom_objects = dict(custom_objects or {})
    lookup = _class_lookup(custom_objects)
    version = keras_version or config.get("keras_version") or KERAS_VERSION
    config = legacy.convert_model_config(config, version, lookup)
    config = _resolve_custom_objects(config, custom_objects)
    cls = lookup(config["class_name"])
    if cls is None or not hasattr(cls, "from_config"):
        raise ValueError(
            f"{source}: cannot build a model of class {config['class_name']!r}"
            + (" (functional models need jeras.models.Model.from_config, which this jeras "
               "does not have yet)" if config["class_name"] == "Model" else
               "; pass it in `custom_objects`"))
    try:
        # Lambda layers run code stored in the config only outside safe mode.
        with safe_mode_scope(safe_mode):
            model = cls.from_config(config["config"], custom_objects=custom_objects)
    except ValueError as err:
        raise ValueError(f"{source}: {err}") from err
    build_shape = config["config"].get("build_input_shape") \
        if isinstance(config["config"], dict) else None
    if not model.built and build_shape is not None:
        model.build(tuple(build_shape))
    return model


def _class_lookup(custom_objects: Mapping[str, Any]) -> Callable[[str], type | None]:
    """Maps a class name to the layer or model class jeras builds for it (user classes first)."""
    from jeras import layers, models

    def lookup(name: str) -> type | None:
        obj = custom_objects.get(name) or get_custom_objects().get(name) \
            or getattr(layers, name, None) or getattr(models, name, None)
        return obj if isinstance(obj, type) else None
    return lookup


def _resolve_custom_objects(entry: Any, custom_objects: Mapping[str, Any]) -> Any:
    """Puts user objects in place of their names in layer configs.

    Layers resolve `activation='my_act'` (and initializers, regularizers,
    constraints) by name at construction, where `custom_objects` cannot
    reach; resolving them here lets `load_model(..., custom_objects=...)`
    rebuild layers that use them.
    """
    if not custom_objects:
        return entry
    if isinstance(entry, list):
        return [_resolve_custom_objects(item, custom_objects) for item in entry]
    if not isinstance(entry, dict):
        return entry
    out = {}
    for key, value in entry.items():
        if key.endswith(_RESOLVED_SUFFIXES) and _names_custom_object(value, custom_objects):
            out[key] = _instantiate(value, custom_objects)
        else:
            out[key] = _resolve_custom_objects(value, custom_objects)
    return out


def _names_custom_object(value: Any, custom_objects: Mapping[str, Any]) -> bool:
    if isinstance(value, str):
        return value in custom_objects
    return isinstance(value, dict) and value.get("class_name") in custom_objects


def _instantiate(value: Any, custom_objects: Mapping[str, Any]) -> Any:
    obj = deserialize_keras_object(value, {}, custom_objects, "custom object")
    # A class named by a bare string is built with its defaults, as `get` does.
    return obj() if isinstance(obj, type) else obj


# Training configs.

def training_config(model: Any) -> dict:
    """The `training_config` Keras 2 stores for a compiled model."""
    optimizer = model.optimizer
    return {
        "optimizer_config": {"class_name": type(optimizer).__name__,
                             "config": optimizer.get_config()},
        "loss": model.loss,
        "metrics": model._compile_args.get("metrics") or [],
        "weighted_metrics": model._compile_args.get("weighted_metrics"),
        "sample_weight_mode": model.sample_weight_mode,
        "loss_weights": model.loss_weights,
    }


#: tf.keras 2.x loss classes and the 2.2.4 function each one is with its defaults.
_LOSS_CLASSES = {
    "MeanSquaredError": "mean_squared_error",
    "MeanAbsoluteError": "mean_absolute_error",
    "MeanAbsolutePercentageError": "mean_absolute_percentage_error",
    "MeanSquaredLogarithmicError": "mean_squared_logarithmic_error",
    "Hinge": "hinge",
    "SquaredHinge": "squared_hinge",
    "CategoricalHinge": "categorical_hinge",
    "LogCosh": "logcosh",
    "KLDivergence": "kullback_leibler_divergence",
    "Poisson": "poisson",
    "CosineSimilarity": "cosine_proximity",
    "BinaryCrossentropy": "binary_crossentropy",
    "CategoricalCrossentropy": "categorical_crossentropy",
    "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
}
#: Loss-class config values that keep the plain function's meaning.
_NEUTRAL_LOSS_CONFIG = {"reduction": ("auto", "sum_over_batch_size"), "from_logits": (False,),
                        "label_smoothing": (0, 0.0), "axis": (-1,), "ignore_class": (None,)}
_IGNORED_LOSS_CONFIG = ("name", "fn", "dtype")
#: Optimizer config keys of tf.keras 2.11+ / Keras 3 that change nothing Keras 2.2.4 computes.
_DROPPED_OPTIMIZER_KEYS = ("name", "ema_momentum", "ema_overwrite_frequency", "jit_compile",
                           "is_legacy_optimizer")
#: Later optimizer settings, with the values that mean "off" (any other has no 2.2.4 equivalent).
_OFF_OPTIMIZER_VALUES = {"weight_decay": (None, 0, 0.0), "global_clipnorm": (None,),
                         "use_ema": (False,), "loss_scale_factor": (None,),
                         "gradient_accumulation_steps": (None,)}
#: The same, for settings of one optimizer class.
_OFF_OPTIMIZER_CLASS_VALUES = {"RMSprop": {"momentum": (0, 0.0), "centered": (False,)},
                               "Adagrad": {"initial_accumulator_value": (0, 0.0)}}


def compile_args(config: dict, custom_objects: Mapping[str, Any], output_names: list[str]
                 ) -> dict:
    """Turns a file's `training_config` into `Model.compile` arguments.

    # Arguments
        config: the decoded `training_config` (any Keras 2 or 3 version).
        custom_objects: user losses, metrics and optimizers by name.
        output_names: the model's outputs, for per-output metric lists.

    # Returns
        A dict of `compile` keyword arguments.

    # Raises
        ValueError: for a loss, metric or optimizer setting jeras cannot represent.
    """
    return {
        "optimizer": _optimizer(config["optimizer_config"], custom_objects),
        "loss": _loss(config.get("loss"), custom_objects),
        "metrics": _metrics(config.get("metrics"), custom_objects, output_names),
        "weighted_metrics": _metrics(config.get("weighted_metrics"), custom_objects,
                                     output_names),
        "loss_weights": config.get("loss_weights"),
        "sample_weight_mode": config.get("sample_weight_mode"),
    }


def _optimizer(config: dict, custom_objects: Mapping[str, Any]) -> Any:
    class_name = config["class_name"]
    if class_name in custom_objects:
        return optimizers_module.deserialize(config, custom_objects)
    # tf.keras 2.11+ registers its built-in optimizers as "Custom>Adam".
    class_name = class_name.removeprefix("Custom>")
    off_values = {**_OFF_OPTIMIZER_VALUES, **_OFF_OPTIMIZER_CLASS_VALUES.get(class_name, {})}
    settings = {}
    for key, value in config["config"].items():
        if key in _DROPPED_OPTIMIZER_KEYS or (key in ("clipnorm", "clipvalue") and value is None):
            continue
        if key in off_values:
            if value not in off_values[key]:
                raise ValueError(f"optimizer {class_name}: {key}={value!r} has no Keras 2.2.4 "
                                 "equivalent")
            continue
        settings[key] = value
    return optimizers_module.deserialize({"class_name": class_name, "config": settings},
                                         custom_objects)


def _loss(loss: Any, custom_objects: Mapping[str, Any]) -> Any:
    if isinstance(loss, list):
        return [_loss(item, custom_objects) for item in loss]
    if isinstance(loss, dict) and not ("class_name" in loss and "config" in loss):
        return {name: _loss(item, custom_objects) for name, item in loss.items()}
    if isinstance(loss, str):
        return custom_objects.get(loss) or losses_module.deserialize(loss)
    if isinstance(loss, dict):
        class_name = loss["class_name"]
        if class_name in custom_objects:
            return deserialize_keras_object(loss, {}, custom_objects, "loss")
        settings = loss["config"]
        name = _LOSS_CLASSES.get(class_name)
        if class_name == "LossFunctionWrapper" and isinstance(settings.get("fn"), str):
            name = settings["fn"]
        extra = {k: v for k, v in settings.items()
                 if k not in _IGNORED_LOSS_CONFIG
                 and v not in _NEUTRAL_LOSS_CONFIG.get(k, ())}
        if name is None or extra:
            raise ValueError(f"loss {class_name} with {extra or settings} has no Keras 2.2.4 "
                             "equivalent")
        return losses_module.deserialize(name)
    return loss


def _metrics(metrics: Any, custom_objects: Mapping[str, Any], output_names: list[str],
             prefix: str = "") -> Any:
    if metrics is None:
        return None
    if isinstance(metrics, dict):
        return {name: _metrics(items, custom_objects, output_names)
                for name, items in metrics.items()}
    if metrics and all(isinstance(m, list) for m in metrics):
        # tf.keras 2.x nests one list per output.
        if len(metrics) == 1:
            return _metrics(metrics[0], custom_objects, output_names)
        if len(metrics) == len(output_names):
            return {name: _metrics(items, custom_objects, output_names, prefix=f"{name}_")
                    for name, items in zip(output_names, metrics)}
    # tf.keras writes None for an output that has no metrics.
    return [_metric(m, custom_objects, prefix) for m in metrics if m is not None]


def _metric(metric: Any, custom_objects: Mapping[str, Any], prefix: str = "") -> Any:
    if isinstance(metric, str):
        return custom_objects.get(metric, metric)
    if isinstance(metric, dict) and "class_name" in metric:
        if metric["class_name"] in custom_objects:
            return deserialize_keras_object(metric, {}, custom_objects, "metric")
        settings = metric.get("config", {})
        if metric["class_name"] == "MeanMetricWrapper" and isinstance(settings.get("fn"), str):
            # 'acc'/'accuracy' keep resolving from the loss, as they did when saved;
            # tf.keras names a metric of one output '<output>_acc'.
            name = settings.get("name") or ""
            name = name[len(prefix):] if prefix and name.startswith(prefix) else name
            return name if name in ("acc", "accuracy") else settings["fn"]
        raise ValueError(f"metric {metric['class_name']!r} has no Keras 2.2.4 equivalent; pass "
                         "it in `custom_objects`")
    return metric
