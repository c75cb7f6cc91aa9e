"""Optimizers against NumPy transcriptions of Keras 2.2.4's update rules."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jeras import backend as K
from jeras import optimizers

SHAPES = [(3, 4), (4,), (2, 3, 2)]
STEPS = 5


def make_data(seed=0, steps=STEPS, grad_scale=None):
    rng = np.random.RandomState(seed)
    params = [rng.randn(*s).astype(np.float32) for s in SHAPES]
    grads = []
    for i in range(steps):
        scale = 1.0 if grad_scale is None else grad_scale(i)
        grads.append([(scale * rng.randn(*s)).astype(np.float32) for s in SHAPES])
    return params, grads


# Instances of one class with the same static configuration share a compiled
# step: XLA compiles take most of this file's time, and sharing also checks
# that `update` reads nothing from the instance beyond that configuration.
_COMPILED: dict = {}


def compiled_step(opt):
    """Returns `[jitted update, trace count]` for `opt`'s class and static config."""
    static = tuple(sorted((k, v) for k, v in opt.get_config().items() if k not in opt.hyper))
    key = (type(opt), static)
    if key not in _COMPILED:
        entry = [None, 0]

        def step(grads, state, params, hyper):
            entry[1] += 1
            return opt.update(grads, state, params, hyper)

        entry[0] = jax.jit(step)
        _COMPILED[key] = entry
    return _COMPILED[key]


def run(opt, params, grads_seq, before_step=None, state=None):
    """Runs `update` under jit from `state` (default: `init`); returns the final params
    and sets `opt.state`."""
    step = compiled_step(opt)[0]
    params = [jnp.asarray(p) for p in params]
    state = opt.init(params) if state is None else state
    for i, grads in enumerate(grads_seq):
        if before_step is not None:
            before_step(i)
        params, state = step([jnp.asarray(g) for g in grads], state, params, opt.hyper_values())
    opt.state = state
    return [np.asarray(p) for p in params]


# Float64 transcriptions of Keras 2.2.4 keras/optimizers.py.

def ref_preprocess(grads, clipnorm=None, clipvalue=None):
    if clipnorm:
        norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
        if norm >= clipnorm:
            grads = [g * clipnorm / norm for g in grads]
    if clipvalue:
        grads = [np.clip(g, -clipvalue, clipvalue) for g in grads]
    return grads


