"""prepctl run with one of its streams on a pseudo-terminal, as a person at a terminal runs it."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from tests.support.cli import OUTER_SWITCHES
from tests.support.paths import REPO


@dataclass
class TtyResult:
    code: int
    #: The stream that is a pipe (stdout when stderr is the terminal, and the other way round).
    piped: bytes
    #: Everything written to the terminal, escape sequences included.
    terminal: bytes


def run_on_tty(*args: str | Path, tty: str = "stderr", cwd: Path | None = None,
               env: dict[str, str] | None = None, timeout: float = 120) -> TtyResult:
    """Run ``python -m prepctl ARGS`` with ``tty`` ("stderr" or "stdout") on a pty, the other
    stream on a pipe."""
    inherited = {k: v for k, v in os.environ.items() if k not in OUTER_SWITCHES and k != "NO_COLOR"}
    full_env = {**inherited, "TERM": "xterm-256color", "COLUMNS": "120", **(env or {})}
    master, slave = pty.openpty()
    streams = {"stdout": subprocess.PIPE, "stderr": slave} if tty == "stderr" else \
        {"stdout": slave, "stderr": subprocess.PIPE}
    proc = subprocess.Popen([sys.executable, "-m", "prepctl", *map(str, args)], cwd=cwd or REPO,
                            env=full_env, stdin=subprocess.DEVNULL, **streams)
    os.close(slave)
    piped_stream = proc.stdout if tty == "stderr" else proc.stderr
    assert piped_stream is not None
    piped: list[bytes] = []
    # Read the pipe beside the terminal: a full pipe would block the child and the pty never end.
    reader = threading.Thread(target=lambda: piped.append(piped_stream.read()), daemon=True)
    reader.start()
    captured = bytearray()
    try:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed its end of the terminal
                break
            if not chunk:
                break
            captured += chunk
        code = proc.wait(timeout=timeout)
        reader.join(timeout)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return TtyResult(code, b"".join(piped), bytes(captured))
