"""Gate kind `flag` and the settings source it reads (prepctl/sources/settings.py)."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from prepctl.evaluate import evaluate
from prepctl.plan import load_plan
from prepctl.sources.settings import DefaultKind, find_setting, parse_dotenv
from prepctl.sources.tree import WorkTree
from prepctl.verdicts import CriterionResult
from tests.conftest import EXAMPLE, PHASES, run_cli, write_plan

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
    (f'ENABLED = os.getenv("{FLAG}", "false").lower() == "true"\n', "false"),
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
    assert "not a literal" in result.verdict.summary and "compute_flag" in result.verdict.summary


def test_environment_write_is_not_a_default(tmp_path: Path):
    root = _tree(tmp_path, {"app.py": f'import os\nos.environ["{FLAG}"] = "true"\nX = 1\n'})
    assert find_setting(WorkTree(root), FLAG).definitions == []


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
    result = _flag(tmp_path, root, name="DATABASE_URL", expect='"postgresql://app:hunter22@db/app"')
    assert result.status == "pass"
    shown = result.verdict.summary + repr(result.verdict.evidence)
    assert "hunter22" not in shown and "app:***@db" in shown


def test_non_utf8_file_mentioning_the_flag_is_error(tmp_path: Path):
    root = _tree(tmp_path, {"app/settings.py": f"{FLAG} = False\n"})
    (root / ".env").write_bytes(f"# caf\xe9\n{FLAG}=true\n".encode("latin-1"))
    result = _flag(tmp_path, root)
    assert result.status == "error"
    assert ".env" in result.verdict.summary
    assert any("not UTF-8" in e.label for e in result.verdict.evidence)
