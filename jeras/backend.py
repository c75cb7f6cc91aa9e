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
import functools
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


#: The backend's name, where Keras 2 code reads it directly.
_BACKEND = "jax"


def backend() -> str:
    """Returns the name of the backend, `'jax'`."""
    return "jax"


# Variables and the scope that binds them.

class StateScope:
    """Binds variables to values for the code run inside it, and records what it changes.

    A compiled step opens one around each layer's call: there `self.kernel`
    reads the traced value the step was handed, `K.update` and `add_update`
    record new values instead of assigning, `add_loss` records a loss, and
    random functions draw from the step's key. The layer returns what was
    recorded as part of its new state; nothing is assigned during tracing.

    # Arguments
        bindings: `{id(variable): value}`.
        training: the learning phase of the code inside (a Python bool).
        rng: a `jax.random` key random functions draw from, or None.
    """

    _stack: list[StateScope] = []

    def __init__(self, bindings: dict | None = None, training: bool = False,
                 rng: Any = None):
        self.bindings = dict(bindings or {})
        self.training = bool(training)
        self.rng = rng
        self.updates: dict[int, tuple[Variable, Any]] = {}
        self.losses: list = []
        self._draws = 0

    def __enter__(self) -> StateScope:
        StateScope._stack.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        StateScope._stack.remove(self)

    def lookup(self, variable: Variable) -> Any:
        for scope in reversed(StateScope._stack):
            if id(variable) in scope.bindings:
                return scope.bindings[id(variable)]
        return None

    def next_key(self) -> Any:
        """A fresh key from the innermost scope that has one, or None."""
        for scope in reversed(StateScope._stack):
            if scope.rng is not None:
                scope._draws += 1
                return jax.random.fold_in(scope.rng, scope._draws)
        return None

    def hand_up(self, keep: set | frozenset = frozenset()) -> None:
        """Passes this scope's losses, and its updates of variables not in `keep`
        (ids), to the scope around it, which returns them as its own."""
        parent = current_scope(below=self)
        if parent is None:
            return
        parent.losses.extend(self.losses)
        for key, item in self.updates.items():
            if key not in keep:
                parent.updates[key] = item


# The programs being traced: per program, the values its variable arguments
# bind, and the list of variables it was found to read.
_READS: list[tuple[dict, list]] = []


class ReadingProgram:
    """A compiled program that takes the variables its function reads as arguments.

    A variable no `StateScope` binds (a `K.variable` a `Lambda` multiplies
    by, another model's weight in a custom layer) would otherwise be a
    constant of the program, frozen at its value when traced: 2.2.4's graphs
    read such variables at every run. The variables are found while the
    function traces; the program is then compiled again with them as its
    last argument, and every call passes their current values.

    # Arguments
        fn: the function to compile.
        compile: compiles a function taking `fn`'s arguments and then the
            list of the variables' values (`jax.jit`, or a laid-out jit).
    """

    def __init__(self, fn: Callable, compile: Callable[[Callable], Callable]):
        self._fn = fn
        self._compile = compile
        self._variables: list[Variable] = []
        self._build()

    def _build(self) -> None:
        variables, found, fn = list(self._variables), self._variables, self._fn

        def program(*args: Any) -> Any:
            *args, values = args
            _READS.append(({id(v): x for v, x in zip(variables, values)}, found))
            try:
                return fn(*args)
            finally:
                _READS.pop()

        self._bound = len(variables)
        self._program = self._compile(program)

    def _cache_size(self) -> int:
        """How many times the current program compiled (`jax.jit`'s count)."""
        return self._program._cache_size()

    def __call__(self, *args: Any) -> Any:
        out = self._program(*args, [v._read() for v in self._variables[:self._bound]])
        if len(self._variables) > self._bound:
            # This call traced with the new variables' current values; later
            # calls pass them.
            self._build()
        return out


def current_scope(below: StateScope | None = None) -> StateScope | None:
    """The innermost open `StateScope` (the one around `below` when given), or None."""
    stack = StateScope._stack
    if below is not None:
        stack = stack[:stack.index(below)] if below in stack else stack
    return stack[-1] if stack else None


class Variable:
    """A named value with identity: a layer's weight, or a variable of `K.variable`.

    Outside a compiled step a variable reads and writes its stored value;
    inside one, a `StateScope` binds it to the step's traced value, so
    `K.dot(x, self.kernel)` in a layer's `call` traces like a built-in
    layer. Hyper-parameters a callback changes (`model.optimizer.lr`) are
    variables too: compiled steps receive their value as an input, so
    setting one never recompiles anything.

    # Arguments
        value: a number or array-like, the initial value.
        dtype: the dtype to store; defaults to `floatx()` for floats.
        name: optional name.
        trainable: whether an optimizer may update it.
        constraint: a function applied after each optimizer update, or None.
        regularizer: a function of the value added to the loss, or None.
    """

    __array_priority__ = 100
    trainable = True
    constraint = None
    regularizer = None

    def __init__(self, value: Any, dtype: str | None = None, name: str | None = None,
                 trainable: bool = True, constraint: Callable | None = None,
                 regularizer: Callable | None = None):
        self.name = name
        self._dtype = dtype
        self.trainable = trainable
        self.constraint = constraint
        self.regularizer = regularizer
        self.assign(value)

    def _read(self) -> Any:
        return self._value

    def _write(self, value: np.ndarray) -> None:
        self._value = value

    @property
    def value(self) -> Any:
        """The bound value inside a `StateScope` that binds this variable, else the stored one.

        Read while a `ReadingProgram` traces and bound by no scope, the
        variable becomes an argument of that program.
        """
        if StateScope._stack:
            bound = StateScope._stack[-1].lookup(self)
            if bound is not None:
                return bound
        if _READS:
            bindings, found = _READS[-1]
            if id(self) in bindings:
                return bindings[id(self)]
            if not builtins.any(v is self for v in found):
                found.append(self)
        return self._read()

    @property
    def dtype(self) -> str:
        return str(self.value.dtype)

    @property
    def shape(self) -> tuple:
        return tuple(self.value.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

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
        return np.array(self._read())

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self._read(), dtype=dtype)

    def __float__(self) -> float:
        return float(self._read())

    def __int__(self) -> int:
        return int(self._read())

    def __repr__(self) -> str:
        return f"<jeras Variable {self.name or ''} shape={self.shape} dtype={self.dtype}>"

    def _binary(self, other: Any, op: Callable, reflected: bool = False) -> Any:
        if _is_symbolic(other):
            return NotImplemented
        a, b = self.value, _arr(other)
        return op(b, a) if reflected else op(a, b)

    # Arithmetic on the value, so that `opt.lr * 0.1` and `x * self.kernel` both work.
    def __add__(self, o): return self._binary(o, lambda a, b: a + b)
    def __radd__(self, o): return self._binary(o, lambda a, b: a + b, True)
    def __sub__(self, o): return self._binary(o, lambda a, b: a - b)
    def __rsub__(self, o): return self._binary(o, lambda a, b: a - b, True)
    def __mul__(self, o): return self._binary(o, lambda a, b: a * b)
    def __rmul__(self, o): return self._binary(o, lambda a, b: a * b, True)
    def __truediv__(self, o): return self._binary(o, lambda a, b: a / b)
    def __rtruediv__(self, o): return self._binary(o, lambda a, b: a / b, True)
    def __pow__(self, o): return self._binary(o, lambda a, b: a ** b)
    def __rpow__(self, o): return self._binary(o, lambda a, b: a ** b, True)
    def __matmul__(self, o): return self._binary(o, lambda a, b: a @ b)
    def __rmatmul__(self, o): return self._binary(o, lambda a, b: a @ b, True)
    def __lt__(self, o): return self._binary(o, lambda a, b: a < b)
    def __le__(self, o): return self._binary(o, lambda a, b: a <= b)
    def __gt__(self, o): return self._binary(o, lambda a, b: a > b)
    def __ge__(self, o): return self._binary(o, lambda a, b: a >= b)
    def __neg__(self): return -self.value
    def __abs__(self): return abs(self.value)
    def __getitem__(self, item):
        if StateScope._stack or builtins.any(isinstance(leaf, jax.core.Tracer)
                                             for leaf in jax.tree.leaves(item)):
            return jnp.asarray(self.value)[item]
        # Outside a running step (in `build`: `self.kernel_i = self.kernel[:, :units]`,
        # as 2.2.4's own LSTMCell writes), a slice is a view that reads the running
        # step's value, not a copy frozen at build time.
        return _SliceView(self, item)

    __hash__ = object.__hash__


