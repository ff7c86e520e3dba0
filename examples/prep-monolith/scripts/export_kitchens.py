"""Export all kitchen listings to CSV for the partnerships team."""
from __future__ import annotations

import csv
import os
import sys

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from prep.kitchens.service import KitchenService

FIELDS = ["id", "host_id", "name", "city", "hourly_rate"]


def main(path: str) -> None:
    engine = create_engine(os.environ["DATABASE_URL"])
    with Session(engine) as session, open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        for kitchen in KitchenService(session).all():
            writer.writerow({name: getattr(kitchen, name) for name in FIELDS})


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "kitchens.csv")
