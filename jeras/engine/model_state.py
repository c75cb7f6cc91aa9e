"""The one state a model owns: its layers' values, the optimizer slots, the step and the RNG.

A model's `_state` is a `ModelState` pytree and the single place where the
values live: a layer's `_values` reads and writes its entry there, the
optimizer's `state` is its `opt_state`, and the train step advances `step`.

# Which model owns a layer

The first model built over a layer owns its values (`claim`): a layer shared
by two models, like a GAN's discriminator inside the combined model, keeps
its values in the state of the model it was first part of, and the second
model reads and writes them there through the layer. So the values are never
held twice, and training either model moves the one copy. A layer in no
model keeps its values itself.

Composite layers (a nested model, a wrapper) hold no values of their own:
their `_values` is the concatenation of their parts', so ownership is given
to the parts (`storage_leaves`).
"""
from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp


class ModelState(NamedTuple):
    """Everything a model's training changes, in one pytree.

    # Fields
        values: one list of arrays per layer the model owns, in claim order
            (a layer's `_home` says which entry is its own).
        opt_state: the optimizer's slots for the model's trainable weights,
            None before the model is compiled and built.
        step: the number of training batches run, an int32 scalar.
        seed: the seed the train steps' random keys come from (drawn from
            numpy's global RNG by `fit`, as Keras 2 scripts seed it), None
            before the first training.
    """
    values: list
    opt_state: Any
    step: Any
    seed: Any


def empty_state() -> ModelState:
    """The state of a model that owns nothing yet."""
    return ModelState([], None, jnp.zeros((), jnp.int32), None)


def seeded(state: ModelState, seed: int) -> ModelState:
    """`state` with a new seed for the train steps' random keys.

    The step count and seed are device arrays from the start, as the train step
    returns them, so the step compiles once.
    """
    return state._replace(seed=jnp.asarray(seed, jnp.int32))


def storage_leaves(layer: Any) -> list:
    """The layers under `layer` that hold values themselves, in weight order."""
    parts = layer._storage_parts()
    if parts is None:
        return [layer]
    return [leaf for part in parts for leaf in storage_leaves(part)]


def claim(model: Any, layers: list) -> None:
    """Makes `model` the owner of the values of those of `layers`' leaves no model owns."""
    values = model._state.values
    for layer in layers:
        for leaf in storage_leaves(layer):
            if leaf.__dict__.get("_home") is None:
                values.append(leaf.__dict__.pop("_own_values", []))
                leaf.__dict__["_home"] = (model, len(values) - 1)


def release(model: Any, layer: Any) -> None:
    """Gives the leaves of `layer` that `model` owns their values back (`Sequential.pop`)."""
    for leaf in storage_leaves(layer):
        home = leaf.__dict__.get("_home")
        if home is not None and home[0] is model:
            values = model._state.values
            leaf.__dict__["_own_values"] = values[home[1]]
            values[home[1]] = []
            del leaf.__dict__["_home"]
