"""Built-in optimizers: Keras 2.2.4's classes around pure (init, update) pairs.

A class holds configuration and the hyper-parameters a callback may change
(`opt.lr`, `opt.decay`, ...) as host `K.Variable`s. The arithmetic lives in
pure functions in the Optax style: small gradient transforms (`clipnorm`,
`clipvalue`, `decay`) chained in front of one update rule per algorithm. The
engine compiles `update(grads, state, params, hyper)` once and passes
`hyper_values()` in on every call, so setting `opt.lr` never recompiles.

The state is a NamedTuple pytree holding the step counter and the slots;
`get_weights()` lists it in Keras 2.2.4's order so optimizer weights move
between jeras and Keras files unchanged.
"""
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jeras import backend as K
from jeras.utils.generic_utils import deserialize_keras_object, serialize_keras_object

Hyper = dict[str, Any]
"""Hyper-parameter name -> float32 scalar, as `Optimizer.hyper_values()` returns."""

Preprocess = Callable[[list, Hyper, jax.Array], tuple[list, Hyper]]
"""A stateless transform `(grads, hyper, iterations) -> (grads, hyper)` run before a rule."""


class Transform(NamedTuple):
    """A pure `(init, update)` pair, as Optax's `GradientTransformation`.

    Unlike Optax, `update` returns new parameters rather than increments: the
    Keras rules write `p - ...` directly, and SGD's velocity folds the
    learning rate into its slot, so the rate is no final scale.

    # Arguments
        init: `init(params) -> state`.
        update: `update(grads, state, params, hyper) -> (new_params, new_state)`.
    """
    init: Callable[[list], Any]
    update: Callable[[list, Any, list, Hyper], tuple[list, Any]]


# States. Each holds the step counter, even where Keras 2.2.4 does not save it,
# because decay reads it.

class SGDState(NamedTuple):
    iterations: jax.Array
    moments: list


class RMSpropState(NamedTuple):
    iterations: jax.Array
    accumulators: list


class AdagradState(NamedTuple):
    iterations: jax.Array
    accumulators: list


class AdadeltaState(NamedTuple):
    iterations: jax.Array
    accumulators: list
    delta_accumulators: list


class AdamState(NamedTuple):
    iterations: jax.Array
    m: list
    v: list
    vhat: list


class AdamaxState(NamedTuple):
    iterations: jax.Array
    m: list
    u: list


class NadamState(NamedTuple):
    iterations: jax.Array
    m_schedule: jax.Array
    m: list
    v: list


State = (SGDState | RMSpropState | AdagradState | AdadeltaState | AdamState | AdamaxState
         | NadamState)


def _count_dtype() -> np.dtype:
    # int64 as in Keras 2.2.4 when x64 is enabled, int32 otherwise.
    return jax.dtypes.canonicalize_dtype(np.int64)


def _new_count() -> jax.Array:
    return jnp.zeros((), _count_dtype())


def _increment(count: jax.Array) -> jax.Array:
    # Saturate rather than wrap: an int32 counter must never turn negative.
    return jnp.where(count < jnp.iinfo(count.dtype).max, count + 1, count)


def _step_number(count: jax.Array) -> jax.Array:
    """`t = iterations + 1` as a float32, the Keras 2.2.4 bias-correction step."""
    return count.astype(jnp.float32) + 1.0


def _zeros_like(params: list) -> list:
    return [jnp.zeros(jnp.shape(p), jnp.result_type(p)) for p in params]


# Gradient transforms.

def clip_by_global_norm(clipnorm: float) -> Preprocess:
    """Rescales all gradients together when their global L2 norm reaches `clipnorm`.

    Keras 2.2.4 rule: `n = sqrt(sum(sum(g**2)))`; `g <- g * clipnorm / n` where
    `n >= clipnorm`, else `g` unchanged.

    # Arguments
        clipnorm: float > 0.

    # Returns
        A `Preprocess` function.
    """
    def fn(grads: list, hyper: Hyper, iterations: jax.Array) -> tuple[list, Hyper]:
        del iterations
        norm = jnp.sqrt(sum(jnp.sum(jnp.square(g)) for g in grads))
        # Select, not multiply by clipnorm / max(n, clipnorm): below the
        # threshold the gradients then pass through bit for bit.
        scale = jnp.where(norm >= clipnorm, clipnorm / norm, 1.0)
        return [g * scale for g in grads], hyper
    return fn


def clip_by_value(clipvalue: float) -> Preprocess:
    """Clips every gradient element to `[-clipvalue, clipvalue]`.

    # Arguments
        clipvalue: float > 0.

    # Returns
        A `Preprocess` function.
    """
    def fn(grads: list, hyper: Hyper, iterations: jax.Array) -> tuple[list, Hyper]:
        del iterations
        return [jnp.clip(g, -clipvalue, clipvalue) for g in grads], hyper
    return fn


def inverse_time_decay() -> Preprocess:
    """Replaces `hyper['lr']` by the decayed rate of this step.

    Keras 2.2.4 rule: `lr <- lr * (1 / (1 + decay * k))`, `k` the number of
    updates already made. With `decay == 0` the rate is left exactly as is.

    # Returns
        A `Preprocess` function reading `hyper['lr']` and `hyper['decay']`.
    """
    def fn(grads: list, hyper: Hyper, iterations: jax.Array) -> tuple[list, Hyper]:
        k = iterations.astype(jnp.float32)
        lr = hyper["lr"] * (1.0 / (1.0 + hyper["decay"] * k))
        return grads, {**hyper, "lr": lr}
    return fn


