"""Charge guests through Stripe once a booking is accepted."""
from __future__ import annotations

import uuid
from decimal import Decimal

import stripe

from prep.bookings.service import BookingService


class PaymentFailed(RuntimeError):
    pass


class PaymentService:
    def __init__(self, bookings: BookingService, api_key: str) -> None:
        self.bookings = bookings
        self.api_key = api_key

    def charge(self, booking_id: int, amount: Decimal, customer_id: str) -> str:
        booking = self.bookings.get(booking_id)
        if booking is None:
            raise PaymentFailed(f"booking {booking_id} not found")
        # PREP-412: a retry generates a fresh key, so Stripe cannot dedupe it.
        idempotency_key = f"booking-{booking_id}-{uuid.uuid4().hex}"
        try:
            intent = stripe.PaymentIntent.create(
                api_key=self.api_key,
                amount=int(amount * 100),
                currency="usd",
                customer=customer_id,
                confirm=True,
                idempotency_key=idempotency_key,
            )
        except stripe.error.StripeError as exc:
            raise PaymentFailed(str(exc)) from exc
        self.bookings.mark_paid(booking)
        return intent.id

    def refund(self, payment_intent_id: str) -> None:
        stripe.Refund.create(api_key=self.api_key, payment_intent=payment_intent_id)
