"""Keras-2-compatible saving: whole models and weights in HDF5, model configs as JSON.

Files written here open in Keras 2.x and tf.keras (`tf_keras`); files those
(and Keras 3's `.h5`) wrote open here, converted as `legacy` describes.
"""
from jeras.saving.hdf5 import load_model, load_weights, save_model, save_weights
from jeras.saving.legacy import preprocess_weights_for_loading
from jeras.saving.model_config import model_from_config, model_from_json, model_to_json

__all__ = ["load_model", "load_weights", "model_from_config", "model_from_json",
           "model_to_json", "preprocess_weights_for_loading", "save_model", "save_weights"]
