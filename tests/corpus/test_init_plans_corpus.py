"""Generality: `prepctl init` on plans written in other words, for real projects of the corpus.

Each plan (tests/data/plans/) mixes bullets a recogniser should turn into a gate with bullets no
recogniser should understand (workshops, blog posts, a threshold with no dashboard, a report that
does not exist, a tracker nobody named). The expected kind of every bullet was written by reading
the plan and the project's code; at least 70% of the checkable ones must become gates, and every
one expected to stay manual must.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from prepctl.scaffold.draft import draft_decisions
from prepctl.scaffold.outline import read_outline
from tests.support.cli import run_cli
from tests.support.paths import REPO

PLANS = REPO / "tests" / "data" / "plans"

#: plan -> (distribution, {plan line: expected kinds})
EXPECTED: dict[str, tuple[str, dict[int, str]]] = {
    "wger-nutrition.md": ("wger", {
        6: "manual",  # "must never go down": no measure named
        7: "flag",  # WGER_SETTINGS["ALLOW_UPLOAD_VIDEOS"] = False in wger/settings_global.py
        8: "imports",  # acyclic over wger.nutrition, wger.exercises
        11: "imports",  # audit of wger.nutrition.models (a package)
        12: "manual",
        13: "imports",  # forbidden, direct only
        16: "paths, imports",  # move: services/nutrition_api exists, wger/nutrition/api gone, unused
        17: "manual",  # a threshold, but no query or dashboard to read it from
        18: "manual",
        19: "manual",  # docs/nutrition-bugs.md does not exist: reported, not guessed
        22: "command",
        23: "imports",  # decommission wger.weight
        24: "manual",
        27: "manual",
    }),
    "pretalx-mail.md": ("pretalx", {
        7: "flag",  # IS_HTML_EXPORT = False in src/pretalx/settings.py (src layout)
        8: "manual",
        11: "imports",  # audit of pretalx.mail.models
        12: "imports",  # acyclic
        13: "manual",
        16: "paths, imports",  # facade pretalx.outbox (to be created) over pretalx.mail.smtp
        17: "imports",  # forbidden: pretalx.submission -/-> pretalx.mail.models
        18: "manual",  # "meets its SLOs" with nothing to measure
        19: "manual",  # the tracker is not named
        22: "command",
        23: "imports",  # decommission pretalx.mail.tasks
        24: "manual",
    }),
}


@pytest.mark.corpus
@pytest.mark.parametrize("plan", sorted(EXPECTED))
def test_a_plan_in_other_words_for_a_real_project(plan: str, corpus_dist: Callable[[str], Path],
                                                   tmp_path: Path):
    dist, expected = EXPECTED[plan]
    root = corpus_dist(dist)
    text = (PLANS / plan).read_text(encoding="utf-8")
    decisions = draft_decisions(read_outline(text), root, plan)
    assert {line: d.kind for line, d in decisions.items()} == expected
    checkable = [line for line, kind in expected.items() if kind != "manual"]
    gated = [line for line in checkable if decisions[line].draft is not None]
    assert len(gated) / len(checkable) >= 0.7
    for line, kind in expected.items():
        if kind == "manual":  # stays manual, with a reason
            assert decisions[line].draft is None
    # The drafted file loads and validates (nothing is run: the corpus is never executed).
    out = tmp_path / "phases.yaml"
    result = run_cli("--root", root, "init", PLANS / plan, "--out", out)
    assert result.code == 0, result.stderr
    assert run_cli("-c", out, "validate").code == 0


@pytest.mark.corpus
def test_grounding_in_a_real_project_names_files_and_lines(corpus_dist: Callable[[str], Path]):
    root = corpus_dist("pretalx")
    text = (PLANS / "pretalx-mail.md").read_text(encoding="utf-8")
    decisions = draft_decisions(read_outline(text), root, "pretalx-mail.md")
    flag = decisions[7].draft
    assert flag is not None and flag.grounding == [
        "IS_HTML_EXPORT defined at src/pretalx/settings.py:49 module constant IS_HTML_EXPORT"]
    facade = decisions[16].draft
    assert facade is not None and facade.criteria[1].options == {
        "contract": {"type": "facade", "modules": ["pretalx.mail.smtp"], "facade": ["pretalx.outbox"]}}
    assert "src/pretalx/outbox will be created (module pretalx.outbox)" in facade.grounding
    missing = decisions[19].unsure
    assert [u.recogniser for u in missing] == ["issues"]
    wger = corpus_dist("wger")
    report = draft_decisions(read_outline((PLANS / "wger-nutrition.md").read_text(encoding="utf-8")), wger, "w.md")
    assert [u.why for u in report[19].unsure] == ["docs/nutrition-bugs.md: no such report under the root"]
    forbidden = report[13].draft
    assert forbidden is not None and forbidden.criteria[0].options["contract"] == {
        "type": "forbidden", "source": ["wger.manager"], "forbidden": ["wger.nutrition.models"], "transitive": False}