class _SliceView(Variable):
    """A slice of a variable that follows its value (see `Variable.__getitem__`)."""

    def __init__(self, parent: Variable, item: Any):
        self._parent = parent
        self._item = item
        self.name = f"{parent.name}[{item!r}]"
        self._dtype = None

    def _read(self) -> Any:
        return self._parent.value[self._item]

    def _write(self, value: np.ndarray) -> None:
        raise TypeError(f"{self.name} is a slice of a variable; assign to the variable")


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
    """Instantiates a variable.

    # Arguments
        value: numpy array or number, the initial value.
        dtype: the dtype; defaults to `floatx()` for floats.
        name: optional name.
        constraint: a projection applied after optimizer updates, or None.

    # Returns
        A `Variable`.
    """
    return Variable(value, dtype=dtype, name=name, constraint=constraint)


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
    """Evaluates a variable or tensor and returns a numpy array.

    # Raises
        ValueError: for a graph tensor that depends on inputs (use `K.function`).
    """
    if _is_symbolic(x):
        return function([], [x])([])[0]
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


def _is_symbolic(x: Any) -> bool:
    return getattr(x, "_jeras_symbolic", False)


def int_shape(x: Any) -> tuple:
    """Returns the shape of `x` as a tuple of ints (None for a graph tensor's unknown dims)."""
    if _is_symbolic(x):
        return tuple(x.shape)
    return tuple(int(d) for d in np.shape(_arr(x)))


def shape(x: Any) -> tuple:
    """Returns the shape of `x` (static in JAX, so the same as `int_shape`)."""
    return int_shape(x)


def ndim(x: Any) -> int:
    """Returns the number of axes of `x`."""
    if _is_symbolic(x):
        return len(x.shape)
    return len(np.shape(_arr(x)))


def dtype(x: Any) -> str:
    """Returns the dtype of `x` as a string."""
    if _is_symbolic(x):
        return str(x.dtype)
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
    if alpha != 0.0 and max_value is None and threshold == 0.0:
        return jnp.maximum(x, alpha * x)  # TensorFlow's leaky_relu, which 2.2.4 calls here
    # Keras 2.2.4's composition: the part above the threshold, clipped to
    # [0, max_value], minus alpha times the part below it.
    if threshold != 0.0:
        y = jnp.where(x > threshold, x, jnp.zeros((), x.dtype))
    else:
        y = jnp.maximum(x, 0.0)
    if max_value is not None:
        y = jnp.clip(y, 0.0, max_value)
    if alpha != 0.0:
        y = y - alpha * jnp.maximum(threshold - x, 0.0)
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


def switch(condition: Any, then_expression: Any, else_expression: Any) -> jax.Array:
    """Chooses between two tensors (or callables returning one) by `condition`.

    A Python (or numpy) scalar condition picks one expression, which may then
    differ in shape from the other. An array condition selects element by
    element, aligned with the leading axes of the expressions: a `(samples,)`
    condition picks whole rows of `(samples, ...)` expressions, as Keras 2.2.4 does.

    # Raises
        ValueError: if `condition` has more axes than the expressions.
    """
    condition = _arr(condition)
    if isinstance(condition, (bool, int, float, np.bool_, np.number)):
        chosen = then_expression if condition else else_expression
        return jnp.asarray(_arr(chosen() if callable(chosen) else chosen))
    if callable(then_expression):
        then_expression = then_expression()
    if callable(else_expression):
        else_expression = else_expression()
    cond = jnp.asarray(condition).astype(bool)
    then_expression = jnp.asarray(_arr(then_expression))
    else_expression = jnp.asarray(_arr(else_expression))
    expr_ndim = builtins.max(then_expression.ndim, else_expression.ndim)
    if cond.ndim > expr_ndim:
        raise ValueError(
            f"switch: the rank of `condition` ({cond.ndim}) must not exceed the rank of "
            f"`then_expression` and `else_expression` ({expr_ndim})")
    cond = jnp.reshape(cond, cond.shape + (1,) * (expr_ndim - cond.ndim))
    return jnp.where(cond, then_expression, else_expression)


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
    """Batchwise dot product, as Keras 2.2.4's TensorFlow backend computes it.

    Inputs of unequal rank are first padded with trailing axes of size 1.
    Two 2-D inputs are multiplied and summed over `axes`; higher ranks are one
    batched matrix product over the last two axes, whose operands are
    transposed as `axes` says (the first operand when `axes[0]` is not its
    last axis, the second when `axes[1]` is its last axis), so every leading
    axis is a batch axis. The padding axes are squeezed from the result, and
    a result of rank 1 gets a trailing axis.

    # Arguments
        x, y: tensors with a batch axis first, of rank 2 or more.
        axes: an int, a pair of ints, or None (`(ndim(x) - 1, ndim(y) - 2)`).

    # Raises
        ValueError: for `axes` holding lists.
    """
    x, y = jnp.asarray(_arr(x)), jnp.asarray(_arr(y))
    if isinstance(axes, int):
        axes = (axes, axes)
    x_ndim, y_ndim = x.ndim, y.ndim
    if axes is None:
        axes = (x_ndim - 1, y_ndim - 2)
    if builtins.any(isinstance(a, (list, tuple)) for a in axes):
        raise ValueError("batch_dot: multiple target dimensions are not supported; `axes` "
                         f"must be None, an int or (int, int), got {axes!r}")
    diff = builtins.abs(x_ndim - y_ndim)
    if x_ndim > y_ndim:
        y = jnp.reshape(y, y.shape + (1,) * diff)
    elif y_ndim > x_ndim:
        x = jnp.reshape(x, x.shape + (1,) * diff)
    if x.ndim == 2 and y.ndim == 2:
        if axes[0] == axes[1]:
            out = jnp.sum(x * y, axis=axes[0])
        else:
            out = jnp.sum(jnp.transpose(x) * y, axis=axes[1])
    else:
        a = jnp.swapaxes(x, -1, -2) if axes[0] != x.ndim - 1 else x
        b = jnp.swapaxes(y, -1, -2) if axes[1] == y.ndim - 1 else y
        out = jnp.matmul(a, b)
    if diff:
        start = x_ndim + y_ndim - 3 if x_ndim > y_ndim else x_ndim - 1
        out = jnp.squeeze(out, tuple(range(start, start + diff)))
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


def _draw_key(seed: int | None) -> jax.Array:
    """The key a random function draws from: inside a running step without a seed,
    the step's own (a new draw each step); otherwise one from `seed` or numpy."""
    if seed is None:
        scope = current_scope()
        key = scope.next_key() if scope is not None else None
        if key is not None:
            return key
    return rng_key(seed)


def _static_shape(shape: Any) -> tuple:
    return tuple(int(d) for d in shape)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return jax.random.uniform(_draw_key(seed), _static_shape(shape), dtype or floatx(),
                              minval, maxval)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return mean + stddev * jax.random.normal(_draw_key(seed), _static_shape(shape),
                                             dtype or floatx())


def random_binomial(shape, p=0.0, dtype=None, seed=None):
    return jax.random.bernoulli(_draw_key(seed), p, _static_shape(shape)).astype(
        dtype or floatx())


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
    """Returns whether `x` is a backend tensor: a graph tensor, a jax array (traced or
    not) or a `Variable`.

    Numpy arrays and Python numbers are not tensors, as in Keras 2.2.4.
    """
    return _is_symbolic(x) or isinstance(x, (jax.Array, Variable))


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


# Convolutions, pooling and bias. Kernels are laid out as in Keras 2: spatial
# axes first, then input channels, then output channels (conv2d: (kh, kw, in, out)).

_SPATIAL_AXES = {1: "W", 2: "HW", 3: "DHW"}


def _padding_arg(padding: Any, fn: str, allowed: tuple = ("same", "valid")) -> str:
    if padding not in allowed:
        raise ValueError(
            f"{fn}: `padding` must be one of {', '.join(repr(a) for a in allowed)}, "
            f"got {padding!r}")
    return str(padding).upper()


def _int_tuple(value: Any, n: int, fn: str, name: str) -> tuple:
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    try:
        out = tuple(int(v) for v in value)
    except TypeError:
        out = ()
    if len(out) != n:
        raise ValueError(f"{fn}: `{name}` must be an int or {n} ints, got {value!r}")
    return out


