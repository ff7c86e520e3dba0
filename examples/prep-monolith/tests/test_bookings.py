"""Booking service tests (run against in-memory SQLite)."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from prep.bookings.service import BookingNotAvailable, BookingService
from prep.models.orm import Base, Booking, Host, Kitchen, User


@pytest.fixture()
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        user = User(email="cook@example.com", full_name="Sam Cook")
        s.add(user)
        s.flush()
        host = Host(user_id=user.id)
        s.add(host)
        s.flush()
        s.add(Kitchen(id=1, host_id=host.id, name="Mission Commissary", city="SF", hourly_rate=Decimal("45.00")))
        s.flush()
        yield s


def test_create_booking(session):
    start = datetime(2024, 5, 1, 8)
    booking = BookingService(session).create(1, 1, start, start + timedelta(hours=4))
    assert isinstance(booking, Booking)
    assert booking.status == "pending"


def test_double_booking_rejected(session):
    service = BookingService(session)
    start = datetime(2024, 5, 1, 8)
    service.create(1, 1, start, start + timedelta(hours=4))
    with pytest.raises(BookingNotAvailable):
        service.create(1, 1, start + timedelta(hours=1), start + timedelta(hours=2))