def reference(name, params, grads_seq, lrs=None, clipnorm=None, clipvalue=None, **cfg):
    """Runs the 2.2.4 rule in float64; `lrs[k]` overrides the base lr at step k."""
    defaults = {
        "sgd": dict(lr=0.01, momentum=0.0, decay=0.0, nesterov=False),
        "rmsprop": dict(lr=0.001, rho=0.9, epsilon=1e-7, decay=0.0),
        "adagrad": dict(lr=0.01, epsilon=1e-7, decay=0.0),
        "adadelta": dict(lr=1.0, rho=0.95, epsilon=1e-7, decay=0.0),
        "adam": dict(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, decay=0.0, amsgrad=False),
        "adamax": dict(lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=1e-7, decay=0.0),
        "nadam": dict(lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=1e-7, schedule_decay=0.004),
    }
    c = {**defaults[name], **cfg}
    eps = c["epsilon"] if "epsilon" in c else None
    p = [x.astype(np.float64) for x in params]
    z = [np.zeros_like(x) for x in p]
    s1, s2, s3 = [list(z) for _ in range(3)]
    m_schedule = 1.0
    for k, grads in enumerate(grads_seq):
        g = ref_preprocess([x.astype(np.float64) for x in grads], clipnorm, clipvalue)
        lr = c["lr"] if lrs is None else lrs[k]
        lr = lr * (1.0 / (1.0 + c.get("decay", 0.0) * k))
        t = k + 1
        for i in range(len(p)):
            gi = g[i]
            if name == "sgd":
                v = c["momentum"] * s1[i] - lr * gi
                s1[i] = v
                p[i] = p[i] + c["momentum"] * v - lr * gi if c["nesterov"] else p[i] + v
            elif name == "rmsprop":
                s1[i] = c["rho"] * s1[i] + (1 - c["rho"]) * gi ** 2
                p[i] = p[i] - lr * gi / (np.sqrt(s1[i]) + eps)
            elif name == "adagrad":
                s1[i] = s1[i] + gi ** 2
                p[i] = p[i] - lr * gi / (np.sqrt(s1[i]) + eps)
            elif name == "adadelta":
                s1[i] = c["rho"] * s1[i] + (1 - c["rho"]) * gi ** 2
                upd = gi * np.sqrt(s2[i] + eps) / np.sqrt(s1[i] + eps)
                p[i] = p[i] - lr * upd
                s2[i] = c["rho"] * s2[i] + (1 - c["rho"]) * upd ** 2
            elif name == "adam":
                b1, b2 = c["beta_1"], c["beta_2"]
                lr_t = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
                s1[i] = b1 * s1[i] + (1 - b1) * gi
                s2[i] = b2 * s2[i] + (1 - b2) * gi ** 2
                s3[i] = np.maximum(s3[i], s2[i])
                denom = np.sqrt(s3[i] if c["amsgrad"] else s2[i])
                p[i] = p[i] - lr_t * s1[i] / (denom + eps)
            elif name == "adamax":
                b1, b2 = c["beta_1"], c["beta_2"]
                lr_t = lr / (1 - b1 ** t)
                s1[i] = b1 * s1[i] + (1 - b1) * gi
                s2[i] = np.maximum(b2 * s2[i], np.abs(gi))
                p[i] = p[i] - lr_t * s1[i] / (s2[i] + eps)
            elif name == "nadam":
                b1, b2, sd = c["beta_1"], c["beta_2"], c["schedule_decay"]
                cache_t = b1 * (1 - 0.5 * 0.96 ** (t * sd))
                cache_t1 = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * sd))
                sched_new = m_schedule * cache_t
                sched_next = m_schedule * cache_t * cache_t1
                g_prime = gi / (1 - sched_new)
                s1[i] = b1 * s1[i] + (1 - b1) * gi
                s2[i] = b2 * s2[i] + (1 - b2) * gi ** 2
                m_bar = (1 - cache_t) * g_prime + cache_t1 * s1[i] / (1 - sched_next)
                v_prime = s2[i] / (1 - b2 ** t)
                p[i] = p[i] - lr * m_bar / (np.sqrt(v_prime) + eps)
        if name == "nadam":
            m_schedule *= cache_t
    return p


CLASSES = {"sgd": optimizers.SGD, "rmsprop": optimizers.RMSprop, "adagrad": optimizers.Adagrad,
           "adadelta": optimizers.Adadelta, "adam": optimizers.Adam,
           "adamax": optimizers.Adamax, "nadam": optimizers.Nadam}

CASES = [
    *[(name, {}) for name in CLASSES],
    ("sgd", dict(momentum=0.9, nesterov=True)),
    ("sgd", dict(lr=0.05, momentum=0.5, decay=0.1)),
    ("rmsprop", dict(lr=0.01, rho=0.5, decay=0.2)),
    ("adagrad", dict(decay=0.3)),
    ("adadelta", dict(lr=0.5, rho=0.8, decay=0.1)),
    ("adam", dict(lr=0.01, beta_1=0.8, beta_2=0.9, decay=0.1)),
    ("adamax", dict(lr=0.01, beta_1=0.7, beta_2=0.9, decay=0.2, epsilon=1e-4)),
    ("nadam", dict(lr=0.01, beta_1=0.8, beta_2=0.95, schedule_decay=0.05)),
    ("adam", dict(lr=0.01, clipnorm=1.0, clipvalue=0.2)),
]


