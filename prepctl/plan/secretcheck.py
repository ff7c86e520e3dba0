"""Secrets in a plan: credentials written into URLs are refused, and every token the plan names
is loaded at plan load, so ``redact`` knows it before any gate runs, in every command and format.

A plan names credentials only indirectly (``token_env``, ``user_env``: environment variables).
A token a gate never reads may still be echoed (a ``command`` criterion printing it, an error
quoting a value), so all of them are read here, not when a source first uses one.
"""

from __future__ import annotations

import os
from typing import Any

from prepctl.errors import Problem
from prepctl.plan.errormap import dotted, position_of
from prepctl.secrets import MIN_TOKEN_LENGTH, remember, secret_env_refs, url_credentials

Positions = dict[tuple[Any, ...], tuple[int, int]]

_URL_HINT = ("a secret in phases.yaml reaches every report and history: put it in an environment "
             "variable and name that variable in the source's token_env (the user in user_env)")


def _strings(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    found: list[tuple[tuple[Any, ...], str]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [(path, data)]
    while stack:  # iterative: the data may be as deep as the loader allows
        where, value = stack.pop()
        if isinstance(value, str):
            found.append((where, value))
        elif isinstance(value, dict):
            stack.extend(((*where, k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend(((*where, i), v) for i, v in enumerate(value))
    return found


def url_credential_problems(raw: Any, positions: Positions, file: str) -> list[Problem]:
    """Every string holding a URL with userinfo; its password (or bare user) becomes known to
    ``redact`` first, so no later message can show it either."""
    problems = []
    for path, text in _strings(raw):
        for found in url_credentials(text):
            remember(found.password if found.password is not None else found.user)
            line, column = position_of(path, positions)
            problems.append(Problem(file=file, line=line, column=column,
                                    message=f"{dotted(path)}: the URL {found.masked} carries credentials",
                                    hint=_URL_HINT))
    return problems


def prime_tokens(data: Any, positions: Positions, file: str) -> list[Problem]:
    """Load every ``token_env``/``user_env`` value so ``redact`` knows it; a token too short to
    redact safely is a problem at its key (see ``prepctl.secrets``)."""
    problems = []
    for path, name in secret_env_refs(data):
        value = os.environ.get(name)
        if not value:
            continue
        remember(value)
        if path[-1] == "token_env" and len(value) < MIN_TOKEN_LENGTH:
            line, column = position_of(path, positions)
            problems.append(Problem(
                file=file, line=line, column=column,
                message=f"{dotted(path)}: ${name} holds a {len(value)}-character token; tokens "
                f"shorter than {MIN_TOKEN_LENGTH} characters are refused",
                hint="prepctl could not hide so short a token in output without mangling the text "
                "around it; use the real token"))
    return problems
