"""scikit-learn estimators around jeras models: `KerasClassifier` and `KerasRegressor`.

As in Keras 2.2.4, the wrapper holds a function that builds and compiles a
model, plus keyword arguments (`sk_params`) that go to that function and to
`fit`, `predict` and `evaluate` by name. Each `fit` builds a fresh model, so
scikit-learn's `clone`, `cross_val_score` and `GridSearchCV` work as they do
with any estimator. scikit-learn itself is optional (`pip install jeras[sklearn]`);
this module does not import it.
"""
from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from jeras import losses as losses_module
from jeras.engine.training import Model
from jeras.utils.generic_utils import has_arg
from jeras.utils.np_utils import to_categorical

__all__ = ["BaseWrapper", "KerasClassifier", "KerasRegressor"]


def _predict_classes(probabilities: np.ndarray) -> np.ndarray:
    """Keras 2's `predict_classes`: argmax over classes, or `p > 0.5` for one sigmoid unit."""
    if probabilities.shape[-1] > 1:
        return probabilities.argmax(axis=-1)
    return (probabilities > 0.5).astype("int32")


#: The model methods whose keyword arguments `sk_params` may carry, as in Keras 2.2.4.
_MODEL_METHODS = (Model.fit, Model.predict, Model.evaluate)


class BaseWrapper:
    """Base class of the scikit-learn wrappers.

    # Arguments
        build_fn: a callable that returns a compiled model (a function, or an
            instance of a class with `__call__`); None to use this object's own
            `__call__` (subclass the wrapper and define it).
        **sk_params: arguments of `build_fn` and of the model's `fit`, `predict`
            and `evaluate` (`epochs`, `batch_size`, `verbose`...), each passed to
            the methods that take it; `fit(..., epochs=3)` overrides them per call.

    # Raises
        ValueError: for a keyword argument none of those take (naming it).
    """

    _estimator_type = ""

    def __init__(self, build_fn: Callable | None = None, **sk_params: Any):
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    def _build_function(self) -> Callable:
        if self.build_fn is None:
            return self.__call__
        if inspect.isfunction(self.build_fn) or inspect.ismethod(self.build_fn):
            return self.build_fn
        return self.build_fn.__call__

    def check_params(self, params: dict) -> None:
        """Checks that every argument goes to `build_fn` or to a model method.

        # Raises
            ValueError: naming the first argument that none of them takes.
        """
        targets = list(_MODEL_METHODS) + [self._build_function()]
        for name in params:
            if not any(has_arg(fn, name) for fn in targets):
                raise ValueError(f"{type(self).__name__}: {name!r} is not an argument of "
                                 "`build_fn` nor of the model's fit, predict or evaluate")

    def get_params(self, deep: bool = True) -> dict:
        """The estimator's parameters: `sk_params` and `build_fn` (what `clone` copies)."""
        params = copy.deepcopy(self.sk_params) if deep else dict(self.sk_params)
        params["build_fn"] = self.build_fn
        return params

    def set_params(self, **params: Any) -> BaseWrapper:
        """Updates `sk_params` (as `GridSearchCV` does per candidate); returns self.

        # Raises
            ValueError: for an argument no method or `build_fn` takes.
        """
        if "build_fn" in params:
            self.build_fn = params.pop("build_fn")
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def filter_sk_params(self, fn: Callable, override: dict | None = None) -> dict:
        """The `sk_params` that `fn` takes, updated with `override`."""
        chosen = {k: v for k, v in self.sk_params.items() if has_arg(fn, k)}
        chosen.update(override or {})
        return chosen

    def _targets_for(self, y: np.ndarray) -> np.ndarray:
        """One-hot targets when the model's loss is categorical crossentropy (as Keras 2)."""
        loss = getattr(self.model, "loss", None)
        is_categorical = (loss == "categorical_crossentropy" or (
            callable(loss) and losses_module.get(loss) is losses_module.categorical_crossentropy))
        if is_categorical and y.ndim != 2:
            return to_categorical(y)
        return y

    def fit(self, x: Any, y: Any, **kwargs: Any) -> Any:
        """Builds a new model with `build_fn` and trains it on `(x, y)`.

        # Arguments
            x: training inputs, `(samples, features...)`.
            y: targets, `(samples,)` or `(samples, outputs)`.
            **kwargs: `fit` arguments overriding `sk_params` for this call.

        # Returns
            The `History` of the training.
        """
        build = self._build_function()
        self.model = build(**self.filter_sk_params(build))
        y = self._targets_for(np.asarray(y))
        fit_args = self.filter_sk_params(Model.fit, kwargs)
        return self.model.fit(x, y, **fit_args)


