"""Shell completion as bash drives it: typer's completion variables (`_PREPCTL_COMPLETE`,
`COMP_WORDS`, `COMP_CWORD`) on a real `prepctl` subprocess, and the script bash sources."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import OUTER_SWITCHES, run_cli
from tests.support.paths import PHASES, REPO
from tests.support.plans import load_plan, write_plan
from tests.support.trees import write


def complete(line: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> list[str]:
    """The candidates prepctl offers for the last word of ``line`` (which may end in a space:
    then the word being completed is empty), as bash's completion function asks for them."""
    words = line.split()
    if line.endswith(" "):
        words.append("")
    inherited = {k: v for k, v in os.environ.items() if k not in OUTER_SWITCHES}
    full_env = {**inherited, "_PREPCTL_COMPLETE": "complete_bash", "COMP_WORDS": " ".join(words),
                "COMP_CWORD": str(len(words) - 1), **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "prepctl"], cwd=cwd or REPO, env=full_env,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr  # the prompt is never scribbled on
    return proc.stdout.split()


PHASE_IDS = [phase.id for phase in load_plan(PHASES).phases]


@pytest.mark.parametrize("line", [
    "prepctl -c {plan} gate ",
    "prepctl -c {plan} render rfc ",
    "prepctl -c {plan} render postmortem ",
    "prepctl -c {plan} signoff ",
    "prepctl -c {plan} baseline capture ",
    "prepctl -c {plan} graph check --phase ",
])
def test_phase_ids_complete_from_the_plan_named_on_the_line(line: str):
    assert complete(line.format(plan=PHASES)) == PHASE_IDS
    assert len(PHASE_IDS) >= 3


def test_a_phase_prefix_narrows_the_candidates():
    assert complete(f"prepctl -c {PHASES} gate phase-1") == ["phase-1"]
    assert complete(f"prepctl -c {PHASES} gate nothing-like-it") == []


def test_the_plan_is_found_as_the_commands_find_it(tmp_path: Path):
    write_plan(tmp_path, """
        - id: runbook-written
          title: The runbook is written
          kind: manual
          role: ops
        """)
    below = tmp_path / "sub" / "dir"
    below.mkdir(parents=True)
    assert complete("prepctl gate ", cwd=below) == ["p"]
    assert complete("prepctl signoff p --criterion ", cwd=below) == ["runbook-written"]


def test_criterion_ids_are_those_of_the_phase_on_the_line():
    plan = load_plan(PHASES)
    expected = [spec.id for spec in plan.phase("phase-1").criteria]
    got = complete(f"prepctl -c {PHASES} signoff phase-1 --criterion ")
    assert got == expected
    others = {spec.id for spec in plan.phase("phase-0").criteria} - set(expected)
    assert others and not others & set(got)


@pytest.mark.parametrize("plan_text", [
    "version: 1\nphases: [\n",                          # not YAML
    "version: 1\nname: x\nphases:\n  - id: a\n    nonsense: 1\n",  # not a valid plan
])
def test_a_broken_plan_gives_no_candidates_and_no_traceback(tmp_path: Path, plan_text: str):
    (tmp_path / "phases.yaml").write_text(plan_text, encoding="utf-8")
    assert complete("prepctl gate ", cwd=tmp_path) == []  # complete() also asserts stderr is empty


def test_no_plan_anywhere_gives_no_phase_candidates(tmp_path: Path):
    assert complete("prepctl gate ", cwd=tmp_path) == []
    assert complete(f"prepctl -c {tmp_path / 'missing.yaml'} gate ") == []


def _tree(tmp_path: Path) -> Path:
    return write(tmp_path / "mono", {"shop/__init__.py": "", "shop/orders.py": "import shop.models\n",
                                     "shop/models.py": "", "shop/billing.py": "from shop import orders\n"})


@pytest.mark.parametrize("command", ["graph importers", "graph usage", "graph chain shop"])
def test_module_names_come_from_the_cached_scan(tmp_path: Path, command: str):
    root = _tree(tmp_path)
    # Nothing cached yet: completion answers nothing rather than scanning the tree...
    assert complete(f"prepctl --root {root} {command} shop", cwd=tmp_path) == []
    assert not (root / ".prepctl").exists()  # ...and does not create the cache either
    scanned = run_cli("--root", root, "graph", "cycles", cwd=tmp_path)
    assert scanned.code == 0, scanned.stderr
    assert complete(f"prepctl --root {root} {command} shop", cwd=tmp_path) == \
        ["shop", "shop.billing", "shop.models", "shop.orders"]
    assert complete(f"prepctl --root {root} {command} shop.o", cwd=tmp_path) == ["shop.orders"]


def test_module_completion_honours_no_cache_and_cache_dir_on_the_line(tmp_path: Path):
    root = _tree(tmp_path)
    elsewhere = tmp_path / "cache"
    assert run_cli("--cache-dir", elsewhere, "--root", root, "graph", "cycles", cwd=tmp_path).code == 0
    assert complete(f"prepctl --root {root} graph importers shop.m", cwd=tmp_path) == []  # not in .prepctl
    assert complete(f"prepctl --cache-dir {elsewhere} --root {root} graph importers shop.m",
                    cwd=tmp_path) == ["shop.models"]
    assert complete(f"prepctl --no-cache --cache-dir {elsewhere} --root {root} graph importers shop.m",
                    cwd=tmp_path) == []


