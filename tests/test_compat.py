"""Keras 2.2.4's module surface through `jeras.compat`: every name scripts import at the top."""
import importlib
import textwrap

import pytest

from jeras import compat

#: keras module -> names Keras 2.2.4 scripts and test suites import from it.
NAMES = {
    "keras": ["Input", "Model", "Sequential", "__version__"],
    "keras.utils": ["CustomObjectScope", "custom_object_scope", "get_custom_objects",
                    "HDF5Matrix", "get_source_inputs", "print_summary", "Progbar",
                    "convert_all_kernels_in_model", "serialize_keras_object",
                    "deserialize_keras_object", "conv_utils", "generic_utils", "io_utils",
                    "np_utils", "data_utils", "to_categorical", "normalize", "Sequence",
                    "get_file", "plot_model", "multi_gpu_model"],
    "keras.utils.test_utils": ["get_test_data", "layer_test", "keras_test"],
    "keras.utils.conv_utils": ["normalize_tuple", "normalize_data_format", "normalize_padding",
                               "convert_kernel", "conv_output_length", "conv_input_length",
                               "deconv_length"],
    "keras.utils.generic_utils": ["custom_object_scope", "CustomObjectScope",
                                  "get_custom_objects", "to_list", "func_dump", "func_load",
                                  "slice_arrays", "object_list_uid", "is_all_none",
                                  "unpack_singleton", "transpose_shape", "Progbar", "has_arg",
                                  "serialize_keras_object", "deserialize_keras_object"],
    "keras.utils.io_utils": ["HDF5Matrix", "ask_to_proceed_with_overwrite", "h5dict", "H5Dict"],
    "keras.legacy.layers": ["MaxoutDense", "Highway", "AtrousConvolution1D",
                            "AtrousConvolution2D"],
    "keras.utils.layer_utils": ["get_source_inputs", "count_params", "print_summary",
                                "convert_all_kernels_in_model",
                                "convert_dense_weights_data_format"],
    "keras.engine": ["Input", "InputLayer", "Layer", "InputSpec", "Model", "get_source_inputs"],
    "keras.engine.topology": ["Input", "InputLayer", "Layer", "InputSpec", "Node", "Network",
                              "get_source_inputs"],
    "keras.engine.base_layer": ["Layer", "InputSpec", "Node"],
    "keras.engine.input_layer": ["Input", "InputLayer"],
    "keras.engine.network": ["Network", "get_source_inputs"],
    "keras.engine.training": ["Model"],
    "keras.engine.sequential": ["Sequential"],
    "keras.engine.saving": ["save_model", "load_model", "model_from_config", "model_from_json",
                            "model_from_yaml", "pickle_model", "unpickle_model",
                            "preprocess_weights_for_loading", "load_weights_from_hdf5_group",
                            "load_weights_from_hdf5_group_by_name",
                            "save_weights_to_hdf5_group", "save_attributes_to_hdf5_group",
                            "load_attributes_from_hdf5_group"],
    "keras.models": ["Sequential", "Model", "save_model", "load_model", "model_from_json",
                     "model_from_yaml", "model_from_config", "clone_model", "Input",
                     "InputLayer"],
    "keras.layers": ["Input", "InputLayer", "InputSpec", "Layer", "Dense", "MaxPooling2D",
                     "MaxoutDense", "Highway"],
    "keras.layers.convolutional": ["Conv2D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
                                   "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
                                   "MaxPool2D", "AvgPool2D", "Layer", "InputSpec",
                                   "conv_utils"],
    "keras.layers.core": ["Dense", "Dropout", "Lambda", "Layer", "InputSpec", "K",
                          "func_dump", "func_load", "has_arg"],
    "keras.layers.normalization": ["BatchNormalization", "Layer", "InputSpec"],
    "keras.layers.recurrent": ["LSTM", "Recurrent", "Layer", "InputSpec", "to_list"],
    "keras.layers.pooling": ["MaxPooling2D", "GlobalAveragePooling2D", "Layer", "InputSpec"],
    "keras.layers.merge": ["concatenate", "Add", "Layer"],
    "keras.layers.wrappers": ["TimeDistributed", "Bidirectional", "Layer", "InputSpec",
                              "object_list_uid"],
    "keras.layers.embeddings": ["Embedding", "Layer", "to_list"],
    "keras.layers.advanced_activations": ["LeakyReLU", "Layer", "InputSpec"],
    "keras.applications": ["InceptionResNetV2", "InceptionV3", "MobileNetV2", "NASNetMobile"],
    "keras.applications.inception_resnet_v2": ["InceptionResNetV2", "preprocess_input"],
    "keras.applications.mobilenetv2": ["MobileNetV2"],
}


