"""Department of Labor shift-rule checks for kitchen staff bookings."""
from .engine import DolRegComplianceEngine

__all__ = ["DolRegComplianceEngine"]
