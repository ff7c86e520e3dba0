"""slo: latency, error rate, "meets its SLOs", read from a named Grafana dashboard.

Example: "Capture operational metrics for analytics endpoints (latency, error rate) via
`prep/monitoring` dashboards to define freeze thresholds."

The named folder or file is searched for Grafana dashboard JSON; each panel with a PromQL target
and a threshold becomes an objective (the panel's first non-null threshold step is the pass
line: ``<=`` it). The bullet's words pick the panels (latency, error ...). A bullet that names no
dashboard (thresholds nowhere written) stays manual.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from prepctl.scaffold.grounding import Repository
from prepctl.scaffold.recognisers.interface import Bullet, Criterion, Draft, Outcome, PlanContext, Unsure

_TOPICS = {"latency": r"latency|duration|p9\d", "error": r"error|5xx|fail"}


def panels(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    if isinstance(data, dict) and isinstance(data.get("dashboard"), dict):
        data = data["dashboard"]
    found: list[dict[str, Any]] = []
    stack = list(data.get("panels", [])) if isinstance(data, dict) else []
    while stack:
        panel = stack.pop(0)
        if isinstance(panel, dict):
            found.append(panel)
            stack.extend(p for p in panel.get("panels", []) if isinstance(p, dict))
    return found


def objective(panel: dict[str, Any]) -> dict[str, Any] | None:
    """An slo objective from a panel: its single PromQL target and first threshold line."""
    exprs = [t.get("expr") for t in panel.get("targets", []) if isinstance(t, dict) and t.get("expr")]
    steps = (((panel.get("fieldConfig") or {}).get("defaults") or {}).get("thresholds") or {}).get("steps") or []
    values = [s.get("value") for s in steps if isinstance(s, dict) and isinstance(s.get("value"), int | float)]
    if len(exprs) != 1 or not values:
        return None
    name = re.sub(r"[^a-z0-9]+", "-", str(panel.get("title", "panel")).lower()).strip("-") or "panel"
    return {"name": name, "query": exprs[0], "window": "1h", "aggregate": "max", "pass": f"<= {min(values):g}"}


class SloRecogniser:
    name: ClassVar[str] = "slo"
    priority: ClassVar[int] = 90
    examples: ClassVar[tuple[str, ...]] = (
        "Capture operational metrics for analytics endpoints (latency, error rate) via `prep/monitoring` dashboards",
    )

    def recognise(self, bullet: Bullet, repo: Repository, plan: PlanContext) -> Outcome | None:
        topics = [t for t, p in _TOPICS.items() if bullet.has(rf"\b({p})")]
        if not topics and not bullet.has(r"\bSL[OA]s?\b"):
            return None
        places = [s for s in bullet.paths if repo.exists(s)]
        if not places or not bullet.has(r"\bdashboards?\b", r"\bgrafana\b"):
            return Unsure(self.name, "the bullet names no dashboard that exists: the objectives and thresholds "
                          "are not written down anywhere prepctl can read")
        files = [f for p in places for f in ([p] if p.endswith(".json") else
                                             [f for f in repo.files if f.startswith(p.rstrip("/") + "/")
                                              and f.endswith(".json")])]
        objectives: list[dict[str, Any]] = []
        grounding: list[str] = []
        for rel in files:
            for panel in panels(repo.read(rel) or ""):
                made = objective(panel)
                title = str(panel.get("title", ""))
                if made and (not topics or any(re.search(_TOPICS[t], title, re.IGNORECASE) for t in topics)):
                    objectives.append(made)
                    grounding.append(f"{rel}: panel \"{title}\" -> {made['name']} {made['pass']}")
        names = [o["name"] for o in objectives]
        if not objectives or len(set(names)) != len(names):
            return Unsure(self.name, f"no dashboard panel under {', '.join(places)} with one PromQL target and a "
                          "threshold" + (f" about {', '.join(topics)}" if topics else ""))
        missing = [t for t in topics if not any(re.search(_TOPICS[t], o["name"]) for o in objectives)]
        if missing:
            return Unsure(self.name, f"no dashboard panel for {', '.join(missing)}")
        return Draft(self.name, [Criterion("slo", "Objectives from the dashboard hold", {"objectives": objectives})],
                     grounding + ["needs sources.prometheus.url in phases.yaml"],
                     "the bullet names dashboards: their panels' queries and threshold lines are the objectives")


RECOGNISER = SloRecogniser()
