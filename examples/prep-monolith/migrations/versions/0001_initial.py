"""initial schema

Revision ID: 0001
Revises:
Create Date: 2024-01-15 09:12:44.118203
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _fk(name: str, target: str, **kw) -> sa.Column:
    return sa.Column(name, sa.Integer(), sa.ForeignKey(target), nullable=False, **kw)


def upgrade() -> None:
    op.create_table("users", _id(), sa.Column("email", sa.String(255), nullable=False, unique=True),
                    sa.Column("full_name", sa.String(120), nullable=False))
    op.create_table("hosts", _id(), _fk("user_id", "users.id"), sa.Column("payout_account", sa.String(64)))
    op.create_table("kitchens", _id(), _fk("host_id", "hosts.id"),
                    sa.Column("name", sa.String(120), nullable=False),
                    sa.Column("city", sa.String(80), nullable=False, index=True),
                    sa.Column("hourly_rate", sa.Numeric(10, 2), nullable=False))
    op.create_table("bookings", _id(), _fk("kitchen_id", "kitchens.id", index=True),
                    _fk("user_id", "users.id", index=True),
                    sa.Column("starts_at", sa.DateTime(), nullable=False),
                    sa.Column("ends_at", sa.DateTime(), nullable=False),
                    sa.Column("status", sa.String(20), nullable=False, server_default="pending"))
    op.create_table("reviews", _id(), _fk("booking_id", "bookings.id", unique=True), _fk("author_id", "users.id"),
                    sa.Column("rating", sa.Integer(), nullable=False),
                    sa.Column("body", sa.Text(), nullable=False, server_default=""))
    op.create_table("payments", _id(), _fk("booking_id", "bookings.id"),
                    sa.Column("amount", sa.Numeric(10, 2), nullable=False),
                    sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
                    sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
                    sa.Column("created_at", sa.DateTime(), server_default=sa.func.now()))
    op.create_table("compliance_checks", _id(), _fk("kitchen_id", "kitchens.id"),
                    sa.Column("engine", sa.String(64), nullable=False),
                    sa.Column("passed", sa.Boolean(), nullable=False),
                    sa.Column("checked_at", sa.DateTime(), server_default=sa.func.now()))


def downgrade() -> None:
    for table in ("compliance_checks", "payments", "reviews", "bookings", "kitchens", "hosts", "users"):
        op.drop_table(table)
