"""Gate kind `flag` and the settings source it reads (prepctl/sources/settings/)."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from prepctl.evaluate import evaluate
from prepctl.sources.settings import DefaultKind, find_setting, parse_dotenv
from prepctl.sources.tree import WorkTree
from prepctl.verdicts import CriterionResult
from tests.support.cli import run_cli
from tests.support.paths import EXAMPLE, PHASES
from tests.support.plans import load_plan, write_plan

FLAG = "ANALYTICS_ENDPOINTS_ENABLED"


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def _flag(tmp_path: Path, root: Path, expect: str = "false", extra: str = "",
          name: str = FLAG) -> CriterionResult:
    """Evaluate one flag criterion in-process (the CLI path has its own tests below)."""
    plan_dir = tmp_path / "plan"
    plan_dir.mkdir(exist_ok=True)
    config = write_plan(plan_dir, f"""
        - id: flag
          kind: flag
          title: the flag defaults to off
          name: {name}
          expect: {expect}
        """ + textwrap.indent(textwrap.dedent(extra).strip("\n"), "  "), root=str(root))
    report = evaluate(load_plan(config), ["p"])
    return report.phases[0].criteria[0]


# ---------------------------------------------------------------- on the example monolith


def test_example_pydantic_field_alias_passes(tmp_path: Path):
    result = _flag(tmp_path, EXAMPLE)
    assert result.status == "pass", result.verdict.summary
    [evidence] = result.verdict.evidence
    assert (evidence.path, evidence.line, evidence.value) == ("prep/settings.py", 25, False)
    assert "alias ANALYTICS_ENDPOINTS_ENABLED" in evidence.label


def test_example_expecting_true_fails_with_the_location(tmp_path: Path):
    result = _flag(tmp_path, EXAMPLE, expect="true")
    assert result.status == "fail"
    assert "prep/settings.py:25" in result.verdict.summary and "expected True" in result.verdict.summary


def test_example_unknown_setting_is_error(tmp_path: Path):
    result = _flag(tmp_path, EXAMPLE, name="NO_SUCH_FLAG")
    assert result.status == "error"
    assert "not defined" in result.verdict.summary


def test_removing_the_settings_file_turns_the_plan_criterion_into_error(example_copy: Path):
    """Acceptance: the repository's own phases.yaml, run against a copy without prep/settings.py."""
    before = run_cli("-c", PHASES, "--root", example_copy, "gate", "phase-1", "--format", "json")
    flag = next(c for c in json.loads(before.stdout)["criteria"] if c["kind"] == "flag")
    assert flag["status"] == "pass"

    (example_copy / "prep" / "settings.py").unlink()
    after = run_cli("-c", PHASES, "--root", example_copy, "gate", "phase-1", "--format", "json")
    assert "Traceback" not in after.stderr
    flag = next(c for c in json.loads(after.stdout)["criteria"] if c["kind"] == "flag")
    assert flag["status"] == "error", flag


def test_removing_the_settings_file_with_default_files_is_error(tmp_path: Path, example_copy: Path):
    (example_copy / "prep" / "settings.py").unlink()
    result = _flag(tmp_path, example_copy)
    assert result.status == "error"
    assert "not defined in any of the" in result.verdict.summary


def test_cli_flag_flipped_in_example_copy_exits_1(tmp_path: Path, example_copy: Path):
    settings = example_copy / "prep" / "settings.py"
    settings.write_text(settings.read_text().replace("Field(default=False, alias", "Field(default=True, alias"))
    config = write_plan(tmp_path, f"""
        - id: flag
          kind: flag
          title: off by default
          name: {FLAG}
          expect: false
        """, root=str(example_copy))
    result = run_cli("-c", config, "gate", "p", "--format", "json")
    assert result.code == 1, result.stderr
    [criterion] = json.loads(result.stdout)["criteria"]
    assert criterion["status"] == "fail"
    assert criterion["evidence"][0]["path"] == "prep/settings.py"
    assert criterion["evidence"][0]["line"] == 25


# ---------------------------------------------------------------- the shapes a setting takes


@pytest.mark.parametrize("code, expected", [
    (f'class S(BaseSettings):\n    flag: bool = Field(default=False, alias="{FLAG}")\n', False),
    (f'class S(BaseSettings):\n    flag: bool = Field(True, alias="{FLAG}")\n', True),
    (f'class S(BaseSettings):\n    flag: bool = Field(False, validation_alias=AliasChoices("X", "{FLAG}"))\n',
     False),
    (f'class S(BaseSettings):\n    flag: bool = Field(False, env="{FLAG}")\n', False),
    (f'class S(BaseSettings):\n    flag: Annotated[bool, Field(alias="{FLAG}")] = True\n', True),
    ("class S(BaseSettings):\n    analytics_endpoints_enabled: bool = False\n", False),
    ('class S(BaseSettings):\n    model_config = SettingsConfigDict(env_prefix="ANALYTICS_")\n'
     "    endpoints_enabled: bool = True\n", True),
    ('class S(pydantic_settings.BaseSettings):\n    class Config:\n        env_prefix = "ANALYTICS_"\n'
     "    endpoints_enabled: bool = False\n", False),
    ("class Base(BaseSettings):\n    pass\nclass S(Base):\n    analytics_endpoints_enabled: bool = True\n", True),
    ("DEFAULT = False\nclass S(BaseSettings):\n    analytics_endpoints_enabled: bool = DEFAULT\n", False),
    (f'ENABLED = os.getenv("{FLAG}", "false").lower() == "true"\n', False),
    (f'ENABLED = os.environ.get("{FLAG}", default="1")\n', "1"),
    (f'from os import getenv\nENABLED = getenv("{FLAG}")\n', None),
    (f"{FLAG} = True\n", True),
    (f"{FLAG}: bool = False\n", False),
    (f'class S(BaseSettings):\n    flag: list[str] = Field(default_factory=list, alias="{FLAG}")\n', []),
])
def test_python_shapes(tmp_path: Path, code: str, expected: object):
    root = _tree(tmp_path, {"app/config.py": code})
    search = find_setting(WorkTree(root), FLAG)
    assert [d.kind for d in search.definitions] == [DefaultKind.LITERAL], search
    assert search.definitions[0].value == expected
    assert search.definitions[0].line >= 1


def test_field_name_ignored_when_an_alias_differs(tmp_path: Path):
    root = _tree(tmp_path, {"s.py": """
        class S(BaseSettings):
            analytics_endpoints_enabled: bool = Field(True, alias="OTHER_NAME")
        """})
    assert find_setting(WorkTree(root), FLAG).definitions == []
    # ... unless the criterion names the Python attribute explicitly.
    by_attribute = find_setting(WorkTree(root), FLAG, attribute="analytics_endpoints_enabled")
    assert [d.value for d in by_attribute.definitions] == [True]


