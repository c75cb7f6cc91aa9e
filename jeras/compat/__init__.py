"""Keras 2 scripts, unchanged: `import keras` served by jeras.

`keras_as_jeras()` puts a finder at the front of `sys.meta_path` that
answers `keras` and every `keras.*` import with a module object standing for
the matching jeras module (`keras.layers.core` for `jeras.layers.core`,
`keras.engine.topology` for `jeras.engine.network`, ...). Those stand-ins are
fresh `keras` modules: jeras's own modules are never renamed or changed,
and an installed Keras is untouched outside the scope, because the `keras*`
entries of `sys.modules` are put back as they were when it closes.
`keras.__version__` is `'2.2.4'`, the Keras API jeras implements.

A Keras name jeras lacks fails at the import that asks for it, with
`ImportError: keras.X.Y is not available in jeras <version>`.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import runpy
import sys
import types
from collections.abc import Iterator, Sequence
from typing import Any

# Keras modules whose jeras counterpart has another name, or several parts.
# Any other `keras.A.B` stands for `jeras.A.B` when that module exists.
ALIASES: dict[str, tuple[str, ...]] = {
    # Keras 2.2.4's root also has `Input` (jeras's has Model and Sequential).
    "keras": ("jeras", "jeras.engine"),
    "keras.backend": ("jeras.backend", "jeras.compat.session"),
    "keras.backend.tensorflow_backend": ("jeras.backend", "jeras.compat.session"),
    "keras.engine.base_layer": ("jeras.engine.base_layer", "jeras.engine.input_spec"),
    "keras.engine.network": ("jeras.engine.network", "jeras.utils.layer_utils"),
    "keras.engine.topology": ("jeras.engine.network", "jeras.engine.input_layer",
                              "jeras.engine.base_layer", "jeras.engine.input_spec",
                              "jeras.utils.layer_utils"),
    "keras.engine.saving": ("jeras.saving", "jeras.saving.hdf5", "jeras.saving.model_config",
                            "jeras.saving.pickling", "jeras.compat.saving_names"),
    "keras.layers": ("jeras.layers", "jeras.engine.input_spec"),
    # 2.2.4 kept the module's old name beside the new one.
    "keras.applications.mobilenetv2": ("jeras.applications.mobilenet_v2",),
    "keras.legacy": ("jeras.compat.legacy",),
    "keras.legacy.interfaces": ("jeras.compat.legacy",),
    "keras.legacy.layers": ("jeras.compat.legacy_layers",),
}

# Keras 2.2.4's `keras.layers.X` modules also held the names they imported
# (`Layer`, `InputSpec`, `K`...); `keras.layers.convolutional` re-exported the
# pooling layers.
_LAYER_MODULES = ("advanced_activations", "convolutional", "convolutional_recurrent", "core",
                  "cudnn_recurrent", "embeddings", "local", "merge", "noise", "normalization",
                  "pooling", "recurrent", "wrappers")
ALIASES.update({
    f"keras.layers.{name}": (f"jeras.layers.{name}",
                             *(("jeras.layers.pooling",) if name == "convolutional" else ()),
                             *(("jeras.layers.rnn_cells",) if name == "recurrent" else ()),
                             "jeras.compat.layer_names")
    for name in _LAYER_MODULES})

# jeras's own modules that are not part of the Keras surface.
_PRIVATE = ("jeras.cli", "jeras.compat", "jeras.run")


def _version() -> str:
    from jeras import __version__
    return __version__


def not_available(name: str) -> str:
    """The message for a Keras name jeras does not have."""
    return f"{name} is not available in jeras {_version()}"


def _jeras_module(keras_name: str) -> tuple[str, ...] | None:
    """The jeras module names `keras_name` stands for, or None when there is none."""
    if keras_name in ALIASES:
        return ALIASES[keras_name]
    target = "jeras" + keras_name[len("keras"):]
    if target.startswith(_PRIVATE):
        return None
    parent, _, _ = target.rpartition(".")
    parent_module = importlib.import_module(parent)
    if not hasattr(parent_module, "__path__"):
        return None
    return (target,) if importlib.util.find_spec(target) is not None else None


class KerasModule(types.ModuleType):
    """A `keras.*` module: its names come from its jeras modules, in order.

    Submodules (`keras.layers.core` as an attribute of `keras.layers`) are
    imported through the finder, so they are stand-ins too.
    """

    def __init__(self, name: str, targets: Sequence[types.ModuleType]):
        super().__init__(name)
        self.__dict__["_jeras_targets"] = tuple(targets)
        self.__dict__["__doc__"] = targets[0].__doc__
        if name == "keras":
            # The Keras API jeras implements, which scripts compare with the one they need;
            # jeras's own version is `jeras.__version__`.
            from jeras.saving.model_config import KERAS_VERSION
            self.__dict__["__version__"] = KERAS_VERSION

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") and attr != "__all__":
            raise AttributeError(attr)
        if not attr.startswith("_") and attr != "__all__":
            sub = f"{self.__name__}.{attr}"
            if sub in sys.modules or _is_submodule(sub):
                module = importlib.import_module(sub)
                setattr(self, attr, module)
                return module
        for target in self.__dict__["_jeras_targets"]:
            if attr == "__all__":
                names = getattr(target, "__all__", None)
                return list(names) if names is not None else [
                    n for n in dir(target) if not n.startswith("_")]
            if hasattr(target, attr):
                return getattr(target, attr)
        raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r}: "
                             f"{not_available(f'{self.__name__}.{attr}')}")

    def __dir__(self) -> list[str]:
        names = set(super().__dir__())
        for target in self.__dict__["_jeras_targets"]:
            names.update(dir(target))
        return sorted(names)


def _is_submodule(keras_name: str) -> bool:
    try:
        return _jeras_module(keras_name) is not None
    except ImportError:
        return False


class _Loader(importlib.abc.Loader):
    def __init__(self, targets: tuple[str, ...]):
        self.targets = targets

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return KerasModule(spec.name, [importlib.import_module(t) for t in self.targets])

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the module's names live in its jeras modules."""


