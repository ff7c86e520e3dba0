"""Reading input files with a clear error, and atomic writes: a reader sees the old file or
the new one, never half of either."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from prepctl.errors import PrepctlError, Problem

T = TypeVar("T")


def read_input_text(path: str | Path, *, what: str = "file", missing_hint: str | None = None,
                    error: type[PrepctlError] = PrepctlError) -> str:
    """A UTF-8 input file's text; a missing or unreadable one raises ``error`` naming the file
    (exit 2 at the CLI, never a traceback)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(Problem(file=str(path), message=f"{what} not found", hint=missing_hint)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(Problem(file=str(path), message=f"cannot read {what}: {exc}")) from None


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        result = check(Path(tmp))
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
        Path(tmp).unlink(missing_ok=True)
