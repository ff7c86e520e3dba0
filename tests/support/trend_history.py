"""Generate a git history whose importer counts are known, for `graph trend` tests and its benchmark.

The generator keeps its own model of the code (which module imports which) and writes files from
it, so the expected numbers per commit come from the model, never from prepctl's scanner:

- direct: modules whose file parses and that import the target;
- transitive: every module that reaches the target through imports (direct ones included),
  following only the imports of files that parse.

History shape: the target does not exist in the first commit; importers grow, then burn down;
some commits break a file with a syntax error (fixed a few commits later); modules are added and
deleted; some commits only touch documentation; the target is deleted at the end.

Commits are written with `git fast-import`, which builds hundreds of commits in well under a second.
"""

from __future__ import annotations

import random
import subprocess
import zlib
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

TARGET = "mono.core.orm"
TARGET_PATH = "mono/core/orm.py"
GIT_ENV = {"GIT_AUTHOR_NAME": "gen", "GIT_AUTHOR_EMAIL": "gen@example.invalid",
           "GIT_COMMITTER_NAME": "gen", "GIT_COMMITTER_EMAIL": "gen@example.invalid",
           "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
           "PATH": "/usr/bin:/bin:/usr/local/bin"}
START_TIME = 1_704_067_200  # 2024-01-01T00:00:00Z
COMMIT_SPACING = 3_600 * 7  # seven hours between commits


@dataclass
class Module:
    name: str
    path: str
    imports: set[str] = field(default_factory=set)
    broken: bool = False
    #: How each import is written, chosen once per (importer, imported) so rewrites are stable.
    styles: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Expected:
    index: int
    message: str
    exists: bool
    direct: int
    transitive: int
    broken_files: int


@dataclass
class History:
    repo: Path
    expected: list[Expected]
    shas: list[str]
    module_count_max: int


class Model:
    def __init__(self, rng: random.Random, packages: int, per_package: int, body_lines: int):
        self.rng = rng
        self.body_lines = body_lines
        self.modules: dict[str, Module] = {}
        self.packages = [f"pkg{p:02d}" for p in range(packages)]
        self.next_id = per_package
        for pkg in self.packages:
            for m in range(per_package):
                self.add_module(pkg, m)

    def add_module(self, pkg: str, number: int) -> Module:
        name = f"mono.{pkg}.mod{number:03d}"
        mod = Module(name, f"mono/{pkg}/mod{number:03d}.py")
        self.modules[name] = mod
        return mod

    def plain(self) -> list[Module]:
        return [m for n, m in self.modules.items() if n != TARGET]

    # -- what the numbers must be -------------------------------------------------------------
    def expected(self, index: int, message: str) -> Expected:
        exists = TARGET in self.modules
        importers: dict[str, set[str]] = {}
        for mod in self.modules.values():
            if mod.broken:
                continue
            for imported in mod.imports:
                if imported in self.modules:
                    importers.setdefault(imported, set()).add(mod.name)
        direct = len(importers.get(TARGET, ())) if exists else 0
        seen: set[str] = set()
        queue = deque([TARGET]) if exists else deque()
        while queue:
            for importer in importers.get(queue.popleft(), ()):
                if importer not in seen and importer != TARGET:
                    seen.add(importer)
                    queue.append(importer)
        broken = sum(1 for m in self.modules.values() if m.broken)
        return Expected(index, message, exists, direct, len(seen), broken)

    # -- how files look -----------------------------------------------------------------------
    def render(self, mod: Module) -> str:
        if mod.name == TARGET:
            return ORM_SOURCE
        lines = [f'"""Module {mod.name}: generated for prepctl trend tests."""', "",
                 "from __future__ import annotations", ""]
        late: list[str] = []
        for imported in sorted(mod.imports):
            style = mod.styles.setdefault(imported, self.rng.randrange(6))
            stmt, in_function = import_statement(mod.name, imported, style)
            (late if in_function else lines).append(stmt)
        lines += padding(mod.name, self.body_lines)
        for stmt in late:
            lines += ["", "def load():", f"    {stmt}", "    return True", ""]
        if mod.broken:
            lines += ["", "def broken(:", "    pass", ""]
        return "\n".join(lines) + "\n"