class KerasFinder(importlib.abc.MetaPathFinder):
    """Finds `keras` and `keras.*` in jeras; raises `ImportError` for what jeras lacks."""

    def find_spec(self, fullname: str, path: Any = None,
                  target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "keras" and not fullname.startswith("keras."):
            return None
        targets = _jeras_module(fullname)
        if targets is None:
            # A plain ImportError, not ModuleNotFoundError: `from keras.x import Y`
            # then reports this message instead of a generic "cannot import name".
            raise ImportError(not_available(fullname), name=fullname)
        return importlib.machinery.ModuleSpec(fullname, _Loader(targets), is_package=True)


def _is_keras(name: str) -> bool:
    return name == "keras" or name.startswith("keras.")


def install() -> dict[str, types.ModuleType]:
    """Serves `import keras` from jeras in this interpreter until `uninstall`.

    For notebooks: after `jeras.compat.install()`, later cells that
    `import keras` get jeras, even where Keras is installed or was imported.

    # Returns
        The `keras*` entries removed from `sys.modules`, to hand to `uninstall`.
    """
    saved = {k: v for k, v in sys.modules.items() if _is_keras(k)}
    for name in saved:
        del sys.modules[name]
    if not any(isinstance(f, KerasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, KerasFinder())
    return saved


def uninstall(saved: dict[str, types.ModuleType] | None = None) -> None:
    """Removes the finder and the stand-ins, and puts back the `keras*` modules `saved`."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, KerasFinder)]
    for name in [k for k in sys.modules if _is_keras(k)]:
        del sys.modules[name]
    sys.modules.update(saved or {})


@contextlib.contextmanager
def keras_as_jeras() -> Iterator[None]:
    """Within this scope `import keras` is jeras; outside, `sys.modules` is as it was."""
    saved = install()
    try:
        yield
    finally:
        uninstall(saved)


def run_script(path: str, args: Sequence[str] = ()) -> dict[str, Any]:
    """Runs a Keras 2 script with jeras as `keras`, as `python path args...` would run it.

    `sys.argv` is `[path, *args]`, the script runs as `__main__` with its
    folder first on `sys.path`; both are restored afterwards, as is
    `sys.modules`' view of `keras`. Exceptions and `SystemExit` propagate.

    # Arguments
        path: the script's path.
        args: its command-line arguments.

    # Returns
        The script's globals.

    # Raises
        FileNotFoundError: when `path` is not a file.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"jeras run: no such script {path!r}")
    old_argv, old_path = sys.argv[:], sys.path[:]
    sys.argv = [path, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        with keras_as_jeras():
            return runpy.run_path(path, run_name="__main__")
    finally:
        sys.argv, sys.path[:] = old_argv, old_path


def run_main(path: str, args: Sequence[str]) -> int:
    """`jeras run`: runs the script and returns its exit status as `python` would.

    An uncaught exception prints its traceback from the script's own frame
    on (jeras's frames left out) and gives status 1; `sys.exit(n)` gives `n`;
    a missing script gives status 2.
    """
    if not os.path.isfile(path):
        # As `python missing.py`: a one-line message and status 2.
        print(f"jeras run: can't open file {path!r}: [Errno 2] No such file or directory",
              file=sys.stderr)
        return 2
    script = os.path.abspath(path)
    try:
        run_script(path, args)
    except SystemExit:
        raise
    except Exception as e:  # the interpreter's top level: report, as python does
        tb = e.__traceback__
        while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != script:
            tb = tb.tb_next
        tb = tb or e.__traceback__
        sys.excepthook(type(e), e.with_traceback(tb), tb)
        return 1
    return 0


__all__ = ["KerasFinder", "KerasModule", "install", "keras_as_jeras", "run_script",
           "uninstall"]
