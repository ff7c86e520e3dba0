"""Reading .importlinter, setup.cfg and pyproject.toml, and what each contract becomes."""

from __future__ import annotations

from pathlib import Path

import pytest

from prepctl.errors import ConfigError
from prepctl.graph.contracts.acyclic import AcyclicOptions
from prepctl.graph.contracts.facade import FacadeOptions
from prepctl.graph.contracts.forbidden import ForbiddenOptions
from prepctl.graph.contracts.importlinter_config import module_pattern, read_config
from prepctl.graph.contracts.independence import IndependenceOptions
from prepctl.graph.contracts.layers import LayersOptions

INI = """\
[importlinter]
root_packages =
    shop
    tools
exclude_type_checking_imports = True

[importlinter:contract:one]
name = No ORM in views
type = forbidden
source_modules =
    shop.views
forbidden_modules =
    shop.orm.**
ignore_imports =
    shop.views.legacy -> shop.orm.*
allow_indirect_imports = True

[importlinter:contract:two]
name = Layers
type = layers
containers =
    shop
layers =
    api
    billing | shipping
    (cache) : store
    models

[importlinter:contract:three]
name = Protected
type = protected
protected_modules = shop.orm
allowed_importers = shop.models

[importlinter:contract:four]
name = Siblings
type = acyclic_siblings
ancestors = shop
depth = 1
unmatched_ignore_imports_alerting = warn
"""


def test_ini_contracts_translate_option_by_option(tmp_path: Path) -> None:
    config = tmp_path / ".importlinter"
    config.write_text(INI)
    parsed = read_config(config)
    assert parsed.root_packages == ["shop", "tools"]
    one, two, three, four = parsed.contracts
    assert (one.name, one.location) == ("No ORM in views", f"{config}:7")
    [forbidden] = one.contracts
    assert isinstance(forbidden, ForbiddenOptions)
    assert (forbidden.source, forbidden.forbidden, forbidden.transitive) == (["shop.views"], ["shop.orm.*.**"], False)
    assert forbidden.ignore_imports == ["shop.views.legacy -> shop.orm.*"]
    assert (forbidden.type_checking, forbidden.dynamic, forbidden.guarded) == (False, False, True)
    layers, independent = two.contracts
    assert isinstance(layers, LayersOptions) and isinstance(independent, IndependenceOptions)
    assert layers.layers == ["api", ["billing", "shipping"], ["cache", "store"], "models"]
    assert (layers.containers, layers.missing_ok) == (["shop"], True)
    assert independent.modules == ["shop.billing", "shop.shipping"]
    assert "shop.cache" not in two.required and "shop.store" in two.required
    [facade] = three.contracts
    assert isinstance(facade, FacadeOptions)
    assert (facade.modules, facade.facade, facade.transitive) == (["shop.orm"], ["shop.models"], False)
    assert [(c.modules, c.depth) for c in four.contracts if isinstance(c, AcyclicOptions)] == [
        (["shop.*"], 2), (["shop.*.*"], 3)]
    assert four.unmatched_alerting == "warn"


def test_setup_cfg_is_read_like_importlinter(tmp_path: Path) -> None:
    config = tmp_path / "setup.cfg"
    config.write_text("[metadata]\nname = shop\n\n" + INI)
    parsed = read_config(config)
    assert [c.name for c in parsed.contracts] == ["No ORM in views", "Layers", "Protected", "Siblings"]
    assert parsed.contracts[0].location == f"{config}:10"


def test_pyproject_toml_is_read(tmp_path: Path) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text("""\
[project]
name = "shop"

[tool.importlinter]
root_package = "shop"

[[tool.importlinter.contracts]]
name = "independent"
type = "independence"
modules = ["shop.a", "shop.b"]

[[tool.importlinter.contracts]]
name = "layers"
type = "layers"
layers = ["shop.a", "shop.b"]
exhaustive = true
""")
    with pytest.raises(ConfigError) as caught:
        read_config(config)
    assert f"{config}:16: [[tool.importlinter.contracts]] #2: exhaustive layers" in str(caught.value)
    config.write_text(config.read_text().replace("exhaustive = true\n", ""))
    parsed = read_config(config)
    assert parsed.root_packages == ["shop"]
    assert [c.location for c in parsed.contracts] == [f"{config}:7", f"{config}:12"]
    assert parsed.contracts[0].contracts[0].modules == ["shop.a", "shop.b"]


