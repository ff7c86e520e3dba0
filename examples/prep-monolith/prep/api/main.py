"""Builds the monolith's FastAPI application."""
from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

import prep.analytics.routers
from prep.analytics.host_routes import router as host_router
from prep.bookings.api import router
from prep.settings import get_settings

if TYPE_CHECKING:
    from prep.payments.service import PaymentService

settings = get_settings()
engine = create_engine(settings.database_url, pool_size=10)
SessionLocal = sessionmaker(bind=engine, expire_on_commit=False)

app = FastAPI(title="Prep API", version="0.9.3")
app.include_router(router)

# Analytics stays dark until the extracted service meets its SLOs.
if settings.analytics_endpoints_enabled:
    app.include_router(prep.analytics.routers.router)
    app.include_router(host_router)


@app.middleware("http")
async def db_session(request: Request, call_next):
    with SessionLocal() as session:
        request.state.db = session
        response = await call_next(request)
        session.commit()
        return response


def get_payment_service(request: Request) -> PaymentService:
    return request.app.state.payment_service


@app.get("/healthz", include_in_schema=False)
def healthz() -> dict:
    return {"status": "ok"}
