"""Adding a gate kind is one new file: a throw-away kind installed through an entry point (a
dist-info on PYTHONPATH, as pip would leave it) shows in `validate`, `schema`, `gate`, the
reference-docs generator and the dashboard's charts, with no change to prepctl. A throw-away
output format and contract type ride along the same way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO
from tests.support.plans import write_plan

GATE_MODULE = '''\"\"\"Gate kind `throwaway`: a marker file is present.

```yaml
- id: ready
  kind: throwaway
  title: the ready marker is there
  file: READY
```
\"\"\"

from typing import Literal

from pydantic import Field

from prepctl.plugin import CriterionSpec, Evidence, Gate, GateContext, Metric, Phase, Status, Verdict


class ThrowawaySpec(CriterionSpec):
    kind: Literal["throwaway"]
    file: str = Field(description="The marker file, relative to the root.")


class ThrowawayGate(Gate[ThrowawaySpec]):
    kind = "throwaway"
    options = ThrowawaySpec
    does_io = False

    def check(self, spec: ThrowawaySpec, phase: Phase, ctx: GateContext) -> Verdict:
        found = ctx.tree.is_file(spec.file)
        return Verdict.of(Status.PASS if found else Status.FAIL,
                          f"throwaway: {spec.file} {'found' if found else 'missing'}",
                          [Evidence("ready marker", path=spec.file,
                                    metric=Metric("marker files", 1.0 if found else 0.0, unit="files",
                                                  objective=">= 1", threshold=1.0, direction="higher"))])
'''

FORMAT_MODULE = '''
from prepctl.plugin import Format


class ThrowawayFormat(Format):
    name = "throwaway"

    def render(self, report):
        return f"THROWAWAY {report.status}\\n"

    def render_status(self, rows):
        return "".join(f"THROWAWAY {row.phase} {row.state}\\n" for row in rows)
'''

CONTRACT_MODULE = '''
from typing import Literal

from prepctl.plugin import Contract, ContractOptions, ContractResult


class NothingOptions(ContractOptions):
    type: Literal["nothing-forbidden"]


class NothingContract(Contract[NothingOptions]):
    type = "nothing-forbidden"
    options = NothingOptions

    def check(self, options, graph, ctx):
        return ContractResult(violations=[], checked=f"{len(graph)} modules, nothing forbidden")
'''

ENTRY_POINTS = """\
[prepctl.gates]
throwaway = throwaway_gate:ThrowawayGate

[prepctl.formats]
throwaway = throwaway_format:ThrowawayFormat

[prepctl.contracts]
nothing-forbidden = throwaway_contract:NothingContract
"""


@pytest.fixture
def plugin_site(tmp_path: Path) -> Path:
    """A folder that holds the plugin's modules and its installed distribution's metadata."""
    site = tmp_path / "site"
    dist = site / "x-0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: x\nVersion: 0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")
    (site / "throwaway_gate.py").write_text(GATE_MODULE, encoding="utf-8")
    (site / "throwaway_format.py").write_text(FORMAT_MODULE, encoding="utf-8")
    (site / "throwaway_contract.py").write_text(CONTRACT_MODULE, encoding="utf-8")
    return site


def plugin_plan(folder: Path, criteria: str) -> Path:
    """A plan over a root that holds one package and the READY marker."""
    root = folder / "root"
    (root / "app").mkdir(parents=True, exist_ok=True)
    (root / "app" / "__init__.py").write_text("", encoding="utf-8")
    (root / "READY").write_text("yes\n", encoding="utf-8")
    return write_plan(folder, criteria, root="root")


def prepctl(site: Path | None, *args: str | Path) -> subprocess.CompletedProcess[str]:
    path = [str(site)] if site is not None else []
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120",
           "PYTHONPATH": os.pathsep.join([*path, str(REPO)])}
    return subprocess.run([sys.executable, "-m", "prepctl", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=120, stdin=subprocess.DEVNULL, cwd=REPO)


THROWAWAY = """\
- id: ready
  kind: throwaway
  title: the ready marker is there
  file: READY
