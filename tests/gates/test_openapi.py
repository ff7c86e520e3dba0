"""Gate kind `openapi`: required paths/methods in an OpenAPI 3 document that must itself be valid."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from prepctl.evaluate import evaluate
from prepctl.gates.openapi import path_pattern
from prepctl.verdicts import CriterionResult
from tests.support.cli import run_cli
from tests.support.paths import EXAMPLE
from tests.support.plans import load_plan, write_plan

PHASE_1_PATHS = """
  paths:
    - {path: /api/v1/analytics, methods: [get]}
    - {path: "/analytics/host/*", methods: [GET]}
"""

MINIMAL = """
openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /items:
    get:
      responses:
        "200": {description: ok}
"""


def _openapi(tmp_path: Path, root: Path, options: str = PHASE_1_PATHS) -> CriterionResult:
    plan_dir = tmp_path / "plan"
    plan_dir.mkdir(exist_ok=True)
    header = "- id: contract\n  kind: openapi\n  title: API contract\n"
    body = textwrap.indent(textwrap.dedent(options).strip("\n"), "  ")
    config = write_plan(plan_dir, header + body, root=str(root))
    return evaluate(load_plan(config), ["p"]).phases[0].criteria[0]


def _root(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "root"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


# ---------------------------------------------------------------- the example


def test_example_contract_passes_with_every_matched_path_as_evidence(tmp_path: Path):
    result = _openapi(tmp_path, EXAMPLE)
    assert result.status == "pass", result.verdict.summary
    labels = {e.label: e for e in result.verdict.evidence}
    assert "valid OpenAPI 3.0.3" in labels
    summary = labels["/analytics/host/* -> /analytics/host/{host_id}/summary"]
    assert (summary.path, summary.line, summary.value) == ("openapi.yaml", 52, "GET")
    assert "/analytics/host/* -> /analytics/host/{host_id}/reviews" in labels


def test_example_missing_path_and_method_fail(tmp_path: Path):
    result = _openapi(tmp_path, EXAMPLE, """
        paths:
          - {path: /api/v1/analytics, methods: [post]}
          - /analytics/kitchen/*
        """)
    assert result.status == "fail"
    assert "POST on /api/v1/analytics" in result.verdict.summary
    assert "/analytics/kitchen/*" in result.verdict.summary


def test_cli_on_example_copy_with_a_broken_document(tmp_path: Path, example_copy: Path):
    document = example_copy / "openapi.yaml"
    text = document.read_text()
    document.write_text(text.replace("          in: query\n          required: true",
                                     "          in: body\n          required: true", 1))
    broken_line = next(i for i, line in enumerate(document.read_text().splitlines(), 1) if "in: body" in line)
    config = write_plan(tmp_path, """
        - id: contract
          kind: openapi
          title: contract
          paths: [/api/v1/bookings]
        """, root=str(example_copy))
    result = run_cli("-c", config, "gate", "p", "--format", "json")
    assert result.code == 1, result.stderr
    [criterion] = json.loads(result.stdout)["criteria"]
    assert criterion["status"] == "fail"
    assert "not valid OpenAPI" in criterion["summary"]
    invalid = [e for e in criterion["evidence"] if e["label"].startswith("invalid at")]
    assert invalid and invalid[0]["line"] == broken_line
    assert "'body' is not one of" in invalid[0]["label"]


def test_example_document_missing_is_error(tmp_path: Path, example_copy: Path):
    (example_copy / "openapi.yaml").unlink()
    result = _openapi(tmp_path, example_copy)
    assert result.status == "error"
    assert "not found" in result.verdict.summary


# ---------------------------------------------------------------- temp trees


def test_valid_document_without_required_paths_checks_validity_only(tmp_path: Path):
    root = _root(tmp_path, {"openapi.yaml": MINIMAL})
    result = _openapi(tmp_path, root, "")
    assert result.status == "pass"
    assert "valid OpenAPI 3.1.0" in result.verdict.summary


def test_json_document_and_path_parameter_names(tmp_path: Path):
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {
        "/hosts/{host_id}": {"parameters": [{"name": "host_id", "in": "path", "required": True,
                                             "schema": {"type": "integer"}}],
                             "delete": {"responses": {"204": {"description": "gone"}}}}}}
    root = _root(tmp_path, {"api/spec.json": json.dumps(doc, indent=2)})
    result = _openapi(tmp_path, root, """
        document: api/spec.json
        paths:
          - {path: "/hosts/{id}", methods: [delete]}
        """)
    assert result.status == "pass", result.verdict.summary
    assert _openapi(tmp_path, root, """
        document: api/spec.json
        paths:
          - {path: "/hosts/{id}", methods: [get]}
        """).status == "fail"


def test_json_document_with_a_byte_order_mark_is_read(tmp_path: Path):
    # Held-out false error: a JSON spec saved by PowerShell/Visual Studio starts with a BOM.
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
           "paths": {"/items": {"get": {"responses": {"200": {"description": "ok"}}}}}}
    root = tmp_path / "root"
    root.mkdir()
    (root / "spec.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(doc, indent=2).encode())
    found = _openapi(tmp_path, root, "document: spec.json\npaths: [/items]\n")
    assert found.status == "pass", found.verdict.summary
    missing = _openapi(tmp_path, root, "document: spec.json\npaths: [/orders]\n")
    assert missing.status == "fail", missing.verdict.summary


def test_every_matched_path_needs_the_methods(tmp_path: Path):
    root = _root(tmp_path, {"openapi.yaml": """
        openapi: 3.0.3
        info: {title: t, version: "1"}
        paths:
          /a/one:
            get: {responses: {"200": {description: ok}}}
          /a/two:
            post: {responses: {"200": {description: ok}}}
        """})
    result = _openapi(tmp_path, root, """
        paths:
          - {path: "/a/*", methods: [get]}
        """)
    assert result.status == "fail"
    assert "GET on /a/two" in result.verdict.summary


def test_invalid_document_fails_with_each_problem_located(tmp_path: Path):
    root = _root(tmp_path, {"openapi.yaml": """
        openapi: 3.0.3
        info:
          title: t
        paths:
          /items/{id}:
            get:
              responses:
                "200": {description: ok}
          /other:
            get:
              responses:
                "200":
                  content: {}
        """})
    result = _openapi(tmp_path, root, "paths: [/other]")
    assert result.status == "fail"
    problems = {e.label: e.line for e in result.verdict.evidence if e.label.startswith("invalid at")}
    assert problems.get("invalid at $.info: 'version' is a required property") == 2
    assert any("Path parameter 'id'" in label and line == 5 for label, line in problems.items()), problems


def test_swagger_2_document_is_an_error_that_says_convert_it(tmp_path: Path):
    # Not `fail`: its paths exist, in a format the gate does not judge; "missing /x" would mislead.
    root = _root(tmp_path, {"openapi.yaml": 'swagger: "2.0"\ninfo: {title: t, version: "1"}\npaths: {}\n'})
    result = _openapi(tmp_path, root, "")
    assert result.status == "error"
    assert "openapi.yaml:1 is a Swagger 2.0 document" in result.verdict.summary
    assert "convert it" in result.verdict.summary


@pytest.mark.parametrize("text, reason", [
    ("openapi: 3.0.3\npaths:\n  /a: [unclosed\n", "invalid YAML"),
    ("openapi: 3.0.3\n\tpaths: {}\n", "invalid YAML"),
])
def test_unparseable_document_is_error_with_line(tmp_path: Path, text: str, reason: str):
    root = _root(tmp_path, {"openapi.yaml": text})
    result = _openapi(tmp_path, root)
    assert result.status == "error"
    assert reason in result.verdict.summary and "openapi.yaml:" in result.verdict.summary


def test_refs_follow_files_in_the_tree_and_never_the_network(tmp_path: Path):
    root = _root(tmp_path, {
        "api/openapi.yaml": """
            openapi: 3.0.3
            info: {title: t, version: "1"}
            paths:
              /items:
                $ref: "paths/items.yaml"
            """,
        "api/paths/items.yaml": "get:\n  responses:\n    '200': {description: ok}\n",
    })
    options = """
        document: api/openapi.yaml
        paths:
          - {path: /items, methods: [get]}
        """
    assert _openapi(tmp_path, root, options).status == "pass"

    (root / "api/paths/items.yaml").unlink()
    missing = _openapi(tmp_path, root, options)
    assert missing.status == "fail"
    assert "unresolvable $ref 'paths/items.yaml'" in missing.verdict.summary

    doc = root / "api/openapi.yaml"
    doc.write_text(doc.read_text().replace("paths/items.yaml", "https://example.invalid/items.yaml"))
    remote = _openapi(tmp_path, root, options)
    assert remote.status == "error"
    assert "points at the network" in remote.verdict.summary


def test_root_without_the_document_is_error(tmp_path: Path):
    root = _root(tmp_path, {"README.md": "nothing here\n"})
    assert _openapi(tmp_path, root).status == "error"


def test_unknown_method_is_a_config_error(tmp_path: Path):
    config = write_plan(tmp_path, """
        - id: contract
          kind: openapi
          title: contract
          paths:
            - {path: /a, methods: [fetch]}
        """, root=str(EXAMPLE))
    result = run_cli("-c", config, "validate")
    assert result.code == 2
    assert "unknown HTTP method fetch" in result.stderr + result.stdout


@pytest.mark.parametrize("pattern, path, hit", [
    ("/analytics/host/*", "/analytics/host/{host_id}/summary", True),
    ("/analytics/host/*", "/analytics/hosts", False),
    # Exact: OpenAPI's `/a/` is another path, and `*` stands for at least one character.
    ("/api/v1/analytics", "/api/v1/analytics/", False),
    ("/api/v1/analytics/", "/api/v1/analytics", False),
    ("/Analytics/host/*", "/analytics/host/{host_id}", False),
    ("/analytics/host/*", "/analytics/host/", False),
    ("/analytics/*", "/analytics/host/{host_id}", True),
    ("/api/v1/analytics", "/api/v1/analytics/bookings", False),
    ("/hosts/{id}", "/hosts/{host_id}", True),
    ("/hosts/{id}", "/hosts/42", False),
])
def test_path_patterns(pattern: str, path: str, hit: bool):
    assert bool(path_pattern(pattern).fullmatch(path)) is hit


def test_document_is_parsed_once_per_run(tmp_path: Path):
    """Two criteria on one document share the parsed, validated result (ctx.shared)."""
    root = _root(tmp_path, {"openapi.yaml": MINIMAL})
    config = write_plan(tmp_path, """
        - id: one
          kind: openapi
          title: one
          paths: [/items]
        - id: two
          kind: openapi
          title: two
          paths: [/nope]
        """, root=str(root))
    from prepctl.evaluate import make_context

    plan = load_plan(config)
    ctx = make_context(plan)
    report = evaluate(plan, ["p"], ctx=ctx)
    assert [c.status for c in report.phases[0].criteria] == ["pass", "fail"]
    assert len([k for k in ctx._shared if k.startswith("openapi:")]) == 1
    shutil.rmtree(root)


def test_editor_schema_accepts_the_documented_shapes_of_all_three_kinds():
    """`prepctl schema` (for yaml-language-server) must accept what the docs show, typos rejected."""
    import jsonschema
    import yaml

    from prepctl.gates.registry import KINDS
    from prepctl.plan.schema import json_schema

    plan = yaml.safe_load(textwrap.dedent("""
        version: 1
        name: t
        phases:
          - id: p
            title: P
            weeks: {start: 0, end: 1}
            owners: [me]
            criteria:
              - {id: a, kind: openapi, title: a, paths: [/x, {path: "/y/*", methods: [get]}]}
              - {id: b, kind: flag, title: b, name: X, expect: false, attribute: x}
              - {id: c, kind: schema, title: c, engines: "e/*/", schema_file: "{stem}.json"}
        """))
    validator = jsonschema.Draft202012Validator(json_schema(KINDS))
    validator.validate(plan)
    plan["phases"][0]["criteria"][1]["expekt"] = True
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(plan)


def test_near_miss_in_case_or_trailing_slash_fails_and_is_named(tmp_path: Path):
    root = _root(tmp_path, {"openapi.yaml": MINIMAL.replace("/items:", "/Items/:")})
    result = _openapi(tmp_path, root, "paths: [/items]")
    assert result.status == "fail"
    near = [e for e in result.verdict.evidence if e.label.startswith("no path matches /items")]
    assert near and "near miss: /Items/" in near[0].label and near[0].line == 4


def test_yaml_int_response_codes_are_read_as_text(tmp_path: Path):
    # `200:` unquoted is an int to YAML; the validator crashed on it (TypeError) before.
    root = _root(tmp_path, {"openapi.yaml": MINIMAL.replace('"200":', "200:")})
    result = _openapi(tmp_path, root, "paths: [{path: /items, methods: [get]}]")
    assert result.status == "pass", result.verdict.summary
