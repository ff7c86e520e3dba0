"""Fire-safety rules for commercial kitchens."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml

CONFIG_PATH = Path(__file__).with_name("config.yaml")


class FireSafetyComplianceEngine:
    name = "fire_safety"

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    @classmethod
    def from_default_config(cls) -> FireSafetyComplianceEngine:
        with CONFIG_PATH.open() as fh:
            return cls(yaml.safe_load(fh))

    def violations(self, kitchen: dict[str, Any], today: date | None = None) -> list[str]:
        today = today or date.today()
        found: list[str] = []
        if (today - kitchen["hood_cleaned_on"]).days > self.config["hood_cleaning_interval_days"]:
            found.append("hood cleaning overdue")
        if (today - kitchen["extinguisher_inspected_on"]).days > self.config["extinguisher_inspection_days"]:
            found.append("extinguisher inspection overdue")
        if self.config["require_suppression_system"] and not kitchen.get("has_suppression_system"):
            found.append("no automatic suppression system")
        return found