def assert_matches(got, want):
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def max_diff(a, b):
    return max(np.max(np.abs(x - y)) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("name,cfg", CASES, ids=[f"{n}-{c}" for n, c in CASES])
def test_matches_keras_224_rule(name, cfg):
    params, grads = make_data()
    opt = CLASSES[name](**cfg)
    got = run(opt, params, grads)
    assert_matches(got, reference(name, params, grads, **cfg))
    assert max_diff(got, params) > 1e-3  # steps well above the tolerance
    assert compiled_step(opt)[1] == 1  # one trace for all steps and all instances


def test_amsgrad_matches_and_differs_from_adam():
    # Shrinking gradients with a short beta_2 make v fall below its running max.
    params, grads = make_data(grad_scale=lambda i: 1.0 / (i + 1) ** 2)
    cfg = dict(lr=0.01, beta_2=0.5, amsgrad=True)
    got = run(optimizers.Adam(**cfg), params, grads)
    assert_matches(got, reference("adam", params, grads, **cfg))
    assert max_diff(got, reference("adam", params, grads, lr=0.01, beta_2=0.5)) > 1e-3


@pytest.mark.parametrize("clipnorm,clips", [(2.0, True), (1e3, False)])
def test_clipnorm(clipnorm, clips):
    params, grads = make_data()
    norms = [np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in gs)) for gs in grads]
    assert all((n > clipnorm) == clips for n in norms)
    cfg = dict(lr=0.1, momentum=0.9)
    got = run(optimizers.SGD(clipnorm=clipnorm, **cfg), params, grads)
    assert_matches(got, reference("sgd", params, grads, clipnorm=clipnorm, **cfg))
    unclipped = reference("sgd", params, grads, **cfg)
    if clips:
        assert max_diff(got, unclipped) > 1e-2
    else:
        assert_matches(got, unclipped)


def test_clipvalue():
    params, grads = make_data()
    cfg = dict(lr=0.1, momentum=0.9)
    got = run(optimizers.SGD(clipvalue=0.3, **cfg), params, grads)
    assert_matches(got, reference("sgd", params, grads, clipvalue=0.3, **cfg))
    assert max_diff(got, reference("sgd", params, grads, **cfg)) > 1e-2


def test_changing_lr_takes_effect_without_retracing():
    params, grads = make_data()
    opt = optimizers.SGD(lr=0.01, momentum=0.9)
    lrs = [0.01, 0.01, 0.5, 0.5, 0.002]

    def before_step(i):
        K.set_value(opt.lr, lrs[i])

    got = run(opt, params, grads, before_step)
    assert compiled_step(opt)[1] == 1
    assert_matches(got, reference("sgd", params, grads, lrs=lrs, momentum=0.9))


def test_changing_decay_and_beta_without_retracing():
    params, grads = make_data()
    opt = optimizers.Adam(lr=0.01)

    def before_step(i):
        if i == 2:
            K.set_value(opt.decay, 0.5)
            opt.beta_1 = 0.5

    got = run(opt, params, grads, before_step)
    assert compiled_step(opt)[1] == 1
    assert max_diff(got, reference("adam", params, grads, lr=0.01)) > 1e-3


def test_decay_set_after_construction_applies():
    # Keras 2.2.4 ignored a decay set later when built with decay=0; jeras applies it.
    params, grads = make_data()
    opt = optimizers.SGD(lr=0.1)
    opt.decay = 0.5
    assert_matches(run(opt, params, grads), reference("sgd", params, grads, lr=0.1, decay=0.5))


def test_lr_property_and_learning_rate_alias():
    opt = optimizers.SGD()
    assert opt.lr is opt.hyper["lr"] and opt.learning_rate is opt.hyper["lr"]
    opt.lr = 0.25
    assert K.get_value(opt.learning_rate) == np.float32(0.25)
    opt.learning_rate = 0.5
    assert opt.hyper_values()["lr"].dtype == np.float32
    assert opt.hyper_values()["lr"] == np.float32(0.5)
    with pytest.raises(ValueError, match="lr: expected a float >= 0, got -1"):
        opt.lr = -1