"""


def test_a_plugin_kind_is_validated_listed_in_the_schema_and_gated(plugin_site: Path, tmp_path: Path):
    plan = plugin_plan(tmp_path, THROWAWAY)

    validate = prepctl(plugin_site, "-c", plan, "validate")
    assert validate.returncode == 0, validate.stderr
    assert ": ok (1 phases, 1 criteria" in validate.stdout

    schema = json.loads(prepctl(plugin_site, "schema").stdout)
    criterion = schema["$defs"]["UntypedCriterion"]["properties"]["kind"]
    assert "throwaway" in criterion["enum"] and "throwaway" in criterion["description"]
    assert schema["$defs"]["Criterion_throwaway"]["properties"]["file"]["type"] == "string"

    gate = prepctl(plugin_site, "-c", plan, "gate", "p", "--format", "json")
    assert gate.returncode == 0, gate.stderr
    [result] = json.loads(gate.stdout)["criteria"]
    assert (result["kind"], result["status"], result["summary"]) == ("throwaway", "pass", "throwaway: READY found")

    table = prepctl(plugin_site, "-c", plan, "gate", "p")
    assert "throwaway: READY found" in table.stdout and table.returncode == 0


def test_a_plugin_kind_is_checked_against_its_options_with_positions(plugin_site: Path, tmp_path: Path):
    plan = plugin_plan(tmp_path, """\
        - id: ready
          kind: throwaway
          title: the ready marker is there
          fiel: READY
        - id: typo
          kind: throwawy
          title: a typo of the kind
        """)
    result = prepctl(plugin_site, "-c", plan, "validate")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{plan}:11:9: missing required key 'file' in phases[0].criteria[0]" in result.stderr
    assert f"{plan}:14:9: unknown key 'fiel' (did you mean 'file'?)" in result.stderr
    assert f"{plan}:16:9: unknown gate kind 'throwawy' (did you mean 'throwaway'?)" in result.stderr


def test_without_the_plugin_the_kind_is_unknown(tmp_path: Path):
    plan = plugin_plan(tmp_path, THROWAWAY)
    result = prepctl(None, "-c", plan, "validate")
    assert result.returncode == 2
    assert "unknown gate kind 'throwaway'" in result.stderr and "Traceback" not in result.stderr


def test_a_plugin_format_and_contract_type_join_the_same_way(plugin_site: Path, tmp_path: Path):
    plan = plugin_plan(tmp_path, THROWAWAY + """\
- id: contract
  kind: imports
  title: a plugin contract type
  contract: {type: nothing-forbidden}
""")
    status = prepctl(plugin_site, "-c", plan, "status", "--format", "throwaway")
    assert status.returncode == 0, status.stderr
    assert status.stdout == "THROWAWAY p passed\n"

    gate = prepctl(plugin_site, "-c", plan, "gate", "p", "--format", "json")
    assert gate.returncode == 0, gate.stderr
    contract = json.loads(gate.stdout)["criteria"][1]
    assert contract["status"] == "pass" and "nothing forbidden" in contract["summary"]

    schema = json.loads(prepctl(plugin_site, "schema").stdout)
    assert "nothing-forbidden" in schema["$defs"]["Criterion_imports"]["properties"]["contract"]["description"]

    wrong = prepctl(plugin_site, "-c", plan, "status", "--format", "xml")
    assert wrong.returncode == 2
    assert wrong.stderr == "prepctl: status supports --format one of json, table or throwaway, not 'xml'\n"


def test_a_broken_plugin_is_an_error_not_a_traceback(plugin_site: Path, tmp_path: Path):
    (plugin_site / "throwaway_gate.py").write_text("raise ImportError('half installed')\n", encoding="utf-8")
    plan = plugin_plan(tmp_path, THROWAWAY)
    result = prepctl(plugin_site, "-c", plan, "validate")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "gate kind 'throwaway' failed to load" in result.stderr and "half installed" in result.stderr


def test_a_plugin_kind_gets_a_reference_page(plugin_site: Path):
    """The docs generator walks the registry, so an installed kind gets its page and index line."""
    script = ("from prepctl.reference import gate_page, index_pages\n"
              "print(gate_page('throwaway'))\n"
              "print('INDEX', index_pages()['gates/index.md'])\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin_site), str(REPO)])}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                            timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr
    page, index = result.stdout.split("INDEX", 1)
    assert "The marker file, relative to the root." in page  # the option's Field description
    assert "kind: throwaway" in page  # the docstring's yaml example
    assert "throwaway" in index


def test_a_plugin_kinds_metric_reaches_the_dashboards_charts(plugin_site: Path, tmp_path: Path):
    plan = plugin_plan(tmp_path, THROWAWAY)
    for _ in range(2):
        gate = prepctl(plugin_site, "-c", plan, "gate", "p")
        assert gate.returncode == 0, gate.stderr
    site = tmp_path / "site"
    report = prepctl(plugin_site, "-c", plan, "report", "--out", site)
    assert report.returncode == 0, report.stderr
    html = (site / "index.html").read_text(encoding="utf-8")
    section = html.split('<section id="metrics">', 1)[1].split("</section>", 1)[0]
    assert "p/ready: marker files (files)" in section
    assert section.count('class="dot"') == 2
