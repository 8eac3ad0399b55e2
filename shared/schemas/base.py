from __future__ import annotations

import re

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict

from shared.errors import TooLarge


class Strict(BaseModel):
    """Request bodies: unknown fields are errors, so a typo never silently drops data."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _printable(value: str) -> str:
    # NUL and other control characters break databases (PostgreSQL refuses NUL) and logs.
    if _CONTROL.search(value):
        raise ValueError("control characters are not allowed")
    return value


Text = Annotated[str, AfterValidator(_printable)]


def reject_oversized(payload: Any, field: str, limit: int) -> None:
    """More than `limit` items is 413 (DESIGN §4), decided before validating any of them."""
    items = payload.get(field) if isinstance(payload, dict) else None
    if isinstance(items, list) and len(items) > limit:
        raise TooLarge(f"At most {limit} {field} per request; this one has {len(items)}.")