def padding(name: str, about: int) -> list[str]:
    """Ordinary code after the imports, so files are as long as a real monolith's (stable per module)."""
    seed = zlib.crc32(name.encode())
    target = about // 2 + seed % max(1, about)
    lines: list[str] = []
    number = 0
    while len(lines) < target:
        number += 1
        lines += ["", "", f"class Record{number}:", f'    """Record {number} of {name}."""', "",
                  "    def __init__(self, key: str, amount: int = 0) -> None:",
                  "        self.key = key", "        self.amount = amount", "",
                  "    def total(self, rate: float = 1.0) -> float:",
                  "        if self.amount < 0:", '            raise ValueError("negative amount")',
                  f"        return self.amount * rate + {seed % 97}", "",
                  f"def summarise_{number}(records: list[Record{number}]) -> dict[str, float]:",
                  "    out: dict[str, float] = {}", "    for record in records:",
                  "        out[record.key] = out.get(record.key, 0.0) + record.total()",
                  "    return out"]
    return lines


ORM_SOURCE = '''"""The ORM everything still depends on."""


class Booking:
    pass


class Kitchen:
    pass
'''


def import_statement(importer: str, imported: str, style: int) -> tuple[str, bool]:
    """One of several spellings of "importer imports imported"; True if inside a function."""
    parent, _, leaf = imported.rpartition(".")
    importer_pkg = importer.rpartition(".")[0]
    if style == 0:
        return f"import {imported}", False
    if style == 1:
        return f"from {parent} import {leaf}", False
    if style == 2 and imported == TARGET:
        return f"from {imported} import Booking, Kitchen", False
    if style == 3:
        # Relative: from the importer's package up to `mono`, then down.
        up = importer_pkg.count(".") + 1  # dots needed to reach the `mono` level from the package
        rel_parent = parent.removeprefix("mono.")
        if parent == importer_pkg:
            return f"from . import {leaf}", False
        return f"from {'.' * up}{rel_parent} import {leaf}", False
    if style == 4:
        return f"from {parent} import {leaf}", True
    return f"import {imported}", True


def fast_import_stream(commits: list[tuple[str, dict[str, str | None]]]) -> bytes:
    out: list[bytes] = []
    for number, (message, changes) in enumerate(commits, start=1):
        msg = message.encode()
        when = START_TIME + number * COMMIT_SPACING
        out.append(b"commit refs/heads/main\n")
        out.append(b"mark :%d\n" % number)
        out.append(b"committer gen <gen@example.invalid> %d +0000\n" % when)
        out.append(b"data %d\n%s\n" % (len(msg), msg))
        if number > 1:
            out.append(b"from :%d\n" % (number - 1))
        for path, content in sorted(changes.items()):
            if content is None:
                out.append(b"D %s\n" % path.encode())
            else:
                data = content.encode()
                out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
        out.append(b"\n")
    return b"".join(out)


