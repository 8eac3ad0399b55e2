"""The current request id, carried into every log line of the request."""

from __future__ import annotations

import logging
from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("request_id", default="-")

_default_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args, **kwargs) -> logging.LogRecord:
    record = _default_factory(*args, **kwargs)
    record.request_id = request_id.get()
    return record


def install() -> None:
    """Every LogRecord gets `request_id`, whoever logs it (our code, SQLAlchemy, the SDKs)."""
    if logging.getLogRecordFactory() is not _record_with_request_id:
        logging.setLogRecordFactory(_record_with_request_id)
