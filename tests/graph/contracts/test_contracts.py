"""Contract types, the ratchet baseline and the `imports` gate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

from prepctl.evaluate import evaluate
from prepctl.graph.baseline import Baseline
from prepctl.graph.check import evaluate_contract
from prepctl.graph.contracts import ContractContext, run_contract
from prepctl.graph.load import GraphSettings, build_graph
from prepctl.graph.model import GraphError
from prepctl.graph.report import write_dependency_report
from prepctl.graph.scan.config import ScanConfig
from prepctl.sources.tree import WorkTree
from prepctl.verdicts import Status
from tests.support.cli import run_cli
from tests.support.contracts import contract
from tests.support.paths import EXAMPLE
from tests.support.plans import load_plan, write_plan
from tests.support.trees import write

EXCLUDE = ScanConfig(exclude=("tests/*", "migrations/*"))


def keys(result) -> list[str]:
    return [v.key for v in result.violations]


@pytest.fixture(scope="module")
def example():
    return build_graph(GraphSettings(root=EXAMPLE, scan=EXCLUDE))


def test_forbidden_direct_and_transitive(example):
    direct = run_contract(contract(type="forbidden", source=["prep.bookings", "prep.kitchens"],
                                   forbidden=["prep.models.orm"], transitive=False), example)
    assert keys(direct) == ["prep.bookings.service -> prep.models.orm", "prep.kitchens.service -> prep.models.orm"]
    hop = direct.violations[0].hops[0]
    assert (hop.path, hop.line) == ("prep/bookings/service.py", 10)
    # jobs reach the ORM only through other packages: only the transitive mode sees them.
    jobs = run_contract(contract(type="forbidden", source=["jobs"], forbidden=["prep.models.orm"]), example)
    assert keys(jobs) == ["jobs.nightly_rollup -> prep.models.orm", "jobs.reconcile_payments -> prep.models.orm"]
    chain = [(h.importer, h.location) for h in jobs.violations[1].hops]
    assert chain == [("jobs.reconcile_payments", "jobs/reconcile_payments.py:8"),
                     ("prep.payments.service", "prep/payments/service.py:9"),
                     ("prep.bookings.service", "prep/bookings/service.py:10")]
    assert run_contract(contract(type="forbidden", source=["jobs"], forbidden=["prep.models.orm"],
                                 transitive=False), example).violations == []


def test_forbidden_refuses_patterns_that_match_nothing(example):
    with pytest.raises(GraphError, match="source prep.bokings matched none"):
        run_contract(contract(type="forbidden", source=["prep.bokings"], forbidden=["prep.models.orm"]), example)
    with pytest.raises(GraphError, match="forbidden prep.models.gone matched none"):
        run_contract(contract(type="forbidden", source=["prep"], forbidden=["prep.models.gone"]), example)
    gone = run_contract(contract(type="forbidden", source=["prep"], forbidden=["prep.models.gone"],
                                 missing_ok=True), example)
    assert gone.kept and "missing_ok" in gone.checked


def test_tag_options_and_ignores(example):
    base = dict(type="forbidden", source=["prep.api"], forbidden=["prep.payments"], transitive=False)
    assert keys(run_contract(contract(**base), example)) == ["prep.api.main -> prep.payments.service"]
    assert run_contract(contract(**base, type_checking=False), example).kept  # only a TYPE_CHECKING import
    dyn = dict(type="forbidden", source=["prep.utils"], forbidden=["prep.reviews"], transitive=False)
    assert not run_contract(contract(**dyn), example).kept
    assert run_contract(contract(**dyn, dynamic=False), example).kept
    ignored = run_contract(contract(**base, ignore_imports=["prep.api.main -> prep.payments.*"]), example)
    assert ignored.kept


def test_layers(tmp_path: Path):
    root = write(tmp_path, {"app/__init__.py": "", "app/api/__init__.py": "import app.domain\n",
                            "app/domain/__init__.py": "import app.data\n", "app/data/__init__.py": "",
                            "app/data/repo.py": "from app.api import x\n"})
    graph = build_graph(GraphSettings(root=root))
    result = run_contract(contract(type="layers", containers=["app"], layers=["api", "domain", "data"]), graph)
    assert keys(result) == ["app.data.repo -> app.api"]
    with pytest.raises(GraphError, match="layer app.services matched none"):
        run_contract(contract(type="layers", containers=["app"], layers=["api", "services"]), graph)


def test_independence(tmp_path: Path):
    root = write(tmp_path, {"prep/__init__.py": "", "prep/models/__init__.py": "",
                            "prep/models/domains/__init__.py": "",
                            "prep/models/domains/bookings.py": "from prep.models.domains import kitchens\n",
                            "prep/models/domains/kitchens.py": "from prep.models import base\n",
                            "prep/models/domains/reviews/__init__.py": "from .users import U\n",
                            "prep/models/domains/reviews/users.py": "import prep.models.base\n",
                            "prep/models/base.py": ""})
    graph = build_graph(GraphSettings(root=root))
    result = run_contract(contract(type="independence", modules=["prep.models.domains.*"]), graph)
    assert "3 independent unit(s)" in result.checked
    assert keys(result) == ["prep.models.domains.bookings -> prep.models.domains.kitchens"]
    with pytest.raises(GraphError, match="matched none"):
        run_contract(contract(type="independence", modules=["prep.models.nothing.*"]), graph)


def test_facade(example, tmp_path: Path):
    spec = contract(type="facade", modules=["prep.compliance.*_compliance_engine"],
                    facade=["services.compliance_core"])
    before = run_contract(spec, example)
    assert keys(before) == ["prep.bookings.service -> prep.compliance.dol_reg_compliance_engine.engine"]
    assert any("does not exist yet" in n for n in before.notes)
    # With the facade in place and the booking service going through it, the contract holds;
    # the engines' own `from .engine import ...` are internal and allowed.
    root = shutil.copytree(EXAMPLE, tmp_path / "mono")
    write(root, {"services/compliance_core/__init__.py":
                 "from prep.compliance.dol_reg_compliance_engine import DolRegComplianceEngine\n"})
    service = root / "prep" / "bookings" / "service.py"
    service.write_text(service.read_text().replace(
        "from prep.compliance.dol_reg_compliance_engine.engine import", "from services.compliance_core import"))
    after = run_contract(spec, build_graph(GraphSettings(root=root, scan=EXCLUDE)))
    assert after.kept and not after.notes


def test_acyclic_modules_and_packages(tmp_path: Path):
    root = write(tmp_path, {"a/__init__.py": "", "a/x.py": "import b.y\n", "b/__init__.py": "",
                            "b/y.py": "import b.z\n", "b/z.py": "import a.w\n", "a/w.py": ""})
    graph = build_graph(GraphSettings(root=root))
    assert run_contract(contract(type="acyclic"), graph).kept
    packages = run_contract(contract(type="acyclic", depth=1), graph)
    assert keys(packages) == ["package cycle: a, b"]
    assert [h.location for h in packages.violations[0].hops] == ["a/x.py:1", "b/z.py:1"]
    (root / "a" / "w.py").write_text("import a.x\n")
    (root / "b" / "z.py").write_text("import a.w\nimport b.y\n")
    cyclic = run_contract(contract(type="acyclic", modules=["a", "b"]), build_graph(GraphSettings(root=root)))
    assert keys(cyclic) == ["cycle: a.w, a.x, b.y, b.z"]


def test_decommission(example):
    result = run_contract(contract(type="decommission", modules=["prep.analytics", "prep.legacy"]), example)
    assert keys(result) == ["jobs.nightly_rollup -> prep.analytics.queries",
                            "prep.api.main -> prep.analytics.host_routes", "prep.api.main -> prep.analytics.routers"]
    assert any("prep.legacy: gone" in n for n in result.notes)
    assert run_contract(contract(type="decommission", modules=["prep.utils.optional"]), example).kept


@pytest.mark.graphviz
def test_audit_against_a_committed_report(tmp_path: Path):
    root = shutil.copytree(EXAMPLE, tmp_path / "mono")
    settings = GraphSettings(root=root, scan=EXCLUDE)
    write_dependency_report(settings, "prep.models.orm", root / "docs" / "orm-audit")
    spec = contract(type="audit", target="prep.models.orm", report="docs/orm-audit")
    ctx = ContractContext(tree=WorkTree(root))
    fresh = run_contract(spec, build_graph(settings), ctx)
    assert fresh.kept and "6 direct and 10 transitive-only" in fresh.checked
    write(root, {"prep/payments/refunds.py": "from prep.models.orm import Payment\n"})
    (root / "scripts" / "backfill_reviews.py").write_text("print('gone')\n")
    stale = run_contract(spec, build_graph(settings), ctx)
    assert keys(stale) == ["unreported: prep.payments.refunds", "stale: scripts.backfill_reviews"]
    with pytest.raises(GraphError, match="no committed dependency report"):
        run_contract(contract(type="audit", target="prep.models.orm", report="docs/none"), build_graph(settings), ctx)


def test_contract_options_are_validated():
    with pytest.raises(ValidationError, match="not a Python name"):
        contract(type="forbidden", source=["prep.my-pkg"], forbidden=["x"])
    with pytest.raises(ValidationError, match="importer -> imported"):
        contract(type="forbidden", source=["a"], forbidden=["b"], ignore_imports=["a b"])
    with pytest.raises(ValidationError):
        contract(type="forbiden", source=["a"], forbidden=["b"])


def test_plan_errors_point_at_the_file_and_line(tmp_path: Path):
    path = write_plan(tmp_path, """
        - id: c
          kind: imports
          title: t
          contract:
            type: forbidden
            source: [prep.bookings]
            forbiden: [prep.models.orm]
        """, root=str(EXAMPLE))
    result = run_cli("-c", path, "validate")
    assert result.code == 2 and "Traceback" not in result.stderr
    assert f"{path}:" in result.stderr and "forbiden" in result.stderr


# ----------------------------------------------------------------------------- baseline + gate

PLAN = """
- id: no-orm
  kind: imports
  title: bookings and kitchens do not use the ORM
  contract:
    type: forbidden
    source: [prep.bookings, prep.kitchens, prep.payments]
    forbidden: [prep.models.orm]
