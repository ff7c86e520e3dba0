"""Errors a user can act on. The CLI prints them as `file:line:col: message` and exits 2."""

from __future__ import annotations

from dataclasses import dataclass, replace

from prepctl.secrets import redact


@dataclass(frozen=True)
class Problem:
    file: str
    message: str
    line: int | None = None
    column: int | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


def redacted(problem: Problem) -> Problem:
    """The problem with every known secret replaced: messages quote user input, which may hold one."""
    return replace(problem, file=redact(problem.file), message=redact(problem.message),
                   hint=redact(problem.hint) if problem.hint else problem.hint)


class PrepctlError(Exception):
    """Bad input: printed without a traceback, exit code 2. Its problems are redacted as it is
    raised, so no reader of ``problems`` (or of its text) can see a secret."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(file="", message=problems)]  # about no file: the CLI prints "prepctl: ..."
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = [redacted(p) for p in problems]
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(PrepctlError):
    """phases.yaml (or a file it names) is invalid."""


class GateError(Exception):
    """Raised inside a gate when its evidence cannot be had; becomes an `error` verdict."""
