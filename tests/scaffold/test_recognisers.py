"""The recognisers one by one, on the example monolith: their documented examples, what they
ground, when they stay unsure, and that a draft is never weaker than its bullet."""

from __future__ import annotations

import pytest

from prepctl.scaffold.grounding import Repository
from prepctl.scaffold.outline import code_spans
from prepctl.scaffold.recognisers import RECOGNISERS, decide, in_order
from prepctl.scaffold.recognisers.interface import Bullet, Draft, PlanContext, Unsure
from tests.support.paths import EXAMPLE

REPO_VIEW = Repository(EXAMPLE)


def _bullet(text: str, line: int = 1, phase: str | None = "phase-1") -> Bullet:
    return Bullet(text, line, "Phase", phase, tuple(code_spans(text)))


def _decide(text: str, *others: str):
    bullet = _bullet(text)
    context = PlanContext([bullet, *(_bullet(o, n + 2) for n, o in enumerate(others))], "plan.md")
    return decide(bullet, REPO_VIEW, context)


def test_every_kind_of_bullet_the_issue_names_has_a_registered_recogniser():
    assert RECOGNISERS.what == "recogniser" and RECOGNISERS.group == "prepctl.recognisers"
    assert RECOGNISERS.names() == ["acyclic", "command", "decommission", "facade", "flag", "forbidden",
                                   "imports-audit", "incidents", "issues", "move", "openapi", "schema", "shadow",
                                   "signoff", "slo", "split"]
    assert [r.name for r in in_order()][:3] == ["signoff", "flag", "decommission"]


@pytest.mark.parametrize("name", RECOGNISERS.names())
def test_each_documented_example_is_read_as_that_kind(name: str):
    recogniser = RECOGNISERS.load(name)
    assert recogniser.name == name and recogniser.examples
    for example in recogniser.examples:
        bullet = _bullet(example)
        outcome = recogniser.recognise(bullet, REPO_VIEW, PlanContext([bullet], "plan.md"))
        assert isinstance(outcome, Draft | Unsure), example
        assert outcome.recogniser == name


def test_a_setting_is_located_with_file_and_line_or_the_bullet_stays_manual():
    found = _decide("Default `ANALYTICS_ENDPOINTS_ENABLED` to `False`.")
    assert found.kind == "flag" and found.draft.criteria[0].options == {"name": "ANALYTICS_ENDPOINTS_ENABLED",
                                                                        "expect": False}
    assert found.draft.grounding[0].startswith("ANALYTICS_ENDPOINTS_ENABLED defined at prep/settings.py:25 ")
    missing = _decide("Default `ANALYTICS_ENDPOINT_ENABLED` to `False`.")
    assert missing.draft is None and missing.unsure[0].why.startswith(
        "setting ANALYTICS_ENDPOINT_ENABLED is defined nowhere under the root")


def test_what_should_exist_but_does_not_is_reported_not_guessed():
    cases = {
        "Move FastAPI routers from `prep/billing` into `services/billing_api`.":
            "move: prep/billing (what is moved) does not exist under the root",
        "Finalize API contract for `/api/v1/analytics` in `openapi-v2.yaml`.":
            "openapi: openapi-v2.yaml: no such document under the root",
        "All P0/P1 defects in `BUGS.md` are closed.": "issues: BUGS.md: no such report under the root",
        "Audit usage by generating a dependency graph from `prep/models/legacy.py`.":
            "imports-audit: prep/models/legacy.py names module prep.models.legacy, which does not exist under the root",
    }
    for text, why in cases.items():
        decision = _decide(text)
        assert decision.draft is None, text
        assert [f"{u.recogniser}: {u.why}" for u in decision.unsure] == [why]


def test_a_package_the_plan_will_create_is_a_valid_target():
    decision = _decide("Split `prep/models/orm.py` into modules (bookings, payments) under `prep/models/split/`.")
    assert decision.kind == "paths, imports"
    paths, independence = decision.draft.criteria
    assert paths.options == {"exists": ["prep/models/split/bookings.py", "prep/models/split/payments.py"]}
    assert independence.options == {"contract": {"type": "independence", "modules": ["prep.models.split.*"]}}
    assert "prep/models/split will be created" in decision.draft.grounding


def test_drafts_are_never_weaker_than_the_bullet():
    # Scope is never narrowed: "across API and workers" still counts every service's alerts.
    incidents = _decide("Confirm zero open Sev-0/Sev-1 incidents across API and background workers.")
    assert incidents.draft.criteria[0].options == {"matchers": ['severity=~"sev0|sev1"'], "max_active": 0}
    # Only "direct" imports are checked directly; otherwise through other modules as well.
    transitive = _decide("`prep/bookings` stops importing `prep/models/orm.py`.")
    assert "transitive" not in transitive.draft.criteria[0].options["contract"]
    direct = _decide("Replace direct ORM imports in `prep/bookings`.", "graph from `prep/models/orm.py`")
    assert direct.draft.criteria[0].options["contract"]["transitive"] is False
    # What no gate checks becomes a manual criterion of its own.
    issues = _decide("All P0/P1 defects in `REMAINING_ISSUES_REPORT.md` are closed and validated in staging.")
    assert issues.draft.unchecked == ["validated in staging"]
    move = _decide("Move FastAPI routers from `prep/analytics` into `services/analytics_api` with an internal client.")
    assert move.draft.unchecked == ["with an internal client"]
    # A time span is not an active-alert count: unsure.
    pages = _decide("No open Sev-1 pages for a week.")
    assert pages.draft is None and "time span" in pages.unsure[0].why


