"""Read-side queries backing the analytics routers.

ORM models are imported inside each function so that importing this module
(e.g. from the nightly job runner) does not configure the mappers eagerly.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from prep.settings import Settings

_engine = create_engine(Settings().analytics_database_url, pool_pre_ping=True)


def _session() -> Session:
    return Session(_engine)


def bookings_per_day(days: int = 30) -> list[dict]:
    from prep.models.orm import Booking

    since = date.today() - timedelta(days=days)
    day = func.date_trunc("day", Booking.starts_at).label("day")
    stmt = select(day, func.count(Booking.id)).where(Booking.starts_at >= since).group_by(day).order_by(day)
    with _session() as session:
        return [{"day": d.date().isoformat(), "bookings": n} for d, n in session.execute(stmt)]


def platform_summary() -> dict:
    from prep.models.orm import Booking, Kitchen

    with _session() as session:
        return {
            "kitchens": session.scalar(select(func.count(Kitchen.id))),
            "bookings": session.scalar(select(func.count(Booking.id))),
            "confirmed": session.scalar(select(func.count(Booking.id)).where(Booking.status == "confirmed")),
        }


def host_summary(host_id: int) -> dict:
    from prep.models.orm import Booking, Kitchen

    stmt = select(func.count(Booking.id), func.count(func.distinct(Kitchen.id))).join(Booking.kitchen)
    with _session() as session:
        bookings, kitchens = session.execute(stmt.where(Kitchen.host_id == host_id)).one()
    return {"host_id": host_id, "kitchens": kitchens, "bookings": bookings}


def host_reviews(host_id: int, limit: int = 20) -> list[dict]:
    from prep.models.orm import Booking, Kitchen, Review

    stmt = (
        select(Review.rating, Review.body)
        .join(Booking, Review.booking_id == Booking.id)
        .join(Kitchen, Booking.kitchen_id == Kitchen.id)
        .where(Kitchen.host_id == host_id)
        .order_by(Review.id.desc())
        .limit(limit)
    )
    with _session() as session:
        return [{"rating": r, "body": b} for r, b in session.execute(stmt)]