HYPER_KEYS = {"sgd": {"lr", "momentum", "decay"}, "rmsprop": {"lr", "rho", "decay"},
              "adagrad": {"lr", "decay"}, "adadelta": {"lr", "decay"},
              "adam": {"lr", "beta_1", "beta_2", "decay"},
              "adamax": {"lr", "beta_1", "beta_2", "decay"},
              "nadam": {"lr", "beta_1", "beta_2"}}


@pytest.mark.parametrize("name", CLASSES)
def test_hyper_keys(name):
    opt = CLASSES[name]()
    assert set(opt.hyper) == HYPER_KEYS[name]
    assert all(v.dtype == np.float32 for v in opt.hyper_values().values())


def _weight_shapes(name, amsgrad=False):
    shapes = [tuple(s) for s in SHAPES]
    n = len(shapes)
    return {
        "sgd": [()] + shapes,
        "rmsprop": shapes,
        "adagrad": shapes,
        "adadelta": shapes * 2,
        "adam": [()] + shapes * 2 + (shapes if amsgrad else [(1,)] * n),
        "adamax": [()] + shapes * 2,
        "nadam": [()] + shapes * 2,
    }[name]


WEIGHT_CASES = [(name, {}) for name in CLASSES] + [("adam", {"amsgrad": True})]


@pytest.mark.parametrize("name,cfg", WEIGHT_CASES, ids=[f"{n}-{c}" for n, c in WEIGHT_CASES])
def test_get_weights_layout(name, cfg):
    params, grads = make_data()
    opt = CLASSES[name](**cfg)
    assert opt.get_weights() == []
    run(opt, params, grads)
    weights = opt.get_weights()
    assert [w.shape for w in weights] == _weight_shapes(name, **cfg)
    n = len(SHAPES)
    if name in ("sgd", "adam", "adamax", "nadam"):
        assert weights[0].dtype == np.int64 and int(weights[0]) == STEPS
    if name == "adam" and not cfg:
        assert all(np.all(w == 0) for w in weights[2 * n + 1:])
    if name == "adagrad":  # accumulators start at 0: after the steps they hold sum(g**2)
        want = [sum(g[i].astype(np.float64) ** 2 for g in grads) for i in range(n)]
        for w, x in zip(weights, want, strict=True):
            np.testing.assert_allclose(w, x, rtol=1e-5)


