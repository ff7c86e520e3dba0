"""Fault corpus, category configs: hostile phases.yaml files and -c targets (issue 12 §5).

Every case runs `prepctl -c TARGET validate` (and, where it matters, `gate`) as a subprocess with
a short time limit and expects exit 2 with ``file:line:col`` (or ``file:`` for a target that is
not a file), no traceback and no "internal error"; or exit 0 for the legal inputs (merge keys,
BOM) that used to be rejected.
"""

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.fault_harness import Expect, check, run_prepctl

#: Every config case must end well within this (the alias bomb took 52 s, then forever).
LIMIT = 10.0

BASE = textwrap.dedent("""\
    version: 1
    name: fault plan
    phases:
      - id: p
        title: P
        weeks: 0-1
        owners: [me]
        criteria:
          - {id: a, kind: paths, title: t, exists: [phases.yaml]}
    """).encode()


def with_line(line: bytes, after: bytes = b"name: fault plan\n") -> bytes:
    return BASE.replace(after, after + line + b"\n")


def criteria(text: str) -> bytes:
    return BASE + textwrap.indent(textwrap.dedent(text), "      ").encode()


def alias_bomb(levels: int) -> bytes:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return ("\n".join(lines) + "\n").encode()


def fifo(folder: Path) -> Path:
    path = folder / "fifo.yaml"
    os.mkfifo(path)
    return path


def symlink_loop(folder: Path) -> Path:
    (folder / "loop-a.yaml").symlink_to(folder / "loop-b.yaml")
    (folder / "loop-b.yaml").symlink_to(folder / "loop-a.yaml")
    return folder / "loop-a.yaml"


def unix_socket(folder: Path) -> Path:
    import socket

    path = folder / "sock.yaml"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))  # the file stays after the socket closes
    server.close()
    return path


def signoffs_fifo(folder: Path) -> Path:
    os.mkfifo(folder / "signoffs.yaml")
    (folder / "phases.yaml").write_bytes(BASE.replace(b"exists: [phases.yaml]}", b"exists: [phases.yaml]}\n"
                                                      b"      - {id: s, kind: signoff, title: s, roles: [dba]}"))
    return folder / "phases.yaml"


def link_to_fifo(folder: Path) -> Path:
    (folder / "link.yaml").symlink_to(fifo(folder))
    return folder / "link.yaml"


def _root_fifo(folder: Path) -> Path:
    os.mkfifo(folder / "pipe")
    (folder / "phases.yaml").write_bytes(with_line(b"root: pipe"))
    return folder / "phases.yaml"


def pyproject(content: bytes) -> Callable[[Path], Path]:
    """A -c target that is a pyproject.toml holding ``content``."""
    def make(folder: Path) -> Path:
        (folder / "pyproject.toml").write_bytes(content)
        return folder / "pyproject.toml"
    return make


def pyproject_fifo(folder: Path) -> Path:
    os.mkfifo(folder / "pyproject.toml")
    return folder / "pyproject.toml"


@dataclass(frozen=True)
class ConfigCase:
    name: str
    #: The defect this case guards against.
    defect: str
    #: The file's bytes, or a function that makes the -c target in a folder.
    content: bytes | Callable[[Path], Path]
    #: Expected exit code of `validate` (2: refused; 0: a legal input that must load).
    code: int = 2
    #: Where the error must point: (line, column), or None for a target that is not a file.
    at: tuple[int, int] | None = None
    #: Text the error must contain.
    says: tuple[str, ...] = ()
    #: Also run `gate p` and expect this exit code (None: not run).
    gate_code: int | None = None
    limit: float = LIMIT
    env: dict[str, str] = field(default_factory=dict)


