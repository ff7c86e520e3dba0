"""`prepctl graph boundary`: what extracting X takes, against truths counted by reading the
example's code (grep and read, never by running prepctl)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import run_cli
from tests.support.paths import PHASES

# Read from examples/prep-monolith (tests/ and migrations/ are excluded by phases.yaml):
# jobs/nightly_rollup.py:9   from prep.analytics.queries import bookings_per_day
# prep/api/main.py:10        import prep.analytics.routers      (used as prep.analytics.routers.router, line 27)
# prep/api/main.py:11        from prep.analytics.host_routes import router as host_router
# prep/analytics/queries.py:13  from prep.settings import Settings
# prep/analytics/queries.py:23,33,44,53  from prep.models.orm import Booking / Booking, Kitchen / ... Review
# host_routes.py and routers.py import only .queries (inside) and fastapi (external).
INBOUND = [
    {"importer": "jobs.nightly_rollup", "imported": "prep.analytics.queries", "names": ["bookings_per_day"],
     "path": "jobs/nightly_rollup.py", "line": 9},
    {"importer": "prep.api.main", "imported": "prep.analytics.host_routes", "names": ["router"],
     "path": "prep/api/main.py", "line": 11},
    {"importer": "prep.api.main", "imported": "prep.analytics.routers", "names": ["router"],
     "path": "prep/api/main.py", "line": 10},
]
API = {"prep.analytics.host_routes.router": ["prep.api.main"],
       "prep.analytics.queries.bookings_per_day": ["jobs.nightly_rollup"],
       "prep.analytics.routers.router": ["prep.api.main"]}
ORM_MODELS = {f"prep.models.orm.{name}": ["prep.analytics.queries"] for name in ("Booking", "Kitchen", "Review")}
# prep/models/orm.py defines these classes, in this order.
ORM_CLASSES = ["Base", "User", "Host", "Kitchen", "Booking", "Review", "Payment", "ComplianceCheck"]


def _json(*args: str | Path, cwd: Path | None = None) -> dict:
    config = () if cwd is not None else ("-c", PHASES)  # a copy of the example is scanned without a plan
    result = run_cli(*config, "graph", "boundary", *args, "--format", "json", cwd=cwd)
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def test_analytics_boundary_matches_the_hand_counted_truth():
    found = _json("prep.analytics")
    assert found["members"] == ["prep.analytics", "prep.analytics.host_routes", "prep.analytics.queries",
                                "prep.analytics.routers"]
    assert found["inbound"] == INBOUND
    assert found["api"] == API
    assert found["outbound"]["orm"] == [{"importer": "prep.analytics.queries", "imported": "prep.models.orm",
                                         "names": ["Booking", "Kitchen", "Review"],
                                         "path": "prep/analytics/queries.py", "line": 23}]
    assert found["outbound"]["orm_models"] == ORM_MODELS
    assert found["outbound"]["other"] == [{"importer": "prep.analytics.queries", "imported": "prep.settings",
                                           "names": ["Settings"], "path": "prep/analytics/queries.py", "line": 13}]
    assert found["crossing_cycles"] == []
    assert found["cut"] == {"inbound": 3, "outbound": 2}
    assert found["complete"] is True


def test_a_cycle_through_the_boundary_is_listed_with_one_chain(example_copy: Path):
    settings = example_copy / "prep" / "settings.py"
    settings.write_text(settings.read_text(encoding="utf-8") + "\nfrom prep.analytics import routers  # noqa\n",
                        encoding="utf-8")
    found = _json("prep.analytics", cwd=example_copy)
    assert [c["members"] for c in found["crossing_cycles"]] == [
        ["prep.analytics.queries", "prep.analytics.routers", "prep.settings"]]
    assert found["crossing_cycles"][0]["cycle"] == ["prep.analytics.queries", "prep.settings",
                                                    "prep.analytics.routers", "prep.analytics.queries"]
    assert [(e["imported"], e["line"]) for e in found["inbound"] if e["importer"] == "prep.settings"] == [
        ("prep.analytics.routers", 32)]  # settings.py has 30 lines, then a blank one
    assert found["cut"] == {"inbound": 4, "outbound": 2}


def test_groups_and_globs_select_the_boundary():
    group = _json("analytics")  # graph.groups: prep.analytics, services.analytics_api, jobs.nightly_rollup
    assert "jobs.nightly_rollup" in group["members"] and "services.analytics_api.client" in group["members"]
    assert sorted({e["importer"] for e in group["inbound"]}) == ["prep.api.main"]
    engines = _json("prep.compliance.*_compliance_engine")
    assert [(e["importer"], e["imported"]) for e in engines["inbound"]] == [
        ("prep.bookings.service", "prep.compliance.dol_reg_compliance_engine.engine")]
    assert engines["outbound"]["orm_models"] == {"prep.models.orm.ComplianceCheck": [
        "prep.compliance.health_permit_compliance_engine.engine"]}


def test_split_assigns_every_class_of_the_orm():
    found = run_cli("-c", PHASES, "graph", "boundary", "--split", "prep.models.orm", "--by", "group",
                    "--format", "json")
    assert found.code == 0, found.stderr
    split = json.loads(found.stdout)
    assert split["assigned"] == {"compliance": ["ComplianceCheck"], "reviews": ["User"]}
    assert split["shared"] == {"Kitchen": ["analytics", "bookings", "kitchens"], "Booking": ["analytics", "bookings"],
                               "Review": ["analytics", "reviews"]}
    assert split["unclaimed"] == ["Base", "Host", "Payment"]
    placed = [c for names in split["assigned"].values() for c in names] + list(split["shared"]) + split["unclaimed"]
    assert sorted(placed) == sorted(ORM_CLASSES) and split["complete"] is True
    table = run_cli("-c", PHASES, "graph", "boundary", "--split", "prep.models.orm")
    assert table.code == 0 and "ComplianceCheck  compliance" in table.stdout


def test_every_format_renders_the_same_answer(tmp_path: Path):
    table = run_cli("-c", PHASES, "graph", "boundary", "prep.analytics")
    assert table.code == 0 and "prep.analytics.queries.bookings_per_day  jobs.nightly_rollup" in table.stdout
    assert "inbound    3" in table.stdout and "outbound   2" in table.stdout
    for fmt in ("md", "markdown"):
        md = run_cli("-c", PHASES, "graph", "boundary", "prep.analytics", "--format", fmt)
        assert md.code == 0 and "| prep.models.orm.Booking | prep.analytics.queries |" in md.stdout
    out = tmp_path / "boundary.html"
    html = run_cli("-c", PHASES, "graph", "boundary", "prep.analytics", "--format", "html", "--out", out)
    assert html.code == 0 and "<td>prep.analytics.routers.router</td>" in out.read_text(encoding="utf-8")


def test_unknown_or_empty_boundaries_fail_closed():
    unknown = run_cli("-c", PHASES, "graph", "boundary", "prep.analytix")
    assert unknown.code == 2 and "no module 'prep.analytix'" in unknown.stderr and "prep.analytics" in unknown.stderr
    empty = run_cli("-c", PHASES, "graph", "boundary", "prep.*.nothing_here")
    assert empty.code == 2 and "matches none of the" in empty.stderr
    nothing = run_cli("-c", PHASES, "graph", "boundary")
    assert nothing.code == 2 and "name what is extracted" in nothing.stderr
    everything = run_cli("-c", PHASES, "graph", "boundary", "*")
    assert everything.code == 2 and "nothing is outside it" in everything.stderr
    not_orm = run_cli("-c", PHASES, "graph", "boundary", "--split", "prep.analytics")
    assert not_orm.code == 2 and "prep/analytics/__init__.py: defines no class: nothing to split" in not_orm.stderr
    by = run_cli("-c", PHASES, "graph", "boundary", "--split", "prep.models.orm", "--by", "package")
    assert by.code == 2 and "only 'group'" in by.stderr
    for result in (unknown, empty, nothing, everything, not_orm, by):
        assert "Traceback" not in result.stderr
