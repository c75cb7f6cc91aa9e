"""Lookup, serialization and naming helpers shared by every concept module."""
from __future__ import annotations

import binascii
import codecs
import collections
import contextlib
import contextvars
import inspect
import marshal
import re
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

_UIDS: collections.defaultdict = collections.defaultdict(int)

#: Names every deserialization finds, after the call's own `custom_objects`
#: and before the module's table (Keras 2's `_GLOBAL_CUSTOM_OBJECTS`).
_GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}


class IdentifierError(TypeError, ValueError):
    """An identifier of a kind no `get()` can interpret (a number, say).

    A `TypeError`, as the mistake is one of type, and a `ValueError`, as
    Keras 2.2.4's `get()` functions raise there.
    """


def get_uid(prefix: str = "") -> int:
    """Returns 1, 2, 3... for successive calls with the same prefix (Keras layer names)."""
    _UIDS[prefix] += 1
    return _UIDS[prefix]


def reset_uids() -> None:
    _UIDS.clear()


def to_snake_case(name: str) -> str:
    """`'MaxPooling2D'` -> `'max_pooling2d'`, the way Keras 2 names layers."""
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    insecure = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    if insecure[0] != "_":
        return insecure
    return "private" + insecure


def serialize_keras_object(instance: Any) -> Any:
    """Returns a function's name, or `{'class_name', 'config'}` for an object with `get_config`."""
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        return {"class_name": instance.__class__.__name__, "config": instance.get_config()}
    if hasattr(instance, "__name__"):
        return instance.__name__
    raise ValueError(f"Cannot serialize {instance!r}: it has neither get_config nor __name__")


def deserialize_keras_object(identifier: Any, module_objects: Mapping[str, Any],
                             custom_objects: Mapping[str, Any] | None = None,
                             printable_module_name: str = "object") -> Any:
    """Turns a name or a `{'class_name', 'config'}` dict into the object it names.

    `custom_objects` are looked up first, then the global custom objects
    (`custom_object_scope`, `get_custom_objects`), then `module_objects`.

    # Arguments
        identifier: a string or a config dict.
        module_objects: the module's table of names.
        custom_objects: optional user table.
        printable_module_name: what to call the object in errors ("loss", ...).

    # Returns
        For a string, the object found; for a dict, an instance made with
        `from_config(config)` (or `cls(**config)`).

    # Raises
        ValueError: if the name is unknown or the dict malformed.
    """
    custom_objects = {**_GLOBAL_CUSTOM_OBJECTS, **(custom_objects or {})}
    if isinstance(identifier, dict):
        if "class_name" not in identifier or "config" not in identifier:
            raise ValueError(
                f"Improper config format for {printable_module_name}: expected a dict with "
                f"'class_name' and 'config', got {identifier!r}")
        class_name = identifier["class_name"]
        cls = custom_objects.get(class_name) or module_objects.get(class_name)
        if cls is None:
            from jeras import __version__  # generic_utils loads while jeras initialises
            raise ValueError(
                f"Unknown {printable_module_name}: {class_name!r} (jeras {__version__} has no "
                f"such class; if it is yours, pass it in `custom_objects`). Known: "
                f"{sorted(k for k in module_objects if not k.startswith('_'))}")
        config = identifier["config"]
        if hasattr(cls, "from_config"):
            if "custom_objects" in inspect.signature(cls.from_config).parameters:
                return cls.from_config(config, custom_objects=custom_objects)
            return cls.from_config(config)
        return cls(**config)
    if isinstance(identifier, str):
        obj = custom_objects.get(identifier) or module_objects.get(identifier)
        if obj is None:
            raise ValueError(
                f"Unknown {printable_module_name}: {identifier!r}. Known: "
                f"{sorted(k for k in module_objects if not k.startswith('_'))}")
        return obj
    raise IdentifierError(
        f"Could not interpret {printable_module_name} identifier: expected a string or a "
        f"config dict, got {type(identifier).__name__} {identifier!r}")


