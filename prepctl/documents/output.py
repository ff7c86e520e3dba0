"""Turning a rendered document into the bytes on disk, without losing anyone's text.

Markdown documents are merged region by region into an existing file (see ``regions``), so
notes written between the generated regions survive. HTML documents are generated whole; an
existing HTML file is only replaced when prepctl wrote it (it carries our generator tag).
"""

from __future__ import annotations

import difflib
import enum
import sys
from dataclasses import dataclass
from pathlib import Path

from prepctl.documents.engine import Renderer
from prepctl.errors import PrepctlError, Problem
from prepctl.sources import regions

GENERATOR_META = '<meta name="generator" content="prepctl">'


class DocFormat(enum.StrEnum):
    markdown = "markdown"
    html = "html"

    @property
    def suffix(self) -> str:
        return ".md" if self is DocFormat.markdown else ".html"


def markdown_to_html(markdown_text: str) -> str:
    """CommonMark + tables. Raw HTML in the source is shown as text, never interpreted."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable("table")
    return parser.render(regions.strip_markers(markdown_text))


def html_document(renderer: Renderer, markdown_text: str, title: str) -> str:
    """A self-contained HTML page (inline CSS, no external assets) around a Markdown document."""
    return renderer.render("document.html.j2", title=title, body=markdown_to_html(markdown_text),
                           generator_meta=GENERATOR_META)


def first_heading(markdown_text: str, default: str) -> str:
    for line in markdown_text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return default


@dataclass(frozen=True)
class Planned:
    """What a render would write to ``path``: the new text and whether it differs."""

    path: Path
    old: str | None
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def diff(self, label: str | None = None) -> str:
        name = label or self.path.name
        return "".join(difflib.unified_diff(
            (self.old or "").splitlines(keepends=True), self.new.splitlines(keepends=True),
            fromfile=f"a/{name}", tofile=f"b/{name}"))


def read_existing(path: Path) -> str | None:
    from prepctl.fileio import output_target

    output_target(path)  # a FIFO would block the read; a device, socket or bad link is refused
    if not path.exists():
        return None
    if path.is_dir():
        raise PrepctlError(Problem(file=str(path), message="is a folder, not a file",
                                   hint="pass --out with a file path"))
    try:
        # newline="" keeps CRLF files byte for byte.
        with path.open(encoding="utf-8", newline="") as handle:
            return handle.read()
    except UnicodeDecodeError as exc:
        raise PrepctlError(Problem(file=str(path), message=f"not UTF-8 text ({exc.reason})",
                                   hint="prepctl only merges into UTF-8 files")) from None
    except OSError as exc:
        raise PrepctlError(Problem(file=str(path), message=f"cannot read: {exc.strerror or exc}")) from None


def plan_markdown(path: Path, rendered: str) -> Planned:
    """Merge a freshly rendered document's regions into the file at ``path`` (or create it)."""
    old = read_existing(path)
    if old is None:
        regions.parse(rendered, str(path))  # a broken override must not create a broken file
        return Planned(path, None, rendered)
    bodies = regions.bodies_of(rendered, f"rendered {path.name}")
    if not bodies:
        raise PrepctlError(Problem(
            file=str(path), message="the template produced no prepctl regions, so nothing can be "
            "merged into the existing file", hint="wrap generated parts of the template in "
            "<!-- prepctl:begin NAME --> / <!-- prepctl:end NAME --> lines"))
    return Planned(path, old, regions.update(old, bodies, str(path)))


def plan_html(path: Path, html: str) -> Planned:
    old = read_existing(path)
    if old is not None and GENERATOR_META not in old:
        raise PrepctlError(Problem(file=str(path), message="exists and was not written by prepctl; "
                                   "not overwritten", hint="choose another --out, or move the file away"))
    return Planned(path, old, html)


def write(planned: Planned) -> bool:
    """Write atomically, only when the bytes change (an unchanged file keeps its mtime)."""
    from prepctl.fileio import atomic_write_bytes

    if not planned.changed:
        return False
    atomic_write_bytes(planned.path, planned.new.encode("utf-8"))
    return True


def emit(text: str) -> None:
    """Print a document on stdout exactly (no newline translation, no extra newline)."""
    sys.stdout.write(text)
    sys.stdout.flush()
