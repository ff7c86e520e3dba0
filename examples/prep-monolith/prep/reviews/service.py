"""Review submission and moderation."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models.orm import Review, User

BANNED_WORDS = frozenset({"scam", "fraud"})


class ReviewService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def submit(self, booking_id: int, author: User, rating: int, body: str) -> Review:
        if not 1 <= rating <= 5:
            raise ValueError("rating must be between 1 and 5")
        if any(word in body.lower() for word in BANNED_WORDS):
            raise ValueError("review needs manual moderation")
        review = Review(booking_id=booking_id, author_id=author.id, rating=rating, body=body)
        self.session.add(review)
        self.session.flush()
        return review

    def by_author(self, author_id: int) -> list[Review]:
        stmt = select(Review).where(Review.author_id == author_id).order_by(Review.id.desc())
        return list(self.session.scalars(stmt))
