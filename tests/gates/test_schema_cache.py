"""The `schema` gate's content cache: each config's outcome is kept per (config, schema, `$ref`'d
files, validator) content, and anything that changes the answer is a miss."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

from prepctl import workdir
from prepctl.gates import schema as schema_gate
from tests.support.cached import CallCounter, run_cached
from tests.support.plans import write_plan

SCHEMA = {"$id": "https://example.invalid/schemas/a/config.schema.json", "type": "object",
          "required": ["rule"], "properties": {"rule": {"$ref": "common.json#/$defs/rule"},
                                               "starts": {"type": "string", "format": "date"}}}
COMMON = {"$defs": {"rule": {"type": "object", "properties": {"name": {"type": "string"}}}}}


def _root(tmp_path: Path, config: str = "rule: {name: x}\nstarts: \"2024-01-31\"\n") -> Path:
    root = tmp_path / "root"
    for rel, content in {"engines/a_engine/config.yaml": config,
                         "engines/b_engine/config.yaml": "rule: {name: 3}\n",
                         "engines/a_engine/config.schema.json": SCHEMA,
                         "engines/b_engine/config.schema.json": SCHEMA,
                         "engines/a_engine/common.json": COMMON,
                         "engines/b_engine/common.json": COMMON}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content) if isinstance(content, dict) else content, encoding="utf-8")
    return root


def _plan(tmp_path: Path, root: Path) -> Path:
    plan_dir = tmp_path / "plan"
    plan_dir.mkdir(exist_ok=True)
    body = "- id: schemas\n  kind: schema\n  title: configs validate\n  engines: engines/*_engine\n"
    return write_plan(plan_dir, body, root=str(root))


def test_second_run_reads_each_config_outcome_back_unchanged(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, schema_gate, "check_pair")
    config = _plan(tmp_path, _root(tmp_path))
    first, stats = run_cached(config)
    # b's rule name is a number: the failing outcome is cached as failing.
    assert first.status == "fail" and "engines/b_engine/config.yaml: 1 validation error" in first.verdict.summary
    assert (counter.calls, stats.misses, stats.writes) == (2, 2, 2)
    second, stats = run_cached(config)
    assert (counter.calls, stats.hits, stats.misses) == (2, 2, 0)
    assert (second.status, second.verdict.summary) == (first.status, first.verdict.summary)
    assert [e.to_dict() for e in second.verdict.evidence] == [e.to_dict() for e in first.verdict.evidence]
    assert any(e.line == 1 and e.value == "$.rule.name" for e in second.verdict.evidence)


def test_changing_only_a_refd_schema_file_invalidates_that_config(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, schema_gate, "check_pair")
    root = _root(tmp_path)
    config = _plan(tmp_path, root)
    run_cached(config)
    loose = {"$defs": {"rule": {"type": "object", "properties": {"name": {"type": ["string", "integer"]}}}}}
    (root / "engines/b_engine/common.json").write_text(json.dumps(loose))
    result, stats = run_cached(config)
    assert (stats.hits, stats.stale, counter.calls) == (1, 1, 3)
    assert result.status == "pass", result.verdict.summary

    (root / "engines/b_engine/common.json").unlink()
    result, stats = run_cached(config)
    assert stats.stale == 1 and result.status == "error" and "cannot resolve $ref" in result.verdict.summary


def test_changing_the_config_or_the_validator_invalidates(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, schema_gate, "check_pair")
    root = _root(tmp_path)
    config = _plan(tmp_path, root)
    run_cached(config)
    (root / "engines/a_engine/config.yaml").write_text("rule: {name: x}\nstarts: not a date\n")
    result, stats = run_cached(config)
    assert (stats.hits, stats.misses, counter.calls) == (1, 1, 3)
    assert any(e.value == "$.starts" and "is not a 'date'" in e.label for e in result.verdict.evidence)

    identity = schema_gate.validator_identity()
    assert "jsonschema=" in identity and "rfc3339-validator=" in identity
    monkeypatch.setattr(schema_gate, "validator_identity", lambda: identity + ";jsonschema=99")
    _, stats = run_cached(config)
    assert (stats.hits, stats.misses, counter.calls) == (0, 2, 5)


def test_no_cache_folder_means_every_config_is_validated(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, schema_gate, "check_pair")
    monkeypatch.setattr(workdir, "cache_dir", lambda base: None)
    config = _plan(tmp_path, _root(tmp_path))
    assert run_cached(config)[0].status == run_cached(config)[0].status == "fail"
    assert counter.calls == 4
    assert not (tmp_path / "plan" / workdir.STATE_DIR).exists()


def test_an_unparseable_config_stays_an_error(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, schema_gate, "check_pair")
    config = _plan(tmp_path, _root(tmp_path, config=textwrap.dedent("rule: {name: x\n")))
    first, _ = run_cached(config)
    second, stats = run_cached(config)
    assert first.status == second.status == "error" and stats.hits == 2 and counter.calls == 2
    assert first.verdict.summary == second.verdict.summary and "cannot parse" in second.verdict.summary


def test_the_same_bytes_at_a_revision_hit_and_carry_that_revision(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, schema_gate, "check_pair")
    root = _root(tmp_path)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "configs"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=root,
                       check=True, capture_output=True)
    config = _plan(tmp_path, root)
    now, _ = run_cached(config)
    then, stats = run_cached(config, at="HEAD")
    assert stats.hits == 2 and counter.calls == 2
    assert then.status == now.status == "fail"
    revisions = {e.revision for e in then.verdict.evidence}
    assert len(revisions) == 1 and None not in revisions  # the revision judged, not the cached run's
    assert {e.revision for e in now.verdict.evidence} == {None}
