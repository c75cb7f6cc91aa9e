"""KerasClassifier and KerasRegressor with Keras 2.2.4's contract, inside scikit-learn."""
import numpy as np
import pytest

from jeras.layers import Dense
from jeras.models import Sequential
from jeras.wrappers.scikit_learn import KerasClassifier, KerasRegressor

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402

RNG = np.random.RandomState(5)
X = RNG.randn(60, 4).astype("float32")
LABELS = np.array(["ant", "bee", "cat"])
Y_INDEX = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)
Y = LABELS[Y_INDEX]


def build_classifier(hidden=8, loss="sparse_categorical_crossentropy"):
    model = Sequential([Dense(hidden, activation="relu", input_shape=(4,)),
                        Dense(3, activation="softmax")])
    model.compile("adam", loss, metrics=["accuracy"])
    return model


def build_regressor(hidden=8):
    model = Sequential([Dense(hidden, activation="relu", input_shape=(4,)), Dense(1)])
    model.compile("adam", "mse")
    return model


def test_classifier_predicts_labels_probabilities_and_scores_accuracy():
    clf = KerasClassifier(build_classifier, epochs=3, batch_size=16, verbose=0)
    history = clf.fit(X, Y)
    assert len(history.history["loss"]) == 3
    np.testing.assert_array_equal(clf.classes_, LABELS)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba, clf.model.predict(X), rtol=1e-6)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    predicted = clf.predict(X)
    np.testing.assert_array_equal(predicted, LABELS[proba.argmax(axis=1)])
    np.testing.assert_allclose(clf.score(X, Y), np.mean(predicted == Y), atol=1e-6)


def test_categorical_crossentropy_gets_one_hot_targets():
    clf = KerasClassifier(build_classifier, loss="categorical_crossentropy", epochs=1,
                          verbose=0)
    clf.fit(X, Y)
    np.testing.assert_allclose(clf.score(X, Y), np.mean(clf.predict(X) == Y), atol=1e-6)


def test_binary_sigmoid_output_gives_two_probability_columns():
    def build():
        model = Sequential([Dense(1, activation="sigmoid", input_shape=(4,))])
        model.compile("sgd", "binary_crossentropy", metrics=["acc"])
        return model
    clf = KerasClassifier(build, epochs=1, verbose=0)
    y = (X[:, 0] > 0).astype(int)
    clf.fit(X, y)
    p = clf.model.predict(X)[:, 0]
    np.testing.assert_allclose(clf.predict_proba(X), np.stack([1 - p, p], axis=1), rtol=1e-6)
    np.testing.assert_array_equal(clf.predict(X), (p > 0.5).astype(int))


def test_regressor_predicts_and_scores_minus_the_loss():
    reg = KerasRegressor(build_regressor, epochs=2, verbose=0)
    y = X @ np.array([1.0, -2.0, 0.5, 0.0], "float32")
    reg.fit(X, y)
    predicted = reg.predict(X)
    assert predicted.shape == (60,)
    np.testing.assert_allclose(reg.score(X, y), -np.mean((predicted - y) ** 2), rtol=1e-4)


def test_params_round_trip_and_validation():
    clf = KerasClassifier(build_classifier, hidden=4, epochs=2)
    assert clf.get_params() == {"build_fn": build_classifier, "hidden": 4, "epochs": 2}
    assert clf.set_params(hidden=6) is clf and clf.sk_params["hidden"] == 6
    copy = clone(clf)
    assert copy.get_params() == clf.get_params() and copy is not clf
    with pytest.raises(ValueError, match="'nonsense'"):
        KerasClassifier(build_classifier, nonsense=1)
    with pytest.raises(ValueError, match="'nonsense'"):
        clf.set_params(nonsense=1)


def test_build_fn_none_uses_the_subclass_call():
    class Wrapped(KerasRegressor):
        def __call__(self, hidden=3):
            return build_regressor(hidden)
    reg = Wrapped(hidden=2, epochs=1, verbose=0)
    reg.fit(X, X[:, 0])
    assert reg.model.layers[0].units == 2


def test_cross_val_score_and_grid_search():
    clf = KerasClassifier(build_classifier, epochs=1, batch_size=20, verbose=0)
    scores = cross_val_score(clf, X, Y, cv=2)
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))
    search = GridSearchCV(clf, {"hidden": [2, 6]}, cv=2)
    search.fit(X, Y)
    assert search.best_params_["hidden"] in (2, 6)
    assert [p["hidden"] for p in search.cv_results_["params"]] == [2, 6]
    assert search.best_estimator_.model.layers[0].units == search.best_params_["hidden"]
    assert set(search.predict(X)) <= set(LABELS)
