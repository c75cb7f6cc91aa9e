"""The jeras backend: the `K` of Keras 2, on `jax.numpy`.

Custom losses, metrics and activations written against `keras.backend` run
unchanged on these functions; inside compiled code they trace like any other
`jax.numpy` call. Host-side state (a learning rate a callback changes, an
optimizer's `iterations`) lives in `Variable` objects read and written with
`get_value` / `set_value`.
"""
from __future__ import annotations

import builtins
import contextlib
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


def zeros_like(x: Any, dtype: str | None = None, name: str | None = None) -> jax.Array:
    del name
    return jnp.zeros_like(_arr(x), dtype=dtype)


def ones_like(x: Any, dtype: str | None = None, name: str | None = None) -> jax.Array:
    del name
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


# Data formats, legacy settings and session-level helpers (Keras 2.2.4 names).

def normalize_data_format(value: str | None) -> str:
    """Checks a `data_format` value and returns it lower-cased.

    # Arguments
        value: `'channels_first'`, `'channels_last'` or None (meaning
            `image_data_format()`).

    # Returns
        `'channels_first'` or `'channels_last'`.

    # Raises
        ValueError: for any other value.
    """
    if value is None:
        value = image_data_format()
    data_format = str(value).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            "data_format: expected 'channels_first' or 'channels_last' (or None for "
            f"image_data_format()), got {value!r}")
    return data_format


def set_image_dim_ordering(dim_ordering: str) -> None:
    """Legacy setter: `'th'` means `'channels_first'`, `'tf'` means `'channels_last'`.

    # Raises
        ValueError: for any other value.
    """
    if dim_ordering not in ("tf", "th"):
        raise ValueError(
            f"set_image_dim_ordering: expected 'tf' or 'th', got {dim_ordering!r}")
    set_image_data_format("channels_first" if dim_ordering == "th" else "channels_last")


def image_dim_ordering() -> str:
    """Legacy getter: `'th'` for `'channels_first'`, `'tf'` for `'channels_last'`."""
    return "th" if image_data_format() == "channels_first" else "tf"


def get_uid(prefix: str = "") -> int:
    """Returns 1, 2, 3... for successive calls with the same prefix (layer names)."""
    from jeras.utils.generic_utils import get_uid as _get_uid
    return _get_uid(prefix)


def reset_uids() -> None:
    """Resets the counters of `get_uid`."""
    from jeras.utils.generic_utils import reset_uids as _reset_uids
    _reset_uids()


_MANUAL_VAR_INIT = False


def manual_variable_initialization(value: bool) -> None:
    """Accepted for Keras 2 compatibility.

    jeras variables hold their value from the moment they are made, so there
    is no initialisation step to skip; the flag is only recorded.
    """
    global _MANUAL_VAR_INIT
    _MANUAL_VAR_INIT = bool(value)


@contextlib.contextmanager
def name_scope(name: str):
    """A context manager accepted for Keras 2 compatibility; names nothing in jeras.

    `with K.name_scope('block1'):` runs its body unchanged and yields `name`.
    """
    yield name


def is_sparse(tensor: Any) -> bool:
    """Returns whether `tensor` is a sparse array (a `jax.experimental.sparse` one)."""
    from jax.experimental import sparse as jsparse
    return isinstance(tensor, jsparse.JAXSparse)


def to_dense(tensor: Any) -> Any:
    """Converts a sparse array to a dense one; returns other inputs as they are."""
    if is_sparse(tensor):
        return tensor.todense()
    return _arr(tensor)


def is_tensor(x: Any) -> bool:
    """Returns whether `x` is a backend tensor: a jax array (traced or not) or a `Variable`.

    Numpy arrays and Python numbers are not tensors, as in Keras 2.2.4.
    """
    return isinstance(x, (jax.Array, Variable))


# Variables made from initial values, and tensor utilities.

def eye(size: int, dtype: str | None = None, name: str | None = None) -> Variable:
    """Returns an identity matrix of `size` rows and columns, as a variable.

    # Arguments
        size: number of rows (and columns).
        dtype: the dtype; defaults to `floatx()`.
        name: optional name.
    """
    dtype = dtype or floatx()
    return variable(np.eye(int(size), dtype=dtype), dtype=dtype, name=name)


def identity(x: Any, name: str | None = None) -> jax.Array:
    """Returns an array with the same content as `x`."""
    del name
    return jnp.array(_arr(x), copy=True)


