"""Which files the import scanner reads, and under which module name: the walk and the naming.

The rule this module keeps: **every file Python could import is either scanned or reported as
skipped, with its reason.** A file the graph silently drops is an import a contract cannot see.

- A ``.py`` file gets a module name from its path below the innermost source root that holds
  it (``prep/models/orm.py`` -> ``prep.models.orm``). A stem that importlib can load by name but
  that is not an identifier (rich's ``unicode10-0-0.py``, Django's ``0001_initial.py``) is
  scanned under its literal name, as grimp does.
- Names are NFKC-normalised as Python's tokenizer normalises identifiers, so ``ｔarget.py`` is
  ``target`` (and ``import pkg.ｔarget`` in code lands on ``pkg.target``, see ``resolve``).
- A file that has no dotted name (``bad name.py``, a newline or ESC in the name, ``a.b.py``,
  ``.hidden.py``, ``__init__ .py``), a folder whose name is not an identifier that holds
  Python files, a Windows-only ``.pyw`` source, a name ending ``.py `` (trailing space): each
  can still be loaded (``import_module``, ``spec_from_file_location``), so each is *reported*
  as skipped. Its imports are unknown, and a contract over it says so (see
  ``prepctl.graph.check``).
- Symlinks: one inside the root is followed (a folder once, never into a folder that holds
  the link: a loop is reported); one pointing outside the root, dangling, or at something that
  is not a regular file (FIFO, device, socket) is reported and never opened. A ``.py`` that is
  itself a FIFO or a device is reported, never opened.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from prepctl.graph.scan.model import LAYOUT, SKIPPED, FileEntry, ScanProblem
from prepctl.sources.tree import IGNORED_DIRS, WorkTree, matches_any, normalise

#: mtimes closer to "now" than this may still change within the same timestamp tick, so a
#: stat match is not trusted for them (git calls these entries "racily clean").
RACY_NS = 2_000_000_000
#: Symlinked folders followed in one walk at most: links between folders can multiply a tree
#: (ten links to a folder holding ten links ...), and each followed one is walked in full.
MAX_FOLLOWED_LINKS = 1_000

#: A file stem importlib can load by name: rich's `_unicode_data/unicode10-0-0.py` is loaded with
#: import_module(), and grimp counts it as a module too.
_STEM = re.compile(r"[\w-]+")
#: Names that are Python source somewhere but not ``.py`` here: reported, not scanned.
_OTHER_SOURCE = re.compile(r"\.pyw$|\.py\s+$")


def printable(text: str) -> str:
    """``text`` with control and other invisible characters as ``\\xNN`` escapes: a file name
    with a newline or ESC must not break (or drive) the output that names it."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def nfkc(name: str) -> str:
    """An identifier as Python's tokenizer reads it (PEP 3131: NFKC); ASCII is returned as is."""
    return name if name.isascii() else unicodedata.normalize("NFKC", name)


class ScanScope(Protocol):
    """What naming needs from a scan config (``prepctl.graph.scan.config.ScanConfig``)."""

    include: tuple[str, ...]
    exclude: tuple[str, ...]
    packages: tuple[str, ...]


def source_roots(config: ScanScope) -> list[str]:
    """The configured source roots as tree-relative folders, "" for the checkout itself."""
    roots = [normalise(r).rstrip("/") for r in config.include or (".",)]
    return ["" if r in ("", ".") else r for r in roots]


def _below(rel: str, root: str) -> str | None:
    if root in ("", "."):
        return rel
    return rel[len(root) + 1:] if rel.startswith(root + "/") else None


def module_name(rel: str, root: str) -> tuple[str, bool] | None:
    """(module name, is_package) of a ``.py`` file at ``rel`` below source root ``root``.

    None when the path cannot be a module by name: outside the root, in a folder whose name is
    not a Python identifier (``my-scripts/x.py``), a stem with a dot, a space or a control
    character, or the root's own ``__init__.py``. ``unnamed_reason`` says which.
    """
    inner = _below(rel, root)
    if inner is None:
        return None
    parts = [nfkc(part) for part in inner[:-3].split("/")]
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
        if not parts:
            return None  # the root's own __init__.py: the root is a folder on sys.path
    # Folders must be identifiers to be packages; a file stem need not be (Django's
    # migrations/0001_initial.py is loaded by importlib, and still imports things).
    for part in parts[:-1] if not is_package else parts:
        if not part.isidentifier():
            return None
    if not _STEM.fullmatch(parts[-1]):
        return None  # `a.b.py`, `my tool.py`: no dotted name reaches these
    return ".".join(parts), is_package


