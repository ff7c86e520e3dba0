"""Platform-wide analytics endpoints (to move to services/analytics_api)."""
from __future__ import annotations

from fastapi import APIRouter, Query

from .queries import bookings_per_day, platform_summary

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])


@router.get("")
def analytics_summary() -> dict:
    return platform_summary()


@router.get("/bookings")
def analytics_bookings(days: int = Query(30, ge=1, le=365)) -> list[dict]:
    return bookings_per_day(days=days)
