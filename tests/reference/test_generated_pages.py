"""The generated reference (docs/gates, docs/contracts) equals what the code generates today."""

from __future__ import annotations

from pathlib import Path

from prepctl import reference
from prepctl.gates.registry import GATES
from prepctl.graph.contracts import CONTRACTS
from prepctl.plan.model import CriterionSpec

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_committed_pages_are_fresh() -> None:
    stale = reference.stale_pages(DOCS)
    assert stale == [], (f"stale generated docs: {', '.join(stale)}; "
                         "regenerate with: .venv/bin/python scripts/gen_docs.py")


def test_every_kind_and_contract_type_has_a_page() -> None:
    pages = reference.index_pages()
    kinds = GATES.names()
    assert kinds, "no gate kind registered"
    for kind in kinds:
        assert f"gates/{kind}.md" in pages
        assert f"[`{kind}`]({kind}.md)" in pages["gates/index.md"]
    for contract_type in CONTRACTS.names():
        assert f"contracts/{contract_type}.md" in pages
        assert f"[`{contract_type}`]({contract_type}.md)" in pages["contracts/index.md"]


def test_every_option_of_a_kind_is_documented() -> None:
    for kind in reference.gate_kinds():
        model = GATES.load(kind).options
        page = reference.gate_page(kind)
        for name, field in model.model_fields.items():
            if name not in CriterionSpec.model_fields:
                assert f"| `{field.alias or name}` |" in page, f"{kind}: option {name} missing"


def test_stale_pages_names_changed_missing_and_leftover_pages(tmp_path: Path) -> None:
    reference.write_pages(tmp_path)
    assert reference.stale_pages(tmp_path) == []
    (tmp_path / "gates" / "paths.md").write_text("edited by hand\n", encoding="utf-8")
    (tmp_path / "contracts" / "forbidden.md").unlink()
    (tmp_path / "gates" / "retired-kind.md").write_text("old\n", encoding="utf-8")
    assert reference.stale_pages(tmp_path) == ["contracts/forbidden.md", "gates/paths.md", "gates/retired-kind.md"]
    reference.write_pages(tmp_path)
    assert reference.stale_pages(tmp_path) == []
    assert not (tmp_path / "gates" / "retired-kind.md").exists()


def test_docstring_example_is_cut_out_of_the_prose() -> None:
    doc = reference.split_docstring(
        "Gate kind `x`: checks a thing.\n\nMore prose.\n\n```yaml\n- id: a\n  kind: x\n```\n\nAfter.\n")
    assert doc.example == "- id: a\n  kind: x"
    assert doc.prose == "Gate kind `x`: checks a thing.\n\nMore prose.\n\nAfter."


def test_docstring_without_example_keeps_its_prose() -> None:
    doc = reference.split_docstring("Contract `c`: holds.\n\n    contract: {type: c}\n")
    assert doc.example is None
    assert doc.prose == "Contract `c`: holds.\n\n    contract: {type: c}"


def test_example_lands_in_a_yaml_fence_on_the_page(monkeypatch) -> None:
    gate = GATES.load("paths")
    module = __import__(gate.__module__, fromlist=["_"])
    monkeypatch.setattr(module, "__doc__", "Gate kind `paths`: files.\n\n```yaml\n- id: p\n  kind: paths\n```\n")
    page = reference.gate_page("paths")
    assert "# Gate kind `paths`\n\nFiles.\n\n## Example\n\n```yaml\n- id: p\n  kind: paths\n```\n" in page


def test_a_table_cell_stays_one_cell_and_shows_tags_as_text() -> None:
    assert reference.table_cell("a | b\n  c") == "a \\| b c"
    assert reference.table_cell("'plan:<path>' or `<phase>`") == "'plan:&lt;path&gt;' or `<phase>`"