def test_case_sensitive_settings_class_needs_the_exact_name(tmp_path: Path):
    root = _tree(tmp_path, {"s.py": """
        class S(BaseSettings):
            model_config = SettingsConfigDict(case_sensitive=True)
            analytics_endpoints_enabled: bool = True
        """})
    assert find_setting(WorkTree(root), FLAG).definitions == []


def test_plain_models_are_not_settings(tmp_path: Path):
    root = _tree(tmp_path, {"m.py": """
        class Payload(BaseModel):
            analytics_endpoints_enabled: bool = True
        """})
    assert find_setting(WorkTree(root), FLAG).definitions == []


@pytest.mark.parametrize("code", [
    f'class S(BaseSettings):\n    flag: bool = Field(..., alias="{FLAG}")\n',
    f'class S(BaseSettings):\n    flag: bool = Field(alias="{FLAG}")\n',
    "class S(BaseSettings):\n    analytics_endpoints_enabled: bool\n",
    f'ENABLED = os.environ["{FLAG}"]\n',
])
def test_no_static_default_fails(tmp_path: Path, code: str):
    root = _tree(tmp_path, {"app.py": code})
    result = _flag(tmp_path, root)
    assert result.status == "fail", result.verdict.summary
    assert "no static default" in result.verdict.summary


def test_computed_default_is_error_not_a_guess(tmp_path: Path):
    root = _tree(tmp_path, {"app.py": f"""
        class S(BaseSettings):
            flag: bool = Field(default_factory=compute_flag, alias="{FLAG}")
        """})
    result = _flag(tmp_path, root)
    assert result.status == "error"
    assert "computed default: default_factory=compute_flag" in result.verdict.summary


def test_environment_write_in_a_function_is_not_a_default(tmp_path: Path):
    root = _tree(tmp_path, {"app.py": f'import os\ndef main():\n    os.environ["{FLAG}"] = "true"\nX = 1\n'})
    assert find_setting(WorkTree(root), FLAG).definitions == []


def test_environment_write_at_module_level_is_not_hidden_by_a_later_read(tmp_path: Path):
    # Held-out false pass: the module sets the variable, then reads it with a "false" default;
    # the read's default never applies, so passing `expect: false` on it was wrong.
    root = _tree(tmp_path, {"app.py": f"""
        import os
        os.environ["{FLAG}"] = "true"
        ENABLED = os.getenv("{FLAG}", "false") == "true"
        """})
    result = _flag(tmp_path, root)
    assert result.status == "error"
    assert "app.py:2" in result.verdict.summary or any(e.line == 2 for e in result.verdict.evidence)


@pytest.mark.parametrize("code, line", [
    ("del {flag}\n", 2),
    ('globals()["{flag}"] = True\n', 2),
    ("globals().update(load_overrides())\n", 2),
    ('for key in ["{flag}"]:\n    globals()[key] = True\n', 3),
], ids=["del", "globals-key", "globals-update", "globals-in-loop"])
def test_module_namespace_write_makes_a_constant_computed(tmp_path: Path, code: str, line: int):
    # Held-out false pass: `FLAG = False` then a write through globals() (a YAML overlay loader)
    # or `del` passed on the first literal.
    root = _tree(tmp_path, {"settings.py": f"{FLAG} = False\n" + code.format(flag=FLAG)})
    result = _flag(tmp_path, root)
    assert result.status == "error"
    assert "computed default" in result.verdict.summary
    assert f"settings.py:{line}" in result.verdict.summary


@pytest.mark.parametrize("code, line", [
    ('exec(open("local_settings.py").read())\n', 2),
    ("try:\n    from local_settings import {flag}\nexcept ImportError:\n    pass\n", 3),
], ids=["exec-local-settings", "named-import-in-try"])
def test_a_constant_rebound_by_exec_or_an_import_is_computed(tmp_path: Path, code: str, line: int):
    # Held-out false passes: Django's local-settings overlays, after `FLAG = False`.
    root = _tree(tmp_path, {"settings.py": f"{FLAG} = False\n" + code.format(flag=FLAG)})
    result = _flag(tmp_path, root)
    assert result.status == "error"
    assert f"settings.py:{line}" in result.verdict.summary


def test_a_star_import_after_a_constant_makes_a_default_that_uses_it_computed(tmp_path: Path):
    # Held-out false pass: the star import may rebind DEFAULT before the read uses it.
    root = _tree(tmp_path, {
        "settings.py": f'import os\nDEFAULT = "false"\nfrom defaults import *\n'
                       f'{FLAG} = os.getenv("{FLAG}", DEFAULT) == "true"\n',
        "defaults.py": 'DEFAULT = "true"\n'})
    result = _flag(tmp_path, root)
    assert result.status == "error"
    assert "computed default" in result.verdict.summary


def test_a_flags_dict_union_overrides_a_key(tmp_path: Path):
    # Held-out false pass: `FEATURE_FLAGS |= {...}` (Python 3.9 dict union) was not read.
    root = _tree(tmp_path, {"feature_flags.py": f'FEATURE_FLAGS = {{"{FLAG}": False}}\n'
                                                f'FEATURE_FLAGS |= {{"{FLAG}": True}}\n'})
    result = _flag(tmp_path, root)
    assert result.status == "fail"
    assert "feature_flags.py:2" in result.verdict.summary


@pytest.mark.parametrize("code", [
    "app.config.update({flag}=True)",
    'app.config.from_mapping({{"{flag}": True}})',
    'app.config["{flag}"] = True',
    'app.config.setdefault("{flag}", True)',
], ids=["update", "from-mapping", "subscript", "setdefault"])
def test_a_flask_app_factory_writing_app_config_is_a_definition(tmp_path: Path, code: str):
    # Held-out false pass: config.py said False, the app factory's app.config.update said True.
    root = _tree(tmp_path, {
        "config.py": f"{FLAG} = False\n",
        "app.py": "from flask import Flask\ndef create_app():\n    app = Flask(__name__)\n"
                  f"    {code.format(flag=FLAG)}\n    return app\n"})
    result = _flag(tmp_path, root)
    assert result.status == "error"
    assert "app.py:4" in " ".join(f"{e.path}:{e.line}" for e in result.verdict.evidence)


@pytest.mark.parametrize("build", ["Settings(flag=True)", f"Settings({FLAG}=True)"], ids=["field", "alias"])
def test_a_keyword_where_the_settings_object_is_built_overrides_the_default(tmp_path: Path, build: str):
    # Held-out false pass: `settings = Settings(flag=True)` wins over env and default in pydantic.
    root = _tree(tmp_path, {"app/config.py": "from pydantic_settings import BaseSettings\n"
                                             "from pydantic import Field\n"
                                             "class Settings(BaseSettings):\n"
                                             f'    flag: bool = Field(False, alias="{FLAG}")\n'
                                             f"settings = {build}\n"})
    result = _flag(tmp_path, root)
    assert result.status == "error"
    assert {e.line for e in result.verdict.evidence} >= {4, 5}


