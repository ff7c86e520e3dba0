"""Which metrics source a plan reads: a live Prometheus, or a snapshot file for a ``file:`` URL.

Its own module so that ``prometheus`` (the API and the shared types) and ``metrics_snapshot``
(which builds on those types) do not import each other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prepctl.sources.http import Auth, SourceError, shared_client
from prepctl.sources.prometheus import MetricsSource, PrometheusAPI

if TYPE_CHECKING:
    from prepctl.gates.base import GateContext


def prometheus_source(ctx: GateContext) -> MetricsSource:
    """The plan's Prometheus: a live server, or a snapshot for a ``file:`` URL. Built once a run."""
    config = ctx.plan.model.sources.prometheus
    if config is None:
        raise SourceError("no Prometheus configured: add sources.prometheus.url to phases.yaml "
                          "(a URL, or file:PATH of a snapshot)")
    if config.url.startswith("file:"):
        from prepctl.sources.metrics_snapshot import load_snapshot

        rel = config.url[len("file:"):]
        return ctx.shared(f"metrics-snapshot:{rel}", lambda: load_snapshot(ctx.plan.root, rel))
    auth = Auth(bearer_env=config.token_env) if config.token_env else Auth()
    return PrometheusAPI(shared_client(ctx), config.url, auth)
