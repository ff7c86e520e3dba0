"""Fault corpus, category secrets: tokens named by ``token_env`` never reach any output, and
secrets written into phases.yaml are refused without being echoed (issue 12 §6).

No server is needed: a ``command`` criterion that prints the token is the leak (``sh -c 'echo
$TOKEN'``). Each case runs one or more prepctl commands in a fresh project folder and the harness
checks stdout, stderr and every file under the folder for the token and its base64.
"""

from __future__ import annotations

import base64
import json
import textwrap
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.fault_harness import Expect, check, run_prepctl

TOKEN = "s3cr3t-leak-token-7Qz"
URL_PASSWORD = "url-pa55word-9Kx"
NO_HISTORY = {"PREPCTL_NO_HISTORY": "1"}

PLAN = """\
version: 1
name: leak plan
sources:
  prometheus: {url: "http://127.0.0.1:9", token_env: LEAK_TOKEN}
phases:
  - id: p
    title: P
    weeks: 0-1
    owners: [me]
    criteria:
      - id: echo
        kind: command
        title: prints the token
        run: ["sh", "-c", "echo token is $LEAK_TOKEN; echo \\"$LEAK_TOKEN\\" >&2; echo url=$LEAK_TOKEN@x; exit 1"]
"""

#: The slo condition parser quotes a value it cannot read; this value holds the token.
SLO_QUOTING_TOKEN = f"""\
      - id: s
        kind: slo
        title: s
        objectives: [{{name: l, query: q, pass: "< {TOKEN}"}}]
"""


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


#: A token whose URL-encoded, JSON-escaped and base64 forms all differ from its text.
ODD_TOKEN = 's3cr/t+tok=en"7Qz'
#: A command that prints the token only in encoded forms, the way a server or a tool echoes it.
ENCODED_ECHO = ("python3 -c 'import base64, json, os, urllib.parse as u; t = os.environ[\"LEAK_TOKEN\"]; "
                "b = t.encode(); print(base64.b64encode(b).decode(), base64.b64encode(b\"reader:\" + b).decode(), "
                "base64.urlsafe_b64encode(b\"x\" + b).decode(), u.quote(t, safe=\"\"), u.quote_plus(t), "
                "b.hex(), json.dumps(t))'; exit 1")


def encoded(token: str) -> tuple[str, ...]:
    """What ENCODED_ECHO prints of the token (the middle of a longer base64: its aligned part)."""
    raw = token.encode()
    return (b64(token), base64.b64encode(b"reader:" + raw).decode()[12:-4],
            base64.urlsafe_b64encode(b"x" + raw).decode()[2:-2], urllib.parse.quote(token, safe=""),
            urllib.parse.quote_plus(token), raw.hex(), json.dumps(token)[1:-1])


@dataclass(frozen=True)
class SecretCase:
    name: str
    #: The defect this case guards against.
    defect: str
    #: prepctl invocations, run in order in the project folder; each expects one of ``codes``.
    runs: tuple[tuple[str, ...], ...]
    codes: tuple[int, ...] = (1,)
    plan: str = PLAN
    env: dict[str, str] = field(default_factory=lambda: {"LEAK_TOKEN": TOKEN})
    secrets: tuple[str, ...] = (TOKEN, b64(TOKEN))
    #: Text the last run must print (e.g. the redaction marker, the file:line of a refusal).
    says: tuple[str, ...] = ()


def gate(fmt: str) -> tuple[str, ...]:
    return ("gate", "p", "--format", fmt, "--out", f"gate.{fmt}")


