"""The openapi and schema gates on real documents nobody here wrote. The openapi gate: FastAPI-generated JSON, Apache
Airflow's 3.0 and 3.1 YAML, openapi-spec-validator's and openapi-core's test documents (a `$ref`'d
path item, path items and schemas in other files, a webhooks-only 3.1 document, Swagger 2.0), plus
three written here (an undeclared path parameter, YAML anchors and merge keys, OpenAPI 3.2).
Provenance, versions and sha256 are in ``openapi/README.md``.

The schema gate: Apache Airflow's config template and the JSON Schema it ships (whose
`additional_properties` typo made every option key pass), with derived schemas (``schema/``).

``openapi/truth.yaml`` and ``schema/truth.yaml`` hold each criterion's expected verdict and counts,
written by reading the documents, never by running prepctl. Zero false passes: every verdict and
count must equal them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from prepctl.evaluate import evaluate
from prepctl.verdicts import CriterionResult
from tests.support.plans import load_plan, write_plan

CORPUS = Path(__file__).parent / "openapi"
SCHEMA_CORPUS = Path(__file__).parent / "schema"


@dataclass(frozen=True)
class CriterionTruth:
    paths: list[Any]
    status: str
    matched: dict[str, int] = field(default_factory=dict)
    lacking: int = 0
    mentions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Case:
    name: str
    document: str
    criterion: CriterionTruth
    problems: int | None = None

    @property
    def id(self) -> str:
        return self.name


def _cases() -> list[Case]:
    data = yaml.safe_load((CORPUS / "truth.yaml").read_text(encoding="utf-8"))
    cases = []
    for entry in data["cases"]:
        for index, criterion in enumerate(entry["criteria"]):
            cases.append(Case(f"{entry['name']}-{index}", entry["document"], CriterionTruth(**criterion),
                              entry.get("problems")))
    return cases


CASES = _cases()


def _judge(tmp_path: Path, case: Case) -> CriterionResult:
    criterion = {"id": "contract", "kind": "openapi", "title": "contract", "document": case.document,
                 "paths": case.criterion.paths}
    # JSON is YAML: the criterion goes into phases.yaml exactly as truth.yaml gives it.
    config = write_plan(tmp_path, "- " + json.dumps(criterion), root=str(CORPUS))
    return evaluate(load_plan(config), ["p"]).phases[0].criteria[0]


def _matched(result: CriterionResult, pattern: str) -> list[str]:
    return [e.label for e in result.verdict.evidence if e.label.startswith(f"{pattern} -> ")]


def _lacking(result: CriterionResult) -> int:
    count = 0
    for item in result.verdict.evidence:
        if " -> " in item.label and item.expected not in (None, "any operation"):
            offered = set(str(item.value).split(", "))
            count += any(m not in offered for m in str(item.expected).split(", "))
    return count


def test_corpus_is_at_least_eight_documents_each_under_one_megabyte():
    documents = {case.document for case in CASES}
    assert len(documents) >= 8
    for path in [*CORPUS.rglob("*"), *(Path(__file__).parent / "schema").rglob("*")]:
        if path.is_file():
            assert path.stat().st_size < 1_000_000, path


@pytest.mark.corpus
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_openapi_corpus_verdict_and_counts_equal_the_truth(tmp_path: Path, case: Case):
    result = _judge(tmp_path, case)
    truth = case.criterion
    summary = result.verdict.summary
    if truth.status != "pass":
        assert result.status != "pass", f"false pass on {case.document}: {summary}"
    assert result.status == truth.status, summary
    for text in truth.mentions:
        assert text in summary, summary
    if truth.status == "error":
        return
    for pattern, count in truth.matched.items():
        assert len(_matched(result, pattern)) == count, (pattern, _matched(result, pattern))
    assert _lacking(result) == truth.lacking, summary
    if case.problems is not None:
        problems = [e for e in result.verdict.evidence if e.label.startswith("invalid at ")]
        assert len(problems) == case.problems, [e.label for e in problems]


@dataclass(frozen=True)
class SchemaCase:
    name: str
    engines: str
    config: str
    schema_file: str
    status: str
    errors: int | None = None
    mentions: list[str] = field(default_factory=list)


SCHEMA_CASES = [SchemaCase(**entry) for entry in
                yaml.safe_load((SCHEMA_CORPUS / "truth.yaml").read_text(encoding="utf-8"))["cases"]]


@pytest.mark.corpus
@pytest.mark.parametrize("case", SCHEMA_CASES, ids=[c.name for c in SCHEMA_CASES])
def test_schema_corpus_verdict_and_counts_equal_the_truth(tmp_path: Path, case: SchemaCase):
    criterion = {"id": "schemas", "kind": "schema", "title": "configs validate", "engines": case.engines,
                 "config": case.config, "schema_file": case.schema_file}
    config = write_plan(tmp_path, "- " + json.dumps(criterion), root=str(SCHEMA_CORPUS))
    result = evaluate(load_plan(config), ["p"]).phases[0].criteria[0]
    summary = result.verdict.summary
    if case.status != "pass":
        assert result.status != "pass", f"false pass: {summary}"
    assert result.status == case.status, summary
    for text in case.mentions:
        assert text in summary + "\n".join(e.label for e in result.verdict.evidence), summary
    if case.errors is not None:
        # A validation error's evidence is labelled with its JSON path.
        listed = [e for e in result.verdict.evidence if e.label.startswith("$")]
        assert len(listed) == case.errors, [e.label for e in listed]
