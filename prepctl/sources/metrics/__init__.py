"""Metrics and alerts: the seam in ``interface``, a live Prometheus (``prometheus``), recorded
snapshots (``snapshot``), Alertmanager (``alertmanager``), and the source a plan configures
(``configured``)."""