def chain(*preprocess: Preprocess, rule: Transform) -> Transform:
    """Runs the gradient transforms in order, then the update rule.

    # Arguments
        *preprocess: `Preprocess` functions, applied first to last.
        rule: the `Transform` that makes the new parameters and state.

    # Returns
        A `Transform` whose state is the rule's state.

    # Raises
        ValueError (from `update`): if grads and params differ in length.
    """
    def update(grads: list, state: Any, params: list, hyper: Hyper) -> tuple[list, Any]:
        if len(grads) != len(params):
            raise ValueError(
                f"update: expected one gradient per parameter ({len(params)}), "
                f"got {len(grads)} gradients")
        grads = list(grads)
        for fn in preprocess:
            grads, hyper = fn(grads, hyper, state.iterations)
        new_params, new_state = rule.update(grads, state, list(params), hyper)
        # Float32 hyper-parameters enter the arithmetic; casting back keeps each
        # leaf's dtype, so a compiled step sees the same signature every call.
        new_params = [n.astype(jnp.result_type(p)) for n, p in zip(new_params, params, strict=True)]
        new_state = jax.tree.map(lambda n, o: n.astype(o.dtype), new_state, state)
        return new_params, new_state
    return Transform(rule.init, update)


# Update rules, one per algorithm, after the Keras 2.2.4 formulas.

def sgd_rule(nesterov: bool) -> Transform:
    """SGD with momentum: `v = momentum * v - lr * g`, then `p += v`, or with
    `nesterov` `p += momentum * v - lr * g`. Reads `hyper['lr', 'momentum']`.

    # Arguments
        nesterov: boolean, static.

    # Returns
        A `Transform` with `SGDState`.
    """
    def init(params: list) -> SGDState:
        return SGDState(_new_count(), _zeros_like(params))

    def update(grads, state, params, hyper):
        lr, momentum = hyper["lr"], hyper["momentum"]
        new_params, moments = [], []
        for p, g, m in zip(params, grads, state.moments, strict=True):
            v = momentum * m - lr * g
            moments.append(v)
            new_params.append(p + momentum * v - lr * g if nesterov else p + v)
        return new_params, SGDState(_increment(state.iterations), moments)
    return Transform(init, update)


def rmsprop_rule(epsilon: float) -> Transform:
    """RMSprop: `a = rho * a + (1 - rho) * g**2`, `p -= lr * g / (sqrt(a) + epsilon)`.
    Reads `hyper['lr', 'rho']`.

    # Arguments
        epsilon: float, static.

    # Returns
        A `Transform` with `RMSpropState`.
    """
    def init(params: list) -> RMSpropState:
        return RMSpropState(_new_count(), _zeros_like(params))

    def update(grads, state, params, hyper):
        lr, rho = hyper["lr"], hyper["rho"]
        new_params, accumulators = [], []
        for p, g, a in zip(params, grads, state.accumulators, strict=True):
            new_a = rho * a + (1.0 - rho) * jnp.square(g)
            accumulators.append(new_a)
            new_params.append(p - lr * g / (jnp.sqrt(new_a) + epsilon))
        return new_params, RMSpropState(_increment(state.iterations), accumulators)
    return Transform(init, update)


def adagrad_rule(epsilon: float) -> Transform:
    """Adagrad: `a += g**2` (from 0), `p -= lr * g / (sqrt(a) + epsilon)`.
    Reads `hyper['lr']`.

    # Arguments
        epsilon: float, static.

    # Returns
        A `Transform` with `AdagradState`.
    """
    def init(params: list) -> AdagradState:
        return AdagradState(_new_count(), _zeros_like(params))

    def update(grads, state, params, hyper):
        lr = hyper["lr"]
        new_params, accumulators = [], []
        for p, g, a in zip(params, grads, state.accumulators, strict=True):
            new_a = a + jnp.square(g)
            accumulators.append(new_a)
            new_params.append(p - lr * g / (jnp.sqrt(new_a) + epsilon))
        return new_params, AdagradState(_increment(state.iterations), accumulators)
    return Transform(init, update)


def adadelta_rule(rho: float, epsilon: float) -> Transform:
    """Adadelta: `a = rho * a + (1 - rho) * g**2`,
    `u = g * sqrt(d + epsilon) / sqrt(a + epsilon)`, `p -= lr * u`,
    `d = rho * d + (1 - rho) * u**2`. Reads `hyper['lr']`.

    # Arguments
        rho: float, static (a plain number in Keras 2.2.4, not a variable).
        epsilon: float, static.

    # Returns
        A `Transform` with `AdadeltaState`.
    """
    def init(params: list) -> AdadeltaState:
        return AdadeltaState(_new_count(), _zeros_like(params), _zeros_like(params))

    def update(grads, state, params, hyper):
        lr = hyper["lr"]
        new_params, accumulators, deltas = [], [], []
        slots = zip(params, grads, state.accumulators, state.delta_accumulators, strict=True)
        for p, g, a, d in slots:
            new_a = rho * a + (1.0 - rho) * jnp.square(g)
            step = g * jnp.sqrt(d + epsilon) / jnp.sqrt(new_a + epsilon)
            accumulators.append(new_a)
            deltas.append(rho * d + (1.0 - rho) * jnp.square(step))
            new_params.append(p - lr * step)
        return new_params, AdadeltaState(_increment(state.iterations), accumulators, deltas)
    return Transform(init, update)