def test_every_keras_2_name_imports():
    missing = []
    with compat.keras_as_jeras():
        for module_name, names in NAMES.items():
            module = importlib.import_module(module_name)
            missing += [f"{module_name}.{n}" for n in names if not hasattr(module, n)]
    assert missing == []


def test_the_names_are_jeras_objects():
    from jeras.engine.input_spec import InputSpec
    from jeras.layers.pooling import MaxPooling2D
    from jeras.models import clone_model
    from jeras.utils.test_utils import layer_test
    with compat.keras_as_jeras():
        import keras
        from keras.engine import InputSpec as engine_spec
        from keras.layers import InputSpec as layers_spec
        from keras.layers.convolutional import MaxPooling2D as conv_pool
        from keras.models import clone_model as keras_clone
        from keras.utils.test_utils import layer_test as keras_layer_test
        assert keras.__version__ == "2.2.4"
        assert engine_spec is layers_spec is InputSpec
        assert conv_pool is MaxPooling2D and keras_clone is clone_model
        assert keras_layer_test is layer_test
        assert keras.layers.core.Layer is keras.engine.Layer


def test_input_spec_as_keras_2():
    from jeras.engine import InputSpec
    spec = InputSpec(shape=(None, 3), dtype="float32")
    assert spec.ndim == 2 and spec.axes == {} and spec.max_ndim is None
    assert repr(spec) == "InputSpec(dtype=float32, shape=(None, 3), ndim=2)"
    assert repr(InputSpec(min_ndim=2, axes={-1: 4})) == "InputSpec(min_ndim=2, axes={-1: 4})"
    assert repr(InputSpec()) == "InputSpec()"


def test_a_keras_2_script_using_them_runs(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent("""
        import pickle
        import numpy as np
        import keras
        from keras import backend as K
        from keras.layers import Dense
        from keras.models import Sequential, clone_model, model_from_json
        from keras.utils.generic_utils import custom_object_scope

        def doubled_relu(x):
            return K.relu(x) * 2

        model = Sequential([Dense(3, activation=doubled_relu, input_shape=(4,)),
                            Dense(2, activation="softmax")])
        x = np.random.rand(6, 4).astype("float32")
        with custom_object_scope({"doubled_relu": doubled_relu}):
            again = model_from_json(model.to_json())
            copy = pickle.loads(pickle.dumps(model))
            clone = clone_model(model)  # layers from configs: the name needs the scope too
        again.set_weights(model.get_weights())
        classes = model.predict_classes(x)
        assert (classes == again.predict_classes(x)).all()
        assert (copy.predict(x) == model.predict(x)).all()
        assert clone.get_config() == model.get_config()
        result = (keras.__version__, classes.shape)
    """))
    result = compat.run_script(str(script))["result"]
    assert result == ("2.2.4", (6,))


def test_unknown_names_still_fail_at_the_import():
    with compat.keras_as_jeras():
        with pytest.raises(ImportError, match="keras.layers.core.NoSuchLayer is not available"):
            from keras.layers.core import NoSuchLayer  # noqa: F401
        with pytest.raises(ImportError, match="keras.utils.no_such_utils is not available"):
            importlib.import_module("keras.utils.no_such_utils")
