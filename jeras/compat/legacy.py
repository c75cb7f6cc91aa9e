r"""`keras.legacy.interfaces`: Keras 1 argument names, turned into Keras 2 ones.

Keras 2.2.4 wrapped its layer constructors (and a few methods) in decorators
that accept the Keras 1 spelling of arguments (`Dense(output_dim=...)`,
`Conv2D(nb_filter, nb_row, nb_col, border_mode=..., dim_ordering='th')`,
`LSTM(consume_less='gpu')`...), rename them to their Keras 2 names and warn
`Update your \`Dense\` call to the Keras 2 API: ...`. jeras's layers are
wrapped in the same decorators, defined here, so a legacy-argument layer has
the same config as one built with Keras 2 names. Custom layers written for
Keras 2 may wrap their own methods with them too.
"""
from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

# A preprocessor takes (args, kwargs) and gives (args, kwargs, converted), where
# `converted` lists the (new, old) argument names it rewrote, for the warning.
Preprocessor = Callable[[tuple, dict], tuple[tuple, dict, list]]

_DIM_ORDERING = {"dim_ordering": {"tf": "channels_last", "th": "channels_first",
                                  "default": None}}


def _shown(value: Any) -> str:
    """A value as the update warning shows it: strings quoted, others cut at 10 characters."""
    if isinstance(value, str):
        return f'"{value}"'
    text = "array" if isinstance(value, np.ndarray) else str(value)
    return text if len(text) <= 10 else text[:10] + "..."


def _keras2_call(name: str, args: Sequence, kwargs: dict) -> str:
    parts = [_shown(a) for a in args] + [f"{k}={_shown(v)}" for k, v in kwargs.items()]
    return f"`{name}({', '.join(parts)})`"


def raise_duplicate_arg_error(old_arg: str, new_arg: str) -> None:
    """Raises the TypeError for a call that passes both `old_arg` and its Keras 2 name."""
    raise TypeError(f"For the `{new_arg}` argument, the layer received both the legacy "
                    f"keyword argument `{old_arg}` and the Keras 2 keyword argument "
                    f"`{new_arg}`. Stick to the latter!")


