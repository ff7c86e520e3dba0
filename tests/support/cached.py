"""For the content-cache tests: count how often a gate really computes, and run a plan once with
the cache's statistics for that run (hits and misses, never timings)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from prepctl.contentcache import CacheStats
from prepctl.evaluate import evaluate, make_context
from prepctl.gates.cached import content_cache
from prepctl.verdicts import CriterionResult
from tests.support.plans import load_plan


class CallCounter:
    """Wraps ``module.name`` (e.g. the openapi gate's check_document) and counts its calls."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: ModuleType, name: str):
        self.calls = 0
        real = getattr(module, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)


def run_cached(config: Path, at: str | None = None) -> tuple[CriterionResult, CacheStats]:
    """Evaluate phase `p` of a one-criterion plan (at revision ``at``), as one run: its result and
    its cache's stats."""
    plan = load_plan(config)
    ctx = make_context(plan, at)
    result = evaluate(plan, ["p"], ctx=ctx).phases[0].criteria[0]
    cache = content_cache(ctx)
    cache.close()
    return result, cache.stats
