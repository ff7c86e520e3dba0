"""Payments: charging guests for confirmed bookings."""
