"""The jeras backend: the `K` of Keras 2, on `jax.numpy`.

Custom losses, metrics and activations written against `keras.backend` run
unchanged on these functions; inside compiled code they trace like any other
`jax.numpy` call. Host-side state (a learning rate a callback changes, an
optimizer's `iterations`) lives in `Variable` objects read and written with
`get_value` / `set_value`.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"


def epsilon() -> float:
    """Returns the fuzz factor used in numeric expressions (default 1e-7)."""
    return _EPSILON


def set_epsilon(e: float) -> None:
    """Sets the fuzz factor returned by `epsilon()`.

    # Arguments
        e: float, the new epsilon.
    """
    global _EPSILON
    _EPSILON = float(e)


def floatx() -> str:
    """Returns the default float type as a string (default `'float32'`)."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Sets the default float type.

    # Arguments
        value: one of `'float16'`, `'bfloat16'`, `'float32'`, `'float64'`.

    # Raises
        ValueError: for any other value.
    """
    global _FLOATX
    allowed = ("float16", "bfloat16", "float32", "float64")
    if value not in allowed:
        raise ValueError(f"set_floatx: expected one of {allowed}, got {value!r}")
    _FLOATX = str(value)


def image_data_format() -> str:
    """Returns the default image data format (`'channels_last'`)."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Sets the default image data format.

    # Arguments
        data_format: `'channels_last'` or `'channels_first'`.

    # Raises
        ValueError: for any other value.
    """
    global _IMAGE_DATA_FORMAT
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "set_image_data_format: expected 'channels_last' or 'channels_first', "
            f"got {data_format!r}")
    _IMAGE_DATA_FORMAT = data_format


def backend() -> str:
    """Returns the name of the backend, `'jax'`."""
    return "jax"


# Host-side variables.

class Variable:
    """A named value that lives on the host and may be changed between steps.

    jeras keeps model parameters in pytrees owned by the model; `Variable`
    is for the few scalars Keras 2 code reads and writes through
    `K.get_value` / `K.set_value`, such as `model.optimizer.lr`. Compiled
    steps receive the current value as an input, so setting it never
    recompiles anything.

    # Arguments
        value: a number or array-like, the initial value.
        dtype: the dtype to store; defaults to `floatx()` for floats.
        name: optional name.
    """

    def __init__(self, value: Any, dtype: str | None = None, name: str | None = None):
        self.name = name
        self._dtype = dtype
        self.assign(value)

    def _read(self) -> np.ndarray:
        return self._value

    def _write(self, value: np.ndarray) -> None:
        self._value = value

    @property
    def value(self) -> np.ndarray:
        return self._read()

    @property
    def dtype(self) -> str:
        return str(self.value.dtype)

    @property
    def shape(self) -> tuple:
        return tuple(self.value.shape)

    def assign(self, value: Any) -> None:
        """Replaces the stored value (same rules as `set_value`)."""
        arr = np.asarray(value)
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
            raise TypeError(
                f"Variable {self.name or ''}: expected a number or numeric array, "
                f"got {type(value).__name__} {value!r}")
        dtype = self._dtype
        if dtype is None:
            dtype = floatx() if np.issubdtype(arr.dtype, np.floating) else arr.dtype
            self._dtype = str(np.dtype(dtype))
        self._write(arr.astype(dtype))

    def numpy(self) -> np.ndarray:
        return np.array(self.value)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.value, dtype=dtype)

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __jax_array__(self):
        return jnp.asarray(self.value)

    def __repr__(self) -> str:
        return f"<jeras Variable {self.name or ''} value={self.value!r}>"

    # Arithmetic, so that `K.get_value(opt.lr) * 0.1` and `opt.lr * 0.1` both work.
    def __add__(self, other): return self.value + np.asarray(other)
    def __radd__(self, other): return np.asarray(other) + self.value
    def __sub__(self, other): return self.value - np.asarray(other)
    def __rsub__(self, other): return np.asarray(other) - self.value
    def __mul__(self, other): return self.value * np.asarray(other)
    def __rmul__(self, other): return np.asarray(other) * self.value
    def __truediv__(self, other): return self.value / np.asarray(other)
    def __rtruediv__(self, other): return np.asarray(other) / self.value
    def __neg__(self): return -self.value
    def __lt__(self, other): return self.value < np.asarray(other)
    def __le__(self, other): return self.value <= np.asarray(other)
    def __gt__(self, other): return self.value > np.asarray(other)
    def __ge__(self, other): return self.value >= np.asarray(other)


class StateView(Variable):
    """A `Variable` whose value is read from and written to somewhere else.

    Used for values that live in a pytree owned by a model (for example an
    optimizer's `iterations`), so that `K.get_value` reads the current one.
    """

    def __init__(self, getter: Callable[[], Any], setter: Callable[[Any], None],
                 dtype: str, name: str | None = None):
        self._getter = getter
        self._setter = setter
        self.name = name
        self._dtype = dtype

    def _read(self) -> np.ndarray:
        return np.asarray(self._getter()).astype(self._dtype)

    def _write(self, value: np.ndarray) -> None:
        self._setter(value)


def variable(value: Any, dtype: str | None = None, name: str | None = None,
             constraint: Any = None) -> Variable:
    """Instantiates a host variable.

    # Arguments
        value: numpy array or number, the initial value.
        dtype: the dtype; defaults to `floatx()` for floats.
        name: optional name.
        constraint: accepted for Keras 2 compatibility; unused.

    # Returns
        A `Variable`.
    """
    del constraint
    return Variable(value, dtype=dtype, name=name)


def is_variable(x: Any) -> bool:
    return isinstance(x, Variable)


def get_value(x: Any) -> np.ndarray:
    """Returns the value of a variable or array as a numpy array.

    # Arguments
        x: a `Variable`, a jax array or anything numpy accepts.
    """
    if isinstance(x, Variable):
        return x.numpy()
    return np.asarray(x)


def batch_get_value(xs: Sequence[Any]) -> list:
    """Returns the values of several variables, as a list of numpy arrays."""
    return [get_value(x) for x in xs]


def set_value(x: Variable, value: Any) -> None:
    """Sets the value of a variable from a number or numpy array.

    # Arguments
        x: the `Variable` to set.
        value: number or array-like.

    # Raises
        TypeError: if `x` is not a `Variable` or `value` is not numeric.
    """
    if not isinstance(x, Variable):
        raise TypeError(
            f"set_value: expected a jeras Variable as `x` (such as model.optimizer.lr), "
            f"got {type(x).__name__}")
    x.assign(value)


def batch_set_value(tuples: Sequence[tuple]) -> None:
    """Sets several variables: `tuples` is a list of `(variable, value)`."""
    for x, value in tuples:
        set_value(x, value)


def eval(x: Any) -> np.ndarray:  # noqa: A001 - Keras 2 name
    """Evaluates a variable or tensor and returns a numpy array."""
    return get_value(x)


def constant(value: Any, dtype: str | None = None, shape: Sequence[int] | None = None,
             name: str | None = None) -> jax.Array:
    """Creates a constant array (`value` broadcast to `shape` when given)."""
    del name
    arr = jnp.asarray(value, dtype=dtype or floatx())
    if shape is not None:
        arr = jnp.broadcast_to(arr, tuple(shape))
    return arr


def zeros(shape: Sequence[int], dtype: str | None = None, name: str | None = None) -> Variable:
    """Returns a variable of zeros of the given shape."""
    return Variable(np.zeros(tuple(shape), dtype=dtype or floatx()), name=name)


def ones(shape: Sequence[int], dtype: str | None = None, name: str | None = None) -> Variable:
    """Returns a variable of ones of the given shape."""
    return Variable(np.ones(tuple(shape), dtype=dtype or floatx()), name=name)


def zeros_like(x: Any, dtype: str | None = None) -> jax.Array:
    return jnp.zeros_like(_arr(x), dtype=dtype)


def ones_like(x: Any, dtype: str | None = None) -> jax.Array:
    return jnp.ones_like(_arr(x), dtype=dtype)


def _arr(x: Any) -> Any:
    return x.value if isinstance(x, Variable) else x


def int_shape(x: Any) -> tuple:
    """Returns the shape of `x` as a tuple of ints."""
    return tuple(int(d) for d in np.shape(_arr(x)))


def shape(x: Any) -> tuple:
    """Returns the shape of `x` (static in JAX, so the same as `int_shape`)."""
    return int_shape(x)


def ndim(x: Any) -> int:
    """Returns the number of axes of `x`."""
    return len(np.shape(_arr(x)))


def dtype(x: Any) -> str:
    """Returns the dtype of `x` as a string."""
    return str(jnp.result_type(_arr(x)))


def count_params(x: Any) -> int:
    """Returns the number of scalars in `x`."""
    return int(np.prod(np.shape(_arr(x)), dtype=np.int64))


def cast(x: Any, dtype: str) -> jax.Array:
    return jnp.asarray(_arr(x)).astype(dtype)


def cast_to_floatx(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=floatx())


# Reductions. `axis` may be an int, a list of ints or None, as in Keras 2.

def _axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def mean(x, axis=None, keepdims=False):
    x = jnp.asarray(_arr(x))
    if x.dtype == jnp.bool_:
        x = x.astype(floatx())
    return jnp.mean(x, axis=_axis(axis), keepdims=keepdims)


def sum(x, axis=None, keepdims=False):  # noqa: A001 - Keras 2 name
    return jnp.sum(_arr(x), axis=_axis(axis), keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    return jnp.prod(_arr(x), axis=_axis(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001 - Keras 2 name
    return jnp.max(_arr(x), axis=_axis(axis), keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001 - Keras 2 name
    return jnp.min(_arr(x), axis=_axis(axis), keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    return jnp.var(_arr(x), axis=_axis(axis), keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return jnp.std(_arr(x), axis=_axis(axis), keepdims=keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001 - Keras 2 name
    return jnp.any(_arr(x), axis=_axis(axis), keepdims=keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001 - Keras 2 name
    return jnp.all(_arr(x), axis=_axis(axis), keepdims=keepdims)


def logsumexp(x, axis=None, keepdims=False):
    return jax.scipy.special.logsumexp(_arr(x), axis=_axis(axis), keepdims=keepdims)


def cumsum(x, axis=0):
    return jnp.cumsum(_arr(x), axis=axis)


def cumprod(x, axis=0):
    return jnp.cumprod(_arr(x), axis=axis)


def argmax(x, axis=-1):
    return jnp.argmax(_arr(x), axis=axis)


def argmin(x, axis=-1):
    return jnp.argmin(_arr(x), axis=axis)


# Elementwise.

def square(x): return jnp.square(_arr(x))
def sqrt(x): return jnp.sqrt(jnp.maximum(_arr(x), 0.0))  # Keras 2 clips at 0 first
def abs(x): return jnp.abs(_arr(x))  # noqa: A001 - Keras 2 name
def exp(x): return jnp.exp(_arr(x))
def log(x): return jnp.log(_arr(x))
def pow(x, a): return jnp.power(_arr(x), a)  # noqa: A001 - Keras 2 name
def sign(x): return jnp.sign(_arr(x))
def round(x): return jnp.round(_arr(x))  # noqa: A001 - Keras 2 name
def sin(x): return jnp.sin(_arr(x))
def cos(x): return jnp.cos(_arr(x))
def tanh(x): return jnp.tanh(_arr(x))
def sigmoid(x): return jax.nn.sigmoid(_arr(x))
def softplus(x): return jax.nn.softplus(_arr(x))
def softsign(x): return jax.nn.soft_sign(_arr(x))


def hard_sigmoid(x):
    """Segment-wise linear sigmoid: `clip(0.2 * x + 0.5, 0, 1)`."""
    return jnp.clip(0.2 * _arr(x) + 0.5, 0.0, 1.0)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit, as Keras 2 `K.relu`.

    # Arguments
        x: tensor.
        alpha: slope below `threshold`.
        max_value: saturation value, or None.
        threshold: where the function switches from linear to the slope.
    """
    x = jnp.asarray(_arr(x))
    if threshold != 0.0:
        y = jnp.where(x > threshold, x, alpha * (x - threshold))
    elif alpha != 0.0:
        y = jnp.where(x > 0, x, alpha * x)
    else:
        y = jnp.maximum(x, 0.0)
    if max_value is not None:
        y = jnp.minimum(y, max_value)
    return y


def elu(x, alpha=1.0):
    x = jnp.asarray(_arr(x))
    return jnp.where(x > 0, x, alpha * jnp.expm1(jnp.minimum(x, 0.0)))


def softmax(x, axis=-1):
    return jax.nn.softmax(_arr(x), axis=axis)


def clip(x, min_value, max_value):
    """Clips `x` to `[min_value, max_value]` (`max_value` is raised to `min_value` if lower)."""
    if max_value is not None and min_value is not None and max_value < min_value:
        max_value = min_value
    return jnp.clip(_arr(x), min_value, max_value)


def maximum(x, y): return jnp.maximum(_arr(x), _arr(y))
def minimum(x, y): return jnp.minimum(_arr(x), _arr(y))
def equal(x, y): return jnp.equal(_arr(x), _arr(y))
def not_equal(x, y): return jnp.not_equal(_arr(x), _arr(y))
def greater(x, y): return jnp.greater(_arr(x), _arr(y))
def greater_equal(x, y): return jnp.greater_equal(_arr(x), _arr(y))
def less(x, y): return jnp.less(_arr(x), _arr(y))
def less_equal(x, y): return jnp.less_equal(_arr(x), _arr(y))


def switch(condition, then_expression, else_expression):
    return jnp.where(_arr(condition), _arr(then_expression), _arr(else_expression))


# Linear algebra and shapes.

def dot(x, y):
    """Matrix product; for N-D tensors, contracts the last axis of `x` with the
    second-to-last of `y` (as Keras 2 does), or the only axis of a 1-D `y`."""
    x, y = jnp.asarray(_arr(x)), jnp.asarray(_arr(y))
    if x.ndim > 2 or y.ndim > 2:
        y_axis = y.ndim - 2 if y.ndim >= 2 else 0
        return jnp.tensordot(x, y, axes=[[x.ndim - 1], [y_axis]])
    return jnp.dot(x, y)


def batch_dot(x, y, axes=None):
    """Batchwise dot product (the common 2-D and 3-D cases of Keras 2's `batch_dot`)."""
    x, y = jnp.asarray(_arr(x)), jnp.asarray(_arr(y))
    if isinstance(axes, int):
        axes = (axes, axes)
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 2 if y.ndim > 2 else y.ndim - 1)
    out = jax.vmap(lambda a, b: jnp.tensordot(a, b, axes=[[axes[0] - 1], [axes[1] - 1]]))(x, y)
    if out.ndim == 1:
        out = out[:, None]
    return out