def adam_rule(epsilon: float, amsgrad: bool) -> Transform:
    """Adam: `t = k + 1`, `lr_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)`,
    `m = beta_1 * m + (1 - beta_1) * g`, `v = beta_2 * v + (1 - beta_2) * g**2`,
    `p -= lr_t * m / (sqrt(v) + epsilon)`; with `amsgrad`, `vhat = max(vhat, v)`
    replaces `v` in the last step. Reads `hyper['lr', 'beta_1', 'beta_2']`.

    Without `amsgrad` each `vhat` slot is a shape-(1,) zero that is carried
    unchanged, as Keras 2.2.4 allocates it.

    # Arguments
        epsilon: float, static.
        amsgrad: boolean, static.

    # Returns
        A `Transform` with `AdamState`.
    """
    def init(params: list) -> AdamState:
        if amsgrad:
            vhat = _zeros_like(params)
        else:
            vhat = [jnp.zeros((1,), jnp.float32) for _ in params]
        return AdamState(_new_count(), _zeros_like(params), _zeros_like(params), vhat)

    def update(grads, state, params, hyper):
        beta_1, beta_2 = hyper["beta_1"], hyper["beta_2"]
        t = _step_number(state.iterations)
        lr_t = hyper["lr"] * (jnp.sqrt(1.0 - jnp.power(beta_2, t)) / (1.0 - jnp.power(beta_1, t)))
        new_params, ms, vs, vhats = [], [], [], []
        for p, g, m, v, vhat in zip(params, grads, state.m, state.v, state.vhat, strict=True):
            m_t = beta_1 * m + (1.0 - beta_1) * g
            v_t = beta_2 * v + (1.0 - beta_2) * jnp.square(g)
            if amsgrad:
                vhat = jnp.maximum(vhat, v_t)
                denom = jnp.sqrt(vhat)
            else:
                denom = jnp.sqrt(v_t)
            ms.append(m_t)
            vs.append(v_t)
            vhats.append(vhat)
            new_params.append(p - lr_t * m_t / (denom + epsilon))
        return new_params, AdamState(_increment(state.iterations), ms, vs, vhats)
    return Transform(init, update)


def adamax_rule(epsilon: float) -> Transform:
    """Adamax: `t = k + 1`, `lr_t = lr / (1 - beta_1**t)`,
    `m = beta_1 * m + (1 - beta_1) * g`, `u = max(beta_2 * u, |g|)`,
    `p -= lr_t * m / (u + epsilon)`. Reads `hyper['lr', 'beta_1', 'beta_2']`.

    # Arguments
        epsilon: float, static.

    # Returns
        A `Transform` with `AdamaxState`.
    """
    def init(params: list) -> AdamaxState:
        return AdamaxState(_new_count(), _zeros_like(params), _zeros_like(params))

    def update(grads, state, params, hyper):
        beta_1, beta_2 = hyper["beta_1"], hyper["beta_2"]
        lr_t = hyper["lr"] / (1.0 - jnp.power(beta_1, _step_number(state.iterations)))
        new_params, ms, us = [], [], []
        for p, g, m, u in zip(params, grads, state.m, state.u, strict=True):
            m_t = beta_1 * m + (1.0 - beta_1) * g
            u_t = jnp.maximum(beta_2 * u, jnp.abs(g))
            ms.append(m_t)
            us.append(u_t)
            new_params.append(p - lr_t * m_t / (u_t + epsilon))
        return new_params, AdamaxState(_increment(state.iterations), ms, us)
    return Transform(init, update)


def _momentum_cache(beta_1: Any, t: Any, schedule_decay: float) -> Any:
    """Nadam's warming momentum `beta_1 * (1 - 0.5 * 0.96**(t * schedule_decay))`."""
    return beta_1 * (1.0 - 0.5 * jnp.power(jnp.float32(0.96), t * schedule_decay))


def nadam_rule(epsilon: float, schedule_decay: float) -> Transform:
    """Nadam: `t = k + 1`, `c_t` the momentum cache at `t`,
    `s = m_schedule * c_t`, `s' = s * c_{t+1}`, `m_schedule <- s`,
    `m = beta_1 * m + (1 - beta_1) * g`, `v = beta_2 * v + (1 - beta_2) * g**2`,
    `mbar = (1 - c_t) * g / (1 - s) + c_{t+1} * m / (1 - s')`,
    `p -= lr * mbar / (sqrt(v / (1 - beta_2**t)) + epsilon)`.
    Reads `hyper['lr', 'beta_1', 'beta_2']`.

    # Arguments
        epsilon: float, static.
        schedule_decay: float, static.

    # Returns
        A `Transform` with `NadamState`.
    """
    def init(params: list) -> NadamState:
        return NadamState(_new_count(), jnp.ones((), jnp.float32), _zeros_like(params),
                          _zeros_like(params))

    def update(grads, state, params, hyper):
        lr, beta_1, beta_2 = hyper["lr"], hyper["beta_1"], hyper["beta_2"]
        t = _step_number(state.iterations)
        cache_t = _momentum_cache(beta_1, t, schedule_decay)
        cache_next = _momentum_cache(beta_1, t + 1.0, schedule_decay)
        schedule = state.m_schedule * cache_t
        schedule_next = state.m_schedule * cache_t * cache_next
        new_params, ms, vs = [], [], []
        for p, g, m, v in zip(params, grads, state.m, state.v, strict=True):
            m_t = beta_1 * m + (1.0 - beta_1) * g
            v_t = beta_2 * v + (1.0 - beta_2) * jnp.square(g)
            m_bar = ((1.0 - cache_t) * (g / (1.0 - schedule))
                     + cache_next * (m_t / (1.0 - schedule_next)))
            v_prime = v_t / (1.0 - jnp.power(beta_2, t))
            ms.append(m_t)
            vs.append(v_t)
            new_params.append(p - lr * m_bar / (jnp.sqrt(v_prime) + epsilon))
        return new_params, NadamState(_increment(state.iterations), schedule, ms, vs)
    return Transform(init, update)


def _nadam_m_schedule(iterations: int, beta_1: float, schedule_decay: float) -> np.float32:
    """The `m_schedule` that `iterations` Nadam steps leave, in float32 as the step makes it."""
    schedule = np.float32(1.0)
    for t in range(1, iterations + 1):
        cache = np.float32(beta_1) * (np.float32(1.0) - np.float32(0.5) * np.power(
            np.float32(0.96), np.float32(t) * np.float32(schedule_decay)))
        schedule = np.float32(schedule * cache)
        if schedule == 0.0:  # a product of factors < 1: once float32 underflows it stays 0
            break
    return schedule


# Argument checking.

_BOUNDS: dict[str, Callable[[float], bool]] = {
    ">= 0": lambda x: x >= 0.0,
    "in [0, 1]": lambda x: 0.0 <= x <= 1.0,
    "in [0, 1)": lambda x: 0.0 <= x < 1.0,
}

