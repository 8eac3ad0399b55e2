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

from pydantic import AfterValidator, BaseModel, Field

from shared.schemas.base import Strict

MAX_PAGE = 100
NOT_OURS = "not a cursor this list answered"
T = TypeVar("T")


class Position(NamedTuple):
    created_at: datetime
    id: uuid.UUID | int  # the row's primary key: a UUID, or the decision log's integer


def encode_cursor(position: Position) -> str:
    key = position.id if isinstance(position.id, int) else str(position.id)
    raw = json.dumps([position.created_at.isoformat(), key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    try:
        created_at, key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        position = Position(datetime.fromisoformat(created_at), key if type(key) is int else uuid.UUID(key))
    except (ValueError, TypeError, AttributeError):
        raise ValueError(NOT_OURS) from None
    if position.created_at.tzinfo is None:
        raise ValueError(NOT_OURS)
    return position


def _readable(cursor: str) -> str:
    decode_cursor(cursor)
    return cursor


Cursor = Annotated[
    str,
    Field(min_length=1, max_length=200, description="`next_cursor` of the previous page."),
    AfterValidator(_readable),
]


class Paged(Strict):
    """A query that continues after the last item of the page before."""

    cursor: Cursor | None = None

    @property
    def position(self) -> Position | None:
        return decode_cursor(self.cursor) if self.cursor is not None else None


class PageQuery(Paged):
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE, description="Items per page.")] = 50


class Page(BaseModel, Generic[T]):
    items: list[T] = Field(description="Newest first.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
