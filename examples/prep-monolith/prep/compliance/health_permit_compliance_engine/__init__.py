"""Health-permit validity checks for listed kitchens."""
from .engine import HealthPermitComplianceEngine

__all__ = ["HealthPermitComplianceEngine"]