def random_uniform_variable(shape: Sequence[int], low: float, high: float,
                            dtype: str | None = None, name: str | None = None,
                            seed: int | None = None) -> Variable:
    """Returns a variable drawn from the uniform distribution on `[low, high)`.

    # Arguments
        shape: the shape of the variable.
        low, high: the bounds of the interval.
        dtype: the dtype; defaults to `floatx()`.
        name: optional name.
        seed: integer seed; without one the draw follows numpy's global RNG.
    """
    dtype = dtype or floatx()
    value = np_random(seed).uniform(low, high, size=tuple(shape)).astype(dtype)
    return variable(value, dtype=dtype, name=name)


def random_normal_variable(shape: Sequence[int], mean: float, scale: float,
                           dtype: str | None = None, name: str | None = None,
                           seed: int | None = None) -> Variable:
    """Returns a variable drawn from the normal distribution `N(mean, scale**2)`.

    # Arguments
        shape: the shape of the variable.
        mean: the mean of the distribution.
        scale: its standard deviation.
        dtype: the dtype; defaults to `floatx()`.
        name: optional name.
        seed: integer seed; without one the draw follows numpy's global RNG.
    """
    dtype = dtype or floatx()
    value = np_random(seed).normal(mean, scale, size=tuple(shape)).astype(dtype)
    return variable(value, dtype=dtype, name=name)


def truncated_normal(shape: Sequence[int], mean: float = 0.0, stddev: float = 1.0,
                     dtype: str | None = None, seed: int | None = None) -> jax.Array:
    """Returns normal samples redrawn until within two standard deviations of `mean`.

    # Arguments
        shape: the shape of the result.
        mean: the mean of the distribution.
        stddev: its standard deviation (before truncation).
        dtype: the dtype; defaults to `floatx()`.
        seed: integer seed; without one the draw follows numpy's global RNG.
    """
    dtype = dtype or floatx()
    # Inverse-CDF sampling from uniforms, so the draw follows `random_uniform`'s keys.
    # The standard normal CDF at -2 and at 2.
    u = random_uniform(shape, minval=0.022750131948179195, maxval=0.9772498680518208,
                       dtype=dtype, seed=seed)
    return mean + stddev * _standard_normal_quantile(u)


@jax.jit
def _standard_normal_quantile(u: jax.Array) -> jax.Array:
    return jnp.clip(jax.scipy.special.ndtri(u), -2.0, 2.0)


def get_variable_shape(x: Any) -> tuple:
    """Returns the shape of a variable as a tuple of ints."""
    return int_shape(x)


def print_tensor(x: Any, message: str = "") -> jax.Array:
    """Prints `message` and the value of `x` when it is computed; returns `x`.

    Works inside compiled functions (through `jax.debug.print`): use the
    returned array in what follows, as with Keras 2.
    """
    x = jnp.asarray(_arr(x))
    jax.debug.print("{message}{x}", message=str(message), x=x)
    return x


def stop_gradient(variables: Any) -> Any:
    """Returns `variables` (an array, or a list or tuple of arrays) with zero gradient.

    # Returns
        One array for one input, a list of arrays for a list or tuple.
    """
    if isinstance(variables, (list, tuple)):
        return [jax.lax.stop_gradient(_arr(v)) for v in variables]
    return jax.lax.stop_gradient(_arr(variables))


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: str = "int32") -> jax.Array:
    """Returns a 1-D array of evenly spaced values, as Theano's and numpy's `arange`.

    With one argument it is the stop value and the sequence starts at 0 (a
    negative one gives an empty sequence).

    # Arguments
        start: start value, or stop value when `stop` is None.
        stop: stop value (excluded).
        step: difference between successive values.
        dtype: the dtype of the result; the sequence is cast to it unless it
            is the default `'int32'` (so float bounds give floats, as in Keras 2.2.4).
    """
    if stop is None:
        start, stop = 0, builtins.max(start, 0)
    result = jnp.arange(start, stop, step)
    if dtype != "int32":
        result = result.astype(dtype)
    return result


def repeat_elements(x: Any, rep: int, axis: int) -> jax.Array:
    """Repeats each element of `x` `rep` times along `axis`, like `np.repeat`.

    A `(s1, s2, s3)` input repeated along axis 1 becomes `(s1, s2 * rep, s3)`.
    """
    return jnp.repeat(_arr(x), int(rep), axis=axis)


def reverse(x: Any, axes: int | Sequence[int]) -> jax.Array:
    """Reverses `x` along an axis or along each of several axes."""
    if isinstance(axes, int):
        axes = [axes]
    return jnp.flip(_arr(x), axis=tuple(int(a) for a in axes))


