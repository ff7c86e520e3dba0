"""Hand-written in the shape FastAPI monoliths use: a plain pydantic BaseModel (not BaseSettings)
whose fields carry an alias, filled from the environment by a small custom loader."""

import os

from pydantic import BaseModel, Field


class FeatureFlags(BaseModel):
    analytics_enabled: bool = Field(default=False, alias="ANALYTICS_ENABLED")
    new_checkout: bool = Field(True, validation_alias="NEW_CHECKOUT")
    beta_banner: bool = False


class AppConfig(BaseModel):
    flags: FeatureFlags = Field(default_factory=FeatureFlags)
    region: str = Field(default="eu-west-1", alias="APP_REGION")


def load_config() -> AppConfig:
    """Build the configuration from the process environment."""
    env = {key: value for key, value in os.environ.items() if key.isupper()}
    return AppConfig.model_validate({"flags": FeatureFlags.model_validate(env), **env})