def test_reading_globals_leaves_a_constant_alone(tmp_path: Path):
    root = _tree(tmp_path, {"settings.py": f"{FLAG} = False\n__all__ = [n for n in globals() if n.isupper()]\n"})
    assert _flag(tmp_path, root).status == "pass"


# ---------------------------------------------------------------- .env and YAML


def test_dotenv_parsing():
    text = textwrap.dedent("""
        # comment
        export A=1
        B = "two words"  # trailing comment
        C='single # not a comment'
        D=plain # comment
        E="line\\nbreak"
        F=
        not an assignment
        """)
    parsed = {key: (line, value) for key, line, value, _ in parse_dotenv(text)}
    assert parsed == {"A": (3, "1"), "B": (4, "two words"), "C": (5, "single # not a comment"),
                      "D": (6, "plain"), "E": (7, "line\nbreak"), "F": (8, "")}


def test_dotenv_and_yaml_agreeing_with_code_pass(tmp_path: Path):
    root = _tree(tmp_path, {
        "app/settings.py": f'class S(BaseSettings):\n    x: bool = Field(False, alias="{FLAG}")\n',
        ".env": f"# local dev\nexport {FLAG}=false\n",
        "deploy/values.yaml": f"features:\n  analytics:\n    {FLAG.lower()}: false\n",
        "deploy/k8s.yml": f"env:\n  - name: {FLAG}\n    value: \"0\"\n",
        "docker-compose.yaml": f"services:\n  api:\n    environment:\n      - {FLAG}=off\n",
    })
    result = _flag(tmp_path, root)
    assert result.status == "pass", result.verdict.summary
    where = {(e.path, e.line) for e in result.verdict.evidence}
    assert where == {("app/settings.py", 2), (".env", 2), ("deploy/values.yaml", 3), ("deploy/k8s.yml", 2),
                     ("docker-compose.yaml", 4)}


def test_two_definitions_that_disagree_are_error(tmp_path: Path):
    root = _tree(tmp_path, {
        "app/settings.py": f'class S(BaseSettings):\n    x: bool = Field(False, alias="{FLAG}")\n',
        ".env.production": f'{FLAG}="true"\n',
    })
    result = _flag(tmp_path, root)
    assert result.status == "error"
    assert "disagree" in result.verdict.summary
    assert "app/settings.py:2" in result.verdict.summary and ".env.production:1" in result.verdict.summary


def test_tests_are_excluded_by_default(tmp_path: Path):
    root = _tree(tmp_path, {
        "app/settings.py": f'{FLAG} = False\n',
        "tests/test_flag.py": f'{FLAG} = True\n',
        "app/test_more.py": f'import os\nos.getenv("{FLAG}", "1")\n',
    })
    assert _flag(tmp_path, root).status == "pass"
    included = _flag(tmp_path, root, extra="exclude: []")
    assert included.status == "error" and "disagree" in included.verdict.summary


def test_unparseable_file_mentioning_the_flag_is_error(tmp_path: Path):
    root = _tree(tmp_path, {
        "app/settings.py": f'{FLAG} = False\n',
        "deploy/values.yaml": f"{FLAG}: [unclosed\n",
        "broken.py": "def nope(:\n    pass\n",  # does not mention the flag: irrelevant
    })
    result = _flag(tmp_path, root)
    assert result.status == "error"
    assert "deploy/values.yaml:" in result.verdict.summary


def test_files_option_limits_the_search(tmp_path: Path):
    root = _tree(tmp_path, {"a/settings.py": f"{FLAG} = False\n", "b/other.py": f"{FLAG} = True\n"})
    assert _flag(tmp_path, root, extra="files: [a/*.py]").status == "pass"
    nothing = _flag(tmp_path, root, extra="files: [c/*.py]")
    assert nothing.status == "error" and "no file" in nothing.verdict.summary


def test_expect_string_and_number(tmp_path: Path):
    root = _tree(tmp_path, {"s.py": 'import os\nREGION = os.getenv("PREP_REGION", "us-east-1")\n'
                            'HOLD = os.getenv("HOLD_MINUTES", "15")\n'})
    assert _flag(tmp_path, root, name="PREP_REGION", expect="us-east-1").status == "pass"
    assert _flag(tmp_path, root, name="PREP_REGION", expect="eu-west-1").status == "fail"
    assert _flag(tmp_path, root, name="HOLD_MINUTES", expect="15").status == "pass"
    assert _flag(tmp_path, root, name="HOLD_MINUTES", expect="20").status == "fail"


def test_secret_values_never_appear(tmp_path: Path):
    secret = "sk_live_do_not_print_me"
    root = _tree(tmp_path, {".env": f"STRIPE_API_KEY={secret}\n"})
    result = _flag(tmp_path, root, name="STRIPE_API_KEY", expect='""')
    assert result.status == "fail"
    shown = result.verdict.summary + repr(result.verdict.evidence)
    assert secret not in shown and "***" in shown


def test_gate_at_revision_reads_the_commit_not_the_work_tree(tmp_path: Path):
    repo = _tree(tmp_path / "repo", {"app/settings.py": f"{FLAG} = False\n"})

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo,
                       check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "off")
    git("tag", "v1")
    (repo / "app" / "settings.py").write_text(f"{FLAG} = True\n")
    config = write_plan(tmp_path, f"""
        - id: flag
          kind: flag
          title: off
          name: {FLAG}
          expect: false
        """, root=str(repo))
    now = run_cli("-c", config, "gate", "p", "--format", "json")
    then = run_cli("-c", config, "gate", "p", "--at", "v1", "--format", "json")
    assert now.code == 1 and json.loads(now.stdout)["criteria"][0]["status"] == "fail"
    assert then.code == 0, then.stderr
    assert json.loads(then.stdout)["criteria"][0]["status"] == "pass"


def test_options_are_validated(tmp_path: Path):
    config = write_plan(tmp_path, """
        - id: flag
          kind: flag
          title: off
          name: X
          expekt: false
        """, root=str(EXAMPLE))
    result = run_cli("-c", config, "validate")
    assert result.code == 2
    assert "expekt" in result.stderr + result.stdout and "expect" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_passwords_inside_default_urls_are_masked(tmp_path: Path):
    root = _tree(tmp_path, {"s.py": 'import os\nURL = os.getenv("DATABASE_URL", "postgresql://app:hunter22@db/app")\n'})
    # phases.yaml refuses a URL with credentials, so the expectation names none: a fail that
    # still must not show the password.
    result = _flag(tmp_path, root, name="DATABASE_URL", expect='"postgresql://app@db/app"')
    assert result.status == "fail"
    shown = result.verdict.summary + repr(result.verdict.evidence)
    assert "hunter22" not in shown and "app:***@db" in shown


