"""HTTP endpoints for bookings."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import BaseModel

from .service import BookingService

router = APIRouter(prefix="/api/v1/bookings", tags=["bookings"])


class BookingIn(BaseModel):
    kitchen_id: int
    user_id: int
    starts_at: datetime
    ends_at: datetime


class BookingOut(BookingIn):
    id: int
    status: str

    model_config = {"from_attributes": True}


def _service(request: Request) -> BookingService:
    return BookingService(request.state.db)


@router.get("", response_model=list[BookingOut])
def list_bookings(request: Request, user_id: int = Query(...)) -> list[BookingOut]:
    return _service(request).list_for_user(user_id)


@router.post("", response_model=BookingOut, status_code=status.HTTP_201_CREATED)
def create_booking(request: Request, payload: BookingIn) -> BookingOut:
    try:
        return _service(request).create(**payload.model_dump())
    except ValueError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc


@router.get("/{booking_id}", response_model=BookingOut)
def get_booking(request: Request, booking_id: int) -> BookingOut:
    booking = _service(request).get(booking_id)
    if booking is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="booking not found")
    return booking