CASES = [
    ConfigCase("alias-bomb-7-levels", "536-byte alias bomb took 52 s and 3.1 GB (plan._plain expanded "
               "every alias)", alias_bomb(7), at=(5, 10), says=("aliases expand to more than 10,000 nodes",),
               gate_code=2),
    ConfigCase("alias-bomb-9-levels", "at 9 levels the alias bomb never ended", alias_bomb(9), at=(5, 10),
               says=("alias bomb",), gate_code=2),
    ConfigCase("alias-recursive", "an alias inside its own anchor is an infinite structure",
               b"version: 1\nname: &n [1, *n]\n", at=(2, 14), says=("recursive",)),
    ConfigCase("alias-undefined", "an alias naming no anchor", b"version: 1\nname: *nope\n", at=(2, 7),
               says=("names no anchor",)),
    ConfigCase("fifo", "-c at a FIFO blocked forever", fifo, says=("FIFO", "not a regular file"),
               gate_code=2),
    ConfigCase("symlink-to-fifo", "a link to a FIFO must not block either", link_to_fifo,
               says=("FIFO",)),
    ConfigCase("socket", "-c at a Unix socket", unix_socket, says=("a socket",)),
    ConfigCase("signoffs-fifo", "the plan's signoffs.yaml is a FIFO: the gate must not block on it",
               signoffs_fifo, code=0, gate_code=2),
    ConfigCase("tag-directive", "%TAG mapping ! to python/ (tags by the back door)",
               b"%TAG ! tag:yaml.org,2002:python/\n---\nversion: 1\nname: !object/apply:os.system [x]\n",
               at=(4, 7), says=("python/object/apply", "not supported")),
    ConfigCase("explicit-int-not-int", "!!int on text: an error at the value, not a crash",
               with_line(b"description: !!int abc"), at=(3, 14), says=("'abc' is not a int",)),
    ConfigCase("merge-of-a-scalar", "<<: on a plain value", criteria("""\
                   - {<<: 1, id: b, kind: paths, title: t, exists: [phases.yaml]}
                   """), at=(10, 14), says=("a merge key (<<) takes a mapping",)),
    ConfigCase("merge-of-several", "<<: [*a, *b]: the first wins, own keys win over both", criteria("""\
                   - &x {id: x, kind: paths, title: from x, exists: [phases.yaml]}
                   - &y {id: y, kind: paths, title: from y, exists: [nothing-here], advisory: true}
                   - {<<: [*x, *y], id: z}
                   """), code=0, gate_code=0),
    ConfigCase("root-missing", "root: naming nothing had a line but no column", with_line(b"root: nowhere"),
               at=(3, 1), says=("root: ", "is not a folder")),
    ConfigCase("dev-zero", "-c /dev/zero ended in MemoryError", lambda _: Path("/dev/zero"),
               says=("character device",)),
    ConfigCase("directory", "-c at a folder", lambda folder: folder, says=("is a folder",)),
    ConfigCase("symlink-loop", "-c at a symlink loop", symlink_loop, says=("symbolic links",)),
    ConfigCase("missing", "-c at nothing", lambda folder: folder / "absent.yaml",
               says=("not found", "pass -c FILE")),
    ConfigCase("too-large-10mb-line", "a 10 MB line: bounded time, a clear refusal",
               with_line(b"description: " + b"a" * 10_000_000), says=("more than 1,048,576",)),
    ConfigCase("impossible-date", "start_date: 2026-02-30 was an internal error (ValueError)",
               with_line(b"start_date: 2026-02-30"), at=(3, 1), says=("start_date",)),
    ConfigCase("python-object-tag", "!!python/object/apply was an internal error (TypeError)",
               with_line(b"x: !!python/object/apply:os.system ['touch pwned']"), at=(3, 4),
               says=("python/object/apply", "not supported")),
    ConfigCase("custom-tag", "an unknown local tag was silently accepted", with_line(b"description: !vault x"),
               at=(3, 14), says=("'!vault' is not supported",)),
    ConfigCase("binary-tag", "a core tag prepctl has no use for", with_line(b"description: !!binary aGk="),
               at=(3, 14), says=("not supported",)),
    ConfigCase("number-for-condition", "pass: 0.8 (a number for a string) was an internal error",
               criteria("""\
                   - id: s
                     kind: slo
                     title: s
                     objectives: [{name: l, query: q, pass: 0.8}]
                   """), at=(10, 9), says=("wrong type",)),
    ConfigCase("nesting-20000", "20,000-deep nesting was a RecursionError",
               b"version: 1\nname: " + b"[" * 20_000 + b"]" * 20_000 + b"\n", at=(2, 1006),
               says=("nesting depth",)),  # libyaml's own limit (1,000) fires first here
    ConfigCase("nesting-block-100", "deep block nesting, not only flow",
               b"version: 1\nname:\n" + b"".join(b"  " * i + b"k:\n" for i in range(1, 100)), at=(66, 129),
               says=("nested deeper",)),
    ConfigCase("nul-byte", "a NUL byte was an internal error (ReaderError)", b'version: 1\nname: "a\x00b"\n',
               at=(2, 9), says=("U+0000",)),
    ConfigCase("control-character", "a control character was an internal error", b"version: 1\nname: a\x01b\n",
               at=(2, 8), says=("U+0001",)),
    ConfigCase("escape-sequence", "ESC in a plain scalar", b"version: 1\nname: a\x1b[31mred\n", at=(2, 8),
               says=("U+001B",)),
    ConfigCase("empty-file", "an empty file", b"", at=(1, 1), says=("must be a mapping",)),
    ConfigCase("only-a-comment", "a file with only a comment", b"# nothing yet\n", at=(1, 1),
               says=("must be a mapping",)),
    ConfigCase("list-at-top-level", "a list instead of a mapping", b"- version: 1\n", at=(1, 1),
               says=("must be a mapping",)),
    ConfigCase("scalar-at-top-level", "a bare word", b"hello\n", at=(1, 1), says=("must be a mapping",)),
    ConfigCase("duplicate-keys", "a key given twice", with_line(b"name: again"), at=(3, 1),
               says=("duplicate key",)),
    ConfigCase("invalid-utf8", "undecodable bytes", b"version: 1\nname: caf\xe9\n", at=(2, 10),
               says=("not UTF-8", "0xe9")),
    ConfigCase("utf16", "a UTF-16 file (an editor's choice)", "version: 1\n".encode("utf-16"), at=(1, 1),
               says=("not UTF-8",)),
    ConfigCase("tab-indentation", "a tab where YAML wants spaces", b"version: 1\n\tname: a\n", at=(2, 1),
               says=("YAML syntax error",)),
    ConfigCase("two-documents", "a second document in the file", BASE + b"---\nversion: 2\n", at=(10, 1),
               says=("YAML syntax error",)),
    ConfigCase("unclosed-flow", "an unterminated [", b"version: 1\nname: [a, b\n", at=(3, 1),
               says=("YAML syntax error",)),
    ConfigCase("non-string-key", "a list as a key", b"version: 1\n? [a, b]\n: c\n", at=(2, 3),
               says=("a key must be a plain value",)),
    ConfigCase("huge-integer", "an integer with 5,000 digits was a bare ValueError",
               with_line(b"name2: " + b"9" * 5000), at=(3, 8), says=("cannot read this value",)),
    *[ConfigCase(f"url-{what}", f"a base URL with {what} (here from ${{PROM_URL}}) was accepted: the API path "
                 "landed in its query or fragment, or the request failed with a bare ValueError mid-gate",
                 with_line(b'sources: {prometheus: {url: "${PROM_URL}"}}'), at=(3, 24),
                 says=("sources.prometheus.url", reason), gate_code=2, env={"PROM_URL": url})
      for what, url, reason in (
          ("fragment", "http://127.0.0.1:9/ #c", "no ?query, #fragment"),
          ("query", "http://127.0.0.1:9/?x=1", "no ?query, #fragment"),
          ("newline", "http://127.0.0.1:9/x\nevil: 1", "control character"),
          ("bad-port", "http://127.0.0.1:99999/", "Port out of range"),
          ("broken-ipv6", "http://[::1", "Invalid IPv6 URL"))],
    ConfigCase("root-is-a-fifo", "root: naming a FIFO must be refused, never opened",
               lambda folder: _root_fifo(folder), at=(3, 1), says=("is not a folder",), gate_code=2),
    ConfigCase("bom", "a UTF-8 BOM (Windows editors) must load", b"\xef\xbb\xbf" + BASE, code=0),
    # [tool.prepctl] in pyproject.toml: the same refusals, with TOML's positions.
    ConfigCase("toml-syntax", "a TOML syntax error", pyproject(b'[tool.prepctl]\nroot = "."\nname = \n'),
               at=(3, 8), says=("invalid TOML",)),
    ConfigCase("toml-table-twice", "a table declared twice", pyproject(b"[tool.prepctl]\n[tool.prepctl]\n"),
               at=(2, 14), says=("invalid TOML",)),
    ConfigCase("toml-nul", "a NUL byte in a TOML string", pyproject(b'[tool.prepctl]\nname = "a\x00b"\n'),
               at=(2, 10), says=("invalid TOML",)),
    ConfigCase("toml-invalid-utf8", "undecodable bytes in pyproject.toml",
               pyproject(b'[tool.prepctl]\nname = "caf\xe9"\n'), at=(2, 12), says=("not UTF-8",)),
    ConfigCase("toml-deep-nesting", "tomllib recursed until RecursionError (an internal error)",
               pyproject(b"[tool.prepctl]\nx = " + b"[" * 50_000 + b"]" * 50_000 + b"\n"),
               says=("nested too deeply",)),
    ConfigCase("toml-fifo", "a pyproject.toml that is a FIFO must never be opened", pyproject_fifo,
               says=("not a regular file",)),
    ConfigCase("toml-url-credentials", "a URL with credentials inline in [tool.prepctl]",
               pyproject(b'[tool.prepctl.sources.prometheus]\nurl = "http://u:hunter2hunter2@127.0.0.1:9/"\n'),
               at=(2, 1), says=("carries credentials",)),
    ConfigCase("toml-no-table", "-c pyproject.toml without [tool.prepctl]", pyproject(b"[tool.ruff]\n"),
               says=("no [tool.prepctl] table",)),
    ConfigCase("merge-key", "a legal merge key (- <<: *p) was KeyError: 'title'", criteria("""\
                   - &shared {id: b, kind: paths, title: shared title, exists: [phases.yaml]}
                   - <<: *shared
                     id: c
                   """), code=0, gate_code=0),
    ConfigCase("merge-key-error-position", "an error in a merged mapping points into the file",
               criteria("""\
                   - &shared {id: b, kind: paths, title: t, exists: [phases.yaml], typo: 1}
                   - <<: *shared
                     id: c
                   """), at=(10, 71), says=("unknown key 'typo'",)),
    ConfigCase("small-aliases-are-fine", "the budget must not refuse ordinary reuse", criteria("""\
                   - &shared {id: b, kind: paths, title: t, exists: [phases.yaml, x, y]}
                   - {id: c, kind: paths, title: t, exists: *e}
                   """).replace(b"exists: [phases.yaml, x, y]", b"exists: &e [phases.yaml]"),
               code=0, gate_code=0),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_config_case(case: ConfigCase, tmp_path: Path) -> None:
    if isinstance(case.content, bytes):
        target = tmp_path / "phases.yaml"
        target.write_bytes(case.content)
    else:
        target = case.content(tmp_path)
    expect = Expect(codes=[case.code], mentions=case.says)
    outcome = run_prepctl("-c", target, "validate", cwd=tmp_path, limit=case.limit, env=case.env)
    check(outcome, expect)
    if case.code == 2:
        where = f"prepctl: {target}" + (f":{case.at[0]}:{case.at[1]}: " if case.at else ": ")
        assert where in outcome.stderr, f"{case.name}: expected {where!r} in\n{outcome.stderr}"
        # Every line of the answer is a located problem, never a bare exception text.
        for line in outcome.stderr.splitlines():
            assert re.match(rf"prepctl: {re.escape(str(target))}(:\d+:\d+)?: ", line), line
    if case.gate_code is not None:
        gate = run_prepctl("-c", target, "gate", "p", cwd=tmp_path, limit=case.limit, env=case.env)
        check(gate, Expect(codes=[case.gate_code]))


def test_the_alias_bomb_ends_fast(tmp_path: Path) -> None:
    # The acceptance bar: < 5 s with exit 2 and file:line, for the bomb that never ended.
    target = tmp_path / "phases.yaml"
    target.write_bytes(alias_bomb(9))
    outcome = run_prepctl("-c", target, "validate", cwd=tmp_path, limit=5)
    check(outcome, Expect(codes=[2], mentions=[f"{target}:5:10: aliases expand"]))
    assert outcome.seconds < 5
