"""Keras 2's TensorFlow session functions, which mean nothing on JAX.

Scripts written for the TensorFlow backend configure a session
(`K.set_session(tf.Session(config=...))`) for GPU memory growth or thread
counts. JAX needs no session, so these warn once and do nothing.
"""
from __future__ import annotations

from typing import Any

from jeras.utils.data_utils import warn_once


def set_session(session: Any) -> None:
    """Accepts a TensorFlow session for Keras 2 scripts; it has no effect on JAX (warns once)."""
    warn_once("set_session", "keras.backend.set_session has no effect in jeras: JAX runs "
                             "without a session, so the session and its config are ignored.")


def get_session() -> None:
    """Returns None: JAX has no session (warns once)."""
    warn_once("get_session", "keras.backend.get_session returns None in jeras: JAX runs "
                             "without a session.")


__all__ = ["get_session", "set_session"]
