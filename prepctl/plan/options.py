"""The options every command shares (config file, root), from the command line or ``PREPCTL_*``.

Precedence, highest first: the command-line flag (``-c``, ``--root``), the environment variable
(``PREPCTL_CONFIG``, ``PREPCTL_ROOT``), the config file found by discovery (whose ``root:``, and
in a pyproject.toml whose ``config =`` pointer, apply next), the defaults. A pre-commit hook or a
CI step often cannot pass flags, hence the variables. pydantic-settings reads them
(``prepctl.plan.envsettings``), so a ``PREPCTL_`` setting is typed and validated like any option.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: The variables ``envsettings.EnvSettings`` reads (its fields with its prefix), lower-cased:
#: pydantic-settings matches names case-insensitively.
ENV_NAMES = frozenset({"prepctl_config", "prepctl_root"})


@dataclass(frozen=True)
class Options:
    """The effective ``config`` and ``root``; None: not set (discovery and the plan decide)."""

    config: Path | None = None
    root: Path | None = None


def global_options(config: Path | None, root: Path | None) -> Options:
    """The flags, else ``PREPCTL_CONFIG`` / ``PREPCTL_ROOT`` (an empty variable is unset)."""
    if (config is not None and root is not None) or not any(
            value and name.lower() in ENV_NAMES for name, value in os.environ.items()):
        return Options(config=config, root=root)  # nothing to read: pydantic-settings is not imported
    from prepctl.plan.envsettings import from_environment

    found_config, found_root = from_environment(config, root)
    return Options(config=found_config, root=found_root)