CASES = [
    *[SecretCase(f"command-echo-gate-{fmt}-no-history",
                 "a command criterion printing a token_env value leaked in gate output with "
                 "PREPCTL_NO_HISTORY=1 (redaction was primed only inside history recording)",
                 (gate(fmt),), env={"LEAK_TOKEN": TOKEN, **NO_HISTORY},
                 # table and github show no output tail: nothing to redact, nothing to see.
                 says=("***",) if fmt in ("json", "markdown", "junit") else ())
      for fmt in ("table", "json", "markdown", "junit", "github")],
    SecretCase("command-echo-render-rfc-no-history", "the same leak in `render rfc`",
               (("render", "rfc", "p", "--out", "rfc.md"),), codes=(0,),
               env={"LEAK_TOKEN": TOKEN, **NO_HISTORY}),
    SecretCase("command-echo-render-rfc-html", "and in its HTML form",
               (("render", "rfc", "p", "--format", "html", "--out", "rfc.html"),), codes=(0,),
               env={"LEAK_TOKEN": TOKEN, **NO_HISTORY}),
    SecretCase("command-echo-report-no-history", "the same leak in `report` (the dashboard)",
               (("report", "--out", "dashboard"),), codes=(0,), env={"LEAK_TOKEN": TOKEN, **NO_HISTORY}),
    SecretCase("command-echo-history-export", "recorded runs, exported, then rendered as documents",
               (gate("json"), ("history", "export", "--out", "export.jsonl"),
                ("history", "--format", "json"), ("render", "postmortem", "p", "--out", "pm.md"),
                ("report", "--out", "dashboard")), codes=(0, 1)),
    SecretCase("command-echo-status", "`status` evaluates the criteria too",
               (("status", "--format", "json"),), codes=(0, 1, 2), env={"LEAK_TOKEN": TOKEN, **NO_HISTORY}),
    SecretCase("token-quoted-in-title", "the token pasted into a title of phases.yaml",
               (gate("markdown"), ("render", "rfc", "p", "--out", "rfc.md")), codes=(0, 1),
               plan=PLAN.replace("title: prints the token", f"title: uses {TOKEN}"),
               env={"LEAK_TOKEN": TOKEN, **NO_HISTORY}),
    SecretCase("validation-error-quotes-the-token",
               "a validation message that quotes an invalid value holding the token",
               (("validate",),), codes=(2,),
               plan=PLAN + SLO_QUOTING_TOKEN, says=("***",)),
    SecretCase("url-password-in-prometheus-url", "credentials in a URL reached every output as a "
               "Basic header; validation errors echoed the password",
               (("validate",), gate("json")), codes=(2,),
               plan=PLAN.replace('"http://127.0.0.1:9"', f'"http://reader:{URL_PASSWORD}@127.0.0.1:9"'),
               secrets=(URL_PASSWORD, b64(f"reader:{URL_PASSWORD}"), TOKEN),
               says=(":4:", "carries credentials", "token_env", "http://reader:***@127.0.0.1:9")),
    SecretCase("url-token-as-user-in-command", "a token as the user of an https URL in a command",
               (("validate",),), codes=(2,),
               plan=PLAN.replace("exit 1", f"curl https://{URL_PASSWORD}@example.com/"),
               secrets=(URL_PASSWORD, TOKEN), says=(":14:", "https://***@example.com/")),
    SecretCase("one-character-token", "tokens under 4 characters were never redacted: a 1-character "
               "token is refused (it cannot be hidden without replacing every such letter)",
               (("validate",), gate("json")), codes=(2,), env={"LEAK_TOKEN": "Q"}, secrets=(),
               says=(":4:", "1-character token", "shorter than 8")),
    SecretCase("seven-character-token", "the limit is 8: a 7-character token is refused",
               (("validate",),), codes=(2,), env={"LEAK_TOKEN": "abc1234"}, secrets=("abc1234",),
               says=("7-character token",)),
    SecretCase("eight-character-token", "an 8-character token is accepted and redacted everywhere",
               (gate("table"), gate("junit")), env={"LEAK_TOKEN": "k8chars!", **NO_HISTORY},
               secrets=("k8chars!", b64("k8chars!")), says=("***",)),
    *[SecretCase(f"encoded-echo-{what}", "a token echoed base64-, URL-, hex- or JSON-encoded (a server's "
                 "error body, a Basic header, a redirect URL) was not redacted: only its literal text was",
                 (gate(fmt),), plan=PLAN.replace('"echo token is $LEAK_TOKEN; echo \\"$LEAK_TOKEN\\" >&2; '
                                                 'echo url=$LEAK_TOKEN@x; exit 1"', json.dumps(ENCODED_ECHO)),
                 env={"LEAK_TOKEN": ODD_TOKEN, **NO_HISTORY}, secrets=(ODD_TOKEN, *encoded(ODD_TOKEN)),
                 says=("***",)) for what, fmt in (("json", "json"), ("markdown", "markdown"))],
    SecretCase("encoded-echo-history-roundtrip", "encoded forms recorded, exported, imported elsewhere and "
               "listed", (gate("json"), ("history", "export", "--out", "export.jsonl"),
                          ("history", "import", "export.jsonl"), ("history", "--format", "json"),
                          ("render", "postmortem", "p", "--out", "pm.md")), codes=(0, 1),
               plan=PLAN.replace('"echo token is $LEAK_TOKEN; echo \\"$LEAK_TOKEN\\" >&2; '
                                 'echo url=$LEAK_TOKEN@x; exit 1"', json.dumps(ENCODED_ECHO)),
               env={"LEAK_TOKEN": ODD_TOKEN}, secrets=(ODD_TOKEN, *encoded(ODD_TOKEN))),
    SecretCase("short-user-name-as-a-word", "a short user_env value (a user name) is hidden where it "
               "stands alone, not inside other words", (gate("json"),),
               plan=PLAN.replace("echo token is $LEAK_TOKEN;", "echo user $JIRA_USER here;"),
               env={"LEAK_TOKEN": TOKEN, "JIRA_USER": "qzb", **NO_HISTORY}, secrets=(TOKEN,),
               says=("user *** here",)),
]


def _project(folder: Path, case: SecretCase) -> Path:
    plan = case.plan
    if "JIRA_USER" in case.env:
        plan = plan.replace("sources:\n", "sources:\n  jira: {url: https://jira.example, user_env: "
                            "JIRA_USER, token_env: LEAK_TOKEN}\n")
    (folder / "phases.yaml").write_text(textwrap.dedent(plan), encoding="utf-8")
    return folder


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_secret_case(case: SecretCase, tmp_path: Path) -> None:
    project = _project(tmp_path, case)
    for index, args in enumerate(case.runs):
        last = index == len(case.runs) - 1
        outcome = run_prepctl("-c", project / "phases.yaml", *args, cwd=project, env=case.env, limit=60)
        # Everything prepctl wrote (outputs, documents, .prepctl/ history); not the plan itself,
        # which holds the secret in the cases that test refusing one.
        written = [path for path in project.iterdir() if path.name != "phases.yaml"]
        check(outcome, Expect(codes=case.codes, secrets=case.secrets, scan=written,
                              mentions=case.says if last else ()))
