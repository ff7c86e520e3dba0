"""Parse many files on every core: forked children that inherit the bytes, parse one share each
and send their results back marshalled. Any failure only costs time: the share is parsed again
in this process."""

from __future__ import annotations

import os
import sys
import threading

from prepctl.graph.scan.model import ParsedFile, RawImport
from prepctl.graph.scan.parse import parse_imports

#: Cold scans with more than this many bytes to parse (counted four times over when every file
#: is also compiled) use every core; below it, starting workers costs more than it saves
#: (measured with benchmarks/graph_bench.py).
PARALLEL_THRESHOLD = 4_000_000


def _parse_chunk(payload: list[bytes], max_bytes: int, verify: bool) -> list[ParsedFile]:
    return [parse_imports(data, max_bytes, verify) for data in payload]


def _to_plain(parsed: ParsedFile) -> tuple:
    return (tuple(tuple(r) for r in parsed.imports), parsed.problem, parsed.full_parse, parsed.verified)


def _from_plain(item: tuple) -> ParsedFile:
    imports, problem, full_parse, verified = item
    make = RawImport._make
    return ParsedFile(tuple(make(r) for r in imports), problem, full_parse, verified)


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # what this process may use, e.g. in a container
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def parse_all(datas: list[bytes], max_bytes: int, verify: bool) -> tuple[list[ParsedFile], int]:
    """Parse many files, on every core when there are enough of them to pay for forking.

    Each forked child inherits the bytes (nothing is sent to it), parses one contiguous share
    and sends back its results marshalled; the parent parses the first share meanwhile. A child
    that fails has its share parsed again here, so forking can only ever cost time.
    """
    cores = _usable_cores()
    work = sum(len(d) for d in datas) * (4 if verify else 1)
    if cores < 2 or work < PARALLEL_THRESHOLD or not _can_fork():
        return _parse_chunk(datas, max_bytes, verify), 1
    bounds = _shares_by_size(datas, cores)
    children = [(low, high, _fork_parse(datas[low:high], max_bytes, verify)) for low, high in bounds[1:]]
    low, high = bounds[0]
    out = _parse_chunk(datas[low:high], max_bytes, verify)
    for low, high, child in children:
        results = _join_child(child) if child is not None else None
        out.extend(results if results is not None else _parse_chunk(datas[low:high], max_bytes, verify))
    return out, 1 + sum(1 for *_, child in children if child is not None)


def _shares_by_size(datas: list[bytes], shares: int) -> list[tuple[int, int]]:
    """Contiguous index ranges of about equal byte size (parse time follows size)."""
    total = sum(len(d) for d in datas) or 1
    bounds: list[tuple[int, int]] = []
    low = 0
    running = 0
    for index, data in enumerate(datas):
        running += len(data)
        if running * shares >= total * (len(bounds) + 1) and len(bounds) < shares - 1:
            bounds.append((low, index + 1))
            low = index + 1
    bounds.append((low, len(datas)))
    return bounds


def _fork_parse(share: list[bytes], max_bytes: int, verify: bool) -> tuple[int, int] | None:
    """Fork a child that parses ``share``; (pid, read end of its pipe), or None if fork fails."""
    import marshal

    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the child: parse, send, and leave without running the parent's exit code
        status = 1
        try:
            os.close(read_end)
            payload = marshal.dumps([_to_plain(p) for p in _parse_chunk(share, max_bytes, verify)])
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def _join_child(child: tuple[int, int]) -> list[ParsedFile] | None:
    import marshal

    pid, read_end = child
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        return None
    try:
        return [_from_plain(item) for item in marshal.loads(payload)]
    except (EOFError, ValueError, TypeError):
        return None


def _can_fork() -> bool:
    """Forking is cheap (no re-import), but forking a process that runs other threads can copy
    a lock one of them holds; callers with threads get the in-process parse instead. macOS
    offers fork but its system libraries are not fork-safe, so it parses in-process too."""
    return hasattr(os, "fork") and sys.platform != "darwin" and threading.active_count() == 1
