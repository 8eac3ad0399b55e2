from __future__ import annotations

from typing import Annotated, Any

import orjson
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
)

from shared.errors import FieldError, TooLarge


class Strict(BaseModel):
    """Request bodies: unknown fields are errors, so a typo never silently drops data. Strings are
    taken as sent (never stripped): stripping let "name\n" past the pattern that forbids control
    characters, and failed "  " on a minimum length the OpenAPI document said it met."""

    model_config = ConfigDict(extra="forbid")


class PlainAnswer(BaseModel):
    """An answer the service builds itself from JSON-native values (`model_construct`, never
    validated). Its schema documents it; the bytes come straight from its fields through orjson,
    in a third of the time of pydantic's serializer, which checks each of the thousands of values
    of a 500-order answer against that schema."""

    def encoded(self) -> bytes:
        return orjson.dumps(dict(self))


def _json_number(value: Any) -> Any:
    if isinstance(value, str | bool):
        raise ValueError("must be a JSON number")
    return value


def integer(**bounds: int) -> Any:
    """An integer as a JSON number, as the OpenAPI document says: pydantic's lax mode also takes "12"
    and true for 12 (12.0 is an integer in JSON Schema too). The bounds sit inside the validator, or
    the document would carry them as unknown "ge"/"le" keywords instead of minimum/maximum."""
    return Annotated[int, Field(**bounds), BeforeValidator(_json_number)]


def number(**bounds: Any) -> Any:
    """A number as a JSON number: lax mode also takes "0.5" and true (as 1.0)."""
    return Annotated[float, Field(**bounds), BeforeValidator(_json_number)]


Boolean = StrictBool  # lax mode also takes 0, 1, "yes" or "off"

# NUL and other control characters break databases (PostgreSQL refuses NUL) and logs. A pattern,
# unlike a Python validator, is checked inside pydantic-core with the length limits.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
Text = Annotated[str, StringConstraints(pattern=PRINTABLE)]
# The HTML standard's valid e-mail address, with a dot in the domain.
EMAIL_PATTERN = (
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_PATTERN_MESSAGES = {
    PRINTABLE: "control characters are not allowed",
    EMAIL_PATTERN: "not a valid email address",
}


def reject_oversized(payload: Any, field: str, limit: int) -> None:
    """More than `limit` items is 413 (DESIGN §4), decided before validating any of them."""
    items = payload.get(field) if isinstance(payload, dict) else None
    if isinstance(items, list) and len(items) > limit:
        raise too_many(field, limit, len(items))


def too_many(field: str, limit: int, count: int) -> TooLarge:
    return TooLarge(f"At most {limit} {field} per request; this one has {count}.")


def field_errors(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[FieldError]:
    """Pydantic's errors as field locations and messages (never the offending input: it may be secret)."""
    return [FieldError(prefix + tuple(error["loc"]), _message(error)) for error in exc.errors()]


def _message(error: Any) -> str:
    if error["type"] == "string_pattern_mismatch" and error["ctx"]["pattern"] in _PATTERN_MESSAGES:
        return _PATTERN_MESSAGES[error["ctx"]["pattern"]]
    return error["msg"]
