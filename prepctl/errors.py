"""Errors a user can act on. The CLI prints them as `file:line:col: message` and exits 2."""

from __future__ import annotations

from dataclasses import dataclass


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


class PrepctlError(Exception):
    """Bad input: printed without a traceback, exit code 2."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(file="", message=problems)]  # about no file: the CLI prints "prepctl: ..."
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ConfigError(PrepctlError):
    """phases.yaml (or a file it names) is invalid."""


class GateError(Exception):
    """Raised inside a gate when its evidence cannot be had; becomes an `error` verdict."""
