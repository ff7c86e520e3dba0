"""`--format junit`: JUnit XML that Jenkins and GitLab display as a test report.

All gate text passes ``clean`` (prepctl.inert): a character XML 1.0 forbids (ESC, BEL, a lone
surrogate, U+FFFF) would make CI reject the whole report, and a CI job that prints the file must
not meet a workflow command at a line start.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from prepctl.formats.interface import Format
from prepctl.inert import clean
from prepctl.verdicts import CriterionResult, GateReport, Status


def _evidence_text(result: CriterionResult) -> str:
    lines = []
    for e in result.verdict.evidence:
        where = f" [{e.location}]" if e.location else ""
        value = f" value={e.value}" if e.value is not None else ""
        expected = f" expected={e.expected}" if e.expected is not None else ""
        lines.append(f"{e.label}{where}{value}{expected}")
    return clean("\n".join(lines))


class JUnitFormat(Format):
    name = "junit"

    def render(self, report: GateReport) -> str:
        suites = ET.Element("testsuites", name="prepctl")
        totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for phase in report.phases:
            counts = {
                "tests": len(phase.criteria),
                "failures": sum(c.status is Status.FAIL for c in phase.criteria),
                "errors": sum(c.status is Status.ERROR for c in phase.criteria),
                "skipped": sum(c.status is Status.SKIP for c in phase.criteria),
            }
            suite = ET.SubElement(suites, "testsuite", name=phase.phase,
                                  time=f"{sum(c.seconds for c in phase.criteria):.3f}",
                                  **{k: str(v) for k, v in counts.items()})
            for c in phase.criteria:
                case = ET.SubElement(suite, "testcase", classname=f"prepctl.{phase.phase}",
                                     name=f"{c.id}: {clean(c.title)}", time=f"{c.seconds:.3f}")
                summary = clean(c.verdict.summary)
                # Advisory criteria never block, so CI should not show them as failed.
                if c.status is Status.FAIL and not c.advisory:
                    ET.SubElement(case, "failure", message=summary, type=c.kind).text = _evidence_text(c)
                elif c.status is Status.ERROR and not c.advisory:
                    ET.SubElement(case, "error", message=summary, type=c.kind).text = _evidence_text(c)
                elif c.status is Status.SKIP:
                    ET.SubElement(case, "skipped", message=summary)
                else:
                    ET.SubElement(case, "system-out").text = f"{c.status.value}: {summary}\n{_evidence_text(c)}"
            for key in totals:
                totals[key] += counts[key]
        for key, value in totals.items():
            suites.set(key, str(value))
        ET.indent(suites)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