def literal_module(rel: str, roots: Iterable[str]) -> str:
    """The dotted name a file would have read literally (``app/bad name.py`` -> ``app.bad
    name``), below the innermost root that holds it: for matching a problem to a contract."""
    inner = rel
    for root in sorted(roots, key=lambda r: r.count("/") if r else -1, reverse=True):
        below = _below(rel, root)
        if below is not None:
            inner = below
            break
    stem = re.sub(r"(?:/__init__)?\.py\S*\s*$", "", inner)
    return ".".join(nfkc(part) for part in stem.split("/"))


def unnamed_reason(rel: str, root: str) -> str:
    """Why a ``.py`` file below ``root`` has no module name (``module_name`` gave None)."""
    inner = _below(rel, root) or rel
    *folders, name = inner.split("/")
    for folder in folders:
        if not nfkc(folder).isidentifier():
            return (f"folder '{printable(folder)}' is not a Python name, so no dotted import reaches "
                    "this file; not scanned (importlib can still load it by path)")
    return (f"file name '{printable(name)}' is not a Python module name; importlib can still load it "
            "(import_module, spec_from_file_location), so its imports are unknown: rename it, or "
            "list it in the contract's allow_skipped")


def excluded(rel: str, exclude: tuple[str, ...]) -> bool:
    if not exclude:
        return False
    if matches_any(rel, exclude):
        return True
    # A pattern that names a folder (`tests`, `vendor/`) excludes everything below it.
    parent = rel.rpartition("/")[0]
    while parent:
        if matches_any(parent, exclude) or matches_any(parent + "/", exclude):
            return True
        parent = parent.rpartition("/")[0]
    return False


def select_modules(paths: Iterable[str], config: ScanScope) -> tuple[list[FileEntry], list[ScanProblem]]:
    """Name every .py path under the configured roots; drop excluded ones; report the ones
    that have no module name (they could still be loaded, so they are never dropped quietly)."""
    # The innermost root that holds a file names it, whatever the order: with [., services/x/src],
    # services/x/src/x/core.py is x.core, as it is on that service's sys.path.
    roots = sorted(source_roots(config), key=lambda r: r.count("/") if r else -1, reverse=True)
    packages = set(config.packages)
    by_module: dict[str, FileEntry] = {}
    problems: list[ScanProblem] = []
    for rel in paths:
        if excluded(rel, config.exclude):
            continue
        for root in roots:
            named = module_name(rel, root)
            if named is None:
                if _below(rel, root) is None or _below(rel, root) == "__init__.py":
                    continue
                literal = literal_module(rel, [root])
                if not packages or literal.partition(".")[0] in packages:
                    problems.append(ScanProblem(printable(rel), None, unnamed_reason(rel, root),
                                                SKIPPED, literal))
                break
            name, is_package = named
            if packages and name.partition(".")[0] not in packages:
                break
            entry = FileEntry(rel, name, is_package)
            existing = by_module.get(name)
            if existing is None:
                by_module[name] = entry
            elif existing.is_package != is_package:
                # Python prefers the package `x/__init__.py` over the module `x.py`. The shadowed
                # file still runs when loaded by path (like `bad name.py`): its imports are
                # unknown, so it is a skipped file, not a layout remark a contract may ignore.
                keep, drop = (existing, entry) if existing.is_package else (entry, existing)
                by_module[name] = keep
                problems.append(ScanProblem(printable(drop.rel), None, f"shadowed by package {keep.rel} "
                                            "(importable by path only); skipped", SKIPPED, name))
            else:
                # Overlapping roots: the same file under two names, its imports known. Two files whose
                # names are equal after NFKC (`target.py`, `ｔarget.py`): import_module() still loads
                # the dropped one by its literal name, so its imports are unknown.
                kind = LAYOUT if rel.isascii() and existing.rel.isascii() else SKIPPED
                problems.append(ScanProblem(printable(rel), None, f"module {name} is also {existing.rel} "
                                            "(overlapping source roots, or names equal after NFKC "
                                            "normalisation); skipped", kind, name))
            break
    return sorted(by_module.values(), key=lambda e: e.module), problems


# ----------------------------------------------------------------------------- the walk


@dataclass
class Listing:
    """What a walk found: .py paths with their stat keys, the folder listings to remember, and
    the files found but not read, with why (tree-relative path, reason, problem kind)."""

    files: list[tuple[str, tuple[int, int, int, int]]]
    dirs: dict[str, list]
    problems: list[tuple[str, str, str]] = field(default_factory=list)


