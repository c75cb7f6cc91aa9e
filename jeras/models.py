"""Model classes (`Sequential`, the functional `Model`) and loading or saving whole models."""
from jeras.engine.sequential import Sequential
from jeras.engine.training import Model
from jeras.saving import load_model, model_from_config, model_from_json, save_model

__all__ = ["Model", "Sequential", "load_model", "model_from_config", "model_from_json",
           "save_model"]
