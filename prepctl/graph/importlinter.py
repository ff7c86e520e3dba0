"""import-linter configurations judged by prepctl, as a whole: what `prepctl graph lint-imports`
prints, and what the differential tests compare with lint-imports.

Reading and translating is in ``prepctl.graph.contracts.importlinter_config``; one contract as a
plan criterion is the `importlinter` contract type.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prepctl.graph.contracts import ContractResult
from prepctl.graph.contracts.importlinter_config import TranslatedContract, check, read_config
from prepctl.graph.load import GraphSettings, build_graph, default_include
from prepctl.graph.model import GraphError
from prepctl.graph.scan.config import ScanConfig


@dataclass
class ContractVerdict:
    """One import-linter contract judged by prepctl: its result, or why it has none."""

    contract: TranslatedContract
    result: ContractResult | None = None
    error: str = ""

    @property
    def verdict(self) -> str:
        """import-linter's words: kept, broken, or error (prepctl could not judge it)."""
        if self.result is None:
            return "error"
        return "kept" if self.result.kept else "broken"


def check_config(path: Path, root: Path) -> list[ContractVerdict]:
    """Every contract of the import-linter configuration ``path``, on the packages under ``root``.

    A ConfigError for a configuration prepctl cannot honour; a contract that cannot be judged
    (a named module missing, an unmatched ignore) is an `error` verdict, the others still run.
    """
    config = read_config(path)
    settings = GraphSettings(root=root, scan=ScanConfig(include=default_include(root),
                                                        packages=tuple(config.root_packages)))
    graph = build_graph(settings)
    verdicts = []
    for contract in config.contracts:
        try:
            verdicts.append(ContractVerdict(contract, check(contract, graph, roots=config.root_packages)))
        except GraphError as exc:
            verdicts.append(ContractVerdict(contract, error=str(exc)))
    return verdicts


def lint_imports_text(verdicts: list[ContractVerdict]) -> str:
    """One line per contract, as lint-imports words it (``Name KEPT`` / ``Name BROKEN``), then
    each broken contract's violations with file:line."""
    lines = [f"{v.contract.name} {v.verdict.upper()}" for v in verdicts]
    for v in verdicts:
        if v.result is not None and v.result.violations:
            lines += ["", f"{v.contract.name} ({v.contract.location})"]
            for violation in v.result.violations:
                where = f" ({violation.hops[0].location})" if violation.hops else ""
                lines.append(f"- {violation.message}{where}")
        elif v.error:
            lines += ["", f"{v.contract.name}: error: {v.error}"]
    kept = sum(v.verdict == "kept" for v in verdicts)
    broken = sum(v.verdict == "broken" for v in verdicts)
    errors = len(verdicts) - kept - broken
    lines += ["", f"Contracts: {kept} kept, {broken} broken" + (f", {errors} error" if errors else "") + "."]
    return "\n".join(lines) + "\n"