def slice(x: Any, start: Sequence[int], size: Sequence[int]) -> jax.Array:  # noqa: A001
    """Returns `x[start[0]:start[0] + size[0], ..., start[-1]:start[-1] + size[-1]]`.

    # Arguments
        x: input array.
        start: start index along each axis (ints, or an integer array).
        size: static length along each axis; -1 takes everything from the start
            (only with static starts).
    """
    x = jnp.asarray(_arr(x))
    size = [int(s) for s in size]
    if builtins.all(isinstance(s, (int, np.integer)) for s in start):
        start = [int(s) for s in start]
        index = tuple(builtins.slice(b, None if n == -1 else b + n)
                      for b, n in zip(start, size, strict=True))
        return x[index]
    if builtins.any(n < 0 for n in size):
        raise ValueError("slice: `size` may hold -1 only when `start` is a list of ints, "
                         f"got size {size}")
    return jax.lax.dynamic_slice(x, [jnp.asarray(_arr(s)) for s in start], size)


def _padding_pattern(padding: Any, n: int, fn: str) -> list:
    try:
        pattern = [(int(a), int(b)) for a, b in padding]
    except (TypeError, ValueError):
        pattern = []
    if len(pattern) != n:
        raise ValueError(
            f"{fn}: `padding` must be {n} pairs of ints ((before, after) for each "
            f"spatial axis), got {padding!r}")
    return pattern


def temporal_padding(x: Any, padding: Sequence[int] = (1, 1)) -> jax.Array:
    """Pads the middle axis of a 3-D array with zeros.

    # Arguments
        x: array of shape `(samples, steps, features)`.
        padding: `(before, after)`, the number of zeros to add on axis 1.

    # Raises
        ValueError: if `padding` is not a pair of ints.
    """
    (pattern,) = _padding_pattern([padding], 1, "temporal_padding")
    return jnp.pad(_arr(x), [(0, 0), pattern, (0, 0)])


def _spatial_padding(x: Any, padding: Any, data_format: str | None, n: int,
                     fn: str) -> jax.Array:
    data_format = normalize_data_format(data_format)
    pattern = _padding_pattern(padding, n, fn)
    if data_format == "channels_first":
        full = [(0, 0), (0, 0)] + pattern
    else:
        full = [(0, 0)] + pattern + [(0, 0)]
    return jnp.pad(_arr(x), full)


def spatial_2d_padding(x: Any, padding: Any = ((1, 1), (1, 1)),
                       data_format: str | None = None) -> jax.Array:
    """Pads the two spatial axes of a 4-D array with zeros.

    # Arguments
        x: array of images.
        padding: `((top, bottom), (left, right))`.
        data_format: `'channels_last'` (rows are axis 1) or `'channels_first'`
            (rows are axis 2); None means `image_data_format()`.

    # Raises
        ValueError: for a bad `padding` or `data_format`.
    """
    return _spatial_padding(x, padding, data_format, 2, "spatial_2d_padding")


def spatial_3d_padding(x: Any, padding: Any = ((1, 1), (1, 1), (1, 1)),
                       data_format: str | None = None) -> jax.Array:
    """Pads the three spatial axes of a 5-D array with zeros.

    # Arguments
        x: array of volumes.
        padding: `((d0, d1), (h0, h1), (w0, w1))`, zeros before and after each axis.
        data_format: `'channels_last'` or `'channels_first'`; None means
            `image_data_format()`.

    # Raises
        ValueError: for a bad `padding` or `data_format`.
    """
    return _spatial_padding(x, padding, data_format, 3, "spatial_3d_padding")


def _bilinear_along(x: jax.Array, axis: int, factor: int) -> jax.Array:
    # TensorFlow 1's resize_bilinear (no corner alignment, no half-pixel
    # centres): output index i samples the input at i / factor.
    n = x.shape[axis]
    src = np.arange(n * factor, dtype=np.float64) / factor
    lo = np.floor(src).astype(np.int32)
    hi = np.minimum(lo + 1, n - 1)
    shape = [1] * x.ndim
    shape[axis] = n * factor
    w = jnp.asarray((src - lo).reshape(shape), dtype=x.dtype)
    a = jnp.take(x, lo, axis=axis)
    b = jnp.take(x, hi, axis=axis)
    return a + (b - a) * w


