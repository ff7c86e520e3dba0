"""Gate kind `schema`: each engine's config validates against the JSON Schema paired with it."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from prepctl.evaluate import evaluate
from prepctl.gates.schema import schema_path_for, unchecked_formats
from prepctl.verdicts import CriterionResult
from tests.support.cli import run_cli
from tests.support.paths import EXAMPLE, PHASES
from tests.support.plans import load_plan, write_plan

ENGINES = "prep/compliance/*_compliance_engine/"

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "rules"],
    "properties": {
        "version": {"type": "integer", "minimum": 1},
        "rules": {"type": "array", "items": {"type": "object", "required": ["name"],
                                             "properties": {"name": {"type": "string"},
                                                            "limit": {"type": "number"}}}},
        "starts": {"type": "string", "format": "date"},
    },
    "additionalProperties": False,
}


def _schema(tmp_path: Path, root: Path, options: str = f"engines: {ENGINES}") -> CriterionResult:
    plan_dir = tmp_path / "plan"
    plan_dir.mkdir(exist_ok=True)
    header = "- id: schemas\n  kind: schema\n  title: engine configs validate\n"
    body = textwrap.indent(textwrap.dedent(options).strip("\n"), "  ")
    config = write_plan(plan_dir, header + body, root=str(root))
    return evaluate(load_plan(config), ["p"]).phases[0].criteria[0]


def _root(tmp_path: Path, files: dict[str, str | dict]) -> Path:
    root = tmp_path / "root"
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(content, indent=2) if isinstance(content, dict) else textwrap.dedent(content).lstrip()
        path.write_text(text, encoding="utf-8")
    return root


def _add_fire_safety_schema(monolith: Path) -> None:
    engine = monolith / "prep/compliance/fire_safety_compliance_engine"
    (engine / "config.schema.json").write_text(json.dumps({
        "type": "object",
        "required": ["version"],
        "properties": {"version": {"type": "integer"}, "hood_cleaning_interval_days": {"type": "integer"},
                       "extinguisher_inspection_days": {"type": "integer"},
                       "require_suppression_system": {"type": "boolean"},
                       "max_occupancy_per_station": {"type": "integer", "maximum": 4}},
        "additionalProperties": False,
    }))


# ---------------------------------------------------------------- the example


def test_example_engine_without_schema_fails(tmp_path: Path):
    result = _schema(tmp_path, EXAMPLE)
    assert result.status == "fail"
    assert result.verdict.summary.startswith("prep/compliance/fire_safety_compliance_engine has no schema")
    by_path = {e.path: e for e in result.verdict.evidence}
    assert by_path["prep/compliance/dol_reg_compliance_engine/config.yaml"].value == "valid"
    assert by_path["prep/compliance/health_permit_compliance_engine/config.yaml"].value == "valid"
    missing = by_path["prep/compliance/fire_safety_compliance_engine/config.yaml"]
    assert missing.expected == "prep/compliance/fire_safety_compliance_engine/config.schema.json"


def test_example_passes_once_every_engine_has_a_schema(tmp_path: Path, example_copy: Path):
    _add_fire_safety_schema(example_copy)
    result = _schema(tmp_path, example_copy)
    assert result.status == "pass", result.verdict.summary
    assert "3 engine(s)" in result.verdict.summary


def test_example_invalid_config_evidence_has_json_path_and_line(tmp_path: Path, example_copy: Path):
    config = example_copy / "prep/compliance/dol_reg_compliance_engine/config.yaml"
    config.write_text(config.read_text().replace("max_hours_per_day: 8", "max_hours_per_day: 30")
                      .replace("jurisdiction: US-FED", "jurisdiction: federal"))
    result = _schema(tmp_path, example_copy)
    assert result.status == "fail"
    errors = {e.value: e for e in result.verdict.evidence
              if e.path == "prep/compliance/dol_reg_compliance_engine/config.yaml" and e.value != "valid"}
    assert set(errors) == {"$.jurisdiction", "$.minor_workers.max_hours_per_day"}
    assert errors["$.jurisdiction"].line == 3
    assert errors["$.minor_workers.max_hours_per_day"].line == 10
    assert "30 is greater than the maximum of 24" in errors["$.minor_workers.max_hours_per_day"].label
    assert errors["$.jurisdiction"].expected.endswith("config.schema.json#/properties/jurisdiction/pattern")


def test_example_unparseable_config_is_error(tmp_path: Path, example_copy: Path):
    config = example_copy / "prep/compliance/health_permit_compliance_engine/config.yaml"
    config.write_text("version: 2\npermit_types: [retail_food\n")
    result = _schema(tmp_path, example_copy)
    assert result.status == "error"
    assert "health_permit_compliance_engine/config.yaml" in result.verdict.summary
    # The definite failure elsewhere is still reported, not hidden by the error.
    assert "fire_safety_compliance_engine has no schema" in result.verdict.summary


def test_cli_repository_plan_phase_3_reports_the_schema_failure(tmp_path: Path):
    result = run_cli("-c", PHASES, "gate", "phase-3", "--format", "json")
    assert result.code == 1, result.stderr
    criterion = next(c for c in json.loads(result.stdout)["criteria"] if c["kind"] == "schema")
    assert criterion["status"] == "fail"
    assert "fire_safety_compliance_engine" in criterion["summary"]


# ---------------------------------------------------------------- temp trees


def test_no_engine_found_is_error(tmp_path: Path):
    root = _root(tmp_path, {"README.md": "x\n"})
    result = _schema(tmp_path, root)
    assert result.status == "error"
    assert "no engine folder matches" in result.verdict.summary


def test_engines_without_any_config_is_error(tmp_path: Path):
    root = _root(tmp_path, {"engines/a_engine/engine.py": "x = 1\n", "engines/b_engine/engine.py": "y = 2\n"})
    result = _schema(tmp_path, root, "engines: engines/*_engine")
    assert result.status == "error"
    assert "no engine has a config" in result.verdict.summary


def test_one_engine_without_config_fails(tmp_path: Path):
    root = _root(tmp_path, {
        "engines/a_engine/config.yaml": "version: 1\nrules: []\n",
        "engines/a_engine/config.schema.json": SCHEMA,
        "engines/b_engine/engine.py": "y = 2\n",
    })
    result = _schema(tmp_path, root, "engines: engines/*_engine")
    assert result.status == "fail"
    assert "engines/b_engine has no config.yaml" in result.verdict.summary


def test_nested_errors_are_each_reported(tmp_path: Path):
    root = _root(tmp_path, {
        "engines/a_engine/config.yaml": """
            version: 0
            rules:
              - name: ok
              - limit: "high"
            starts: tomorrow
            extra: true
            """,
        "engines/a_engine/config.schema.json": SCHEMA,
    })
    result = _schema(tmp_path, root, "engines: engines/*_engine")
    assert result.status == "fail"
    found = {(e.value, e.line) for e in result.verdict.evidence}
    assert {("$", 1), ("$.version", 1), ("$.rules[1]", 4), ("$.rules[1].limit", 4), ("$.starts", 5)} <= found
    assert any("'extra' was unexpected" in e.label for e in result.verdict.evidence)


@pytest.mark.parametrize("fmt, value", [("uri", "not a url"), ("hostname", "-bad-.example"),
                                        ("duration", "two weeks"), ("json-pointer", "no/slash")])
def test_every_standard_format_is_checked(tmp_path: Path, fmt: str, value: str):
    # Held-out false pass: without jsonschema's optional checkers `format: uri` was skipped.
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
              "properties": {"v": {"type": "string", "format": fmt}}}
    root = _root(tmp_path, {"engines/a_engine/config.yaml": f"v: {json.dumps(value)}\n",
                            "engines/a_engine/config.schema.json": schema})
    result = _schema(tmp_path, root, "engines: engines/*_engine")
    assert result.status == "fail", result.verdict.summary
    assert any(e.value == "$.v" for e in result.verdict.evidence)


def test_a_format_this_install_cannot_check_is_named():
    schema = {"properties": {"home": {"type": "string", "format": "uri"},
                             "own": {"type": "string", "format": "x-team-id"}},
              "items": {"format": "date"}}
    assert unchecked_formats(schema, {"date"}) == [(("properties", "home"), "uri")]


def test_custom_pairing_rule_and_json_configs(tmp_path: Path):
    root = _root(tmp_path, {
        "engines/a_engine/settings.json": {"version": 2, "rules": [{"name": "r"}]},
        "schemas/a_engine.json": SCHEMA,
    })
    options = """
        engines: [engines/*_engine/]
        config: "*.json"
        schema_file: /schemas/{engine}.json
        """
    assert _schema(tmp_path, root, options).status == "pass"
    (root / "engines/a_engine/settings.json").write_text('{"version": "2", "rules": []}')
    failed = _schema(tmp_path, root, options)
    assert failed.status == "fail"
    assert any(e.value == "$.version" and e.line == 1 for e in failed.verdict.evidence)


def test_loose_config_glob_does_not_treat_the_schema_as_a_config(tmp_path: Path):
    root = _root(tmp_path, {
        "engines/a_engine/config.json": {"version": 1, "rules": []},
        "engines/a_engine/config.schema.json": SCHEMA,
    })
    result = _schema(tmp_path, root, 'engines: engines/*_engine\nconfig: "config.*"')
    assert result.status == "pass", result.verdict.summary
    assert len([e for e in result.verdict.evidence if e.value == "valid"]) == 1


def test_schema_refs_resolve_beside_the_schema_only(tmp_path: Path):
    schema = {"$id": "https://example.invalid/schemas/a/config.schema.json", "type": "object",
              "properties": {"rule": {"$ref": "common.json#/$defs/rule"}}}
    root = _root(tmp_path, {
        "engines/a_engine/config.yaml": "rule: {name: 3}\n",
        "engines/a_engine/config.schema.json": schema,
        "engines/a_engine/common.json": {"$defs": {"rule": {"type": "object",
                                                            "properties": {"name": {"type": "string"}}}}},
    })
    result = _schema(tmp_path, root, "engines: engines/*_engine")
    assert result.status == "fail"
    assert any(e.value == "$.rule.name" and "not of type 'string'" in e.label for e in result.verdict.evidence)

    (root / "engines/a_engine/common.json").unlink()
    unresolved = _schema(tmp_path, root, "engines: engines/*_engine")
    assert unresolved.status == "error"
    assert "cannot resolve $ref" in unresolved.verdict.summary


@pytest.mark.parametrize("schema_text, reason", [
    ('{"type": "object",', "invalid JSON"),
    ('{"type": "objekt"}', "the schema itself is invalid"),
    ("[1, 2]", "is not a JSON Schema"),
])
def test_broken_schema_is_error(tmp_path: Path, schema_text: str, reason: str):
    root = _root(tmp_path, {"engines/a_engine/config.yaml": "version: 1\n",
                            "engines/a_engine/config.schema.json": "{}"})
    (root / "engines/a_engine/config.schema.json").write_text(schema_text)
    result = _schema(tmp_path, root, "engines: engines/*_engine")
    assert result.status == "error"
    assert reason in result.verdict.summary


def test_unknown_placeholder_is_a_config_error(tmp_path: Path):
    config = write_plan(tmp_path, """
        - id: schemas
          kind: schema
          title: schemas
          engines: x/*
          schema_file: "{name}.json"
        """, root=str(EXAMPLE))
    result = run_cli("-c", config, "validate")
    assert result.code == 2
    assert "unknown placeholder {name}" in result.stderr + result.stdout


def test_schema_path_for():
    assert schema_path_for("e/x_engine/config.yaml", "e/x_engine", "{stem}.schema.json") == \
        "e/x_engine/config.schema.json"
    assert schema_path_for("e/x_engine/conf/a.yml", "e/x_engine", "../schemas/{config}.json") == \
        "e/x_engine/schemas/a.yml.json"
    assert schema_path_for("e/x_engine/config.yaml", "e/x_engine/", "/s/{engine}.json") == "s/x_engine.json"


def test_copy_is_independent_of_the_example(tmp_path: Path, example_copy: Path):
    """The example itself is never modified by these tests."""
    shutil.rmtree(example_copy / "prep/compliance")
    assert (EXAMPLE / "prep/compliance/dol_reg_compliance_engine/config.yaml").is_file()
    assert _schema(tmp_path, example_copy).status == "error"


def test_gate_at_revision_validates_the_committed_config(tmp_path: Path):
    import subprocess

    root = _root(tmp_path, {"engines/a_engine/config.yaml": "version: 1\nrules: []\n",
                            "engines/a_engine/config.schema.json": SCHEMA})

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=root,
                       check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "valid config")
    (root / "engines/a_engine/config.yaml").write_text("version: one\nrules: []\n")
    config = write_plan(tmp_path, """
        - id: schemas
          kind: schema
          title: schemas
          engines: engines/*_engine
        """, root=str(root))
    now = run_cli("-c", config, "gate", "p", "--format", "json")
    then = run_cli("-c", config, "gate", "p", "--at", "HEAD", "--format", "json")
    assert now.code == 1 and json.loads(now.stdout)["criteria"][0]["status"] == "fail"
    assert then.code == 0, then.stdout + then.stderr
    assert json.loads(then.stdout)["criteria"][0]["status"] == "pass"


def test_keyword_typo_is_an_error_at_its_line(tmp_path: Path):
    schema = '{\n  "type": "object",\n  "properties": {\n    "threshold": {"maximun": 10}\n  }\n}\n'
    root = _root(tmp_path, {"eng/a/config.yaml": "threshold: 50\n", "eng/a/config.schema.json": schema})
    result = _schema(tmp_path, root, "engines: eng/*/")
    assert result.status == "error"
    assert "config.schema.json:4: unknown keyword 'maximun' at /properties/threshold; did you mean 'maximum'?" \
        in result.verdict.summary


def test_schema_that_constrains_nothing_fails(tmp_path: Path):
    root = _root(tmp_path, {"eng/a/config.yaml": "threshold: 50\n",
                            "eng/a/config.schema.json": '{"title": "placeholder"}'})
    result = _schema(tmp_path, root, "engines: eng/*/")
    assert result.status == "fail"
    assert "constrains nothing" in result.verdict.summary


def test_nan_in_a_yaml_config_is_an_error_at_its_line(tmp_path: Path):
    schema = '{"properties": {"limits": {"items": {"maximum": 10}}}}'
    root = _root(tmp_path, {"eng/a/config.yaml": "name: x\nlimits:\n  - 1\n  - .nan\n",
                            "eng/a/config.schema.json": schema})
    result = _schema(tmp_path, root, "engines: eng/*/")
    assert result.status == "error"
    nan = [e for e in result.verdict.evidence if "NaN or infinite" in e.label]
    assert nan and nan[0].line == 4 and "$.limits[1]" in nan[0].label
