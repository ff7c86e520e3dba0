"""The `openapi` gate's content cache: a second run on the same bytes does not validate again,
and anything that changes the answer (the document, a `$ref`'d file, the validator) is a miss."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from prepctl import workdir
from prepctl.contentcache import DB_NAME
from prepctl.gates import openapi
from prepctl.verdicts import CriterionResult
from tests.support.cached import CallCounter, run_cached
from tests.support.paths import REPO
from tests.support.plans import write_plan

DOCUMENT = """
openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /items:
    $ref: "paths/items.yaml"
  /users:
    get:
      responses:
        "200": {description: ok}
"""
ITEMS = "get:\n  responses:\n    '200': {description: ok}\n"
OPTIONS = """
  document: api/openapi.yaml
  paths:
    - {path: /items, methods: [get]}
    - /users
"""


def _root(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "root"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def _plan(tmp_path: Path, root: Path, options: str = OPTIONS) -> Path:
    plan_dir = tmp_path / "plan"
    plan_dir.mkdir(exist_ok=True)
    header = "- id: contract\n  kind: openapi\n  title: API contract\n"
    body = textwrap.indent(textwrap.dedent(options).strip("\n"), "  ")
    return write_plan(plan_dir, header + body, root=str(root))


def _same(a: CriterionResult, b: CriterionResult) -> None:
    assert (a.status, a.verdict.summary) == (b.status, b.verdict.summary)
    assert [e.to_dict() for e in a.verdict.evidence] == [e.to_dict() for e in b.verdict.evidence]


def test_second_run_on_unchanged_files_does_not_validate_and_says_the_same(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, openapi, "check_document")
    config = _plan(tmp_path, _root(tmp_path, {"api/openapi.yaml": DOCUMENT, "api/paths/items.yaml": ITEMS}))
    first, stats = run_cached(config)
    assert first.status == "pass", first.verdict.summary
    assert (counter.calls, stats.misses, stats.writes) == (1, 1, 1)
    assert (tmp_path / "plan" / workdir.STATE_DIR / "cache" / DB_NAME).is_file()

    second, stats = run_cached(config)
    assert counter.calls == 1 and stats.hits == 1 and stats.misses == 0
    _same(first, second)
    lines = {e.label: e.line for e in second.verdict.evidence}
    assert lines["/items -> /items"] == 4 and lines["/users -> /users"] == 6


def test_changing_a_refd_file_invalidates(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, openapi, "check_document")
    root = _root(tmp_path, {"api/openapi.yaml": DOCUMENT, "api/paths/items.yaml": ITEMS})
    config = _plan(tmp_path, root)
    assert run_cached(config)[0].status == "pass"

    # Only the referenced file changes: the document's own blob id is the same.
    (root / "api/paths/items.yaml").write_text("post:\n  responses:\n    '200': {description: ok}\n")
    result, stats = run_cached(config)
    assert stats.stale == 1 and stats.hits == 0 and counter.calls == 2
    assert result.status == "fail" and "GET on /items" in result.verdict.summary

    (root / "api/paths/items.yaml").unlink()
    result, stats = run_cached(config)
    assert stats.stale == 1 and counter.calls == 3
    assert result.status == "fail" and "unresolvable $ref" in result.verdict.summary


def test_changing_the_validator_version_invalidates(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, openapi, "check_document")
    config = _plan(tmp_path, _root(tmp_path, {"api/openapi.yaml": DOCUMENT, "api/paths/items.yaml": ITEMS}))
    run_cached(config)
    identity = openapi.validator_identity()
    assert "openapi-spec-validator=" in identity and "jsonschema=" in identity
    monkeypatch.setattr(openapi, "validator_identity", lambda: identity.replace("jsonschema=", "jsonschema=0"))
    result, stats = run_cached(config)
    assert result.status == "pass" and stats.misses == 1 and counter.calls == 2


def test_a_failing_result_is_cached_as_failing(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, openapi, "check_document")
    broken = DOCUMENT.replace('"200": {description: ok}', '"200": {}')  # a response needs a description
    config = _plan(tmp_path, _root(tmp_path, {"api/openapi.yaml": broken, "api/paths/items.yaml": ITEMS}))
    first, _ = run_cached(config)
    second, stats = run_cached(config)
    assert stats.hits == 1 and counter.calls == 1
    assert second.status == "fail" and "not valid OpenAPI" in second.verdict.summary
    _same(first, second)
    assert any(e.line == 9 and "'description' is a required property" in e.label
               for e in second.verdict.evidence)


def test_an_unjudgeable_document_stays_an_error_from_the_cache(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, openapi, "check_document")
    swagger = 'swagger: "2.0"\ninfo: {title: t, version: "1"}\npaths: {}\n'
    config = _plan(tmp_path, _root(tmp_path, {"api/openapi.yaml": swagger}))
    first, _ = run_cached(config)
    second, stats = run_cached(config)
    assert stats.hits == 1 and counter.calls == 1
    assert first.status == second.status == "error"
    assert first.verdict.summary == second.verdict.summary and "Swagger 2.0" in second.verdict.summary


def test_a_damaged_entry_is_recomputed_never_passed(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, openapi, "check_document")
    broken = DOCUMENT.replace('"200": {description: ok}', '"200": {}')
    config = _plan(tmp_path, _root(tmp_path, {"api/openapi.yaml": broken, "api/paths/items.yaml": ITEMS}))
    run_cached(config)
    db = tmp_path / "plan" / workdir.STATE_DIR / "cache" / DB_NAME
    with sqlite3.connect(db) as conn:
        (data,) = conn.execute("SELECT data FROM entries").fetchone()
        stored = json.loads(data)
        stored["value"]["problems"] = "none"  # not a list of problems
        conn.execute("UPDATE entries SET data = ?", (json.dumps(stored),))
    conn.close()
    result, stats = run_cached(config)
    assert stats.damaged == 1 and counter.calls == 2 and stats.writes == 1
    assert result.status == "fail"
    assert run_cached(config)[1].hits == 1  # the recomputed result replaced the damaged one


def test_a_corrupt_database_is_replaced_and_the_answer_recomputed(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, openapi, "check_document")
    config = _plan(tmp_path, _root(tmp_path, {"api/openapi.yaml": DOCUMENT, "api/paths/items.yaml": ITEMS}))
    run_cached(config)
    db = tmp_path / "plan" / workdir.STATE_DIR / "cache" / DB_NAME
    db.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    result, stats = run_cached(config)
    assert result.status == "pass" and counter.calls == 2 and stats.writes == 1
    assert run_cached(config)[1].hits == 1


def test_without_a_cache_folder_every_run_validates(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, openapi, "check_document")
    monkeypatch.setattr(workdir, "cache_dir", lambda base: None)  # --no-cache
    config = _plan(tmp_path, _root(tmp_path, {"api/openapi.yaml": DOCUMENT, "api/paths/items.yaml": ITEMS}))
    assert run_cached(config)[0].status == "pass" and run_cached(config)[0].status == "pass"
    assert counter.calls == 2
    assert not (tmp_path / "plan" / workdir.STATE_DIR / "cache").exists()


def test_an_unwritable_cache_still_gives_the_answer(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, openapi, "check_document")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setattr(workdir, "cache_dir", lambda base: blocker / "cache")
    config = _plan(tmp_path, _root(tmp_path, {"api/openapi.yaml": DOCUMENT, "api/paths/items.yaml": ITEMS}))
    result, stats = run_cached(config)
    assert result.status == "pass" and stats.writes == 0 and counter.calls == 1


def test_a_warm_run_does_not_import_the_validators(tmp_path: Path):
    """jsonschema with its format checkers costs ~1.4 s to import: only a miss may pay it."""
    config = _plan(tmp_path, _root(tmp_path, {"api/openapi.yaml": DOCUMENT, "api/paths/items.yaml": ITEMS}))
    code = textwrap.dedent(f"""
        import sys
        from tests.support.plans import load_plan
        from prepctl.evaluate import evaluate
        result = evaluate(load_plan({str(config)!r}), ["p"]).phases[0].criteria[0]
        print(result.status, "jsonschema" in sys.modules, "openapi_spec_validator" in sys.modules)
        """)

    def run() -> str:
        return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()

    assert run() == "pass True True"
    assert run() == "pass False False"


def test_a_forged_dependency_list_cannot_block_or_read_outside_the_root(tmp_path: Path, monkeypatch):
    """The cache file is input too: its dependency paths are checked like any `$ref`, never opened
    when they name a FIFO or leave the root."""
    import os

    counter = CallCounter(monkeypatch, openapi, "check_document")
    root = _root(tmp_path, {"api/openapi.yaml": DOCUMENT, "api/paths/items.yaml": ITEMS})
    os.mkfifo(root / "api" / "pipe")
    config = _plan(tmp_path, root)
    run_cached(config)
    db = tmp_path / "plan" / workdir.STATE_DIR / "cache" / DB_NAME
    with sqlite3.connect(db) as conn:
        (data,) = conn.execute("SELECT data FROM entries").fetchone()
        stored = json.loads(data)
        stored["deps"] = {"api/pipe": "0" * 40, "../../../../etc/hostname": "0" * 40, "/dev/zero": None}
        conn.execute("UPDATE entries SET data = ?", (json.dumps(stored),))
    conn.close()
    result, stats = run_cached(config)
    assert stats.stale == 1 and counter.calls == 2 and result.status == "pass"


def test_a_document_gone_between_hashing_and_reading_is_not_cached(tmp_path: Path, monkeypatch):
    root = _root(tmp_path, {"api/openapi.yaml": DOCUMENT, "api/paths/items.yaml": ITEMS})
    config = _plan(tmp_path, root)
    real = openapi.check_document

    def vanishing(tree, rel, deps=None):
        (root / rel).rename(root / "moved.yaml")
        try:
            return real(tree, rel, deps)
        finally:
            (root / "moved.yaml").rename(root / rel)

    monkeypatch.setattr(openapi, "check_document", vanishing)
    result, stats = run_cached(config)
    assert result.status == "error" and "not found" in result.verdict.summary and stats.writes == 0
    monkeypatch.undo()
    result, stats = run_cached(config)
    assert result.status == "pass" and stats.hits == 0
