"""`multi_gpu_model`: Keras 2.2.4's data-parallel replica, on `jeras.distribution`."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax


def multi_gpu_model(model: Any, gpus: int | list[int], cpu_merge: bool = True,
                    cpu_relocation: bool = False) -> Any:
    """Returns a model that trains `model` data-parallel over several local devices.

    As in Keras 2.2.4, the result wraps `model` (its inputs and outputs keep
    the template's names) and shares its weights, so training it trains the
    template. Where Keras 2.2.4 sliced each batch per GPU and concatenated
    the results on the CPU, here `fit`, `evaluate`, `predict` and the other
    training methods run under `jeras.distribution.DataParallel` over the
    chosen devices: XLA splits each batch and sums the gradients, and the
    updates equal those of one device.

    # Arguments
        model: a built model (the template).
        gpus: int >= 2, the number of local devices to use (the first
            `gpus` of `jax.local_devices()`), or a list of device ids.
        cpu_merge: accepted for Keras 2.2.4 scripts; XLA places the merge of
            the results itself.
        cpu_relocation: accepted for Keras 2.2.4 scripts; the weights are
            replicated by XLA wherever the template was built.

    # Returns
        A model sharing `model`'s weights; compile it before training. To
        save the weights, save either model: files hold the same values.

    # Raises
        ValueError: for `gpus` below 2, device ids that do not exist, fewer
            local devices than asked for, or a template not built yet.
        TypeError: for a `gpus`, `cpu_merge` or `cpu_relocation` of the wrong type.
    """
    # Imported here: the engine imports `jeras.utils`, which imports this module.
    from jeras import distribution as distribution_lib
    from jeras.engine.training import Model
    from jeras.layers import Activation, Input

    for name, value in (("cpu_merge", cpu_merge), ("cpu_relocation", cpu_relocation)):
        if not isinstance(value, bool):
            raise TypeError(f"multi_gpu_model: `{name}` must be a bool, got {value!r}")
    devices = _select_devices(gpus)
    if not model.built:
        raise ValueError(f"multi_gpu_model: model {model.name!r} is not built; give its first "
                         "layer an `input_shape` (or call `model.build()`) first")

    class DataParallelModel(Model):
        """A model whose training methods run under its `distribution`."""

    for method in _DISTRIBUTED_METHODS:
        if hasattr(Model, method):
            setattr(DataParallelModel, method, _in_scope(getattr(Model, method)))
    # Configs and files then name the class `Model`, so `load_model` rebuilds a
    # plain functional model of the same layers.
    DataParallelModel.__name__ = DataParallelModel.__qualname__ = "Model"

    inputs = [Input(batch_shape=shape, name=name)
              for shape, name in zip(model._input_shapes(), model.input_names)]
    outputs = model(inputs if len(inputs) > 1 else inputs[0])
    outputs = outputs if isinstance(outputs, list) else [outputs]
    # Identity layers give the outputs the template's names, as Keras 2.2.4's
    # merge layers did, so per-output losses and logs keep their keys.
    outputs = [Activation("linear", name=name)(o) for o, name in zip(outputs, model.output_names)]
    parallel = DataParallelModel(inputs, outputs if len(outputs) > 1 else outputs[0])
    parallel.distribution = distribution_lib.DataParallel(devices)
    return parallel


#: The methods that run under the parallel model's distribution.
_DISTRIBUTED_METHODS = ("fit", "evaluate", "predict", "train_on_batch", "test_on_batch",
                        "predict_on_batch", "fit_generator", "evaluate_generator",
                        "predict_generator")


def _in_scope(method: Callable) -> Callable:
    @functools.wraps(method)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        with self.distribution.scope():
            return method(self, *args, **kwargs)
    return run


def _select_devices(gpus: Any) -> list:
    """The local devices `gpus` names, as Keras 2.2.4 reads the argument."""
    available = jax.local_devices()
    if isinstance(gpus, (list, tuple)):
        if not all(isinstance(g, int) and not isinstance(g, bool) for g in gpus):
            raise TypeError(f"multi_gpu_model: `gpus` must be an int or a list of device ids, "
                            f"got {gpus!r}")
        ids = list(gpus)
    elif isinstance(gpus, int) and not isinstance(gpus, bool):
        ids = [d.id for d in available[:gpus]] if gpus <= len(available) else list(range(gpus))
    else:
        raise TypeError(f"multi_gpu_model: `gpus` must be an int or a list of device ids, "
                        f"got {gpus!r}")
    if len(ids) <= 1:
        raise ValueError(f"multi_gpu_model: for multi-device usage to be effective, call it "
                         f"with `gpus >= 2`; received `gpus={gpus!r}`")
    by_id = {d.id: d for d in available}
    missing = [i for i in ids if i not in by_id]
    if missing or len(set(ids)) != len(ids):
        raise ValueError(f"multi_gpu_model: `gpus={gpus!r}` needs {len(ids)} distinct local "
                         f"devices with ids {ids}, but this machine has only {len(available)} "
                         f"({[str(d) for d in available]}); try reducing `gpus`")
    return [by_id[i] for i in ids]
