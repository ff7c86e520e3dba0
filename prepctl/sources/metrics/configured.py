"""Which metrics source a plan reads: a live Prometheus, or a snapshot file for a ``file:`` URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prepctl.sources.http import Auth, SourceError, shared_client
from prepctl.sources.metrics.interface import MetricsSource
from prepctl.sources.metrics.prometheus import PrometheusAPI
from prepctl.sources.metrics.snapshot import load_snapshot

if TYPE_CHECKING:
    from prepctl.sources.context import GateContext


def prometheus_source(ctx: GateContext) -> MetricsSource:
    """The plan's Prometheus: a live server, or a snapshot for a ``file:`` URL. Built once a run."""
    config = ctx.plan.model.sources.prometheus
    if config is None:
        raise SourceError("no Prometheus configured: add sources.prometheus.url to phases.yaml "
                          "(a URL, or file:PATH of a snapshot)")
    if config.url.startswith("file:"):
        rel = config.url[len("file:"):]
        return ctx.shared(f"metrics-snapshot:{rel}", lambda: load_snapshot(ctx.plan.root, rel))
    return PrometheusAPI(shared_client(ctx), config.url, Auth(bearer_env=config.token_env))
