"""Fault corpus, category *trees*: source trees that try to hide an import from a contract.

Every case builds a small monolith in tmp_path: ``pkg/target.py`` is the forbidden module and
the contract says ``app`` must not import it. The case then adds its hostile files (odd names,
symlinks, FIFOs, encodings, dynamic imports) and runs prepctl as a user would. A case whose
tree really imports ``pkg.target`` from ``app`` may end ``fail`` or ``error``, never ``pass``; a
case whose imports cannot be known ends ``error`` (or ``warn`` where the plan tolerates it).
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.fault_harness import Expect, check, run_prepctl

FORBIDDEN = b"import pkg.target\n"
CONTRACT = "{type: forbidden, source: [app], forbidden: [pkg.target]}"
BROKEN = FORBIDDEN + b"def f(:\n    pass\n"


@dataclass(frozen=True)
class TreeCase:
    name: str
    #: The evasion or defect this case guards against.
    defect: str
    files: dict[str, bytes] = field(default_factory=dict)
    #: Symlinks: path -> target; ``{outside}`` stands for a folder beside the monolith.
    links: dict[str, str] = field(default_factory=dict)
    fifos: tuple[str, ...] = ()
    contract: str = CONTRACT
    #: gate (criterion verdict), check (`graph check`) or importers (`graph importers pkg.target`).
    command: str = "gate"
    codes: tuple[int, ...] = (1, 2)
    statuses: tuple[str, ...] = ("fail", "error")
    mentions: tuple[str, ...] = ()
    #: Text that must not reach the output raw (e.g. an ESC from a file name).
    absent: tuple[str, ...] = ()


def allow(globs: str, contract: str = CONTRACT) -> str:
    return contract.replace("}", f", allow_skipped: [{globs}]}}")


SHAPE = "hostile sweep: a statement shape the fast text scan must not miss"


def shape(name: str, source: bytes, defect: str = SHAPE) -> TreeCase:
    """``app/h.py`` holding ``source``, which imports pkg.target: the contract must fail."""
    return TreeCase(name, defect, {"app/h.py": source}, codes=(1,), statuses=("fail",),
                    mentions=("app.h imports pkg.target",))


ERROR = {"codes": (2,), "statuses": ("error",)}
FAIL = {"codes": (1,), "statuses": ("fail",)}
WARN = {"codes": (0,), "statuses": ("warn",)}

CASES = [
    # --- names importlib can load but no dotted import reaches: reported, and error in scope
    TreeCase("bad_name_space", "app/bad name.py was neither scanned nor reported (silent pass)",
             {"app/bad name.py": FORBIDDEN}, **ERROR, mentions=("bad name.py", "not a Python module name")),
    TreeCase("name_with_newline", "a newline in a file name hid the file",
             {"app/nl\nx.py": FORBIDDEN}, **ERROR, mentions=("nl\\\\nx.py",)),
    TreeCase("name_with_esc", "an ESC in a file name hid the file (and must not reach the output raw)",
             {"app/e\x1bx.py": FORBIDDEN}, **ERROR, mentions=("e\\\\x1bx.py",), absent=("\x1b",)),
    TreeCase("dunder_init_with_space", "`__init__ .py` is no package marker, but a loadable file",
             {"app/sub/__init__ .py": FORBIDDEN}, **ERROR, mentions=("__init__ .py",)),
    TreeCase("trailing_space_suffix", "`x.py ` (trailing space) was silently ignored",
             {"app/x.py ": FORBIDDEN}, **ERROR, mentions=("x.py ",)),
    TreeCase("hidden_file", "`.hidden.py` has no dotted name; it was silently ignored",
             {"app/.hidden.py": FORBIDDEN}, **ERROR, mentions=(".hidden.py",)),
    TreeCase("hidden_folder", "a folder `.hidden/` holding Python was pruned without a word",
             {"app/.hidden/x.py": FORBIDDEN}, **ERROR, mentions=(".hidden/",)),
    TreeCase("dotted_stem", "`a.b.py` is loadable by path only; it was silently ignored",
             {"app/a.b.py": FORBIDDEN}, **ERROR, mentions=("a.b.py",)),
    TreeCase("hyphen_folder", "a folder `my-tools/` was pruned without a word",
             {"app/my-tools/x.py": FORBIDDEN}, **ERROR, mentions=("my-tools",)),
    TreeCase("pyw_reported", "a Windows `.pyw` source (importable there) was silently ignored",
             {"app/tool.pyw": FORBIDDEN}, **ERROR, mentions=("tool.pyw", ".pyw")),
    TreeCase("pyw_tolerated", "allow_skipped lets a plan accept a reported file: warn, not error",
             {"app/tool.pyw": FORBIDDEN}, contract=allow("'app/tool.pyw'"), **WARN, mentions=("tool.pyw",)),
    TreeCase("hyphen_stem_is_scanned", "a `[\\w-]+` stem is importable by name: scanned, so the import fails",
             {"app/data-10.py": FORBIDDEN}, **FAIL, mentions=("app.data-10",)),
    # --- symlinks
    TreeCase("symlinked_file_inside_root", "a symlinked module inside the root was dropped",
             {"lib/code.txt": FORBIDDEN}, links={"app/linked.py": "../lib/code.txt"}, **FAIL,
             mentions=("app.linked imports pkg.target",)),
    TreeCase("symlinked_file_outside_root", "a symlinked module pointing outside the root was dropped",
             links={"app/out.py": "{outside}/o.py"}, **ERROR, mentions=("outside the root",)),
    TreeCase("symlinked_folder_inside_root", "a symlinked package inside the root was dropped",
             {"lib/sub/__init__.py": b"", "lib/sub/m.py": FORBIDDEN}, links={"app/sub": "../lib/sub"},
             **FAIL, mentions=("app.sub.m imports pkg.target",)),
    TreeCase("symlinked_folder_outside_root", "a symlinked package outside the root was dropped",
             links={"app/ext": "{outside}/ext"}, **ERROR, mentions=("outside the root",)),
    TreeCase("symlink_loop_package", "a package folder that links to itself: no hang, reported once",
             links={"app/loop": "."}, **WARN, mentions=("symlink loop",)),
    TreeCase("symlink_loop_with_import", "a loop does not hide a real import next to it",
             {"app/bad.py": FORBIDDEN}, links={"app/loop": "."}, **FAIL, mentions=("symlink loop",)),
    TreeCase("symlink_cycle_between_links", "two links pointing at each other (ELOOP): no hang; nothing "
             "importable hides there, so the clean tree passes", links={"app/a": "b", "app/b": "a"},
             codes=(0,), statuses=("pass",)),
    TreeCase("deep_non_identifier_folder", "a 1,200-level deep folder tree: no RecursionError, reported",
             {"app/my-tools/" + "d/" * 1200 + "x.py": FORBIDDEN}, **ERROR, mentions=("my-tools",)),
    TreeCase("nfkc_twin_file", "`ｔwin.py` beside `twin.py`: import_module loads it by its literal name",
             {"app/twin.py": b"", "app/\uff54win.py":
              FORBIDDEN}, **ERROR, mentions=("names equal after NFKC",)),
    TreeCase("symlink_to_fifo", "a symlink to a FIFO must be reported, never opened (no hang)",
             links={"app/f.py": "../pipe"}, fifos=("pipe",), **ERROR, mentions=("FIFO",)),
    TreeCase("fifo_named_py", "a FIFO named .py must be reported, never opened (no hang)",
             fifos=("app/p.py",), **ERROR, mentions=("FIFO",)),
    TreeCase("dangling_symlink", "a dangling .py symlink was dropped without a word",
             links={"app/gone.py": "nowhere.py"}, **ERROR, mentions=("dangling",)),
    # --- NFKC: Python reads identifiers normalised
    TreeCase("fullwidth_import", "`import pkg.ｔarget` is pkg.target to Python; the edge was lost",
             {"app/fw.py": "import pkg.ｔarget\n".encode()}, **FAIL, mentions=("app.fw imports pkg.target",)),
    TreeCase("fullwidth_from_import", "`from pkg import ｔarget` is pkg.target to Python",
             {"app/fw.py": "from pkg import ｔarget\n".encode()}, **FAIL, mentions=("app.fw imports pkg.target",)),
    TreeCase("ligature_module", "`import pkg.ﬁle` (NFKC: pkg.file) lands on pkg/file.py",
             {"pkg/file.py": b"", "app/lig.py": "import pkg.ﬁle\n".encode()},
             contract="{type: forbidden, source: [app], forbidden: [pkg.file]}", **FAIL,
             mentions=("app.lig imports pkg.file",)),
    # --- skipped files: unknown imports are an error in scope, tolerated on request
    TreeCase("syntax_error_in_source", "a skipped file in the source side only warned (exit 0)",
             {"app/broken.py": BROKEN}, **ERROR, mentions=("app/broken.py", "syntax error")),
    TreeCase("syntax_error_tolerated", "allow_skipped: the plan opts in, so the skipped file warns",
             {"app/broken.py": BROKEN}, contract=allow("'app/*.py'"), **WARN, mentions=("syntax error",)),
    TreeCase("syntax_error_outside_scope", "a skipped file nothing in scope reaches stays a warning",
             {"lib/broken.py": BROKEN}, **WARN, mentions=("lib/broken.py",)),
    TreeCase("skipped_file_reached_transitively", "a chain through a skipped file is invisible: error",
             {"app/clean.py": b"import lib.mid\n", "lib/__init__.py": b"", "lib/mid.py": BROKEN},
             **ERROR, mentions=("lib/mid.py",)),
    TreeCase("skipped_file_direct_contract", "a direct-only contract ignores a skipped file it only reaches",
             {"app/clean.py": b"import lib.mid\n", "lib/__init__.py": b"", "lib/mid.py": BROKEN},
             contract=CONTRACT.replace("}", ", transitive: false}"), **WARN, mentions=("lib/mid.py",)),
    TreeCase("nul_only_file", "a file of only NUL bytes has unknown imports",
             {"app/z.py": b"\0" * 64}, **ERROR, mentions=("NUL byte",)),
    TreeCase("utf16_with_bom", "UTF-16 source (with BOM) cannot be read as Python text: unknown imports",
             {"app/u16.py": "import pkg.target\n".encode("utf-16")}, **ERROR, mentions=("app/u16.py",)),
    TreeCase("undecodable_bytes", "bytes that are not UTF-8 without a coding cookie",
             {"app/bad.py": b"import pkg.target\nx = '\xff'\n"}, **ERROR, mentions=("cannot decode",)),
    TreeCase("latin1_cookie_identifier", "a PEP 263 latin-1 file with a latin-1 identifier is read",
             {"app/l1.py": b"# -*- coding: latin-1 -*-\nimport pkg.target\ncaf\xe9 = 1\n"}, **FAIL,
             mentions=("app.l1 imports pkg.target",)),
    TreeCase("huge_single_line", "a 5 MB one-line file is skipped as too large: error, in bounded time",
             {"app/huge.py": b"import pkg.target; x = '" + b"a" * (5 * 1024 * 1024) + b"'\n"}, **ERROR,
             mentions=("file too large",)),
    TreeCase("relative_beyond_top", "`from ... import x` beyond the top-level package: reported, ignored",
             {"app/rel.py": b"from ... import target\n"}, **WARN, mentions=("beyond the top-level package",)),
    # --- dynamic imports
    TreeCase("dunder_import_literal", "__import__('pkg.target') with a literal is an edge",
             {"app/dyn.py": b'__import__("pkg.target")\n'}, **FAIL, mentions=("app.dyn imports pkg.target",)),
    TreeCase("import_module_literal", "importlib.import_module('pkg.target') with a literal is an edge",
             {"app/dyn.py": b'import importlib\nm = importlib.import_module("pkg.target")\n'}, **FAIL,
             mentions=("app.dyn imports pkg.target",)),
    TreeCase("import_module_computed", "a computed import_module(name) was invisible: now a warn at file:line",
             {"app/dyn.py": b"import importlib\n\n\ndef load(name):\n    return importlib.import_module(name)\n"},
             **WARN, mentions=("dynamic import with a computed module name", '"line": 5')),
    TreeCase("import_module_computed_not_counted", "dynamic: false leaves dynamic imports out, known or not",
             {"app/dyn.py": b"import importlib\n\n\ndef load(name):\n    return importlib.import_module(name)\n"},
             contract=CONTRACT.replace("}", ", dynamic: false}"), codes=(0,), statuses=("pass",)),
    TreeCase("import_module_computed_out_of_scope", "a computed dynamic import outside the scope does not warn",
             {"lib/dyn.py": b"import importlib\n\n\ndef load(name):\n    return importlib.import_module(name)\n"},
             codes=(0,), statuses=("pass",)),
    # --- hostile sweep (issue 12 follow-up): package shapes, odd whitespace, guarded and hidden imports
    TreeCase("init_is_symlink", "a package whose __init__.py is a symlink (inside the root) still counts",
             {"lib/init.txt": FORBIDDEN, "app/sub/m.py": b""}, links={"app/sub/__init__.py": "../../lib/init.txt"},
             **FAIL, mentions=("app.sub imports pkg.target",)),
    TreeCase("package_shadows_module", "`app/models/` and `app/models.py`: Python imports the package",
             {"app/models.py": b"", "app/models/__init__.py": FORBIDDEN}, **FAIL,
             mentions=("app.models imports pkg.target",)),
    TreeCase("module_shadowed_by_package", "the shadowed `app/models.py` never runs, but it may not hide "
             "an import silently either", {"app/models.py": FORBIDDEN, "app/models/__init__.py": b""},
             **ERROR, mentions=("app/models.py", "shadowed by package")),
    TreeCase("namespace_package", "a folder without __init__.py is a namespace package: scanned",
             {"app/ns/deep/m.py": FORBIDDEN}, **FAIL, mentions=("app.ns.deep.m imports pkg.target",)),
    TreeCase("crlf_and_form_feed", "CRLF line ends and a form feed before `import`",
             {"app/ff.py": b"import os\r\n\x0cimport pkg.target\r\n"}, **FAIL,
             mentions=("app.ff imports pkg.target",)),
    TreeCase("utf8_bom", "a UTF-8 BOM before the first import",
             {"app/bom.py": b"\xef\xbb\xbf" + FORBIDDEN}, **FAIL, mentions=("app.bom imports pkg.target",)),
    TreeCase("type_checking_alias", "`import pkg.target as c` under `if TYPE_CHECKING:` counts (type_checking: "
             "true is the default)", {"app/tc.py": b"from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                      b"    import pkg.target as c\n"}, **FAIL,
             mentions=("app.tc imports pkg.target",)),
    TreeCase("guarded_fallback", "`try: import x / except ImportError: import pkg.target` counts",
             {"app/g.py": b"try:\n    import ujson as j\nexcept ImportError:\n    import pkg.target as j\n"},
             **FAIL, mentions=("app.g imports pkg.target",)),
    TreeCase("exec_import", "exec('import pkg.target') hid the import (silent pass): literal code is read",
             {"app/ex.py": b'exec("import pkg.target")\n'}, **FAIL, mentions=("app.ex imports pkg.target",)),
    TreeCase("exec_computed", "exec(code) with computed code passed silently: a warn at file:line",
             {"app/ex.py": b'code = "import pkg." + "target"\nexec(compile(code, "x", "exec"))\n'}, **WARN,
             mentions=("dynamic import with a computed module name", '"line": 2')),
    TreeCase("import_module_concatenated", "import_module('pkg.' + 'target'): a computed name, at least a warn",
             {"app/dyn.py": b'import importlib\nimportlib.import_module("pkg." + "target")\n'},
             **WARN, mentions=("app/dyn.py", '"line": 2')),
    TreeCase("import_module_aliased", "`from importlib import import_module as im; im('pkg.target')`",
             {"app/dyn.py": b'from importlib import import_module as im\nim("pkg.target")\n'},
             **WARN, mentions=("app/dyn.py", "a loader under another name")),
    TreeCase("import_module_assigned", "`load = importlib.import_module` passed silently: a warn",
             {"app/dyn.py": b'import importlib\n\nload = importlib.import_module\nload("pkg.target")\n'},
             **WARN, mentions=("app/dyn.py", '"line": 3')),
    TreeCase("dunder_import_fromlist", "`__import__('pkg', fromlist=['target'])` loads pkg.target",
             {"app/dyn.py": b'__import__("pkg", fromlist=["target"])\n'}, **FAIL,
             mentions=("app.dyn imports pkg.target",)),
    TreeCase("runpy_run_module", "`runpy.run_module('pkg.target')` runs the module: at least a warn",
             {"app/dyn.py": b'import runpy\nrunpy.run_module("pkg.target")\n'}, **FAIL,
             mentions=("app.dyn imports pkg.target",)),
    shape("spaces_around_dot", b'import pkg . target\n'),
    shape("backslash_continuation", b'import \\\n    pkg.target\n'),
    shape("semicolon_after_statement", b'x = 1; import pkg.target\n'),
    shape("one_line_compound", b'if True: import pkg.target\n'),
    shape("in_class_body", b'class A:\n    import pkg.target\n'),
    shape("in_match_case", b'match 1:\n    case 1:\n        import pkg.target\n'),
    shape("fstring_dunder_import", b'x = f"{__import__(\'pkg.target\')}"\n',
          "the call inside an f-string was read as text: a silent pass"),
    shape("lambda_dunder_import", b"load = lambda: __import__('pkg.target')\n"),
    shape("decorator_argument", b"def deco(m):\n    return lambda f: f\n\n\n"
                                b"@deco(__import__('pkg.target'))\ndef f():\n    pass\n"),
    shape("from_paren_comment", b'from pkg import (  # why\n    target,  # the one\n)\n'),
    shape("tab_indented_import", b'def f():\n\timport pkg.target\n'),
    shape("form_feed_indent", b'def f():\n\x0c    import pkg.target\n'),
    shape("after_docstring_with_import_word", b'"""import nothing here"""\nimport pkg.target\n'),
    shape("import_after_triple_quote_line", b"x = '''\nimport os\n'''; import pkg.target\n"),
    shape("cr_only_line_ends", b'import os\rimport pkg.target\r'),
    shape("nested_function_guarded", b'def f():\n    try:\n        pass\n    finally:\n        import pkg.target\n'),
    shape("walrus_import_module", b"import importlib\nif (m := importlib.import_module('pkg.target')):\n    pass\n"),
    TreeCase("cursor_exec_is_no_import", "a method named exec (a DB cursor) is not the builtin: clean tree passes",
             {"app/db.py": b'def run(cursor):\n    cursor.exec("import pkg.target")\n'}, codes=(0,),
             statuses=("pass",)),
    # --- other contracts and commands over skipped files
    TreeCase("layers_over_skipped_file", "a layers contract over a skipped file is error too",
             {"app/broken.py": BROKEN}, contract="{type: layers, layers: [pkg, app]}", **ERROR,
             mentions=("app/broken.py",)),
    TreeCase("acyclic_over_skipped_file", "an acyclic contract cannot be sure with a skipped file in scope",
             {"app/broken.py": BROKEN}, contract="{type: acyclic, modules: [app]}", **ERROR,
             mentions=("app/broken.py",)),
    TreeCase("graph_check_ratchet", "`graph check` exits 2 on a skipped file in scope, not 0",
             {"app/broken.py": BROKEN}, command="check", codes=(2,), statuses=(),
             mentions=("skipped file(s) in the contract's scope", '"module": "app.broken"', '"in_scope": true')),
    TreeCase("graph_check_ratchet_text", "`graph check` (table) names each skipped file in scope",
             {"app/broken.py": BROKEN}, command="check-text", codes=(2,), statuses=(),
             mentions=("SKIPPED p/c: app/broken.py:2: syntax error",)),
    TreeCase("graph_importers_incomplete", "`graph importers` says its answer may miss a skipped file",
             {"app/broken.py": BROKEN}, command="importers", codes=(0,), statuses=(),
             mentions=('"complete": false', "app/broken.py")),
]


def make_folders(path: Path) -> None:
    """The folders above ``path``, one level at a time (pathlib recurses per level, and a case
    nests deeper than the recursion limit)."""
    missing = []
    folder = path.parent
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        folder.mkdir()


def flatten(top: Path, limit: int = 20) -> None:
    """Move folders nested deeper than ``limit`` up to ``top``, so that removing the tree later
    (pytest's tmp_path clean-up, shutil.rmtree: recursive) never nests that deep."""
    stack = [(top, 0)]
    moved = 0
    while stack:
        folder, depth = stack.pop()
        for entry in list(os.scandir(folder)):
            if not entry.is_dir(follow_symlinks=False):
                continue
            if depth >= limit:
                dest = top / f".flat{moved}"
                moved += 1
                os.rename(entry.path, dest)
                stack.append((dest, 1))
            else:
                stack.append((Path(entry.path), depth + 1))


def build(tmp_path: Path, case: TreeCase) -> Path:
    mono = tmp_path / "mono"
    outside = tmp_path / "outside"
    base = {"pkg/__init__.py": b"", "pkg/target.py": b"X = 1\n", "app/__init__.py": b"",
            "app/clean.py": b"import os\n"}
    (outside / "ext").mkdir(parents=True)
    (outside / "o.py").write_bytes(FORBIDDEN)
    (outside / "ext" / "m.py").write_bytes(FORBIDDEN)
    for rel, data in {**base, **case.files}.items():
        make_folders(mono / rel)
        (mono / rel).write_bytes(data)
    for rel in case.fifos:
        make_folders(mono / rel)
        os.mkfifo(mono / rel)
    for rel, target in case.links.items():
        make_folders(mono / rel)
        os.symlink(target.replace("{outside}", str(outside)), mono / rel)
    plan = tmp_path / "phases.yaml"
    plan.write_text(textwrap.dedent(f"""\
        version: 1
        name: trees
        root: mono
        phases:
          - id: p
            title: Scan
            weeks: 0-1
            owners: [me]
            criteria:
              - id: c
                kind: imports
                title: app does not import pkg.target
                contract: {case.contract}
        """), encoding="utf-8")
    return plan


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_tree_scan_fault(tmp_path: Path, case: TreeCase):
    plan = build(tmp_path, case)
    args = {"gate": ("gate", "p", "--format", "json"), "check": ("graph", "check", "--format", "json"),
            "check-text": ("graph", "check"),
            "importers": ("graph", "importers", "pkg.target", "--format", "json")}[case.command]
    try:
        outcome = run_prepctl("-c", plan, *args, cwd=tmp_path)
    finally:
        flatten(tmp_path / "mono")
    check(outcome, Expect(codes=case.codes, criterion="c" if case.statuses else None,
                          statuses=case.statuses, mentions=case.mentions))
    for text in case.absent:
        assert text not in outcome.text, f"{case.name}: {text!r} reached the output"