def test_non_utf8_file_mentioning_the_flag_is_error(tmp_path: Path):
    root = _tree(tmp_path, {"app/settings.py": f"{FLAG} = False\n"})
    (root / ".env").write_bytes(f"# caf\xe9\n{FLAG}=true\n".encode("latin-1"))
    result = _flag(tmp_path, root)
    assert result.status == "error"
    assert ".env" in result.verdict.summary
    assert any("not UTF-8" in e.label for e in result.verdict.evidence)


# ---------------------------------------------------------------- issue 11: computed defaults


def test_bool_of_a_getenv_string_is_true_not_the_inner_false(tmp_path: Path):
    """The false pass: bool("false") is True, so `expect: false` must fail, not pass."""
    root = _tree(tmp_path, {"app/config.py": 'import os\n'
                            'FEATURE_BOOL = bool(os.getenv("FEATURE_BOOL", "false"))\n'})
    result = _flag(tmp_path, root, name="FEATURE_BOOL", expect="false")
    assert result.status == "fail", result.verdict.summary
    assert "defaults to True" in result.verdict.summary and "app/config.py:2" in result.verdict.summary
    assert _flag(tmp_path, root, name="FEATURE_BOOL", expect="true").status == "pass"


def test_case_sensitive_comparison_is_false_not_the_inner_true(tmp_path: Path):
    """The false pass: "True" == "true" is False, so `expect: true` must fail."""
    root = _tree(tmp_path, {"app/config.py": 'import os\n'
                            'CASE_BUG = os.environ.get("CASE_BUG", "True") == "true"\n'})
    result = _flag(tmp_path, root, name="CASE_BUG", expect="true")
    assert result.status == "fail", result.verdict.summary
    assert "defaults to False" in result.verdict.summary


def test_dedupe_keeps_the_folded_expression_not_the_inner_literal(tmp_path: Path):
    """`_dedupe` used to keep the getenv literal and drop the constant on the same line."""
    root = _tree(tmp_path, {"c.py": 'import os\nX = bool(os.getenv("X", "false"))\n'})
    search = find_setting(WorkTree(root), "X")
    assert [(d.line, d.kind, d.value) for d in search.definitions] == [(2, DefaultKind.LITERAL, True)]
    assert search.definitions[0].text == 'bool(os.getenv("X", "false"))'


@pytest.mark.parametrize("expr, expected", [
    ('bool(os.getenv("X", ""))', False),
    ('int(os.getenv("X", "15"))', 15),
    ('float(os.getenv("X", "0.5"))', 0.5),
    ('str(os.getenv("X", 3))', "3"),
    ('os.getenv("X", " On ").strip().lower()', "on"),
    ('os.getenv("X", "false").upper()', "FALSE"),
    ('os.getenv("X", "0") != "0"', False),
    ('os.getenv("X", "yes").lower() in ("1", "true", "yes")', True),
    ('os.getenv("X", "no") not in {"1", "true"}', True),
    ('not os.getenv("X")', True),
    ('os.getenv("X") is None', True),
    ('bool(strtobool(os.getenv("X", "off")))', False),
    ('strtobool(os.environ.get("X", "Y"))', 1),
    ('TRUTHY_DEFAULT == "1"', False),
])
def test_folding_subset(tmp_path: Path, expr: str, expected: object):
    root = _tree(tmp_path, {"c.py": f'import os\nTRUTHY_DEFAULT = os.getenv("X", "0")\nX = {expr}\n'})
    search = find_setting(WorkTree(root), "X", exclude=[])
    values = {(d.kind, repr(d.value)) for d in search.definitions if d.line == 3}
    assert values == {(DefaultKind.LITERAL, repr(expected))}, search.definitions


@pytest.mark.parametrize("expr", [
    'parse_flag(os.getenv("X", "false"))',
    'os.getenv("X") or "false"',
    'int(os.getenv("X", "5")) * 60',
    'int(os.getenv("X", "five"))',
    'os.getenv("X", "a").split(",")',
    'f"{os.getenv(\'X\', \'false\')}"',
    'strtobool(os.getenv("X", "maybe"))',
    'os.getenv("X", "1") is "1"',
])
def test_outside_the_subset_is_computed_error_with_the_exact_text(tmp_path: Path, expr: str):
    root = _tree(tmp_path, {"c.py": f"import os\nX = {expr}\n"})
    result = _flag(tmp_path, root, name="X", expect="false")
    assert result.status == "error", result.verdict.summary
    assert "computed default: " in result.verdict.summary and "c.py:2" in result.verdict.summary
    assert expr.split("(")[0] in result.verdict.summary or "or" in expr


def test_own_strtobool_helper_is_folded(tmp_path: Path):
    root = _tree(tmp_path, {"app/settings.py": '''
        import os
        TRUE_VALUES = {"1", "true", "yes", "on"}

        def env_bool(name, default="false"):
            """Read a boolean from the environment."""
            value = os.environ.get(name)
            if value is None:
                return str(default).lower() in TRUE_VALUES
            return value.lower() in TRUE_VALUES

        ALERTS = env_bool("ALERTS")
        REPORTS = env_bool("REPORTS", "On")
        '''})
    assert _flag(tmp_path, root, name="ALERTS", expect="false").status == "pass"
    assert _flag(tmp_path, root, name="REPORTS", expect="true").status == "pass"
    assert _flag(tmp_path, root, name="REPORTS", expect="false").status == "fail"


def test_helper_from_another_module_is_computed_error(tmp_path: Path):
    root = _tree(tmp_path, {"app/settings.py": 'from app.env import get_env_bool\n'
                            'DEBUG = get_env_bool("WEBLATE_DEBUG", False)\n'})
    result = _flag(tmp_path, root, name="WEBLATE_DEBUG", expect="false")
    assert result.status == "error"
    assert 'computed default: get_env_bool("WEBLATE_DEBUG", False)' in result.verdict.summary


# ---------------------------------------------------------------- issue 11: styles