def resize_images(x: Any, height_factor: int, width_factor: int, data_format: str | None,
                  interpolation: str = "nearest") -> jax.Array:
    """Scales the rows and columns of a batch of images up by integer factors.

    # Arguments
        x: 4-D array of images.
        height_factor, width_factor: positive ints.
        data_format: `'channels_last'` or `'channels_first'`.
        interpolation: `'nearest'` (each pixel repeated) or `'bilinear'`
            (TensorFlow 1's `resize_bilinear`: output pixel `i` samples the input
            at `i / factor`, the last row and column repeated at the edge).

    # Raises
        ValueError: for a bad `data_format` or `interpolation`.
    """
    data_format = normalize_data_format(data_format)
    rows, cols = (2, 3) if data_format == "channels_first" else (1, 2)
    x = jnp.asarray(_arr(x))
    if interpolation == "nearest":
        return jnp.repeat(jnp.repeat(x, int(height_factor), axis=rows),
                          int(width_factor), axis=cols)
    if interpolation == "bilinear":
        if not jnp.issubdtype(x.dtype, jnp.floating):
            x = x.astype("float32")
        x = _bilinear_along(x, rows, int(height_factor))
        return _bilinear_along(x, cols, int(width_factor))
    raise ValueError(
        f"resize_images: `interpolation` must be 'nearest' or 'bilinear', got {interpolation!r}")


def resize_volumes(x: Any, depth_factor: int, height_factor: int, width_factor: int,
                   data_format: str | None) -> jax.Array:
    """Scales the three spatial axes of a 5-D array up by repeating its elements.

    # Arguments
        x: 5-D array of volumes.
        depth_factor, height_factor, width_factor: positive ints.
        data_format: `'channels_last'` or `'channels_first'`.

    # Raises
        ValueError: for a bad `data_format`.
    """
    data_format = normalize_data_format(data_format)
    first = 2 if data_format == "channels_first" else 1
    x = jnp.asarray(_arr(x))
    for offset, factor in enumerate((depth_factor, height_factor, width_factor)):
        x = jnp.repeat(x, int(factor), axis=first + offset)
    return x


def dropout(x: Any, level: float, noise_shape: Sequence[int] | None = None,
            seed: int | None = None) -> jax.Array:
    """Sets entries of `x` to zero with probability `level` and scales the rest by
    `1 / (1 - level)`.

    # Arguments
        x: input array.
        level: the fraction of entries to drop, in `[0, 1)`.
        noise_shape: shape of the keep/drop mask, broadcastable to `x`'s shape.
        seed: integer seed; without one the mask follows numpy's global RNG.

    # Raises
        ValueError: if `level` is outside `[0, 1)`.
    """
    x = jnp.asarray(_arr(x))
    level = float(level)
    if not 0.0 <= level < 1.0:
        raise ValueError(f"dropout: `level` must be in [0, 1), got {level}")
    if level == 0.0:
        return x
    retain = 1.0 - level
    shape = x.shape if noise_shape is None else tuple(int(d) for d in noise_shape)
    keep = random_uniform(shape, dtype=x.dtype if jnp.issubdtype(x.dtype, jnp.floating)
                          else floatx(), seed=seed) < retain
    return jnp.where(keep, x / retain, jnp.zeros((), x.dtype))


# Batch normalization and crossentropies.

def _broadcast_param(p: Any, shape: tuple) -> Any:
    if p is None:
        return None
    return jnp.reshape(_arr(p), shape)


def normalize_batch_in_training(x: Any, gamma: Any, beta: Any, reduction_axes: Sequence[int],
                                epsilon: float = 1e-3) -> tuple:
    """Normalizes `x` with the mean and variance of the batch along `reduction_axes`.

    # Arguments
        x: input array.
        gamma: scale, with one value per position of the axes not reduced
            (for example shape `(channels,)`), or None for no scaling.
        beta: offset, shaped like `gamma`, or None for no offset.
        reduction_axes: the axes over which to take the moments.
        epsilon: added to the variance.

    # Returns
        `(normalized, mean, variance)`: the mean and the (biased) variance have
        the reduced axes removed.
    """
    x = jnp.asarray(_arr(x))
    axes = tuple(int(a) % x.ndim for a in reduction_axes)
    mean_k = jnp.mean(x, axis=axes, keepdims=True)
    var_k = jnp.mean(jnp.square(x - mean_k), axis=axes, keepdims=True)
    target = mean_k.shape
    normed = (x - mean_k) * jax.lax.rsqrt(var_k + epsilon)
    g = _broadcast_param(gamma, target)
    b = _broadcast_param(beta, target)
    if g is not None:
        normed = normed * g
    if b is not None:
        normed = normed + b
    return normed, jnp.squeeze(mean_k, axes), jnp.squeeze(var_k, axes)


