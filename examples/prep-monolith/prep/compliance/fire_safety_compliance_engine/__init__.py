"""Fire-safety checks (hood cleaning, extinguishers, suppression systems)."""
from .engine import FireSafetyComplianceEngine

__all__ = ["FireSafetyComplianceEngine"]