def _conv_dimension_numbers(rank: int, data_format: str) -> tuple:
    spatial = _SPATIAL_AXES[rank]
    lhs = "NC" + spatial if data_format == "channels_first" else "N" + spatial + "C"
    return (lhs, spatial + "IO", lhs)


def _conv_operands(x: Any, kernel: Any, rank: int, fn: str) -> tuple:
    x = jnp.asarray(_arr(x))
    kernel = jnp.asarray(_arr(kernel))
    if x.ndim != rank + 2:
        raise ValueError(f"{fn}: expected a {rank + 2}-D input, got shape {x.shape}")
    if kernel.ndim != rank + 2:
        raise ValueError(f"{fn}: expected a {rank + 2}-D kernel, got shape {kernel.shape}")
    dt = jnp.result_type(x, kernel)
    if not jnp.issubdtype(dt, jnp.inexact):
        dt = jnp.dtype(floatx())
    return x.astype(dt), kernel.astype(dt)


def _conv(x: jax.Array, kernel: jax.Array, strides: tuple, padding: Any, data_format: str,
          dilation: tuple, rank: int, groups: int = 1) -> jax.Array:
    return jax.lax.conv_general_dilated(
        x, kernel, window_strides=strides, padding=padding, rhs_dilation=dilation,
        dimension_numbers=_conv_dimension_numbers(rank, data_format),
        feature_group_count=groups)


def _conv_nd(x: Any, kernel: Any, strides: Any, padding: str, data_format: str | None,
             dilation_rate: Any, rank: int, fn: str) -> jax.Array:
    data_format = normalize_data_format(data_format)
    pad = _padding_arg(padding, fn)
    x, kernel = _conv_operands(x, kernel, rank, fn)
    return _conv(x, kernel, _int_tuple(strides, rank, fn, "strides"), pad, data_format,
                 _int_tuple(dilation_rate, rank, fn, "dilation_rate"), rank)


def conv1d(x: Any, kernel: Any, strides: int = 1, padding: str = "valid",
           data_format: str | None = None, dilation_rate: int = 1) -> jax.Array:
    """1-D convolution.

    # Arguments
        x: input of shape `(samples, steps, channels)` (channels_last) or
            `(samples, channels, steps)` (channels_first).
        kernel: kernel of shape `(kernel_size, in_channels, filters)`.
        strides: stride, an int.
        padding: `'valid'`, `'same'` or `'causal'` (zeros added only before the
            sequence, so output `t` sees inputs up to `t`; channels_last only).
        data_format: `'channels_last'` or `'channels_first'`; None means
            `image_data_format()`.
        dilation_rate: dilation, an int.

    # Returns
        The convolved array.

    # Raises
        ValueError: for a bad `padding` or `data_format`, or causal padding
            with channels_first data.
    """
    data_format = normalize_data_format(data_format)
    _padding_arg(padding, "conv1d", ("same", "valid", "causal"))
    if padding == "causal":
        if data_format != "channels_last":
            raise ValueError("conv1d: causal padding needs data_format='channels_last' "
                             f"(temporal data), got {data_format!r}")
        (dilation,) = _int_tuple(dilation_rate, 1, "conv1d", "dilation_rate")
        left = dilation * (int(np.shape(_arr(kernel))[0]) - 1)
        x = temporal_padding(x, (left, 0))
        padding = "valid"
    return _conv_nd(x, kernel, strides, padding, data_format, dilation_rate, 1, "conv1d")


def conv2d(x: Any, kernel: Any, strides: Sequence[int] = (1, 1), padding: str = "valid",
           data_format: str | None = None,
           dilation_rate: Sequence[int] = (1, 1)) -> jax.Array:
    """2-D convolution.

    # Arguments
        x: 4-D input, `(samples, rows, cols, channels)` for channels_last or
            `(samples, channels, rows, cols)` for channels_first.
        kernel: kernel of shape `(kernel_rows, kernel_cols, in_channels, filters)`.
        strides: 2 ints (or one int for both).
        padding: `'valid'` or `'same'` (TensorFlow's: any odd pixel goes after).
        data_format: `'channels_last'` or `'channels_first'`; None means
            `image_data_format()`.
        dilation_rate: 2 ints (or one int).

    # Returns
        The convolved 4-D array, in `data_format`.

    # Raises
        ValueError: for a bad `padding` or `data_format`.
    """
    return _conv_nd(x, kernel, strides, padding, data_format, dilation_rate, 2, "conv2d")


def conv3d(x: Any, kernel: Any, strides: Sequence[int] = (1, 1, 1), padding: str = "valid",
           data_format: str | None = None,
           dilation_rate: Sequence[int] = (1, 1, 1)) -> jax.Array:
    """3-D convolution.

    # Arguments
        x: 5-D input, `(samples, d, h, w, channels)` or `(samples, channels, d, h, w)`.
        kernel: kernel of shape `(kd, kh, kw, in_channels, filters)`.
        strides: 3 ints (or one int).
        padding: `'valid'` or `'same'`.
        data_format: `'channels_last'` or `'channels_first'`; None means
            `image_data_format()`.
        dilation_rate: 3 ints (or one int).

    # Raises
        ValueError: for a bad `padding` or `data_format`.
    """
    return _conv_nd(x, kernel, strides, padding, data_format, dilation_rate, 3, "conv3d")


def _conv_transpose_nd(x: Any, kernel: Any, output_shape: Sequence[Any], strides: Any,
                       padding: str, data_format: str | None, dilation_rate: Any, rank: int,
                       fn: str) -> jax.Array:
    data_format = normalize_data_format(data_format)
    pad = _padding_arg(padding, fn)
    strides = _int_tuple(strides, rank, fn, "strides")
    dilation = _int_tuple(dilation_rate, rank, fn, "dilation_rate")
    x, kernel = _conv_operands(x, kernel, rank, fn)
    output_shape = list(output_shape)
    if len(output_shape) != rank + 2:
        raise ValueError(f"{fn}: `output_shape` must have {rank + 2} entries, "
                         f"got {tuple(output_shape)}")
    if output_shape[0] is None:
        output_shape[0] = x.shape[0]
    out_spec = jax.ShapeDtypeStruct(tuple(int(d) for d in output_shape), x.dtype)

    # The transposed convolution is the transpose (the gradient with respect to
    # its input) of the convolution that maps `output_shape` back to `x`.
    def forward(z):
        return _conv(z, kernel, strides, pad, data_format, dilation, rank)

    mapped = jax.eval_shape(forward, out_spec).shape
    if mapped != x.shape:
        raise ValueError(
            f"{fn}: a convolution of an `output_shape` {out_spec.shape} input with this "
            f"kernel, strides and padding gives {mapped}, not the shape of `x` {x.shape}")
    (out,) = jax.linear_transpose(forward, out_spec)(x)
    return out


def conv2d_transpose(x: Any, kernel: Any, output_shape: Sequence[Any],
                     strides: Sequence[int] = (1, 1), padding: str = "valid",
                     data_format: str | None = None,
                     dilation_rate: Sequence[int] = (1, 1)) -> jax.Array:
    """2-D transposed convolution (the gradient of `conv2d` with respect to its input).

    # Arguments
        x: 4-D input.
        kernel: kernel of shape `(kernel_rows, kernel_cols, filters, in_channels)`.
        output_shape: the 4-D shape of the result, in `data_format`; its first
            entry may be None (the batch size of `x`).
        strides: 2 ints (or one int).
        padding: `'valid'` or `'same'`.
        data_format: `'channels_last'` or `'channels_first'`; None means
            `image_data_format()`.
        dilation_rate: 2 ints (or one int).

    # Raises
        ValueError: for a bad `padding` or `data_format`, or an `output_shape`
            that a convolution with these arguments would not map to `x`'s shape.
    """
    return _conv_transpose_nd(x, kernel, output_shape, strides, padding, data_format,
                              dilation_rate, 2, "conv2d_transpose")


def conv3d_transpose(x: Any, kernel: Any, output_shape: Sequence[Any],
                     strides: Sequence[int] = (1, 1, 1), padding: str = "valid",
                     data_format: str | None = None) -> jax.Array:
    """3-D transposed convolution (the gradient of `conv3d` with respect to its input).

    # Arguments
        x: 5-D input.
        kernel: kernel of shape `(kd, kh, kw, filters, in_channels)`.
        output_shape: the 5-D shape of the result, in `data_format`; its first
            entry may be None.
        strides: 3 ints (or one int).
        padding: `'valid'` or `'same'`.
        data_format: `'channels_last'` or `'channels_first'`; None means
            `image_data_format()`.

    # Raises
        ValueError: as `conv2d_transpose`.
    """
    return _conv_transpose_nd(x, kernel, output_shape, strides, padding, data_format,
                              1, 3, "conv3d_transpose")


