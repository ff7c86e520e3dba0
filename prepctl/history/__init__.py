"""Gate history: every `prepctl gate` run, kept in SQLite under ``.prepctl/`` next to phases.yaml.

What a run records: when (UTC), the git revision it looked at and whether the work tree was clean,
which phases, the hash of phases.yaml, and each criterion's verdict with its evidence, all
redacted. Post-mortems, the dashboard and ``--from-history`` read it back; ``export``/``import``
move it between machines as JSON Lines.

The package: ``records`` (the dataclasses, building a run), ``store`` (SQLite, recording),
``jsonl`` (export/import), ``table`` (the listing), ``replay`` (the run a ``--from-history``
render may reuse), ``listing`` (the `prepctl history` use case). This module re-exports the
names callers use.
"""

from __future__ import annotations

from prepctl.history.jsonl import ImportResult, export_jsonl, import_jsonl, parse_jsonl, run_to_json
from prepctl.history.records import (
    DISABLE_ENV,
    EXPORT_FORMAT,
    HISTORY_FILE,
    SCHEMA_VERSION,
    HistoryError,
    RecordedCriterion,
    RecordedPhase,
    Run,
    config_hash,
    format_time,
    head_revision,
    parse_time,
    remember_plan_tokens,
    run_from_report,
    with_legacy_metrics,
)
from prepctl.history.replay import replayable_run
from prepctl.history.store import (
    HistoryStore,
    history_path,
    open_history,
    read_runs,
    record_gate_run,
    record_or_warn,
)
from prepctl.history.table import runs_table

__all__ = [
    "DISABLE_ENV", "EXPORT_FORMAT", "HISTORY_FILE", "SCHEMA_VERSION", "HistoryError", "HistoryStore",
    "ImportResult", "RecordedCriterion", "RecordedPhase", "Run", "config_hash", "export_jsonl",
    "format_time", "head_revision", "history_path", "import_jsonl", "open_history", "parse_jsonl",
    "parse_time", "read_runs", "record_gate_run", "record_or_warn", "remember_plan_tokens", "replayable_run",
    "run_from_report", "run_to_json", "runs_table", "with_legacy_metrics",
]
