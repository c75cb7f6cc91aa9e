"""`jeras run`: Keras 2 scripts unchanged, with python's argv, exit codes and tracebacks."""
import os
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest

from jeras import compat
from jeras.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write(tmp_path, text, name="script.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def jeras_run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "jeras", "run", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, cwd=ROOT, timeout=300)


def fake_mnist(home):
    """A small learnable MNIST in the Keras cache format: class k lights rows 2k+4..2k+6."""
    rng = np.random.RandomState(0)

    def make(n):
        y = rng.randint(0, 10, n).astype("uint8")
        x = (rng.rand(n, 28, 28) * 60).astype("uint8")
        for i, k in enumerate(y):
            x[i, 2 * k + 4:2 * k + 7] = 250
        return x, y

    (home / "datasets").mkdir(parents=True)
    (xt, yt), (xs, ys) = make(300), make(100)
    np.savez(home / "datasets" / "mnist.npz", x_train=xt, y_train=yt, x_test=xs, y_test=ys)


def test_classic_mnist_mlp_and_sequence_scripts_run_unchanged(tmp_path):
    fake_mnist(tmp_path / "keras_home")
    env = {"KERAS_HOME": str(tmp_path / "keras_home")}
    done = jeras_run(os.path.join("examples", "05_mnist_mlp.py"), env=env)
    assert done.returncode == 0, done.stderr
    assert "300 train samples" in done.stdout and "Total params: 669,706" in done.stdout
    assert "Epoch 20/20" in done.stdout
    assert float(done.stdout.split("Test accuracy:")[1].split()[0]) >= 0.9
    done = jeras_run(os.path.join("examples", "06_fit_generator_sequence.py"), "2", env=env)
    assert done.returncode == 0, done.stderr
    assert "epochs trained: 2" in done.stdout and "predictions: (100, 10)" in done.stdout
    assert float(done.stdout.split("Test accuracy:")[1].split()[0]) >= 0.9


def test_argv_main_exit_codes_and_tracebacks(tmp_path):
    script = write(tmp_path, """
        import sys
        import keras
        from keras import backend as K
        print(__name__, sys.argv[1:], keras.__name__, K.epsilon())
        def fail():
            raise RuntimeError("boom in the script")
        if sys.argv[1] == "raise":
            fail()
        sys.exit(int(sys.argv[1]))
    """)
    done = jeras_run(script, "7", "--flag")
    assert done.returncode == 7
    assert done.stdout.strip() == "__main__ ['7', '--flag'] keras 1e-07"
    done = jeras_run(script, "raise")
    assert done.returncode == 1
    assert done.stderr.startswith("Traceback (most recent call last):\n  File \"" + script)
    assert "in fail" in done.stderr and "RuntimeError: boom in the script" in done.stderr
    assert "jeras" not in done.stderr.split("\n")[1]
    missing = jeras_run(str(tmp_path / "missing.py"))
    assert missing.returncode == 2 and "can't open file" in missing.stderr


def test_missing_keras_names_fail_at_the_import(tmp_path, capsys):
    before = {k: v for k, v in sys.modules.items() if k == "keras" or k.startswith("keras.")}
    script = write(tmp_path, """
        import warnings
        import keras
        from keras.layers.core import Dense
        from keras.engine.topology import Input, Layer
        from keras.legacy import interfaces
        import keras.backend as K
        assert interfaces.legacy_dense_support(len)._original_function is len
        assert keras.layers.core.Dense is Dense and keras.utils.Sequence is not None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            K.set_session(object())
        print("session warning:", "no effect in jeras" in str(caught[0].message))
        try:
            keras.layers.NotALayer
        except AttributeError as e:
            print("attribute:", e)
        from keras.layers import NotALayer
    """)
    with pytest.raises(ImportError, match=r"^keras\.layers\.NotALayer is not available in "
                                          r"jeras \d"):
        compat.run_script(script)
    out = capsys.readouterr().out
    assert "session warning: True" in out
    assert "attribute: module 'keras.layers' has no attribute 'NotALayer': " \
           "keras.layers.NotALayer is not available in jeras" in out
    other = write(tmp_path, "import keras.backend.theano_backend\n", "other.py")
    assert main(["run", other]) == 1
    assert "ImportError: keras.backend.theano_backend is not available in jeras" in \
        capsys.readouterr().err
    # Whatever Keras other code had imported is as it was; no stand-in is left behind.
    assert {k: v for k, v in sys.modules.items()
            if k == "keras" or k.startswith("keras.")} == before


def test_notebook_install_replaces_and_restores_an_installed_keras():
    installed = types.ModuleType("keras")
    sys.modules["keras"] = installed
    try:
        saved = compat.install()
        import keras
        from keras.models import Sequential
        assert keras is not installed and Sequential.__module__.startswith("jeras")
        compat.uninstall(saved)
        assert sys.modules["keras"] is installed
        assert not any(isinstance(f, compat.KerasFinder) for f in sys.meta_path)
    finally:
        sys.modules.pop("keras", None)
