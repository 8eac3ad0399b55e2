"""The four dataset item types (DESIGN §3) and the batch envelope that carries them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from shared.documents import is_valid_document, normalize_document
from shared.schemas.base import Boolean, Strict, Text, integer

MAX_BATCH_ITEMS = 500
MAX_ATTRIBUTES = 50

MAX_BATCH_NUMBER = 100_000
MAX_COUNT = 2**31 - 1  # a 32-bit INTEGER column on every backend
# Dates outside this range are typos, and beyond what pandas' nanosecond timestamps can hold.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200
# An order is a business event: none before this, none later than tomorrow (clock skew and time zones).
EARLIEST_ORDER = datetime(1990, 1, 1, tzinfo=UTC)
ORDER_LEAD = timedelta(days=1)

Identifier = Annotated[Text, StringConstraints(min_length=1, max_length=64)]
Label = Annotated[Text, StringConstraints(min_length=1, max_length=64)]
AttributeName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
AttributeValue = StrictBool | StrictInt | Annotated[StrictFloat, Field(allow_inf_nan=False)] | Annotated[
    Text, StringConstraints(max_length=256)
]
Attributes = Annotated[dict[AttributeName, AttributeValue], Field(max_length=MAX_ATTRIBUTES)]
# Money is a JSON number or a plain decimal string ("1250.50"), at most 16 digits before the point
# and 2 after. One spelling for strings, so the OpenAPI pattern is exactly what is accepted:
# Decimal() alone also reads "1_000", " 5 ", "+5", "1e2" and Arabic-Indic digits.
MONEY_LIMIT = 10**16
_MONEY_TEXT = {
    "ge": r"^[0-9]{1,16}(?:\.[0-9]{1,2})?$",
    "gt": r"^0*(?:[1-9][0-9]{0,15}(?:\.[0-9]{1,2})?|0\.(?:[1-9][0-9]?|0[1-9]))$",  # a digit that is not 0
}
_JSON_BOUND = {"ge": "minimum", "gt": "exclusiveMinimum"}


def _money(bound: Literal["ge", "gt"]) -> Any:
    """Money of at least (`ge`) or more than (`gt`) zero, with its exact JSON schema."""
    text = re.compile(_MONEY_TEXT[bound])

    def plain(value: Any) -> Any:
        if isinstance(value, str) and not text.fullmatch(value):
            raise ValueError('must be a number or a decimal string like "1250.50"')
        return value

    number = {"type": "number", _JSON_BOUND[bound]: 0, "exclusiveMaximum": MONEY_LIMIT, "multipleOf": 0.01}
    # The constraints before the validator, so pydantic-core checks them itself: after it, they run
    # as Python validators, at three times the cost (a 500-order request's amounts: 2 ms against 0.6).
    return Annotated[
        Decimal,
        Field(max_digits=18, decimal_places=2, allow_inf_nan=False, **{bound: 0}),
        BeforeValidator(plain),
        WithJsonSchema({"anyOf": [number, {"type": "string", "pattern": text.pattern}]}),
    ]


Money = _money("ge")
PositiveMoney = _money("gt")
Count = integer(ge=0, le=MAX_COUNT)
UF = Literal[
    "AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA", "PB", "PR",
    "PE", "PI", "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO",
]


def _in_range(value: date) -> date:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


def _as_utc(value: datetime) -> datetime:
    """A naive datetime means UTC (DESIGN §3); anything else is converted to UTC."""
    _in_range(value)  # first: converting year 9999 with an offset would overflow
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _document(value: str) -> str:
    if not is_valid_document(value):
        raise ValueError("not a valid CPF or CNPJ (check digits)")
    return normalize_document(value)


def _plausible_order_time(value: datetime) -> datetime:
    if not EARLIEST_ORDER <= value <= datetime.now(UTC) + ORDER_LEAD:
        raise ValueError(f"must be between {EARLIEST_ORDER.date().isoformat()} and a day from now")
    return value


UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]
OrderTime = Annotated[
    UtcDateTime,
    AfterValidator(_plausible_order_time),
    Field(description=f"From {EARLIEST_ORDER.date().isoformat()} to a day from now; a naive time is UTC."),
]
Day = Annotated[date, AfterValidator(_in_range)]
Document = Annotated[str, StringConstraints(max_length=32), AfterValidator(_document)]


class CustomerItem(Strict):
    customer_id: Identifier
    document: Document | None = None
    name: Annotated[Text, StringConstraints(max_length=200)] | None = None
    segment: Label | None = None
    state: UF | None = None
    customer_since: Day | None = None
    attributes: Attributes | None = None


class CreditLimitItem(Strict):
    customer_id: Identifier
    limit: Money
    valid_from: Day
    valid_until: Day | None = None

    @model_validator(mode="after")
    def _ordered_validity(self) -> CreditLimitItem:
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("valid_until must be on or after valid_from")
        return self


class SerasaQueryItem(Strict):
    customer_id: Identifier
    queried_at: UtcDateTime
    score: integer(ge=0, le=1000) | None = None
    negative_records: Count
    negative_amount: Money
    protests: Count
    protests_amount: Money
    bounced_checks: Count
    lawsuits: Count
    bankruptcy_filings: Count
    attributes: Attributes | None = None


class OrderFields(Strict):
    """An order as a prediction request carries it: no label yet."""

    order_id: Identifier
    customer_id: Identifier
    ordered_at: OrderTime
    amount: PositiveMoney
    payment_term_days: integer(ge=0, le=3650) = 0
    channel: Label | None = None
    attributes: Attributes | None = None


class OrderItem(OrderFields):
    invoiced: Boolean | None = Field(default=None, description="true = invoiced, false = refused/held, null = not decided yet")


class LabeledOrderItem(OrderFields):
    invoiced: Boolean


ITEM_TYPES: dict[str, type[Strict]] = {
    "customers": CustomerItem,
    "credit_limits": CreditLimitItem,
    "serasa_queries": SerasaQueryItem,
    "orders": OrderItem,
}
Dataset = Literal["customers", "credit_limits", "serasa_queries", "orders"]


class BatchEnvelope(Strict):
    """Items stay raw here: each is validated on its own so every bad one is reported."""

    batch: integer(ge=1, le=MAX_BATCH_NUMBER)
    items: Annotated[list[dict], Field(min_length=1)]