def get_object(identifier: Any, module_objects: Mapping[str, Any], printable_module_name: str,
               instantiate: bool = False, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """The one `get()` protocol: None, a name, a config dict, a callable or an instance.

    # Arguments
        identifier: what the user passed.
        module_objects: the module's table of names.
        printable_module_name: what to call the object in errors.
        instantiate: call a class found by name with no arguments (optimizers,
            initializers take their defaults that way).
        custom_objects: optional user table.

    # Returns
        The resolved object, or None for None.

    # Raises
        ValueError: unknown name.
        IdentifierError: (a `TypeError` and a `ValueError`) an identifier of
            another type.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        obj = deserialize_keras_object(identifier, module_objects, custom_objects,
                                       printable_module_name)
        if instantiate and isinstance(obj, type):
            obj = obj()
        return obj
    if callable(identifier):
        return identifier
    raise IdentifierError(
        f"Could not interpret {printable_module_name} identifier: expected a string, a "
        f"config dict or a callable, got {type(identifier).__name__} {identifier!r}")


def has_arg(fn: Callable, name: str, accept_all: bool = False) -> bool:
    """True if `fn` takes a parameter called `name` (or any keyword when `accept_all`)."""
    params = inspect.signature(fn).parameters
    if accept_all and any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return True
    return name in params


def positional_arity(fn: Callable) -> int:
    """How many positional arguments `fn` accepts (a large number for `*args`)."""
    count = 0
    for p in inspect.signature(fn).parameters.values():
        if p.kind == p.VAR_POSITIONAL:
            return 1 << 16
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            count += 1
    return count


class Progbar:
    """The Keras 2 progress bar.

    # Arguments
        target: total number of steps (or samples) expected, None if unknown.
        width: the bar's width in characters.
        verbose: 1 for the live bar, 2 for one line at the end, 0 for silence.
        interval: minimum seconds between two redraws.
        stateful_metrics: names whose values are shown as given, not averaged.
        unit_name: what one unit is called in the speed figure (`step`, `sample`).
    """

    def __init__(self, target: int | None, width: int = 30, verbose: int = 1,
                 interval: float = 0.05, stateful_metrics: Any = None, unit_name: str = "step"):
        import sys
        import time
        self._time = time.time
        self._out = sys.stdout
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self._dynamic = (hasattr(sys.stdout, "isatty") and sys.stdout.isatty()) or \
            "ipykernel" in sys.modules
        self._totals: dict[str, list] = {}
        self._order: list[str] = []
        self._seen = 0
        self._start = self._time()
        self._last_update = 0.0
        self._width_drawn = 0

    def update(self, current: int, values: Any = None) -> None:
        """Moves the bar to `current` and folds `values` (a list of `(name, value)`) in.

        Non-stateful values are averaged, weighted by the units since the last update.
        """
        for name, value in values or []:
            if name not in self._totals:
                self._order.append(name)
            if name in self.stateful_metrics:
                self._totals[name] = [value, 1]
            else:
                step = max(current - self._seen, 1)
                total = self._totals.get(name, [0.0, 0])
                self._totals[name] = [total[0] + value * step, total[1] + step]
        self._seen = current
        now = self._time()
        finished = self.target is not None and current >= self.target
        if self.verbose == 1:
            if not finished and now - self._last_update < self.interval:
                return
            self._draw_bar(current, now, finished)
        elif self.verbose == 2 and finished:
            self._out.write(f" - {now - self._start:.0f}s{self._values_text()}\n")
            self._out.flush()
        self._last_update = now

    def add(self, n: int, values: Any = None) -> None:
        self.update(self._seen + n, values)

    def _values_text(self) -> str:
        parts = []
        for name in self._order:
            total, count = self._totals[name]
            value = total / max(count, 1)
            parts.append(f" - {name}: {value:.4f}" if abs(value) > 1e-3 or value == 0
                         else f" - {name}: {value:.4e}")
        return "".join(parts)

    def _draw_bar(self, current: int, now: float, finished: bool) -> None:
        if self._dynamic:
            self._out.write("\b" * self._width_drawn + "\r")
        elif self._width_drawn:
            self._out.write("\n")
        if self.target is not None:
            digits = len(str(self.target))
            bar = f"{current:{digits}d}/{self.target} ["
            progress = min(current / self.target, 1.0) if self.target else 1.0
            filled = int(self.width * progress)
            if filled > 0:
                bar += "=" * (filled - 1) + ("=" if current >= self.target else ">")
            bar += "." * (self.width - filled) + "]"
        else:
            bar = f"{current:7d}/Unknown"
        elapsed = now - self._start
        per_unit = elapsed / current if current else 0.0
        if not finished and self.target is not None:
            eta = int(per_unit * (self.target - current))
            eta_text = (f"{eta // 3600}:{(eta % 3600) // 60:02d}:{eta % 60:02d}" if eta > 3600
                        else f"{eta // 60}:{eta % 60:02d}" if eta > 60 else f"{eta}s")
            info = f" - ETA: {eta_text}"
        elif per_unit >= 1:
            info = f" - {elapsed:.0f}s {per_unit:.0f}s/{self.unit_name}"
        elif per_unit >= 1e-3:
            info = f" - {elapsed:.0f}s {per_unit * 1e3:.0f}ms/{self.unit_name}"
        else:
            info = f" - {elapsed:.0f}s {per_unit * 1e6:.0f}us/{self.unit_name}"
        line = bar + info + self._values_text()
        if self._width_drawn > len(line) and self._dynamic:
            line += " " * (self._width_drawn - len(line))
        self._width_drawn = len(line)
        if finished:
            line += "\n"
            self._width_drawn = 0
        self._out.write(line)
        self._out.flush()


# Python code inside model files. Keras 2 stores a Lambda's function as its
# marshalled bytecode; running it on load is running the file's code.

_SAFE_MODE: contextvars.ContextVar[bool] = contextvars.ContextVar("jeras_safe_mode", default=True)


# Keras 3's process-wide switch (`keras.config.enable_unsafe_deserialization`).
_UNSAFE_DESERIALIZATION = False


def enable_unsafe_deserialization() -> None:
    """Allows loading marshalled Python code (Lambda layers) everywhere in this process.

    Keras 3's switch for trusted files, for code that cannot pass
    `safe_mode=False` itself (a config deserialized deep inside a library or
    a test suite). Keras 2.2.4 had no safe mode and loaded such code always.
    """
    global _UNSAFE_DESERIALIZATION
    _UNSAFE_DESERIALIZATION = True


@contextlib.contextmanager
def safe_mode_scope(safe_mode: bool) -> Iterator[None]:
    """Within this scope, loading marshalled Python code is allowed when `safe_mode` is False."""
    token = _SAFE_MODE.set(bool(safe_mode))
    try:
        yield
    finally:
        _SAFE_MODE.reset(token)


def func_dump(func: Callable) -> tuple:
    """Serializes a function as Keras 2 does: `(base64 marshalled code, defaults, closure)`.

    A backend or activation function (`K.relu`, `activations.softmax`) is a
    wrapper that also accepts graph tensors; its array function is dumped
    instead, since the wrapper's code alone cannot be run again.

    # Arguments
        func: a Python function.

    # Returns
        The triple `func_load` takes.
    """
    func = getattr(func, "__wrapped_array_fn__", func)
    code = codecs.encode(marshal.dumps(func.__code__), "base64").decode("ascii")
    closure = tuple(cell.cell_contents for cell in func.__closure__) if func.__closure__ else None
    return code, func.__defaults__, closure


def load_function(data: Any, function_type: str, custom_objects: Mapping | None,
                  layer_name: str | None, globs: dict | None = None) -> Callable:
    """Turns a serialized function back into a callable.

    # Arguments
        data: a name (`function_type='function'`) or `func_dump`'s triple (`'lambda'`).
        function_type: `'function'` or `'lambda'`.
        custom_objects: user functions by name, looked up first.
        layer_name: the layer it belongs to, for messages.
        globs: the globals marshalled code runs with (default: this module's).

    # Raises
        ValueError: for marshalled code in safe mode, unknown names, or code
            from another Python version.
    """
    if function_type == "function":
        if custom_objects and data in custom_objects:
            return custom_objects[data]
        if data in _GLOBAL_CUSTOM_OBJECTS:
            return _GLOBAL_CUSTOM_OBJECTS[data]
        raise ValueError(f"Layer {layer_name!r}: unknown function {data!r}; pass it in "
                         "`custom_objects`")
    if _SAFE_MODE.get() and not _UNSAFE_DESERIALIZATION:
        raise ValueError(
            f"Layer {layer_name!r} is a Lambda layer whose function is stored as marshalled "
            "Python code; loading it would run that code. Refused in safe mode: pass "
            "`safe_mode=False` to load_model if you trust the file (or call "
            "`jeras.config.enable_unsafe_deserialization()`).")
    if isinstance(data, dict):
        # Keras 3 wraps the same triple as {'class_name': '__lambda__', 'config': {...}}.
        inner = data.get("config", {})
        code_text, defaults, closure = inner.get("code"), inner.get("defaults"), \
            inner.get("closure")
    elif isinstance(data, (list, tuple)):
        code_text, defaults, closure = (list(data) + [None, None])[:3]
    else:
        code_text, defaults, closure = data, None, None
    try:
        return func_load(code_text, defaults, closure, globs)
    except (ValueError, EOFError, TypeError) as error:
        raise ValueError(f"Layer {layer_name!r}: its Lambda function cannot be loaded "
                         f"({error}); marshalled code only loads in the Python version "
                         f"that wrote it") from None


def func_load(code: str | Sequence, defaults: Sequence | None = None,
              closure: Sequence | None = None, globs: dict | None = None) -> Callable:
    """Deserializes a function written by `func_dump`.

    Running the result runs the marshalled code it was made from: call it
    only on data you trust.

    # Arguments
        code: the base64 marshalled bytecode; the marshalled bytes themselves,
            or as text decoded with `raw_unicode_escape` (how Keras before
            2.1.2 stored them); or `func_dump`'s whole `(code, defaults,
            closure)` triple (the other arguments are then ignored).
        defaults: the function's default argument values.
        closure: the values of the variables it closes over.
        globs: the globals the function sees (default: this module's).

    # Returns
        A function object.

    # Raises
        ValueError: for bytes `marshal` cannot read (code from another Python
            version), or a `closure` that does not match the code's free variables.
        TypeError: when `code` is none of these.
    """
    if isinstance(code, (tuple, list)):
        code, defaults, closure = (list(code) + [None, None])[:3]
    bytecode = _unmarshal(code)
    free = bytecode.co_freevars
    cells = tuple(_make_cell(v) for v in closure) if closure else ()
    if len(cells) != len(free):
        raise ValueError(f"func_load: the code of {bytecode.co_name!r} reads {len(free)} "
                         f"variable(s) of an enclosing function {list(free)}, and `closure` "
                         f"gives {len(cells)} value(s)")
    return types.FunctionType(bytecode, globals() if globs is None else globs,
                              bytecode.co_name, tuple(defaults) if defaults else None,
                              cells or None)


def _unmarshal(code: Any) -> types.CodeType:
    """The code object in base64 text, raw text (Keras < 2.1.2) or marshalled bytes."""
    if isinstance(code, (bytes, bytearray)):
        candidates = [bytes(code)]
    elif isinstance(code, str):
        candidates = []
        try:
            candidates.append(codecs.decode(code.encode("ascii"), "base64"))
        except (UnicodeEncodeError, binascii.Error):
            pass
        # Keras before 2.1.2 stored the marshalled bytes as text, not base64.
        candidates.append(code.encode("raw_unicode_escape"))
    else:
        raise TypeError(f"func_load: `code` must be a string or bytes, got "
                        f"{type(code).__name__}")
    error: Exception | None = None
    for raw in candidates:
        try:
            bytecode = marshal.loads(raw)
        except (ValueError, EOFError, TypeError) as e:
            error = e
            continue
        if isinstance(bytecode, types.CodeType):
            return bytecode
        error = ValueError(f"the data holds a {type(bytecode).__name__}, not code")
    raise ValueError(f"func_load: `code` holds no Python code this interpreter can read "
                     f"({error})")


def _make_cell(value: Any) -> Any:
    if isinstance(value, types.CellType):
        return value
    return (lambda: value).__closure__[0]


# Custom objects: names every deserialization finds.

class CustomObjectScope:
    """A scope in which deserialization finds the given objects by name.

    Changes made to the global custom objects inside the `with` block
    (these, and any `get_custom_objects()[...] = ...`) are undone when it
    ends.

    # Arguments
        *args: dicts mapping names to classes or functions.

    # Example
    ```python
    with CustomObjectScope({'MyObject': MyObject}):
        layer = Dense(..., kernel_regularizer='MyObject')
        # save, load, etc. recognize the custom object by name
    ```
    """

    def __init__(self, *args: Mapping[str, Any]):
        self.custom_objects = args
        self.backup: dict[str, Any] | None = None

    def __enter__(self) -> CustomObjectScope:
        self.backup = dict(_GLOBAL_CUSTOM_OBJECTS)
        for objects in self.custom_objects:
            _GLOBAL_CUSTOM_OBJECTS.update(objects)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        _GLOBAL_CUSTOM_OBJECTS.clear()
        _GLOBAL_CUSTOM_OBJECTS.update(self.backup or {})


def custom_object_scope(*args: Mapping[str, Any]) -> CustomObjectScope:
    """Returns `CustomObjectScope(*args)`, for `with custom_object_scope({...}):`.

    # Arguments
        *args: dicts mapping names to classes or functions.

    # Returns
        A `CustomObjectScope`.
    """
    return CustomObjectScope(*args)


def get_custom_objects() -> dict[str, Any]:
    """Returns the live global dict of custom objects (Keras 2's `_GLOBAL_CUSTOM_OBJECTS`).

    # Example
    ```python
    get_custom_objects()['MyObject'] = MyObject
    ```

    # Returns
        The dict itself: what is put in it stays until removed.
    """
    return _GLOBAL_CUSTOM_OBJECTS


# Small list helpers Keras 2's engine and users' layers import.

def to_list(x: Any, allow_tuple: bool = False) -> list:
    """Returns `x` if it is a list, else `[x]` (a tuple's items with `allow_tuple`).

    # Arguments
        x: anything.
        allow_tuple: whether a tuple becomes the list of its items rather
            than a one-item list.

    # Returns
        A list.
    """
    if isinstance(x, list):
        return x
    if allow_tuple and isinstance(x, tuple):
        return list(x)
    return [x]


def unpack_singleton(x: Sequence) -> Any:
    """Returns `x[0]` when `x` has one item, else `x` itself.

    # Arguments
        x: a list or tuple.

    # Returns
        The only item, or the sequence.
    """
    if len(x) == 1:
        return x[0]
    return x


def object_list_uid(object_list: Any) -> str:
    """A string naming the identity of each object of a list (or of one object)."""
    return ", ".join(str(abs(id(x))) for x in to_list(object_list))


def is_all_none(iterable_or_element: Any) -> bool:
    """Whether every item (of a list or tuple, or the object itself) is None."""
    return all(x is None for x in to_list(iterable_or_element, allow_tuple=True))


def slice_arrays(arrays: Any, start: Any = None, stop: int | None = None) -> Any:
    """Slices an array, or each array of a list, along the first axis.

    # Arguments
        arrays: an array-like, a list of them (None entries stay None), or None.
        start: the first index, or a list/array of indices (then `stop` is unused).
        stop: the index after the last.

    # Returns
        `arrays[start:stop]` (or `arrays[indices]`), a list of those for a
        list, and `[None]` for None.
    """
    if arrays is None:
        return [None]
    if hasattr(start, "__len__"):
        # HDF5 datasets take lists of indices, not arrays.
        index = start.tolist() if hasattr(start, "tolist") else list(start)
        if isinstance(arrays, list):
            return [None if x is None else x[index] for x in arrays]
        return arrays[index]
    if isinstance(arrays, list):
        return [None if x is None else x[start:stop] for x in arrays]
    return arrays[start:stop]


def transpose_shape(shape: tuple | list, target_format: str,
                    spatial_axes: Sequence[int]) -> tuple | list:
    """Reorders a `channels_last` shape (or any per-axis tuple) for `target_format`.

    # Arguments
        shape: a tuple or list in `channels_last` order.
        target_format: `'channels_first'` or `'channels_last'`.
        spatial_axes: the positions of the spatial axes in `shape`, e.g.
            `(1, 2)` for `(batch, rows, cols, channels)`.

    # Returns
        The same kind of sequence, channels moved before the spatial axes
        for `'channels_first'`; `shape` unchanged for `'channels_last'`.

    # Raises
        ValueError: for another `target_format`.

    # Example
    ```python
    >>> transpose_shape((16, 128, 128, 32), 'channels_first', spatial_axes=(1, 2))
    (16, 32, 128, 128)
    ```
    """
    if target_format == "channels_last":
        return shape
    if target_format != "channels_first":
        raise ValueError('The `data_format` argument must be one of "channels_first", '
                         f'"channels_last". Received: {target_format!r}')
    values = tuple(shape[:spatial_axes[0]]) + (shape[-1],) + \
        tuple(shape[axis] for axis in spatial_axes)
    return list(values) if isinstance(shape, list) else values
