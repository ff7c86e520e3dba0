"""``PREPCTL_CONFIG`` and ``PREPCTL_ROOT`` read by pydantic-settings, below the flags.

Imported only when one of the variables is set (``prepctl.plan.options``): pydantic-settings
brings asyncio and dotenv with it, a tenth of a second a command without them need not pay.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from prepctl.errors import ConfigError, Problem

ENV_PREFIX = "PREPCTL_"


class EnvSettings(BaseSettings):
    """``-c``/``--root`` as given, else ``PREPCTL_CONFIG``/``PREPCTL_ROOT``; None: not set."""

    # extra="ignore": PREPCTL_DEBUG and PREPCTL_CORPUS_CACHE share the prefix and are read elsewhere.
    # env_ignore_empty: `PREPCTL_CONFIG= prepctl ...` means "not set", not "the current folder".
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", env_ignore_empty=True)

    config: Path | None = None
    root: Path | None = None

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings],
                                   init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The flags (init) beat the environment; no .env file or secrets folder is read: a
        # config must come from where the user can see it.
        return (init_settings, env_settings)


def from_environment(config: Path | None, root: Path | None) -> tuple[Path | None, Path | None]:
    """The effective ``config`` and ``root``: flags first, then ``PREPCTL_*``."""
    given: dict[str, Any] = {key: value for key, value in (("config", config), ("root", root))
                             if value is not None}
    try:
        found = EnvSettings(**given)
    except ValidationError as exc:
        raise ConfigError([Problem(file=f"{ENV_PREFIX}{str(err['loc'][0]).upper()}" if err["loc"] else "",
                                   message=err["msg"], hint="set it to a path, or unset it")
                           for err in exc.errors()]) from None
    return found.config, found.root
