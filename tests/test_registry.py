"""The one registry idiom: built-ins and entry points alike, lazily imported, built-ins win."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from prepctl.registry import BrokenTarget, Registry, UnknownName, one_of


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A distribution with entry points in the group `prepctl.test-things`, on sys.path."""
    dist = tmp_path / "things-1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: things\nVersion: 1\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text(
        "[prepctl.test-things]\nplugged = registry_plugin_thing:THING\ndumps = registry_plugin_thing:THING\n"
        "broken = registry_plugin_thing:MISSING\n", encoding="utf-8")
    (tmp_path / "registry_plugin_thing.py").write_text("THING = 'from the plugin'\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("registry_plugin_thing", None)


def things() -> Registry[object]:
    registry: Registry[object] = Registry("thing", "prepctl.test-things", {"dumps": "json:dumps"})
    registry.forget()
    return registry


def test_built_ins_plugins_and_clashes(installed: Path):
    registry = things()
    assert registry.names() == ["broken", "dumps", "plugged"]
    assert registry.load("plugged") == "from the plugin"
    import json

    assert registry.load("dumps") is json.dumps  # the built-in wins over the same-named plugin
    assert registry.clashes() == ["dumps"]
    assert "plugged" in registry and "nothing" not in registry and registry.get("nothing") is None
    assert registry.choices() == "one of broken, dumps or plugged"


def test_unknown_and_broken_names_say_what_to_do(installed: Path):
    registry = things()
    with pytest.raises(UnknownName, match=r"^unknown thing 'nothing'; choose one of broken, dumps or plugged$"):
        registry.load("nothing")
    with pytest.raises(BrokenTarget, match="thing 'broken' is registered as 'registry_plugin_thing:MISSING'"):
        registry.get("broken")


def test_without_the_distribution_only_built_ins_remain():
    registry = things()
    assert registry.names() == ["dumps"] and registry.clashes() == []
    assert registry.choices() == "dumps"


def test_one_of_wording():
    assert one_of([]) == "nothing (none is registered)"
    assert one_of(["a"]) == "a"
    assert one_of(["a", "b"]) == "one of a or b"
    assert one_of(["a", "b", "c"]) == "one of a, b or c"
