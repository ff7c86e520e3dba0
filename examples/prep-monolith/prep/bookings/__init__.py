"""Booking domain: availability holds, confirmation and compliance gating."""