@pytest.mark.parametrize("name,cfg", WEIGHT_CASES, ids=[f"{n}-{c}" for n, c in WEIGHT_CASES])
def test_set_weights_round_trip_continues_identically(name, cfg):
    params, grads = make_data(steps=6)
    cfg = {**cfg, "decay": 0.1} if name != "nadam" else cfg
    cfg = {**cfg, "momentum": 0.9} if name == "sgd" else cfg
    first = CLASSES[name](**cfg)
    mid = run(first, params, grads[:3])
    weights = first.get_weights()

    second = CLASSES[name](**cfg)
    second.state = second.init([jnp.asarray(p) for p in mid])
    second.set_weights(weights)
    for a, b in zip(second.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)
    if name in ("rmsprop", "adagrad", "adadelta"):
        # 2.2.4 saves no counter for these; the one in place is kept.
        assert K.get_value(second.iterations) == 0
        K.set_value(second.iterations, 3)

    end_first = run(first, mid, grads[3:], state=first.state)
    end_second = run(second, mid, grads[3:], state=second.state)
    for a, b in zip(end_first, end_second, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_nadam_set_weights_restores_m_schedule():
    params, grads = make_data()
    first = optimizers.Nadam()
    run(first, params, grads)
    second = optimizers.Nadam()
    second.state = second.init(params)
    second.set_weights(first.get_weights())
    np.testing.assert_allclose(second.state.m_schedule, first.state.m_schedule, rtol=1e-6)


def test_set_weights_accepts_tf_keras_layouts():
    params, grads = make_data()
    n = len(SHAPES)
    rms = optimizers.RMSprop()
    run(rms, params, grads)
    acc = rms.get_weights()
    rms.set_weights([np.int64(9)] + [a * 2 for a in acc])
    assert K.get_value(rms.iterations) == 9
    np.testing.assert_allclose(rms.get_weights()[0], acc[0] * 2)

    adam = optimizers.Adam()
    run(adam, params, grads)
    w = adam.get_weights()
    adam.set_weights(w[:2 * n + 1])  # tf.keras 2.x: no vhat without amsgrad
    assert len(adam.get_weights()) == 3 * n + 1

    nadam = optimizers.Nadam()
    run(nadam, params, grads)
    w = nadam.get_weights()
    nadam.set_weights([w[0], np.float32(0.125)] + w[1:])
    assert float(nadam.state.m_schedule) == 0.125

    sgd = optimizers.SGD()
    run(sgd, params, grads)
    sgd.set_weights([np.int64(2)])  # tf.keras 2.x without momentum
    assert K.get_value(sgd.iterations) == 2


def test_set_weights_errors():
    params, grads = make_data()
    opt = optimizers.Adam()
    with pytest.raises(ValueError, match="no state yet"):
        opt.set_weights([np.int64(0)])
    run(opt, params, grads)
    weights = opt.get_weights()
    with pytest.raises(ValueError, match=r"expected 10 \(iterations \+ m \+ v \+ vhat\) or 7 "
                                         r"\(iterations \+ m \+ v\) weights, got 4"):
        opt.set_weights(weights[:4])
    bad = list(weights)
    bad[1] = np.zeros((4, 3), np.float32)
    with pytest.raises(ValueError, match=r"weight 1 \(m\) has shape \(4, 3\), expected \(3, 4\)"):
        opt.set_weights(bad)
    np.testing.assert_array_equal(opt.get_weights()[1], weights[1])  # nothing half-written


def test_iterations_view():
    params, grads = make_data()
    opt = optimizers.RMSprop(decay=0.5)
    assert K.get_value(opt.iterations) == 0
    assert K.get_value(opt.iterations).dtype == np.int64
    with pytest.raises(ValueError, match="no state yet"):
        K.set_value(opt.iterations, 3)
    run(opt, params, grads)
    assert K.get_value(opt.iterations) == STEPS
    K.set_value(opt.iterations, 100)
    assert int(opt.state.iterations) == 100


CONFIG_KEYS = {"sgd": {"lr", "momentum", "decay", "nesterov"},
               "rmsprop": {"lr", "rho", "decay", "epsilon"},
               "adagrad": {"lr", "decay", "epsilon"},
               "adadelta": {"lr", "rho", "decay", "epsilon"},
               "adam": {"lr", "beta_1", "beta_2", "decay", "epsilon", "amsgrad"},
               "adamax": {"lr", "beta_1", "beta_2", "decay", "epsilon"},
               "nadam": {"lr", "beta_1", "beta_2", "epsilon", "schedule_decay"}}


@pytest.mark.parametrize("name", CLASSES)
def test_config_round_trip(name):
    opt = CLASSES[name](lr=0.5)
    config = opt.get_config()
    assert set(config) == CONFIG_KEYS[name]
    assert all(type(v) in (float, bool) for v in config.values())
    assert config["lr"] == 0.5 and config.get("epsilon", 1e-7) == 1e-7
    clone = CLASSES[name].from_config(config)
    assert clone.get_config() == config
    restored = optimizers.deserialize(optimizers.serialize(opt))
    assert type(restored) is CLASSES[name] and restored.get_config() == config

    clipped = CLASSES[name](clipnorm=1.0, clipvalue=2)
    assert clipped.get_config()["clipnorm"] == 1.0 and clipped.get_config()["clipvalue"] == 2.0


def test_from_config_accepts_learning_rate():
    opt = optimizers.Adam.from_config({"learning_rate": 0.25, "beta_1": 0.5})
    assert opt.get_config()["lr"] == 0.25 and opt.get_config()["beta_1"] == 0.5


def test_get():
    for name, cls in CLASSES.items():
        assert type(optimizers.get(name)) is cls
        assert type(optimizers.get(cls.__name__)) is cls
    assert type(optimizers.get("Adam")) is optimizers.Adam
    opt = optimizers.SGD()
    assert optimizers.get(opt) is opt
    got = optimizers.get({"class_name": "SGD", "config": {"lr": 0.5, "momentum": 0.25}})
    assert got.get_config()["momentum"] == 0.25
    assert optimizers.sgd is optimizers.SGD and optimizers.nadam is optimizers.Nadam
    with pytest.raises(ValueError, match="fancyopt"):
        optimizers.get("fancyopt")
    with pytest.raises(TypeError, match="int"):
        optimizers.get(3)


def test_deserialize_custom_objects_win():
    class Adam(optimizers.Adam):
        pass
    got = optimizers.deserialize({"class_name": "Adam", "config": {}}, {"Adam": Adam})
    assert type(got) is Adam
    # A name that custom_objects claims keeps its spelling in the caller's dict.
    config = {"class_name": "Adam", "config": {}}
    optimizers.deserialize(config, {"Adam": Adam})
    assert config["class_name"] == "Adam"


@pytest.mark.parametrize("name", CLASSES)
def test_deserialize_lowercases_builtin_name_in_place(name):
    # Keras 2.2.4 lowercases a built-in class name in the dict it was handed,
    # and its optimizers_test compares that dict with a lowercased copy of
    # serialize(deserialize(...)).
    opt = CLASSES[name](lr=0.125)
    config = optimizers.serialize(opt)
    assert config["class_name"] == CLASSES[name].__name__
    restored = optimizers.deserialize(config)
    assert config["class_name"] == name == CLASSES[name].__name__.lower()
    again = optimizers.serialize(restored)
    assert again["class_name"] == CLASSES[name].__name__
    assert again["config"] == config["config"] == opt.get_config()
    assert config["config"]["lr"] == 0.125


def test_learning_rate_alias():
    assert K.get_value(optimizers.SGD(learning_rate=0.5).lr) == np.float32(0.5)
    assert K.get_value(optimizers.Nadam(learning_rate=0.1).lr) == np.float32(0.1)
    with pytest.raises(TypeError, match="both `lr` and `learning_rate`"):
        optimizers.SGD(lr=0.01, learning_rate=0.5)
    with pytest.raises(ValueError, match="learning_rate: expected a float >= 0, got -2"):
        optimizers.Adam(learning_rate=-2)


@pytest.mark.parametrize("cls,kwargs,error,match", [
    (optimizers.SGD, dict(lr=-1), ValueError, "lr: expected a float >= 0, got -1"),
    (optimizers.SGD, dict(lr="fast"), TypeError, "lr: expected a float >= 0, got str"),
    (optimizers.SGD, dict(lr=None), TypeError, "lr: expected"),
    (optimizers.SGD, dict(lr=True), TypeError, "lr: expected"),
    (optimizers.SGD, dict(momentum=-0.5), ValueError, "momentum"),
    (optimizers.SGD, dict(decay=float("nan")), ValueError, "decay"),
    (optimizers.SGD, dict(nesterov="yes"), TypeError, "nesterov"),
    (optimizers.RMSprop, dict(rho=1.5), ValueError, r"rho: expected a float in \[0, 1\]"),
    (optimizers.Adam, dict(beta_1=1.0), ValueError, r"beta_1: expected a float in \[0, 1\)"),
    (optimizers.Adam, dict(epsilon=-1e-7), ValueError, "epsilon"),
    (optimizers.Nadam, dict(schedule_decay=-1), ValueError, "schedule_decay"),
    (optimizers.Adagrad, dict(clipnorm=-1.0), ValueError, "clipnorm"),
    (optimizers.SGD, dict(foo=1), TypeError, "foo"),
    (optimizers.Nadam, dict(decay=0.1), TypeError, "decay"),
])
def test_bad_arguments(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(**kwargs)


def test_update_checks_lengths():
    opt = optimizers.SGD()
    params = [jnp.ones(3), jnp.ones(2)]
    with pytest.raises(ValueError, match="one gradient per parameter"):
        opt.update([jnp.ones(3)], opt.init(params), params, opt.hyper_values())
