"""Whole-file syntax checks for the import scanner, run beside it in ruff's Rust parser.

The scanner reads only import statements; whether the rest of a file is valid Python is a
separate question, and answering it with CPython's parser costs several times the scan itself
(~0.35 s of CPU for Django's 885 files). ruff parses the same files in ~0.08 s, on its own
threads, in a process that runs while the scanner works. It is the parser grimp uses, and it
reads the newest Python grammar whatever Python prepctl runs on.

``RuffSyntaxCheck(ruff_binary(), paths)`` launches ruff on files that are on disk;
``verdicts()`` collects its answers. Anything ruff could not judge (a file that is not UTF-8
but declares another encoding, a ruff that is missing, crashed, answered garbage or reported on
a file it was not asked about) is left to the caller's fallback, CPython's own compiler: the
check can be slower, never wrong by omission. The caller also asks CPython about each file ruff
rejects, so a broken file is reported at the same line with the same message whichever parser
found it.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass

#: The newest grammar: code written for a newer Python than prepctl runs on still checks.
TARGET_VERSION = "py314"
#: Keep each command line well under the platform's limit (Windows: 32,767 characters).
MAX_ARGS_CHARS = os.sysconf("SC_ARG_MAX") // 4 if hasattr(os, "sysconf") else 24_000
TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class SyntaxVerdict:
    """ruff's answer for one file: ``problem`` is (line, reason) for a syntax error, else None.
    ``judged`` is False when ruff could not read the file; then another check must decide."""

    problem: tuple[int | None, str] | None
    judged: bool = True


def ruff_binary() -> str | None:
    """The ruff executable installed with prepctl (a dependency), or None."""
    try:
        from ruff.__main__ import find_ruff_bin
    except ImportError:
        return None
    try:
        return os.fsdecode(find_ruff_bin())
    except (FileNotFoundError, OSError):
        return None


class RuffSyntaxCheck:
    """One run of ruff over many files: started at once, collected with ``verdicts()``."""

    def __init__(self, binary: str, paths: list[str]):
        self.paths = paths
        self.procs: list[subprocess.Popen[bytes]] = []
        self.failure: str | None = None
        try:
            for chunk in _chunks(paths):
                self.procs.append(subprocess.Popen(
                    [binary, "check", "--isolated", "--no-cache", "--exit-zero", "--quiet",
                     "--select", "E902", "--target-version", TARGET_VERSION,
                     "--output-format", "json", "--", *chunk],
                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL))
        except OSError as exc:
            self.failure = f"cannot run ruff: {exc.strerror or exc}"

    def cancel(self) -> None:
        """Stop the run and reap it: its verdicts are not wanted (a check started early, on the
        guess that every file would be parsed, that turned out not to match what was)."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
        self.failure = self.failure or "cancelled"

    def verdicts(self) -> dict[str, SyntaxVerdict] | None:
        """Per path, ruff's verdict; None when the run failed (then nothing was judged)."""
        outputs: list[bytes] = []
        if self.failure is not None:  # could not start every run, or cancelled: reap what did
            self.cancel()
            return None
        for proc in self.procs:
            try:
                out, _ = proc.communicate(timeout=TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                self.failure = f"ruff took longer than {TIMEOUT_SECONDS} s"
                continue
            if proc.returncode != 0:
                self.failure = f"ruff exited with status {proc.returncode}"
                continue
            outputs.append(out)
        if self.failure is not None:
            return None
        verdicts = dict.fromkeys(self.paths, SyntaxVerdict(None))
        given = {os.path.normpath(path): path for path in self.paths}
        try:
            for out in outputs:
                for item in json.loads(out or b"[]"):
                    _record(verdicts, given, item)
        except (ValueError, TypeError, KeyError, AttributeError):
            self.failure = "ruff's output was not the JSON expected"
            return None
        return verdicts


def _record(verdicts: dict[str, SyntaxVerdict], given: dict[str, str], item: dict) -> None:
    path = given.get(os.path.normpath(item["filename"]))
    if path is None:
        # A file named differently than asked (e.g. a name that is not UTF-8): which file the
        # error belongs to is unknown, so nothing from this run can be trusted to be clean.
        raise ValueError(f"ruff reported on a file not asked about: {item['filename']!r}")
    known = verdicts[path]
    if not known.judged:
        return
    if item.get("code") == "E902":  # ruff could not read it (not UTF-8): CPython decides
        verdicts[path] = SyntaxVerdict(None, judged=False)
        return
    if item.get("code") not in (None, "invalid-syntax"):
        return
    line = (item.get("location") or {}).get("row")
    line = line if isinstance(line, int) else None
    if known.problem is not None and (known.problem[0] or 0) <= (line or 0):
        return  # the first error in the file is the one to report
    message = str(item.get("message") or "invalid syntax")
    verdicts[path] = SyntaxVerdict((line, f"syntax error: {message}"))


def _chunks(paths: list[str]) -> list[list[str]]:
    chunks: list[list[str]] = []
    current: list[str] = []
    size = 0
    for path in paths:
        if current and size + len(path) + 1 > MAX_ARGS_CHARS:
            chunks.append(current)
            current, size = [], 0
        current.append(path)
        size += len(path) + 1
    if current:
        chunks.append(current)
    return chunks
