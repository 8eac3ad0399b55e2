"""Newest-first keyset pages of a tenant's rows (the cursor: `shared.schemas.pages`)."""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from shared.db.models import TrainingJob, Upload, WebhookAttempt
from shared.schemas.pages import PageQuery, Position, encode_cursor

Row = TypeVar("Row", Upload, TrainingJob, WebhookAttempt)


def newest_first(
    session: Session, entity: type[Row], tenant_id: uuid.UUID, page: PageQuery, *where: ColumnElement[bool]
) -> tuple[list[Row], str | None]:
    """One page of the tenant's `entity` rows by (created_at, id) descending, and the cursor of
    the next page (None on the last); `where` narrows the rows further. One row more than the
    page is read to know there is a next."""
    query = select(entity).where(entity.tenant_id == tenant_id, *where)
    if (after := page.position) is not None:
        at = entity.created_at
        query = query.where(or_(at < after.created_at, and_(at == after.created_at, entity.id < after.id)))
    newest = query.order_by(entity.created_at.desc(), entity.id.desc())
    rows = session.scalars(newest.limit(page.limit + 1)).all()
    if len(rows) <= page.limit:
        return list(rows), None
    last = rows[page.limit - 1]
    return list(rows[: page.limit]), encode_cursor(Position(last.created_at, last.id))
