"""The `jeras` command: `jeras demo` trains the seed tutorial's models on real digits;
`jeras run SCRIPT [ARGS...]` runs a Keras 2 script unchanged, with jeras as `keras`."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any


def demo(epochs: int = 30, verbose: int = 1, run_dir: str | None = None) -> dict:
    """Trains the seed's softmax regression and a deeper MLP on the built-in digits.

    The MLP trains with the callbacks a user would attach: a best-model
    `ModelCheckpoint`, `CSVLogger`, `TensorBoard` and `EarlyStopping`, all
    writing under one run folder.

    # Arguments
        epochs: epochs for each model.
        verbose: verbosity passed to `fit`.
        run_dir: the run folder; default a new `jeras-demo-<time>` folder in
            the current directory.

    # Returns
        A dict: test accuracies `softmax_regression`, `mlp` and `best_model`,
        `run_dir`, and the pictures' paths `learning_curves` and `model_plot`
        (absent when Graphviz is missing).
    """
    import os
    import time

    import numpy as np

    from jeras import callbacks
    from jeras.datasets import digits
    from jeras.layers import Activation, Dense, Dropout
    from jeras.models import Sequential, load_model
    from jeras.utils import plot_model, set_random_seed, to_categorical

    set_random_seed(1337)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = x_train.reshape(len(x_train), -1).astype("float32") / 16.0
    x_test = x_test.reshape(len(x_test), -1).astype("float32") / 16.0
    y_train, y_test = to_categorical(y_train, 10), to_categorical(y_test, 10)
    print(f"digits: {len(x_train)} training and {len(x_test)} test images of 8x8 pixels")

    print("\n1. The seed's model: Dense(10, kernel_initializer='uniform') + softmax, rmsprop")
    model = Sequential()
    model.add(Dense(10, input_dim=x_train.shape[1], kernel_initializer="uniform"))
    model.add(Activation("softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="rmsprop", metrics=["acc"])
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=verbose,
              validation_split=0.1)
    results = {"softmax_regression": float(model.evaluate(x_test, y_test, verbose=0)[1])}

    print("\n2. A deeper MLP: 128-64-10 with ReLU and Dropout, adam")
    mlp = Sequential([
        Dense(128, activation="relu", input_shape=(x_train.shape[1],)),
        Dropout(0.2),
        Dense(64, activation="relu"),
        Dense(10, activation="softmax"),
    ])
    mlp.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    mlp.summary()
    run_dir = run_dir or os.path.abspath(time.strftime("jeras-demo-%Y%m%d-%H%M%S"))
    os.makedirs(run_dir, exist_ok=True)
    best = os.path.join(run_dir, "best_model.h5")
    history = mlp.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=verbose,
            validation_split=0.1, callbacks=[
                callbacks.ModelCheckpoint(best, monitor="val_loss", save_best_only=True),
                callbacks.CSVLogger(os.path.join(run_dir, "training.csv")),
                callbacks.TensorBoard(log_dir=os.path.join(run_dir, "logs")),
                callbacks.EarlyStopping(monitor="val_loss", patience=5,
                                        restore_best_weights=True),
            ])
    results["mlp"] = float(mlp.evaluate(x_test, y_test, verbose=0)[1])
    results["best_model"] = float(load_model(best).evaluate(x_test, y_test, verbose=0)[1])
    results["run_dir"] = run_dir
    results["learning_curves"] = plot_history(history, os.path.join(run_dir,
                                                                    "learning_curves.png"))
    try:
        plot_model(mlp, to_file=os.path.join(run_dir, "model.png"), show_shapes=True)
        results["model_plot"] = os.path.join(run_dir, "model.png")
    except (ImportError, OSError) as e:
        # The pictures are a bonus: a machine without Graphviz still runs the demo.
        print(f"model.png not drawn: {e}")
    predicted = np.argmax(mlp.predict(x_test[:10]), axis=1)
    print(f"\nfirst test digits: {np.argmax(y_test[:10], axis=1).tolist()}")
    print(f"MLP predicts:      {predicted.tolist()}")
    print(f"\ntest accuracy, softmax regression: {results['softmax_regression']:.4f}")
    print(f"test accuracy, MLP:                {results['mlp']:.4f}")
    print(f"test accuracy, best checkpoint:    {results['best_model']:.4f}")
    print(f"\nrun folder: {run_dir} (best_model.h5, training.csv, TensorBoard logs/, "
          f"learning_curves.png, model.png)")
    return results


def plot_history(history: Any, path: str) -> str:
    """Draws a History's learning curves (loss, then each metric; train and validation).

    Uses matplotlib's Agg canvas directly, so no display and no global
    backend setting is involved; writes a temporary file, then renames it.

    # Arguments
        history: the `History` returned by `fit`.
        path: the `.png` file to write.

    # Returns
        `path`.
    """
    import os
    import tempfile

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from jeras.utils.data_utils import publish

    logs = history.history
    names = [k for k in logs if not k.startswith("val_")]
    names = ["loss"] + [k for k in names if k != "loss"]
    figure = Figure(figsize=(5 * len(names), 4), dpi=100)
    FigureCanvasAgg(figure)
    epochs = [e + 1 for e in history.epoch]
    for i, name in enumerate(names, start=1):
        axes = figure.add_subplot(1, len(names), i)
        axes.plot(epochs, logs[name], label=f"train {name}")
        if "val_" + name in logs:
            axes.plot(epochs, logs["val_" + name], label=f"validation {name}")
        axes.set_xlabel("epoch")
        axes.set_title(name)
        axes.grid(alpha=0.3)
        axes.legend()
    figure.tight_layout()
    fd, tmp = tempfile.mkstemp(prefix=".curves-", suffix=".png",
                               dir=os.path.dirname(os.path.abspath(path)))
    os.close(fd)
    try:
        figure.savefig(tmp, format="png")
        publish(tmp, path)
    except BaseException:
        os.remove(tmp)
        raise
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `jeras` command."""
    parser = argparse.ArgumentParser(prog="jeras", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo_parser = sub.add_parser("demo", help="train the seed tutorial's models on digits")
    demo_parser.add_argument("--epochs", type=int, default=30)
    demo_parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2))
    demo_parser.add_argument("--run-dir", default=None, help="folder for the run's files")
    run_parser = sub.add_parser("run", help="run a Keras 2 script with jeras serving `keras`")
    run_parser.add_argument("script", help="path of the Python script")
    run_parser.add_argument("args", nargs=argparse.REMAINDER, help="the script's arguments")
    args = parser.parse_args(argv)
    if args.command == "run":
        from jeras.compat import run_main
        return run_main(args.script, args.args)
    demo(epochs=args.epochs, verbose=args.verbose, run_dir=args.run_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
