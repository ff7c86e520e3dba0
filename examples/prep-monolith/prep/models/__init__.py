"""Persistence layer. The ORM models live in :mod:`prep.models.orm`."""
