"""Shared SQLAlchemy ORM layer (to be split per domain in phase 2)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    reviews: Mapped[list[Review]] = relationship(back_populates="author")


class Host(Base):
    __tablename__ = "hosts"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    payout_account: Mapped[str | None] = mapped_column(String(64))
    kitchens: Mapped[list[Kitchen]] = relationship(back_populates="host")


class Kitchen(Base):
    __tablename__ = "kitchens"
    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id"))
    name: Mapped[str] = mapped_column(String(120))
    city: Mapped[str] = mapped_column(String(80), index=True)
    hourly_rate: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    host: Mapped[Host] = relationship(back_populates="kitchens")
    bookings: Mapped[list[Booking]] = relationship(back_populates="kitchen")
    checks: Mapped[list[ComplianceCheck]] = relationship(back_populates="kitchen")


class Booking(Base):
    __tablename__ = "bookings"
    id: Mapped[int] = mapped_column(primary_key=True)
    kitchen_id: Mapped[int] = mapped_column(ForeignKey("kitchens.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="pending")
    kitchen: Mapped[Kitchen] = relationship(back_populates="bookings")
    payments: Mapped[list[Payment]] = relationship(back_populates="booking")


class Review(Base):
    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), unique=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rating: Mapped[int]
    body: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[User] = relationship(back_populates="reviews")


class Payment(Base):
    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"))
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    booking: Mapped[Booking] = relationship(back_populates="payments")


class ComplianceCheck(Base):
    __tablename__ = "compliance_checks"
    id: Mapped[int] = mapped_column(primary_key=True)
    kitchen_id: Mapped[int] = mapped_column(ForeignKey("kitchens.id"))
    engine: Mapped[str] = mapped_column(String(64))
    passed: Mapped[bool]
    checked_at: Mapped[datetime] = mapped_column(server_default=func.now())
    kitchen: Mapped[Kitchen] = relationship(back_populates="checks")
