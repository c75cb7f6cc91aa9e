"""Process-wide settings with Keras 3's names (`keras.config`).

Keras 2.2.4 kept such settings in the backend (`K.floatx()`, `K.epsilon()`),
where jeras keeps them too; this module holds those Keras 3 added.
"""
from jeras.utils.generic_utils import enable_unsafe_deserialization

__all__ = ["enable_unsafe_deserialization"]
