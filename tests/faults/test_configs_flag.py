"""Fault corpus, category configs, area flag: hostile settings files and computed defaults.

Each case writes a small monolith, runs ``prepctl gate p --format json`` on a one-criterion
``kind: flag`` plan as a subprocess with a time limit, and checks the harness invariants plus its
own promise: the criterion's status (never ``pass`` when the truth is unknown or different), the
exit code, and text the output must carry (file:line, "computed default: ...").
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.fault_harness import Expect, check, run_prepctl

LIMIT = 30.0


@dataclass(frozen=True)
class FlagCase:
    name: str
    guards: str  # the defect this case guards against
    files: dict[str, str | bytes]
    setting: str
    expect: object
    statuses: tuple[str, ...]
    codes: tuple[int, ...]
    mentions: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8)
) + "FEATURE_X: false\n"

CASES = [
    FlagCase("bool-of-getenv-false-string", "false pass: bool(os.getenv('X', 'false')) is True, not the inner 'false'",
             {"app/config.py": 'import os\nFEATURE_BOOL = bool(os.getenv("FEATURE_BOOL", "false"))\n'},
             "FEATURE_BOOL", False, ("fail",), (1,), ("app/config.py:2",)),
    FlagCase("case-sensitive-compare", "false pass: os.environ.get('X', 'True') == 'true' is False",
             {"app/config.py": 'import os\nCASE_BUG = os.environ.get("CASE_BUG", "True") == "true"\n'},
             "CASE_BUG", True, ("fail",), (1,), ("app/config.py:2",)),
    FlagCase("dedupe-keeps-inner-literal", "_dedupe kept the getenv literal and dropped the computed constant",
             {"app/config.py": "import os\nTIMEOUT = int(os.getenv('TIMEOUT', '0')) * 60\n"},
             "TIMEOUT", 0, ("error",), (2,),
             ("computed default: int(os.getenv('TIMEOUT', '0')) * 60",)),
    FlagCase("or-fallback", "a boolean `or` is outside the subset: error, never the inner literal",
             {"app/config.py": "import os\nX = os.getenv('X') or 'false'\n"},
             "X", False, ("error",), (2,), ("computed default: os.getenv('X') or 'false'",)),
    FlagCase("own-parse-helper", "an unknown parser around getenv is computed, not its argument",
             {"app/config.py": 'import os\nfrom app.util import parse_bool\nX = parse_bool(os.getenv("X", "0"))\n'},
             "X", False, ("error",), (2,), ("computed default: parse_bool(",)),
    FlagCase("int-of-garbage", "int('five') raises when the app starts: no value",
             {"app/config.py": 'import os\nX = int(os.getenv("X", "five"))\n'},
             "X", 5, ("error",), (2,), ("computed default",)),
    FlagCase("environ-string-default-to-bool", "django-environ parses a string default by its own table",
             {"settings.py": 'import environ\nenv = environ.Env()\nX = env.bool("X", default="ok")\n'},
             "X", True, ("error",), (2,), ("computed default",)),
    FlagCase("self-referencing-constants", "A = B; B = A must end, as computed",
             {"c.py": "A = B\nB = A\nX = A\n"}, "X", True, ("error",), (2,), ("computed default",)),
    FlagCase("recursive-env-helper", "a helper calling itself must end, as computed",
             {"c.py": "def get_env(name):\n    return get_env(name)\nX = get_env('X')\n"},
             "X", True, ("error",), (2,), ("computed default",)),
    FlagCase("deeply-nested-call", "hundreds of nested bool() do not crash the reader",
             {"c.py": "X = " + "bool(" * 150 + '"x"' + ")" * 150 + "\n"}, "X", True, ("pass", "error"), (0, 2)),
    FlagCase("yaml-schema-option", "a YAML option mapping with default: used to be skipped silently",
             {"config.yml": "core:\n  options:\n    load_examples:\n      type: boolean\n"
                            "      description: x\n      default: \"True\"\n"},
             "AIRFLOW__CORE__LOAD_EXAMPLES", False, ("fail",), (1,), ("config.yml:6",)),
    FlagCase("ini-duplicate-option", "INI files were 'cannot parse' with misleading advice",
             {"airflow.cfg": "[core]\nload_examples = True\nload_examples = False\n"},
             "load_examples", True, ("error",), (2,), ("airflow.cfg:3",)),
    FlagCase("ini-not-utf8", "a cfg file the reader cannot decode is unknown, not absent",
             {"app.cfg": "[core]\n# caf\xe9\nload_examples = True\n".encode("latin-1"),
              "c.py": "LOAD_EXAMPLES = True\n"},
             "load_examples", True, ("error",), (2,), ("app.cfg",)),
    FlagCase("toml-broken", "a TOML file that mentions the name but cannot be parsed is error",
             {"settings.toml": "[default]\nfeature_x = [\n", "c.py": "FEATURE_X = False\n"},
             "FEATURE_X", False, ("error",), (2,), ("settings.toml",)),
    FlagCase("compose-nested-expansion", "${X:-${Y}} depends on the environment",
             {"docker-compose.yml": "services:\n  api:\n    environment:\n      - X=${X:-${Y}}\n"},
             "X", "", ("error",), (2,), ("computed default",)),
    FlagCase("yaml-alias-bomb", "an alias bomb in a values file must not hang the gate",
             {"values.yaml": BOMB}, "FEATURE_X", False, ("error", "pass"), (0, 2)),
    FlagCase("secret-in-dotenv", "a credential's default never reaches the output",
             {".env": "STRIPE_API_KEY=sk_live_flag_fault_do_not_print\n"},
             "STRIPE_API_KEY", "", ("fail",), (1,), ("***",), ("sk_live_flag_fault_do_not_print",)),
    FlagCase("conditional-override", "a first literal must not pass when an if-branch taken by default changes it",
             {"settings.py": "import os\nDEBUG = False\nif not os.environ.get('PRODUCTION'):\n    DEBUG = True\n"},
             "DEBUG", False, ("fail",), (1,), ("settings.py:4",)),
    FlagCase("flag-dict-updated-later", "DEFAULT_FEATURE_FLAGS.update({...}) later in the module overrides the key",
             {"config.py": "FLAGS = {'ALERT_REPORTS': False}\nFLAGS.update({'ALERT_REPORTS': True})\n"},
             "ALERT_REPORTS", False, ("fail",), (1,), ("config.py:2",)),
    FlagCase("imported-helper-cycle", "helpers re-exported in a cycle between modules must end, as computed",
             {"app/__init__.py": "", "app/a.py": "from app.b import env_flag\n",
              "app/b.py": "from app.a import env_flag\n",
              "app/settings.py": "from app.a import env_flag\nX = env_flag('X_FLAG', False)\n"},
             "X_FLAG", False, ("error",), (2,), ("computed default",)),
    FlagCase("environ-set-before-read", "false pass: os.environ['X'] set, then read with a 'false' default",
             {"app/config.py": 'import os\nos.environ["FEAT"] = "true"\nFEAT = os.getenv("FEAT", "false") == "true"\n'},
             "FEAT", False, ("error",), (2,), ("app/config.py:2",)),
    FlagCase("globals-overlay", "false pass: FEAT = False, then globals().update(yaml) overlays the constants",
             {"settings.py": 'import yaml\nFEAT = False\nglobals().update(yaml.safe_load(open("o.yml")))\n'},
             "FEAT", False, ("error",), (2,), ("computed default: globals().update(",)),
    FlagCase("del-constant", "false pass: FEAT = False; del FEAT left the deleted literal as the default",
             {"settings.py": "FEAT = False\ndel FEAT\n"}, "FEAT", False, ("error",), (2,), ("settings.py:2",)),
    FlagCase("exec-local-settings", "false pass: FEAT = False, then exec(open('local_settings.py').read())",
             {"settings.py": 'FEAT = False\nexec(open("local_settings.py").read())\n'},
             "FEAT", False, ("error",), (2,), ("settings.py:2",)),
    FlagCase("dict-union-override", "false pass: FEATURE_FLAGS |= {'FEAT': True} was not read",
             {"flags.py": 'FEATURE_FLAGS = {"FEAT": False}\nFEATURE_FLAGS |= {"FEAT": True}\n'},
             "FEAT", False, ("fail",), (1,), ("flags.py:2",)),
    FlagCase("flask-config-update", "false pass: config.py FEAT = False, the factory's app.config.update(FEAT=True)",
             {"config.py": "FEAT = False\n", "app.py": "def create_app(app):\n    app.config.update(FEAT=True)\n"},
             "FEAT", False, ("error",), (2,), ("app.py",)),
    FlagCase("near-name-only", "a name that differs only in case is not the setting: error with a hint",
             {"settings.py": "debug = False\n"}, "DEBUG", False, ("error",), (2,), ("did you mean debug",)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_flag_fault(case: FlagCase, tmp_path: Path):
    root = tmp_path / "monolith"
    for rel, content in case.files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    before = {rel: (root / rel).read_bytes() for rel in case.files}
    plan = tmp_path / "phases.yaml"
    plan.write_text(textwrap.dedent(f"""\
        version: 1
        name: flag faults
        root: {root}
        phases:
          - id: p
            title: P
            weeks: 0-1
            owners: [t]
            criteria:
              - id: flag
                kind: flag
                title: {case.name}
                name: {json.dumps(case.setting)}
                expect: {json.dumps(case.expect)}
        """), encoding="utf-8")
    outcome = run_prepctl("-c", plan, "gate", "p", "--format", "json", cwd=tmp_path, limit=LIMIT)
    written = tuple(p for p in tmp_path.iterdir() if p != root)  # the monolith holds the secret itself
    check(outcome, Expect(codes=case.codes, criterion="flag", statuses=case.statuses,
                          mentions=case.mentions, secrets=case.secrets, scan=written,
                          preserved={root / rel: data for rel, data in before.items()}))
