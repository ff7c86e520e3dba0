"""Fault corpus, documents: hostile RUNBOOK.md files for `prepctl render runbook`.

Each case is a hand-written runbook and what must happen to it. The invariant is that no
hand-written byte is lost: marker syntax in code or comments is text (the service's region is
appended after the untouched hand-written text), real regions keep every byte around their
bodies (CRLF, BOM, CR, tabs, trailing whitespace, no final newline), and a broken structure is
refused with file:line, exit 2, the file untouched.

How "preserved" is checked through the harness: the bytes the case expects to survive are
compared with the matching bytes of the file after the run (its head before the first real
begin marker's body and its tail after the last end marker, or the whole file for a refusal),
copied to a sibling file that ``harness.check`` reads back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.documents import make_project
from tests.support.fault_harness import Expect, check, run_prepctl

B = "<!-- prepctl:begin analytics -->"
E = "<!-- prepctl:end analytics -->"
LIMIT = 30.0


@dataclass(frozen=True)
class RegionCase:
    name: str
    defect: str  # what the case guards against
    runbook: bytes  # the hand-written file before the render
    code: int  # expected exit code
    #: For code 0: bytes that must come out unchanged at the start and at the end of the file.
    #: With a real region, ``head`` ends with its begin marker line and ``tail`` starts with its
    #: end marker line; without one, ``head`` is the whole hand-written file and the region is
    #: appended after it.
    head: bytes = b""
    tail: bytes = b""
    mentions: tuple[str, ...] = ()


def _text(name: str, defect: str, text: str, mentions: tuple[str, ...] = ()) -> RegionCase:
    """Marker syntax that is text: the file must come back as its own prefix, region appended."""
    data = text.encode("utf-8")
    return RegionCase(name, defect, data, 0, head=data, mentions=mentions)


def _real(name: str, defect: str, before: str, after: str, newline: str = "\n") -> RegionCase:
    """A real region with a stale body between ``before`` and ``after``: only the body changes."""
    head = (before + B + newline).encode("utf-8")
    tail = (E + after).encode("utf-8")
    return RegionCase(name, defect, head + f"stale body{newline}".encode() + tail, 0, head=head, tail=tail)


def _refused(name: str, defect: str, text: str | bytes, line: int | None, *words: str) -> RegionCase:
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    where = f"RUNBOOK.md:{line}:" if line is not None else "RUNBOOK.md:"
    return RegionCase(name, defect, data, 2, mentions=(where, *words))


CASES = [
    # -- issue 12 §8 / issue 11: marker syntax that is not a marker
    _text("indented-code-block", "a marker pair in a 4-space indented code block became a region",
          "# Runbook\n\nHow to write a region:\n\n    " + B + "\n    my hand-written example\n    " + E + "\n"),
    _text("tab-indented-code-block", "tab-indented markers are code, not a region",
          "# Runbook\n\n\t" + B + "\n\tmy example\n\t" + E + "\n"),
    _text("indented-code-in-list-item", "code inside a list item holds markers as text",
          "- step one\n\n      " + B + "\n      keep me\n      " + E + "\n"),
    _text("multi-line-html-comment", "a marker pair inside a multi-line HTML comment became a region",
          "# Runbook\n<!--\nold section, disabled:\n" + B + "\nnotes I still need\n" + E + "\n-->\n"),
    _text("comment-opened-before-begin-only", "a begin marker swallowed by a comment is text",
          "<!-- TODO\n" + B + "\nsomething to restore\n-->\nafter\n"),
    _text("nested-comment-with-pair", "HTML comments do not nest: the pair inside stays commented out",
          "<!-- outer\n<!-- inner -->\n" + B + "\nkeep\n" + E + "\n-->\n"),
    _text("nested-comment-one-line", "a one-line comment left open by a nested one",
          "<!-- old <!-- note -->\n\n" + B + "\nkeep\n" + E + "\n\n-->\nvisible\n"),
    _refused("nested-comment-never-closed", "a region appended inside a comment left open is refused",
             "<!-- o\n<!-- i -->\n" + B + "\nkeep\n", None, "would not read back"),
    _text("pre-block", "markers in a <pre> block are text",
          "<pre>\n" + B + "\nkeep\n" + E + "\n</pre>\n"),
    _text("fence-in-blockquote", "a fence inside a blockquote was refused as malformed",
          "# Runbook\n\n> ```\n> " + B + "\n> shown, not generated\n> " + E + "\n> ```\n"),
    _text("inline-code", "the marker syntax quoted in inline code was refused as malformed",
          "Regions look like `" + B + "` ... `" + E + "`.\n"),
    _text("tilde-fence", "markers in a ~~~ fence are text", "~~~md\n" + B + "\nexample\n" + E + "\n~~~\n"),
    _text("long-backtick-fence", "a ```` fence is not closed by ```",
          "````\n```\n" + B + "\nexample\n" + E + "\n```\n````\n"),
    # -- issue 12 §8: str.splitlines() splits on \f and U+2028, Markdown does not
    _refused("form-feed-before-begin", "a marker after a form feed on the same line became a region",
             "Notes\f" + B + "\nkeep this\n\f" + E + "\n", 1, "malformed prepctl marker"),
    _refused("u2028-before-begin", "a marker after U+2028 on the same line became a region",
             "Notes\u2028" + B + "\nkeep this\nmore\u2028" + E + "\n", 1, "malformed prepctl marker"),
    _refused("nel-before-begin", "U+0085 is not a line break either",
             "Notes\x85" + B + "\nkeep this\n" + E + "\n", 1, "malformed prepctl marker"),
    # -- bytes around a real region survive
    _real("crlf", "CRLF line endings kept", "# Runbook\r\n\r\nIntro.  \r\n\r\n", "\r\nTail.\r\n", "\r\n"),
    _real("bom", "a UTF-8 byte-order mark kept", "\ufeff# Runbook\n\n", "\nTail\n"),
    _real("bom-on-marker-line", "a BOM right before the first marker", "\ufeff", "\n"),
    _real("lone-cr", "old Mac CR line endings kept", "# Runbook\r\rIntro\r\r", "\rTail\r", "\r"),
    _real("no-final-newline", "a file that ends without a newline", "Intro\n\n", "\nlast line, no newline"),
    _real("tabs-and-trailing-space", "tabs and trailing whitespace kept",
          "\tIntro with trailing  \t\n \n", "\n\t- tail\t \n"),
    _real("details-block", "markers inside <details> still count", "<details>\n", "\n</details>\n"),
    _real("u2028-and-ff-in-text", "U+2028 and form feeds in ordinary text kept",
          "Intro\u2028same line\fstill\n\n", "\nTail\u2029\n"),
    _real("nul-byte", "a NUL byte in hand-written text kept", "Intro \x00 nul\n\n", "\nTail\n"),
    _real("after-indented-example", "a real region after an indented example",
          "Example:\n\n    " + B + "\n    " + E + "\n\n", "\n"),
    _real("large-runbook", "a 0.7 MB runbook is merged within the time limit (markdown-it's inline pass "
          "is skipped where no marker syntax is)", "- [ ] step *one* `x` [link](y)\n" * 20000 + "\n",
          "\n" + "| a | b |\n|---|---|\n" + "| x | y |\n" * 5000),
    # -- broken real structure: refused, untouched
    _refused("unclosed-region", "an unclosed region is an error", "Intro\n\n" + B + "\nbody\n", 3, "never closed"),
    _refused("duplicate-region", "duplicate ids are an error",
             B + "\n" + E + "\n\n" + B + "\n" + E + "\n", 4, "duplicate region"),
    _refused("nested-region", "a region inside a region is an error",
             B + "\n<!-- prepctl:begin other -->\n<!-- prepctl:end other -->\n" + E + "\n", 2, "begins inside"),
    _refused("end-without-begin", "a stray end marker is an error", "text\n\n" + E + "\n", 3, "without a begin"),
    _refused("marker-mid-paragraph", "a marker with text around it is refused",
             "See " + B + " here\n", 1, "malformed prepctl marker"),
    _refused("unclosed-fence-at-end", "an appended region would be swallowed by an open fence",
             "# Runbook\n\n```sh\nrun this\n", None, "would not read back"),
    _refused("unclosed-comment-at-end", "an appended region would be swallowed by an open comment",
             "# Runbook\n\n<!-- draft\n", None, "would not read back"),
    _refused("not-utf8", "a Latin-1 runbook is refused, not rewritten", "caf\xe9\n".encode("latin-1"), None,
             "not UTF-8"),
]


def _expected_files(case: RegionCase, runbook: Path, tmp: Path) -> dict[Path, bytes]:
    """Files whose bytes must equal the case's hand-written bytes after the run."""
    after = runbook.read_bytes()
    if case.code != 0:
        return {runbook: case.runbook}
    head = tmp / "head.bin"
    head.write_bytes(after[:len(case.head)])
    found = {head: case.head}
    if case.tail:
        # The plan's other services are appended after it: the tail starts at our end marker.
        start = after.find(E.encode(), len(case.head))
        tail = tmp / "tail.bin"
        tail.write_bytes(after[start:start + len(case.tail)] if start >= 0 else b"")
        found[tail] = case.tail
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_runbook_region_faults(case: RegionCase, tmp_path: Path) -> None:
    project = make_project(tmp_path, git=False)
    runbook = project.mono / "RUNBOOK.md"
    runbook.write_bytes(case.runbook)
    outcome = run_prepctl("-c", project.plan, "render", "runbook", cwd=project.dir, limit=LIMIT)
    check(outcome, Expect(codes=[case.code], mentions=case.mentions,
                          preserved=_expected_files(case, runbook, tmp_path)))
    if case.code != 0:
        return
    after = runbook.read_bytes()
    generated = after[len(case.head):]
    assert generated.lstrip(b"\r\n").startswith(B.encode() if not case.tail else b"## Analytics API"), case.name
    assert b"stale body" not in after, case.name
    # A second render finds the region it wrote instead of appending another one.
    again = run_prepctl("-c", project.plan, "render", "runbook", "--check", cwd=project.dir, limit=LIMIT)
    check(again, Expect(codes=[0], mentions=("up to date",), preserved={runbook: after}))
