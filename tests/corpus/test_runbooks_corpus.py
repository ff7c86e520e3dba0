"""`prepctl render runbook` on real RUNBOOK-style documents: every case in
tests/corpus/runbooks/*.toml (sources in tests/corpus/runbooks/README.md).

A case names a Markdown file from a pinned PyPI ``distribution`` (tests/corpus/pypi.py) and its
``path`` inside it, or a ``document`` written here in the shapes real teams use
(tests/corpus/runbooks/docs/). The test builds the file prepctl reads from it, in this order:
optional ``newline = "crlf"`` (every LF becomes CRLF), optional ``bom = true``, then each
``[[insert]]``'s ``lines`` after line ``after`` of the original (real marker pairs after a named
heading, or marker syntax quoted inside the document's own code and comments).

``[truth]``, written by reading that file, never by running prepctl: the ``regions`` found as
``[id, begin line, end line]``; the ``quoted`` lines whose marker syntax is text (code, comments)
and must never be touched; the service regions a render ``appended`` at the end; or, for a file
that must be refused, the ``refused`` line that the error names and the ``reason`` it gives (its
other marker-syntax lines are listed as regions or quoted). Every line of the file holding
``prepctl:`` is named by the truth, so the truth cannot forget one.

For each case the CLI runs in a subprocess on a copy and the test asserts: the regions found are
the truth's (a quoted pair taken for a region would have its text rewritten, a missed region would
be appended again); every byte outside the regions is kept; a second render is byte-identical;
``render runbook --check`` passes after it. A refused file: exit 2 naming ``RUNBOOK.md:LINE``, no
traceback, the file untouched.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from prepctl.sources import regions
from tests.support.cli import run_cli

HERE = Path(__file__).resolve().parent / "runbooks"
CASES = sorted(HERE.glob("*.toml"))
# The line breaks Markdown knows (LF, CRLF, CR), written out here so the check does not borrow
# the splitter of the code under test.
LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
BOM = "\ufeff"


@dataclass(frozen=True)
class Insert:
    after: int  # a line number of the original document; 0 = before its first line
    lines: list[str]


@dataclass(frozen=True)
class Truth:
    regions: list[tuple[str, int, int]] = field(default_factory=list)
    quoted: list[int] = field(default_factory=list)
    appended: list[str] = field(default_factory=list)
    refused: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class RunbookCase:
    name: str
    why: str
    truth: Truth
    distribution: str | None = None
    path: str | None = None
    document: str | None = None
    newline: str = "lf"
    bom: bool = False
    inserts: list[Insert] = field(default_factory=list)

    @classmethod
    def load(cls, file: Path) -> RunbookCase:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
        truth = data.pop("truth")
        truth["regions"] = [tuple(r) for r in truth.get("regions", [])]
        inserts = [Insert(**i) for i in data.pop("insert", [])]
        return cls(name=file.stem, truth=Truth(**truth), inserts=inserts, **data)

    def source(self, corpus_dist: Callable[[str], Path]) -> Path:
        if self.document:
            return HERE / "docs" / self.document
        assert self.distribution and self.path, f"{self.name}: name a distribution and path, or a document"
        return corpus_dist(self.distribution) / self.path

    def build(self, original: str) -> str:
        """The file prepctl reads: the original with line endings, BOM and inserts applied."""
        assert "\r" not in original, f"{self.name}: the original is expected with LF endings"
        bom = original.startswith(BOM)
        text = original.removeprefix(BOM)
        newline = "\r\n" if self.newline == "crlf" else "\n"
        lines = LINE.findall(text.replace("\n", newline))
        for insert in sorted(self.inserts, key=lambda i: i.after, reverse=True):
            assert 0 <= insert.after <= len(lines), f"{self.name}: insert after {insert.after}"
            assert insert.after == 0 or lines[insert.after - 1].endswith("\n")
            lines[insert.after:insert.after] = [line + newline for line in insert.lines]
        return (BOM if bom or self.bom else "") + "".join(lines)


CASE_LIST = [RunbookCase.load(p) for p in CASES]


def plan_yaml(root: Path, services: list[str]) -> str:
    entries = "".join(f"  - id: {s}\n    title: {json.dumps(f'Service {s}')}\n    owners: [On-call {s}]\n"
                      f"    alerts: [{s.title().replace('-', '')}Down]\n" for s in services)
    return (f"version: 1\nname: Runbook corpus\nroot: {json.dumps(str(root))}\nphases:\n"
            "  - id: p\n    title: Extract\n    weeks: 0-1\n    owners: [tester]\n    criteria:\n"
            "      - id: runbook\n        kind: paths\n        title: runbook exists\n"
            "        exists: [RUNBOOK.md]\n" + f"services:\n{entries}")


def check_truth_is_complete(case: RunbookCase, lines: list[str]) -> None:
    """Every marker-ish line of the file is named by the truth, as a marker or as quoted text."""
    named: dict[int, str] = {}
    for region, begin, end in case.truth.regions:
        named[begin] = f"<!-- prepctl:begin {region} -->"
        named[end] = f"<!-- prepctl:end {region} -->"
    for number, text in enumerate(lines, start=1):
        bare = text.removeprefix(BOM).rstrip("\r\n")
        if number in named:
            assert bare.strip() == named[number], f"{case.name}: line {number} is {bare!r}"
        elif number in case.truth.quoted:
            assert "prepctl:" in bare, f"{case.name}: line {number} quotes no marker: {bare!r}"
        elif case.truth.refused != number:
            assert "prepctl:" not in bare, f"{case.name}: line {number} is not in the truth: {bare!r}"


def expected_splice(case: RunbookCase, lines: list[str], out: str) -> dict[str, str]:
    """Walk ``out`` along the truth: every byte outside the regions equals the input's.

    Returns each region's new body. Generated bodies never hold a marker line (prepctl refuses
    to write one), so the first end-marker line after a begin is that region's end.
    """
    bodies: dict[str, str] = {}
    pos = 0
    cursor = 0  # 0-based line of the input not yet matched
    for region, begin, end in sorted(case.truth.regions, key=lambda r: r[1]):
        kept = "".join(lines[cursor:begin])  # the text before the region and its begin line
        assert out.startswith(kept, pos), f"{case.name}: text before region {region} changed"
        pos += len(kept)
        end_line = lines[end - 1]
        stop = out.find(end_line.rstrip("\r\n"), pos)
        assert stop >= 0, f"{case.name}: end marker of {region} lost"
        bodies[region] = out[pos:stop]
        pos = stop
        cursor = end - 1
    rest = "".join(lines[cursor:])
    assert out.startswith(rest, pos), f"{case.name}: text after the last region changed"
    tail = out[pos + len(rest):]
    newline = "\r\n" if case.newline == "crlf" else "\n"
    if not case.truth.appended:
        assert tail == "", f"{case.name}: unexpected text appended: {tail[:200]!r}"
    for region in case.truth.appended:
        block = re.search(re.escape(f"<!-- prepctl:begin {region} -->{newline}") + "(.*?)"
                          + re.escape(f"<!-- prepctl:end {region} -->{newline}"), tail, re.DOTALL)
        assert block, f"{case.name}: region {region} was not appended: {tail[:200]!r}"
        bodies[region] = block[1]
    return bodies


def test_the_corpus_has_what_the_issue_asks_for():
    """Fast, no network: at least 10 documents, half of them real text, and every outcome."""
    assert len(CASE_LIST) >= 10
    real = [c for c in CASE_LIST if c.distribution]
    assert len(real) * 2 >= len(CASE_LIST)
    from tests.corpus.pypi import MANIFEST

    assert all(c.distribution in MANIFEST for c in real)
    assert all((HERE / "docs" / c.document).is_file() for c in CASE_LIST if c.document)
    assert all(c.why for c in CASE_LIST)
    assert any(c.truth.refused for c in CASE_LIST) and any(c.truth.quoted for c in CASE_LIST)
    assert any(c.newline == "crlf" for c in CASE_LIST) and any(c.bom for c in CASE_LIST)
    readme = (HERE / "README.md").read_text(encoding="utf-8")
    assert all(c.name in readme for c in CASE_LIST), "README.md names every case's source"


@pytest.mark.corpus
@pytest.mark.parametrize("case", CASE_LIST, ids=[c.name for c in CASE_LIST])
def test_runbook_case(case: RunbookCase, tmp_path: Path, corpus_dist: Callable[[str], Path]):
    source = case.source(corpus_dist)
    text = case.build(source.read_bytes().decode("utf-8"))
    lines = LINE.findall(text)
    check_truth_is_complete(case, lines)
    mono = tmp_path / "mono"
    mono.mkdir()
    runbook = mono / "RUNBOOK.md"
    runbook.write_bytes(text.encode("utf-8"))
    services = list(dict.fromkeys([r[0] for r in case.truth.regions] + case.truth.appended)) or ["svc"]
    plan = tmp_path / "phases.yaml"
    plan.write_text(plan_yaml(mono, services), encoding="utf-8")

    result = run_cli("-c", plan, "render", "runbook")
    assert "Traceback" not in result.stderr + result.stdout and "internal error" not in result.stderr
    if case.truth.refused is not None:
        assert result.code == 2, f"{case.name}: {result.code} {result.stderr}"
        assert f"RUNBOOK.md:{case.truth.refused}:" in result.stderr, result.stderr
        assert case.truth.reason in result.stderr, result.stderr
        assert runbook.read_bytes() == text.encode("utf-8"), "a refused file must be left untouched"
        check = run_cli("-c", plan, "render", "runbook", "--check")
        assert check.code == 2 and f"RUNBOOK.md:{case.truth.refused}:" in check.stderr, check.stderr
        return
    assert result.code == 0, f"{case.name}: {result.stderr}"
    # The reader, in-process, on the input: the same regions at the same lines as the truth.
    parsed = regions.parse(text, "RUNBOOK.md")
    found = [(r.name, r.line) for r in parsed.parts if isinstance(r, regions.Region)]
    assert found == [(r, b) for r, b, _ in case.truth.regions], case.name

    out = runbook.read_bytes().decode("utf-8")
    bodies = expected_splice(case, lines, out)
    assert set(bodies) == set(services)
    for region, body in bodies.items():
        assert f"## Service {region}: outage handling" in body, f"{case.name}: {region}: {body[:200]!r}"
        if case.newline == "crlf":
            assert "\n" not in body.replace("\r\n", ""), f"{case.name}: {region} is not CRLF"
    for number in case.truth.quoted:
        assert lines[number - 1] in out, f"{case.name}: quoted line {number} was touched"
    assert out.startswith(BOM) == text.startswith(BOM)

    again = run_cli("-c", plan, "render", "runbook")
    assert again.code == 0 and runbook.read_bytes() == out.encode("utf-8"), f"{case.name}: not idempotent"
    check = run_cli("-c", plan, "render", "runbook", "--check")
    assert check.code == 0, f"{case.name}: --check after a render: {check.stdout}{check.stderr}"
