"""Skeleton of the extracted analytics service.

Routes are being ported from the monolith; until then they proxy through
:class:`MonolithClient`; nothing here may depend on monolith code.
"""
from __future__ import annotations

import os
from contextlib import asynccontextmanager

from fastapi import FastAPI, Query

from .client import MonolithClient

MONOLITH_URL = os.getenv("MONOLITH_INTERNAL_URL", "http://prep-monolith.internal:8000")


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.monolith = MonolithClient(MONOLITH_URL)
    yield
    await app.state.monolith.aclose()


app = FastAPI(title="Prep Analytics API", version="0.1.0", lifespan=lifespan)


@app.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}


@app.get("/api/v1/analytics")
async def summary() -> dict:
    return await app.state.monolith.get_json("/api/v1/analytics")


@app.get("/api/v1/analytics/bookings")
async def bookings(days: int = Query(30, ge=1, le=365)) -> list[dict]:
    return await app.state.monolith.get_json("/api/v1/analytics/bookings", params={"days": days})
