"""jeras.utils: to_categorical, normalize, Progbar, conv_utils, generic_utils, io_utils,
layer_utils and test_utils."""
import numpy as np
import pytest

from jeras import backend as K
from jeras import layers
from jeras.utils import (
    CustomObjectScope,
    HDF5Matrix,
    Progbar,
    conv_utils,
    custom_object_scope,
    generic_utils,
    get_custom_objects,
    get_source_inputs,
    layer_utils,
    normalize,
    set_random_seed,
    to_categorical,
)
from jeras.utils.io_utils import ask_to_proceed_with_overwrite
from jeras.utils.np_utils import to_categorical as np_utils_to_categorical
from jeras.utils.test_utils import get_test_data, keras_test, layer_test


def test_to_categorical_as_keras_2():
    assert np_utils_to_categorical is to_categorical
    np.testing.assert_array_equal(to_categorical([0, 2, 1]),
                                  [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert to_categorical([[1], [0]], num_classes=4).shape == (2, 4)
    assert to_categorical(np.zeros((2, 3), int), 5).shape == (2, 3, 5)
    assert to_categorical([1, 2]).dtype == np.float32
    with pytest.raises(ValueError, match="out of range"):
        to_categorical([0, 5], num_classes=3)
    with pytest.raises(ValueError, match=">= 0"):
        to_categorical([-1, 1])
    with pytest.raises(ValueError, match="integer"):
        to_categorical([0.5, 1])


def test_normalize():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(normalize(x), [[0.6, 0.8], [0.0, 0.0]])


def test_set_random_seed_seeds_numpy():
    set_random_seed(3)
    a = np.random.rand(3)
    set_random_seed(3)
    np.testing.assert_array_equal(a, np.random.rand(3))
    with pytest.raises(ValueError, match="seed"):
        set_random_seed(-1)


def test_progbar_prints_averages(capsys):
    bar = Progbar(10, verbose=1)
    bar.update(5, [("loss", 1.0)])
    bar.update(10, [("loss", 3.0)])
    out = capsys.readouterr().out
    assert "10/10 [==============================]" in out and "loss: 2.0000" in out
    bar = Progbar(4, verbose=2)
    bar.update(4, [("loss", 0.5)])
    assert capsys.readouterr().out.startswith(" - 0s - loss: 0.5000")


# conv_utils

def _windows(length, kernel, stride, dilation, pad_before, pad_after):
    """Counts, one by one, the window positions of a convolution over a padded axis."""
    span = (kernel - 1) * dilation + 1
    padded = pad_before + length + pad_after
    return sum(1 for start in range(0, padded, stride) if start + span <= padded)


def test_conv_output_length_counts_the_windows():
    for length in range(1, 12):
        for kernel in (1, 2, 3, 5):
            for stride in (1, 2, 3):
                for dilation in (1, 2):
                    span = (kernel - 1) * dilation + 1
                    got = {p: conv_utils.conv_output_length(length, kernel, p, stride, dilation)
                           for p in ("valid", "same", "full", "causal")}
                    if length >= span:  # (shorter inputs give Keras 2's length <= 0)
                        assert got["valid"] == _windows(length, kernel, stride, dilation, 0, 0)
                    assert got["full"] == _windows(length, kernel, stride, dilation, span - 1,
                                                   span - 1)
                    assert got["causal"] == _windows(length, kernel, stride, dilation,
                                                     span - 1, 0)
                    # 'same' pads so that every stride-th position starts a window.
                    assert got["same"] == -(-length // stride)
    assert conv_utils.conv_output_length(None, 3, "same", 1) is None
    with pytest.raises(ValueError, match="padding"):
        conv_utils.conv_output_length(5, 3, "reflect", 1)


def test_length_functions_reject_a_padding_as_keras_2_asserts():
    # Keras 2.2.4 `assert`s the padding: callers catch AssertionError, jeras's ValueError.
    calls = [lambda: conv_utils.conv_output_length(5, 3, "diagonal", 1),
             lambda: conv_utils.conv_input_length(5, 3, "causal", 1),
             lambda: conv_utils.deconv_length(5, 1, 3, "diagonal", None)]
    for call in calls:
        for kind in (AssertionError, ValueError):
            with pytest.raises(kind, match="padding"):
                call()


def test_conv_input_and_deconv_lengths_invert_the_convolution():
    for out in range(1, 9):
        for kernel in (1, 2, 3, 4):
            for stride in (1, 2, 3):
                n = conv_utils.conv_input_length(out, kernel, "valid", stride)
                assert conv_utils.conv_output_length(n, kernel, "valid", stride) == out
                # A transposed convolution's output is an input the convolution maps back.
                d = conv_utils.deconv_length(out, stride, kernel, "valid")
                assert conv_utils.conv_output_length(d, kernel, "valid", stride) == out
                d = conv_utils.deconv_length(out, stride, kernel, "same")
                assert conv_utils.conv_output_length(d, kernel, "same", stride) == out
                # With output_padding: the extent the kernel's copies cover, plus the padding.
                covered = max(i * stride + kernel for i in range(out))
                assert conv_utils.deconv_length(out, stride, kernel, "valid", 0) == covered
                assert conv_utils.deconv_length(out, stride, kernel, "valid", 1) == covered + 1
    assert conv_utils.deconv_length(4, 2, 3, "same", 1, dilation=2) == (4 - 1) * 2 + 5 - 4 + 1
    assert conv_utils.deconv_length(None, 2, 3, "same") is None
    assert conv_utils.conv_input_length(4, 3, "same", 1) == 4
    assert conv_utils.conv_input_length(4, 3, "full", 1) == 2


def test_conv_utils_normalizers():
    assert conv_utils.normalize_tuple(3, 2, "strides") == (3, 3)
    assert conv_utils.normalize_tuple([1, 2, 3], 3, "kernel_size") == (1, 2, 3)
    with pytest.raises(ValueError, match="`strides` argument must be a tuple of 2 integers"):
        conv_utils.normalize_tuple((1, 2, 3), 2, "strides")
    with pytest.raises(ValueError, match="including element 'a'"):
        conv_utils.normalize_tuple((1, "a"), 2, "strides")
    with pytest.raises(ValueError, match="must be a tuple"):
        conv_utils.normalize_tuple(None, 2, "strides")
    assert conv_utils.normalize_padding("SAME") == "same"
    with pytest.raises(ValueError, match="padding"):
        conv_utils.normalize_padding("full")
    assert conv_utils.normalize_data_format(None) == K.image_data_format()
    assert conv_utils.normalize_data_format("Channels_First") == "channels_first"
    with pytest.raises(ValueError, match="data_format"):
        conv_utils.normalize_data_format("nchw")


def test_convert_kernel_flips_spatial_axes_only():
    kernel = np.arange(3 * 2 * 4 * 5, dtype=np.float32).reshape(3, 2, 4, 5)
    converted = conv_utils.convert_kernel(kernel)
    np.testing.assert_array_equal(converted, kernel[::-1, ::-1, :, :])
    np.testing.assert_array_equal(conv_utils.convert_kernel(converted), kernel)
    with pytest.raises(ValueError, match="kernel shape"):
        conv_utils.convert_kernel(np.zeros((2, 2)))


# generic_utils

def test_list_helpers():
    a = [1]
    assert generic_utils.to_list(a) is a
    assert generic_utils.to_list((1, 2)) == [(1, 2)]
    assert generic_utils.to_list((1, 2), allow_tuple=True) == [1, 2]
    assert generic_utils.to_list(None) == [None]
    assert generic_utils.unpack_singleton([5]) == 5
    assert generic_utils.unpack_singleton((1, 2)) == (1, 2)
    assert generic_utils.is_all_none([None, None]) and generic_utils.is_all_none(None)
    assert not generic_utils.is_all_none((None, 0))
    x, y = object(), object()
    assert generic_utils.object_list_uid([x, y]) == f"{id(x)}, {id(y)}"
    assert generic_utils.object_list_uid(x) == str(id(x))


def test_slice_arrays_as_numpy():
    a, b = np.arange(10), np.arange(20).reshape(10, 2)
    np.testing.assert_array_equal(generic_utils.slice_arrays(a, 2, 5), a[2:5])
    sliced = generic_utils.slice_arrays([a, None, b], 3, 7)
    np.testing.assert_array_equal(sliced[0], a[3:7])
    assert sliced[1] is None
    np.testing.assert_array_equal(sliced[2], b[3:7])
    picked = generic_utils.slice_arrays([a, b], np.array([0, 4, 9]))
    np.testing.assert_array_equal(picked[1], b[[0, 4, 9]])
    np.testing.assert_array_equal(generic_utils.slice_arrays(a, [1, 3]), a[[1, 3]])
    assert generic_utils.slice_arrays(None) == [None]


def test_transpose_shape():
    transpose = generic_utils.transpose_shape
    assert transpose((16, 128, 64, 32), "channels_first", (1, 2)) == (16, 32, 128, 64)
    assert transpose([128, 64, 32], "channels_first", (0, 1)) == [32, 128, 64]
    assert transpose((16, 128, 64, 32), "channels_last", (1, 2)) == (16, 128, 64, 32)
    with pytest.raises(ValueError, match="data_format"):
        transpose((1, 2), "nhwc", (0,))


def test_func_load_rebuilds_func_dump():
    def make(offset):
        def f(x, scale=2):
            return x * scale + offset
        return f

    original = make(3)
    dumped = generic_utils.func_dump(original)
    restored = generic_utils.func_load(dumped)
    assert restored(5) == original(5) == 13 and restored(5, scale=1) == 8
    code, defaults, closure = dumped
    again = generic_utils.func_load(code, defaults=list(defaults), closure=list(closure))
    assert again(1) == 5 and again.__name__ == "f"
    seen = generic_utils.func_load(generic_utils.func_dump(lambda: NAME),  # noqa: F821
                                   globs={"NAME": "from globs"})
    assert seen() == "from globs"


def test_func_load_reads_keras_before_2_1_2_and_checks_the_closure():
    import marshal
    import sys

    from jeras import activations

    def scaled(x, scale=3):
        return x * scale - 1

    # Keras before 2.1.2 stored the marshalled bytes as text (raw_unicode_escape).
    raw = marshal.dumps(scaled.__code__)
    for form in (raw.decode("raw_unicode_escape"), raw):
        loaded = generic_utils.func_load(form, defaults=scaled.__defaults__)
        assert loaded(4) == 11 and loaded(4, scale=1) == 3
    offset = 5
    reads_offset = lambda x: x + offset  # noqa: E731
    with pytest.raises(ValueError, match=r"\['offset'\].*`closure` gives 0"):
        generic_utils.func_load(generic_utils.func_dump(reads_offset)[0])
    with pytest.raises(TypeError, match="`code`"):
        generic_utils.func_load(12)
    with pytest.raises(ValueError, match="no Python code"):
        generic_utils.func_load("not marshalled")
    # Activations accept graph tensors through a wrapper that is closure-free, so
    # its code loads without a closure, as a plain function's does.
    assert activations.softmax.__closure__ is None
    old = generic_utils.func_load(
        marshal.dumps(activations.softmax.__code__).decode("raw_unicode_escape"))
    assert old.__code__ == activations.softmax.__code__ and old.__closure__ is None
    # func_dump keeps the array function, which runs again in its module's globals.
    fn = activations.softmax.__wrapped_array_fn__
    code, defaults, closure = generic_utils.func_dump(activations.softmax)
    again = generic_utils.func_load(code, defaults, closure,
                                    globs=vars(sys.modules[fn.__module__]))
    x = np.array([[1.0, 2.0, 4.0]])
    expected = np.exp(x - x.max()) / np.exp(x - x.max()).sum()
    np.testing.assert_allclose(np.asarray(again(x)), expected, rtol=1e-6)


def my_activation(x):
    return K.relu(x) * 2.0


def test_custom_object_scope_reaches_deserialization():
    from jeras.layers import Dense
    from jeras.models import Sequential, model_from_json

    model = Sequential([Dense(2, activation=my_activation, input_shape=(3,))])
    text = model.to_json()
    with pytest.raises(ValueError, match="my_activation"):
        model_from_json(text)
    before = dict(get_custom_objects())
    with custom_object_scope({"my_activation": my_activation}) as scope:
        assert isinstance(scope, CustomObjectScope)
        assert get_custom_objects()["my_activation"] is my_activation
        rebuilt = model_from_json(text)
        get_custom_objects()["leaks"] = 1  # undone when the scope closes
    assert get_custom_objects() == before
    assert rebuilt.layers[0].activation is my_activation
    rebuilt.set_weights(model.get_weights())
    x = np.random.rand(4, 3).astype("float32")
    np.testing.assert_allclose(rebuilt.predict(x), model.predict(x), rtol=1e-6)
    # The live dict works as a permanent registration.
    get_custom_objects()["my_activation"] = my_activation
    try:
        assert model_from_json(text).layers[0].activation is my_activation
    finally:
        del get_custom_objects()["my_activation"]


# io_utils

def test_hdf5_matrix_reads_as_numpy(tmp_path):
    import h5py
    data = np.random.rand(20, 3, 2).astype("float32")
    path = str(tmp_path / "data.h5")
    with h5py.File(path, "w") as f:
        f["x"] = data
    m = HDF5Matrix(path, "x", start=5, end=15)
    part = data[5:15]
    assert len(m) == 10 and m.shape == (10, 3, 2) and m.ndim == 3 and m.size == 60
    assert m.dtype == np.float32
    np.testing.assert_array_equal(m[2:6], part[2:6])
    np.testing.assert_array_equal(m[:], part)
    np.testing.assert_array_equal(m[3], part[3])
    np.testing.assert_array_equal(m[[1, 4, 9]], part[[1, 4, 9]])
    np.testing.assert_array_equal(m[np.array([0, 2])], part[[0, 2]])
    np.testing.assert_array_equal(np.asarray(m), part)
    with pytest.raises(IndexError):
        m[10]
    with pytest.raises(IndexError):
        m[5:11]
    with pytest.raises(IndexError):
        m[[0, 10]]
    scaled = HDF5Matrix(path, "x", normalizer=lambda v: (v * 2).astype("float64"))
    assert scaled.shape == (20, 3, 2) and scaled.dtype == np.float64
    np.testing.assert_allclose(scaled[0:4], data[0:4] * 2)


def test_hdf5_matrix_feeds_predict(tmp_path):
    import h5py

    from jeras.layers import Dense
    from jeras.models import Sequential
    data = np.random.rand(12, 4).astype("float32")
    path = str(tmp_path / "x.h5")
    with h5py.File(path, "w") as f:
        f["x"] = data
    model = Sequential([Dense(2, input_shape=(4,))])
    np.testing.assert_allclose(model.predict(HDF5Matrix(path, "x", start=2)),
                               model.predict(data[2:]), rtol=1e-6)


def test_h5dict_stores_what_h5py_reads_and_dicts_hold_the_same(tmp_path):
    import h5py

    from jeras.saving.hdf5 import HDF5_OBJECT_HEADER_LIMIT
    from jeras.utils.io_utils import H5Dict, h5dict

    assert h5dict is H5Dict
    array = np.random.rand(3, 4)
    names = [b"dense_1", b"dense_22"]
    # Enough names that one attribute header cannot hold them: stored in chunks.
    many = [f"layer_{i:05d}" for i in range(HDF5_OBJECT_HEADER_LIMIT // 8)]
    path = str(tmp_path / "d.h5")
    for target in (path, {}):
        f = h5dict(target, mode="w")
        f["text"] = "abc"
        f["names"] = names
        f["many"] = many
        f["group"]["inner"]["array"] = array
        f.close()
        f = h5dict(target, mode="r")
        assert f["text"] == "abc" and f["names"] == names
        assert f["many"] in (many, [n.encode() for n in many])
        assert "group" in f and "inner" in f["group"] and "absent" not in f
        np.testing.assert_array_equal(f["group"]["inner"]["array"], array)
        assert f.get("absent", 7) == 7
        with pytest.raises(ValueError, match="read-only"):
            f["text"] = "x"
        with pytest.raises(ValueError, match="read-only"):
            f["absent"]
        f.close()
    # The file is plain HDF5: attributes, chunked attributes and datasets.
    with h5py.File(path, "r") as raw:
        assert raw.attrs["text"] == "abc" and raw.attrs["names"].tolist() == names
        assert "many" not in raw.attrs and "many1" in raw.attrs
        chunks = [raw.attrs[k] for k in sorted(raw.attrs, key=len) if k.startswith("many")]
        assert [x.decode() for c in chunks for x in c] == many
        np.testing.assert_array_equal(raw["group/inner/array"][()], array)
    with pytest.raises(TypeError, match="path"):
        h5dict(3)


def test_ask_to_proceed_with_overwrite(monkeypatch, capsys):
    answers = iter(["maybe", "Y"])
    monkeypatch.setattr("six.moves.input", lambda prompt="": next(answers))
    assert ask_to_proceed_with_overwrite("f.h5")
    assert "[TIP]" in capsys.readouterr().out
    monkeypatch.setattr("six.moves.input", lambda prompt="": "n")
    assert not ask_to_proceed_with_overwrite("f.h5")


# layer_utils

def test_get_source_inputs_walks_back_to_the_inputs():
    from jeras.layers import Dense, Input, concatenate
    a, b = Input(shape=(2,)), Input(shape=(3,))
    h = Dense(4)(a)
    out = Dense(1)(concatenate([h, b, Dense(3)(b)]))
    sources = get_source_inputs(out)
    assert len(sources) == 2 and sources[0] is a and sources[1] is b
    assert get_source_inputs(a) == [a]
    assert get_source_inputs("not a tensor") == "not a tensor"


def test_convert_dense_weights_data_format_matches_a_transposed_flatten():
    from jeras.layers import Dense
    dense = Dense(2, input_shape=(24,))
    dense.ensure_built((None, 24))
    kernel, bias = dense.get_weights()
    fm_last = np.random.rand(1, 3, 4, 2).astype("float32")  # (h, w, c)
    reference = fm_last.reshape(1, -1) @ kernel
    layer_utils.convert_dense_weights_data_format(dense, (2, 3, 4), "channels_first")
    fm_first = fm_last.transpose(0, 3, 1, 2)  # (c, h, w)
    np.testing.assert_allclose(fm_first.reshape(1, -1) @ dense.get_weights()[0], reference,
                               rtol=1e-5)
    layer_utils.convert_dense_weights_data_format(dense, (3, 4, 2), "channels_last")
    np.testing.assert_allclose(dense.get_weights()[0], kernel)


# test_utils

def test_get_test_data_shapes_and_classes():
    (x, y), (xt, yt) = get_test_data(num_train=30, num_test=10, input_shape=(4,),
                                     classification=True, num_classes=3)
    assert x.shape == (30, 4) and xt.shape == (10, 4) and y.shape == (30,)
    assert set(np.unique(np.concatenate([y, yt]))) <= {0, 1, 2}
    (x, y), _ = get_test_data(num_train=5, num_test=2, input_shape=(2, 3), output_shape=(4,),
                              classification=False)
    assert x.shape == (5, 2, 3) and y.shape == (5, 4) and x.dtype == np.float32


def test_layer_test_on_built_in_layers():
    out = layer_test(layers.Dense, kwargs={"units": 3}, input_shape=(None, 3, 4))
    assert out.shape[1:] == (3, 3)
    layer_test(layers.Dropout, kwargs={"rate": 0.5}, input_shape=(3, 2))
    layer_test(layers.BatchNormalization, kwargs={"momentum": 0.9}, input_shape=(3, 4))
    x = np.random.randn(2, 3).astype("float32")
    out = layer_test(layers.Activation, kwargs={"activation": "relu"}, input_data=x,
                     expected_output=np.maximum(x, 0), fixed_batch_size=True)
    np.testing.assert_allclose(out, np.maximum(x, 0))


def test_layer_test_finds_what_is_wrong():

    class WrongShape(layers.Dense):
        def compute_output_shape(self, input_shape):
            return tuple(input_shape[:-1]) + (self.units + 1,)

    with pytest.raises(AssertionError, match="compute_output_shape gives"):
        layer_test(WrongShape, kwargs={"units": 2}, input_shape=(2, 3))
    x = np.ones((2, 3), "float32")
    with pytest.raises(AssertionError, match="not the expected output"):
        layer_test(layers.Activation, kwargs={"activation": "relu"}, input_data=x,
                   expected_output=x * 2)
    with pytest.raises(AssertionError, match="outputs float32, expected int32"):
        layer_test(layers.Activation, kwargs={"activation": "relu"}, input_data=x,
                   expected_output_dtype="int32")


def test_keras_test_clears_the_session(monkeypatch):
    calls = []
    monkeypatch.setattr(K, "clear_session", lambda: calls.append("cleared"))

    @keras_test
    def check_something(a, b=2):
        """Doc."""
        calls.append("ran")
        return a + b

    assert check_something(1) == 3 and calls == ["ran", "cleared"]
    assert check_something.__name__ == "check_something" and check_something.__doc__ == "Doc."


@pytest.mark.parametrize("cls, kwargs, input_shape", [
    ("Conv1D", {"filters": 2, "kernel_size": 2}, (2, 5, 3)),
    ("Conv2D", {"filters": 2, "kernel_size": 2, "padding": "same"}, (2, 4, 4, 1)),
    ("MaxPooling2D", {"pool_size": 2}, (2, 4, 4, 2)),
    ("GlobalAveragePooling1D", {}, (2, 5, 3)),
    ("UpSampling2D", {"size": 2}, (2, 2, 3, 1)),
    ("ZeroPadding2D", {"padding": 1}, (2, 2, 2, 1)),
    ("Cropping1D", {"cropping": (1, 1)}, (2, 5, 2)),
    ("SimpleRNN", {"units": 2, "return_sequences": True}, (2, 3, 4)),
    ("LSTM", {"units": 2}, (2, 3, 4)),
    ("GRU", {"units": 2, "reset_after": True}, (2, 3, 4)),
    ("LocallyConnected1D", {"filters": 2, "kernel_size": 2}, (2, 4, 3)),
    ("Flatten", {}, (2, 3, 4)),
    ("Reshape", {"target_shape": (-1, 2)}, (2, 3, 4)),
    ("Permute", {"dims": (2, 1)}, (2, 3, 4)),
    ("RepeatVector", {"n": 3}, (2, 4)),
    ("GaussianNoise", {"stddev": 0.1}, (2, 3)),
    ("LeakyReLU", {"alpha": 0.2}, (2, 3)),
    ("PReLU", {}, (2, 3)),
    ("LayerNormalization", {}, (2, 5)),
    ("Dense", {"units": 3, "activation": "tanh"}, (2, 4)),
    ("Activation", {"activation": "softplus"}, (2, 3)),
    ("Dropout", {"rate": 0.3}, (2, 3)),
    ("Masking", {"mask_value": 0.0}, (2, 3, 4)),
    ("SeparableConv2D", {"filters": 2, "kernel_size": 3, "depth_multiplier": 2},
     (2, 5, 5, 3)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2}, (2, 4, 4, 3)),
    ("Conv3D", {"filters": 2, "kernel_size": 2}, (1, 3, 4, 4, 2)),
    ("AveragePooling1D", {"pool_size": 2, "padding": "same"}, (2, 5, 3)),
    ("GlobalMaxPooling2D", {}, (2, 4, 5, 3)),
    ("BatchNormalization", {"momentum": 0.8, "center": False}, (4, 3)),
    ("ThresholdedReLU", {"theta": 0.5}, (2, 3)),
    ("ELU", {"alpha": 0.5}, (2, 3)),
])
def test_layer_test_over_built_in_layers(cls, kwargs, input_shape):
    out = layer_test(getattr(layers, cls), kwargs=kwargs, input_shape=input_shape)
    layer = getattr(layers, cls)(**kwargs)
    expected = layer.compute_output_shape(input_shape)
    assert out.shape == tuple(d if d is not None else s for d, s in zip(expected, out.shape))


def test_layer_test_on_an_embedding_checks_the_output_dtype():
    data = np.random.RandomState(0).randint(0, 5, size=(3, 4)).astype("int32")
    out = layer_test(layers.Embedding, kwargs={"input_dim": 5, "output_dim": 2},
                     input_data=data, expected_output_dtype="float32")
    assert out.shape == (3, 4, 2)
    with pytest.raises(AssertionError, match="outputs float32, expected int32"):
        layer_test(layers.Embedding, kwargs={"input_dim": 5, "output_dim": 2},
                   input_data=data)
