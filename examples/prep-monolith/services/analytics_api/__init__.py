"""Standalone analytics API (phase 1 target for prep/analytics)."""
