"""Checks that a kitchen's health permit and last inspection are current."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from prep.models.orm import ComplianceCheck

CONFIG_PATH = Path(__file__).with_name("config.yaml")


class HealthPermitComplianceEngine:
    name = "health_permit"

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    @classmethod
    def from_default_config(cls) -> HealthPermitComplianceEngine:
        with CONFIG_PATH.open() as fh:
            return cls(yaml.safe_load(fh))

    def violations(self, permit: dict[str, Any], today: date | None = None) -> list[str]:
        today = today or date.today()
        found: list[str] = []
        if permit["type"] not in self.config["permit_types"]:
            found.append(f"unsupported permit type {permit['type']!r}")
        if permit["expires_on"] < today and self.config["block_on_expired"]:
            found.append("permit expired")
        inspection = self.config["inspection"]
        if (today - permit["inspected_on"]).days > inspection["max_age_days"]:
            found.append("last inspection is too old")
        if permit["inspection_score"] < inspection["min_score"]:
            found.append(f"inspection score below {inspection['min_score']}")
        return found

    def record(self, session: Session, kitchen_id: int, permit: dict[str, Any]) -> ComplianceCheck:
        check = ComplianceCheck(kitchen_id=kitchen_id, engine=self.name, passed=not self.violations(permit))
        session.add(check)
        return check
