from typing import Literal

from pydantic import BaseModel


class HealthReport(BaseModel):
    """The ready answer; when a check fails, /api/health answers a 503 problem naming it instead."""

    status: Literal["ok"]
    database: Literal["ok"]
    model_store: Literal["ok"]