def test_a_damaged_cache_gives_no_module_candidates(tmp_path: Path):
    root = _tree(tmp_path)
    assert run_cli("--root", root, "graph", "cycles", cwd=tmp_path).code == 0
    snapshots = [path for path in (root / ".prepctl" / "cache").glob("*-snapshots/*") if path.is_file()]
    assert snapshots  # whatever their format (marshal now, JSON before): cut short, they are damaged
    assert complete(f"prepctl --root {root} graph importers shop", cwd=tmp_path)  # intact: candidates
    for snapshot in snapshots:
        snapshot.write_bytes(snapshot.read_bytes()[:20])
    assert complete(f"prepctl --root {root} graph importers shop", cwd=tmp_path) == []


def test_commands_and_options_still_complete():
    assert "gate" in complete("prepctl ga")
    assert "--all" in complete("prepctl gate --a")


def test_show_completion_prints_the_bash_script(tmp_path: Path):
    result = run_cli("--show-completion", "bash", env={"HOME": str(tmp_path),
                                                        "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"})
    assert result.code == 0, result.stderr
    assert "_PREPCTL_COMPLETE=complete_bash" in result.stdout
    assert "complete " in result.stdout and "prepctl" in result.stdout
    assert list(tmp_path.iterdir()) == []  # showing installs nothing


def test_install_completion_writes_under_home_only(tmp_path: Path):
    result = run_cli("--install-completion", "bash", env={"HOME": str(tmp_path),
                                                           "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"})
    assert result.code == 0, result.stderr
    script = tmp_path / ".bash_completions" / "prepctl.sh"
    assert "_PREPCTL_COMPLETE=complete_bash" in script.read_text(encoding="utf-8")
    assert str(script) in (tmp_path / ".bashrc").read_text(encoding="utf-8")


def test_bash_itself_completes_phase_ids_through_the_sourced_script(tmp_path: Path):
    bash = shutil.which("bash")
    assert bash is not None, "bash is needed to test bash completion"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "prepctl"  # the installed entry point, as the script calls it
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m prepctl "$@"\n', encoding="utf-8")
    launcher.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in OUTER_SWITCHES}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", HOME=str(tmp_path),
               _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1")
    shown = subprocess.run(["prepctl", "--show-completion", "bash"], env=env, capture_output=True, text=True,
                           cwd=REPO, timeout=60, check=True).stdout
    (tmp_path / "completion.sh").write_text(shown, encoding="utf-8")
    driver = (f'source "{tmp_path / "completion.sh"}"\n'
              f'COMP_WORDS=(prepctl -c "{PHASES}" gate phase-); COMP_CWORD=4\n'
              'fn=$(complete -p prepctl | sed -E "s/.*-F ([^ ]+).*/\\1/")\n'
              '"$fn" prepctl phase- gate\n'
              'printf "%s\\n" "${COMPREPLY[@]}"\n')
    proc = subprocess.run([bash, "--norc", "--noprofile", "-c", driver], env=env, capture_output=True,
                          text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == PHASE_IDS


def test_history_completes_its_actions_and_the_phase_ids():
    assert complete(f"prepctl -c {PHASES} history ") == ["export", "import", *PHASE_IDS]
    assert complete(f"prepctl -c {PHASES} history ex") == ["export"]
    assert complete(f"prepctl -c {PHASES} history export ") == []


def test_completion_colour_and_progress_add_nothing_heavy_to_start_up():
    probe = ("import sys, prepctl.cli; heavy = {'rich', 'pydantic', 'networkx', 'platformdirs', 'yaml'}"
             "; print(sorted(heavy & {name.partition('.')[0] for name in sys.modules}))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]"


def test_template_names_complete_for_show_and_eject():
    names = complete(f"prepctl -c {PHASES} templates show ")
    assert "rfc.md.j2" in names and "runbook.md.j2" in names
    assert complete(f"prepctl -c {PHASES} templates eject rf") == ["rfc.md.j2"]


def test_module_names_with_a_plan_use_the_plans_scan_settings(tmp_path: Path):
    _tree(tmp_path)
    plan = write_plan(tmp_path, """
        - id: runbook-written
          title: The runbook is written
          kind: manual
          role: ops
        """, root="mono", extra="graph: {exclude: ['shop/billing.py']}")
    assert complete(f"prepctl -c {plan} graph importers shop.") == []
    scanned = run_cli("-c", plan, "graph", "cycles", cwd=tmp_path)
    assert scanned.code == 0, scanned.stderr
    assert complete(f"prepctl -c {plan} graph importers shop.", cwd=tmp_path) == ["shop.models", "shop.orders"]
    # The plan's cache lives next to phases.yaml, not in the scanned root.
    assert (tmp_path / ".prepctl" / "cache").is_dir() and not (tmp_path / "mono" / ".prepctl").exists()
