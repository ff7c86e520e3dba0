"""Nightly job: push booking counts per day to the metrics store."""
from __future__ import annotations

import logging
import os

import redis

from prep.analytics.queries import bookings_per_day

log = logging.getLogger(__name__)
ROLLUP_KEY = "analytics:bookings_per_day"


def run(days: int = 90) -> int:
    client = redis.Redis.from_url(os.getenv("REDIS_URL", "redis://localhost:6379/0"))
    rows = bookings_per_day(days=days)
    with client.pipeline() as pipe:
        pipe.delete(ROLLUP_KEY)
        for row in rows:
            pipe.hset(ROLLUP_KEY, row["day"], row["bookings"])
        pipe.execute()
    log.info("rolled up %d days of bookings", len(rows))
    return len(rows)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    run()
