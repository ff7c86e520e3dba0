"""Where the repository, its example monolith and its own plan are."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "prep-monolith"
PHASES = REPO / "examples" / "prep-plan" / "phases.yaml"
