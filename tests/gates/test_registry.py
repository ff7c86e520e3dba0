"""Every registered gate kind is written the same way in its three places, and the example in its
module docstring (which the generated reference shows) is a valid criterion."""

from __future__ import annotations

import pytest

from prepctl.gates.registry import GATES, KINDS
from prepctl.registry import one_of
from tests.support.examples import docstring_example, literal_of


@pytest.mark.parametrize("kind", GATES.names())
def test_kind_is_the_same_in_registry_gate_and_options(kind: str):
    gate = GATES.load(kind)
    assert gate.kind == kind
    assert literal_of(gate.options, "kind") == (kind,)
    assert KINDS.options_model(kind) is gate.options


@pytest.mark.parametrize("kind", GATES.names())
def test_docstring_example_is_a_valid_criterion(kind: str):
    gate = GATES.load(kind)
    example = docstring_example(gate)
    assert isinstance(example, list) and len(example) == 1, "one `- id: ...` list item, as under criteria:"
    criterion = example[0]
    assert criterion["kind"] == kind
    spec = gate.options.model_validate(criterion)
    assert spec.id == criterion["id"] and spec.kind == kind


def test_unknown_kind_lists_the_registry():
    assert KINDS.options_model("no-such-kind") is None
    assert KINDS.names() == GATES.names()
    assert set(GATES.names()) >= {"paths", "imports", "slo", "signoff"}
    assert GATES.choices() == one_of(GATES.names())