@pytest.mark.parametrize("code, name, expected, line", [
    # plain pydantic BaseModel filled by a custom loader
    ('class Config(BaseModel):\n    x: bool = Field(default=False, alias="FEATURE_X")\n', "FEATURE_X", False, 2),
    ('class Config(BaseModel):\n    x: bool = Field(True, validation_alias="FEATURE_X")\n', "FEATURE_X", True, 2),
    ('class Config(BaseModel):\n    x: bool = Field(True, env="FEATURE_X")\n', "FEATURE_X", True, 2),
    # django-environ
    ('import environ\nenv = environ.Env()\nX = env.bool("FEATURE_X", default=False)\n', "FEATURE_X", False, 3),
    ('env = environ.Env()\nX = env("FEATURE_X", default="us")\n', "FEATURE_X", "us", 2),
    ('env = environ.Env(\n    FEATURE_X=(bool, True),\n)\nX = env("FEATURE_X")\n', "FEATURE_X", True, 2),
    ('env = environ.Env()\nX = env("FEATURE_X", bool, False)\n', "FEATURE_X", False, 2),
    # environs
    ('from environs import Env\nenv = Env()\nX = env.bool("FEATURE_X", False)\n', "FEATURE_X", False, 3),
    ('env = Env()\nX = env.int("FEATURE_X", 30)\n', "FEATURE_X", 30, 2),
    # a dict of feature flags (Superset)
    ('DEFAULT_FEATURE_FLAGS: dict[str, bool] = {\n    "A": True,\n    "FEATURE_X": False,\n}\n',
     "FEATURE_X", False, 3),
    # Django settings.py
    ('DEBUG = os.environ.get("FEATURE_X", "False") == "True"\n', "FEATURE_X", False, 1),
])
def test_python_styles(tmp_path: Path, code: str, name: str, expected: object, line: int):
    root = _tree(tmp_path, {"app/settings.py": "import os\n" + code})
    search = find_setting(WorkTree(root), name)
    assert [(d.kind, d.value, d.line) for d in search.definitions] == \
        [(DefaultKind.LITERAL, expected, line + 1)], search.definitions


def test_django_environ_without_default_is_required(tmp_path: Path):
    root = _tree(tmp_path, {"settings.py": 'env = environ.Env()\nSECRET = env.str("FEATURE_X")\n'})
    result = _flag(tmp_path, root, name="FEATURE_X", expect='""')
    assert result.status == "fail" and "no static default" in result.verdict.summary


def test_django_environ_string_default_to_bool_is_not_guessed(tmp_path: Path):
    root = _tree(tmp_path, {"settings.py": 'env = environ.Env()\nX = env.bool("FEATURE_X", default="ok")\n'})
    result = _flag(tmp_path, root, name="FEATURE_X", expect="false")
    assert result.status == "error" and "computed default" in result.verdict.summary


def test_yaml_schema_option_default_by_key_and_env_name(tmp_path: Path):
    root = _tree(tmp_path, {"airflow/config_templates/config.yml": """
        core:
          description: ~
          options:
            load_examples:
              description: Whether to load the examples
              version_added: ~
              type: boolean
              example: ~
              default: "True"
        """})
    by_key = _flag(tmp_path, root, name="load_examples", expect="true")
    assert by_key.status == "pass", by_key.verdict.summary
    assert by_key.verdict.evidence[0].line == 9
    by_env = _flag(tmp_path, root, name="AIRFLOW__CORE__LOAD_EXAMPLES", expect="false")
    assert by_env.status == "fail" and "config.yml:9" in by_env.verdict.summary


def test_ini_and_cfg_options(tmp_path: Path):
    root = _tree(tmp_path, {"default_airflow.cfg": """
        [core]
        # comment
        load_examples = True
        dags_folder = %(home)s/dags

        [webserver]
        expose_config = False
        """})
    assert _flag(tmp_path, root, name="AIRFLOW__WEBSERVER__EXPOSE_CONFIG").status == "pass"
    loaded = _flag(tmp_path, root, name="load_examples", expect="true")
    assert loaded.status == "pass" and loaded.verdict.evidence[0].line == 3
    interpolated = _flag(tmp_path, root, name="dags_folder", expect='""')
    assert interpolated.status == "error" and "computed default" in interpolated.verdict.summary


def test_broken_ini_is_error_with_its_line(tmp_path: Path):
    root = _tree(tmp_path, {"app.ini": "[core]\nload_examples = True\nload_examples = False\n"})
    result = _flag(tmp_path, root, name="load_examples")
    assert result.status == "error"
    assert "app.ini:3" in result.verdict.summary and "cannot parse" in result.verdict.summary


def test_toml_settings_and_pyproject(tmp_path: Path):
    root = _tree(tmp_path, {
        "settings.toml": '[default]\nname = "x"\nfeature_x = false\n\n[production]\nother = 1\n',
        "pyproject.toml": '[tool.myapp]\n"feature_x" = false\n',
    })
    result = _flag(tmp_path, root, name="FEATURE_X")
    assert result.status == "pass", result.verdict.summary
    assert {(e.path, e.line) for e in result.verdict.evidence} == {("settings.toml", 3), ("pyproject.toml", 2)}


def test_broken_toml_is_error(tmp_path: Path):
    root = _tree(tmp_path, {"settings.toml": "feature_x = [\n"})
    assert _flag(tmp_path, root, name="FEATURE_X").status == "error"


def test_compose_expansion_default_and_helm_values(tmp_path: Path):
    root = _tree(tmp_path, {
        "docker-compose.yaml": "services:\n  api:\n    environment:\n"
                               "      - FEATURE_X=${FEATURE_X:-false}\n      - FEATURE_Y=${FEATURE_Y:?set it}\n",
        "chart/values.yaml": "config:\n  featureX: true\n",
    })
    assert _flag(tmp_path, root, name="FEATURE_X").status == "pass"
    required = _flag(tmp_path, root, name="FEATURE_Y")
    assert required.status == "fail" and "no static default" in required.verdict.summary
    helm = _flag(tmp_path, root, name="featureX", expect="true")
    assert helm.status == "pass" and helm.verdict.evidence[0].line == 2


def test_compose_variable_without_default_is_computed(tmp_path: Path):
    root = _tree(tmp_path, {"compose.yml": "services:\n  api:\n    environment:\n      FEATURE_Y: ${FEATURE_Y}\n"})
    result = _flag(tmp_path, root, name="FEATURE_Y")
    assert result.status == "error" and "computed default: ${FEATURE_Y}" in result.verdict.summary


def test_dotenv_expansion(tmp_path: Path):
    root = _tree(tmp_path, {".env": "A=${OTHER:-off}\nB='${OTHER}'\nC=${OTHER}\n"})
    assert _flag(tmp_path, root, name="A").status == "pass"
    assert _flag(tmp_path, root, name="B", expect='"${OTHER}"').status == "pass"
    assert _flag(tmp_path, root, name="C").status == "error"


@pytest.mark.parametrize("code, name, near", [
    ('DEBUG = False\n', "debug", "DEBUG"),
    ('class S(BaseSettings):\n    model_config = SettingsConfigDict(env_prefix="PREFECT_")\n'
     '    api_url: str = ""\n', "API_URL", "PREFECT_API_URL"),
    ('class Config(BaseModel):\n    feature_x: bool = False\n', "FEATURE_X", "feature_x"),
    ('import os\nX = os.getenv("MYAPP_FEATURE_X", "0")\n', "FEATURE_X", "MYAPP_FEATURE_X"),
])
def test_close_names_are_suggested(tmp_path: Path, code: str, name: str, near: str):
    root = _tree(tmp_path, {"app/settings.py": code})
    result = _flag(tmp_path, root, name=name)
    assert result.status == "error"
    assert "not defined" in result.verdict.summary
    assert f"did you mean {near}" in result.verdict.summary, result.verdict.summary


