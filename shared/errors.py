"""Failures the use cases report; the HTTP layer maps each kind to a status and problem+json."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    loc: tuple[str | int, ...]
    msg: str

    def as_dict(self) -> dict[str, Any]:
        return {"loc": list(self.loc), "msg": self.msg}


@dataclass
class AppError(Exception):
    detail: str
    errors: Sequence[FieldError] = field(default_factory=tuple)

    def __str__(self) -> str:
        return self.detail


class NotFound(AppError):
    """Absent, or owned by another tenant: callers cannot tell which."""


class Conflict(AppError):
    pass


class InvalidInput(AppError):
    pass


class AuthenticationFailed(AppError):
    pass


class TooLarge(AppError):
    pass


class MalformedRequest(AppError):
    pass


class UnsupportedMediaType(AppError):
    """A body that is not `application/json`: never guessed at."""
