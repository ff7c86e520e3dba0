"""Raw import statements to edges between the scanned modules (the rules grimp uses)."""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from prepctl.graph.scan.files import nfkc
from prepctl.graph.scan.model import (
    DYNAMIC,
    DYNAMIC_FLAG,
    FROM_FLAG,
    GUARDED_FLAG,
    IMPORT,
    OPAQUE_FLAG,
    SKIPPED,
    TYPE_CHECKING_FLAG,
    FileEntry,
    ImportEdge,
    ParsedFile,
    RawImport,
    ScanProblem,
)


def _flags_of(flags: int) -> tuple[bool, bool, bool]:
    return bool(flags & TYPE_CHECKING_FLAG), bool(flags & GUARDED_FLAG), bool(flags & DYNAMIC_FLAG)


def resolve(entries: list[FileEntry], parsed: dict[str, ParsedFile],
            modules: AbstractSet[str] | None = None,
            ) -> tuple[list[ImportEdge], list[ImportEdge], list[ScanProblem]]:
    """Turn each file's raw imports into edges between the scanned modules.

    Rules (those of grimp, so the oracle tests can compare): ``import a.b.c`` and
    ``from a.b import c`` link to ``a.b.c`` if it is a module, else to its parent ``a.b`` if that
    is one (c is then a name defined in a.b); anything else is external.

    ``modules`` (default: the entries' own) lets `graph trend` resolve only the files that
    changed in a commit against all of that commit's modules. Resolution only ever asks
    ``name in modules``, so a set that records its lookups tells which names a file depends on.
    """
    if modules is None:
        modules = {e.module for e in entries}
    edges: list[ImportEdge] = []
    external: list[ImportEdge] = []
    problems: list[ScanProblem] = []
    for entry in entries:
        result = parsed.get(entry.rel)
        if result is None:
            continue
        if result.problem is not None:
            line, reason = result.problem
            problems.append(ScanProblem(entry.rel, line, reason, SKIPPED, entry.module))
            continue
        importer = entry.module
        # Several names of one statement that land in the same module become one edge.
        pending: dict[tuple[str, int, int], list[str]] = {}
        external_seen: set[tuple[str, int]] = set()
        for raw in result.imports:
            if raw.flags & OPAQUE_FLAG:
                problems.append(ScanProblem(entry.rel, raw.line, "dynamic import with a computed module "
                                            "name (import_module/__import__/run_module/exec, or a loader "
                                            "under another name): what it imports is unknown to the graph",
                                            DYNAMIC, entry.module))
                continue
            if not raw.module.isascii() or not all(name.isascii() for name in raw.names):
                # Python reads identifiers NFKC-normalised: `import pkg.ｔarget` is pkg.target.
                raw = raw._replace(module=nfkc(raw.module), names=tuple(nfkc(n) for n in raw.names))
            if raw.level:
                package_parts = importer.split(".") if entry.is_package else importer.split(".")[:-1]
                if raw.level > len(package_parts):
                    problems.append(ScanProblem(entry.rel, raw.line, "relative import beyond the "
                                                "top-level package; ignored (it fails at run time)",
                                                IMPORT, entry.module))
                    continue
                base = ".".join(package_parts[: len(package_parts) - raw.level + 1])
                if raw.module:
                    base = f"{base}.{raw.module}"
            else:
                base = raw.module
            if raw.flags & FROM_FLAG:
                for name in raw.names:
                    target = None
                    if name != "*":
                        candidate = f"{base}.{name}"
                        if candidate in modules:
                            target = candidate
                    if target is None and base in modules:
                        target = base
                    if target is not None:
                        pending.setdefault((target, raw.line, raw.flags), []).append(name)
                    elif not raw.level:
                        _external(external, external_seen, entry, raw, base)
            else:
                target = base if base in modules else None
                if target is None:
                    parent = base.rpartition(".")[0]
                    if parent and parent in modules:
                        target = parent
                if target is not None:
                    pending.setdefault((target, raw.line, raw.flags), [])
                else:
                    _external(external, external_seen, entry, raw, base)
        for (target, line, flags), names in pending.items():
            if target == importer:
                continue  # `from . import x` inside x's own package __init__ naming itself
            tc, guarded, dynamic = _flags_of(flags)
            edges.append(ImportEdge(importer, target, entry.rel, line, tuple(names), tc, guarded, dynamic))
    return edges, external, problems


def _external(out: list[ImportEdge], seen: set[tuple[str, int]], entry: FileEntry,
              raw: RawImport, base: str) -> None:
    top = base.partition(".")[0]
    if not top or (top, raw.line) in seen:
        return
    seen.add((top, raw.line))
    tc, guarded, dynamic = _flags_of(raw.flags)
    out.append(ImportEdge(entry.module, top, entry.rel, raw.line, raw.names, tc, guarded, dynamic))
