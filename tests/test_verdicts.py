"""The one ordering prepctl combines statuses by."""

from __future__ import annotations

import pytest

from prepctl.verdicts import WORST_FIRST, Status, overall_status, worst


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