def generate(repo: Path, *, commits: int, packages: int, per_package: int, seed: int = 6,
             break_rate: float = 0.06, body_lines: int = 20) -> History:
    """Write the history into a new repository at ``repo`` and return what each commit must show."""
    rng = random.Random(seed)
    model = Model(rng, packages, per_package, body_lines)
    repo.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=GIT_ENV)

    stream: list[tuple[str, dict[str, str | None]]] = []
    expected: list[Expected] = []
    biggest = 0

    def record(message: str, changes: dict[str, str | None]) -> None:
        nonlocal biggest
        stream.append((message, changes))
        expected.append(model.expected(len(expected), message))
        biggest = max(biggest, len(model.modules))

    # Commit 0: the scaffold, no ORM yet, a few imports between ordinary modules.
    files: dict[str, str | None] = {"mono/__init__.py": "", "README.md": "# mono\n"}
    for pkg in model.packages:
        files[f"mono/{pkg}/__init__.py"] = f'"""Package {pkg}."""\n'
    for mod in model.plain():
        if rng.random() < 0.3:
            mod.imports.add(rng.choice(model.plain()).name)
            mod.imports.discard(mod.name)
    for mod in model.plain():
        files[mod.path] = model.render(mod)
    record("scaffold", files)

    # Commit 1: the ORM appears, with its first importers.
    orm = Module(TARGET, TARGET_PATH)
    model.modules[TARGET] = orm
    changes: dict[str, str | None] = {"mono/core/__init__.py": "", TARGET_PATH: ORM_SOURCE}
    for mod in rng.sample(model.plain(), 5):
        mod.imports.add(TARGET)
        changes[mod.path] = model.render(mod)
    record("add the ORM", changes)

    broken_until: dict[str, int] = {}
    growth_end = int(commits * 0.45)
    removal_at = commits - 3  # the ORM is deleted for the last commits
    for index in range(2, commits):
        changes = {}
        message = f"commit {index}"

        def touch(mod: Module, changes: dict[str, str | None] = changes) -> None:
            changes[mod.path] = model.render(mod)

        # Fix files whose breakage has run its course.
        for name, until in list(broken_until.items()):
            if index >= until and name in model.modules:
                model.modules[name].broken = False
                touch(model.modules[name])
                del broken_until[name]
        roll = rng.random()
        if index == removal_at:
            for mod in model.plain():
                if TARGET in mod.imports:
                    mod.imports.discard(TARGET)
                    touch(mod)
            del model.modules[TARGET]
            changes[TARGET_PATH] = None
            message += ": decommission the ORM"
        elif index > removal_at:
            changes["README.md"] = f"# mono\n\nafter the ORM, {index}\n"
            message += ": docs"
        elif roll < 0.05:
            changes["README.md"] = f"# mono\n\nrevision {index}\n"
            message += ": docs only"
        elif roll < 0.05 + break_rate:
            candidates = [m for m in model.plain() if not m.broken and TARGET in m.imports] or \
                [m for m in model.plain() if not m.broken]
            victim = rng.choice(candidates)
            victim.broken = True
            broken_until[victim.name] = index + rng.randint(1, 4)
            touch(victim)
            message += f": syntax error in {victim.path}"
        elif roll < 0.17:
            pkg = rng.choice(model.packages)
            mod = model.add_module(pkg, model.next_id)
            model.next_id += 1
            if rng.random() < 0.5:
                mod.imports.add(TARGET if TARGET in model.modules else rng.choice(model.plain()).name)
            else:
                mod.imports.add(rng.choice(model.plain()).name)
            mod.imports.discard(mod.name)
            touch(mod)
            message += f": add {mod.name}"
        elif roll < 0.22:
            victim = rng.choice([m for m in model.plain() if not m.broken])
            for mod in model.plain():
                if victim.name in mod.imports:
                    mod.imports.discard(victim.name)
                    touch(mod)
            del model.modules[victim.name]
            changes[victim.path] = None
            message += f": delete {victim.name}"
        else:
            # Grow or burn down the ORM's importers, and add an ordinary import or two.
            plain = [m for m in model.plain() if not m.broken]
            if index < growth_end:
                free = [m for m in plain if TARGET not in m.imports]
                for mod in rng.sample(free, min(len(free), rng.randint(1, 4))):
                    mod.imports.add(TARGET)
                    touch(mod)
            else:
                users = [m for m in plain if TARGET in m.imports]
                for mod in rng.sample(users, min(len(users), rng.randint(1, 5))):
                    mod.imports.discard(TARGET)
                    touch(mod)
            for _ in range(rng.randint(0, 2)):
                a, b = rng.sample(plain, 2)
                a.imports.add(b.name)
                touch(a)
        record(message, changes)

    proc = subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=fast_import_stream(stream),
                          env=GIT_ENV, capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.decode())
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=repo, check=True, env=GIT_ENV)
    shas = subprocess.run(["git", "rev-list", "--reverse", "main"], cwd=repo, check=True, env=GIT_ENV,
                          capture_output=True, text=True).stdout.split()
    assert len(shas) == len(expected) == commits
    return History(repo, expected, shas, biggest)