_HYPER_BOUNDS = {"lr": ">= 0", "decay": ">= 0", "momentum": ">= 0", "rho": "in [0, 1]",
                 "beta_1": "in [0, 1)", "beta_2": "in [0, 1)"}


def _check_float(name: str, value: Any, bound: str = ">= 0") -> float:
    expected = f"a float {bound}"
    arr = None if isinstance(value, (bool, np.bool_, str, bytes)) else np.asarray(value)
    if arr is None or arr.ndim != 0 or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name}: expected {expected}, got {type(value).__name__} {value!r}")
    x = float(arr)
    if not (math.isfinite(x) and _BOUNDS[bound](x)):
        raise ValueError(f"{name}: expected {expected}, got {value!r}")
    return x


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected a bool, got {type(value).__name__} {value!r}")
    return bool(value)


class _Default(float):
    """A default value that knows it was not passed, so that `lr=` given
    together with `learning_rate=` can be refused."""
    __slots__ = ()


def _pop_learning_rate(lr: float, kwargs: dict) -> tuple[str, Any]:
    """Resolves the `lr=` / `learning_rate=` synonyms to `(spelling used, value)`."""
    if "learning_rate" not in kwargs:
        return "lr", lr
    if not isinstance(lr, _Default):
        raise TypeError("got both `lr` and `learning_rate`; they are synonyms, pass one")
    return "learning_rate", kwargs.pop("learning_rate")


class _HyperParameter:
    """Exposes `opt.hyper[key]` as an attribute, as Keras 2.2.4 exposes its
    variables (`opt.lr`); assigning a number sets the variable's value."""

    def __init__(self, key: str):
        self.key = key

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        return obj.hyper[self.key]

    def __set__(self, obj: Any, value: Any) -> None:
        obj.hyper[self.key].assign(_check_float(self.name, value, _HYPER_BOUNDS[self.key]))


# The classes.

