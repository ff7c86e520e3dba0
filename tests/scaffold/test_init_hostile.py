"""`prepctl init` on a hostile checkout: what a plan names may be a FIFO, a link out of the root,
an alias bomb, binary or junk. Every such bullet stays manual with a reason; no traceback, no
hang, and nothing outside the root is read."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.cli import run_cli
from tests.support.plans import load_plan

PLAN = """# Hostile
## Phase 1 - Everything (Weeks 1-2)
- Finalize API contract for `/api/v1/x` in `fifo.yaml`.
- Finalize API contract for `/api/v1/x` in `bomb.yaml`.
- Finalize API contract for `/api/v1/x` in `outside.yaml`.
- All P0/P1 defects in `binary.md` are closed.
- Capture latency via `dash/` dashboards.
- Execute regression suites recorded in `junk.md`.
- Wrap `nothing_here` and sibling engines in a facade (`svc/facade`).
- Default `SECRET_TOKEN` to `off`.
"""


def test_hostile_documents_leave_bullets_manual_with_a_reason(tmp_path: Path):
    root = tmp_path / "mono"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("SECRET_TOKEN = 'hunter2-very-secret'\n", encoding="utf-8")
    os.mkfifo(root / "fifo.yaml")
    (root / "bomb.yaml").write_text("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(12)) + "paths: *m\n", encoding="utf-8")
    secret = tmp_path / "secret.yaml"
    secret.write_text("paths: {/api/v1/x: {}}\n", encoding="utf-8")
    (root / "outside.yaml").symlink_to(secret)
    (root / "binary.md").write_bytes(b"\xff\xfe\x00P0 open\x00")
    (root / "dash").mkdir()
    (root / "dash" / "d.json").write_text('{"panels": 7, "dashboard": [1, {"x": null}]}', encoding="utf-8")
    (root / "junk.md").write_text("## Regression suites\n- nothing to run here\n", encoding="utf-8")
    plan = tmp_path / "plan.md"
    plan.write_text(PLAN, encoding="utf-8")
    out = tmp_path / "phases.yaml"
    result = run_cli("--root", root, "init", plan, "--out", out, "--explain", timeout=60)
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout and "recogniser failed" not in result.stdout
    assert "hunter2" not in result.stdout + out.read_text(encoding="utf-8")
    assert {c.kind for c in load_plan(out).phases[0].criteria} == {"manual", "flag"}
    for reason in ("fifo.yaml: ", "bomb.yaml: ", "outside.yaml: ", "binary.md: ",
                   "no dashboard panel under dash with one PromQL target",
                   "junk.md has no commands under a heading about regression suites",
                   "no single package named nothing_here"):
        assert reason in result.stdout, reason
