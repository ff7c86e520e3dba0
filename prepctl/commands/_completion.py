"""Shell completion of the values a command line names: phase ids, criterion ids, module names.

Typer calls these while the user presses TAB, so each one must answer at once and never spill
anything onto the terminal:

- the plan is found as the commands find it (``-c``/``--root`` typed earlier on the line, else
  ``PREPCTL_CONFIG``, else the nearest folder, here or above, holding ``phases.yaml`` or a
  ``pyproject.toml`` with ``[tool.prepctl]``); a plan that does not load gives no candidates, not
  a traceback;
- module names come from the import cache only (the last scan's snapshot of that root and
  config); completion never scans the tree, so with no cache (or ``--no-cache``) there are none.

When completing, click parses the line without running the app's callback, so ``ctx.obj`` holds no
``Session``: the global options are read from the root context's parsed parameters instead.
This module imports nothing heavy at the top: every command module imports it.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer

if TYPE_CHECKING:
    from prepctl.commands._session import Session
    from prepctl.plan.model import LoadedPlan

T = TypeVar("T")


def _quietly(produce: Callable[[], list[T]]) -> list[T]:
    """``produce()``, or no candidates when it fails; whatever it prints is swallowed, because a
    completion's output is the candidate list and stderr is the user's prompt."""
    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            return produce()
    except Exception:  # noqa: BLE001 - a broken plan or cache means no candidates, never a traceback
        return []


def line_session(ctx: typer.Context) -> Session:
    """The global options typed so far on the command line being completed."""
    from prepctl import workdir
    from prepctl.commands._session import Session

    params = ctx.find_root().params
    config, root = params.get("config"), params.get("root")
    # The callback that applies --cache-dir/--no-cache does not run while completing.
    workdir.configure(cache_dir=params.get("cache_dir"), enabled=not params.get("no_cache", False))
    return Session(config=Path(config) if config else None, root=Path(root) if root else None)


def _plan(ctx: typer.Context) -> LoadedPlan:
    return line_session(ctx).load_plan()


def complete_phases(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Phase ids of the plan, each with its title as the help text (zsh and fish show it)."""
    return _quietly(lambda: [(phase.id, phase.title or "") for phase in _plan(ctx).phases
                             if phase.id.startswith(incomplete)])


def complete_templates(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Template names (shipped, and the project's overrides next to phases.yaml)."""
    def produce() -> list[tuple[str, str]]:
        from prepctl.documents.engine import list_templates

        return [(info.name, "project override" if info.overrides_shipped else info.origin)
                for info in list_templates(_plan(ctx).config_dir) if info.name.startswith(incomplete)]

    return _quietly(produce)


def complete_history(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """``history``'s first word: a phase id, ``export`` or ``import`` (nothing after it)."""
    if ctx.params.get("args"):
        return []
    actions = [("export", "write every run as JSON Lines"), ("import", "add the runs of an export")]
    return [item for item in actions if item[0].startswith(incomplete)] + complete_phases(ctx, incomplete)


def complete_criteria(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Criterion ids of the phase already on the line (every phase's when none is)."""
    def produce() -> list[tuple[str, str]]:
        plan = _plan(ctx)
        known = {phase.id for phase in plan.phases}
        # With the option last and still empty (`signoff phase-1 --criterion <TAB>`), click's
        # lenient parse leaves the phase among the unparsed arguments instead of in params.
        wanted = ctx.params.get("phase") or next((arg for arg in ctx.args if arg in known), None)
        found: dict[str, str] = {}
        for phase in plan.phases:
            if wanted and phase.id != wanted:
                continue
            for spec in phase.criteria:
                if spec.id.startswith(incomplete):
                    found.setdefault(spec.id, spec.title or spec.kind)
        return list(found.items())

    return _quietly(produce)


def complete_modules(ctx: typer.Context, incomplete: str) -> list[str]:
    """Module names of the last import scan of this root, from the cache only (never a scan)."""
    def produce() -> list[str]:
        from prepctl.graph.scan.snapshot import cached_module_names

        settings = line_session(ctx).graph_settings()
        cache = settings.cache
        if cache is None:
            return []
        try:
            return [name for name in cached_module_names(cache, settings.root, settings.scan)
                    if name.startswith(incomplete)]
        finally:
            cache.close()

    return _quietly(produce)

