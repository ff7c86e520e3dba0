"""The one ordering prepctl combines statuses by."""

from __future__ import annotations

import pytest

from prepctl.verdicts import WORST_FIRST, Evidence, Status, overall_status, worst


def test_every_status_has_a_rank():
    assert set(WORST_FIRST) == set(Status)


@pytest.mark.parametrize(("statuses", "expected"), [
    ([Status.PASS, Status.FAIL, Status.ERROR], Status.FAIL),  # a known failure outranks "could not tell"
    ([Status.PASS, Status.ERROR, Status.SKIP], Status.ERROR),
    ([Status.WARN, Status.SKIP], Status.SKIP),  # nothing checked never reads as a pass
    ([Status.PASS, Status.WARN], Status.WARN),
    ([Status.PASS], Status.PASS),
    ([], Status.ERROR),  # nothing judged: nothing passes
])
def test_worst(statuses: list[Status], expected: Status):
    assert worst(statuses) is expected
    assert worst(iter(statuses)) is expected
    assert overall_status(statuses) is expected


def test_an_evidence_items_own_status_and_baselined_flag():
    plain = Evidence("x", path="a.py", line=1)
    assert "status" not in plain.to_dict() and "baselined" not in plain.to_dict()
    assert plain.status_in(Status.FAIL) is Status.FAIL
    assert plain.status_in(Status.FAIL, advisory=True) is Status.WARN
    assert plain.status_in(Status.ERROR, advisory=True) is Status.ERROR  # unknown stays unknown
    accepted = Evidence("y", status=Status.WARN, baselined=True)
    assert accepted.to_dict() == {"label": "y", "status": "warn", "baselined": True}
    assert accepted.status_in(Status.FAIL) is Status.WARN