def _holds_python(path: str, budget: int = 5_000) -> bool:
    """Whether a folder has a Python file somewhere below it (at most ``budget`` entries read)."""
    seen = 0
    try:
        for _folder, dirnames, filenames in os.walk(path):
            dirnames[:] = [d for d in dirnames if d not in IGNORED_DIRS]
            seen += len(dirnames) + len(filenames)
            if any(name.endswith(".py") for name in filenames) or seen > budget:
                return True
    except RecursionError:  # os.walk recurses per level (before Python 3.12): absurdly deep
        return True
    return False


def other_source_reason(name: str) -> str:
    why = ("a Windows-only source suffix (.pyw): importable on Windows" if name.endswith(".pyw")
           else "the name ends in '.py' and a space, so it is no module by name, but importlib can "
                "load it by path")
    return f"{why}; not scanned"


def other_sources(paths: Iterable[str], config: ScanScope) -> list[ScanProblem]:
    """Files of a listing (a git revision's) that are Python source but not ``.py``: reported,
    as the work-tree walk reports them."""
    roots = source_roots(config)
    found = []
    for rel in paths:
        name = rel.rpartition("/")[2]
        if not _OTHER_SOURCE.search(name) or excluded(rel, config.exclude):
            continue
        literal = literal_module(rel, roots)
        if config.packages and literal.partition(".")[0] not in config.packages:
            continue
        if any(_below(rel, root) is not None for root in roots):
            found.append(ScanProblem(printable(rel), None, other_source_reason(name), SKIPPED, literal))
    return found


