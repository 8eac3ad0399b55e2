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
    retry_after: int | None = None  # seconds; the HTTP layer sends it as Retry-After

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


class TooManyRequests(AppError):
    """A rate limit was reached; `retry_after` says when the caller is let in again."""


class Unavailable(AppError):
    """Not the caller's fault: a dependency cannot serve the request now. `retry_after` (seconds)
    when waiting may be enough, None when someone must act first (the detail says what)."""


class ModelUnavailable(Unavailable):
    """A model version's artifact is missing or fails its integrity check: retraining or activating
    another version fixes it, waiting does not."""


class UnsupportedMediaType(AppError):
    """A body that is not `application/json`: never guessed at."""
