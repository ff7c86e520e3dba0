"""Hourly job: reconcile Stripe payment intents with local bookings."""
from __future__ import annotations

import logging

import stripe

from prep.payments.service import PaymentService

log = logging.getLogger(__name__)


def reconcile(service: PaymentService, since_ts: int) -> list[str]:
    """Return payment intent ids that succeeded but were never recorded."""
    missing: list[str] = []
    intents = stripe.PaymentIntent.list(api_key=service.api_key, created={"gte": since_ts}, limit=100)
    for intent in intents.auto_paging_iter():
        booking_id = int(intent.metadata.get("booking_id", 0))
        booking = service.bookings.get(booking_id)
        if intent.status == "succeeded" and (booking is None or booking.status != "confirmed"):
            missing.append(intent.id)
    log.info("reconciliation found %d unmatched intents", len(missing))
    return missing
