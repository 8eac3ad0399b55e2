"""The four tenant datasets, keyed by the tenant's own identifiers (DESIGN §3).

`upload_id` records the upload that last wrote a row, so a commit can check just that upload's
references. Indexes lead with (tenant, customer, time) for point-in-time lookups.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Unicode, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.models.base import Base
from shared.db.types import Money, UtcDateTime

ID = Unicode(64)  # NVARCHAR on SQL Server: tenants' identifiers and names may hold any character


class _TenantRow:
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ID, primary_key=True)
    upload_id: Mapped[uuid.UUID] = mapped_column(Uuid)


class Customer(_TenantRow, Base):
    __tablename__ = "customers"

    document_hmac: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(Unicode(200))
    segment: Mapped[str | None] = mapped_column(Unicode(64))
    state: Mapped[str | None] = mapped_column(String(2))
    customer_since: Mapped[date | None] = mapped_column(Date)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class CreditLimit(_TenantRow, Base):
    __tablename__ = "credit_limits"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "customer_id", "valid_from"),)

    valid_from: Mapped[date] = mapped_column(Date, primary_key=True)
    valid_until: Mapped[date | None] = mapped_column(Date)
    limit: Mapped[Decimal] = mapped_column(Money)


class SerasaQuery(_TenantRow, Base):
    __tablename__ = "serasa_queries"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "customer_id", "queried_at"),)

    queried_at: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    score: Mapped[int | None] = mapped_column(Integer)
    negative_records: Mapped[int] = mapped_column(Integer)
    negative_amount: Mapped[Decimal] = mapped_column(Money)
    protests: Mapped[int] = mapped_column(Integer)
    protests_amount: Mapped[Decimal] = mapped_column(Money)
    bounced_checks: Mapped[int] = mapped_column(Integer)
    lawsuits: Mapped[int] = mapped_column(Integer)
    bankruptcy_filings: Mapped[int] = mapped_column(Integer)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_tenant_customer_ordered_at", "tenant_id", "customer_id", "ordered_at"),
        Index("ix_orders_tenant_ordered_at", "tenant_id", "ordered_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    order_id: Mapped[str] = mapped_column(ID, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ID)
    upload_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    ordered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    amount: Mapped[Decimal] = mapped_column(Money)
    payment_term_days: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str | None] = mapped_column(Unicode(64))
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    invoiced: Mapped[bool | None] = mapped_column(Boolean)
