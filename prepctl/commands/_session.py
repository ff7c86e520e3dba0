"""What every command shares: the global options, read once by the app's callback.

The callback puts a :class:`Session` on typer's ``ctx.obj``; click hands the same object to every
sub-command's context, so a command reads ``session_of(ctx)`` instead of module-level state.
Heavy modules (the plan loader, the graph engine) are imported inside the methods so that
``prepctl --help`` loads none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from prepctl.graph.load import GraphSettings
    from prepctl.plan.model import LoadedPlan
    from prepctl.workdir import CacheSettings


@dataclass(frozen=True)
class Session:
    """The global options (``--config``, ``--root``, ``--cache-dir``, ``--no-cache``) of one invocation."""

    config: Path | None = None
    root: Path | None = None
    #: The command being run, e.g. "prepctl gate", for messages (set by :func:`session_of`).
    command: str | None = None
    cache_dir: Path | None = None
    no_cache: bool = False

    def apply_cache_settings(self) -> CacheSettings:
        """Make ``--cache-dir``/``--no-cache`` what every cache user sees (``workdir.cache_dir``);
        returns the settings before, to restore."""
        from prepctl import workdir

        return workdir.configure(cache_dir=self.cache_dir, enabled=not self.no_cache)

    def options(self) -> tuple[Path | None, Path | None]:
        """(config, root): the flags, else ``PREPCTL_CONFIG`` / ``PREPCTL_ROOT``; None: not set."""
        from prepctl.plan.options import global_options

        found = global_options(self.config, self.root)
        return found.config, found.root

    def load_plan(self, *, needs_phases: bool = True) -> LoadedPlan:
        """The plan (-c / PREPCTL_CONFIG, else the nearest phases.yaml or pyproject.toml with
        [tool.prepctl] above the current folder), with ``--root`` applied, its criteria validated
        against the installed gate kinds. ``needs_phases``: a config without phases is refused
        with a clear message (the command is about phases), never run as an empty pass."""
        from prepctl.gates.registry import KINDS
        from prepctl.plan.load import load_plan

        plan = load_plan(*self.options(), kinds=KINDS)
        if needs_phases:
            plan.require_phases(f"`{self.command}`" if self.command else "this command")
        return plan

    def graph_settings(self) -> GraphSettings:
        """The graph commands' settings: the config if given or found, else defaults over --root."""
        from prepctl.gates.registry import KINDS
        from prepctl.graph.load import settings_for

        return settings_for(*self.options(), kinds=KINDS)

    @staticmethod
    def fail_input(message: str) -> NoReturn:
        """Bad command-line input: say so on stderr and exit 2."""
        typer.echo(f"prepctl: {message}", err=True)
        raise typer.Exit(2)


def session_of(ctx: typer.Context) -> Session:
    """The session the app's callback stored; the defaults when a sub-app runs on its own."""
    session = ctx.obj if isinstance(ctx.obj, Session) else Session()
    names, current = [], ctx
    while current.parent is not None:  # the root's name may be "python -m prepctl": say prepctl
        names.append(current.info_name or "")
        current = current.parent
    return replace(session, command=" ".join(["prepctl", *reversed(names)]))
