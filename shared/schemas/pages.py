"""Cursor pagination of the company's lists, newest first (GET /api/uploads, /api/training-jobs).

A cursor is the position of the last item of a page (its `created_at` and id, the id breaking
ties), encoded opaquely: the next page starts strictly after it, so items created meanwhile
never shift a page, and nothing is repeated or skipped.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Annotated, Generic, NamedTuple, TypeVar

from pydantic import BaseModel, Field, field_validator

from shared.schemas.base import Strict

MAX_PAGE = 100
T = TypeVar("T")
Cursor = Annotated[str, Field(min_length=1, max_length=200, description="`next_cursor` of the previous page.")]


class Position(NamedTuple):
    created_at: datetime
    id: uuid.UUID


def encode_cursor(position: Position) -> str:
    raw = json.dumps([position.created_at.isoformat(), str(position.id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    try:
        created_at, id_ = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        position = Position(datetime.fromisoformat(created_at), uuid.UUID(id_))
    except (ValueError, TypeError, AttributeError):
        raise ValueError("not a cursor this list answered") from None
    if position.created_at.tzinfo is None:
        raise ValueError("not a cursor this list answered")
    return position


class PageQuery(Strict):
    cursor: Cursor | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE, description="Items per page.")] = 50

    @field_validator("cursor")
    @classmethod
    def _readable(cls, cursor: str | None) -> str | None:
        if cursor is not None:
            decode_cursor(cursor)
        return cursor

    @property
    def position(self) -> Position | None:
        return decode_cursor(self.cursor) if self.cursor is not None else None


class Page(BaseModel, Generic[T]):
    items: list[T] = Field(description="Newest first.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
