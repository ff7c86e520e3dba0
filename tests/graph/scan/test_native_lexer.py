"""The C accelerator of the import lexer gives exactly the pure-Python lexer's answers: on
hand-written edge cases, on every ``.py`` file of the standard library and site-packages, on
seeded random mutations of real files, and in a forked worker. Without the extension (or with
``PREPCTL_PURE_PYTHON=1``) the pure-Python path runs.

These tests fail, never skip, when the extension is not built: ``scripts/bootstrap.sh`` builds it
(``pip install -e .``; ``python setup.py build_ext --inplace`` rebuilds it in a checkout).
"""

from __future__ import annotations

import marshal
import os
import random
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path

import pytest

from prepctl.graph.scan import lexer, parse
from prepctl.graph.scan.model import RawImport
from tests.support.paths import REPO

Outcome = tuple[str, object]


def require_native() -> None:
    assert lexer.NATIVE, ("the C import lexer is not built: run scripts/bootstrap.sh, or "
                          "`python setup.py build_ext --inplace` (PREPCTL_PURE_PYTHON must be unset)")


def outcome(text: str, native: bool) -> Outcome:
    """What ``lex_imports`` does with ``text``: its answer, or the exception it raises."""
    try:
        return "answer", lexer.lex_imports(text, native=native)
    except Exception as exc:  # a crash must crash the same way on both paths
        return "raised", type(exc).__name__


def assert_same(text: str, label: str) -> Outcome:
    require_native()
    pure = outcome(text, native=False)
    native = outcome(text, native=True)
    assert native == pure, f"native and pure-Python lexers differ on {label}"
    return pure


EDGE_CASES: dict[str, str] = {
    "plain": "import os\nimport a.b as c, d\nfrom x import y\nfrom . import z\nfrom ..p.q import (r, s,)\n",
    "star_and_comments": "from x import *  # all\nimport y # import z\n# import w\n",
    "strings": 'x = "import a"\ny = """\nimport b\n"""\nimport c\n',
    "unterminated_after": 'import a\nx = 1\n' + "y = 2\n" * 2000 + 's = "open\n',
    "unterminated_triple": 'import a\n"""never closed\nimport b\n',
    "empty_module_quirk": "from  import x\n",
    "keyword_as_module": "from import import x\nimport as\nimport a as as\n",
    "indented": "if TYPE_CHECKING:\n    import a\ntry:\n    import b\nexcept ImportError:\n    b = None\n",
    "continued": "import a, \\\n    b\nx = 1 + \\\nimport_y\nfrom q import (a,  # c\n    b)\n",
    "continued_from_above": "x = 1 \\\n\nimport a\n",
    "semicolon": "x = 1; import y\nimport z; w = 2\n",
    "parens_multiline": "from x import (\n    a,\n    b as c,\n)\nfrom y import (a\n  as\n  b)\n",
    "bad_parens": "from x import ()\nfrom x import (a,,b)\nfrom x import (,)\nfrom x import (a b)\n",
    "unicode_names": "import café\nfrom ..ü import ß as ſ\nfrom x import (é,)\n",
    "unicode_around": "x = 'é'\nimport a  # é\n",
    "dynamic": "import importlib\nm = importlib.import_module('a.b')\n__import__('c')\nexec('import d')\n",
    "dynamic_decoys": "my_import_module('x')\nexecute()\n_exec = 1\nf'{__import__(\"os\")}'\n",
    "tabs_and_feeds": "import a\n\tx = 1\nif y:\n\timport b\nimport\fc\n",
    "carriage_returns": "import a\r\nimport b\r\n",
    "lone_carriage_return": "import a\rimport b\n",
    "names_glued": "reimport = 1\nimportlib = 2\nx.import_ = 3\nimports = [4]\n",
    "no_import": "x = 1\n",
    "import_at_end": "import a",
    "many_items": "import " + ", ".join(f"m{i}" for i in range(100)) + "\n",
    "backslash_strings": "s = 'a\\\nimport b'\nimport c\nt = \"\\\\\"\nimport d\n",
    "hash_in_strings": "s = '#'\nimport a\nt = '''#\n'''\nimport b\n",
    "quotes_in_comment": "# it's\nimport a\n",
    "nul": "import a\n\0import b\n",
    "surrogates": "import a\n" + b"x = '\xff'\n".decode("utf-8", "surrogateescape") + "import b\n",
    "surrogate_in_dynamic_call": "import a\n__import__('\ud800')\n",
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_native_agrees_on_edge_cases(name: str):
    assert_same(EDGE_CASES[name], name)


def test_native_reads_ordinary_statements_itself():
    """The common forms give the expected imports (not only the same as Python)."""
    require_native()
    got = lexer.lex_imports("import a.b as c, d\nfrom ..p import (q as r, s,)\nfrom x import *\n",
                            native=True)
    assert got == [RawImport(1, 0, "a.b", (), 0), RawImport(1, 0, "d", (), 0),
                   RawImport(2, 2, "p", ("q", "s"), 1), RawImport(3, 0, "x", ("*",), 1)]


def test_pure_python_is_forced_by_the_environment():
    """PREPCTL_PURE_PYTHON=1 turns the accelerator off; the answers stay the same."""
    probe = ("from prepctl.graph.scan import lexer; "
             "print(lexer.NATIVE, lexer.lex_imports('import a\\nfrom . import b\\n'))")
    env = {**os.environ, "PYTHONPATH": str(REPO), "PREPCTL_PURE_PYTHON": "1"}
    forced = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                            check=True).stdout
    env["PREPCTL_PURE_PYTHON"] = "0"
    default = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                             check=True).stdout
    answer = "[RawImport(line=1, level=0, module='a', names=(), flags=0), " \
             "RawImport(line=2, level=1, module='', names=('b',), flags=1)]"
    assert forced == f"False {answer}\n"
    assert default == f"True {answer}\n"