def batch_normalization(x: Any, mean: Any, var: Any, beta: Any, gamma: Any, axis: int = -1,
                        epsilon: float = 1e-3) -> jax.Array:
    """Returns `(x - mean) / sqrt(var + epsilon) * gamma + beta`.

    # Arguments
        x: input array.
        mean, var: the statistics to normalize with.
        beta: offset, or None.
        gamma: scale, or None.
        axis: the features axis. For 4-D inputs with `axis` 1, -3, 3 or -1 the
            statistics and parameters are flattened and applied along that axis
            (as Keras 2.2.4's fused path does); otherwise they broadcast against `x`.
        epsilon: added to the variance.
    """
    x = jnp.asarray(_arr(x))
    params = [None if p is None else jnp.asarray(_arr(p)) for p in (mean, var, beta, gamma)]
    if x.ndim == 4 and axis in (1, -3, 3, -1):
        shape = [1] * 4
        shape[axis] = -1
        params = [None if p is None else jnp.reshape(p, shape) for p in params]
    mean, var, beta, gamma = params
    out = (x - mean) * jax.lax.rsqrt(var + epsilon)
    if gamma is not None:
        out = out * gamma
    if beta is not None:
        out = out + beta
    return out


def _check_class_axis(output: jax.Array, axis: int, fn: str) -> None:
    if axis != -1 and axis not in range(output.ndim):
        raise ValueError(
            f"{fn}: unexpected channels axis {axis}; expected -1 or one of the axes of "
            f"`output`, which has {output.ndim} dimensions")


def categorical_crossentropy(target: Any, output: Any, from_logits: bool = False,
                             axis: int = -1) -> jax.Array:
    """Categorical crossentropy between one-hot (or soft) targets and predictions.

    # Arguments
        target: array shaped like `output`.
        output: probabilities (renormalised to sum to 1 along `axis`, then
            clipped to `[epsilon, 1 - epsilon]`), or logits if `from_logits`.
        from_logits: whether `output` holds logits.
        axis: the classes axis (-1 for channels_last, 1 for channels_first).

    # Returns
        The crossentropy, with `axis` reduced.

    # Raises
        ValueError: if `axis` is neither -1 nor an axis of `output`.
    """
    target = jnp.asarray(_arr(target))
    output = jnp.asarray(_arr(output))
    _check_class_axis(output, axis, "categorical_crossentropy")
    if from_logits:
        return -jnp.sum(target * jax.nn.log_softmax(output, axis=axis), axis=axis)
    output = output / jnp.sum(output, axis=axis, keepdims=True)
    eps = epsilon()
    output = jnp.clip(output, eps, 1.0 - eps)
    return -jnp.sum(target * jnp.log(output), axis=axis)


def sparse_categorical_crossentropy(target: Any, output: Any, from_logits: bool = False,
                                    axis: int = -1) -> jax.Array:
    """Categorical crossentropy with integer targets.

    # Arguments
        target: integer class indices, of `output`'s shape without the classes
            axis (a trailing axis of size 1 is accepted).
        output: probabilities (clipped to `[epsilon, 1 - epsilon]` and
            renormalised through a softmax of their log, as Keras 2.2.4 does),
            or logits if `from_logits`.
        from_logits: whether `output` holds logits.
        axis: the classes axis.

    # Returns
        The crossentropy, of `output`'s shape without the classes axis.

    # Raises
        ValueError: if `axis` is neither -1 nor an axis of `output`.
    """
    output = jnp.asarray(_arr(output))
    _check_class_axis(output, axis, "sparse_categorical_crossentropy")
    output = jnp.moveaxis(output, axis, -1)
    if not from_logits:
        eps = epsilon()
        output = jnp.log(jnp.clip(output, eps, 1.0 - eps))
    logp = jax.nn.log_softmax(output, axis=-1)
    labels = jnp.reshape(jnp.asarray(_arr(target)), output.shape[:-1]).astype(jnp.int32)
    return -jnp.take_along_axis(logp, labels[..., None], axis=-1)[..., 0]


def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> jax.Array:
    """Elementwise binary crossentropy.

    # Arguments
        target: array shaped like `output`.
        output: probabilities (clipped to `[epsilon, 1 - epsilon]`), or logits
            if `from_logits`.
        from_logits: whether `output` holds logits.

    # Returns
        An array shaped like `output` (no reduction).
    """
    target = jnp.asarray(_arr(target))
    output = jnp.asarray(_arr(output))
    if not from_logits:
        eps = epsilon()
        output = jnp.clip(output, eps, 1.0 - eps)
        output = jnp.log(output / (1.0 - output))
    # The stable form of -t*log(sigmoid(z)) - (1-t)*log(1-sigmoid(z)).
    return jnp.maximum(output, 0.0) - output * target + jnp.log1p(jnp.exp(-jnp.abs(output)))


def clear_session() -> None:
    """Resets the layer-name counters, as Keras 2's `clear_session` does."""
    from jeras.utils.generic_utils import reset_uids
    reset_uids()
