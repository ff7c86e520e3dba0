"""prepctl's verdict on a translated import-linter contract equals lint-imports' verdict.

Every case plants (or leaves out) one violation per contract type in a small package and
asserts the expected verdict on both sides, so a case where both tools agree on nothing fails.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from prepctl.errors import ConfigError
from tests.support.importlinter import lint_imports, prepctl_verdicts
from tests.support.paths import EXAMPLE
from tests.support.trees import write

#: A package with three layers and two sibling features; each case adds the imports it plants.
BASE = {
    "pkg/__init__.py": "",
    "pkg/high/__init__.py": "",
    "pkg/high/api.py": "import pkg.mid.service\n",
    "pkg/mid/__init__.py": "",
    "pkg/mid/service.py": "import pkg.low.store\n",
    "pkg/low/__init__.py": "",
    "pkg/low/store.py": "",
    "pkg/feat/__init__.py": "",
    "pkg/feat/one/__init__.py": "",
    "pkg/feat/one/core.py": "",
    "pkg/feat/two/__init__.py": "",
    "pkg/feat/two/core.py": "",
    "pkg/secret/__init__.py": "",
    "pkg/secret/inner.py": "",
    "pkg/gate.py": "import pkg.secret.inner\n",
}


def contract(body: str, name: str = "Checked") -> str:
    return f"[importlinter]\nroot_package = pkg\n\n[importlinter:contract:c]\nname = {name}\n" \
           + textwrap.dedent(body)


FORBIDDEN = "type = forbidden\nsource_modules =\n    pkg.high\nforbidden_modules =\n    pkg.low\n"
LAYERS = "type = layers\nlayers =\n    pkg.high\n    pkg.mid\n    pkg.low\n"
CONTAINER_LAYERS = "type = layers\ncontainers =\n    pkg\nlayers =\n    high\n    mid\n    low\n"
INDEPENDENCE = "type = independence\nmodules =\n    pkg.feat.*\n"
PROTECTED = "type = protected\nprotected_modules =\n    pkg.secret\nallowed_importers =\n    pkg.gate\n"
SIBLINGS = "type = acyclic_siblings\nancestors =\n    pkg\n"

CASES = {
    # forbidden
    "forbidden-indirect-broken": ({}, FORBIDDEN, "broken"),
    "forbidden-indirect-allowed": ({}, FORBIDDEN + "allow_indirect_imports = true\n", "kept"),
    "forbidden-direct-broken": ({"pkg/high/raw.py": "from pkg.low import store\n"},
                                FORBIDDEN + "allow_indirect_imports = true\n", "broken"),
    "forbidden-ignored": ({}, FORBIDDEN + "ignore_imports =\n    pkg.mid.service -> pkg.low.store\n", "kept"),
    "forbidden-ignored-wildcard": ({}, FORBIDDEN + "ignore_imports =\n    pkg.*.service -> pkg.low.*\n", "kept"),
    "forbidden-ignored-recursive": ({}, FORBIDDEN + "ignore_imports =\n    pkg.** -> pkg.low.store\n", "kept"),
    "forbidden-wildcard-source": ({"pkg/feat/one/core.py": "import pkg.low\n"},
                                  "type = forbidden\nsource_modules =\n    pkg.feat.*\n"
                                  "forbidden_modules =\n    pkg.low\n", "broken"),
    # layers
    "layers-kept": ({}, LAYERS, "kept"),
    "layers-upward-broken": ({"pkg/low/store.py": "import pkg.high.api\n"}, LAYERS, "broken"),
    "layers-indirect-broken": ({"pkg/low/store.py": "import pkg.feat.one.core\n",
                                "pkg/feat/one/core.py": "import pkg.high\n"}, LAYERS, "broken"),
    "layers-containers-broken": ({"pkg/mid/up.py": "import pkg.high\n"}, CONTAINER_LAYERS, "broken"),
    "layers-containers-kept": ({}, CONTAINER_LAYERS, "kept"),
    "layers-ignored": ({"pkg/low/store.py": "import pkg.high.api\n"},
                       LAYERS + "ignore_imports =\n    pkg.low.store -> pkg.high.api\n", "kept"),
    "layers-independent-siblings-broken": (
        {"pkg/feat/one/core.py": "import pkg.feat.two\n"},
        "type = layers\nlayers =\n    pkg.high\n    pkg.feat.one | pkg.feat.two\n    pkg.low\n", "broken"),
    "layers-nonindependent-siblings-kept": (
        {"pkg/feat/one/core.py": "import pkg.feat.two\n"},
        "type = layers\nlayers =\n    pkg.high\n    pkg.feat.one : pkg.feat.two\n    pkg.low\n", "kept"),
    "layers-sibling-upward-broken": (
        {"pkg/feat/two/core.py": "import pkg.high.api\n"},
        "type = layers\nlayers =\n    pkg.high\n    pkg.feat.one : pkg.feat.two\n    pkg.low\n", "broken"),
    # independence
    "independence-kept": ({}, INDEPENDENCE, "kept"),
    "independence-direct-broken": ({"pkg/feat/one/core.py": "from pkg.feat.two import core\n"},
                                   INDEPENDENCE, "broken"),
    "independence-indirect-broken": ({"pkg/feat/one/core.py": "import pkg.low.store\n",
                                      "pkg/low/store.py": "import pkg.feat.two.core\n"},
                                     INDEPENDENCE, "broken"),
    "independence-ignored": ({"pkg/feat/one/core.py": "from pkg.feat.two import core\n"},
                             INDEPENDENCE + "ignore_imports =\n    pkg.feat.one.core -> pkg.feat.two.core\n",
                             "kept"),
    # protected
    "protected-kept": ({}, PROTECTED, "kept"),
    "protected-inside-kept": ({"pkg/secret/__init__.py": "from pkg.secret import inner\n"}, PROTECTED, "kept"),
    "protected-outsider-broken": ({"pkg/high/api.py": "import pkg.secret.inner\n"}, PROTECTED, "broken"),
    "protected-indirect-kept": ({"pkg/high/api.py": "import pkg.gate\n"}, PROTECTED, "kept"),
    # acyclic_siblings
    "siblings-kept": ({}, SIBLINGS, "kept"),
    "siblings-cycle-broken": ({"pkg/low/store.py": "import pkg.high.api\n"}, SIBLINGS, "broken"),
    "siblings-nested-cycle-broken": ({"pkg/feat/one/core.py": "import pkg.feat.two.core\n",
                                      "pkg/feat/two/core.py": "import pkg.feat.one\n"}, SIBLINGS, "broken"),
    "siblings-parent-kept": ({"pkg/__init__.py": "import pkg.low.store\n",
                              "pkg/low/store.py": "import pkg\n"}, SIBLINGS, "kept"),
    "siblings-too-deep-kept": ({"pkg/feat/one/core.py": "import pkg.feat.two.core\n",
                                "pkg/feat/two/core.py": "import pkg.feat.one\n"},
                               SIBLINGS + "depth = 0\n", "kept"),
    "siblings-depth-one-broken": ({"pkg/feat/one/core.py": "import pkg.feat.two.core\n",
                                   "pkg/feat/two/core.py": "import pkg.feat.one\n"},
                                  SIBLINGS + "depth = 1\n", "broken"),
    # a module the contract names that does not exist
    "missing-layer-error": ({}, LAYERS + "    pkg.gone\n", "error"),
    "missing-optional-layer-kept": ({}, LAYERS + "    (pkg.gone)\n", "kept"),
    "missing-layer-beside-optional-error": ({}, "type = layers\nlayers =\n    pkg.high\n    (pkg.mid)\n"
                                            "    pkg.gone\n", "error"),
    "missing-source-error": ({}, "type = forbidden\nsource_modules =\n    pkg.gone\n"
                             "forbidden_modules =\n    pkg.low\n", "error"),
    "missing-independent-module-error": ({}, "type = independence\nmodules =\n    pkg.gone\n    pkg.high\n",
                                         "error"),
    "missing-allowed-importer-error": ({}, "type = protected\nprotected_modules =\n    pkg.secret\n"
                                       "allowed_importers =\n    pkg.gone\n", "error"),
    "missing-ancestor-error": ({}, "type = acyclic_siblings\nancestors =\n    pkg.gone\n", "error"),
    # hostile: a missing container whose layers are all optional was kept (nothing to check)
    "missing-container-optional-layers-error": ({"pkg/low/store.py": "import pkg.high.api\n"},
                                                "type = layers\ncontainers =\n    pkg.gone\nlayers =\n"
                                                "    (high)\n    (low)\n", "error"),
    "missing-container-beside-real-one-error": ({}, "type = layers\ncontainers =\n    pkg\n    pkg.gone\n"
                                                "layers =\n    (high)\n    (low)\n", "error"),
    # options shared by every type
    "ignore-names-modules-not-packages": ({}, FORBIDDEN + "ignore_imports =\n    pkg.mid -> pkg.low\n"
                                          "unmatched_ignore_imports_alerting = none\n", "broken"),
    "dynamic-import-not-counted": ({"pkg/low/store.py": "import importlib\nimportlib.import_module('pkg.high.api')\n"},
                                   LAYERS, "kept"),
    "guarded-import-counted": ({"pkg/low/store.py": "try:\n    import pkg.high.api\nexcept ImportError:\n    pass\n"},
                               LAYERS, "broken"),
    "type-checking-counted-broken": (
        {"pkg/low/store.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.high.api\n"},
        LAYERS, "broken"),
    "unmatched-ignore-error": ({}, LAYERS + "ignore_imports =\n    pkg.low -> pkg.nowhere\n", "error"),
    "unmatched-ignore-warn-kept": ({}, LAYERS + "ignore_imports =\n    pkg.low -> pkg.nowhere\n"
                                   "unmatched_ignore_imports_alerting = warn\n", "kept"),
    "unmatched-ignore-none-kept": ({}, LAYERS + "ignore_imports =\n    pkg.low -> pkg.nowhere\n"
                                   "unmatched_ignore_imports_alerting = none\n", "kept"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_generated_tree_verdicts_agree(tmp_path: Path, case: str) -> None:
    extra, body, expected = CASES[case]
    write(tmp_path, {**BASE, **extra})
    config = tmp_path / ".importlinter"
    config.write_text(contract(body))
    # lint-imports refuses the whole run where prepctl gives this contract an `error` verdict.
    assert lint_imports(tmp_path, config) == ({"": "error"} if expected == "error" else {"Checked": expected})
    assert prepctl_verdicts(tmp_path, config) == {"Checked": expected}


def test_exclude_type_checking_imports_agrees(tmp_path: Path) -> None:
    write(tmp_path, {**BASE, "pkg/low/store.py":
                     "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.high.api\n"})
    config = tmp_path / ".importlinter"
    config.write_text(contract(LAYERS).replace("root_package = pkg\n",
                                               "root_package = pkg\nexclude_type_checking_imports = true\n"))
    assert lint_imports(tmp_path, config) == {"Checked": "kept"}
    assert prepctl_verdicts(tmp_path, config) == {"Checked": "kept"}


MONOLITH_TOML = """
[tool.importlinter]
root_packages = ["prep"]

