"""Gate kind `command`: run a command (load test, regression suite) with a timeout.

```yaml
- id: regression-suite
  kind: command
  title: Regression suites from TROUBLESHOOTING.md pass
  run: ["pytest", "-q", "tests/regression"]
  timeout: 600
```

It passes on exit 0 and keeps the tail of the output as evidence. A timeout is `fail`. The
command runs in the monolith's root (or ``cwd``, relative to it); a command that cannot be
started is `error`. Under ``gate --at`` it is skipped: it would run against the work tree.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from typing import Literal

from pydantic import Field

from prepctl.errors import GateError
from prepctl.gates.base import Gate
from prepctl.plan.model import CriterionSpec, Phase
from prepctl.secrets import redact
from prepctl.sources.context import GateContext
from prepctl.verdicts import Evidence, Status, Verdict

TAIL_LINES = 20


class CommandSpec(CriterionSpec):
    kind: Literal["command"]
    run: list[str] | str = Field(description="argv list, or a string split like a shell would.")
    timeout: float = Field(300, gt=0, description="Seconds before the command is killed.")
    cwd: str = Field(".", description="Working folder, relative to the monolith root.")
    env: dict[str, str] = Field(default_factory=dict)


class CommandGate(Gate[CommandSpec]):
    kind = "command"
    options = CommandSpec
    # The command runs in the work tree, so it cannot speak for another revision.
    live = True

    def check(self, spec: CommandSpec, phase: Phase, ctx: GateContext) -> Verdict:
        argv = shlex.split(spec.run) if isinstance(spec.run, str) else list(spec.run)
        if not argv:
            raise GateError("empty command")
        cwd = (ctx.plan.root / spec.cwd).resolve()
        if not cwd.is_dir():
            raise GateError(f"cwd {cwd} is not a folder")
        shown = " ".join(shlex.quote(a) for a in argv)
        try:
            proc = subprocess.run(argv, cwd=cwd, env={**os.environ, **spec.env}, capture_output=True,
                                  timeout=spec.timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            tail = _tail((exc.stdout or b"") + (exc.stderr or b""))
            return Verdict.of(Status.FAIL, f"timed out after {spec.timeout:g}s: {shown}",
                              [Evidence("command", value=shown, expected=f"exit 0 within {spec.timeout:g}s"),
                               Evidence("output tail", value=tail)])
        except OSError as exc:
            raise GateError(f"cannot run {shown}: {exc.strerror or exc}") from None
        tail = _tail(proc.stdout + proc.stderr)
        evidence = [Evidence("command", value=shown, expected="exit 0", path=str(cwd)),
                    Evidence("exit code", value=proc.returncode, expected=0),
                    Evidence("output tail", value=tail)]
        if proc.returncode == 0:
            return Verdict.of(Status.PASS, f"exit 0: {shown}", evidence)
        return Verdict.of(Status.FAIL, f"exit {proc.returncode}: {shown}", evidence)


def _tail(data: bytes) -> str:
    lines = data.decode("utf-8", errors="replace").splitlines()
    return redact("\n".join(lines[-TAIL_LINES:]))
