"""Fault corpus, documents: hostile output targets for every writer (issue 12 §7).

`--out` of gate, history export and render rfc, and `render runbook` on RUNBOOK.md itself and
with `--out`, each aimed at a FIFO, a socket, a character device, a symbolic link (to a file,
dangling, in a loop), a read-only folder, a path under a regular file and a folder. The promises
(docs/documents.md, "Where output goes"):

- a device, FIFO, socket or folder is refused (exit 2, naming the path) and is still what it was:
  `os.replace` over a device node destroyed it (`history export --out /dev/full`, as root);
- a symbolic link is written through to its target; the link stays a link, pointing where it did;
- a dangling link or a loop of links is refused, and nothing is created;
- a folder that cannot be written is refused with its reason, never a traceback.

The device is a node made in the test's own folder with ``os.mknod`` (the same major/minor as
/dev/full); where the test may not make nodes it is a link to /dev/full, which every writer must
refuse before a byte is written. No real /dev node is ever written to.
"""

from __future__ import annotations

import os
import socket
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from prepctl.documents.output import GENERATOR_META
from tests.support.documents import RUNBOOK, Project, make_project
from tests.support.fault_harness import Expect, check, run_prepctl

LIMIT = 30.0
ROOT = os.geteuid() == 0


@dataclass(frozen=True)
class Target:
    """A hostile output path: how to make it, what it must still be afterwards."""

    kind: str
    make: Callable[[Path], Path]  # given a scratch folder, returns the path to write to
    refused: bool  # the writer must exit 2 and leave it as it was
    words: tuple[str, ...] = ()  # the refusal says this
    survives: Callable[[Path], bool] | None = None  # still what it was


def _fifo(folder: Path) -> Path:
    path = folder / "out.fifo"
    os.mkfifo(path)
    return path


def _socket(folder: Path) -> Path:
    path = folder / "out.sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()  # the socket file stays
    return path


def _device(folder: Path) -> Path:
    path = folder / "full.dev"
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    except PermissionError:
        # No CAP_MKNOD: a link to /dev/full, which the writer must refuse before any write.
        os.symlink("/dev/full", path)
    return path


def _link_to_file(folder: Path) -> Path:
    real = folder / "real" / "target.txt"
    real.parent.mkdir()
    real.write_bytes(b"old content\n")
    link = folder / "link.txt"
    os.symlink(os.path.relpath(real, folder), link)
    return link


def _dangling(folder: Path) -> Path:
    link = folder / "dangling.txt"
    os.symlink("missing/nowhere.txt", link)
    return link


def _loop(folder: Path) -> Path:
    os.symlink("loop-b", folder / "loop-a")
    os.symlink("loop-a", folder / "loop-b")
    return folder / "loop-a"


def _read_only_folder(folder: Path) -> Path:
    locked = folder / "locked"
    locked.mkdir()
    (locked / "out.txt").write_text(RUNBOOK, encoding="utf-8")
    locked.chmod(0o555)
    return locked / "out.txt"


def _under_a_file(folder: Path) -> Path:
    (folder / "plain").write_text("x\n", encoding="utf-8")
    return folder / "plain" / "out.txt"


def _folder(folder: Path) -> Path:
    (folder / "adir").mkdir()
    return folder / "adir"


def _mode(test: Callable[[int], bool]) -> Callable[[Path], bool]:
    return lambda path: test(os.lstat(path).st_mode) or (path.is_symlink() and
                                                         os.readlink(path) == "/dev/full")


TARGETS = [
    Target("fifo", _fifo, True, ("FIFO", "not a regular file"), _mode(stat.S_ISFIFO)),
    Target("socket", _socket, True, ("socket",), _mode(stat.S_ISSOCK)),
    Target("device", _device, True, ("character device",), _mode(stat.S_ISCHR)),
    Target("symlink", _link_to_file, False),
    Target("dangling-symlink", _dangling, True, ("does not exist",),
           lambda p: p.is_symlink() and not (p.parent / "missing").exists()),
    Target("symlink-loop", _loop, True, ("loop of symbolic links",), lambda p: p.is_symlink()),
    # As root, permission bits do not stop a write: then the write must simply succeed.
    Target("read-only-folder", _read_only_folder, not ROOT, ("cannot write", "Permission denied")),
    Target("under-a-file", _under_a_file, True, ("Not a directory",)),
    Target("folder", _folder, True, ("a folder",), lambda p: p.is_dir()),
]


@dataclass(frozen=True)
class Writer:
    name: str
    args: Callable[[Project, Path], list[str]]
    codes: tuple[int, ...]  # exit codes of a successful run
    #: Where the writer writes by itself (RUNBOOK.md, DIR/index.html): that name becomes a link
    #: to the hostile target, which then holds ``seed`` when it is a file. None: --out TARGET.
    link_at: Callable[[Project], Path] | None = None
    seed: str = RUNBOOK
    kinds: tuple[str, ...] | None = None  # the targets that apply (None: all)