[[tool.importlinter.contracts]]
name = "bookings never touch the ORM"
type = "forbidden"
source_modules = ["prep.bookings"]
forbidden_modules = ["prep.models.orm"]

[[tool.importlinter.contracts]]
name = "api on top"
type = "layers"
containers = ["prep"]
layers = ["api", "bookings | kitchens | reviews | payments", "models"]

[[tool.importlinter.contracts]]
name = "features independent"
type = "independence"
modules = ["prep.bookings", "prep.kitchens", "prep.reviews", "prep.payments"]

[[tool.importlinter.contracts]]
name = "orm behind the models package"
type = "protected"
protected_modules = ["prep.models.orm"]
allowed_importers = ["prep.models"]

[[tool.importlinter.contracts]]
name = "no sibling cycles"
type = "acyclic_siblings"
ancestors = ["prep"]

[[tool.importlinter.contracts]]
name = "analytics stays out of the api"
type = "forbidden"
source_modules = ["prep.analytics"]
forbidden_modules = ["prep.api"]
allow_indirect_imports = true
"""


def test_example_monolith_verdicts_agree(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE / "prep", tmp_path / "prep")
    config = tmp_path / "pyproject.toml"
    config.write_text(MONOLITH_TOML)
    expected = lint_imports(tmp_path, config)
    assert len(expected) == 6
    assert set(expected.values()) == {"kept", "broken"}, expected
    assert prepctl_verdicts(tmp_path, config) == expected


@pytest.mark.parametrize("layers", ["pkg.*\n    pkg.low", "pkg.high\n    pkg.**", "high\n    *"])
def test_a_wildcard_layer_is_refused_as_lint_imports_refuses_it(tmp_path: Path, layers: str) -> None:
    # lint-imports reads a layer as a module name ("module pkg.* does not exist"); prepctl read it
    # as a pattern, and `pkg.*` above `pkg.low` overlapped the lower layer and was kept.
    write(tmp_path, {**BASE, "pkg/low/store.py": "import pkg.high.api\n"})
    config = tmp_path / ".importlinter"
    containers = "containers =\n    pkg\n" if not layers.startswith("pkg") else ""
    config.write_text(contract(f"type = layers\n{containers}layers =\n    {layers}\n"))
    assert lint_imports(tmp_path, config) == {"": "error"}
    with pytest.raises(ConfigError, match=r"\.importlinter:\d+: .*wildcard .* not a module name"):
        prepctl_verdicts(tmp_path, config)