class Optimizer:
    """Base class of the optimizers; not an optimizer itself.

    Every optimizer accepts these keyword arguments:

    # Arguments
        clipnorm: float >= 0. When > 0, all gradients are rescaled together
            by `clipnorm / norm` once their global L2 norm reaches it.
        clipvalue: float >= 0. When > 0, gradients are clipped elementwise to
            `[-clipvalue, clipvalue]` (after `clipnorm`).

    # Raises
        TypeError: for any other keyword argument.

    A subclass fills `hyper` (with `_add_hyper`: the `K.Variable`s a callback
    may change), sets `self._transform = self._assemble(rule)` from a rule
    `Transform`, and lists its weight layouts in `_weight_layouts`: the first
    is Keras 2.2.4's, the one `get_weights` returns; the others are accepted
    by `set_weights` too. A layout is a tuple of state fields, a list field
    standing for one array per parameter.
    """

    _weight_layouts: tuple[tuple[str, ...], ...] = ()

    lr = _HyperParameter("lr")
    learning_rate = _HyperParameter("lr")

    def __init__(self, **kwargs: Any):
        allowed = {"clipnorm", "clipvalue"}
        for key in kwargs:
            if key not in allowed:
                raise TypeError(f"Unexpected keyword argument passed to optimizer: {key}")
        self.clipnorm = self.clipvalue = None
        if kwargs.get("clipnorm") is not None:
            self.clipnorm = _check_float("clipnorm", kwargs["clipnorm"])
        if kwargs.get("clipvalue") is not None:
            self.clipvalue = _check_float("clipvalue", kwargs["clipvalue"])
        self.hyper: dict[str, K.Variable] = {}
        self._owner: Any = None
        self._local_state: State | None = None
        self._transform: Transform | None = None
        self._iterations = K.StateView(self._read_iterations, self._write_iterations,
                                       dtype="int64", name="iterations")

    @property
    def state(self) -> State | None:
        """The slots: those in the state of the model that compiled the optimizer last
        (as 2.2.4's `optimizer.weights` were the last train function's), else its own."""
        if self._owner is not None:
            return self._owner._state.opt_state
        return self._local_state

    @state.setter
    def state(self, value: State | None) -> None:
        if self._owner is not None:
            self._owner._state = self._owner._state._replace(opt_state=value)
        else:
            self._local_state = value

    def _add_hyper(self, key: str, value: Any, arg: str | None = None) -> None:
        value = _check_float(arg or key, value, _HYPER_BOUNDS[key])
        self.hyper[key] = K.Variable(value, dtype="float32", name=key)

    def _assemble(self, rule: Transform) -> Transform:
        preprocess = []
        # Keras 2.2.4 clips only for thresholds > 0, norm first.
        if self.clipnorm:
            preprocess.append(clip_by_global_norm(self.clipnorm))
        if self.clipvalue:
            preprocess.append(clip_by_value(self.clipvalue))
        # Unlike 2.2.4, decay applies even when it starts at 0 (where it changes
        # nothing), so that a callback setting `opt.decay` later takes effect.
        if "decay" in self.hyper:
            preprocess.append(inverse_time_decay())
        return chain(*preprocess, rule=rule)

    # The functional interface the engine compiles.

    def hyper_values(self) -> dict[str, np.ndarray]:
        """Returns the current hyper-parameters as float32 scalars, to pass to `update`."""
        return {k: np.asarray(v.value, dtype=np.float32) for k, v in self.hyper.items()}

    def init(self, params: list) -> State:
        """Returns the initial state for `params` (a list of arrays); pure.

        # Arguments
            params: the trainable weights, in the model's order.

        # Returns
            This class's state NamedTuple, step counter at 0.
        """
        return self._transform.init(list(params))

    def update(self, grads: list, state: State, params: list,
               hyper: Hyper) -> tuple[list, State]:
        """One optimizer step; pure and traceable by `jax.jit`.

        # Arguments
            grads: one gradient per parameter.
            state: the state from `init` or from the previous `update`.
            params: the current parameters.
            hyper: the values from `hyper_values()`.

        # Returns
            `(new_params, new_state)`.

        # Raises
            ValueError: if `grads` and `params` differ in length.
        """
        return self._transform.update(grads, state, params, hyper)

    # The Keras interface.

    @property
    def iterations(self) -> K.StateView:
        """The number of updates made, a `K.Variable` view of `state.iterations`."""
        return self._iterations

    def _read_iterations(self) -> Any:
        return 0 if self.state is None else self.state.iterations

    def _write_iterations(self, value: np.ndarray) -> None:
        if self.state is None:
            raise ValueError(
                f"{type(self).__name__}.iterations: the optimizer has no state yet; "
                "build the model (or set `opt.state = opt.init(params)`) first")
        self.state = self.state._replace(iterations=jnp.asarray(value, _count_dtype()))

    def _layout_size(self, layout: tuple[str, ...]) -> int:
        fields = [getattr(self.state, f) for f in layout]
        return sum(len(x) if isinstance(x, list) else 1 for x in fields)

    def get_weights(self) -> list[np.ndarray]:
        """Returns the optimizer's slots as numpy arrays, in Keras 2.2.4's order.

        # Returns
            A list of numpy arrays (`iterations` as an int64 scalar); `[]`
            before the state exists.
        """
        return self._weights_of(self.state)

    def _weights_of(self, state: State | None) -> list[np.ndarray]:
        """`get_weights` of a given state: a model's own slots, whichever model
        compiled the optimizer last."""
        if state is None:
            return []
        weights = []
        for field in self._weight_layouts[0]:
            value = getattr(state, field)
            if field == "iterations":
                weights.append(np.array(value, dtype=np.int64))
            else:
                weights.extend(np.array(x) for x in (value if isinstance(value, list) else [value]))
        return weights

    def set_weights(self, weights: list) -> None:
        """Sets the optimizer's slots from numpy arrays.

        Accepts `get_weights()`'s Keras 2.2.4 layout and the other layouts in
        the class docstring (those written by tf.keras 2.x). Slots a layout
        lacks keep their current values.

        # Arguments
            weights: a list of arrays, one per slot.

        # Raises
            ValueError: if there is no state yet, or the count or a shape does
                not match.
        """
        name = type(self).__name__
        weights = list(weights)
        if self.state is None:
            raise ValueError(
                f"{name}.set_weights: the optimizer has no state yet (0 weights expected, "
                f"got {len(weights)}); build the model (or set `opt.state = opt.init(params)`) "
                "first")
        layout = next((lay for lay in self._weight_layouts
                       if self._layout_size(lay) == len(weights)), None)
        if layout is None:
            expected = " or ".join(f"{self._layout_size(lay)} ({' + '.join(lay)})"
                                   for lay in self._weight_layouts)
            raise ValueError(f"{name}.set_weights: expected {expected} weights, "
                             f"got {len(weights)}")
        given = iter(enumerate(weights))

        def take(field: str, current: jax.Array) -> jax.Array:
            index, w = next(given)
            w = np.asarray(w)
            if w.shape != current.shape:
                raise ValueError(
                    f"{name}.set_weights: weight {index} ({field}) has shape {w.shape}, "
                    f"expected {current.shape}")
            return jnp.asarray(w, dtype=current.dtype)

        replaced = {}
        for field in layout:
            current = getattr(self.state, field)
            if isinstance(current, list):
                replaced[field] = [take(field, c) for c in current]
            else:
                replaced[field] = take(field, current)
        self.state = self._complete(self.state._replace(**replaced), layout)

    def _complete(self, state: State, layout: tuple[str, ...]) -> State:
        """Fills in state a `set_weights` layout does not carry; subclasses override."""
        del layout
        return state

    def get_config(self) -> dict:
        """Returns the constructor arguments under Keras 2.2.4 keys, as Python values.

        # Returns
            A dict; `clipnorm`/`clipvalue` appear only when they were passed.
        """
        config = {}
        if self.clipnorm is not None:
            config["clipnorm"] = self.clipnorm
        if self.clipvalue is not None:
            config["clipvalue"] = self.clipvalue
        return config

    def _hyper_config(self, *keys: str) -> dict:
        # float32 values read back as Python floats, as Keras 2.2.4 does.
        return {k: float(self.hyper[k].value) for k in keys}

    @classmethod
    def from_config(cls, config: dict) -> "Optimizer":
        """Makes an optimizer from `get_config()`'s dict (`learning_rate` accepted for `lr`).

        # Arguments
            config: a dict of constructor arguments.

        # Returns
            A new optimizer.
        """
        return cls(**config)