def generate_legacy_interface(allowed_positional_args: Sequence[str] | None = None,
                              conversions: Sequence[tuple[str, str]] | None = None,
                              preprocessor: Preprocessor | None = None,
                              value_conversions: dict[str, dict] | None = None,
                              object_type: str = "class") -> Callable[[Callable], Callable]:
    r"""A decorator that turns Keras 1 arguments of a method into Keras 2 ones.

    # Arguments
        allowed_positional_args: the names that may be passed positionally
            (after `self`); None means any number.
        conversions: `(old_name, new_name)` keyword renames.
        preprocessor: a function `(args, kwargs) -> (args, kwargs, converted)`
            run first, for conversions a rename cannot express.
        value_conversions: `{old_name: {old_value: new_value}}`, applied
            before the renames.
        object_type: `'class'` names the warning after `self`'s class,
            `'method'` after the function.

    # Returns
        The decorator. A call that converted anything warns
        `Update your \`Name\` call to the Keras 2 API: \`Name(...)\``.
    """
    renames = list(conversions or [])
    values = dict(value_conversions or {})
    max_positional = None if allowed_positional_args is None else len(allowed_positional_args)

    def legacy_support(func: Callable) -> Callable:
        try:
            positional = [p.name for p in inspect.signature(func).parameters.values()
                          if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        except (TypeError, ValueError):
            positional = []

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            name = type(args[0]).__name__ if object_type == "class" else func.__name__
            converted: list = []
            if preprocessor is not None:
                args, kwargs, converted = preprocessor(args, kwargs)
            if max_positional is not None and len(args) > max_positional + 1:
                raise TypeError(f"`{name}` can accept only {max_positional} positional "
                                f"arguments {tuple(allowed_positional_args)}, but you passed "
                                f"the following positional arguments: {list(args[1:])}")
            for key, table in values.items():
                if key in kwargs:
                    try:
                        kwargs[key] = table.get(kwargs[key], kwargs[key])
                    except TypeError:  # an unhashable value: not a Keras 1 one
                        pass
            for old, new in renames:
                if old in kwargs:
                    if new in kwargs or new in positional[:len(args)]:
                        raise_duplicate_arg_error(old, new)
                    kwargs[new] = kwargs.pop(old)
                    converted.append((new, old))
            if converted:
                warnings.warn(f"Update your `{name}` call to the Keras 2 API: "
                              f"{_keras2_call(name, args[1:], kwargs)}", stacklevel=2)
            return func(*args, **kwargs)

        wrapper._original_function = func  # type: ignore[attr-defined]
        return wrapper

    return legacy_support


generate_legacy_method_interface = functools.partial(generate_legacy_interface,
                                                     object_type="method")

_DENSE_WEIGHTS = [("init", "kernel_initializer"),
                  ("W_regularizer", "kernel_regularizer"),
                  ("b_regularizer", "bias_regularizer"),
                  ("W_constraint", "kernel_constraint"),
                  ("b_constraint", "bias_constraint"),
                  ("bias", "use_bias")]
_CONV_NAMES = [("nb_filter", "filters"), ("subsample", "strides"), ("border_mode", "padding"),
               ("dim_ordering", "data_format")]


# Core, embedding, noise, advanced activations.

legacy_dense_support = generate_legacy_interface(
    allowed_positional_args=["units"],
    conversions=[("output_dim", "units"), *_DENSE_WEIGHTS])

legacy_dropout_support = generate_legacy_interface(
    allowed_positional_args=["rate", "noise_shape", "seed"], conversions=[("p", "rate")])


def embedding_kwargs_preprocessor(args: tuple, kwargs: dict) -> tuple[tuple, dict, list]:
    """Keras 1's `Embedding(dropout=...)` is gone: dropped, with a warning."""
    if "dropout" in kwargs:
        kwargs.pop("dropout")
        warnings.warn("The `dropout` argument is no longer support in `Embedding`. You can "
                      "apply a `keras.layers.SpatialDropout1D` layer right after the "
                      "`Embedding` layer to get the same behavior.", stacklevel=3)
    return args, kwargs, []


legacy_embedding_support = generate_legacy_interface(
    allowed_positional_args=["input_dim", "output_dim"],
    conversions=[("init", "embeddings_initializer"),
                 ("W_regularizer", "embeddings_regularizer"),
                 ("W_constraint", "embeddings_constraint")],
    preprocessor=embedding_kwargs_preprocessor)

legacy_prelu_support = generate_legacy_interface(
    allowed_positional_args=["alpha_initializer"], conversions=[("init", "alpha_initializer")])

legacy_gaussiannoise_support = generate_legacy_interface(
    allowed_positional_args=["stddev"], conversions=[("sigma", "stddev")])

legacy_gaussiandropout_support = generate_legacy_interface(
    allowed_positional_args=["rate"], conversions=[("p", "rate")])

legacy_spatialdropout1d_support = generate_legacy_interface(
    allowed_positional_args=["rate"], conversions=[("p", "rate")])

legacy_spatialdropoutNd_support = generate_legacy_interface(
    allowed_positional_args=["rate"],
    conversions=[("p", "rate"), ("dim_ordering", "data_format")],
    value_conversions=_DIM_ORDERING)

legacy_lambda_support = generate_legacy_interface(
    allowed_positional_args=["function", "output_shape"])


# Recurrent.

def _input_dim_to_shape(kwargs: dict) -> bool:
    """`input_dim` (and `input_length`) -> `input_shape=(input_length, input_dim)`."""
    if "input_dim" not in kwargs:
        return False
    length = kwargs.pop("input_length", None)
    kwargs["input_shape"] = (length, kwargs.pop("input_dim"))
    return True


def _forget_bias_init(kwargs: dict) -> list:
    if "forget_bias_init" not in kwargs:
        return []
    if kwargs.pop("forget_bias_init") == "one":
        kwargs["unit_forget_bias"] = True
        return [("forget_bias_init", "unit_forget_bias")]
    warnings.warn("The `forget_bias_init` argument has been ignored. Use "
                  "`unit_forget_bias=True` instead to initialize with ones.", stacklevel=4)
    return []


def recurrent_args_preprocessor(args: tuple, kwargs: dict) -> tuple[tuple, dict, list]:
    """`forget_bias_init='one'` -> `unit_forget_bias=True`; `input_dim` -> `input_shape`."""
    converted = _forget_bias_init(kwargs)
    if _input_dim_to_shape(kwargs):
        converted.append(("input_dim", "input_shape"))
        warnings.warn("The `input_dim` and `input_length` arguments in recurrent layers are "
                      "deprecated. Use `input_shape` instead.", stacklevel=3)
    return args, kwargs, converted


legacy_recurrent_support = generate_legacy_interface(
    allowed_positional_args=["units"],
    conversions=[("output_dim", "units"),
                 ("init", "kernel_initializer"),
                 ("inner_init", "recurrent_initializer"),
                 ("inner_activation", "recurrent_activation"),
                 ("W_regularizer", "kernel_regularizer"),
                 ("b_regularizer", "bias_regularizer"),
                 ("U_regularizer", "recurrent_regularizer"),
                 ("dropout_W", "dropout"),
                 ("dropout_U", "recurrent_dropout"),
                 ("consume_less", "implementation")],
    value_conversions={"consume_less": {"cpu": 0, "mem": 1, "gpu": 2}},
    preprocessor=recurrent_args_preprocessor)


# Pooling, upsampling, padding, cropping.

legacy_pooling1d_support = generate_legacy_interface(
    allowed_positional_args=["pool_size", "strides", "padding"],
    conversions=[("pool_length", "pool_size"), ("stride", "strides"),
                 ("border_mode", "padding")])

legacy_pooling2d_support = generate_legacy_interface(
    allowed_positional_args=["pool_size", "strides", "padding"],
    conversions=[("border_mode", "padding"), ("dim_ordering", "data_format")],
    value_conversions=_DIM_ORDERING)

legacy_pooling3d_support = legacy_pooling2d_support

legacy_global_pooling_support = generate_legacy_interface(
    conversions=[("dim_ordering", "data_format")], value_conversions=_DIM_ORDERING)

legacy_upsampling1d_support = generate_legacy_interface(
    allowed_positional_args=["size"], conversions=[("length", "size")])

legacy_upsampling2d_support = generate_legacy_interface(
    allowed_positional_args=["size"], conversions=[("dim_ordering", "data_format")],
    value_conversions=_DIM_ORDERING)

legacy_upsampling3d_support = legacy_upsampling2d_support


def _pad_dict(padding: Any) -> Any:
    """Keras 1's `{'top_pad': .., 'bottom_pad': .., 'left_pad': .., 'right_pad': ..}`."""
    keys = {"top_pad", "bottom_pad", "left_pad", "right_pad"}
    if not (isinstance(padding, dict) and set(padding) <= keys):
        return padding
    warnings.warn("The `padding` argument in the Keras 2 API no longer accepts dict types. "
                  "You can now input argument as: "
                  "`padding=((top_pad, bottom_pad), (left_pad, right_pad))`.", stacklevel=4)
    get = padding.get
    return ((get("top_pad", 0), get("bottom_pad", 0)), (get("left_pad", 0), get("right_pad", 0)))


def zeropadding2d_args_preprocessor(args: tuple, kwargs: dict) -> tuple[tuple, dict, list]:
    """A Keras 1 padding dict -> `((top, bottom), (left, right))`."""
    if "padding" in kwargs:
        kwargs["padding"] = _pad_dict(kwargs["padding"])
    elif len(args) == 2:
        args = (args[0], _pad_dict(args[1]))
    return args, kwargs, []


legacy_zeropadding2d_support = generate_legacy_interface(
    allowed_positional_args=["padding"], conversions=[("dim_ordering", "data_format")],
    value_conversions=_DIM_ORDERING, preprocessor=zeropadding2d_args_preprocessor)

legacy_zeropadding3d_support = generate_legacy_interface(
    allowed_positional_args=["padding"], conversions=[("dim_ordering", "data_format")],
    value_conversions=_DIM_ORDERING)

legacy_cropping2d_support = generate_legacy_interface(
    allowed_positional_args=["cropping"], conversions=[("dim_ordering", "data_format")],
    value_conversions=_DIM_ORDERING)

legacy_cropping3d_support = legacy_cropping2d_support


# Convolutions.

def conv1d_args_preprocessor(args: tuple, kwargs: dict) -> tuple[tuple, dict, list]:
    """`input_dim` (and `input_length`) -> `input_shape`."""
    if _input_dim_to_shape(kwargs):
        return args, kwargs, [("input_shape", "input_dim")]
    return args, kwargs, []


def _refuse_int_strides(kwargs: dict) -> None:
    if any(k in kwargs for k in ("padding", "strides", "data_format")):
        raise ValueError("It seems that you are using the Keras 2 and you are passing both "
                         "`kernel_size` and `strides` as integer positional arguments. For "
                         "safety reasons, this is disallowed. Pass `strides` as a keyword "
                         "argument instead.")


def _kernel_from_dims(args: tuple, kwargs: dict, names: Sequence[str],
                      label: str) -> tuple[tuple, dict, list]:
    """Keras 1's per-dimension kernel sizes (`nb_row, nb_col` or `kernel_dim1..3`).

    `args` is `(self, filters, *sizes)`: the sizes passed positionally come
    first, the rest from `names` in `kwargs`. All sizes given positionally
    must be ints (Keras 2 would read the last as strides); that call is then
    refused when Keras 2's `padding`, `strides` or `data_format` is passed too.
    """
    rank = len(names)
    if len(args) > rank + 2:
        raise TypeError(f"Layer can receive at most {rank + 1} positional arguments.")
    if len(args) == 1:
        if all(n in kwargs for n in names):
            kwargs["kernel_size"] = tuple(kwargs.pop(n) for n in names)
            return args, kwargs, [("kernel_size", label)]
        return args, kwargs, []
    given = list(args[2:])
    rest = names[len(given):]
    if len(given) == 2 and all(isinstance(d, int) for d in given):
        # Keras 2's `Conv2D(filters, kernel, stride)` would look the same.
        _refuse_int_strides(kwargs)
    if rank == 2 and given and not isinstance(given[0], int):
        return args, kwargs, []
    if not all(n in kwargs for n in rest) or (rank == 3 and len(given) == 3 and
                                              not all(isinstance(d, int) for d in given)):
        return args, kwargs, []
    size = tuple(given) + tuple(kwargs.pop(n) for n in rest)
    return (args[0], args[1], size), kwargs, [("kernel_size", label)]


def conv2d_args_preprocessor(args: tuple, kwargs: dict) -> tuple[tuple, dict, list]:
    """`(filters, nb_row, nb_col)` or `nb_row=`/`nb_col=` -> `kernel_size=(nb_row, nb_col)`."""
    return _kernel_from_dims(tuple(args), kwargs, ("nb_row", "nb_col"), "nb_row/nb_col")


def conv3d_args_preprocessor(args: tuple, kwargs: dict) -> tuple[tuple, dict, list]:
    """`(filters, d1, d2, d3)` or `kernel_dim1..3=` -> `kernel_size=(d1, d2, d3)`."""
    return _kernel_from_dims(tuple(args), kwargs, ("kernel_dim1", "kernel_dim2", "kernel_dim3"),
                             "kernel_dim*")


legacy_conv1d_support = generate_legacy_interface(
    allowed_positional_args=["filters", "kernel_size"],
    conversions=[("nb_filter", "filters"), ("filter_length", "kernel_size"),
                 ("subsample_length", "strides"), ("border_mode", "padding"),
                 *_DENSE_WEIGHTS],
    preprocessor=conv1d_args_preprocessor)

legacy_conv2d_support = generate_legacy_interface(
    allowed_positional_args=["filters", "kernel_size"],
    conversions=[*_CONV_NAMES, *_DENSE_WEIGHTS], value_conversions=_DIM_ORDERING,
    preprocessor=conv2d_args_preprocessor)

legacy_conv3d_support = generate_legacy_interface(
    allowed_positional_args=["filters", "kernel_size"],
    conversions=[*_CONV_NAMES, *_DENSE_WEIGHTS], value_conversions=_DIM_ORDERING,
    preprocessor=conv3d_args_preprocessor)


def separable_conv2d_args_preprocessor(args: tuple, kwargs: dict) -> tuple[tuple, dict, list]:
    """`init` -> both `depthwise_initializer` and `pointwise_initializer`; then as Conv2D."""
    converted = []
    if "init" in kwargs:
        init = kwargs.pop("init")
        kwargs["depthwise_initializer"] = init
        kwargs["pointwise_initializer"] = init
        converted.append(("init", "depthwise_initializer/pointwise_initializer"))
    args, kwargs, more = conv2d_args_preprocessor(args, kwargs)
    return args, kwargs, converted + more


legacy_separable_conv2d_support = generate_legacy_interface(
    allowed_positional_args=["filters", "kernel_size"],
    conversions=[*_CONV_NAMES, ("b_regularizer", "bias_regularizer"),
                 ("b_constraint", "bias_constraint"), ("bias", "use_bias")],
    value_conversions=_DIM_ORDERING, preprocessor=separable_conv2d_args_preprocessor)


def deconv2d_args_preprocessor(args: tuple, kwargs: dict) -> tuple[tuple, dict, list]:
    """Keras 1's `output_shape` (positional fifth, or keyword) is dropped; then as Conv2D."""
    converted = []
    if len(args) == 5 and isinstance(args[4], tuple):
        args = tuple(args[:-1])
        converted.append(("output_shape", None))
    if "output_shape" in kwargs:
        kwargs.pop("output_shape")
        converted.append(("output_shape", None))
    args, kwargs, more = conv2d_args_preprocessor(args, kwargs)
    return args, kwargs, converted + more


legacy_deconv2d_support = generate_legacy_interface(
    allowed_positional_args=["filters", "kernel_size"],
    conversions=[*_CONV_NAMES, *_DENSE_WEIGHTS], value_conversions=_DIM_ORDERING,
    preprocessor=deconv2d_args_preprocessor)


def convlstm2d_args_preprocessor(args: tuple, kwargs: dict) -> tuple[tuple, dict, list]:
    """`forget_bias_init='one'` -> `unit_forget_bias=True`; then as Conv2D."""
    converted = _forget_bias_init(kwargs)
    args, kwargs, more = conv2d_args_preprocessor(args, kwargs)
    return args, kwargs, converted + more


legacy_convlstm2d_support = generate_legacy_interface(
    allowed_positional_args=["filters", "kernel_size"],
    conversions=[*_CONV_NAMES,
                 ("init", "kernel_initializer"),
                 ("inner_init", "recurrent_initializer"),
                 ("W_regularizer", "kernel_regularizer"),
                 ("U_regularizer", "recurrent_regularizer"),
                 ("b_regularizer", "bias_regularizer"),
                 ("inner_activation", "recurrent_activation"),
                 ("dropout_W", "dropout"),
                 ("dropout_U", "recurrent_dropout"),
                 ("bias", "use_bias")],
    value_conversions=_DIM_ORDERING, preprocessor=convlstm2d_args_preprocessor)


def batchnorm_args_preprocessor(args: tuple, kwargs: dict) -> tuple[tuple, dict, list]:
    """Keras 1's `mode=0` is dropped; other modes no longer exist."""
    if len(args) > 1:
        raise TypeError("The `BatchNormalization` layer does not accept positional arguments. "
                        "Use keyword arguments instead.")
    if "mode" in kwargs:
        if kwargs.pop("mode") != 0:
            raise TypeError("The `mode` argument of `BatchNormalization` no longer exists. "
                            "`mode=1` and `mode=2` are no longer supported.")
        return args, kwargs, [("mode", None)]
    return args, kwargs, []


legacy_batchnorm_support = generate_legacy_interface(
    allowed_positional_args=[],
    conversions=[("beta_init", "beta_initializer"), ("gamma_init", "gamma_initializer")],
    preprocessor=batchnorm_args_preprocessor)


# Models and optimizers.

def generator_methods_args_preprocessor(args: tuple, kwargs: dict) -> tuple[tuple, dict, list]:
    """`samples_per_epoch` -> `steps_per_epoch` (divided by the generator's `batch_size`)."""
    converted = []
    if len(args) < 3 and "samples_per_epoch" in kwargs:
        samples = kwargs.pop("samples_per_epoch")
        generator = args[1] if len(args) > 1 else kwargs["generator"]
        batch_size = getattr(generator, "batch_size", None)
        kwargs["steps_per_epoch"] = samples // batch_size if batch_size else samples
        converted.append(("samples_per_epoch", "steps_per_epoch"))
    if {"samples_per_epoch", "val_samples", "nb_epoch", "nb_val_samples",
            "nb_worker"} & set(kwargs):
        warnings.warn("The semantics of the Keras 2 argument `steps_per_epoch` is not the same "
                      "as the Keras 1 argument `samples_per_epoch`. `steps_per_epoch` is the "
                      "number of batches to draw from the generator at each epoch. Basically "
                      "steps_per_epoch = samples_per_epoch/batch_size. Similarly "
                      "`nb_val_samples`->`validation_steps` and `val_samples`->`steps` "
                      "arguments have changed. Update your method calls accordingly.",
                      stacklevel=3)
    return args, kwargs, converted


legacy_generator_methods_support = generate_legacy_method_interface(
    allowed_positional_args=["generator", "steps_per_epoch", "epochs"],
    conversions=[("samples_per_epoch", "steps_per_epoch"),
                 ("val_samples", "steps"),
                 ("nb_epoch", "epochs"),
                 ("nb_val_samples", "validation_steps"),
                 ("nb_worker", "workers"),
                 ("pickle_safe", "use_multiprocessing"),
                 ("max_q_size", "max_queue_size")],
    preprocessor=generator_methods_args_preprocessor)

legacy_model_constructor_support = generate_legacy_interface(
    conversions=[("input", "inputs"), ("output", "outputs")])

legacy_input_support = generate_legacy_interface(conversions=[("input_dtype", "dtype")])


def add_weight_args_preprocessing(args: tuple, kwargs: dict) -> tuple[tuple, dict, list]:
    """Keras 1's `add_weight(shape, name, ...)` order -> keywords."""
    if len(args) > 1 and isinstance(args[1], (tuple, list)):
        kwargs["shape"] = args[1]
        args = (args[0],) + tuple(args[2:])
        if len(args) > 1 and isinstance(args[1], str):
            kwargs["name"] = args[1]
            args = (args[0],) + tuple(args[2:])
    return args, kwargs, []


legacy_add_weight_support = generate_legacy_interface(
    allowed_positional_args=["name", "shape"], preprocessor=add_weight_args_preprocessing)


def get_updates_arg_preprocessing(args: tuple, kwargs: dict) -> tuple[tuple, dict, list]:
    """Keras 1's `get_updates(params, constraints, loss)` -> `get_updates(loss=, params=)`."""
    if len(args) > 4:
        raise TypeError("`get_update` call received more arguments than expected.")
    if len(args) == 4:
        opt, params, _, loss = args
        kwargs["loss"] = loss
        kwargs["params"] = params
        return (opt,), kwargs, []
    if len(args) == 3 and isinstance(args[1], (list, tuple)):
        if not isinstance(args[2], dict) or "loss" not in kwargs:
            raise TypeError("`get_updates(params, constraints, loss=...)`: the constraints "
                            "must be a dict and `loss` a keyword")
        kwargs["params"] = args[1]
        return (args[0],), kwargs, []
    return args, kwargs, []


legacy_get_updates_support = generate_legacy_interface(
    preprocessor=get_updates_arg_preprocessing)


def _unchanged(func: Callable) -> Callable:
    return func


def __getattr__(name: str) -> Callable[[Callable], Callable]:
    # Any other `legacy_<what>_support` of Keras 2.2.4 leaves the function as it is.
    if name.startswith("legacy_") and name.endswith("_support"):
        return _unchanged
    raise AttributeError(f"module 'keras.legacy.interfaces' has no attribute {name!r}")