def _depthwise(x: jax.Array, depthwise_kernel: jax.Array, strides: tuple, pad: str,
               data_format: str, dilation: tuple, rank: int) -> jax.Array:
    # (spatial..., in, multiplier) -> (spatial..., 1, in * multiplier): output
    # channel i * multiplier + m is input channel i through filter m.
    shape = depthwise_kernel.shape
    kernel = jnp.reshape(depthwise_kernel, shape[:rank] + (1, shape[rank] * shape[rank + 1]))
    return _conv(x, kernel, strides, pad, data_format, dilation, rank, groups=shape[rank])


def _separable_nd(x: Any, depthwise_kernel: Any, pointwise_kernel: Any, strides: Any,
                  padding: str, data_format: str | None, dilation_rate: Any, rank: int,
                  fn: str) -> jax.Array:
    data_format = normalize_data_format(data_format)
    pad = _padding_arg(padding, fn)
    x, depthwise_kernel = _conv_operands(x, depthwise_kernel, rank, fn)
    out = _depthwise(x, depthwise_kernel, _int_tuple(strides, rank, fn, "strides"), pad,
                     data_format, _int_tuple(dilation_rate, rank, fn, "dilation_rate"), rank)
    if pointwise_kernel is None:
        return out
    out, pointwise_kernel = _conv_operands(out, pointwise_kernel, rank, fn)
    return _conv(out, pointwise_kernel, (1,) * rank, "VALID", data_format, (1,) * rank, rank)


def separable_conv1d(x: Any, depthwise_kernel: Any, pointwise_kernel: Any, strides: int = 1,
                     padding: str = "valid", data_format: str | None = None,
                     dilation_rate: int = 1) -> jax.Array:
    """1-D separable convolution: a depthwise convolution, then a pointwise (1x1) one.

    # Arguments
        x: 3-D input.
        depthwise_kernel: `(kernel_size, in_channels, depth_multiplier)`.
        pointwise_kernel: `(1, in_channels * depth_multiplier, filters)`.
        strides: an int.
        padding: `'valid'` or `'same'`.
        data_format: `'channels_last'` or `'channels_first'`; None means
            `image_data_format()`.
        dilation_rate: an int.

    # Raises
        ValueError: for a bad `padding` or `data_format`.
    """
    return _separable_nd(x, depthwise_kernel, pointwise_kernel, strides, padding, data_format,
                         dilation_rate, 1, "separable_conv1d")


def separable_conv2d(x: Any, depthwise_kernel: Any, pointwise_kernel: Any,
                     strides: Sequence[int] = (1, 1), padding: str = "valid",
                     data_format: str | None = None,
                     dilation_rate: Sequence[int] = (1, 1)) -> jax.Array:
    """2-D separable convolution: a depthwise convolution, then a pointwise (1x1) one.

    # Arguments
        x: 4-D input.
        depthwise_kernel: `(kernel_rows, kernel_cols, in_channels, depth_multiplier)`.
        pointwise_kernel: `(1, 1, in_channels * depth_multiplier, filters)`.
        strides: 2 ints (or one int).
        padding: `'valid'` or `'same'`.
        data_format: `'channels_last'` or `'channels_first'`; None means
            `image_data_format()`.
        dilation_rate: 2 ints (or one int).

    # Raises
        ValueError: for a bad `padding` or `data_format`.
    """
    return _separable_nd(x, depthwise_kernel, pointwise_kernel, strides, padding, data_format,
                         dilation_rate, 2, "separable_conv2d")


def depthwise_conv2d(x: Any, depthwise_kernel: Any, strides: Sequence[int] = (1, 1),
                     padding: str = "valid", data_format: str | None = None,
                     dilation_rate: Sequence[int] = (1, 1)) -> jax.Array:
    """2-D depthwise convolution: each input channel convolved with its own filters.

    # Arguments
        x: 4-D input.
        depthwise_kernel: `(kernel_rows, kernel_cols, in_channels, depth_multiplier)`;
            output channel `i * depth_multiplier + m` is channel `i` through filter `m`.
        strides: 2 ints (or one int).
        padding: `'valid'` or `'same'`.
        data_format: `'channels_last'` or `'channels_first'`; None means
            `image_data_format()`.
        dilation_rate: 2 ints (or one int).

    # Raises
        ValueError: for a bad `padding` or `data_format`.
    """
    return _separable_nd(x, depthwise_kernel, None, strides, padding, data_format,
                         dilation_rate, 2, "depthwise_conv2d")


def _pool_nd(x: Any, pool_size: Any, strides: Any, padding: str, data_format: str | None,
             pool_mode: str, rank: int, fn: str) -> jax.Array:
    data_format = normalize_data_format(data_format)
    pad = _padding_arg(padding, fn)
    pool_size = _int_tuple(pool_size, rank, fn, "pool_size")
    strides = _int_tuple(strides, rank, fn, "strides")
    if pool_mode not in ("max", "avg"):
        raise ValueError(f"{fn}: `pool_mode` must be 'max' or 'avg', got {pool_mode!r}")
    x = jnp.asarray(_arr(x))
    if x.ndim != rank + 2:
        raise ValueError(f"{fn}: expected a {rank + 2}-D input, got shape {x.shape}")
    if data_format == "channels_first":
        window, steps = (1, 1) + pool_size, (1, 1) + strides
    else:
        window, steps = (1,) + pool_size + (1,), (1,) + strides + (1,)
    if pool_mode == "avg" and not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(floatx())
    return _pool(x, window, steps, pad, pool_mode)


@functools.partial(jax.jit, static_argnums=(1, 2, 3, 4))
def _pool(x: jax.Array, window: tuple, steps: tuple, pad: str, pool_mode: str) -> jax.Array:
    # Python-scalar initial values, so that jax sees the monoid and can differentiate.
    if pool_mode == "max":
        if jnp.issubdtype(x.dtype, jnp.floating):
            init = -np.inf
        else:
            init = int(jnp.iinfo(x.dtype).min)
        return jax.lax.reduce_window(x, init, jax.lax.max, window, steps, pad)
    zero = 0.0
    total = jax.lax.reduce_window(x, zero, jax.lax.add, window, steps, pad)
    if pad == "VALID":
        return total / np.prod(window)
    # 'same': the average is over the window's positions inside the input.
    ones_shape = tuple(d if w > 1 or s > 1 else 1
                       for d, w, s in zip(x.shape, window, steps, strict=True))
    count = jax.lax.reduce_window(jnp.ones(ones_shape, x.dtype), zero, jax.lax.add,
                                  window, steps, pad)
    return total / count


def pool2d(x: Any, pool_size: Sequence[int], strides: Sequence[int] = (1, 1),
           padding: str = "valid", data_format: str | None = None,
           pool_mode: str = "max") -> jax.Array:
    """2-D max or average pooling.

    # Arguments
        x: 4-D input.
        pool_size: 2 ints.
        strides: 2 ints.
        padding: `'valid'` or `'same'` (average pooling then divides by the
            number of window positions inside the input).
        data_format: `'channels_last'` or `'channels_first'`; None means
            `image_data_format()`.
        pool_mode: `'max'` or `'avg'`.

    # Raises
        ValueError: for a bad `padding`, `data_format` or `pool_mode`.
    """
    return _pool_nd(x, pool_size, strides, padding, data_format, pool_mode, 2, "pool2d")


def pool3d(x: Any, pool_size: Sequence[int], strides: Sequence[int] = (1, 1, 1),
           padding: str = "valid", data_format: str | None = None,
           pool_mode: str = "max") -> jax.Array:
    """3-D max or average pooling (arguments as `pool2d`, with 3 ints).

    # Raises
        ValueError: for a bad `padding`, `data_format` or `pool_mode`.
    """
    return _pool_nd(x, pool_size, strides, padding, data_format, pool_mode, 3, "pool3d")