"""
GRAPH_SECTION = "graph: {exclude: [tests/*, migrations/*], baseline: baseline.json}"


def test_baseline_holds_old_violations_and_fails_a_new_one(tmp_path: Path):
    root = shutil.copytree(EXAMPLE, tmp_path / "mono")
    plan_path = write_plan(tmp_path, PLAN, root="mono", extra=GRAPH_SECTION)
    plan = load_plan(plan_path)
    first = evaluate(plan, ["p"]).phases[0].criteria[0]
    assert first.status is Status.FAIL and "2 new violation(s)" in first.verdict.summary

    updated = run_cli("-c", plan_path, "graph", "check", "--update-baseline")
    assert updated.code == 0, updated.stderr
    recorded = json.loads((tmp_path / "baseline.json").read_text())
    assert recorded["contracts"] == {"p/no-orm": ["prep.bookings.service -> prep.models.orm",
                                                  "prep.kitchens.service -> prep.models.orm"]}
    known = evaluate(plan, ["p"]).phases[0].criteria[0]
    assert known.status is Status.WARN and "2 known violation(s) in the baseline, none new" in known.verdict.summary

    write(root, {"prep/payments/ledger.py": "from prep.models.orm import Payment\n"})
    new = evaluate(plan, ["p"]).phases[0].criteria[0]
    # The size first: modules that import the forbidden one, and their direct import edges.
    assert new.status is Status.FAIL and new.verdict.summary.startswith(
        "3 module(s) import prep.models.orm (3 direct edge(s)); 1 new violation(s): prep.payments.ledger")
    labels = [e.label for e in new.verdict.evidence]
    assert labels[0].startswith("NEW prep.payments.ledger imports prep.models.orm")
    assert sum(label.startswith("baselined:") for label in labels) == 2
    assert new.verdict.evidence[0].location == "prep/payments/ledger.py:1"
    check = run_cli("-c", plan_path, "graph", "check", "--format", "json")
    assert check.code == 1
    data = json.loads(check.stdout)
    assert [v["key"] for v in data["contracts"][0]["new"]] == ["prep.payments.ledger -> prep.models.orm"]

    # Fixing an old violation is reported so the baseline shrinks.
    (root / "prep" / "payments" / "ledger.py").unlink()
    kitchens = root / "prep" / "kitchens" / "service.py"
    kitchens.write_text(kitchens.read_text().replace("from prep.models import orm", "orm = None"))
    shrunk = run_cli("-c", plan_path, "graph", "check")
    assert shrunk.code == 0, shrunk.stdout
    assert "FIXED p/no-orm: prep.kitchens.service -> prep.models.orm" in shrunk.stdout
    run_cli("-c", plan_path, "graph", "check", "--update-baseline")
    assert Baseline.load(tmp_path / "baseline.json").known("p/no-orm") == {"prep.bookings.service -> prep.models.orm"}


def test_gate_without_baseline_and_with_a_broken_file(tmp_path: Path):
    root = shutil.copytree(EXAMPLE, tmp_path / "mono")
    write(root, {"prep/bookings/broken.py": "from prep.models.orm import Booking\ndef f(:\n"})
    plan_path = write_plan(tmp_path, PLAN.replace("prep.bookings, prep.kitchens, prep.payments", "prep.payments"),
                           root="mono", extra=GRAPH_SECTION)
    result = evaluate(load_plan(plan_path), ["p"]).phases[0].criteria[0]
    # The contract holds (payments reaches the ORM only through bookings.service, a chain that
    # leaves the source), but a skipped file makes it a warning, with the file:line.
    assert result.status in (Status.FAIL, Status.WARN)
    skipped = [e for e in result.verdict.evidence if e.label.startswith("scan problem")]
    assert [(e.path, e.line) for e in skipped] == [("prep/bookings/broken.py", 2)]


def test_gate_errors_when_the_root_has_no_modules(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("nothing\n")
    plan_path = write_plan(tmp_path, PLAN, root="empty")
    result = evaluate(load_plan(plan_path), ["p"]).phases[0].criteria[0]
    assert result.status is Status.ERROR and "no Python modules found" in result.verdict.summary


def test_malformed_baseline_is_a_config_error(tmp_path: Path):
    shutil.copytree(EXAMPLE, tmp_path / "mono")
    plan_path = write_plan(tmp_path, PLAN, root="mono", extra=GRAPH_SECTION)
    (tmp_path / "baseline.json").write_text('{"version": 1,\n "contracts": [}\n')
    result = run_cli("-c", plan_path, "graph", "check")
    assert result.code == 2 and "Traceback" not in result.stderr
    assert "baseline.json:2:" in result.stderr and "not valid JSON" in result.stderr


def test_evaluate_contract_splits_known_new_and_fixed(example, tmp_path: Path):
    baseline = Baseline(tmp_path / "b.json")
    baseline.write({"x/y": ["prep.bookings.service -> prep.models.orm", "prep.old -> prep.models.orm"]})
    spec = contract(type="forbidden", source=["prep.bookings", "prep.kitchens"], forbidden=["prep.models.orm"])
    outcome = evaluate_contract("x/y", spec, example, ContractContext(), Baseline.load(tmp_path / "b.json"))
    assert [v.key for v in outcome.known] == ["prep.bookings.service -> prep.models.orm"]
    assert [v.key for v in outcome.new] == ["prep.kitchens.service -> prep.models.orm"]
    assert outcome.fixed == ["prep.old -> prep.models.orm"]
    assert outcome.status is Status.FAIL


def test_bad_graph_section_patterns_are_config_errors(tmp_path: Path):
    path = write_plan(tmp_path, "- {id: a, kind: paths, title: t, exists: [prep]}", root=str(EXAMPLE),
                      extra="graph: {groups: {analytics: [prep..analytics]}}")
    result = run_cli("-c", path, "validate")
    assert result.code == 2 and "Traceback" not in result.stderr
    assert f"{path}:" in result.stderr and "'prep..analytics' has an empty segment" in result.stderr


# ----------------------------------------------------------------------------- summaries say the size


def _ring(tmp_path: Path, size: int, package_depth: bool = False) -> Path:
    """``size`` packages (or modules) that import each other round a ring: one strongly
    connected component, though any one cycle shown names only some of them."""
    files = {}
    for i in range(size):
        nxt = (i + 1) % size
        if package_depth:
            files[f"p{i}/__init__.py"] = ""
            files[f"p{i}/m.py"] = f"import p{nxt}.m\n"
        else:
            files[f"ring/m{i}.py"] = f"import ring.m{nxt}\n"
    if not package_depth:
        files["ring/__init__.py"] = ""
    return write(tmp_path / "ring", files)


def test_acyclic_states_the_component_size_and_lists_every_member(tmp_path: Path):
    root = _ring(tmp_path, 8)
    outcome = evaluate_contract("p/c", contract(type="acyclic"), build_graph(GraphSettings(root=root)),
                                ContractContext(), None)
    summary = outcome.verdict().summary
    assert "8 modules import each other in a cycle (ring.m0, ring.m1, ring.m2, ring.m3, ring.m4, +3 more)" in summary
    members = [e for e in outcome.evidence() if e.label.startswith("members of cycle (8)")]
    assert members and members[0].value == ", ".join(f"ring.m{i}" for i in range(8))
    assert outcome.to_dict()["new"][0]["members"] == [f"ring.m{i}" for i in range(8)]


def test_acyclic_by_package_names_the_whole_component_not_one_pair(tmp_path: Path):
    root = _ring(tmp_path, 31, package_depth=True)
    result = run_contract(contract(type="acyclic", depth=1), build_graph(GraphSettings(root=root)))
    (violation,) = result.violations
    assert violation.message.startswith("31 packages at depth 1 import each other in a cycle (p0, p1, p10, "
                                        "p11, p12, +26 more); one cycle: p0 -> p1 -> ")
    assert len(violation.members) == 31


def test_forbidden_counts_importing_modules_and_edges(example):
    # bookings and kitchens import the ORM directly (one edge each); jobs.nightly_rollup only
    # through modules outside the source (reconcile_payments' chain leaves through bookings, a source).
    result = run_contract(contract(type="forbidden", source=["jobs", "prep.bookings", "prep.kitchens"],
                                   forbidden=["prep.models.orm"]), example)
    assert result.headline == "3 module(s) import prep.models.orm (2 direct edge(s), 1 of them transitively only)"
    direct = run_contract(contract(type="forbidden", source=["prep.bookings"], forbidden=["prep.models"],
                                   transitive=False), example)
    assert direct.headline.startswith("1 module(s) import prep.models (") and "transitively" not in direct.headline
