"""Render a ShadowReport as a plain-text table or JSON.

The report's strings are redacted when it is built; each renderer redacts its whole output once
more, so a secret that slipped into a value by another route still never reaches a terminal.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from prepctl import secrets
from prepctl.inert import inert
from prepctl.shadow.report import ShadowReport

FORMATS = ("table", "json")


def render(report: ShadowReport, fmt: str) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "table":
        return render_table(report)
    raise ValueError(f"unknown shadow report format {fmt!r}; use one of {', '.join(FORMATS)}")


def render_json(report: ShadowReport) -> str:
    return secrets.redact(json.dumps(report.to_dict(), indent=2, ensure_ascii=False)) + "\n"


def percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.1f}%"


def short(value: Any, width: int = 40) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def summary_line(report: ShadowReport) -> str:
    line = (f"{report.compared} compared, {report.matched} matched ({percent(report.match_rate)}), "
            f"{report.mismatched} mismatched")
    if report.skipped:
        line += f", {len(report.skipped)} skipped"
    if report.not_run:
        line += f", {report.not_run} not run (deadline)"
    return line


def render_table(report: ShadowReport) -> str:
    out: list[str] = [f"Shadow replay of {report.requests_file}: {summary_line(report)}",
                      "Targets: " + ", ".join(f"{side} {url}" for side, url in report.targets.items()), ""]
    out.append("Differences" + (" (after noise)" if report.with_secondary else ""))
    if report.differences:
        rows = []
        for finding in report.differences:
            example = finding.examples[0] if finding.examples else None
            rows.append([str(finding.count), str(finding.noise_count), finding.endpoint, finding.field,
                         f"{example.ref.where} {example.path}: primary {short(example.primary)}, "
                         f"candidate {short(example.candidate)}" if example else ""])
        out += _table(["COUNT", "NOISE", "ENDPOINT", "FIELD", "EXAMPLE"], rows)
    else:
        out.append("  none")
    if report.with_secondary:
        out += ["", "Noise (primary and secondary differ as often)"]
        rows = [[str(f.count), str(f.noise_count), f.endpoint, f.field] for f in report.noise]
        out += _table(["COUNT", "NOISE", "ENDPOINT", "FIELD"], rows) if rows else ["  none"]
    out += ["", "Latency (ms)"]
    out += _table(["SIDE", "N", "P50", "P95", "P99"],
                  [[side, str(s.count), _ms(s.p50_ms), _ms(s.p95_ms), _ms(s.p99_ms)]
                   for side, s in report.latency.items()])
    out += ["", "Errors"]
    if report.errors:
        out += _table(["SIDE", "KIND", "COUNT", "EXAMPLE"],
                      [[e.side, e.kind, str(e.count),
                        f"{e.examples[0].request} ({e.examples[0].where})" if e.examples else ""]
                       for e in report.errors])
    else:
        out.append("  none")
    if report.skipped:
        out += ["", "Skipped"]
        out += [f"  {s.ref.where} {s.ref.request}: {s.reason}" for s in report.skipped]
    return secrets.redact(inert("\n".join(out))) + "\n"  # response bodies: no escapes to the terminal


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(headers), *(line(r) for r in rows)]
