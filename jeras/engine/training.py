"""The Model base class: compile, fit, evaluate, predict and the *_on_batch methods.

Subclasses (`Sequential`, the functional `Model`) describe the graph: its
layers, input and output names and shapes, and a pure `_forward`. This
module resolves and validates what the user passes, then hands off to the
compiled steps (`steps.py`) and the host loops (`training_arrays.py`).
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from jeras import backend as K
from jeras import distribution as distribution_lib
from jeras import losses as losses_module
from jeras import metrics as metrics_module
from jeras import optimizers as optimizers_module
from jeras.callbacks import History
from jeras.compat import legacy
from jeras.engine import model_state, steps, training_arrays, training_generator
from jeras.engine.network import Network
from jeras.engine.training_utils import (
    check_array_shapes,
    check_loss_and_target,
    check_positive_int,
    check_same_length,
    split_validation,
    standardize_arrays,
    standardize_sample_weights,
    to_list,
)


class CompiledSpec(NamedTuple):
    """The static description of a compiled model's objective, per output.

    Outputs compiled with no loss (None) take no targets: `fed` lists the
    indices of those that do, and the other fields list only those.
    """
    loss_fns: list
    loss_weights: list
    metrics: list
    weighted_metrics: list
    output_names: list
    fed: list


class Model(Network):
    """A model: a graph of layers with the Keras 2 training API.

    `Model(inputs, outputs)` builds a functional model from symbolic tensors
    (see `jeras.layers.Input`); `Sequential` is the linear special case.

    # Arguments
        inputs: a symbolic tensor from `Input()`, or a list of them.
        outputs: the symbolic tensor(s) computed from `inputs`.
        name: the model's name (default: snake-cased class name and a counter).
    """

    def __init__(self, inputs: Any = None, outputs: Any = None, name: str | None = None,
                 **kwargs: Any):
        if kwargs:
            raise TypeError(f"Model: unexpected keyword argument(s) {sorted(kwargs)}")
        super().__init__(inputs=inputs, outputs=outputs, name=name)
        self.optimizer = None
        self.loss = None
        self.metrics = []
        self.metrics_names: list[str] = []
        self.stop_training = False
        self.history: History | None = None
        self._compiled_spec: CompiledSpec | None = None
        self._compile_args: dict = {}
        self._functions: dict = {}

    def _train_state(self) -> steps.TrainState:
        """The view of the model's state (and the states of the models owning its shared
        layers) a compiled train step takes: the values as one list per layer."""
        return steps.TrainState(self._weights(), self._state.opt_state, self._state.step,
                                self._state.seed)

    def _set_state(self, state: steps.TrainState | list) -> None:
        """Writes a train state (or a weight list per layer) back where the values live."""
        weights = state.weights if isinstance(state, steps.TrainState) else state
        for layer, values in zip(self.layers, weights):
            layer._values = list(values)
        if isinstance(state, steps.TrainState):
            self._state = self._state._replace(opt_state=state.opt_state, step=state.step,
                                               seed=state.seed)

    # Saving; the HDF5 code lives in `jeras.saving`, which imports the models
    # module, so these import it when called.

    def save(self, filepath: Any, overwrite: bool = True, include_optimizer: bool = True) -> None:
        """Saves the model (config, weights, optimizer state) to a Keras 2 HDF5 file.

        # Arguments
            filepath: path of the file.
            overwrite: whether to replace an existing file without asking.
            include_optimizer: whether to store the optimizer's state too.
        """
        from jeras.saving import save_model
        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        """Saves the weights to a Keras 2 HDF5 weights file."""
        from jeras.saving import save_weights
        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any, by_name: bool = False, skip_mismatch: bool = False,
                     reshape: bool = False) -> None:
        """Loads weights from a Keras 2 HDF5 file (by layer order, or by name).

        # Arguments
            filepath: path of the file.
            by_name: match layers by name instead of by order.
            skip_mismatch: with `by_name`, skip layers whose weights do not fit.
            reshape: reshape weights to the model's shapes when sizes agree.
        """
        from jeras.saving import load_weights
        load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch,
                     reshape=reshape)

    def to_json(self, **kwargs: Any) -> str:
        """Returns the model's config as a Keras 2 JSON string (`json.dumps` kwargs apply)."""
        from jeras.saving import model_to_json
        return model_to_json(self, **kwargs)

    def to_yaml(self, **kwargs: Any) -> str:
        """Returns the model's config as a Keras 2 YAML string (`model_from_yaml` reads it)."""
        from jeras.saving.model_config import model_to_yaml
        return model_to_yaml(self, **kwargs)

    # Compilation.

    def compile(self, optimizer: Any, loss: Any = None, metrics: Any = None,
                loss_weights: Any = None, sample_weight_mode: Any = None,
                weighted_metrics: Any = None, target_tensors: Any = None,
                **kwargs: Any) -> None:
        """Configures the model for training.

        # Arguments
            optimizer: a name (`'rmsprop'`) or an optimizer instance.
            loss: a name, a loss function, or any `f(y_true, y_pred)`; a list or
                a dict by output name for several outputs.
            metrics: list of metric names or functions (`'acc'`, `'mae'`,
                `metrics.categorical_accuracy`, a user function); a dict by
                output name for several outputs. `'acc'`/`'accuracy'` resolve
                from the loss as in Keras 2 and log under the spelling given.
            loss_weights: list or dict of floats weighting each output's loss.
            sample_weight_mode: None for per-sample weights, `'temporal'` for
                per-timestep weights of shape `(samples, timesteps)`.
            weighted_metrics: metrics weighted by `sample_weight` / `class_weight`.
            target_tensors: targets given at compile, one per output (a list, a
                dict by output name, or one tensor): a variable holds fixed
                targets, so training takes `y=None`; a placeholder stands for
                targets passed as usual.

        # Raises
            ValueError: unknown loss, metric or optimizer names, a loss
                missing for an output, or bad `loss_weights`.
            TypeError: unknown keyword arguments.
        """
        if kwargs:
            raise TypeError(f"compile: unexpected keyword argument(s) {sorted(kwargs)}")
        self._target_tensors = self._per_output_targets(target_tensors)
        self.optimizer = optimizers_module.get(optimizer)
        all_names = self.output_names
        per_output = ([None] * len(all_names) if loss is None
                      else self._per_output(loss, "loss", default=_NO_LOSS))
        fed = [i for i, item in enumerate(per_output) if item is not None and item is not _NO_LOSS]
        if isinstance(loss, dict):
            for i, item in enumerate(per_output):
                if item is _NO_LOSS:
                    warnings.warn(f"Output {all_names[i]!r} missing from loss dictionary. We "
                                  "assume this was done on purpose, and we will not be "
                                  f"expecting any data to be passed to {all_names[i]!r} "
                                  "during training.", stacklevel=2)
        if not fed and not self._added_losses():
            warnings.warn("compile: no output has a loss and the model has no `add_loss` "
                          "terms, so training has nothing to minimise", stacklevel=2)
        names = [all_names[i] for i in fed]
        loss_fns = [losses_module.get(per_output[i]) for i in fed]
        if loss_weights is None:
            weights = [1.0] * len(names)
        else:
            if not isinstance(loss_weights, (list, dict)):
                raise TypeError("compile: could not interpret `loss_weights`: expected a list "
                                f"or a dict by output name, got {type(loss_weights).__name__} "
                                f"{loss_weights!r}")
            weights = self._per_output(loss_weights, "loss_weights", default=1.0)
            weights = [weights[i] for i in fed]
            for w in weights:
                if isinstance(w, bool) or not isinstance(w, (int, float, np.number)):
                    raise TypeError(f"compile: `loss_weights` must hold numbers, got {w!r}")
        modes = (self._per_output(sample_weight_mode, "sample_weight_mode", default=None)
                 if isinstance(sample_weight_mode, (list, dict)) else
                 [sample_weight_mode] * len(all_names))
        for mode in modes:
            if mode not in (None, "temporal"):
                raise ValueError(f"compile: `sample_weight_mode` must be None or 'temporal' "
                                 f"(or a list or dict of them by output), got "
                                 f"{sample_weight_mode!r}")
        self._sample_weight_modes = [modes[i] for i in fed]
        out_shapes = ([self._output_shapes()[i] for i in fed] if self.built
                      else [(None,)] * len(names))
        used = {"loss"} | ({f"{n}_loss" for n in names} if len(all_names) > 1 else set())
        metric_fns = self._resolve_metrics(metrics, loss_fns, out_shapes, used, "metrics",
                                           fed=fed)
        weighted_fns = self._resolve_metrics(weighted_metrics, loss_fns, out_shapes, used,
                                             "weighted_metrics", prefix="weighted_", fed=fed)
        self.loss = loss
        self.metrics = metrics or []
        self.loss_weights = loss_weights
        self.sample_weight_mode = sample_weight_mode
        self._compiled_spec = CompiledSpec(loss_fns, [float(w) for w in weights], metric_fns,
                                           weighted_fns, list(names), fed)
        self._compiled_trainable = None
        self._warned_trainable = False
        self._compile_args = {"metrics": metrics, "weighted_metrics": weighted_metrics}
        self.metrics_names = ["loss"]
        if len(all_names) > 1:
            self.metrics_names += [f"{n}_loss" for n in names]
        for i in range(len(names)):
            self.metrics_names += [m for m, _ in metric_fns[i]] + [m for m, _ in weighted_fns[i]]
        self._functions = {}
        if self.built:
            self._init_optimizer_state()

    def _per_output_targets(self, target_tensors: Any) -> list | None:
        """`compile`'s `target_tensors` as one entry (or None) per output.

        Variables hold fixed targets (training then takes no `y`); placeholders
        stand for targets fed as usual.

        # Raises
            TypeError: for anything but a tensor, a list or a dict of them.
            ValueError: for a list of the wrong length or unknown output names.
        """
        if target_tensors is None:
            return None
        names = self.output_names
        if isinstance(target_tensors, (list, tuple)):
            if len(target_tensors) != len(names):
                raise ValueError(f"When passing a list as `target_tensors`, it should have one "
                                 f"entry per model output. The model has {len(names)} "
                                 f"outputs, but you passed target_tensors={target_tensors!r}")
            return list(target_tensors)
        if isinstance(target_tensors, dict):
            unknown = sorted(set(target_tensors) - set(names))
            if unknown:
                raise ValueError(f"compile: unknown entries in `target_tensors` dictionary: "
                                 f"{unknown}. Only expected the following keys: {names}")
            return [target_tensors.get(n) for n in names]
        if isinstance(target_tensors, K.Variable) or K._is_symbolic(target_tensors):
            if len(names) != 1:
                raise ValueError(f"The model has {len(names)} outputs, but you passed a single "
                                 "tensor as `target_tensors`. Expected a list or a dict of "
                                 "tensors.")
            return [target_tensors]
        raise TypeError("compile: expected `target_tensors` to be a tensor, a list of tensors "
                        f"or a dict of tensors, got {type(target_tensors).__name__}")

    def _fixed_targets(self) -> list | None:
        """The targets that variables given as `target_tensors` hold, per output with a loss."""
        given = getattr(self, "_target_tensors", None)
        if not given:
            return None
        fed = [given[i] for i in self._compiled_spec.fed]
        if not any(isinstance(t, K.Variable) for t in fed):
            return None
        if not all(isinstance(t, K.Variable) for t in fed):
            raise ValueError("compile: `target_tensors` mixes variables (fixed targets) with "
                             "other entries; give a variable for every output with a loss")
        return [np.asarray(t.numpy()) for t in fed]

    def _per_output(self, value: Any, argument: str, default: Any = None) -> list:
        names = self.output_names
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(names))
            if unknown:
                raise ValueError(f"compile: unknown entries in `{argument}` dictionary: "
                                 f"{unknown}. Only expected the following keys: {names}")
            if default is None:
                missing = [n for n in names if n not in value]
                if missing:
                    raise ValueError(f"compile: output(s) {missing} missing from the "
                                     f"`{argument}` dictionary")
            return [value.get(n, default) for n in names]
        if isinstance(value, (list, tuple)):
            if len(value) != len(names):
                raise ValueError(f"compile: when passing a list as `{argument}`, it should have "
                                 f"one entry per model output ({len(names)}: {names}), but got "
                                 f"{len(value)}")
            return list(value)
        return [value] * len(names)

    def _resolve_metrics(self, metrics: Any, loss_fns: list, out_shapes: list, used: set,
                         argument: str, prefix: str = "", fed: list | None = None) -> list:
        names = self.output_names
        if metrics is None:
            per_output: list = [[] for _ in names]
        elif isinstance(metrics, dict):
            unknown = sorted(set(metrics) - set(names))
            if unknown:
                raise ValueError(f"compile: unknown entries in `{argument}` dictionary: "
                                 f"{unknown}. Only expected the following keys: {names}")
            per_output = [to_list(metrics.get(n, [])) for n in names]
        elif isinstance(metrics, (list, tuple)):
            per_output = [list(metrics) for _ in names]
        else:
            raise TypeError(f"compile: `{argument}` must be a list (or a dict by output), got "
                            f"{type(metrics).__name__} {metrics!r}")
        resolved = []
        for j, i in enumerate(range(len(names)) if fed is None else fed):
            items, out = per_output[i], []
            for item in items:
                name, fn = metrics_module.resolve(item, loss_fns[j], out_shapes[j])
                name = prefix + name
                if len(names) > 1:
                    name = f"{names[i]}_{name}"
                base, k = name, 0
                while name in used:
                    k += 1
                    name = f"{base}_{k}"
                used.add(name)
                out.append((name, fn))
            resolved.append(out)
        return resolved

    def _init_optimizer_state(self) -> None:
        # As Keras 2.2.4, the trainable set is fixed when the model is compiled
        # (and built): changing `trainable` later takes effect at the next compile.
        self._compiled_trainable = self._live_trainable_index()
        trainable = [self.layers[li]._values[wi] for li, wi in self._trainable_index]
        # The slots live in this model's state; the optimizer's own `state` (its
        # `get_weights`, `iterations`) shows the last model compiled with it.
        self._state = self._state._replace(opt_state=self.optimizer.init(trainable))
        self.optimizer._owner = self

    def _check_trainable_discrepancy(self, once: bool = False) -> None:
        """Warns, as 2.2.4 does, when `trainable` changed since compile (with `once`,
        only the first time after a compile: `train_on_batch` in a GAN loop)."""
        if (getattr(self, "_compiled_trainable", None) is not None
                and not (once and getattr(self, "_warned_trainable", False))
                and self._live_trainable_index() != self._compiled_trainable):
            self._warned_trainable = True
            warnings.warn("Discrepancy between trainable weights and collected trainable "
                          "weights, did you set `model.trainable` without calling "
                          "`model.compile` after ?", stacklevel=3)

    def _check_compiled(self, method: str) -> None:
        if self._compiled_spec is None:
            raise RuntimeError(f"You must compile your model before using it: call "
                               f"model.compile(optimizer, loss) before model.{method}()")

    # Keras 2.2.4 built its backend functions ahead of the first batch with these
    # private hooks, which scripts call (`_make_predict_function` before serving
    # from a web server's threads). jeras compiles its steps per batch signature
    # at the first batch, so they only do what 2.2.4's did besides: check and
    # create state.

    def _make_train_function(self) -> None:
        """Checks that the model is compiled and creates the optimizer's slots.

        # Raises
            RuntimeError: if the model is not compiled.
        """
        self._check_compiled("_make_train_function")
        if self._state.opt_state is None:
            self._init_optimizer_state()

    def _make_test_function(self) -> None:
        """Checks that the model is compiled.

        # Raises
            RuntimeError: if the model is not compiled.
        """
        self._check_compiled("_make_test_function")

    def _make_predict_function(self) -> None:
        """Nothing to prepare: `predict` compiles its step at the first batch."""

    def _function(self, kind: str, *key: Any) -> Callable:
        cache_key = (kind, distribution_lib.distribution(), steps.fixed_phase()) + key
        if cache_key not in self._functions:
            makers = {"train": steps.make_train_chunk, "test": steps.make_test_loop,
                      "predict": steps.make_predict_loop}
            self._functions[cache_key] = makers[kind](self, *key)
        return self._functions[cache_key]

    # Data.

    def _standardize(self, x: Any, y: Any = None, sample_weight: Any = None,
                     class_weight: Any = None, need_y: bool = True) -> tuple[list, list, list]:
        names = self.input_names
        if not self.built:
            arrays = standardize_arrays(x, names, [(None,) * np.ndim(a) for a in to_list(x)],
                                        "x", check_shapes=[False] * len(names))
            self._build_from_data(arrays)
        inputs = standardize_arrays(x, names, self._input_shapes(), "x")
        spec = self._compiled_spec
        if not need_y or not spec.fed:
            return distribution_lib.gather_processes((inputs, [], []))
        fixed = self._fixed_targets()
        if fixed is not None:
            if y is not None:
                raise ValueError("`y` must be None: the model was compiled with variables as "
                                 "`target_tensors`, which hold its targets")
            y = fixed if len(fixed) > 1 else fixed[0]
        if y is None:
            raise ValueError("`y` is None: this method needs target data")
        sparse = [fn is losses_module.sparse_categorical_crossentropy for fn in spec.loss_fns]
        out_shapes = [self._output_shapes()[i] for i in spec.fed]
        # As Keras 2.2.4: targets of a user-written loss may have any shape.
        check = [not s and _is_builtin_loss(fn) for s, fn in zip(sparse, spec.loss_fns)]
        targets = standardize_arrays(y, spec.output_names, out_shapes, "y",
                                     check_shapes=[False] * len(out_shapes))
        # The loss-specific message (integer targets for categorical_crossentropy)
        # says more than the shape message, so it comes first.
        check_loss_and_target(targets, spec.loss_fns, out_shapes)
        check_array_shapes(targets, spec.output_names, out_shapes, "y", check)
        for arr, is_sparse, shape in zip(targets, sparse, out_shapes):
            if is_sparse and arr.ndim != len(shape) and arr.ndim != len(shape) - 1:
                raise ValueError(f"`y`: sparse_categorical_crossentropy expects integer targets "
                                 f"of shape {shape[:-1]} or {shape[:-1] + (1,)}, got {arr.shape}")
        n = check_same_length(inputs, targets)
        sws = standardize_sample_weights(sample_weight, class_weight, targets, n,
                                         self._sample_weight_modes, spec.output_names)
        return distribution_lib.gather_processes((inputs, targets, sws))

    def _batch_size(self, batch_size: int | None, n: int, method: str) -> int:
        """The batch size `method` runs with on `n` samples: `batch_size`, 32 by default.

        A stateful model takes batches of exactly the size its input shape
        fixes. As in Keras 2.2.4, the default stays 32, so `fit(x, y)` without
        a `batch_size` works when that is the model's size or all of `x` is one
        such batch, and otherwise raises (2.2.4 failed inside TensorFlow; jeras
        says why up front). Pass the model's batch size.

        # Arguments
            batch_size: the batch size asked for, or None.
            n: the number of samples.
            method: the caller, named in messages (none when empty).

        # Raises
            ValueError: for a stateful model, batches of another size than its
                own, or `n` samples that are not a whole number of batches.
        """
        size = 32 if batch_size is None else batch_size
        if not self.stateful:
            return size
        fixed = self._input_shapes()[0][0]
        where = f"{method}: " if method else ""
        rows = min(size, n) if n else size
        if rows != fixed:
            asked = "the default batch size of 32" if batch_size is None else \
                f"a batch size of {batch_size}"
            raise ValueError(f"{where}this stateful model takes batches of exactly {fixed} "
                             f"samples (the batch size of its input shape "
                             f"{self._input_shapes()[0]}); got {asked} for {n} samples: "
                             f"pass batch_size={fixed}")
        if n % fixed:
            raise ValueError(f"{where}in a stateful network, you should only pass inputs "
                             f"with a number of samples that can be divided by the batch size. "
                             f"Found: {n} samples. Batch size: {fixed}.")
        return fixed

    # Training.

    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: int = 1, callbacks: list | None = None, validation_split: float = 0.0,
            validation_data: Any = None, shuffle: bool | str = True, class_weight: Any = None,
            sample_weight: Any = None, initial_epoch: int = 0,
            steps_per_epoch: int | None = None, validation_steps: int | None = None,
            **kwargs: Any) -> History:
        """Trains the model for a fixed number of epochs.

        # Arguments
            x: input data: a numpy array, or a list / dict of arrays for several inputs.
                A generator or `Sequence` goes to `fit_generator` (then `y`
                must be None, and `max_queue_size`, `workers` and
                `use_multiprocessing` may be passed).
            y: target data, likewise.
            batch_size: samples per gradient update (default 32; a stateful
                model's default, and only choice, is its fixed batch size).
            epochs: index of the last epoch to train (training runs from
                `initial_epoch` to `epochs`).
            verbose: 0 silent, 1 progress bar, 2 one line per epoch.
            callbacks: list of `jeras.callbacks.Callback`.
            validation_split: fraction in [0, 1) of the data (the last samples,
                before shuffling) held out for validation.
            validation_data: `(x_val, y_val)` or `(x_val, y_val, val_sample_weight)`;
                overrides `validation_split`.
            shuffle: shuffle the samples each epoch (`'batch'` shuffles whole batches).
            class_weight: dict mapping class index to a weight for the loss.
            sample_weight: per-sample weights for the loss (shape `(samples,)`,
                or `(samples, timesteps)` with `sample_weight_mode='temporal'`).
            initial_epoch: epoch at which to start (for resuming).
            steps_per_epoch: with arrays, as in Keras 2.2.4, each step then
                trains on the whole data set as one batch.
            validation_steps: steps of validation with `steps_per_epoch`.

        # Returns
            The `History` callback; `history.history[key]` holds one value per epoch.

        # Raises
            RuntimeError: if the model is not compiled.
            ValueError / TypeError: for data or arguments that do not fit the model.
        """
        if training_generator.is_data_source(x):
            _no_y_with_source("fit", y, sample_weight=sample_weight,
                              validation_split=validation_split or None)
            return self.fit_generator(
                x, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
                callbacks=callbacks, validation_data=validation_data,
                validation_steps=validation_steps, class_weight=class_weight, shuffle=shuffle,
                initial_epoch=initial_epoch, **kwargs)
        if "nb_epoch" in kwargs:
            warnings.warn("The `nb_epoch` argument in `fit` has been renamed `epochs`.",
                          stacklevel=2)
            epochs = kwargs.pop("nb_epoch")
        if kwargs:
            raise TypeError(f"fit: unexpected keyword argument(s) {sorted(kwargs)}")
        self._check_compiled("fit")
        if batch_size is not None:
            batch_size = check_positive_int(batch_size, "batch_size")
        epochs = check_positive_int(epochs, "epochs", allow_zero=True)
        initial_epoch = check_positive_int(initial_epoch, "initial_epoch", allow_zero=True)
        if verbose not in (0, 1, 2) and not isinstance(verbose, bool):
            raise ValueError(f"`verbose` must be 0, 1 or 2, got {verbose!r}")
        if steps_per_epoch is not None:
            steps_per_epoch = check_positive_int(steps_per_epoch, "steps_per_epoch")
        if shuffle not in (True, False, "batch"):
            raise ValueError(f"`shuffle` must be True, False or 'batch', got {shuffle!r}")
        inputs, targets, sws = self._standardize(x, y, sample_weight, class_weight)
        val = None
        if validation_data is not None:
            val = self._validation_arrays(validation_data)
        elif validation_split:
            parts = split_validation(inputs + targets + sws, validation_split)
            ni, nt = len(inputs), len(targets)
            train_parts, val_parts = parts
            inputs, targets, sws = (train_parts[:ni], train_parts[ni:ni + nt],
                                    train_parts[ni + nt:])
            val = (val_parts[:ni], val_parts[ni:ni + nt], val_parts[ni + nt:])
        if validation_steps is not None:
            validation_steps = check_positive_int(validation_steps, "validation_steps")
        whole = steps_per_epoch is not None
        n = inputs[0].shape[0]
        batch_size = self._batch_size(n if whole else batch_size, n, "fit")
        if val is not None:
            n_val = val[0][0].shape[0]
            self._batch_size(n_val if whole else batch_size, n_val, "fit (validation data)")
        if self._state.opt_state is None:
            self._init_optimizer_state()
        self._check_trainable_discrepancy()
        return training_arrays.fit_loop(
            self, (inputs, targets, sws), batch_size=batch_size, epochs=epochs,
            verbose=int(verbose), callbacks=callbacks, val_data=val, shuffle=shuffle,
            initial_epoch=initial_epoch, steps_per_epoch=steps_per_epoch)

    def _validation_arrays(self, validation_data: Any) -> tuple[list, list, list]:
        if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
            raise ValueError("`validation_data` should be a tuple `(x_val, y_val)` or "
                             "`(x_val, y_val, val_sample_weights)`, got "
                             f"{type(validation_data).__name__} {validation_data!r:.80}")
        vx, vy = validation_data[0], validation_data[1]
        vsw = validation_data[2] if len(validation_data) == 3 else None
        return self._standardize(vx, vy, vsw)

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: int = 1, sample_weight: Any = None, steps: int | None = None) -> Any:
        """Returns the loss and metrics on the given data, computed batch by batch.

        # Arguments
            x, y: data as for `fit`.
            batch_size: samples per batch (default 32; a stateful model's fixed one).
            verbose: 0 or 1.
            sample_weight: per-sample weights for the loss.
            steps: with arrays, as in Keras 2.2.4, evaluate the whole data set as one batch.

        # Returns
            The scalar loss when the model has no metrics, else the list
            `[loss, metric...]` in `model.metrics_names` order.
        """
        if training_generator.is_data_source(x):
            _no_y_with_source("evaluate", y, sample_weight=sample_weight)
            return self.evaluate_generator(x, steps=steps, verbose=verbose)
        self._check_compiled("evaluate")
        if batch_size is not None:
            batch_size = check_positive_int(batch_size, "batch_size")
        data = self._standardize(x, y, sample_weight)
        n = data[0][0].shape[0]
        batch_size = self._batch_size(n if steps is not None else batch_size, n, "evaluate")
        values = training_arrays.test_loop(self, data, batch_size, verbose=verbose)
        return values[0] if len(values) == 1 else values

    def predict(self, x: Any, batch_size: int | None = None, verbose: int = 0,
                steps: int | None = None) -> Any:
        """Returns the model's outputs for `x`, computed batch by batch.

        # Arguments
            x: input data, as for `fit`.
            batch_size: samples per batch (default 32; a stateful model's fixed one).
            verbose: 0 or 1.
            steps: with arrays, as in Keras 2.2.4, predict the whole data set as one batch.

        # Returns
            A numpy array (a list of arrays for several outputs).
        """
        if training_generator.is_data_source(x):
            return self.predict_generator(x, steps=steps, verbose=verbose)
        if batch_size is not None:
            batch_size = check_positive_int(batch_size, "batch_size")
        inputs, _, _ = self._standardize(x, need_y=False)
        n = inputs[0].shape[0]
        batch_size = self._batch_size(n if steps is not None else batch_size, n, "predict")
        outputs = training_arrays.predict_loop(self, inputs, batch_size, verbose=verbose)
        return outputs[0] if len(outputs) == 1 else outputs

    def train_on_batch(self, x: Any, y: Any, sample_weight: Any = None,
                       class_weight: Any = None) -> Any:
        """Runs one gradient update on one batch.

        # Returns
            The scalar training loss, or `[loss, metric...]` when there are metrics.
        """
        self._check_compiled("train_on_batch")
        inputs, targets, sws = self._standardize(x, y, sample_weight, class_weight)
        if self._state.opt_state is None:
            self._init_optimizer_state()
        self._check_trainable_discrepancy(once=True)
        n = self._batch_size(inputs[0].shape[0], inputs[0].shape[0], "train_on_batch")
        fn = self._function("train", n, 1)
        perm, valid = training_arrays.epoch_order(0, 0, n, n, False)
        if self._state.seed is None:
            self._state = model_state.seeded(self._state, K.random_seed())
        # Each call draws its keys from the model's seed and its step count.
        state = self._train_state()
        state, logs = fn(state, (inputs, targets, sws), perm, valid, np.int32(0),
                         self.optimizer.hyper_values(), np.int32(state.step))
        self._set_state(state)
        values = [np.float64(logs[k][0]) for k in self.metrics_names]
        return values[0] if len(values) == 1 else values

    def test_on_batch(self, x: Any, y: Any, sample_weight: Any = None) -> Any:
        """Returns the loss (and metrics) on one batch, without updating the model."""
        self._check_compiled("test_on_batch")
        data = self._standardize(x, y, sample_weight)
        n = self._batch_size(data[0][0].shape[0], data[0][0].shape[0], "test_on_batch")
        values = training_arrays.test_loop(self, data, n, verbose=0)
        return values[0] if len(values) == 1 else values

    def predict_on_batch(self, x: Any) -> Any:
        """Returns the model's outputs for one batch."""
        inputs, _, _ = self._standardize(x, need_y=False)
        n = self._batch_size(inputs[0].shape[0], inputs[0].shape[0], "predict_on_batch")
        outputs = training_arrays.predict_loop(self, inputs, n, verbose=0)
        return outputs[0] if len(outputs) == 1 else outputs

    # Generators and Sequences (the loops live in `training_generator.py`).

    @legacy.legacy_generator_methods_support
    def fit_generator(self, generator: Any, steps_per_epoch: int | None = None, epochs: int = 1,
                      verbose: int = 1, callbacks: list | None = None,
                      validation_data: Any = None, validation_steps: int | None = None,
                      class_weight: Any = None, max_queue_size: int = 10, workers: int = 1,
                      use_multiprocessing: bool = False, shuffle: bool = True,
                      initial_epoch: int = 0) -> History:
        """Trains the model on batches read from a Python generator or a `Sequence`.

        Each batch trains as one gradient update; batches may differ in size
        (a short batch is padded and masked, so it compiles nothing new).
        Only `max_queue_size` batches wait in memory, so data larger than
        memory trains from a generator that reads it piece by piece.

        # Arguments
            generator: a generator (or iterator) yielding `(x, y)` or
                `(x, y, sample_weight)` forever, or a `jeras.utils.Sequence`.
            steps_per_epoch: batches per epoch; default `len(generator)` for
                a `Sequence`, required for a generator.
            epochs: index of the last epoch to train.
            verbose: 0 silent, 1 progress bar (counting steps), 2 one line per epoch.
            callbacks: list of `jeras.callbacks.Callback`.
            validation_data: a generator or `Sequence` of validation batches,
                or arrays `(x_val, y_val)` / `(x_val, y_val, val_sample_weight)`.
            validation_steps: batches of validation per epoch when
                `validation_data` is a generator (default `len()` of a `Sequence`).
            class_weight: dict mapping class index to a weight for the loss.
            max_queue_size: batches read ahead at most.
            workers: reading threads; 0 reads on the training thread. Several
                threads read a `Sequence` in parallel; a generator is read by one.
            use_multiprocessing: accepted for Keras 2 scripts; warns once, as
                jeras reads with threads.
            shuffle: read a `Sequence`'s batches in a new random order each epoch.
            initial_epoch: epoch at which to start (for resuming).

        # Returns
            The `History` callback.

        # Raises
            RuntimeError: if the model is not compiled.
            ValueError: a generator without `steps_per_epoch`, a generator
                that stops early or yields something other than `(x, y[, w])`,
                or a batch that does not fit the model (the message names the
                step and epoch). What the generator itself raises comes
                through unchanged, with a note naming the step.
        """
        self._check_compiled("fit_generator")
        return training_generator.fit_generator(
            self, generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
            callbacks=callbacks, validation_data=validation_data,
            validation_steps=validation_steps, class_weight=class_weight,
            max_queue_size=max_queue_size, workers=workers,
            use_multiprocessing=use_multiprocessing, shuffle=shuffle,
            initial_epoch=initial_epoch)

    @legacy.legacy_generator_methods_support
    def evaluate_generator(self, generator: Any, steps: int | None = None,
                           max_queue_size: int = 10, workers: int = 1,
                           use_multiprocessing: bool = False, verbose: int = 0) -> Any:
        """Returns the loss and metrics over batches read from a generator or `Sequence`.

        # Arguments
            generator: yields `(x, y)` or `(x, y, sample_weight)`; or a `Sequence`.
            steps: batches to read; default `len(generator)` for a `Sequence`.
            max_queue_size, workers, use_multiprocessing: as for `fit_generator`.
            verbose: 0 or 1 (progress bar).

        # Returns
            The scalar loss, or `[loss, metric...]`: per-batch values averaged
            with the batch sizes as weights, as Keras 2 does.

        # Raises
            RuntimeError: if the model is not compiled.
            ValueError: as for `fit_generator`.
        """
        self._check_compiled("evaluate_generator")
        return training_generator.evaluate_generator(
            self, generator, steps=steps, max_queue_size=max_queue_size, workers=workers,
            use_multiprocessing=use_multiprocessing, verbose=verbose)

    @legacy.legacy_generator_methods_support
    def predict_generator(self, generator: Any, steps: int | None = None,
                          max_queue_size: int = 10, workers: int = 1,
                          use_multiprocessing: bool = False, verbose: int = 0) -> Any:
        """Returns the model's outputs for input batches read from a generator or `Sequence`.

        # Arguments
            generator: yields input batches `x` (or tuples whose first item is
                `x`); or a `Sequence`.
            steps: batches to read; default `len(generator)` for a `Sequence`.
            max_queue_size, workers, use_multiprocessing: as for `fit_generator`.
            verbose: 0 or 1 (progress bar).

        # Returns
            The outputs of all batches, concatenated: a numpy array, or a list
            of them for several outputs.

        # Raises
            ValueError: as for `fit_generator`.
        """
        return training_generator.predict_generator(
            self, generator, steps=steps, max_queue_size=max_queue_size, workers=workers,
            use_multiprocessing=use_multiprocessing, verbose=verbose)


#: Marks an output left out of a loss dictionary (Keras 2.2.4 trains it on nothing).
_NO_LOSS = object()


def _no_y_with_source(method: str, y: Any, **others: Any) -> None:
    """A generator yields its own targets; `y`, weights or a split beside it are a mistake."""
    given = (["y"] if y is not None else []) + [k for k, v in others.items() if v is not None]
    if given:
        raise ValueError(f"{method}: {', '.join(f'`{g}`' for g in given)} must be None when `x` "
                         f"is a generator or Sequence, which yields `(x, y[, sample_weight])`")


def _is_builtin_loss(fn: Callable) -> bool:
    return getattr(losses_module, getattr(fn, "__name__", ""), None) is fn