class KerasClassifier(BaseWrapper):
    """A scikit-learn classifier around a jeras model (Keras 2's `KerasClassifier`).

    Labels may be any sortable values (`classes_` keeps them); they are turned
    into indices for the model, and one-hot when its loss is categorical
    crossentropy. `score` is the model's accuracy, so compile it with
    `metrics=['acc']` or `['accuracy']`.
    """

    _estimator_type = "classifier"

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import ClassifierTags, Tags, TargetTags
        return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags())

    def fit(self, x: Any, y: Any, **kwargs: Any) -> Any:
        """Trains on `(x, y)`; `y` holds labels, or one-hot rows of shape `(samples, classes)`.

        # Returns
            The `History` of the training.
        """
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        elif y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
            self.classes_ = np.unique(y)
            y = np.searchsorted(self.classes_, y)
        else:
            raise ValueError(f"KerasClassifier: invalid shape for y: {y.shape}")
        self.n_classes_ = len(self.classes_)
        return super().fit(x, y, **kwargs)

    def predict_proba(self, x: Any, **kwargs: Any) -> np.ndarray:
        """Class probabilities `(samples, classes)`; one sigmoid output `p` gives `[1 - p, p]`."""
        probabilities = np.asarray(
            self.model.predict(x, **self.filter_sk_params(Model.predict, kwargs)))
        if probabilities.shape[1] == 1:
            probabilities = np.hstack([1 - probabilities, probabilities])
        return probabilities

    def predict(self, x: Any, **kwargs: Any) -> np.ndarray:
        """The predicted labels, `(samples,)`, as values of `classes_`."""
        probabilities = np.asarray(
            self.model.predict(x, **self.filter_sk_params(Model.predict, kwargs)))
        return self.classes_[_predict_classes(probabilities)].reshape(len(probabilities))

    def score(self, x: Any, y: Any, **kwargs: Any) -> float:
        """The model's accuracy on `(x, y)`.

        # Raises
            ValueError: if the model was compiled without an accuracy metric.
        """
        y = np.searchsorted(self.classes_, np.asarray(y))
        y = self._targets_for(y)
        outputs = self.model.evaluate(x, y, **self.filter_sk_params(Model.evaluate, kwargs))
        outputs = outputs if isinstance(outputs, list) else [outputs]
        for name, value in zip(self.model.metrics_names, outputs):
            if name in ("acc", "accuracy"):
                return float(value)
        raise ValueError("KerasClassifier.score needs the model to compute accuracy: pass "
                         "`metrics=['accuracy']` to `model.compile()` in `build_fn`")


class KerasRegressor(BaseWrapper):
    """A scikit-learn regressor around a jeras model (Keras 2's `KerasRegressor`).

    `score` is the negated loss, so that greater is better as scikit-learn expects.
    """

    _estimator_type = "regressor"

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import RegressorTags, Tags, TargetTags
        return Tags(estimator_type="regressor", target_tags=TargetTags(required=True),
                    regressor_tags=RegressorTags())

    def predict(self, x: Any, **kwargs: Any) -> np.ndarray:
        """The predictions, with axes of size 1 squeezed (`(samples,)` for one output)."""
        return np.squeeze(np.asarray(
            self.model.predict(x, **self.filter_sk_params(Model.predict, kwargs))))

    def score(self, x: Any, y: Any, **kwargs: Any) -> float:
        """Minus the model's loss on `(x, y)`."""
        loss = self.model.evaluate(x, y, **self.filter_sk_params(Model.evaluate, kwargs))
        if isinstance(loss, list):
            return -float(loss[0])
        return -float(loss)
