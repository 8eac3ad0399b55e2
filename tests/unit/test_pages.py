"""The list cursor: opaque, round-trips a position exactly, and anything else is a 422 naming it."""

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.schemas.pages import MAX_PAGE, PageQuery, Position, decode_cursor, encode_cursor


def test_a_cursor_gives_back_its_position_to_the_microsecond():
    position = Position(datetime(2026, 12, 6, 17, 30, 1, 123456, tzinfo=UTC), uuid.uuid4())
    cursor = encode_cursor(position)
    assert str(position.id) not in cursor and "2026" not in cursor, "opaque"
    assert decode_cursor(cursor) == position
    assert PageQuery(cursor=cursor).position == position
    assert PageQuery().position is None and PageQuery().limit == 50


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": MAX_PAGE + 1}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WyJ4Il0"}, "cursor"),  # valid base64 of valid JSON, not a position
        ({"cursor": encode_cursor(Position(datetime(2026, 1, 1), uuid.uuid4()))}, "cursor"),  # naive time
        ({"cursor": "x" * 201}, "cursor"),
        ({"page": 2}, "page"),
    ],
)
def test_a_bad_page_query_names_its_field(query, field):
    with pytest.raises(ValidationError) as caught:
        PageQuery.model_validate(query)
    assert [error["loc"] for error in caught.value.errors()] == [(field,)]