CONTRACT = "[importlinter]\nroot_package = shop\n\n[importlinter:contract:c]\nname = C\n"


@pytest.mark.parametrize(("body", "line", "message"), [
    ("type = custom_type\n", 6, "contract type 'custom_type' is not supported"),
    ("type = forbidden\nsource_modules = shop.a\nforbidden_modules = shop.b\nas_packages = false\n", 9,
     "as_packages = false"),
    ("type = protected\nprotected_modules = shop.a\nallowed_importers = shop.b\nas_packages = False\n", 9,
     "as_packages = false"),
    ("type = layers\nlayers =\n    shop.a\n    shop.b\nexhaustive = true\n", 10, "exhaustive layers"),
    ("type = acyclic_siblings\nancestors = shop\nskip_descendants = shop.a\n", 8, "skip_descendants"),
    ("type = acyclic_siblings\nancestors = shop.*\n", 7, "wildcard 'shop.*'"),
    ("type = acyclic_siblings\nancestors = shop\ndepth = deep\n", 8, "not a whole number"),
    ("type = independence\nmodules = shop.a\nsource_modules = shop.b\n", 8, "'source_modules' is not an option"),
    ("type = forbidden\nsource_modules = shop.a\nforbidden_modules = shop.b\nallow_indirect_imports = maybe\n",
     9, "not true or false"),
    ("type = layers\nlayers =\n    shop.a\n    shop.b | shop.c : shop.d\n", 7, "mixes '|' and ':'"),
    ("type = layers\nlayers = shop.a\n", 7, "fewer than two layers"),
    ("type = forbidden\nsource_modules = shop.a\nforbidden_modules = shop.b\nignore_imports = shop.a\n", 9,
     "is not 'importer -> imported'"),
    ("type = forbidden\nsource_modules = shop..a\nforbidden_modules = shop.b\n", 7, "empty segment"),
    ("type = forbidden\nforbidden_modules = shop.b\n", 4, "source_modules is missing"),
    ("type = independence\nmodules = shop.a\nunmatched_ignore_imports_alerting = loud\n", 8, "not an alert level"),
])
def test_unsupported_or_wrong_options_name_file_and_line(tmp_path: Path, body: str, line: int, message: str) -> None:
    config = tmp_path / ".importlinter"
    config.write_text(CONTRACT + body)
    with pytest.raises(ConfigError) as caught:
        read_config(config)
    assert f"{config}:{line}: [importlinter:contract:c]: " in str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize(("session", "line", "message"), [
    ("root_package = shop\ninclude_external_packages = True\n", 3, "include_external_packages = true"),
    ("root_package = shop\ncontract_types =\n    custom: shop.lint.Custom\n", 3,
     "option 'contract_types' is not supported"),
    ("exclude_type_checking_imports = True\n", 1, "no root_package or root_packages"),
])
def test_session_options_prepctl_cannot_honour_are_refused(tmp_path: Path, session: str, line: int,
                                                           message: str) -> None:
    config = tmp_path / ".importlinter"
    config.write_text(f"[importlinter]\n{session}\n[importlinter:contract:c]\nname = C\ntype = independence\n"
                      "modules = shop.a\n")
    with pytest.raises(ConfigError) as caught:
        read_config(config)
    assert f"{config}:{line}: [importlinter]: {message}" in str(caught.value)


@pytest.mark.parametrize(("name", "text", "message"), [
    (".importlinter", "[other]\nx = 1\n", "no [importlinter] section"),
    (".importlinter", "[importlinter\n", "not a valid INI file"),
    (".importlinter", "[importlinter]\nroot_package = shop\n", "no contracts"),
    ("pyproject.toml", "[tool.other]\nx = 1\n", "no [tool.importlinter] table"),
    ("pyproject.toml", "[tool.importlinter\n", "not valid TOML"),
    ("setup.cfg", None, "cannot read"),
])
def test_a_file_that_is_no_configuration_is_a_config_error(tmp_path: Path, name: str, text: str | None,
                                                           message: str) -> None:
    config = tmp_path / name
    if text is not None:
        config.write_text(text)
    with pytest.raises(ConfigError) as caught:
        read_config(config)
    assert message in str(caught.value)


def test_recursive_wildcard_means_one_or_more_segments() -> None:
    assert module_pattern("shop.**") == "shop.*.**"
    assert module_pattern("shop.**.models") == "shop.*.**.models"
    assert module_pattern("shop.*.models") == "shop.*.models"
