"""Find every place a setting gets its static default, without importing the monolith.

Settings live in several shapes in real code; each is read as text or AST, one module per style:

- :mod:`.python`: pydantic ``BaseSettings`` (``env_prefix`` + field, ``alias``,
  ``validation_alias``, v1 ``env=``) and plain ``BaseModel`` fields with an alias; ``os.getenv`` /
  ``os.environ``; django-environ (``env.bool("X", default=False)``, ``env("X", default=...)``,
  ``environ.Env(X=(bool, False))``); environs (``env.bool("X", False)``); module constants (Django
  ``settings.py``); keys of flag dicts (``DEFAULT_FEATURE_FLAGS = {"X": False}``). Computed
  defaults are folded by :mod:`.fold` within a documented subset, or reported as computed;
- :mod:`.dotenv`: ``.env`` files;
- :mod:`.structured`: YAML/JSON (Helm values, Kubernetes env entries, compose ``environment:``,
  config schemas with ``default:``) and TOML (``settings.toml``, ``pyproject.toml``);
- :mod:`.ini`: INI / cfg files (configparser).

The result lists each definition with its file and line, plus names close to the one asked for
("did you mean"). Deciding whether they agree is the gate's business (``prepctl.gates.flag``).
Each file's scan (:mod:`.filescan`) is looked up by content first when a cache is given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from prepctl.sources.settings.dotenv import parse_dotenv
from prepctl.sources.settings.filescan import FileScanner, Seen, file_type_of, module_loader
from prepctl.sources.settings.model import (
    Default,
    DefaultKind,
    NearName,
    SettingDefinition,
    SettingSearch,
    Unreadable,
    closeness,
)
from prepctl.sources.settings.python import CLASS_HINT, could_define
from prepctl.sources.tree import NotARegularFile, matches_any

if TYPE_CHECKING:
    from prepctl.contentcache import ContentCache
    from prepctl.sources.tree import Tree

__all__ = ["DEFAULT_EXCLUDE", "DEFAULT_FILES", "Default", "DefaultKind", "NearName", "SettingDefinition",
           "SettingSearch", "Unreadable", "candidate_files", "file_type_of", "find_setting", "module_loader",
           "parse_dotenv"]

#: Where settings live when a criterion does not say: code, dotenv, YAML, TOML and INI/cfg files.
DEFAULT_FILES: tuple[str, ...] = ("**/*.py", "**/.env", "**/.env.*", "**/*.env", "**/*.yaml", "**/*.yml",
                                  "**/*.toml", "**/*.cfg", "**/*.ini")
#: Tests set flags to whatever they exercise; their values are not the product's defaults.
DEFAULT_EXCLUDE: tuple[str, ...] = ("**/tests/**", "**/test/**", "tests/**", "test/**", "**/test_*.py",
                                    "**/*_test.py", "**/conftest.py",
                                    # Lock files and vendored packages: a package named `debug`
                                    # is not the DEBUG setting.
                                    "**/node_modules/**", "node_modules/**", "**/pnpm-lock.yaml",
                                    "**/*-lock.yaml", "**/*-lock.yml", "**/*.lock")
#: How many "did you mean" names a search keeps.
MAX_NEAR = 5
#: How many more files a search that found nothing may parse for "did you mean" hints.
MAX_NEAR_FILES = 50


def find_setting(tree: Tree, name: str, attribute: str | None = None,
                 files: Sequence[str] = DEFAULT_FILES,
                 exclude: Sequence[str] = DEFAULT_EXCLUDE, cache: ContentCache | None = None) -> SettingSearch:
    """Every definition of ``name`` (an env var / alias) or ``attribute`` (a Python name).

    With ``cache``, each file's scan is looked up by content first (:mod:`.filescan`)."""

    search = SettingSearch(name=name, attribute=attribute)
    needles = _needles(name, attribute)
    scanner = FileScanner(tree, name, attribute, cache)
    texts: dict[str, str] = {}  # files not parsed, kept for the "did you mean" pass
    for rel in candidate_files(tree, files):
        if exclude and matches_any(rel, exclude):
            continue
        search.files_searched += 1
        try:
            data = tree.read_bytes(rel)
        except NotARegularFile as exc:  # its content is unknown: it may define the name
            search.unreadable.append(Unreadable(rel, f"{exc.kind}, not a regular file"))
            continue
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if any(n.encode() in data.lower() for n in needles):
                search.unreadable.append(Unreadable(rel, f"not UTF-8 text (byte {exc.start})"))
            continue
        lowered = text.lower()
        file_type = file_type_of(rel)
        # Python names are case-sensitive: `logger.debug` does not mention DEBUG (this keeps a
        # common name from parsing half the monolith). Config keys are matched in any case.
        mentions = could_define(text, name, attribute) if file_type == "python" else \
            any(n in lowered for n in needles)
        # A settings class may build the env name from env_prefix + field, so the full name need
        # not appear in its file; any file that declares a settings class gets parsed.
        if not mentions and not (file_type == "python" and "Settings" in text and CLASS_HINT.search(text)):
            texts[rel] = lowered
            continue
        scan = scanner.scan(rel, data, text)
        search.definitions.extend(scan.found)
        if scan.problem is not None and mentions:
            search.unreadable.append(scan.problem)
        _collect_near(search, rel, scan.seen)
    if not search.definitions and not search.unreadable:
        _near_pass(tree, search, texts, scanner)
    search.definitions = dedupe(search.definitions)
    return search