def test_a_move_checks_the_target_the_routers_and_every_other_importer():
    decision = _decide("Move FastAPI routers from `prep/analytics` into a dedicated `services/analytics_api` package.")
    target, gone, unused = decision.draft.criteria
    assert target.options == {"exists": ["services/analytics_api/__init__.py"]}
    assert gone.options == {"absent": ["prep/analytics/host_routes.py", "prep/analytics/routers.py"]}
    assert unused.options["contract"] == {"type": "forbidden", "source": ["jobs", "prep", "scripts", "services"],
                                          "forbidden": ["prep.analytics"],
                                          "ignore_imports": ["services.analytics_api -> prep.analytics"],
                                          "missing_ok": True}


def test_a_dashboard_becomes_objectives_with_its_threshold_lines():
    decision = _decide("Capture latency and error rate via `prep/monitoring` dashboards.")
    objectives = decision.draft.criteria[0].options["objectives"]
    assert [(o["name"], o["pass"]) for o in objectives] == [("analytics-p95-latency", "<= 0.8"),
                                                            ("analytics-error-ratio-5xx", "<= 0.01")]
    assert objectives[0]["query"].startswith("histogram_quantile(0.95, sum by (le) (rate(http_request_duration")
    unsure = _decide("The new service meets its SLOs.")
    assert unsure.draft is None and unsure.unsure[0].recogniser == "slo"


def test_a_broken_recogniser_leaves_the_bullet_manual(monkeypatch: pytest.MonkeyPatch):
    flag = RECOGNISERS.load("flag")

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(flag, "recognise", broken)
    decision = _decide("Default `ANALYTICS_ENDPOINTS_ENABLED` to `False`.")
    assert decision.draft is None
    assert [u.why for u in decision.unsure if u.recogniser == "flag"] == ["recogniser failed (RuntimeError: boom)"]


class _TodoRecogniser:
    """A plugin: TODO bullets are manual on purpose, and say so."""

    name = "todo"
    priority = 1
    examples = ("TODO: decide later",)

    def recognise(self, bullet, repo, plan):
        return Unsure(self.name, "a TODO is not a criterion yet") if bullet.text.startswith("TODO") else None


PLUGIN = _TodoRecogniser()


def test_a_plugin_recogniser_registers_like_a_built_in_and_cannot_shadow_one(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(RECOGNISERS, "plugins", lambda: {
        "todo": "tests.scaffold.test_recognisers:PLUGIN", "flag": "tests.scaffold.test_recognisers:PLUGIN"})
    try:
        assert "todo" in RECOGNISERS.names() and RECOGNISERS.clashes() == ["flag"]
        assert RECOGNISERS.load("flag").name == "flag"  # the built-in wins
        decision = _decide("TODO: decide later")
        assert decision.draft is None and [u.why for u in decision.unsure] == ["a TODO is not a criterion yet"]
    finally:
        RECOGNISERS.forget()


def test_decommissioning_unused_modules_checks_what_the_plan_moves_and_leaves_the_rest_to_a_person():
    decision = _decide("Decommission unused modules in the monolith.",
                       "Move FastAPI routers from `prep/analytics` into `services/analytics_api`.")
    assert decision.draft.criteria[0].options == {"contract": {"type": "decommission", "modules": ["prep.analytics"]}}
    assert decision.draft.unchecked == ["any other unused module (candidates: prepctl graph orphans)"]


def test_the_ways_a_plan_says_what_a_flag_defaults_to():
    said = {
        "Default `ANALYTICS_ENDPOINTS_ENABLED` to `False` until the service is live.": False,
        "`ANALYTICS_ENDPOINTS_ENABLED` defaults to `false`.": False,
        "`ANALYTICS_ENDPOINTS_ENABLED` must still default to off.": False,
        "Set `ANALYTICS_ENDPOINTS_ENABLED` to `False` by default.": False,
        "`ANALYTICS_ENDPOINTS_ENABLED` is `False` by default.": False,
        "`ANALYTICS_ENDPOINTS_ENABLED` stays disabled.": False,
        "Keep `ANALYTICS_ENDPOINTS_ENABLED` on.": True,
    }
    for text, expect in said.items():
        decision = _decide(text)
        assert decision.kind == "flag", text
        assert decision.draft.criteria[0].options["expect"] is expect, text
    # A flag named without a value is not a flag criterion: nothing to compare with.
    assert _decide("Any domain carved out re-enters behind settings (see `ANALYTICS_ENDPOINTS_ENABLED`).").kind \
        == "manual"


def test_paths_written_without_src_are_found_in_a_src_layout(tmp_path):
    for rel in ("src/shop/__init__.py", "src/shop/models/__init__.py", "src/shop/models/orm.py",
                "src/shop/billing/__init__.py", "src/shop/billing/api.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("", encoding="utf-8")
    repo = Repository(tmp_path)
    audit = _bullet("Generate a dependency graph from `shop/models/orm.py`.")
    moved = _bullet("Move `shop/billing` into `shop/payments_api`.")
    context = PlanContext([audit, moved], "plan.md")
    found = decide(audit, repo, context)
    assert found.draft.criteria[0].options == {"contract": {"type": "audit", "target": "shop.models.orm"}}
    assert found.draft.grounding == ["shop/models/orm.py is module shop.models.orm (src/shop/models/orm.py)"]
    move = decide(moved, repo, context).draft
    assert [c.options for c in move.criteria[:2]] == [{"exists": ["src/shop/payments_api/__init__.py"]},
                                                      {"absent": ["src/shop/billing/**"]}]
    assert move.criteria[2].options["contract"]["ignore_imports"] == ["shop.payments_api -> shop.billing"]