def bias_add(x: Any, bias: Any, data_format: str | None = None) -> jax.Array:
    """Adds a bias to `x`, along the channels axis of `data_format`.

    # Arguments
        x: input array.
        bias: a vector (one value per channel) or an array of `ndim(x) - 1`
            axes (one value per position and channel, given in channels_last
            order; for channels_first inputs it is reshaped, as Keras 2.2.4
            does, to `(channels, spatial...)`).
        data_format: `'channels_last'` or `'channels_first'`; None means
            `image_data_format()`. Used for 3-D, 4-D and 5-D inputs.

    # Raises
        ValueError: for a bad `data_format` or a bias of the wrong rank.
    """
    data_format = normalize_data_format(data_format)
    x = jnp.asarray(_arr(x))
    bias = jnp.asarray(_arr(bias))
    if bias.ndim != 1 and bias.ndim != x.ndim - 1:
        raise ValueError(
            f"bias_add: unexpected bias dimensions {bias.ndim}, expected 1 or "
            f"{x.ndim - 1} (ndim(x) - 1)")
    if x.ndim not in (3, 4, 5):
        return x + bias
    shape = (1,) * (x.ndim - 1) + bias.shape[-1:] if bias.ndim == 1 else (1,) + bias.shape
    if data_format == "channels_first":
        shape = shape[:1] + shape[-1:] + shape[1:-1]
    return x + jnp.reshape(bias, shape)


def local_conv1d(inputs: Any, kernel: Any, kernel_size: Sequence[int], strides: Sequence[int],
                 data_format: str | None = None) -> jax.Array:
    """1-D convolution with weights not shared between positions.

    # Arguments
        inputs: `(samples, steps, channels)` (channels_last) or
            `(samples, channels, steps)` (channels_first).
        kernel: `(output_length, kernel_size * channels, filters)`; each window
            is flattened as `(kernel_size, channels)` (channels_first:
            `(channels, kernel_size)`).
        kernel_size: a tuple of one int.
        strides: a tuple of one int.
        data_format: `'channels_last'` or `'channels_first'`; None means
            `image_data_format()`.

    # Returns
        `(samples, output_length, filters)`, or `(samples, filters, output_length)`
        for channels_first.

    # Raises
        ValueError: for a bad `data_format`.
    """
    data_format = normalize_data_format(data_format)
    (k,) = _int_tuple(kernel_size, 1, "local_conv1d", "kernel_size")
    (stride,) = _int_tuple(strides, 1, "local_conv1d", "strides")
    x = jnp.asarray(_arr(inputs))
    kernel = jnp.asarray(_arr(kernel))
    length = kernel.shape[0]
    idx = (np.arange(length) * stride)[:, None] + np.arange(k)[None, :]
    if data_format == "channels_first":
        patches = jnp.moveaxis(x[:, :, idx], 1, 3)  # (samples, length, channels, k)
    else:
        patches = x[:, idx, :]  # (samples, length, k, channels)
    patches = jnp.reshape(patches, patches.shape[:2] + (-1,))
    out = jnp.einsum("blf,lfo->blo", patches, kernel)
    return jnp.swapaxes(out, 1, 2) if data_format == "channels_first" else out


def local_conv2d(inputs: Any, kernel: Any, kernel_size: Sequence[int], strides: Sequence[int],
                 output_shape: Sequence[int], data_format: str | None = None) -> jax.Array:
    """2-D convolution with weights not shared between positions.

    # Arguments
        inputs: 4-D input in `data_format`.
        kernel: `(output_rows * output_cols, kernel_rows * kernel_cols * channels,
            filters)`; window `(i, j)` uses row `i * output_cols + j`, flattened as
            `(kernel_rows, kernel_cols, channels)` for channels_last and
            `(channels, kernel_rows, kernel_cols)` for channels_first.
        kernel_size: 2 ints.
        strides: 2 ints.
        output_shape: `(output_rows, output_cols)`.
        data_format: `'channels_last'` or `'channels_first'`; None means
            `image_data_format()`.

    # Returns
        `(samples, output_rows, output_cols, filters)`, or
        `(samples, filters, output_rows, output_cols)` for channels_first.

    # Raises
        ValueError: for a bad `data_format`.
    """
    data_format = normalize_data_format(data_format)
    kh, kw = _int_tuple(kernel_size, 2, "local_conv2d", "kernel_size")
    sr, sc = _int_tuple(strides, 2, "local_conv2d", "strides")
    rows, cols = _int_tuple(output_shape, 2, "local_conv2d", "output_shape")
    x = jnp.asarray(_arr(inputs))
    kernel = jnp.asarray(_arr(kernel))
    ri = ((np.arange(rows) * sr)[:, None] + np.arange(kh)[None, :])[:, None, :, None]
    ci = ((np.arange(cols) * sc)[:, None] + np.arange(kw)[None, :])[None, :, None, :]
    if data_format == "channels_first":
        patches = x[:, :, ri, ci]  # (samples, channels, rows, cols, kh, kw)
        patches = jnp.moveaxis(patches, 1, 3)  # (samples, rows, cols, channels, kh, kw)
    else:
        patches = x[:, ri, ci, :]  # (samples, rows, cols, kh, kw, channels)
    patches = jnp.reshape(patches, (x.shape[0], rows * cols, -1))
    out = jnp.einsum("bpf,pfo->bpo", patches, kernel)
    out = jnp.reshape(out, (x.shape[0], rows, cols, -1))
    return jnp.moveaxis(out, 3, 1) if data_format == "channels_first" else out


# Control flow and higher-order functions, on `lax.scan`.

def _time_mask(mask_t: jax.Array, like: jax.Array) -> jax.Array:
    return jnp.reshape(mask_t, mask_t.shape[:1] + (1,) * (like.ndim - 1))


def rnn(step_function: Callable, inputs: Any, initial_states: Sequence[Any],
        go_backwards: bool = False, mask: Any = None, constants: Sequence[Any] | None = None,
        unroll: bool = False, input_length: int | None = None) -> tuple:
    """Iterates `step_function` over the time axis of `inputs` (a `lax.scan`).

    # Arguments
        step_function: called as `step_function(inputs_t, states + constants)`
            with `inputs_t` of shape `(samples, ...)` and `states` a list;
            returns `(output_t, new_states)`, the new states shaped like the old.
        inputs: array of shape `(samples, time, ...)`, at least 3-D.
        initial_states: list of arrays of shape `(samples, ...)`.
        go_backwards: iterate from the last step to the first; `outputs` is
            then in that (reversed) order.
        mask: `(samples, time)` array, zero (False) where a step is masked; a
            masked step keeps the previous states and outputs, instead of its
            own output, the first state (`unroll=False`) or the previous output,
            zeros at the first step (`unroll=True`), as Keras 2.2.4 does.
        constants: list of arrays passed to every step after the states.
        unroll: unroll the loop at compile time (faster for short sequences).
        input_length: accepted for Keras 2 compatibility (shapes are static).

    # Returns
        `(last_output, outputs, new_states)`: the output of the last step,
        `(samples, time, ...)`, and the list of the final states.

    # Raises
        ValueError: if `inputs` has fewer than 3 axes, or a mask is given
            without initial states.
    """
    del input_length
    inputs = jnp.asarray(_arr(inputs))
    if inputs.ndim < 3:
        raise ValueError(f"rnn: `inputs` must be at least 3-D (samples, time, ...), "
                         f"got shape {inputs.shape}")
    states = [jnp.asarray(_arr(s)) for s in initial_states]
    constants = [_arr(c) for c in (constants or [])]
    xs = jnp.swapaxes(inputs, 0, 1)
    ms = None
    if mask is not None:
        if not states:
            raise ValueError(
                "rnn: no initial states provided; with a mask the step function must "
                "take states (its first state at time t being the output at t - 1)")
        m = jnp.asarray(_arr(mask))
        m = jnp.reshape(m, m.shape[:2]) if m.ndim > 2 else m
        ms = jnp.swapaxes(m.astype(bool), 0, 1)
    if go_backwards:
        xs = xs[::-1]
        ms = None if ms is None else ms[::-1]

    def call(x_t, states_t):
        output, new_states = step_function(x_t, list(states_t) + constants)
        return jnp.asarray(_arr(output)), [jnp.asarray(_arr(s)) for s in new_states]

    keep_previous_output = ms is not None and unroll
    if keep_previous_output:
        out_spec = jax.eval_shape(lambda x, s: call(x, s)[0], xs[0], states)
        previous = jnp.zeros(out_spec.shape, out_spec.dtype)
    else:
        previous = None

    def step(carry, inp):
        states_t, prev_out = carry
        x_t, m_t = inp
        output, new_states = call(x_t, states_t)
        if len(new_states) != len(states_t):
            raise ValueError(f"rnn: the step function returned {len(new_states)} states, "
                             f"expected {len(states_t)}")
        if m_t is not None:
            fallback = prev_out if keep_previous_output else states_t[0]
            output = jnp.where(_time_mask(m_t, output), output, fallback)
            new_states = [jnp.where(_time_mask(m_t, new), new, old)
                          for new, old in zip(new_states, states_t, strict=True)]
        new_states = [new.astype(old.dtype) for new, old in zip(new_states, states_t,
                                                                strict=True)]
        return (new_states, output if keep_previous_output else None), output

    (final_states, _), outputs = jax.lax.scan(step, (states, previous), (xs, ms),
                                              unroll=bool(unroll) or 1)
    outputs = jnp.swapaxes(outputs, 0, 1)
    return outputs[:, -1], outputs, list(final_states)


