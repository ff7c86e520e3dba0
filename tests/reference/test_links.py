"""Every relative link in the documentation points at a file (or folder) that exists."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*(```|~~~)")


def documentation_files() -> list[Path]:
    files = [REPO / "README.md", REPO / "CONTRIBUTING.md"]
    # details/ pages are embedded in docs/gates/<kind>.md and checked there, relative to docs/gates/.
    files += [page for page in sorted((REPO / "docs").rglob("*.md")) if "details" not in page.parts]
    return files


def relative_links(page: Path) -> list[tuple[int, str]]:
    links: list[tuple[int, str]] = []
    in_fence = False
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        for target in LINK.findall(line):
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target) and not target.startswith("#"):
                links.append((number, target))
    return links


def same_page_links(page: Path) -> list[tuple[int, str]]:
    in_fence = False
    links: list[tuple[int, str]] = []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            links += [(number, target) for target in LINK.findall(line) if target.startswith("#")]
    return links


def test_documentation_files_exist() -> None:
    for page in documentation_files():
        assert page.is_file(), f"{page.relative_to(REPO)} is missing"


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    in_fence = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and (heading := re.match(r"^#{1,6} (.+)$", line)):
            found.add(slug(heading.group(1)))
    return found


def test_every_relative_link_resolves() -> None:
    broken = [f"{page.relative_to(REPO)}:{number}: {target}"
              for page in documentation_files() for number, target in relative_links(page)
              if not (page.parent / target.partition("#")[0]).exists()]
    assert broken == [], "broken links:\n" + "\n".join(broken)


def test_every_anchor_names_a_heading() -> None:
    broken = []
    for page in documentation_files():
        for number, target in relative_links(page) + [(n, page.name + t) for n, t in same_page_links(page)]:
            path, _, anchor = target.partition("#")
            linked = page.parent / path
            if anchor and linked.suffix == ".md" and linked.is_file() and anchor not in anchors(linked):
                broken.append(f"{page.relative_to(REPO)}:{number}: {target}")
    assert broken == [], "anchors that name no heading:\n" + "\n".join(broken)


def test_a_broken_link_is_found(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("[ok](page.md) [gone](missing.md#x) [web](https://example.com)\n"
                    "```\n[in a fence](nowhere.md)\n```\n", encoding="utf-8")
    links = relative_links(page)
    assert links == [(1, "page.md"), (1, "missing.md#x")]
    assert [t for _, t in links if not (page.parent / t.partition("#")[0]).exists()] == ["missing.md#x"]


def test_github_anchor_slugs() -> None:
    assert slug("Gates at another revision (`gate --at REV`)") == "gates-at-another-revision-gate---at-rev"
    assert slug("phases.yaml reference") == "phasesyaml-reference"
    assert slug("Add a gate kind") == "add-a-gate-kind"


# scripts/ is left out: the docs also name the example monolith's scripts folder.
CODE_PATH = re.compile(r"`((?:prepctl|tests|benchmarks)/[^`\s:]*)")


def test_every_named_repository_path_exists() -> None:
    """A file or folder of this repository named in code font (`prepctl/inert.py`) still exists:
    a move must update the docs too. Patterns and placeholders (`*`, `<kind>`, `{phase}`) are not paths."""
    missing = []
    for page in [*documentation_files(), *sorted((REPO / "docs" / "gates" / "details").glob("*.md"))]:
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            for path in CODE_PATH.findall(line):
                if not re.search(r"[*<>{}]|NAME|PHASE", path) and not (REPO / path).exists():
                    missing.append(f"{page.relative_to(REPO)}:{number}: {path}")
    assert missing == [], "paths that do not exist:\n" + "\n".join(missing)