def test_computed_env_prefix_matches_no_env_name_but_hints(tmp_path: Path):
    """Prefect: model_config = build_settings_config(("api",)) computes the prefix; "URL" must not
    match the field `url` as if the prefix were empty."""
    root = _tree(tmp_path, {"api.py": """
        class APISettings(PrefectBaseSettings):
            model_config: ClassVar[SettingsConfigDict] = build_settings_config(("api",))
            url: Optional[str] = Field(default=None)
            enable_http2: bool = Field(default=False)
        """})
    assert find_setting(WorkTree(root), "URL").definitions == []
    result = _flag(tmp_path, root, name="PREFECT_API_ENABLE_HTTP2")
    assert result.status == "error"
    assert "did you mean enable_http2" in result.verdict.summary and "build_settings_config" in result.verdict.summary
    by_attribute = _flag(tmp_path, root, name="PREFECT_API_ENABLE_HTTP2", extra="attribute: enable_http2")
    assert by_attribute.status == "pass"


def test_imported_settings_base_may_carry_the_prefix(tmp_path: Path):
    root = _tree(tmp_path, {"s.py": "from app.base import AppSettings\n"
                            "class S(AppSettings):\n    debug: bool = True\n"})
    assert find_setting(WorkTree(root), "DEBUG").definitions == []
    literal = _tree(tmp_path / "b", {"s.py": "from app.base import AppSettings\nclass S(AppSettings):\n"
                                     "    model_config = SettingsConfigDict(env_prefix='APP_')\n"
                                     "    debug: bool = True\n"})
    assert [d.value for d in find_setting(WorkTree(literal), "APP_DEBUG").definitions] == [True]


def test_helper_testing_membership_in_os_environ(tmp_path: Path):
    """Saleor's get_bool_from_env: `if name in os.environ:` is not taken when unset."""
    root = _tree(tmp_path, {"settings.py": """
        import ast
        import os

        def get_bool_from_env(name, default_value):
            if name in os.environ:
                value = os.environ[name]
                return ast.literal_eval(value)
            return default_value

        DEBUG = get_bool_from_env("DEBUG", True)
        """})
    search = find_setting(WorkTree(root), "DEBUG")
    assert [(d.kind, d.value, d.line) for d in search.definitions] == [(DefaultKind.LITERAL, True, 10)]


def test_env_read_beside_a_default_in_a_config_schema_dict(tmp_path: Path):
    """pretalx: {"default": D, "env": os.getenv("X")}: unset means D, not None."""
    root = _tree(tmp_path, {"config.py": """
        import os, sys
        CONFIG = {
            "site": {
                "url": {"default": "http://localhost", "env": os.getenv("PRETALX_SITE_URL")},
                "debug": {
                    "default": "runserver" in sys.argv,
                    "env": os.getenv("PRETALX_DEBUG"),
                },
            },
        }
        """})
    url = _flag(tmp_path, root, name="PRETALX_SITE_URL", expect='"http://localhost"')
    assert url.status == "pass" and url.verdict.evidence[0].line == 4
    debug = _flag(tmp_path, root, name="PRETALX_DEBUG")
    assert debug.status == "error" and 'computed default: "runserver" in sys.argv' in debug.verdict.summary


def test_helper_imported_from_a_module_in_the_tree_is_folded(tmp_path: Path):
    """Superset: `from superset.utils.core import parse_boolean_string`, read as text, not imported."""
    root = _tree(tmp_path, {
        "superset/utils/core.py": '''
            def parse_boolean_string(bool_str):
                """Convert a string to a bool."""
                if bool_str is None:
                    return False
                return bool_str.lower() in ("y", "yes", "t", "true", "on", "1")
            ''',
        "superset/utils/__init__.py": "from .core import parse_boolean_string\n",
        "superset/config.py": 'import os\nfrom superset.utils.core import parse_boolean_string\n'
                              'DEBUG = parse_boolean_string(os.environ.get("FLASK_DEBUG"))\n'
                              'VERBOSE = parse_boolean_string(os.environ.get("VERBOSE", "On"))\n',
        "superset/other.py": 'import os\nfrom .utils import parse_boolean_string as pbs\n'
                             'X = pbs(os.environ.get("OTHER_X", "yes"))\n',
    })
    assert _flag(tmp_path, root, name="FLASK_DEBUG", expect="false").status == "pass"
    assert _flag(tmp_path, root, name="VERBOSE", expect="false").status == "fail"  # "on" is truthy
    # relative import through a package __init__ that re-exports it, under another name
    assert _flag(tmp_path, root, name="OTHER_X", expect="true").status == "pass"


def test_imported_helper_that_is_missing_or_loops_is_computed(tmp_path: Path):
    root = _tree(tmp_path, {
        "app/a.py": "from app.b import helper_env\n",
        "app/b.py": "from app.a import helper_env\n",
        "app/settings.py": 'import os\nfrom app.a import helper_env\nfrom nowhere import get_env\n'
                           'X = helper_env("X_FLAG", False)\nY = get_env("Y_FLAG", False)\n',
    })
    for name in ("X_FLAG", "Y_FLAG"):
        result = _flag(tmp_path, root, name=name)
        assert result.status == "error" and "computed default" in result.verdict.summary, result.verdict.summary


@pytest.mark.parametrize("code, status, value", [
    # the module's later code decides: the last assignment wins
    ("DEBUG = False\nDEBUG = True\n", "fail", True),
    # an `if` whose test folds with the environment unset takes its branch
    ('import os\nDEBUG = False\nif not os.environ.get("PRODUCTION"):\n    DEBUG = True\n', "fail", True),
    ('import os\nDEBUG = False\nif os.environ.get("DEV"):\n    DEBUG = True\n', "pass", False),
    # a test that does not fold, or a try block, makes it computed: never the first literal
    ("import sys\nDEBUG = False\nif 'runserver' in sys.argv:\n    DEBUG = True\n", "error", None),
    ("DEBUG = False\ntry:\n    from .local import DEBUG_LOCAL\n    DEBUG = True\nexcept ImportError:\n"
     "    pass\n", "error", None),
    ("DEBUG = False\nDEBUG |= True\n", "error", None),
])
def test_module_constant_is_its_value_after_the_module_ran(tmp_path: Path, code: str, status: str,
                                                          value: object):
    root = _tree(tmp_path, {"settings.py": code})
    result = _flag(tmp_path, root, name="DEBUG", expect="false")
    assert result.status == status, result.verdict.summary
    if value is not None:
        assert [e.value for e in result.verdict.evidence] == [value]


