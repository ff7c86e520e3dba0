"""Runtime configuration for the Prep monolith.

Values come from the environment (or a local ``.env`` file in development).
"""
from __future__ import annotations

import os
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REGION = os.getenv("PREP_REGION", "us-east-1")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = "postgresql://prep:prep@localhost:5432/prep"
    analytics_database_url: str = "postgresql://prep:prep@localhost:5433/prep_analytics"
    redis_url: str = "redis://localhost:6379/0"
    stripe_api_key: str = Field(default="", alias="STRIPE_API_KEY")
    booking_hold_minutes: int = 15
    compliance_strict_mode: bool = True
    analytics_endpoints_enabled: bool = Field(default=False, alias="ANALYTICS_ENDPOINTS_ENABLED")


@lru_cache
def get_settings() -> Settings:
    return Settings()
