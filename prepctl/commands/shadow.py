"""`prepctl shadow`: replay recorded requests against primary, candidate (and secondary) and
report parity. Thin: parse options, call ``prepctl.shadow.run``, map the result to an exit code.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from prepctl.commands._progress import StderrProgress


class ShadowFormat(StrEnum):
    table = "table"
    json = "json"


def shadow(
    requests: Annotated[Path, typer.Option("--requests", "-r", help="JSONL (method, path, query, "
                        "headers, body per line) or HAR file of recorded requests.")],
    primary: Annotated[str, typer.Option("--primary", help="Base URL of the known-good primary "
                       "(the monolith's route).")],
    candidate: Annotated[str, typer.Option("--candidate", help="Base URL of the candidate "
                         "(the extracted service).")],
    secondary: Annotated[str | None, typer.Option("--secondary", help="Base URL of a second primary "
                         "instance: fields that differ between the primaries are noise (the primary's own "
                         "URL sends each request to it twice).")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write shadow-report.json and "
                   "shadow-report.html into this folder.")] = None,
    fmt: Annotated[ShadowFormat, typer.Option("--format", "-f", help="Output format.")] = ShadowFormat.table,
    allow_side_effects: Annotated[bool, typer.Option("--allow-side-effects", help="Also replay methods "
                                  "other than GET/HEAD (POST, PUT, DELETE...).")] = False,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=256,
                           help="Recorded requests in flight at once.")] = 8,
    rate: Annotated[float, typer.Option("--rate", min=0, help="Recorded requests started per second "
                    "at most (0: no cap).")] = 50.0,
    timeout: Annotated[float, typer.Option("--timeout", min=0.001, help="Seconds one side may take "
                       "for one request.")] = 10.0,
    max_seconds: Annotated[float, typer.Option("--max-seconds", min=0.001, help="Seconds the whole "
                           "replay may take; unfinished requests are reported as not run.")] = 300.0,
    header: Annotated[list[str] | None, typer.Option("--header", help="Response header to compare; "
                      "repeatable (default: content-type).")] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Field never compared, e.g. "
                      "$.meta.request_id, $.items[*].ts, header:etag; repeatable.")] = None,
    relative_threshold: Annotated[float, typer.Option("--relative-threshold", min=0, max=100,
                                  help="Diffy relative threshold, %.")] = 20.0,
    absolute_threshold: Annotated[float, typer.Option("--absolute-threshold", min=0, max=100,
                                  help="Diffy absolute threshold, %.")] = 0.03,
    max_mismatch_rate: Annotated[float, typer.Option("--max-mismatch-rate", min=0, max=1,
                                 help="Exit 1 when the mismatch rate is above this (0..1).")] = 0.0,
) -> None:
    """Replay recorded requests against primary and candidate and compare the answers.

    Exit 0 when the mismatch rate (after noise) is at most --max-mismatch-rate, 1 when above,
    2 when nothing could be compared (bad input, everything skipped, primary unreachable).
    """
    from prepctl.errors import PrepctlError
    from prepctl.shadow.compare import DEFAULT_HEADERS, CompareRules, IgnorePatternError, check_ignore_pattern
    from prepctl.shadow.noise import NoiseThresholds
    from prepctl.shadow.recorded import load_requests
    from prepctl.shadow.render import render
    from prepctl.shadow.replay import ReplaySettings, Targets
    from prepctl.shadow.run import ShadowJob, run_shadow, write_report

    patterns = tuple(ignore or ())
    for pattern in patterns:
        try:
            check_ignore_pattern(pattern)
        except IgnorePatternError as exc:
            raise PrepctlError(f"--ignore: {exc}") from None
    job = ShadowJob(
        requests=load_requests(requests), requests_file=str(requests),
        targets=Targets(primary, candidate, secondary),
        replay=ReplaySettings(concurrency=concurrency, rate=rate, timeout=timeout, max_seconds=max_seconds,
                              allow_side_effects=allow_side_effects),
        rules=CompareRules(headers=tuple(header) if header else DEFAULT_HEADERS, ignore=patterns),
        thresholds=NoiseThresholds(relative_threshold, absolute_threshold),
    )
    with StderrProgress("replaying") as on_progress:  # drawn only when stderr is a terminal
        report = run_shadow(job, on_progress)
    if out is not None:
        try:
            files = write_report(report, out)
        except OSError as exc:
            raise PrepctlError(f"--out: cannot write the report to {out}: {exc}") from None
        typer.echo(f"report: {files.html}", err=True)
    typer.echo(render(report, fmt.value), nl=False)
    if report.compared == 0 or report.primary_failures == report.compared:
        typer.echo("prepctl: nothing could be compared (see errors and skipped above)", err=True)
        raise typer.Exit(2)
    assert report.mismatch_rate is not None
    raise typer.Exit(1 if report.mismatch_rate > max_mismatch_rate else 0)