class SGD(Optimizer):
    """Stochastic gradient descent, with momentum, decay and Nesterov momentum.

    Update rule (Keras 2.2.4): `v = momentum * v - lr * g`; `p += v`, or with
    `nesterov`, `p += momentum * v - lr * g`. The velocity slots exist even
    when `momentum` is 0.

    `get_weights()`: `[iterations, moments...]`. `set_weights` also accepts
    `[iterations]` alone (tf.keras 2.x without momentum).

    # Arguments
        lr: float >= 0. Learning rate (`learning_rate=` is a synonym).
        momentum: float >= 0. Accelerates SGD in the relevant direction and
            dampens oscillations.
        decay: float >= 0. Learning rate decay over each update:
            `lr / (1 + decay * iterations)`.
        nesterov: boolean. Whether to apply Nesterov momentum.
        **kwargs: `clipnorm`, `clipvalue` (see `Optimizer`).

    # Raises
        ValueError: for an out-of-range number. TypeError: for a non-numeric
            one or an unknown keyword argument.
    """

    _weight_layouts = (("iterations", "moments"), ("iterations",))
    momentum = _HyperParameter("momentum")
    decay = _HyperParameter("decay")

    def __init__(self, lr: float = _Default(0.01), momentum: float = 0.0, decay: float = 0.0,
                 nesterov: bool = False, **kwargs: Any):
        lr_arg, lr = _pop_learning_rate(lr, kwargs)
        super().__init__(**kwargs)
        self._add_hyper("lr", lr, lr_arg)
        self._add_hyper("momentum", momentum)
        self._add_hyper("decay", decay)
        self.nesterov = _check_bool("nesterov", nesterov)
        self._transform = self._assemble(sgd_rule(self.nesterov))

    def get_config(self) -> dict:
        return {**super().get_config(), **self._hyper_config("lr", "momentum", "decay"),
                "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """RMSProp optimizer. Leave the parameters at their defaults except `lr`.

    Update rule (Keras 2.2.4): `a = rho * a + (1 - rho) * g**2`,
    `p -= lr * g / (sqrt(a) + epsilon)`.

    `get_weights()`: `[accumulators...]` (no `iterations`, as 2.2.4).
    `set_weights` also accepts `[iterations, accumulators...]` (tf.keras 2.x).

    # Arguments
        lr: float >= 0. Learning rate (`learning_rate=` is a synonym).
        rho: float in [0, 1]. Decay rate of the squared-gradient average.
        epsilon: float >= 0. Fuzz factor. If `None`, defaults to `K.epsilon()`.
        decay: float >= 0. Learning rate decay over each update.
        **kwargs: `clipnorm`, `clipvalue` (see `Optimizer`).

    # Raises
        ValueError: for an out-of-range number. TypeError: for a non-numeric
            one or an unknown keyword argument.

    # References
        - [rmsprop: Divide the gradient by a running average of its recent magnitude](
           http://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf)
    """

    _weight_layouts = (("accumulators",), ("iterations", "accumulators"))
    rho = _HyperParameter("rho")
    decay = _HyperParameter("decay")

    def __init__(self, lr: float = _Default(0.001), rho: float = 0.9,
                 epsilon: float | None = None, decay: float = 0.0, **kwargs: Any):
        lr_arg, lr = _pop_learning_rate(lr, kwargs)
        super().__init__(**kwargs)
        self._add_hyper("lr", lr, lr_arg)
        self._add_hyper("rho", rho)
        self._add_hyper("decay", decay)
        self.epsilon = _check_float("epsilon", K.epsilon() if epsilon is None else epsilon)
        self._transform = self._assemble(rmsprop_rule(self.epsilon))

    def get_config(self) -> dict:
        return {**super().get_config(), **self._hyper_config("lr", "rho", "decay"),
                "epsilon": self.epsilon}


class Adagrad(Optimizer):
    """Adagrad optimizer: per-parameter rates that shrink with the updates a
    parameter has received. Leave the parameters at their defaults.

    Update rule (Keras 2.2.4): `a += g**2` (accumulators start at 0),
    `p -= lr * g / (sqrt(a) + epsilon)`.

    `get_weights()`: `[accumulators...]` (no `iterations`, as 2.2.4).
    `set_weights` also accepts `[iterations, accumulators...]` (tf.keras 2.x).

    # Arguments
        lr: float >= 0. Initial learning rate (`learning_rate=` is a synonym).
        epsilon: float >= 0. If `None`, defaults to `K.epsilon()`.
        decay: float >= 0. Learning rate decay over each update.
        **kwargs: `clipnorm`, `clipvalue` (see `Optimizer`).

    # Raises
        ValueError: for an out-of-range number. TypeError: for a non-numeric
            one or an unknown keyword argument.

    # References
        - [Adaptive Subgradient Methods for Online Learning and Stochastic Optimization](
           http://www.jmlr.org/papers/volume12/duchi11a/duchi11a.pdf)
    """

    _weight_layouts = (("accumulators",), ("iterations", "accumulators"))
    decay = _HyperParameter("decay")

    def __init__(self, lr: float = _Default(0.01), epsilon: float | None = None,
                 decay: float = 0.0, **kwargs: Any):
        lr_arg, lr = _pop_learning_rate(lr, kwargs)
        super().__init__(**kwargs)
        self._add_hyper("lr", lr, lr_arg)
        self._add_hyper("decay", decay)
        self.epsilon = _check_float("epsilon", K.epsilon() if epsilon is None else epsilon)
        self._transform = self._assemble(adagrad_rule(self.epsilon))

    def get_config(self) -> dict:
        return {**super().get_config(), **self._hyper_config("lr", "decay"),
                "epsilon": self.epsilon}


class Adadelta(Optimizer):
    """Adadelta optimizer: Adagrad with a moving window of past gradients and
    updates instead of an ever-growing sum. Leave the parameters at their
    defaults.

    Update rule (Keras 2.2.4): `a = rho * a + (1 - rho) * g**2`,
    `u = g * sqrt(d + epsilon) / sqrt(a + epsilon)`, `p -= lr * u`,
    `d = rho * d + (1 - rho) * u**2`.

    `get_weights()`: `[accumulators..., delta_accumulators...]` (no
    `iterations`, as 2.2.4). `set_weights` also accepts
    `[iterations, accumulators..., delta_accumulators...]` (tf.keras 2.x).
    `rho` is a plain float, not a variable, as in 2.2.4.

    # Arguments
        lr: float >= 0. Initial learning rate, defaults to 1 (`learning_rate=`
            is a synonym). Leave it at the default.
        rho: float in [0, 1]. Fraction of the running averages kept each step.
        epsilon: float >= 0. Fuzz factor. If `None`, defaults to `K.epsilon()`.
        decay: float >= 0. Learning rate decay over each update.
        **kwargs: `clipnorm`, `clipvalue` (see `Optimizer`).

    # Raises
        ValueError: for an out-of-range number. TypeError: for a non-numeric
            one or an unknown keyword argument.

    # References
        - [Adadelta - an adaptive learning rate method](http://arxiv.org/abs/1212.5701)
    """

    _weight_layouts = (("accumulators", "delta_accumulators"),
                       ("iterations", "accumulators", "delta_accumulators"))
    decay = _HyperParameter("decay")

    def __init__(self, lr: float = _Default(1.0), rho: float = 0.95,
                 epsilon: float | None = None, decay: float = 0.0, **kwargs: Any):
        lr_arg, lr = _pop_learning_rate(lr, kwargs)
        super().__init__(**kwargs)
        self._add_hyper("lr", lr, lr_arg)
        self._add_hyper("decay", decay)
        self.rho = _check_float("rho", rho, "in [0, 1]")
        self.epsilon = _check_float("epsilon", K.epsilon() if epsilon is None else epsilon)
        self._transform = self._assemble(adadelta_rule(self.rho, self.epsilon))

    def get_config(self) -> dict:
        return {**super().get_config(), "lr": float(self.hyper["lr"].value), "rho": self.rho,
                "decay": float(self.hyper["decay"].value), "epsilon": self.epsilon}


class Adam(Optimizer):
    """Adam optimizer; defaults follow the paper.

    Update rule (Keras 2.2.4): `t = iterations + 1`,
    `lr_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)`,
    `m = beta_1 * m + (1 - beta_1) * g`, `v = beta_2 * v + (1 - beta_2) * g**2`,
    `p -= lr_t * m / (sqrt(v) + epsilon)`; with `amsgrad`,
    `vhat = max(vhat, v)` takes the place of `v` in the last step.

    `get_weights()`: `[iterations, m..., v..., vhat...]`; without `amsgrad`
    each `vhat` is a shape-(1,) zero, as 2.2.4 allocates it. `set_weights`
    also accepts `[iterations, m..., v...]` (tf.keras 2.x without amsgrad).

    # Arguments
        lr: float >= 0. Learning rate (`learning_rate=` is a synonym).
        beta_1: float in [0, 1). Decay of the first-moment average.
        beta_2: float in [0, 1). Decay of the second-moment average.
        epsilon: float >= 0. Fuzz factor. If `None`, defaults to `K.epsilon()`.
        decay: float >= 0. Learning rate decay over each update.
        amsgrad: boolean. Whether to apply the AMSGrad variant.
        **kwargs: `clipnorm`, `clipvalue` (see `Optimizer`).

    # Raises
        ValueError: for an out-of-range number. TypeError: for a non-numeric
            one or an unknown keyword argument.

    # References
        - [Adam - A Method for Stochastic Optimization](http://arxiv.org/abs/1412.6980v8)
        - [On the Convergence of Adam and Beyond](https://openreview.net/forum?id=ryQu7f-RZ)
    """

    _weight_layouts = (("iterations", "m", "v", "vhat"), ("iterations", "m", "v"))
    beta_1 = _HyperParameter("beta_1")
    beta_2 = _HyperParameter("beta_2")
    decay = _HyperParameter("decay")

    def __init__(self, lr: float = _Default(0.001), beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float | None = None, decay: float = 0.0, amsgrad: bool = False,
                 **kwargs: Any):
        lr_arg, lr = _pop_learning_rate(lr, kwargs)
        super().__init__(**kwargs)
        self._add_hyper("lr", lr, lr_arg)
        self._add_hyper("beta_1", beta_1)
        self._add_hyper("beta_2", beta_2)
        self._add_hyper("decay", decay)
        self.epsilon = _check_float("epsilon", K.epsilon() if epsilon is None else epsilon)
        self.amsgrad = _check_bool("amsgrad", amsgrad)
        self._transform = self._assemble(adam_rule(self.epsilon, self.amsgrad))

    def get_config(self) -> dict:
        return {**super().get_config(), **self._hyper_config("lr", "beta_1", "beta_2", "decay"),
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class Adamax(Optimizer):
    """Adamax optimizer, the infinity-norm variant of Adam (Section 7 of the
    Adam paper); defaults follow the paper.

    Update rule (Keras 2.2.4): `t = iterations + 1`, `lr_t = lr / (1 - beta_1**t)`,
    `m = beta_1 * m + (1 - beta_1) * g`, `u = max(beta_2 * u, |g|)`,
    `p -= lr_t * m / (u + epsilon)`.

    `get_weights()`: `[iterations, m..., u...]` (tf.keras 2.x uses the same).

    # Arguments
        lr: float >= 0. Learning rate (`learning_rate=` is a synonym).
        beta_1: float in [0, 1). Decay of the first-moment average.
        beta_2: float in [0, 1). Decay of the infinity norm.
        epsilon: float >= 0. Fuzz factor. If `None`, defaults to `K.epsilon()`.
        decay: float >= 0. Learning rate decay over each update.
        **kwargs: `clipnorm`, `clipvalue` (see `Optimizer`).

    # Raises
        ValueError: for an out-of-range number. TypeError: for a non-numeric
            one or an unknown keyword argument.

    # References
        - [Adam - A Method for Stochastic Optimization](http://arxiv.org/abs/1412.6980v8)
    """

    _weight_layouts = (("iterations", "m", "u"),)
    beta_1 = _HyperParameter("beta_1")
    beta_2 = _HyperParameter("beta_2")
    decay = _HyperParameter("decay")

    def __init__(self, lr: float = _Default(0.002), beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float | None = None, decay: float = 0.0, **kwargs: Any):
        lr_arg, lr = _pop_learning_rate(lr, kwargs)
        super().__init__(**kwargs)
        self._add_hyper("lr", lr, lr_arg)
        self._add_hyper("beta_1", beta_1)
        self._add_hyper("beta_2", beta_2)
        self._add_hyper("decay", decay)
        self.epsilon = _check_float("epsilon", K.epsilon() if epsilon is None else epsilon)
        self._transform = self._assemble(adamax_rule(self.epsilon))

    def get_config(self) -> dict:
        return {**super().get_config(), **self._hyper_config("lr", "beta_1", "beta_2", "decay"),
                "epsilon": self.epsilon}


class Nadam(Optimizer):
    """Nesterov Adam optimizer: Adam with Nesterov momentum. Leave the
    parameters at their defaults. Takes no `decay`, as in Keras 2.2.4.

    Update rule (Keras 2.2.4): `t = iterations + 1`,
    `c_t = beta_1 * (1 - 0.5 * 0.96**(t * schedule_decay))`,
    `s = m_schedule * c_t`, `s' = s * c_{t+1}`, `m_schedule <- s`,
    `m = beta_1 * m + (1 - beta_1) * g`, `v = beta_2 * v + (1 - beta_2) * g**2`,
    `mbar = (1 - c_t) * g / (1 - s) + c_{t+1} * m / (1 - s')`,
    `p -= lr * mbar / (sqrt(v / (1 - beta_2**t)) + epsilon)`.

    `get_weights()`: `[iterations, m..., v...]`: 2.2.4 keeps `m_schedule` out
    of its weights. `set_weights` with that list recomputes `m_schedule` from
    `iterations` (2.2.4 left it at 1 after loading, so a resumed run drifted
    from an uninterrupted one); it also accepts
    `[iterations, m_schedule, m..., v...]` (tf.keras 2.x and Keras 2.3).

    # Arguments
        lr: float >= 0. Learning rate (`learning_rate=` is a synonym).
        beta_1: float in [0, 1). Decay of the first-moment average.
        beta_2: float in [0, 1). Decay of the second-moment average.
        epsilon: float >= 0. Fuzz factor. If `None`, defaults to `K.epsilon()`.
        schedule_decay: float >= 0. Warm-up rate of the momentum schedule.
        **kwargs: `clipnorm`, `clipvalue` (see `Optimizer`).

    # Raises
        ValueError: for an out-of-range number. TypeError: for a non-numeric
            one or an unknown keyword argument (`decay` included).

    # References
        - [Nadam report](http://cs229.stanford.edu/proj2015/054_report.pdf)
        - [On the importance of initialization and momentum in deep learning](
           http://www.cs.toronto.edu/~fritz/absps/momentum.pdf)
    """

    _weight_layouts = (("iterations", "m", "v"), ("iterations", "m_schedule", "m", "v"))
    beta_1 = _HyperParameter("beta_1")
    beta_2 = _HyperParameter("beta_2")

    def __init__(self, lr: float = _Default(0.002), beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float | None = None, schedule_decay: float = 0.004, **kwargs: Any):
        lr_arg, lr = _pop_learning_rate(lr, kwargs)
        super().__init__(**kwargs)
        self._add_hyper("lr", lr, lr_arg)
        self._add_hyper("beta_1", beta_1)
        self._add_hyper("beta_2", beta_2)
        self.epsilon = _check_float("epsilon", K.epsilon() if epsilon is None else epsilon)
        self.schedule_decay = _check_float("schedule_decay", schedule_decay)
        self._transform = self._assemble(nadam_rule(self.epsilon, self.schedule_decay))

    def _complete(self, state: NadamState, layout: tuple[str, ...]) -> NadamState:
        if "m_schedule" in layout:
            return state
        schedule = _nadam_m_schedule(int(state.iterations), float(self.hyper["beta_1"].value),
                                     self.schedule_decay)
        return state._replace(m_schedule=jnp.asarray(schedule, jnp.float32))

    def get_config(self) -> dict:
        return {**super().get_config(), **self._hyper_config("lr", "beta_1", "beta_2"),
                "epsilon": self.epsilon, "schedule_decay": self.schedule_decay}


# Aliases.

sgd = SGD
rmsprop = RMSprop
adagrad = Adagrad
adadelta = Adadelta
adam = Adam
adamax = Adamax
nadam = Nadam

_ALL_CLASSES = {"sgd": SGD, "rmsprop": RMSprop, "adagrad": Adagrad, "adadelta": Adadelta,
                "adam": Adam, "adamax": Adamax, "nadam": Nadam}


def serialize(optimizer: Optimizer) -> dict:
    """Returns `{'class_name': ..., 'config': optimizer.get_config()}`."""
    return serialize_keras_object(optimizer)


def deserialize(config: dict, custom_objects: dict | None = None) -> Optimizer:
    """Makes an optimizer from a `serialize()` dict.

    Built-in class names match case-insensitively (`'Adam'`, `'adam'`) unless
    `custom_objects` defines the exact name. As in Keras 2.2.4, a built-in
    name is lowercased in `config` itself.

    # Arguments
        config: a dict with `'class_name'` and `'config'`.
        custom_objects: optional dict of user classes, looked up first.

    # Returns
        A new optimizer.

    # Raises
        ValueError: for an unknown class name or a malformed dict.
        TypeError: if `config` is not a dict.
    """
    if not isinstance(config, dict):
        raise TypeError(f"optimizer config: expected a dict with 'class_name' and 'config', "
                        f"got {type(config).__name__} {config!r}")
    class_name = config.get("class_name")
    if (isinstance(class_name, str) and class_name not in (custom_objects or {})
            and class_name.lower() in _ALL_CLASSES):
        # In place, as Keras 2.2.4 does: callers (its own tests among them)
        # compare the dict they passed in against a lowercased re-serialization.
        config["class_name"] = class_name.lower()
    return deserialize_keras_object(config, _ALL_CLASSES, custom_objects,
                                    printable_module_name="optimizer")


def get(identifier: Any) -> Optimizer:
    """Resolves what `compile(optimizer=...)` was given.

    # Arguments
        identifier: an `Optimizer` (returned as is), a name such as `'adam'`
            (case-insensitive; a new instance with defaults) or a config dict.

    # Returns
        An `Optimizer`.

    # Raises
        ValueError: for an unknown name. TypeError: for another type.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise TypeError(f"Could not interpret optimizer identifier: expected an Optimizer, a name "
                    f"or a config dict, got {type(identifier).__name__} {identifier!r}")
