"""Parse a batch of blobs (blob id -> bytes) for their imports, each whole file syntax-checked
once: by ruff in its own process while the imports are read here, by CPython where ruff cannot
judge or is missing."""

from __future__ import annotations

import os
import sys

from prepctl.graph.scan import parse, syntax
from prepctl.graph.scan.model import ParsedFile
from prepctl.graph.scan.workers import parse_all

#: A file's (mtime_ns, ctime_ns, size, inode) as the work-tree listing records it.
StatKey = tuple[int, int, int, int]
#: The Python whose grammar CPython's own checks read (``ast.parse``, ``symtable``).
_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def start_early_check(paths: list[str], verify: bool) -> syntax.RuffSyntaxCheck | None:
    """Start ruff's syntax check on files on disk now, before they are read and hashed, when
    the caller knows every one of them will be parsed (a cold cache): ruff then runs on the
    second core while this process hashes, instead of after. None when there is nothing to
    check or no ruff; ``parse_blobs(..., early=)`` uses the run or cancels it."""
    binary = syntax.ruff_binary() if verify and paths else None
    return syntax.RuffSyntaxCheck(binary, paths) if binary is not None else None


def parse_blobs(contents: dict[str, bytes], max_bytes: int, verify: bool,
                on_disk: dict[str, str] | None = None,
                early: syntax.RuffSyntaxCheck | None = None,
                listed: dict[str, StatKey] | None = None) -> tuple[dict[str, ParsedFile], int]:
    """Parse each blob's imports (blob id -> bytes), on every core when it pays.

    With ``verify`` every whole file is also syntax-checked, by ruff in its own process while
    the imports are read here (``on_disk`` names a file on disk with a blob's bytes; other
    blobs are checked from temporary copies). Files ruff cannot judge, or every file when ruff
    is missing or fails, are compiled by CPython instead. ``early`` is a check started before
    the blobs were known (``start_early_check``): used when it covers every blob's file on disk,
    else cancelled. ``listed`` gives a file on disk's stat key when it was listed: ruff reads the
    file itself, at another moment than this process did, so its verdict only counts for a file
    whose stat is still that key (else CPython judges the bytes read here). Returns the results
    and the number of processes that parsed.
    """
    blobs = list(contents)
    datas = [contents[blob] for blob in blobs]
    check: syntax.RuffSyntaxCheck | None = None
    copies: str | None = None
    paths: dict[str, str] = {}
    if early is not None:
        covered = set(early.paths)
        if verify and blobs and on_disk and all(on_disk.get(blob) in covered for blob in blobs):
            check, paths = early, {blob: on_disk[blob] for blob in blobs}
        else:
            early.cancel()
    # ruff even for a handful of files (its start costs ~8 ms): a file's verdict must not depend
    # on how many others were scanned with it, and ruff reads newer grammar than CPython may.
    binary = syntax.ruff_binary() if verify and blobs and check is None else None
    if binary is not None:
        paths = {blob: on_disk[blob] for blob in blobs if on_disk and blob in on_disk}
        if len(paths) < len(blobs):
            copied = _temporary_copies({b: contents[b] for b in blobs if b not in paths})
            if copied is not None:
                copies, written = copied
                paths.update(written)
        if len(paths) == len(blobs):
            check = syntax.RuffSyntaxCheck(binary, [paths[blob] for blob in blobs])
    try:
        if check is None:
            parsed, workers = parse_all(datas, max_bytes, verify)
            return dict(zip(blobs, parsed, strict=True)), workers
        # Every core parses although ruff runs too: ruff is done long before a big parse is, and
        # leaving it a core of its own measured no faster on small trees, slower on big ones.
        parsed, workers = parse_all(datas, max_bytes, False)
        verdicts = check.verdicts() or {}
    finally:
        if copies is not None:
            import shutil

            shutil.rmtree(copies, ignore_errors=True)
    if verdicts and listed:
        verdicts = _unchanged_only(verdicts, listed)
    out: dict[str, ParsedFile] = {}
    for blob, data, result in zip(blobs, datas, parsed, strict=True):
        verdict = verdicts.get(paths[blob]) if verdicts else None
        if result.full_parse and result.problem and result.problem[1].startswith("syntax error") \
                and verdict is not None and verdict.judged and verdict.problem is None:
            # CPython's full parse (for a statement the fast path could not read alone) failed
            # on code that is valid for a newer Python: the imports are unknown, say why.
            line, reason = result.problem
            result = result._replace(problem=(line, f"{reason} for Python {_PYTHON} (prepctl's); "
                                                    "valid for a newer Python, whose grammar this file "
                                                    "uses: run prepctl on that Python to read its imports"))
        elif not result.verified:
            if verdict is not None and verdict.judged and verdict.problem is None:
                result = result._replace(verified=True)
            else:
                # Not judged, or broken: CPython decides or says where, so a broken file reads
                # the same with or without ruff (ruff often points a line past CPython).
                problem = parse.compile_problem(parse.decode_source(data))  # the fast path decoded it already
                if problem is None and verdict is not None and verdict.judged:
                    problem = verdict.problem  # e.g. rules CPython checks only when compiling
                result = ParsedFile((), problem, verified=True) if problem else result._replace(verified=True)
        out[blob] = result
    return out, workers


def _unchanged_only(verdicts: dict[str, syntax.SyntaxVerdict],
                    listed: dict[str, StatKey]) -> dict[str, syntax.SyntaxVerdict]:
    """The verdicts on files whose stat is still the one listed. A file edited during the scan
    may have been read by ruff before the edit and here after it (or the other way round):
    ruff's "valid" would then be cached under the other bytes' blob id, a broken file passing
    for as long as the cache lives. Dropped, such a file is compiled by CPython, on these bytes."""
    kept: dict[str, syntax.SyntaxVerdict] = {}
    for path, verdict in verdicts.items():
        key = listed.get(path)
        if key is not None:
            try:
                st = os.stat(path)
            except OSError:
                continue
            if (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino) != key:
                continue
        kept[path] = verdict
    return kept


def _temporary_copies(contents: dict[str, bytes]) -> tuple[str, dict[str, str]] | None:
    """Blobs written to a private temporary folder, one ``BLOB.py`` each, for the syntax check;
    None when they cannot be (then CPython checks them in memory).

    In memory (``/dev/shm``) where there is one: creating thousands of small files on a disk
    can cost more than checking them (0.2-0.6 s per 1,000 on the reference machine's disk).
    A small ``/dev/shm`` (64 MB in a default container) that fills up falls back to the disk.
    """
    shm = "/dev/shm"
    bases = [shm, None] if os.path.isdir(shm) and os.access(shm, os.W_OK) else [None]
    for base in bases:
        written = _write_copies(contents, base)
        if written is not None:
            return written
    return None


def _write_copies(contents: dict[str, bytes], base: str | None) -> tuple[str, dict[str, str]] | None:
    import shutil
    import tempfile

    try:
        folder = tempfile.mkdtemp(prefix="prepctl-syntax-", dir=base)
    except OSError:
        return None
    written: dict[str, str] = {}
    try:
        for blob, data in contents.items():
            path = os.path.join(folder, f"{blob}.py")
            with open(path, "wb") as handle:
                handle.write(data)
            written[blob] = path
    except OSError:  # e.g. no space left
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return folder, written
