from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from typing_extensions import TypedDict

from pydantic import BaseModel, BeforeValidator, Field, field_validator

from shared.schemas.base import PlainAnswer, Strict, integer
from shared.schemas.datasets import MAX_BATCH_ITEMS, LabeledOrderItem, OrderFields, UtcDateTime
from shared.schemas.pages import Paged


class Metrics(BaseModel):
    roc_auc: float | None
    pr_auc: float | None
    ks: float | None
    gini: float | None
    brier: float
    accuracy: float
    precision: float
    recall: float
    f1: float
    confusion_matrix: dict[str, int]
    threshold: float
    support: int | None = None


class ModelSummary(BaseModel):
    version: int
    algorithm: str
    active: bool
    created_at: datetime
    training_job_id: uuid.UUID
    roc_auc: float | None


class ModelList(BaseModel):
    items: list[ModelSummary]


class ModelDetail(ModelSummary):
    threshold: float
    metrics: dict[str, Any] = Field(description="Holdout metrics: the most recent 20% of labeled orders.")
    leaderboard: list[dict[str, Any]]
    features: list[dict[str, Any]]
    row_counts: dict[str, int]
    data_from: datetime
    data_to: datetime
    champion_comparison: dict[str, Any] | None
    sha256: str


def _labeled(invoiced: bool) -> dict[str, Any]:
    labeled = {"type": "object", "properties": {"invoiced": {"const": invoiced}}, "required": ["invoiced"]}
    return {"contains": labeled}


class EvaluateRequest(Strict):
    orders: Annotated[
        list[LabeledOrderItem],
        Field(
            min_length=2,
            max_length=MAX_BATCH_ITEMS,
            description="Invoiced and refused orders both: the metrics need the two classes.",
            json_schema_extra={"allOf": [_labeled(True), _labeled(False)]},
        ),
    ]

    @field_validator("orders")
    @classmethod
    def _both_classes(cls, orders: list[LabeledOrderItem]) -> list[LabeledOrderItem]:
        if len({order.invoiced for order in orders}) < 2:
            raise ValueError("needs invoiced and refused orders: the metrics need both")
        return orders


class EvaluateResult(BaseModel):
    model_version: int
    orders: int
    metrics: dict[str, Any]


class PredictionRequest(Strict):
    orders: Annotated[list[OrderFields], Field(min_length=1, max_length=MAX_BATCH_ITEMS)]
    model_version: integer(ge=1) | None = None


# A prediction answer is built by the service itself from JSON-native values, so it is neither
# validated (2,000 objects of our own making cost more than the rest of the response) nor encoded
# against its schema (`PlainAnswer`); its parts are typed dicts, which describe plain dicts for
# the OpenAPI document.
class Reason(TypedDict):
    feature: str
    description: str
    value: Any
    impact: Annotated[float, Field(description="Signed change of the probability of invoicing due to this feature.")]


Decision = Literal["invoice", "review", "hold"]


class FiredRule(TypedDict):
    rule: Annotated[
        str,
        Field(
            description="A policy rule (new_customer, no_limit, over_limit, bankruptcy, stale_bureau, max_amount), "
            "or a check no policy turns off: unknown_customer, out_of_support (both send the order to review at least)."
        ),
    ]
    description: str


class Prediction(TypedDict):
    order_id: str
    decision: Annotated[Decision, Field(description="The company's policy applied to the probability (DESIGN §8).")]
    invoice: Annotated[bool, Field(description='decision == "invoice", for callers that read only this.')]
    probability: float
    score: Annotated[int, Field(ge=0, le=1000)]
    rules: Annotated[list[FiredRule], Field(description="The rules that fired, strongest action first wins.")]
    reasons: list[Reason]
    unknown_customer: Annotated[bool, Field(description="No stored data for this customer: scored without context.")]


class PredictionResponse(PlainAnswer):
    model_version: int
    policy_version: Annotated[int, Field(description="The policy version that decided (0: the default policy).")]
    predictions: list[Prediction]


class PredictionRecord(BaseModel):
    order_id: str
    customer_id: str | None = Field(description="Null on decisions logged before policies existed.")
    model_version: int
    policy_version: int | None = Field(description="Null on decisions logged before policies existed.")
    decision: Decision
    invoice: bool
    probability: float
    amount: float | None = Field(description="Null on decisions logged before policies existed.")
    created_at: datetime


class PredictionHistory(BaseModel):
    items: list[PredictionRecord]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page; null on the last page.")


def _iso_8601(value: Any) -> Any:
    if isinstance(value, str) and not ISO_DATE.match(value):  # pydantic also reads "0.5" as a Unix time
        raise ValueError("must be an ISO 8601 date-time, e.g. 2026-12-01T00:00:00Z")
    return value


ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")
QueryTime = Annotated[UtcDateTime, BeforeValidator(_iso_8601)]


class TimeRange(Strict):
    """`from` inclusive, `to` exclusive; a naive datetime means UTC."""

    from_: QueryTime | None = Field(None, alias="from")
    to: QueryTime | None = None


class PredictionHistoryQuery(TimeRange, Paged):
    order_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    customer_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    decision: Decision | None = None
    limit: Annotated[int, Field(ge=1, le=1000)] = 100


class PredictionSummaryQuery(TimeRange):
    bucket: Literal["day", "week"] = "day"


class ByDecision(BaseModel):
    invoice: float
    review: float
    hold: float


class DecisionsInBucket(BaseModel):
    """What a day or week of decisions holds, for the summary and for monitoring."""

    start: date = Field(description="First day of the bucket (UTC); weeks start on Monday.")
    count: int
    decisions: ByDecision = Field(description="How many orders got each decision.")
    amount: ByDecision = Field(description="Amount of the orders of each decision (decisions logged with amounts).")


class SummaryBucket(DecisionsInBucket):
    mean_score: float


class PredictionSummary(BaseModel):
    bucket: Literal["day", "week"]
    items: list[SummaryBucket]
