"""Wrappers that let jeras models serve other libraries' APIs (`keras.wrappers`)."""
