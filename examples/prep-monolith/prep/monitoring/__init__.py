"""Observability assets (Grafana dashboards) for the monolith."""
