from typing import Literal

from pydantic import BaseModel

Check = Literal["ok", "unreachable"]


class HealthReport(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Check
    model_store: Check
