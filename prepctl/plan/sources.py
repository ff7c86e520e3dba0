"""The `sources:` section of phases.yaml: where live evidence comes from.

    sources:
      http: {timeout: 10, retries: 3, budget: 60}
      prometheus:
        url: ${PREPCTL_PROMETHEUS_URL:-file:monitoring/prometheus-snapshot.om}
        token_env: PROMETHEUS_TOKEN
      alertmanager:
        url: ${PREPCTL_ALERTMANAGER_URL:-http://127.0.0.1:19093}
      github: {repo: acme/prep, labels: [P0, P1], token_env: GITHUB_TOKEN}
      jira: {url: https://acme.atlassian.net, user_env: JIRA_USER, token_env: JIRA_TOKEN}

String values may use ``${VAR}``, ``${VAR:-default}`` (default when unset or empty) and
``${VAR-default}`` (default when unset), so one phases.yaml points at the offline snapshot on a
laptop and at the real Prometheus in CI. Tokens are never written here: phases.yaml names the
environment variable that holds each one (``token_env``).
"""

from __future__ import annotations

import os
import re
import urllib.parse
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def expand_env(text: str) -> str:
    """Expand ``${VAR}``, ``${VAR:-default}`` and ``${VAR-default}`` from the environment.

    An unset variable without a default is an error rather than an empty string: an empty URL
    would only fail later, far from the line that caused it.
    """

    def replace(match: re.Match[str]) -> str:
        name, op, default = match.group(1), match.group(2), match.group(3)
        value = os.environ.get(name)
        if op == ":-" and not value:
            return default
        if op == "-" and value is None:
            return default
        if value is None:
            raise ValueError(f"environment variable {name} is not set (set it, or write "
                             f"${{{name}:-default}})")
        return value

    return _VAR.sub(replace, text)


def _check_env_name(value: str | None) -> str | None:
    if value is not None and not _ENV_NAME.match(value):
        raise ValueError(f"{value!r} is not an environment variable name; name the variable that "
                         "holds the token (e.g. GITHUB_TOKEN), never the token itself")
    return value


def http_url(value: str) -> str:
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    try:
        parts = urllib.parse.urlsplit(value)
        parts.port  # noqa: B018 - reading it checks it (a port of 99999 raises here, not mid-gate)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a usable URL: {exc}") from None
    if parts.query or parts.fragment or "#" in value or any(c.isspace() or ord(c) < 32 for c in value):
        # API paths are appended to the base URL: after a ? or # they would land in the query or
        # fragment, and every request would go to the server's / instead (a ${VAR} can bring these).
        raise ValueError(f"{value!r} is not a usable base URL: it may hold no ?query, #fragment, "
                         "space or control character")
    return value.rstrip("/")


def _metrics_url(value: str) -> str:
    if value.startswith("file:"):
        if not value[5:].strip():
            raise ValueError("'file:' needs a path, e.g. file:monitoring/prometheus-snapshot.om")
        return value
    return http_url(value)


EnvName = Annotated[str, AfterValidator(_check_env_name)]


class _SourceModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _expand(cls, value: object) -> object:
        if isinstance(value, str):
            return expand_env(value)
        if isinstance(value, list):
            return [expand_env(v) if isinstance(v, str) else v for v in value]
        return value


class HttpSettings(_SourceModel):
    """How live sources talk HTTP. One client with these settings serves a whole gate run."""

    timeout: float = Field(10.0, gt=0, le=600, description="Seconds allowed for one request.")
    retries: int = Field(3, ge=0, le=10, description="Retries on connect errors, 5xx and 429.")
    backoff: float = Field(0.5, ge=0, le=60, description="First retry delay in seconds; doubles each time.")
    budget: float = Field(60.0, gt=0, le=3600,
                          description="Total seconds all live sources may take in one gate run.")


class PrometheusSource(_SourceModel):
    url: Annotated[str, AfterValidator(_metrics_url)] = Field(
        description="Prometheus base URL, or file:PATH (relative to root:) of an offline snapshot: "
        "OpenMetrics text or saved query-API JSON.")
    token_env: EnvName | None = Field(None, description="Env var holding a bearer token.")


class AlertmanagerSource(_SourceModel):
    url: Annotated[str, AfterValidator(http_url)] = Field(description="Alertmanager base URL.")
    token_env: EnvName | None = Field(None, description="Env var holding a bearer token.")


class GitHubSource(_SourceModel):
    api_url: Annotated[str, AfterValidator(http_url)] = Field(
        "https://api.github.com", description="REST API base (GitHub Enterprise: https://HOST/api/v3).")
    repo: str | None = Field(None, pattern=r"^[\w.-]+/[\w.-]+$", description="owner/name.")
    token_env: EnvName | None = Field("GITHUB_TOKEN", description="Env var holding the token.")


class JiraSource(_SourceModel):
    url: Annotated[str, AfterValidator(http_url)] = Field(description="Jira base URL.")
    user_env: EnvName | None = Field(None, description="Env var holding the user (basic auth with "
                                     "an API token); without it the token is sent as a bearer PAT.")
    token_env: EnvName | None = Field(None, description="Env var holding the API token or PAT.")


class SourcesConfig(_SourceModel):
    http: HttpSettings = Field(default_factory=HttpSettings)
    prometheus: PrometheusSource | None = None
    alertmanager: AlertmanagerSource | None = None
    github: GitHubSource | None = None
    jira: JiraSource | None = None