def _collect_near(search: SettingSearch, rel: str, seen: Sequence[Seen]) -> None:
    for seen_name, line, *extra in seen:
        note, loose = (extra[0], bool(extra[1])) if len(extra) == 2 else ("", False)
        why = closeness(search.name, seen_name, loose) or (
            closeness(search.attribute, seen_name, loose) if search.attribute else None)
        if why and note:
            why = f"{why}, {note}"
        if why and len(search.near) < MAX_NEAR and not any(
                n.name == seen_name and n.path == rel for n in search.near):
            search.near.append(NearName(seen_name, rel, line, why))


def _near_pass(tree: Tree, search: SettingSearch, texts: dict[str, str], scanner: FileScanner) -> None:
    """Nothing found: parse the files that mention the name in another case, or a shorter form of
    it (``auto_activate`` for ``ZENML_SERVER_AUTO_ACTIVATE``, at least two words), for "did you
    mean" hints only."""
    words = search.name.lower().split("_")
    shorter = [search.name.lower()] + ["_".join(words[i:]) for i in range(1, len(words) - 1)
                                       if "".join(words[i:])]
    # A word, or the end of a prefixed one, that is not an attribute: `debug = False` and
    # `MYAPP_DEBUG` are candidates, `logger.debug(...)` is not.
    word = re.compile("|".join(rf"(?:(?<![.\w])|(?<=_)){re.escape(form)}(?!\w)" for form in shorter))
    parsed = 0
    for rel, lowered in texts.items():
        if parsed >= MAX_NEAR_FILES or len(search.near) >= MAX_NEAR:
            return
        if not any(s in lowered for s in shorter) or not word.search(lowered):
            continue
        parsed += 1
        try:
            data = tree.read_bytes(rel)
            text = data.decode("utf-8")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, NotARegularFile, UnicodeDecodeError):
            continue
        _collect_near(search, rel, scanner.scan(rel, data, text).seen)


def _needles(name: str, attribute: str | None) -> list[str]:
    needles = [n.lower() for n in (name, attribute) if n]
    if "__" in name:  # AIRFLOW__CORE__LOAD_EXAMPLES is `load_examples` in config.yml / .cfg
        needles.append(name.rsplit("__", 1)[1].lower())
    return needles


def candidate_files(tree: Tree, patterns: Sequence[str]) -> list[str]:
    seen: dict[str, None] = {}
    for pattern in patterns:
        for rel in tree.glob(pattern):
            seen.setdefault(rel, None)
    return list(seen)


def dedupe(found: list[SettingDefinition]) -> list[SettingDefinition]:
    """One definition per line and value: ``X = os.getenv("X", "0")`` is both a constant and an
    env read, and both fold the same expression. Two definitions on one line that differ are
    both kept, so the gate reports them as disagreeing rather than picking one."""
    best: dict[tuple[str, int, str, str], SettingDefinition] = {}
    for item in found:
        key = (item.path, item.line, item.kind.value, repr(item.value))
        best.setdefault(key, item)
    return sorted(best.values(), key=lambda d: (d.path, d.line))
