"""Kitchen search and listing management."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from prep.models import orm


class KitchenService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, kitchen_id: int) -> orm.Kitchen | None:
        return self.session.get(orm.Kitchen, kitchen_id)

    def search(self, city: str, max_rate: Decimal | None = None) -> list[orm.Kitchen]:
        stmt = select(orm.Kitchen).where(orm.Kitchen.city == city)
        if max_rate is not None:
            stmt = stmt.where(orm.Kitchen.hourly_rate <= max_rate)
        return list(self.session.scalars(stmt.order_by(orm.Kitchen.hourly_rate)))

    def for_host(self, host_id: int) -> list[orm.Kitchen]:
        stmt = select(orm.Kitchen).where(orm.Kitchen.host_id == host_id)
        return list(self.session.scalars(stmt))

    def all(self) -> list[orm.Kitchen]:
        return list(self.session.scalars(select(orm.Kitchen).order_by(orm.Kitchen.id)))
