"""ASGI entrypoint package (``uvicorn prep.api.main:app``)."""
