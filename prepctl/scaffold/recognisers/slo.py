"""slo: latency, error rate, "meets its SLOs", read from a named Grafana dashboard.

Example: "Capture operational metrics for analytics endpoints (latency, error rate) via
`prep/monitoring` dashboards to define freeze thresholds."

The named folder or file is searched for Grafana dashboard JSON; each panel with a PromQL target
and a threshold becomes an objective (``<=`` the first threshold step when the base colour is
good, ``>=`` the last step for a bad-below panel such as availability). The bullet's words pick
the panels (latency, error ...). A bullet that names no dashboard (thresholds nowhere written)
stays manual.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from prepctl.scaffold.grounding import Repository
from prepctl.scaffold.recognisers.interface import Bullet, Criterion, Draft, Outcome, PlanContext, Unsure

_TOPICS = {"latency": r"latency|duration|p9\d", "error": r"error|5xx|fail"}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def panels(data: Any) -> list[dict[str, Any]]:
    """Every panel of a Grafana dashboard (an export or the API's {"dashboard": ...}), rows opened."""
    data = _dict(data)
    if isinstance(data.get("dashboard"), dict):
        data = data["dashboard"]
    found: list[dict[str, Any]] = []
    stack = list(_list(data.get("panels")))
    while stack:
        panel = stack.pop(0)
        if isinstance(panel, dict):
            found.append(panel)
            stack.extend(_list(panel.get("panels")))
    return found


_GOOD = re.compile(r"green|blue|transparent", re.IGNORECASE)


def pass_line(steps: list[Any]) -> str | None:
    """The objective a panel's thresholds draw: a good base colour with worse steps above is
    ``<= the first step`` (latency, errors); a bad base with a good step above is ``>= the last
    bad-to-good step`` (availability). Anything else is not read."""
    steps = [s for s in steps if isinstance(s, dict)]
    values = [(s.get("value"), str(s.get("color", ""))) for s in steps]
    numbers = [(v, c) for v, c in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if not steps or not numbers:
        return None
    base = str(steps[0].get("color", ""))
    if _GOOD.search(base) and not any(_GOOD.search(c) for _, c in numbers):
        return f"<= {min(v for v, _ in numbers):g}"
    if not _GOOD.search(base) and _GOOD.search(numbers[-1][1]):
        return f">= {numbers[-1][0]:g}"
    return None


def objective(panel: dict[str, Any]) -> dict[str, Any] | None:
    """An slo objective from a panel: its single PromQL target and its threshold line."""
    exprs = [t["expr"] for t in _list(panel.get("targets")) if isinstance(t, dict) and isinstance(t.get("expr"), str)]
    thresholds = _dict(_dict(_dict(panel.get("fieldConfig")).get("defaults")).get("thresholds"))
    line = pass_line(_list(thresholds.get("steps")))
    if len(exprs) != 1 or line is None or thresholds.get("mode", "absolute") != "absolute":
        return None
    name = re.sub(r"[^a-z0-9]+", "-", str(panel.get("title", "panel")).lower())[:60].strip("-") or "panel"
    # The worst point of the window must hold: the highest for an upper bound, the lowest for a lower one.
    aggregate = "max" if line.startswith("<=") else "min"
    return {"name": name, "query": exprs[0], "window": "1h", "aggregate": aggregate, "pass": line}


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
        places = [p for p in (repo.resolve(s) for s in bullet.paths) if p is not None]
        if not places or not bullet.has(r"\bdashboards?\b", r"\bgrafana\b"):
            return Unsure(self.name, "the bullet names no dashboard that exists: the objectives and thresholds "
                          "are not written down anywhere prepctl can read")
        files = [f for p in places for f in ([p] if p.endswith(".json") else
                                             [f for f in repo.files if f.startswith(p.rstrip("/") + "/")
                                              and f.endswith(".json")])]
        objectives: list[dict[str, Any]] = []
        grounding: list[str] = []
        for rel in files:
            for panel in panels(repo.load(rel)[0]):
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
