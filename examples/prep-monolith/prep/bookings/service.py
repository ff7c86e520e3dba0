"""Booking workflows."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from prep.compliance.dol_reg_compliance_engine.engine import DolRegComplianceEngine
from prep.models.orm import Booking, Kitchen


class BookingNotAvailable(ValueError):
    """Raised when a slot cannot be booked."""


class BookingService:
    def __init__(self, session: Session) -> None:
        self.session = session
        # FIXME: engines should be reached through the compliance facade (phase 3).
        self.dol = DolRegComplianceEngine.from_default_config()

    def list_for_user(self, user_id: int) -> list[Booking]:
        stmt = (
            select(Booking)
            .where(Booking.user_id == user_id)
            .order_by(Booking.starts_at.desc())
        )
        return list(self.session.scalars(stmt))

    def get(self, booking_id: int) -> Booking | None:
        return self.session.get(Booking, booking_id)

    def create(self, user_id: int, kitchen_id: int, starts_at: datetime, ends_at: datetime) -> Booking:
        kitchen = self.session.get(Kitchen, kitchen_id)
        if kitchen is None:
            raise BookingNotAvailable(f"kitchen {kitchen_id} does not exist")
        overlap = select(Booking.id).where(
            Booking.kitchen_id == kitchen_id,
            Booking.status != "cancelled",
            Booking.starts_at < ends_at,
            Booking.ends_at > starts_at,
        )
        if self.session.scalar(overlap) is not None:
            raise BookingNotAvailable("slot already booked")
        hours = (ends_at - starts_at).total_seconds() / 3600
        result = self.dol.evaluate({"kitchen_id": kitchen.id, "shift_hours": hours})
        if not result.passed:
            raise BookingNotAvailable("; ".join(result.violations))
        booking = Booking(user_id=user_id, kitchen_id=kitchen_id, starts_at=starts_at, ends_at=ends_at)
        self.session.add(booking)
        self.session.flush()
        return booking

    def mark_paid(self, booking: Booking) -> None:
        booking.status = "confirmed"
        self.session.flush()

    def cancel(self, booking: Booking) -> None:
        booking.status = "cancelled"
        self.session.flush()
