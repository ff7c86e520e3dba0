"""The composite action (action.yml): its `run:` steps, with `${{ ... }}` filled in by test values,
run in order against this repository's example as GitHub would run them on a pull request."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.support.paths import PHASES, REPO
from tests.support.sarif import open_results, sarif_log

ACTION = REPO / "action.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
NAME = re.compile(r"\b(?:inputs|github|steps|runner)\.[A-Za-z0-9_.\-]+")


def _action() -> dict[str, Any]:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def _lookup(name: str, context: dict[str, str]) -> str:
    if name.startswith("steps."):
        return context.get(name, "")  # a skipped step has no outputs: GitHub gives ''
    assert name in context, f"action.yml uses {name}, which this test does not provide"
    return context[name]


def _substitute(text: str, context: dict[str, str]) -> str:
    return EXPRESSION.sub(lambda m: _lookup(m[1], context), text)


def _condition(expr: str | None, context: dict[str, str]) -> bool:
    """GitHub's `if:` for the forms action.yml uses: names, '...' strings, ==, !=, &&, ||,
    !cancelled() and always()."""
    if expr is None:
        return True
    inner = EXPRESSION.fullmatch(expr.strip())
    text = inner[1] if inner else expr
    text = text.replace("!cancelled()", "True").replace("always()", "True")
    text = NAME.sub(lambda m: repr(_lookup(m[0], context)), text)
    text = text.replace("&&", " and ").replace("||", " or ")
    assert re.fullmatch(r"[\w\s'=!.\-/]*", text), f"unsupported if: {expr}"
    return bool(eval(text, {"__builtins__": {}}, {}))  # noqa: S307 - a checked, literal-only expression


def _inputs(**given: str) -> dict[str, str]:
    defaults = {f"inputs.{name}": str(spec.get("default", "")) for name, spec in _action()["inputs"].items()}
    return {**defaults, **{f"inputs.{k.replace('_', '-')}": v for k, v in given.items()}}


def _run_steps(context: dict[str, str], workspace: Path, temp: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run every `run:` step whose `if:` holds; `uses:` steps are GitHub's and are not run."""
    summary = temp / "step-summary.md"
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "GITHUB_WORKSPACE": str(workspace), "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(temp)}
    ran: dict[str, subprocess.CompletedProcess[str]] = {}
    for number, step in enumerate(_action()["runs"]["steps"]):
        if "run" not in step or not _condition(step.get("if"), context):
            continue
        assert step["shell"] == "bash"
        assert "${{" not in step["run"], "inputs reach the script through env:, never pasted into it"
        output = temp / f"output-{number}"
        output.write_text("")
        step_env = {**env, "GITHUB_OUTPUT": str(output),
                    **{k: _substitute(str(v), context) for k, v in step.get("env", {}).items()}}
        folder = workspace / _substitute(step.get("working-directory", "."), context)
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=folder,
                              env=step_env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
        step_id = step.get("id", f"step-{number}")
        ran[step_id] = proc
        for line in output.read_text().splitlines():
            key, _, value = line.partition("=")
            context[f"steps.{step_id}.outputs.{key}"] = value
    return ran


def test_the_action_installs_caches_checks_gates_and_uploads_sarif():
    steps = _action()["runs"]["steps"]
    uses = {s["uses"].split("@")[0]: s for s in steps if "uses" in s}
    assert set(uses) == {"actions/setup-python", "actions/cache", "github/codeql-action/upload-sarif"}
    # The folder actions/cache restores is the one every prepctl step is told to use.
    assert uses["actions/cache"]["with"]["path"] == "${{ steps.cache-dir.outputs.dir }}"
    prepctl_steps = [s for s in steps if "prepctl " in s.get("run", "") and s.get("id") != "install"]
    assert [s["id"] for s in prepctl_steps] == ["diff", "check", "gate"]
    assert all(s["env"]["PREPCTL_CACHE_DIR"] == "${{ steps.cache-dir.outputs.dir }}" for s in prepctl_steps)
    assert uses["github/codeql-action/upload-sarif"]["with"]["sarif_file"] == "${{ steps.check.outputs.sarif }}"
    runs = " ".join(s.get("run", "") for s in steps)
    for command in ("graph diff", "graph check --format sarif", "gate", "--format github"):
        assert command in runs


def test_the_action_on_a_pull_request_against_the_example(tmp_path: Path):
    config = PHASES.relative_to(REPO).as_posix()
    context = {**_inputs(install="", python_version="", config=config, phase="phase-1", base="HEAD"),
               "github.event_name": "pull_request", "github.base_ref": "main", "github.sha": "0" * 40,
               "runner.os": "Linux", "runner.temp": str(tmp_path)}
    ran = _run_steps(context, REPO, tmp_path)

    assert list(ran) == ["install", "cache-dir", "diff", "check", "gate", "verdict"]
    cache = tmp_path / "prepctl-cache"  # the default: RUNNER_TEMP/prepctl-cache, outside the checkout
    assert context["steps.cache-dir.outputs.dir"] == str(cache)
    assert any(path.is_file() for path in cache.rglob("*"))  # the steps wrote their cache there
    assert ran["install"].returncode == 0 and "prepctl " in ran["install"].stdout  # nothing to install
    for step_id in ("diff", "check", "gate"):
        assert ran[step_id].returncode == 0, (step_id, ran[step_id].stderr)  # recorded, not fatal
        assert "Traceback" not in ran[step_id].stderr
    codes = {step_id: int(context[f"steps.{step_id}.outputs.code"]) for step_id in ("diff", "check", "gate")}
    # The example breaks contracts (check: 1) and has one that cannot be judged on head, which
    # graph diff reports as an error (2): either way CI fails closed.
    assert codes["diff"] == 2 and codes["check"] == 1
    assert codes["gate"] == 1 and "::error file=" in ran["gate"].stdout  # phase-1 fails, as annotations
    assert "graph check" in ran["check"].stdout or "contract" in ran["check"].stdout

    sarif = Path(context["steps.check.outputs.sarif"])
    log = sarif_log(sarif.read_text(encoding="utf-8"))
    assert open_results(log)
    assert _condition(next(s["if"] for s in _action()["runs"]["steps"] if "upload-sarif" in s.get("uses", "")),
                      context)
    assert (tmp_path / "step-summary.md").read_text(encoding="utf-8").strip()  # the diff and the gate

    assert ran["verdict"].returncode == max(codes.values()), ran["verdict"].stdout


def test_the_diff_runs_on_pull_requests_only():
    diff = next(s for s in _action()["runs"]["steps"] if s.get("id") == "diff")
    assert _condition(diff["if"], {"github.event_name": "pull_request"})
    assert not _condition(diff["if"], {"github.event_name": "push"})


def test_a_relative_cache_dir_input_is_taken_from_the_workspace(tmp_path: Path):
    step = next(s for s in _action()["runs"]["steps"] if s.get("id") == "cache-dir")
    output = tmp_path / "output"
    env = {**os.environ, "GITHUB_WORKSPACE": str(tmp_path / "ws"), "RUNNER_TEMP": str(tmp_path / "temp"),
           "GITHUB_OUTPUT": str(output),
           **{k: _substitute(str(v), {"inputs.cache-dir": "ci/prepctl-cache"}) for k, v in step["env"].items()}}
    subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], env=env, check=True,
                   cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert output.read_text().strip() == f"dir={tmp_path / 'ws' / 'ci' / 'prepctl-cache'}"
    assert (tmp_path / "ws" / "ci" / "prepctl-cache").is_dir()
