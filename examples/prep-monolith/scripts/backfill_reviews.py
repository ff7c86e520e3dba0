"""One-off: trim whitespace and clamp ratings on legacy reviews.

Usage: DATABASE_URL=postgresql://... python scripts/backfill_reviews.py [--dry-run]
"""
from __future__ import annotations

import os
import sys

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from prep.models.orm import Review


def main(dry_run: bool) -> int:
    engine = create_engine(os.environ["DATABASE_URL"])
    changed = 0
    with Session(engine) as session:
        for review in session.scalars(select(Review).execution_options(yield_per=500)):
            body, rating = review.body.strip(), min(max(review.rating, 1), 5)
            if (body, rating) != (review.body, review.rating):
                review.body, review.rating = body, rating
                changed += 1
        if not dry_run:
            session.commit()
    print(f"{changed} reviews {'would be ' if dry_run else ''}updated")
    return 0


if __name__ == "__main__":
    sys.exit(main("--dry-run" in sys.argv))
