"""The Python import scanner: which module imports which, read as text, never executed.

Three steps:

1. **Find modules** (``files``). Every ``.py`` file below the configured source roots gets a
   module name from its path (``prep/models/orm.py`` -> ``prep.models.orm``), whether its folder
   is a regular package, a namespace package or a plain script folder without ``__init__.py``.
   Every file Python could import is scanned or reported.
2. **Parse** each file's bytes into its *unresolved* import statements (``model.RawImport``;
   ``parse``). This depends only on the bytes, so it is cached per git blob id in a
   content-addressed ``cache.ParseCache``: unchanged content is never parsed twice, including on a
   fresh clone where every mtime is new, or when another revision of the same file was read from
   git. The fast path is ``lexer`` (regular expressions, with ``source`` and ``blocks``); when it
   cannot be sure, ``ast_imports`` parses the whole file. With ``verify_syntax`` (the default)
   every whole file is also syntax-checked once (``blobs``: by ruff beside the scan, see
   ``syntax``), so a syntax error anywhere is reported and the file skipped; the verdict is
   cached with the imports, so each content pays for it once. Big cold scans use every core
   (``workers``).
3. **Resolve** the statements against the set of module names (``resolve``: relative imports,
   ``from pkg import submodule``, one level of "imported an attribute of a module"). Cheap, done
   per scan.

A work tree also gets a snapshot per (folder, config) (``snapshot``): folder listings and file
stat keys and the last result, reused whole when nothing changed. ``scanner.scan_tree`` runs
the steps.

Edges are tagged so contracts can include or skip them: ``type_checking`` (under
``if TYPE_CHECKING:``), ``guarded`` (in a ``try`` whose handler catches ``ImportError`` or
``ModuleNotFoundError``, or in such a handler), ``dynamic`` (``importlib.import_module("x")`` or
``__import__("x")`` with a literal absolute name, ``runpy.run_module``, ``exec`` of literal code:
see ``calls``).
"""
