"""Where the cache goes: `--no-cache`, `--cache-dir`, `PREPCTL_CACHE_DIR`, `.prepctl/cache`, and the
user's cache folder when the scanned tree cannot be written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from prepctl import workdir
from prepctl.cli import app
from tests.support.cli import run_cli
from tests.support.trees import write


def _tree(tmp_path: Path) -> Path:
    return write(tmp_path / "mono", {"shop/__init__.py": "", "shop/orders.py": "import shop.models\n",
                                     "shop/models.py": ""})


def _cached_something(folder: Path) -> bool:
    return any(folder.glob("imports-v*.sqlite")) or any(folder.glob("imports-v*-snapshots/*.marshal"))


@pytest.fixture(autouse=True)
def _default_settings(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(workdir.CACHE_DIR_ENV, raising=False)
    previous = workdir.configure()
    yield
    workdir.reset(previous)


def test_the_default_is_the_trees_own_prepctl_cache(tmp_path: Path):
    root = _tree(tmp_path)
    result = run_cli("--root", root, "graph", "cycles", cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert _cached_something(root / ".prepctl" / "cache")


def test_no_cache_writes_no_cache_and_gives_the_same_answer(tmp_path: Path):
    root = _tree(tmp_path)
    without = run_cli("--no-cache", "--root", root, "graph", "importers", "shop.models", "--format", "json",
                      cwd=tmp_path)
    assert without.code == 0, without.stderr
    assert not (root / ".prepctl").exists()
    with_cache = run_cli("--root", root, "graph", "importers", "shop.models", "--format", "json", cwd=tmp_path)
    assert with_cache.stdout == without.stdout


def test_cache_dir_puts_the_cache_there(tmp_path: Path):
    root, elsewhere = _tree(tmp_path), tmp_path / "elsewhere" / "cache"
    result = run_cli("--cache-dir", elsewhere, "--root", root, "graph", "cycles", cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert _cached_something(elsewhere)
    assert not (root / ".prepctl").exists()


def test_the_environment_variable_moves_the_cache_and_the_option_wins(tmp_path: Path):
    root, from_env, from_option = _tree(tmp_path), tmp_path / "env-cache", tmp_path / "option-cache"
    result = run_cli("--root", root, "graph", "cycles", cwd=tmp_path, env={workdir.CACHE_DIR_ENV: str(from_env)})
    assert result.code == 0, result.stderr
    assert _cached_something(from_env) and not (root / ".prepctl").exists()
    result = run_cli("--cache-dir", from_option, "--root", root, "graph", "cycles", cwd=tmp_path,
                     env={workdir.CACHE_DIR_ENV: str(from_env)})
    assert result.code == 0, result.stderr
    assert _cached_something(from_option)


def test_no_cache_wins_over_the_environment_variable(tmp_path: Path):
    root, from_env = _tree(tmp_path), tmp_path / "env-cache"
    result = run_cli("--no-cache", "--root", root, "graph", "cycles", cwd=tmp_path,
                     env={workdir.CACHE_DIR_ENV: str(from_env)})
    assert result.code == 0, result.stderr
    assert not from_env.exists() and not (root / ".prepctl").exists()


def test_a_tree_that_cannot_hold_prepctl_caches_in_the_users_cache_folder(tmp_path: Path):
    # Works as root too (where chmod cannot stop a write): `.prepctl` is a file, so mkdir would fail.
    root = _tree(tmp_path)
    (root / ".prepctl").write_text("not a folder", encoding="utf-8")
    xdg = tmp_path / "xdg"
    result = run_cli("--root", root, "graph", "cycles", cwd=tmp_path, env={"XDG_CACHE_HOME": str(xdg)})
    assert result.code == 0, result.stderr
    assert (root / ".prepctl").read_text(encoding="utf-8") == "not a folder"
    per_root = list((xdg / "prepctl").iterdir())
    assert len(per_root) == 1 and _cached_something(per_root[0])
    assert per_root[0].name == workdir.user_cache_dir(root).name  # named by the resolved root


def test_a_read_only_tree_caches_in_the_users_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = _tree(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    real_access = os.access
    monkeypatch.setattr(workdir.os, "access", lambda path, mode: False if Path(path) == root
                        else real_access(path, mode))
    chosen = workdir.cache_dir(root)
    assert chosen is not None
    assert chosen.parent == tmp_path / "xdg" / "prepctl"
    assert chosen != workdir.user_cache_dir(tmp_path / "other")  # one folder per checkout


def test_a_truly_read_only_tree_as_an_ordinary_user(tmp_path: Path):
    if os.geteuid() == 0:
        # root writes through 0555; the file-in-the-way and os.access tests above cover this path.
        assert workdir.writable(tmp_path / "new")
        return
    root = _tree(tmp_path)
    root.chmod(0o555)
    try:
        result = run_cli("--root", root, "graph", "cycles", cwd=tmp_path,
                         env={"XDG_CACHE_HOME": str(tmp_path / "xdg")})
        assert result.code == 0, result.stderr
        assert not (root / ".prepctl").exists()
        assert any(_cached_something(p) for p in (tmp_path / "xdg" / "prepctl").iterdir())
    finally:
        root.chmod(0o755)


def test_precedence_in_the_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    assert workdir.cache_dir(tmp_path) == tmp_path / ".prepctl" / "cache"
    monkeypatch.setenv(workdir.CACHE_DIR_ENV, "")  # empty is unset
    assert workdir.cache_dir(tmp_path) == tmp_path / ".prepctl" / "cache"
    monkeypatch.setenv(workdir.CACHE_DIR_ENV, str(tmp_path / "env"))
    assert workdir.cache_dir(tmp_path) == tmp_path / "env"
    workdir.configure(cache_dir=tmp_path / "opt")
    assert workdir.cache_dir(tmp_path) == tmp_path / "opt"
    workdir.configure(cache_dir=tmp_path / "opt", enabled=False)
    assert workdir.cache_dir(tmp_path) is None


def test_one_invocation_does_not_leak_its_settings_into_the_process(tmp_path: Path):
    root = _tree(tmp_path)
    result = CliRunner().invoke(app, ["--no-cache", "--root", str(root), "graph", "cycles"])
    assert result.exit_code == 0, result.output
    assert workdir.current() == workdir.CacheSettings()
    assert workdir.cache_dir(root) == root / ".prepctl" / "cache"


def test_cache_dir_must_not_be_a_file(tmp_path: Path):
    a_file = tmp_path / "file"
    a_file.write_text("x", encoding="utf-8")
    result = run_cli("--cache-dir", a_file, "--root", _tree(tmp_path), "graph", "cycles", cwd=tmp_path)
    assert result.code == 2
    assert "--cache-dir" in result.stderr and "Traceback" not in result.stderr
