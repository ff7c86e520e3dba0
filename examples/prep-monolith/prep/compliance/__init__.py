"""Compliance engines. Each engine package ships its own config (and schema).

Phase 3 wraps these behind a single facade; until then callers import the
engines directly.
"""
