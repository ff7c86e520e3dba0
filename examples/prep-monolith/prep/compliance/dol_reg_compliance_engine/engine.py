"""Evaluates bookings against DOL working-hour rules."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CONFIG_PATH = Path(__file__).with_name("config.yaml")


@dataclass
class ComplianceResult:
    engine: str
    passed: bool
    violations: list[str] = field(default_factory=list)


class DolRegComplianceEngine:
    name = "dol_reg"

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    @classmethod
    def from_default_config(cls) -> DolRegComplianceEngine:
        with CONFIG_PATH.open() as fh:
            return cls(yaml.safe_load(fh))

    def evaluate(self, payload: dict[str, Any]) -> ComplianceResult:
        violations: list[str] = []
        hours = float(payload.get("shift_hours", 0))
        if hours > self.config["max_shift_hours"]:
            violations.append(f"shift of {hours:.1f}h exceeds {self.config['max_shift_hours']}h")
        if hours > self.config["break_required_after_hours"] and not payload.get("break_scheduled", True):
            violations.append(f"{self.config['min_break_minutes']} minute break required")
        if payload.get("staff_minors") and not self.config["minor_workers"]["allowed"]:
            violations.append("minor workers are not allowed in this jurisdiction")
        return ComplianceResult(self.name, not violations, violations)
