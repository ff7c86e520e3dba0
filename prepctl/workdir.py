"""Where prepctl keeps its own state: one ``.prepctl`` folder next to phases.yaml (or under
``--root`` when there is no plan). It holds the gate history, the import-scan cache and the
shadow gate's reports; none of it is meant to be committed.

A leaf module: it imports nothing from prepctl, so every layer may use it.
"""

from __future__ import annotations

from pathlib import Path

STATE_DIR = ".prepctl"


def state_dir(base: str | Path) -> Path:
    """``BASE/.prepctl``: BASE is the folder of phases.yaml, or the scanned root without one."""
    return Path(base) / STATE_DIR


def cache_dir(base: str | Path) -> Path:
    """``BASE/.prepctl/cache``: the import scanner's parse cache."""
    return state_dir(base) / "cache"


def shadow_dir(base: str | Path, phase_id: str, criterion_id: str) -> Path:
    """``BASE/.prepctl/shadow/PHASE/CRITERION``: a shadow gate's reports when it names no ``out``."""
    return state_dir(base) / "shadow" / phase_id / criterion_id
