"""Prep: shared-kitchen booking platform (monolith)."""

__version__ = "0.9.3"
