"""Reading input files with a clear error, and atomic writes: a reader sees the old file or
the new one, never half of either.

Every output file prepctl writes (``--out`` of gate, history export, graph, report; rendered
documents; baselines; the sign-off file) goes through :func:`atomic_write_bytes`, which decides
what the target is before a single byte is written:

- a regular file (or a new name): written next to itself and renamed over it;
- a symbolic link: followed on purpose to its final target, which is written the same way; the
  link stays a link (renaming over the link itself would silently replace it with a file);
- a link whose final target does not exist (dangling), or a loop of links: refused. Creating a
  file wherever a stale link points is a write nobody asked for;
- a device, FIFO or socket (``/dev/full``, a named pipe): refused. Renaming a regular file over
  a device node would destroy the node, and writing into a FIFO can block forever;
- a folder, or a folder that cannot be written: refused.

A refusal is a :class:`~prepctl.errors.PrepctlError` naming the path and what to do (exit 2).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from prepctl.errors import PrepctlError, Problem

T = TypeVar("T")


def read_input_text(path: str | Path, *, what: str = "file", missing_hint: str | None = None,
                    error: type[PrepctlError] = PrepctlError) -> str:
    """A UTF-8 input file's text; a missing, unreadable or undecodable one, or one that is not a
    regular file (a FIFO would block forever, /dev/zero never end), raises ``error`` naming the
    file (exit 2 at the CLI, never a traceback)."""
    data = read_regular_file(path, what=what, missing_hint=missing_hint, error=error)
    return decode_utf8(data, str(path), error)


def _kind_of(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def read_regular_file(path: str | Path, *, what: str = "file", missing_hint: str | None = None,
                      max_bytes: int | None = None, error: type[PrepctlError] = PrepctlError) -> bytes:
    """The bytes of ``path`` if it is a regular file (of at most ``max_bytes``); never blocks.

    ``os.stat`` first, so a device or FIFO is never opened at all; then ``O_NONBLOCK`` and
    ``fstat`` on the open descriptor, so a file swapped for a FIFO in between cannot block either.
    """
    file = str(path)

    def refuse(message: str, hint: str | None = None) -> PrepctlError:
        return error(Problem(file=file, line=None, message=message, hint=hint))

    def check(info: os.stat_result) -> None:
        if not stat.S_ISREG(info.st_mode):
            raise refuse(f"{what} is {_kind_of(info.st_mode)}, not a regular file",
                         "point it at a regular file")
        if max_bytes is not None and info.st_size > max_bytes:
            raise refuse(f"{what} is {info.st_size:,} bytes; more than {max_bytes:,} is refused",
                         "is this the right file?")

    try:
        check(os.stat(path))  # before opening: a device or FIFO is never opened at all
        # (Windows has no O_NONBLOCK/O_NOCTTY, and no FIFOs to block on either.)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise refuse(f"{what} not found", missing_hint) from None
    except OSError as exc:
        raise refuse(f"cannot read {what}: {exc.strerror or exc}") from None
    try:
        check(os.fstat(fd))  # the file opened may not be the one stat saw
        chunks: list[bytes] = []
        size = 0
        while max_bytes is None or size <= max_bytes:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise refuse(f"cannot read {what}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if max_bytes is not None and size > max_bytes:
        raise refuse(f"{what} grew past {max_bytes:,} bytes while being read")
    return b"".join(chunks)


def decode_utf8(data: bytes, file: str, error: type[PrepctlError] = PrepctlError) -> str:
    """UTF-8 text without a leading BOM; undecodable bytes are an error at their line:col."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start:exc.start].decode("utf-8", errors="replace")) + 1
        raise error(Problem(file=file, line=data.count(b"\n", 0, exc.start) + 1, column=column,
                            message=f"not UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded",
                            hint="save the file as UTF-8")) from None
    return text.removeprefix("\ufeff")


class OutputError(PrepctlError):
    """An output path prepctl will not write to; nothing was written."""


_HINT = "prepctl writes output only to regular files; pass a file path, or - for stdout"


def _refuse(path: Path, message: str, hint: str = _HINT) -> OutputError:
    return OutputError(Problem(file=str(path), message=message, hint=hint))


def output_target(path: str | Path) -> Path:
    """The regular file a write to ``path`` lands in: ``path`` itself, or the final target of
    the symbolic link(s) at ``path``. Raises OutputError for anything else; writes nothing."""
    path = Path(path)
    target = path
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except FileNotFoundError:
            raise _refuse(path, f"is a symbolic link to {os.readlink(path)}, which does not exist",
                          "create the target file first, or remove the link; prepctl does not create "
                          "files where a link points") from None
        except (RuntimeError, OSError) as exc:
            if isinstance(exc, RuntimeError) or exc.errno == errno.ELOOP:
                raise _refuse(path, "is a loop of symbolic links", "remove or fix the link") from None
            raise _refuse(path, f"cannot follow the link: {exc.strerror or exc}") from None
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _refuse(path, "is a loop of symbolic links", "remove or fix the link") from None
        raise _refuse(path, f"cannot inspect: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        kind = _kind_of(mode)
        where = "" if target == path else f" (the link's target {target})"
        raise _refuse(path, f"is {kind}{where}, not a regular file" if kind.startswith("a ")
                      else f"is not a regular file{where}")
    return target


def _temporary_beside(target: Path) -> tuple[int, Path]:
    """A new, empty ``.NAME.*.tmp`` in the target's folder (same file system: rename is atomic)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    return fd, Path(tmp)


def _fill(fd: int, tmp: Path, data: bytes, *, durable: bool) -> None:
    """Write ``data`` into the temporary file and close it, mode 0644. ``durable``: fsync first,
    so a rename can never land an empty file after a crash. On any failure the file is removed."""
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (through a symlink to its target), or refuse with
    OutputError. ``durable=False`` skips the fsync: for caches, which are rebuilt if lost.

    Every replacing write of prepctl goes through here; :func:`atomic_create_text` shares the
    temporary-file steps for the one write that must never replace anything."""
    target = output_target(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _temporary_beside(target)
    except OSError as exc:
        raise _refuse(Path(path), f"cannot write in {target.parent}: {exc.strerror or exc}",
                      "choose a folder you can write to") from None
    try:
        _fill(fd, tmp, data, durable=durable)
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _refuse(Path(path), f"cannot write: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_create_text(path: str | Path, text: str, check: Callable[[Path], T]) -> T:
    """Create ``path`` whole or not at all, and never replace an existing file (FileExistsError).

    ``check`` reads the complete temporary file, in the destination folder, before it lands, so a
    validator sees exactly the bytes (and relative paths) the new file will have; what it returns
    is returned.
    """
    path = Path(path)
    fd, tmp = _temporary_beside(path)
    _fill(fd, tmp, text.encode("utf-8"), durable=True)
    try:
        result = check(tmp)
        try:
            # link, unlike rename, fails when the name is taken: nothing is clobbered.
            os.link(tmp, path)
        except FileExistsError:
            raise
        except OSError:
            # A file system without hard links: exclusive create is still no-clobber.
            with open(path, "xb") as handle:
                handle.write(text.encode("utf-8"))
        return result
    finally:
        tmp.unlink(missing_ok=True)