def _kind_of(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _read_folder(path: str, rel: str, exclude: tuple[str, ...]) -> list:
    """[subdirs, pyfiles, links, odd] of one folder: what can be remembered while its mtime
    stays the same (links are remembered by name only and looked at again on every walk)."""
    subdirs: list[str] = []
    pyfiles: list[str] = []
    links: list[str] = []
    odd: list[list[str]] = []
    prefix = f"{rel}/" if rel else ""
    with os.scandir(path) as it:
        for entry in it:
            name = entry.name
            child = prefix + name
            try:
                if entry.is_symlink():
                    links.append(name)
                elif entry.is_dir(follow_symlinks=False):
                    if name in IGNORED_DIRS or excluded(child, exclude) or excluded(child + "/", exclude):
                        continue
                    if nfkc(name).isidentifier():
                        subdirs.append(name)
                    elif _holds_python(entry.path):
                        odd.append([child + "/", f"folder '{printable(name)}' is not a Python name, so no "
                                    "dotted import reaches the Python files below it; not scanned "
                                    "(importlib can still load them by path)"])
                elif name.endswith(".py"):
                    if entry.is_file(follow_symlinks=False):
                        pyfiles.append(name)  # exclusion is select_modules' job, as for git trees
                    elif not excluded(child, exclude):
                        kind = _kind_of(entry.stat(follow_symlinks=False).st_mode)
                        odd.append([child, f"{kind}, not a regular file; never opened, not scanned"])
                elif _OTHER_SOURCE.search(name) and not excluded(child, exclude):
                    odd.append([child, other_source_reason(name)])
            except OSError:
                continue
    subdirs.sort()
    pyfiles.sort()
    links.sort()
    odd.sort()
    return [subdirs, pyfiles, links, odd]


@dataclass
class _Walk:
    base: str
    real_base: str
    exclude: tuple[str, ...]
    files: list[tuple[str, tuple[int, int, int, int]]] = field(default_factory=list)
    problems: list[tuple[str, str, str]] = field(default_factory=list)
    followed: int = 0

    def report(self, rel: str, reason: str, kind: str = SKIPPED) -> None:
        self.problems.append((rel, reason, kind))

    def inside(self, target: str) -> bool:
        return target == self.real_base or target.startswith(self.real_base.rstrip(os.sep) + os.sep)

    def add_file(self, rel: str, follow: bool) -> None:
        try:
            st = os.stat(f"{self.base}/{rel}") if follow else os.lstat(f"{self.base}/{rel}")
        except OSError:
            return
        self.files.append((rel, (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)))

    def link(self, rel: str, name: str, ancestors: frozenset[tuple[int, int]]) -> tuple[str, frozenset] | None:
        """Classify a symlink: a followed folder to walk (rel, ancestors), a file to read
        (added here), or a problem (recorded here). Never opens the target."""
        if excluded(rel, self.exclude):
            return None
        full = f"{self.base}/{rel}"
        shown = printable(rel)
        try:
            target = os.path.realpath(full)
            st = os.stat(full)
        except (OSError, RuntimeError):
            if name.endswith(".py"):
                self.report(rel, f"{shown} is a dangling or looping symlink; not scanned")
            return None
        where = printable(target)
        if stat.S_ISDIR(st.st_mode):
            if name in IGNORED_DIRS or excluded(rel + "/", self.exclude):
                return None
            if not nfkc(name).isidentifier():
                if self.inside(target) and _holds_python(full):
                    self.report(rel + "/", f"symlinked folder '{printable(name)}' is not a "
                                "Python name; the Python files below it are not scanned")
                return None
            if not self.inside(target):
                if _holds_python(full):
                    self.report(rel + "/", f"symlink to a folder outside the root ({where}); "
                                "not followed, so the modules below it are not scanned")
                return None
            identity = (st.st_dev, st.st_ino)
            if identity in ancestors:
                # The target is a folder being walked: its files are scanned under their own names.
                self.report(rel + "/", f"symlink loop: points at {where}, a folder that "
                            "holds the link (scanned under its own name); not followed again", LAYOUT)
                return None
            if self.followed >= MAX_FOLLOWED_LINKS:
                self.report(rel + "/", f"more than {MAX_FOLLOWED_LINKS:,} symlinked folders "
                            "in one scan; this one is not followed")
                return None
            self.followed += 1
            return rel, ancestors | {identity}
        if not name.endswith(".py"):
            return None
        if not stat.S_ISREG(st.st_mode):
            self.report(rel, f"symlink to {_kind_of(st.st_mode)} ({where}); never opened, not scanned")
        elif not self.inside(target):
            self.report(rel, f"symlink to a file outside the root ({where}); not read, so "
                        "its imports are unknown")
        else:
            self.add_file(rel, follow=True)
        return None


def walk_work_tree(root: Path, starts: list[str], exclude: tuple[str, ...],
                   remembered: dict[str, list], now_ns: int) -> Listing:
    """Walk below ``starts`` (folders relative to ``root``), reusing remembered listings of
    folders whose mtime has not changed (a folder's mtime changes when entries come or go)."""
    base = str(root)
    walk = _Walk(base, os.path.realpath(base), exclude)
    dirs: dict[str, list] = {}
    stack: list[tuple[str, frozenset[tuple[int, int]]]] = [(s, frozenset()) for s in reversed(starts)]
    while stack:
        rel, ancestors = stack.pop()
        path = f"{base}/{rel}" if rel else base
        try:
            st = os.stat(path)
        except OSError:
            continue
        ancestors = ancestors | {(st.st_dev, st.st_ino)}
        mtime = st.st_mtime_ns
        known = remembered.get(rel)
        if known is not None and len(known) == 5 and known[0] == mtime and mtime >= 0:
            listing = known[1:]
        else:
            try:
                listing = _read_folder(path, rel, exclude)
            except OSError as exc:
                walk.report((rel or ".") + "/", f"cannot list this folder ({exc.strerror or exc}): the "
                            "modules below it are not scanned")
                continue
        subdirs, pyfiles, links, odd = listing
        dirs[rel] = [mtime if mtime < now_ns - RACY_NS else -1, *listing]
        prefix = f"{rel}/" if rel else ""
        walk.problems.extend((path_, reason, SKIPPED) for path_, reason in odd)
        for name in pyfiles:
            walk.add_file(prefix + name, follow=False)
        following = [(prefix + name, ancestors) for name in subdirs]
        for name in links:
            linked = walk.link(prefix + name, name, ancestors)
            if linked is not None:
                following.append(linked)
        following.sort()
        stack.extend(reversed(following))
    walk.files.sort()
    walk.problems.sort()
    return Listing(walk.files, dirs, walk.problems)


def walk_starts(tree: WorkTree, config: ScanScope) -> list[str]:
    """Folders to walk: each source root, or with `packages`, just those packages' folders."""
    starts: list[str] = []
    for root in source_roots(config):
        if config.packages:
            for package in config.packages:
                path = f"{root}/{package}" if root else package
                if tree.is_dir(path):
                    starts.append(path)
        else:
            starts.append(root)
    # Overlapping roots (include: [src, .]) are walked once, from the outermost: each file is
    # listed once and select_modules gives it to the innermost root that holds it.
    return [start for start in dict.fromkeys(starts)
            if not any(other != start and (other == "" or start.startswith(other + "/")) for other in starts)]


def walk_problems(listing: Listing, config: ScanScope) -> list[ScanProblem]:
    """The walk's files found but not read, as scan problems naming the module each would be."""
    roots = source_roots(config)
    return [ScanProblem(printable(rel), None, reason, kind, literal_module(rel.rstrip("/"), roots))
            for rel, reason, kind in listing.problems]
