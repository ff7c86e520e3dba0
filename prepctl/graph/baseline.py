"""The ratchet: a committed file of known contract violations.

`prepctl graph check --update-baseline` records today's violations. Afterwards a violation in
the baseline only warns, a new one fails, and one that disappeared is reported so the file
shrinks (run --update-baseline again to drop it). The file is JSON, sorted, one violation key
per line, so reviews see exactly which debt was added or paid.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from prepctl.errors import ConfigError, Problem

FORMAT_VERSION = 1


@dataclass
class Baseline:
    path: Path
    #: contract id ("phase-2/repositories-not-orm") -> violation keys
    entries: dict[str, list[str]] = field(default_factory=dict)
    exists: bool = False

    @classmethod
    def load(cls, path: Path) -> Baseline:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(Problem(file=str(path), message=f"cannot read baseline: {exc}")) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(Problem(file=str(path), line=exc.lineno, column=exc.colno,
                                      message=f"baseline is not valid JSON: {exc.msg}",
                                      hint="fix it, or delete it and run "
                                      "`prepctl graph check --update-baseline`")) from None
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            raise ConfigError(Problem(file=str(path), line=1,
                                      message=f"not a prepctl imports baseline (version {FORMAT_VERSION})",
                                      hint="regenerate it with `prepctl graph check --update-baseline`"))
        contracts = data.get("contracts")
        if not isinstance(contracts, dict) or not all(
                isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
                for k, v in contracts.items()):
            raise ConfigError(Problem(file=str(path), line=1,
                                      message="'contracts' must map contract ids to lists of strings"))
        return cls(path, {k: list(v) for k, v in contracts.items()}, exists=True)

    def known(self, contract_id: str) -> set[str]:
        return set(self.entries.get(contract_id, []))

    def write(self, entries: dict[str, list[str]]) -> None:
        from prepctl.fileio import atomic_write_text

        self.entries = {k: sorted(set(v)) for k, v in sorted(entries.items()) if v}
        data = {
            "version": FORMAT_VERSION,
            "note": "Known import-contract violations (prepctl graph check --update-baseline). "
                    "New ones fail; shrink this file as they are fixed.",
            "contracts": self.entries,
        }
        atomic_write_text(self.path, json.dumps(data, indent=2) + "\n")
        self.exists = True
