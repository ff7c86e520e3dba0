"""The repository a plan talks about, as the recognisers see it: files, their modules, settings
(found with the flag reader, so with file:line) and documents. Read as text only; nothing is
imported or run. Answers are cached: a plan names the same things many times."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

from prepctl.sources.documents import DocumentError, load_document, require_document_file
from prepctl.sources.settings import SettingSearch, find_setting
from prepctl.sources.tree import Tree, WorkTree


@dataclass
class Repository:
    root: Path
    tree: Tree = field(init=False)
    _settings: dict[str, SettingSearch] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.tree = WorkTree(self.root)

    @cached_property
    def files(self) -> list[str]:
        return list(self.tree.files())

    @cached_property
    def folders(self) -> set[str]:
        return set(self.tree.dirs())

    @cached_property
    def source_roots(self) -> tuple[str, ...]:
        from prepctl.graph.load import default_include

        return default_include(self.root)

    def exists(self, rel: str) -> bool:
        rel = rel.strip("/")
        return rel in self.folders or rel in self.files

    def is_dir(self, rel: str) -> bool:
        return rel.strip("/") in self.folders

    def resolve(self, rel: str) -> str | None:
        """Where a path the plan names is: as written, or below a source root (a plan may write
        ``airflow/models`` for ``src/airflow/models``). None when it is nowhere."""
        rel = rel.strip("/")
        if self.exists(rel):
            return rel
        for source_root in self.source_roots:
            candidate = f"{source_root.rstrip('/')}/{rel}"
            if source_root != "." and self.exists(candidate):
                return candidate
        return None

    def new_path(self, rel: str) -> str:
        """Where something the plan will create goes: beside its parent folder, wherever that
        folder resolves to (``airflow/teams`` is ``src/airflow/teams`` in a src layout)."""
        rel = rel.strip("/")
        found = self.resolve(rel)
        if found is not None:
            return found
        parent, _, name = rel.rpartition("/")
        where = self.resolve(parent) if parent else None
        return f"{where}/{name}" if where else rel

    def find_document(self, name: str) -> str | None:
        """A document the plan names: at that path, or, for a bare file name, the one file of
        that name in the repository (None when there is none or several)."""
        name = name.strip("/")
        found = self.resolve(name)
        if found is not None and found in self.files:
            return found
        if "/" in name:
            return None
        matches = [f for f in self.files if PurePosixPath(f).name == name]
        return matches[0] if len(matches) == 1 else None

    def read(self, rel: str) -> str | None:
        """A text file's content; None for what must not be opened (a FIFO, a link out of the
        root, a file over the document size limit) or is not UTF-8 text."""
        try:
            require_document_file(self.tree, rel)
            return self.tree.read_bytes(rel).decode("utf-8")
        except (OSError, UnicodeDecodeError, DocumentError):
            return None

    def load(self, rel: str) -> tuple[Any, str | None]:
        """A YAML or JSON document, parsed with the gates' own loader (size-limited, no alias
        bombs), or None and the reason it cannot be read."""
        try:
            require_document_file(self.tree, rel)
            return load_document(self.tree, rel).data, None
        except FileNotFoundError:
            return None, f"{rel}: not found"
        except (OSError, DocumentError) as exc:
            return None, f"{rel}: {exc}"

    def module_of(self, rel: str) -> str | None:
        """The dotted module of a Python file or package folder below a source root."""
        rel = rel.strip("/")
        path = PurePosixPath(rel)
        if path.suffix == ".py":
            path = path.with_suffix("")
            if path.name == "__init__":
                path = path.parent
        elif rel.endswith((".pyi", ".json", ".yaml", ".yml", ".md")):
            return None
        for source_root in self.source_roots:
            if source_root != "." and not str(path).startswith(source_root.rstrip("/") + "/"):
                continue
            inner = path if source_root == "." else path.relative_to(source_root)
            parts = inner.parts
            if parts and all(p.isidentifier() for p in parts):
                return ".".join(parts)
        return None

    def is_package(self, rel: str) -> bool:
        return f"{rel.strip('/')}/__init__.py" in self.files

    def has_module(self, module: str) -> bool:
        """Whether a file or package folder of the module exists under a source root."""
        as_path = module.replace(".", "/")
        for source_root in self.source_roots:
            base = as_path if source_root == "." else f"{source_root.rstrip('/')}/{as_path}"
            if f"{base}.py" in self.files or base in self.folders:
                return True
        return False

    def top_packages(self) -> list[str]:
        """Top-level Python packages and modules below the source roots (tests left out)."""
        found: set[str] = set()
        for rel in self.files:
            if not rel.endswith(".py"):
                continue
            module = self.module_of(rel)
            if module:
                top = module.partition(".")[0]
                if top not in ("tests", "test", "migrations", "alembic", "conftest", "setup", "build"):
                    found.add(top)
        return sorted(found)

    def setting(self, name: str) -> SettingSearch:
        if name not in self._settings:
            self._settings[name] = find_setting(self.tree, name)
        return self._settings[name]