def test_constant_used_in_a_default_but_reassigned_conditionally_is_computed(tmp_path: Path):
    root = _tree(tmp_path, {"settings.py": "import sys\nBASE = False\nif sys.argv:\n    BASE = True\n"
                                           "import os\nX = os.getenv('X', BASE)\n"})
    assert _flag(tmp_path, root, name="X").status == "error"


@pytest.mark.parametrize("code, expected", [
    ('from decouple import config\nX = config("FEATURE_X", default=False, cast=bool)\n', False),
    ('from decouple import config\nX = config("FEATURE_X", default="on", cast=bool)\n', True),
    ('from decouple import config\nX = config("FEATURE_X", "0", cast=bool)\n', False),
    ('from decouple import config as cfg\nX = cfg("FEATURE_X", default="15", cast=int)\n', 15),
    ('import decouple\nX = decouple.config("FEATURE_X", default="a")\n', "a"),
    ('from django.conf import settings\nX = getattr(settings, "FEATURE_X", False)\n', False),
    ('import ast, os\nX = ast.literal_eval(os.environ.get("FEATURE_X", "False"))\n', False),
    ('class Config:\n    FEATURE_X = False\n', False),
    ('class Base:\n    pass\nclass ProductionConfig(Base):\n    FEATURE_X = True\n', True),
])
def test_more_python_styles(tmp_path: Path, code: str, expected: object):
    root = _tree(tmp_path, {"app/settings.py": code})
    search = find_setting(WorkTree(root), "FEATURE_X")
    assert [(d.kind, d.value) for d in search.definitions] == [(DefaultKind.LITERAL, expected)], search.definitions


@pytest.mark.parametrize("code", [
    'from decouple import config\nX = config("FEATURE_X", default="maybe", cast=bool)\n',
    'from decouple import config, Csv\nX = config("FEATURE_X", default="a,b", cast=Csv())\n',
    'import ast, os\nX = ast.literal_eval(os.environ.get("FEATURE_X", "no"))\n',
    # No cast: decouple returns the text, and "False" is a truthy string, not false.
    'from decouple import config\nX = config("FEATURE_X", default="False")\n',
    'from decouple import config\nX = config("FEATURE_X", "off")\n',
])
def test_more_python_styles_outside_the_subset(tmp_path: Path, code: str):
    root = _tree(tmp_path, {"app/settings.py": code})
    assert _flag(tmp_path, root, name="FEATURE_X").status == "error"


def test_decouple_without_default_and_django_getattr_without_default_are_required(tmp_path: Path):
    root = _tree(tmp_path, {"app/settings.py": 'from decouple import config\nfrom django.conf import settings\n'
                            'A = config("FEATURE_A")\nB = getattr(settings, "FEATURE_B")\n'})
    for name in ("FEATURE_A", "FEATURE_B"):
        result = _flag(tmp_path, root, name=name)
        assert result.status == "fail" and "no static default" in result.verdict.summary


def test_flask_config_classes_that_disagree_are_error(tmp_path: Path):
    root = _tree(tmp_path, {"config.py": "class Config:\n    DEBUG = False\n"
                                         "class DevelopmentConfig(Config):\n    DEBUG = True\n"})
    result = _flag(tmp_path, root, name="DEBUG")
    assert result.status == "error" and "disagree" in result.verdict.summary


def test_flag_dict_overrides_later_in_the_module_win(tmp_path: Path):
    root = _tree(tmp_path, {"config.py": """
        import os
        DEFAULT_FEATURE_FLAGS = {"ALERT_REPORTS": False, "THUMBNAILS": False, "DRILL_BY": True}
        DEFAULT_FEATURE_FLAGS["THUMBNAILS"] = True
        DEFAULT_FEATURE_FLAGS.update({"DRILL_BY": False})
        DEFAULT_FEATURE_FLAGS.update(
            {k[len("SUPERSET_FEATURE_"):]: v for k, v in os.environ.items() if k.startswith("SUPERSET_FEATURE_")}
        )
        """})
    assert _flag(tmp_path, root, name="ALERT_REPORTS").status == "pass"
    thumbnails = _flag(tmp_path, root, name="THUMBNAILS")
    assert thumbnails.status == "fail" and thumbnails.verdict.evidence[0].line == 3
    drill = _flag(tmp_path, root, name="DRILL_BY")
    assert drill.status == "pass" and drill.verdict.evidence[0].line == 4


def test_helm_template_is_named_as_a_template(tmp_path: Path):
    root = _tree(tmp_path, {"chart/templates/deployment.yaml":
                            "env:\n  {{- if .Values.x }}\n  - name: FEATURE_X\n    value: \"1\"\n  {{- end }}\n"})
    result = _flag(tmp_path, root, name="FEATURE_X")
    assert result.status == "error"
    assert any("template" in e.label and "exclude" in e.label for e in result.verdict.evidence)


def test_flag_dict_key_set_under_a_condition_is_computed(tmp_path: Path):
    root = _tree(tmp_path, {"settings.py": "import sys\nDEBUG = 'runserver' in sys.argv\n"
                                           "REST = {'PAGE_SIZE': 50}\nif DEBUG:\n    REST['COMPACT_JSON'] = False\n"
                                           "if False:\n    REST['PAGE_SIZE'] = 10\n"})
    compact = _flag(tmp_path, root, name="COMPACT_JSON")
    assert compact.status == "error" and "under `if DEBUG`" in compact.verdict.summary
    assert _flag(tmp_path, root, name="PAGE_SIZE", expect="50").status == "pass"


def test_evidence_shows_the_source_a_default_was_folded_from(tmp_path: Path):
    root = _tree(tmp_path, {"app/config.py": 'import os\nFEATURE_BOOL = bool(os.getenv("FEATURE_BOOL", "false"))\n'})
    result = _flag(tmp_path, root, name="FEATURE_BOOL", expect="true")
    [evidence] = result.verdict.evidence
    assert evidence.value is True
    assert evidence.label.endswith(': bool(os.getenv("FEATURE_BOOL", "false"))'), evidence.label
    # a plain literal keeps its short label (rendered documents quote it)
    plain = _flag(tmp_path, EXAMPLE)
    assert plain.verdict.evidence[0].label == ("settings field Settings.analytics_endpoints_enabled "
                                               "(alias ANALYTICS_ENDPOINTS_ENABLED)")


