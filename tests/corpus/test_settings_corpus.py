"""The flag gate on real settings: every case in tests/corpus/settings/*.toml, whose truth was
written by reading the code (never by running prepctl), run through a one-criterion plan.

A case names a pinned PyPI ``distribution`` (tests/corpus/pypi.py) or a hand-written ``tree``
under tests/corpus/trees/ (only for styles no PyPI project ships), the ``file`` inside it, the
setting ``name`` (and optional ``attribute``), what the plan ``expect``s, and the truth:
``verdict``; for pass/fail the ``value`` read and its ``line`` (or ``lines``); for error a
``reason`` the summary must contain and, when known, the ``line`` it must name.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from prepctl.evaluate import evaluate
from tests.support.plans import load_plan, write_plan

HERE = Path(__file__).resolve().parent
CASES = sorted((HERE / "settings").glob("*.toml"))
TREES = HERE / "trees"


@dataclass(frozen=True)
class SettingsCase:
    case: str
    file: str
    name: str
    expect: Any
    verdict: str
    distribution: str | None = None
    tree: str | None = None
    attribute: str | None = None
    value: Any = None
    lines: list[int] = field(default_factory=list)
    reason: str = ""
    why: str = ""

    @classmethod
    def load(cls, path: Path) -> SettingsCase:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        line = data.pop("line", None)
        lines = data.pop("lines", [line] if line is not None else [])
        return cls(case=path.stem, lines=lines, **data)


@pytest.mark.corpus
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_settings_case(path: Path, tmp_path: Path, corpus_dist: Callable[[str], Path]):
    case = SettingsCase.load(path)
    assert (case.distribution is None) != (case.tree is None), f"{path.name}: name a distribution or a tree"
    root = corpus_dist(case.distribution) if case.distribution else TREES / str(case.tree)
    assert (root / case.file).is_file(), f"{path.name}: {case.file} is not in {root}"
    attribute = f"\n          attribute: {case.attribute}" if case.attribute else ""
    config = write_plan(tmp_path, f"""
        - id: corpus
          kind: flag
          title: {case.case}
          name: {json.dumps(case.name)}
          expect: {json.dumps(case.expect)}
          files: [{json.dumps(case.file)}]
          exclude: []""" + attribute, root=str(root))
    result = evaluate(load_plan(config), ["p"]).phases[0].criteria[0]
    summary = result.verdict.summary
    assert result.status == case.verdict, f"{path.name}: {summary}"
    if case.verdict == "error":
        assert case.reason in summary, f"{path.name}: {case.reason!r} not in {summary!r}"
        for line in case.lines:
            assert f"{case.file}:{line}" in summary, f"{path.name}: {summary}"
        return
    found = [(e.path, e.line, e.value) for e in result.verdict.evidence]
    assert found == [(case.file, line, case.value) for line in case.lines], f"{path.name}: {summary}"


def test_every_case_names_a_pinned_distribution_or_a_tree():
    """A typo in a case file fails here, fast, without the network."""
    from tests.corpus.pypi import MANIFEST

    assert len(CASES) >= 20
    distributions = set()
    for path in CASES:
        case = SettingsCase.load(path)
        assert case.verdict in ("pass", "fail", "error"), path.name
        assert case.why, f"{path.name}: say how the truth was read"
        if case.distribution:
            assert case.distribution in MANIFEST, path.name
            distributions.add(case.distribution)
        else:
            assert (TREES / str(case.tree) / case.file).is_file(), path.name
    assert len(distributions) >= 8


@pytest.mark.corpus
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_settings_case_reads_the_same_from_the_content_cache(path: Path, tmp_path: Path,
                                                            corpus_dist: Callable[[str], Path]):
    """What each real file says (definitions with their typed values, "did you mean" names,
    unreadable files) is the same with no cache, from a cold one and read back from it."""
    from prepctl.contentcache import ContentCache
    from prepctl.sources.settings import find_setting
    from prepctl.sources.settings.model import SECRET_NAME
    from prepctl.sources.tree import WorkTree

    case = SettingsCase.load(path)
    tree = WorkTree(corpus_dist(case.distribution) if case.distribution else TREES / str(case.tree))
    cache = ContentCache(tmp_path / "cache")
    plain, cold, warm = (find_setting(tree, case.name, case.attribute, [case.file], [], cache=c)
                         for c in (None, cache, cache))
    assert plain == cold == warm
    assert [type(d.value) for d in plain.definitions] == [type(d.value) for d in warm.definitions]
    # A credential's scans are never written (the cache would hold its default in clear).
    assert cache.stats.hits == cache.stats.writes and (cache.stats.writes == 0) == bool(SECRET_NAME.search(case.name))