WRITERS = [
    Writer("gate-out", lambda p, t: ["gate", "phase-1", "--out", str(t)], (0, 1)),
    Writer("history-export-out", lambda p, t: ["history", "export", "--out", str(t)], (0,)),
    Writer("render-rfc-out", lambda p, t: ["render", "rfc", "phase-1", "--out", str(t)], (0,)),
    Writer("render-runbook-out", lambda p, t: ["render", "runbook", "--out", str(t)], (0,)),
    Writer("render-runbook-in-place", lambda p, t: ["render", "runbook"], (0,),
           link_at=lambda p: p.mono / "RUNBOOK.md"),
    # `report --out DIR` reads DIR/index.html before writing it: a FIFO there blocked forever.
    Writer("report-index", lambda p, t: ["report", "--out", str(p.dir / "site")], (0,),
           link_at=lambda p: p.dir / "site" / "index.html", seed=f"<html>{GENERATOR_META}</html>\n",
           kinds=("fifo", "socket", "device", "symlink", "dangling-symlink", "symlink-loop", "folder")),
]


@dataclass(frozen=True)
class WriteCase:
    name: str
    defect: str
    writer: Writer
    target: Target


CASES = [WriteCase(f"{w.name}-{t.kind}",
                   f"{w.name} aimed at a {t.kind}: " + ("refused, left as it was" if t.refused else
                                                        "written through, never replaced"), w, t)
         for w in WRITERS for t in TARGETS if w.kinds is None or t.kind in w.kinds]


def _place(case: WriteCase, project: Project, scratch: Path) -> tuple[Path, Path, list[str]]:
    """Make the hostile target. Returns the path the writer is given, the hostile thing itself
    (for an in-place runbook, RUNBOOK.md becomes a link to it) and the arguments."""
    target = case.target.make(scratch)
    if case.writer.link_at is None:
        return target, target, case.writer.args(project, target)
    link = case.writer.link_at(project)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    if case.target.kind == "symlink":
        target.write_text(case.writer.seed, encoding="utf-8")
    os.symlink(target, link)
    return link, target, case.writer.args(project, link)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_output_targets(case: WriteCase, tmp_path: Path) -> None:
    project = make_project(tmp_path, git=False)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    path, hostile, args = _place(case, project, scratch)
    link_before = os.readlink(path) if path.is_symlink() else None
    try:
        outcome = run_prepctl("-c", project.plan, *args, cwd=project.dir, limit=LIMIT)
    finally:
        if (scratch / "locked").exists():
            (scratch / "locked").chmod(0o755)  # so pytest can clean up
    if link_before is not None:
        assert path.is_symlink() and os.readlink(path) == link_before, f"{case.name}: the link was replaced"
    if case.target.refused:
        check(outcome, Expect(codes=[2], mentions=(str(path), *case.target.words)))
        if case.target.survives is not None:
            assert case.target.survives(hostile), f"{case.name}: the {case.target.kind} was replaced"
        leftovers = [p.name for p in scratch.rglob(".*.tmp")]
        assert not leftovers, f"{case.name}: temporary files left: {leftovers}"
        return
    check(outcome, Expect(codes=list(case.writer.codes)))
    written = path.resolve().read_bytes()
    if case.writer.name != "history-export-out":  # no gate runs recorded yet: an empty export
        assert written and written not in (b"old content\n", RUNBOOK.encode()), case.name
    # Every file a runbook render meets holds the hand-written RUNBOOK, but --out's plain symlink target.
    holds_runbook = case.target.kind != "symlink" or case.writer.link_at is not None
    if case.writer.name.startswith("render-runbook") and holds_runbook:
        # The hand-written runbook behind the link (or in the folder) keeps its bytes as the prefix.
        head = tmp_path / "head.bin"
        head.write_bytes(written[:len(RUNBOOK.encode())])
        check(outcome, Expect(preserved={head: RUNBOOK.encode()}))


def test_gate_refuses_a_hostile_out_before_any_gate_runs(tmp_path: Path) -> None:
    # A refused --out must not cost a gate run (a command criterion may deploy or take minutes)
    # nor leave a history record of a run whose report went nowhere.
    from tests.support.plans import write_plan

    ran = tmp_path / "ran.txt"
    plan = write_plan(tmp_path, f"""
        - id: side-effect
          kind: command
          title: leaves a trace when it runs
          run: [{sys.executable}, -c, "import pathlib; pathlib.Path({str(ran)!r}).write_text('x'); print('1 passed')"]
        """)
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    outcome = run_prepctl("-c", plan, "gate", "p", "--out", fifo, cwd=tmp_path, limit=LIMIT)
    check(outcome, Expect(codes=[2], mentions=("out.fifo", "FIFO")))
    assert not ran.exists(), "the gate ran although its --out was refused"
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