def transpose(x): return jnp.transpose(_arr(x))
def reshape(x, shape): return jnp.reshape(_arr(x), tuple(shape))
def permute_dimensions(x, pattern): return jnp.transpose(_arr(x), tuple(pattern))
def expand_dims(x, axis=-1): return jnp.expand_dims(_arr(x), axis)
def squeeze(x, axis): return jnp.squeeze(_arr(x), axis)
def flatten(x): return jnp.reshape(_arr(x), (-1,))
def batch_flatten(x): return jnp.reshape(_arr(x), (np.shape(_arr(x))[0], -1))
def concatenate(tensors, axis=-1): return jnp.concatenate([_arr(t) for t in tensors], axis=axis)
def stack(x, axis=0): return jnp.stack([_arr(t) for t in x], axis=axis)
def tile(x, n): return jnp.tile(_arr(x), n)
def repeat(x, n): return jnp.repeat(jnp.expand_dims(_arr(x), 1), n, axis=1)
def gather(reference, indices): return jnp.take(_arr(reference), _arr(indices), axis=0)


def one_hot(indices, num_classes):
    return jax.nn.one_hot(_arr(indices), num_classes, dtype=floatx())


def l2_normalize(x, axis=None):
    """Normalizes `x` to unit L2 norm along `axis` (`x / sqrt(max(sum(x**2), 1e-12))`)."""
    x = jnp.asarray(_arr(x))
    sq = jnp.sum(jnp.square(x), axis=_axis(axis), keepdims=True)
    return x * jax.lax.rsqrt(jnp.maximum(sq, 1e-12))