def map_fn(fn: Callable, elems: Any, name: str | None = None,
           dtype: str | None = None) -> Any:
    """Applies `fn` to each slice of `elems` along its first axis and stacks the results.

    # Arguments
        fn: function of one slice.
        elems: array (or pytree of arrays) to map over.
        name: accepted for Keras 2 compatibility.
        dtype: the dtype of the results, if given (they are cast to it).
    """
    del name
    out = jax.lax.map(fn, jax.tree_util.tree_map(_arr, elems))
    if dtype is not None:
        out = jax.tree_util.tree_map(lambda a: a.astype(dtype), out)
    return out


def _fold(fn: Callable, elems: Any, initializer: Any, reverse: bool) -> Any:
    elems = jnp.asarray(_arr(elems))
    if initializer is None:
        initializer = elems[-1] if reverse else elems[0]
        elems = elems[:-1] if reverse else elems[1:]
    else:
        initializer = jax.tree_util.tree_map(lambda a: jnp.asarray(_arr(a)), initializer)
    acc, _ = jax.lax.scan(lambda a, x: (fn(a, x), None), initializer, elems, reverse=reverse)
    return acc


def foldl(fn: Callable, elems: Any, initializer: Any = None, name: str | None = None) -> Any:
    """Reduces `elems` along its first axis from left to right: `fn(acc, x)`.

    # Arguments
        fn: function of the accumulator and one slice, e.g. `lambda acc, x: acc + x`.
        elems: array to reduce.
        initializer: the first accumulator (`elems[0]` when None).
        name: accepted for Keras 2 compatibility.

    # Returns
        The final accumulator, shaped like `initializer`.
    """
    del name
    return _fold(fn, elems, initializer, reverse=False)


def foldr(fn: Callable, elems: Any, initializer: Any = None, name: str | None = None) -> Any:
    """Reduces `elems` along its first axis from right to left: `fn(acc, x)`.

    # Arguments
        fn: function of the accumulator and one slice.
        elems: array to reduce.
        initializer: the first accumulator (`elems[-1]` when None).
        name: accepted for Keras 2 compatibility.

    # Returns
        The final accumulator, shaped like `initializer`.
    """
    del name
    return _fold(fn, elems, initializer, reverse=True)


# CTC (Connectionist Temporal Classification). The blank is the last class,
# as in Keras 2.2.4. Lengths are data, shapes static, so everything traces
# under `jax.jit`.

_CTC_NEG = -1e30  # a finite "log 0", so that gradients stay finite


def ctc_label_dense_to_sparse(labels: Any, label_lengths: Any) -> Any:
    """Converts dense CTC labels to a sparse array holding the first `label_lengths` of each row.

    # Arguments
        labels: `(samples, max_string_length)` integer labels.
        label_lengths: `(samples,)` number of valid labels in each row.

    # Returns
        A `jax.experimental.sparse.BCOO` of `labels`' shape. It stores one
        entry per position (shapes are static); positions past a row's length
        carry out-of-range indices, which `to_dense` drops.
    """
    from jax.experimental import sparse as jsparse
    labels = jnp.asarray(_arr(labels))
    lengths = jnp.reshape(jnp.asarray(_arr(label_lengths)), (-1,)).astype(jnp.int32)
    n, width = labels.shape
    rows, cols = np.meshgrid(np.arange(n), np.arange(width), indexing="ij")
    valid = jnp.asarray(cols) < lengths[:, None]
    indices = jnp.stack([jnp.where(valid, jnp.asarray(rows), n),
                         jnp.where(valid, jnp.asarray(cols), width)], axis=-1)
    return jsparse.BCOO((labels.reshape(-1), indices.reshape(-1, 2)), shape=(n, width))


def _lse(*xs: jax.Array) -> jax.Array:
    m = xs[0]
    for x in xs[1:]:
        m = jnp.maximum(m, x)
    total = builtins.sum(jnp.exp(x - m) for x in xs)
    return m + jnp.log(total)


def _ctc_log_likelihood(log_probs: jax.Array, labels: jax.Array, input_length: jax.Array,
                        label_length: jax.Array) -> jax.Array:
    """log p(labels | inputs) by the CTC forward recursion, for each sample.

    log_probs: (samples, time, classes) normalised log-probabilities, the
    blank being the last class; labels: (samples, L) ints; lengths: (samples,).
    """
    n, steps, classes = log_probs.shape
    width = labels.shape[1]
    blank = classes - 1
    labels = jnp.clip(labels.astype(jnp.int32), 0, classes - 1)
    ext = jnp.full((n, 2 * width + 1), blank, jnp.int32).at[:, 1::2].set(labels)
    # A label may be reached from two positions back unless it repeats the previous label.
    skip = jnp.zeros(ext.shape, bool).at[:, 3::2].set(labels[:, 1:] != labels[:, :-1])
    neg = jnp.asarray(_CTC_NEG, log_probs.dtype)
    emit = jnp.take_along_axis(log_probs, ext[:, None, :], axis=2)  # (samples, time, S)
    positions = jnp.arange(ext.shape[1])
    alpha0 = jnp.where(positions[None, :] < 2, emit[:, 0, :], neg)

    def step(alpha, inp):
        t, emit_t = inp
        one = jnp.concatenate([jnp.full((n, 1), neg), alpha[:, :-1]], axis=1)
        two = jnp.concatenate([jnp.full((n, 2), neg), alpha[:, :-2]], axis=1)
        two = jnp.where(skip, two, neg)
        new = _lse(alpha, one, two) + emit_t
        return jnp.where((t < input_length)[:, None], new, alpha), None

    ts = jnp.arange(1, steps)
    alpha, _ = jax.lax.scan(step, alpha0, (ts, jnp.swapaxes(emit[:, 1:], 0, 1)))
    last = 2 * label_length
    end_blank = jnp.take_along_axis(alpha, last[:, None], axis=1)[:, 0]
    end_label = jnp.take_along_axis(alpha, jnp.maximum(last - 1, 0)[:, None], axis=1)[:, 0]
    end_label = jnp.where(label_length > 0, end_label, neg)
    return _lse(end_blank, end_label)


@functools.partial(jax.jit, static_argnames="eps")
def _ctc_cost(labels: jax.Array, y_pred: jax.Array, input_length: jax.Array,
              label_length: jax.Array, eps: float) -> jax.Array:
    log_probs = jax.nn.log_softmax(jnp.log(y_pred + eps), axis=-1)
    return -_ctc_log_likelihood(log_probs, labels, input_length, label_length)[:, None]


def ctc_batch_cost(y_true: Any, y_pred: Any, input_length: Any, label_length: Any) -> jax.Array:
    """Runs the CTC loss on each batch element.

    # Arguments
        y_true: `(samples, max_string_length)` integer labels (entries past a
            row's `label_length` are ignored).
        y_pred: `(samples, time_steps, num_categories)` softmax outputs; the
            last category is the blank.
        input_length: `(samples, 1)` number of valid time steps of each row.
        label_length: `(samples, 1)` number of labels of each row.

    # Returns
        `(samples, 1)`: the negative log-likelihood of each row's labels, with
        the probabilities taken as `y_pred + epsilon` renormalised (as
        TensorFlow's `ctc_loss` does with `log(y_pred + epsilon)` as its logits).
    """
    y_pred = jnp.asarray(_arr(y_pred))
    labels = jnp.asarray(_arr(y_true))
    input_length = jnp.reshape(jnp.asarray(_arr(input_length)), (-1,)).astype(jnp.int32)
    label_length = jnp.reshape(jnp.asarray(_arr(label_length)), (-1,)).astype(jnp.int32)
    return _ctc_cost(labels, y_pred, input_length, label_length, eps=epsilon())