def test_native_runs_in_a_forked_worker():
    """The parse workers are forked children: the extension must work there as in the parent."""
    require_native()
    texts = [EDGE_CASES[name] for name in sorted(EDGE_CASES)]
    expected = [lexer.lex_imports(text, native=True) for text in texts]
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer through the pipe, exit without running pytest's teardown
        status = 1
        try:
            results = [None if r is None else [tuple(i) for i in r]
                       for r in (lexer.lex_imports(text, native=True) for text in texts)]
            os.write(write_end, marshal.dumps(results))
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert status == 0
    assert marshal.loads(payload) == [None if r is None else [tuple(i) for i in r] for r in expected]


# ----------------------------------------------------------------------------- real code


def python_sources() -> list[Path]:
    """Every .py file of this interpreter's standard library and site-packages."""
    paths = sysconfig.get_paths()
    roots = {Path(paths[key]).resolve() for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    found: set[Path] = set()
    for root in roots:
        found.update(p.resolve() for p in root.rglob("*.py") if p.is_file())
    return sorted(found)


def as_text(data: bytes) -> str:
    """The text the lexer sees; bytes that are not valid Python text still make a test input."""
    try:
        return parse.decode_source(data)
    except parse.DecodeProblem:
        return data.decode("utf-8", "surrogateescape")


@pytest.mark.corpus
def test_native_agrees_on_every_file_of_the_standard_library_and_site_packages():
    require_native()
    files = python_sources()
    assert len(files) > 10_000, f"only {len(files)} Python files found"
    answered = declined = 0
    for path in files:
        kind, result = assert_same(as_text(path.read_bytes()), str(path))
        assert kind == "answer", f"{path}: the lexer raised {result}"
        if result is None:
            declined += 1
        else:
            answered += 1
    assert answered > 0.9 * len(files), f"the fast path declined {declined} of {len(files)} files"


def mutations(rng: random.Random) -> list[Callable[[str], str]]:
    """Ways to damage a file: each takes the text and returns a mutated copy."""

    def at(text: str) -> int:
        return rng.randrange(len(text) + 1)

    def insert(piece: str) -> Callable[[str], str]:
        return lambda text: (lambda i: text[:i] + piece + text[i:])(at(text))

    def before_an_import(piece: str) -> Callable[[str], str]:
        def mutate(text: str) -> str:
            spots = [i for i in range(len(text)) if text.startswith("import", i)]
            if not spots:
                return insert(piece)(text)
            i = text.rfind("\n", 0, rng.choice(spots)) + 1
            return text[:i] + piece + text[i:]
        return mutate

    def nest(text: str) -> str:
        depth = rng.randrange(1, 60)
        header = "".join(" " * 4 * level + rng.choice(["if x:", "try:", "if TYPE_CHECKING:",
                                                       "def f(", "class C:", "with a:"]) + "\n"
                         for level in range(depth))
        return header + "\n".join(" " * 4 * depth + line for line in text.splitlines()) + "\n"

    return [
        lambda text: text[:at(text)],  # truncation
        insert("'"), insert('"'), insert("'''"), insert('"""'), insert("#"), insert("\\"),
        insert("\\\n"), insert("\0"), insert("\r"), insert("\t"), insert("\f"),
        insert(b"\xff\xfe".decode("utf-8", "surrogateescape")), insert("é"), insert("\u2028"),
        insert("f\"{f'{x!r:{w}}'}\""), insert("f'{__import__(\"os\")}'"), insert("(" * 200),
        insert("\nimport_module('a')\n"), insert("\nexec('import x')\n"),
        insert("\nfrom . import (a,\n b, # c\n)\n"), insert("\nimport a.b as c, \\\n d\n"),
        before_an_import("    "), before_an_import("\t"), before_an_import("x = 1; "),
        before_an_import("try: "), before_an_import("if TYPE_CHECKING:\n    "),
        before_an_import("'''\n"), before_an_import("from x import (\n"), nest,
        lambda text: "\n".join(rng.sample(text.splitlines(), len(text.splitlines()))),  # shuffled lines
    ]


@pytest.mark.corpus
def test_native_agrees_on_seeded_random_mutations_of_real_files():
    require_native()
    rng = random.Random(20261206)
    small = [p for p in python_sources() if p.stat().st_size < 16_000]
    sample = rng.sample(small, 500)
    cases = 0
    for path in sample:
        original = as_text(path.read_bytes())
        for _ in range(8):
            text = original
            for mutate in rng.sample(mutations(rng), rng.randrange(1, 4)):
                text = mutate(text)
            label = f"a mutation of {path} (case {cases}, seed 20261206)"
            kind, result = assert_same(text, label)
            assert kind == "answer", f"{label}: the lexer raised {result}"
            cases += 1
    assert cases == 4000


def test_a_lone_surrogate_in_a_dynamic_import_is_a_reported_file_not_a_traceback():
    """A `raw_unicode_escape` source can decode to a lone surrogate, which ``compile`` refuses:
    the lexer declines and the whole-file parse reports it."""
    data = b'# coding: raw_unicode_escape\nimport a\n__import__("\\ud800")\n'
    for verify in (True, False):
        parsed = parse.parse_imports(data, verify=verify)
        assert parsed.imports == ()
        assert parsed.problem == (None, "cannot parse: UnicodeEncodeError")