def test_did_you_mean_reaches_files_that_only_hold_a_shorter_form(tmp_path: Path):
    """ZenML: a plain BaseModel filled from ZENML_SERVER_* by a loader; its file never spells the
    env name, so it is read for hints once nothing was found."""
    root = _tree(tmp_path, {"config/server.py": "class ServerConfiguration(BaseModel):\n"
                                                "    auto_activate: bool = False\n    activate: bool = True\n"})
    result = _flag(tmp_path, root, name="ZENML_SERVER_AUTO_ACTIVATE")
    assert result.status == "error"
    assert "did you mean auto_activate at config/server.py:2" in result.verdict.summary
    assert "did you mean activate" not in result.verdict.summary and "; activate" not in result.verdict.summary


def test_settings_field_with_an_unknown_prefix_is_suggested_even_as_one_word(tmp_path: Path):
    """FastMCP: env_prefixes in a custom SettingsConfigDict read by a custom source."""
    root = _tree(tmp_path, {"settings.py": "class Settings(BaseSettings):\n"
                                           "    model_config = ExtendedSettingsConfigDict(env_prefixes=['FASTMCP_'])\n"
                                           "    debug: bool = False\n"})
    result = _flag(tmp_path, root, name="FASTMCP_DEBUG")
    assert result.status == "error" and "did you mean debug at settings.py:3" in result.verdict.summary
    assert find_setting(WorkTree(root), "DEBUG").definitions == []  # the prefix is not known to be ""


def test_unparseable_python_only_matters_when_it_could_define_the_name(tmp_path: Path):
    """Weblate uses Python 3.12 syntax; `logger.debug(...)` there must not make DEBUG unknown."""
    newer = "type Alias[T] = list[T]\n"
    root = _tree(tmp_path, {"app/settings.py": "DEBUG = False\n",
                            "app/log.py": newer + "logger.debug('x')\n"})
    assert _flag(tmp_path, root, name="DEBUG").status == "pass"
    (root / "app" / "other.py").write_text(newer + "DEBUG = True\n", encoding="utf-8")
    result = _flag(tmp_path, root, name="DEBUG")
    assert result.status == "error" and "app/other.py:1" in result.verdict.summary
    assert any("prepctl reads Python" in e.label for e in result.verdict.evidence)


def test_private_and_lower_case_dicts_are_data_not_settings(tmp_path: Path):
    root = _tree(tmp_path, {"env.py": '_LEVEL_MAP = {"DEBUG": "debug"}\nlevels = {"DEBUG": 10}\nDEBUG = False\n'})
    assert [d.line for d in find_setting(WorkTree(root), "DEBUG").definitions] == [3]


def test_constant_reading_a_schemed_variable_takes_the_scheme_default(tmp_path: Path):
    """wger: env = environ.Env(DJANGO_DEBUG=(bool, False)); DEBUG = env("DJANGO_DEBUG")."""
    root = _tree(tmp_path, {"settings.py": 'import environ\nenv = environ.Env(\n    DJANGO_DEBUG=(bool, False)\n)\n'
                                           'DEBUG = env("DJANGO_DEBUG")\n'})
    result = _flag(tmp_path, root, name="DEBUG")
    assert result.status == "pass" and result.verdict.evidence[0].line == 5


def test_lock_files_and_data_tables_are_not_settings(tmp_path: Path):
    """Airflow: `debug` is an npm package in pnpm-lock.yaml, DEBUG a colour in colored_log.py."""
    root = _tree(tmp_path, {
        "ui/pnpm-lock.yaml": "snapshots:\n  agent-base@6.0.2:\n    dependencies:\n      debug: 4.4.3\n",
        "utils/log/colored_log.py": 'DEFAULT_COLORS = {"DEBUG": "green"}\n',
        "app/settings.py": "DEBUG = False\n",
        "app/flags.py": 'FEATURE_FLAGS = {"DEBUG": False}\n',
    })
    result = _flag(tmp_path, root, name="DEBUG")
    assert result.status == "pass", result.verdict.summary
    assert {(e.path, e.line) for e in result.verdict.evidence} == {("app/settings.py", 1), ("app/flags.py", 1)}


def test_environs_prefixed_block_builds_the_env_name(tmp_path: Path):
    root = _tree(tmp_path, {"settings.py": 'from environs import Env\nenv = Env()\n'
                                           'with env.prefixed("MYAPP_"):\n    with env.prefixed("CACHE_"):\n'
                                           '        ENABLED = env.bool("ENABLED", True)\n'})
    result = _flag(tmp_path, root, name="MYAPP_CACHE_ENABLED", expect="true")
    assert result.status == "pass" and result.verdict.evidence[0].line == 5
    bare = find_setting(WorkTree(root), "ENABLED").definitions
    assert [d.how for d in bare] == ["module constant ENABLED"]  # the constant, not an env read


def test_a_fifo_among_the_settings_files_is_error_not_a_hang(tmp_path: Path):
    # A FIFO named like a module once blocked the flag gate forever in open(); its content is
    # unknown (it may define the flag), so the verdict is error, and it names the file.
    root = _tree(tmp_path, {"app/settings.py": 'FEATURE_X = False\n'})
    os.mkfifo(root / "app" / "pipe.py")
    result = _flag(tmp_path, root, name="FEATURE_X")
    assert result.status == "error"
    assert "app/pipe.py" in result.verdict.summary and "a FIFO" in result.verdict.summary


@pytest.mark.parametrize("method", [
    '    @model_validator(mode="after")\n    def force(self):\n        self.feature_x = True\n        return self\n',
    '    @field_validator("feature_x")\n    @classmethod\n    def force(cls, value):\n        return True\n',
    '    @root_validator(pre=True)\n    def force(cls, values):\n'
    '        values["feature_x"] = True\n        return values\n',
    '    def model_post_init(self, context):\n        self.feature_x = True\n',
], ids=["model_validator", "field_validator", "root_validator", "model_post_init"])
def test_a_field_a_validator_may_rewrite_is_computed_not_its_default(tmp_path: Path, method: str):
    # A validator can turn the written default into anything: `expect: false` passed on `False`
    # though every instance had True.
    root = _tree(tmp_path, {"app/settings.py": (
        "from pydantic import field_validator, model_validator, root_validator\n"
        "from pydantic_settings import BaseSettings\n\n\n"
        "class Settings(BaseSettings):\n    feature_x: bool = False\n\n" + method)})
    result = _flag(tmp_path, root, name="FEATURE_X")
    assert result.status == "error", result.verdict.summary
    summary = result.verdict.summary
    assert "computed default" in summary and ("force()" in summary or "model_post_init()" in summary)


def test_a_validator_of_another_field_leaves_the_default_alone(tmp_path: Path):
    root = _tree(tmp_path, {"app/settings.py": (
        "from pydantic import field_validator\nfrom pydantic_settings import BaseSettings\n\n\n"
        "class Settings(BaseSettings):\n    feature_x: bool = False\n    other: int = 1\n\n"
        '    @field_validator("other")\n    @classmethod\n    def check(cls, value):\n        return value\n')})
    assert _flag(tmp_path, root, name="FEATURE_X").status == "pass"