def _compact(labels: jax.Array, keep: jax.Array) -> jax.Array:
    """Moves the kept entries of each row to its front; the rest becomes -1."""
    n, width = labels.shape
    pos = jnp.where(keep, jnp.cumsum(keep, axis=1) - 1, width)
    rows = jnp.broadcast_to(jnp.arange(n)[:, None], labels.shape)
    out = jnp.full((n, width), -1, jnp.int32)
    return out.at[rows, pos].set(labels.astype(jnp.int32), mode="drop")


@jax.jit
def _ctc_greedy(logits: jax.Array, lengths: jax.Array) -> tuple:
    n, steps, classes = logits.shape
    best = jnp.argmax(logits, axis=-1).astype(jnp.int32)
    valid = jnp.arange(steps)[None, :] < lengths[:, None]
    previous = jnp.concatenate([jnp.full((n, 1), -1, jnp.int32), best[:, :-1]], axis=1)
    keep = valid & (best != classes - 1) & (best != previous)
    # TensorFlow's greedy decoder reports minus the sum of the best logits.
    score = -jnp.sum(jnp.where(valid, jnp.max(logits, axis=-1), 0.0), axis=1, keepdims=True)
    return [_compact(best, keep)], score


def _ctc_beam_one(logits: jax.Array, length: jax.Array, beam_width: int,
                  top_paths: int) -> tuple:
    """Prefix beam search over one sequence, as TensorFlow's CTC beam search decoder."""
    steps, classes = logits.shape
    blank = classes - 1
    width = beam_width
    neg = jnp.asarray(_CTC_NEG, logits.dtype)
    prefix = jnp.full((width, steps), -1, jnp.int32)
    plen = jnp.zeros((width,), jnp.int32)
    p_blank = jnp.full((width,), neg).at[0].set(0.0)
    p_label = jnp.full((width,), neg)
    alive = jnp.zeros((width,), bool).at[0].set(True)
    labels = jnp.arange(classes)

    def step(carry, inp):
        prefix, plen, p_blank, p_label, alive = carry
        t, x = inp
        x = x - jnp.max(x)  # TensorFlow scores each frame relative to its best class
        total = _lse(p_blank, p_label)
        last = jnp.take_along_axis(prefix, jnp.maximum(plen - 1, 0)[:, None], axis=1)[:, 0]
        last = jnp.where(plen > 0, last, -1)
        # The beams kept as they are: through a blank, or repeating their last label.
        stay_blank = jnp.where(alive, total + x[blank], neg)
        stay_label = jnp.where(alive & (plen > 0), p_label + x[jnp.maximum(last, 0)], neg)
        # The beams extended by one label c.
        before = jnp.where(labels[None, :] == last[:, None], p_blank[:, None], total[:, None])
        ext = jnp.where(alive[:, None] & (labels[None, :] != blank), before + x[None, :], neg)
        # An extension that is already a beam adds to that beam instead.
        parent = jnp.where(jnp.arange(steps)[None, :] == (plen - 1)[:, None], -1, prefix)
        match = (jnp.all(parent[:, None, :] == prefix[None, :, :], axis=-1)
                 & alive[:, None] & alive[None, :] & (plen > 0)[:, None])
        has_parent = jnp.any(match, axis=1)
        j = jnp.argmax(match, axis=1)
        c = jnp.maximum(last, 0)
        stay_label = jnp.where(has_parent, _lse(stay_label, ext[j, c]), stay_label)
        ext = ext.at[jnp.where(has_parent, j, width), c].set(neg, mode="drop")
        scores = jnp.concatenate([_lse(stay_blank, stay_label), ext.reshape(-1)])
        top, pick = jax.lax.top_k(scores, width)
        from_ext = pick >= width
        src = jnp.where(from_ext, (pick - width) // classes, pick)
        lab = (pick - width) % classes
        new_prefix = prefix[src]
        new_prefix = jnp.where(
            from_ext[:, None] & (jnp.arange(steps)[None, :] == plen[src][:, None]),
            lab[:, None], new_prefix)
        new_plen = plen[src] + from_ext.astype(jnp.int32)
        new_blank = jnp.where(from_ext, neg, stay_blank[src])
        new_label = jnp.where(from_ext, ext.reshape(-1)[jnp.maximum(pick - width, 0)],
                              stay_label[src])
        new_alive = top > neg / 2
        new = (new_prefix, new_plen, new_blank, new_label, new_alive)
        active = t < length
        return jax.tree_util.tree_map(lambda a, b: jnp.where(active, a, b), new, carry), None

    carry = (prefix, plen, p_blank, p_label, alive)
    carry, _ = jax.lax.scan(step, carry, (jnp.arange(steps), logits))
    prefix, plen, p_blank, p_label, alive = carry
    score = jnp.where(alive, _lse(p_blank, p_label), -jnp.inf)
    order = jnp.argsort(-score)[:top_paths]
    prefix, score = prefix[order], score[order]
    # TensorFlow (merge_repeated=True) also merges repeated labels of a beam.
    before = jnp.concatenate([jnp.full((top_paths, 1), -1, jnp.int32), prefix[:, :-1]], axis=1)
    keep = (prefix >= 0) & (prefix != before)
    return _compact(prefix, keep), score


@functools.partial(jax.jit, static_argnames=("beam_width", "top_paths"))
def _ctc_beam(logits: jax.Array, lengths: jax.Array, beam_width: int,
              top_paths: int) -> tuple:
    decoded, score = jax.vmap(
        lambda lg, n: _ctc_beam_one(lg, n, beam_width, top_paths))(logits, lengths)
    return [decoded[:, i] for i in range(top_paths)], score


def ctc_decode(y_pred: Any, input_length: Any, greedy: bool = True, beam_width: int = 100,
               top_paths: int = 1) -> tuple:
    """Decodes the output of a softmax by best path (greedy) or beam search.

    # Arguments
        y_pred: `(samples, time_steps, num_categories)` softmax outputs; the
            last category is the blank.
        input_length: `(samples,)` number of valid time steps of each row.
        greedy: best-path decoding if True, else beam search.
        beam_width: the beam width of the beam search.
        top_paths: how many of the most probable paths the beam search returns.

    # Returns
        `(decoded, log_prob)`. `decoded` is a list (one array for greedy
        decoding, `top_paths` for beam search) of `(samples, time_steps)` int32
        arrays holding the decoded labels first and -1 after them: Keras
        2.2.4 trims the padding to the longest decoded row, which a static
        shape cannot, so the width is always `time_steps`. `log_prob` is, for
        greedy decoding, `(samples, 1)` minus the sum over valid steps of the
        best `log(y_pred + epsilon)`; for beam search `(samples, top_paths)`,
        the log-score of each path with each frame's scores taken relative to
        its best class, as TensorFlow's decoders report them.

    # Raises
        ValueError: if `top_paths` is not between 1 and `beam_width`.
    """
    y_pred = jnp.asarray(_arr(y_pred))
    lengths = jnp.reshape(jnp.asarray(_arr(input_length)), (-1,)).astype(jnp.int32)
    logits = jnp.log(y_pred + epsilon())
    if greedy:
        return _ctc_greedy(logits, lengths)
    beam_width, top_paths = int(beam_width), int(top_paths)
    if not 1 <= top_paths <= beam_width:
        raise ValueError(f"ctc_decode: `top_paths` must be between 1 and `beam_width` "
                         f"({beam_width}), got {top_paths}")
    return _ctc_beam(logits, lengths, beam_width=beam_width, top_paths=top_paths)


def clear_session() -> None:
    """Resets the layer-name counters and the learning phase, as Keras 2's `clear_session` does."""
    global _LEARNING_PHASE
    from jeras.utils.generic_utils import reset_uids
    reset_uids()
    _LEARNING_PHASE = None
    _LEARNING_PHASE_TENSOR.clear()


# The Keras 2 programming model: graph inputs, the learning phase, updates,
# functions and gradients of the graph.

_LEARNING_PHASE: int | None = None
_LEARNING_PHASE_TENSOR: list = []


def placeholder(shape: Sequence | None = None, ndim: int | None = None,
                dtype: str | None = None, sparse: bool = False,
                name: str | None = None) -> Any:
    """Returns a graph input tensor (what `Input(batch_shape=shape)` returns).

    # Arguments
        shape: the full shape, batch axis included, None for unknown dims.
        ndim: the number of axes, all unknown, instead of `shape`.
        dtype: defaults to `floatx()`.
        sparse: must be False.
        name: the input's name.

    # Raises
        ValueError: without `shape` or `ndim`, or with `sparse=True`.
    """
    from jeras.engine.input_layer import Input
    if shape is None:
        if ndim is None:
            raise ValueError("placeholder: give `shape` or `ndim`")
        shape = (None,) * int(ndim)
    tensor = Input(batch_shape=tuple(shape), dtype=dtype or floatx(), sparse=sparse, name=name)
    # A graph input, but not a Keras tensor in 2.2.4's sense (no layer made it).
    tensor._placeholder = True
    return tensor


def is_keras_tensor(x: Any) -> bool:
    """Whether `x` is a tensor of the graph (from `Input`, a layer call or a `K.*` function).

    # Raises
        ValueError: when `x` is not a tensor or variable at all, as in Keras 2.
    """
    if not (_is_symbolic(x) or isinstance(x, (Variable, jax.Array))):
        raise ValueError(f"Unexpectedly found an instance of type `{type(x)}`. "
                         "Expected a symbolic tensor instance.")
    return _is_symbolic(x) and not getattr(x, "_placeholder", False)


def is_placeholder(x: Any) -> bool:
    """Whether `x` is a graph input (from `placeholder` or `Input`)."""
    from jeras.engine.input_layer import InputLayer
    return _is_symbolic(x) and isinstance(x._keras_history[0], InputLayer)


def learning_phase() -> Any:
    """The learning phase: 1 in training, 0 in inference.

    Inside a running layer it is that step's phase, a Python int; after
    `set_learning_phase(value)` it is `value`; otherwise it is a graph
    input to feed to a `K.function` (its last input, by Keras 2 habit).
    """
    scope = current_scope()
    if scope is not None:
        return int(scope.training)
    if _LEARNING_PHASE is not None:
        return _LEARNING_PHASE
    if not _LEARNING_PHASE_TENSOR:
        _LEARNING_PHASE_TENSOR.append(placeholder(shape=(), dtype="int32",
                                                  name="keras_learning_phase"))
    return _LEARNING_PHASE_TENSOR[0]


def set_learning_phase(value: int) -> None:
    """Fixes the learning phase to 0 (inference) or 1 (training).

    # Raises
        ValueError: for any other value.
    """
    global _LEARNING_PHASE
    if value not in (0, 1):
        raise ValueError(f"set_learning_phase: expected 0 or 1, got {value!r}")
    _LEARNING_PHASE = int(value)


def _learning_phase_tensor(x: Any) -> bool:
    return bool(_LEARNING_PHASE_TENSOR) and x is _LEARNING_PHASE_TENSOR[0]


def in_train_phase(x: Any, alt: Any, training: Any = None) -> Any:
    """Returns `x` in the training phase and `alt` otherwise.

    # Arguments
        x: what to return in training (a tensor, or a callable returning one).
        alt: what to return in inference (likewise).
        training: a Python bool or int, or None for `learning_phase()`.
    """
    if training is None:
        training = learning_phase()
    if _is_symbolic(training):
        if not _learning_phase_tensor(training):
            raise ValueError("in_train_phase: `training` must be a bool, an int or the "
                             "learning phase, got a graph tensor")
        x, alt = (x() if callable(x) else x), (alt() if callable(alt) else alt)
        from jeras.engine import symbolic
        return symbolic.op(_by_phase, (x, alt), {}, name="in_train_phase")
    chosen = x if training else alt
    return chosen() if callable(chosen) else chosen


def _by_phase(x: Any, alt: Any) -> Any:
    scope = current_scope()
    return x if scope is not None and scope.training else alt


def in_test_phase(x: Any, alt: Any, training: Any = None) -> Any:
    """Returns `x` in inference and `alt` in training (see `in_train_phase`)."""
    return in_train_phase(alt, x, training=training)


def update(x: Variable, new_x: Any) -> Any:
    """Sets `x` to `new_x`.

    Inside a running layer the update is recorded and takes effect as the
    step's new state; on graph tensors it returns the pair for a
    `K.function`'s `updates`; otherwise it assigns at once.

    # Raises
        TypeError: when `x` is not a `Variable`.
    """
    if not isinstance(x, Variable):
        raise TypeError(f"update: expected a Variable as `x`, got {type(x).__name__}")
    scope = current_scope()
    if scope is not None and not _is_symbolic(new_x):
        scope.updates[id(x)] = (x, _arr(new_x))
        return new_x
    if _is_symbolic(new_x):
        return (x, new_x)
    x.assign(np.asarray(_arr(new_x)))
    return x


def update_add(x: Variable, increment: Any) -> Any:
    """Adds `increment` to `x` (see `update`)."""
    return update(x, x + increment)


def update_sub(x: Variable, decrement: Any) -> Any:
    """Subtracts `decrement` from `x` (see `update`)."""
    return update(x, x - decrement)


def moving_average_update(x: Variable, value: Any, momentum: float) -> Any:
    """Moves `x` towards `value`: `x * momentum + value * (1 - momentum)` (see `update`)."""
    return update(x, x * momentum + value * (1.0 - momentum))


def function(inputs: Sequence, outputs: Sequence, updates: Sequence | None = None,
             **kwargs: Any) -> Any:
    """Compiles the graph from `inputs` to `outputs` into a function of numpy arrays.

    # Arguments
        inputs: graph inputs (`Input`, `placeholder`, `learning_phase()`).
        outputs: graph tensors computed from them.
        updates: `(variable, new_value)` pairs (or `K.update` results) applied
            after each call.

    # Returns
        A callable taking a list of arrays, one per input, and returning the
        list of output arrays.
    """
    from jeras.engine import symbolic
    kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"function: unexpected keyword argument(s) {sorted(kwargs)}")
    return symbolic.Function(inputs, outputs, updates or [])