def in_top_k(predictions, targets, k):
    """True where the target class is among the `k` largest predictions (ties count as in)."""
    predictions = jnp.asarray(_arr(predictions))
    targets = jnp.asarray(_arr(targets)).astype(jnp.int32)
    target_score = jnp.take_along_axis(predictions, targets[:, None], axis=-1)
    higher = jnp.sum(predictions > target_score, axis=-1)
    return higher < k


# Randomness. Keys are drawn from numpy's global generator, so `np.random.seed`
# (what Keras 2 users call) makes a run reproducible, as does
# `jeras.utils.set_random_seed`.

def random_seed() -> int:
    """Draws a seed for `jax.random` from numpy's global RNG."""
    return int(np.random.randint(0, 2**31 - 1))


def rng_key(seed: int | None = None) -> jax.Array:
    """Returns a fresh `jax.random` key, from `seed` or from numpy's global RNG."""
    return jax.random.PRNGKey(random_seed() if seed is None else int(seed))


def np_random(seed: int | None = None) -> np.random.RandomState:
    """Returns a numpy generator from `seed`, or seeded from numpy's global RNG.

    Initializers sample on the host with it (no compilation per shape).
    """
    return np.random.RandomState(random_seed() if seed is None else int(seed))


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return jax.random.uniform(rng_key(seed), tuple(shape), dtype or floatx(), minval, maxval)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return mean + stddev * jax.random.normal(rng_key(seed), tuple(shape), dtype or floatx())


def random_binomial(shape, p=0.0, dtype=None, seed=None):
    return jax.random.bernoulli(rng_key(seed), p, tuple(shape)).astype(dtype or floatx())


def clear_session() -> None:
    """Resets the layer-name counters, as Keras 2's `clear_session` does."""
    from jeras.utils.generic_utils import reset_uids
    reset_uids()
