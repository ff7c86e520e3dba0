"""Build hook for the optional C accelerator of the import lexer; the metadata is in pyproject.toml.

``optional=True``: when the extension cannot be built (no C compiler, no ``Python.h``), setuptools
warns and the install still succeeds; ``prepctl.graph.scan.lexer`` then runs its pure-Python path
(``prepctl.graph.scan.lexer.NATIVE`` is False).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "prepctl.graph.scan.native_lexer",
            sources=["prepctl/graph/scan/native_lexer.c"],
            optional=True,
        )
    ]
)
