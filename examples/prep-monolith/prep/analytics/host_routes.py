"""Per-host analytics shown on the host dashboard."""
from __future__ import annotations

from fastapi import APIRouter, Query

from .queries import host_reviews, host_summary

router = APIRouter(prefix="/analytics/host", tags=["analytics"])


@router.get("/{host_id}/summary")
def get_host_summary(host_id: int) -> dict:
    return host_summary(host_id)


@router.get("/{host_id}/reviews")
def get_host_reviews(host_id: int, limit: int = Query(20, ge=1, le=100)) -> list[dict]:
    return host_reviews(host_id, limit=limit)