def gradients(loss: Any, variables: Any) -> list:
    """The gradients of `loss` (summed if not a scalar) with respect to `variables`.

    # Arguments
        loss: a graph tensor.
        variables: a variable, a graph input or a graph tensor `loss` is
            computed from, or a list of them.

    # Returns
        A list of graph tensors, one per variable.
    """
    from jeras.engine import symbolic
    return symbolic.gradients(loss, variables)


def _dispatch(fn: Callable) -> Callable:
    """`fn` written for arrays; called on graph tensors it records a node (`engine.symbolic`)."""
    # `fn` is a keyword-only default rather than a closure cell, so the wrapper's
    # code is closure-free like a plain function: `func_load` of its marshalled
    # code (as Keras < 2.1.2 stored it, without a closure) rebuilds it.
    @functools.wraps(fn)
    def wrapper(*args: Any, _array_fn: Callable = fn, **kwargs: Any) -> Any:
        if builtins.any(_is_symbolic(leaf) for leaf in jax.tree.leaves(
                (args, kwargs), is_leaf=lambda v: _is_symbolic(v) or isinstance(v, Variable))):
            from jeras.engine import symbolic
            return symbolic.op(_array_fn, args, kwargs, name=_array_fn.__name__)
        return _array_fn(*args, **kwargs)

    wrapper.__wrapped_array_fn__ = fn  # type: ignore[attr-defined]
    return wrapper


def dispatch_module(namespace: dict, skip: Sequence[str] = ()) -> None:
    """Makes every public function defined in a module accept graph tensors.

    # Arguments
        namespace: the module's `globals()`.
        skip: names that handle graph tensors themselves or only run on the host.
    """
    module = namespace["__name__"]
    for name, value in list(namespace.items()):
        if (name.startswith("_") or name in skip or isinstance(value, type)
                or not callable(value) or getattr(value, "__module__", None) != module
                or hasattr(value, "__wrapped_array_fn__")):
            continue
        namespace[name] = _dispatch(value)


dispatch_module(globals(), skip=(
    "epsilon", "set_epsilon", "floatx", "set_floatx", "image_data_format",
    "set_image_data_format", "backend", "variable", "is_variable", "get_value",
    "batch_get_value", "set_value", "batch_set_value", "eval", "zeros", "ones", "int_shape",
    "ndim", "dtype", "count_params", "random_seed", "rng_key", "np_random", "clear_session",
    "placeholder", "is_keras_tensor", "is_placeholder", "learning_phase", "set_learning_phase",
    "in_train_phase", "in_test_phase", "update", "update_add", "update_sub",
    "moving_average_update", "function", "gradients", "dispatch_module", "current_scope",
    "cast_to_floatx", "get_uid", "reset_uids", "manual_variable_initialization",
    "name_scope", "is_sparse", "get_session", "set_session", "is_tensor",
    "get_variable_shape", "normalize_data_format", "set_image_dim_ordering",
    "image_dim_ordering"))
