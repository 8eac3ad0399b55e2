"""A company's decision policy (DESIGN §8): cutoffs or precision targets, and rules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from shared.schemas.base import Strict, integer, number
from shared.schemas.datasets import PositiveMoney

Share = number(ge=0, le=1, allow_inf_nan=False)
Action = Literal["hold", "review", "off"]


class CutoffValues(Strict):
    invoice_at: Share = Field(description="Invoice when the probability is at least this.")
    hold_below: Share = Field(description="Hold when the probability is below this; review in between.")

    @model_validator(mode="after")
    def _ordered(self) -> CutoffValues:
        if self.hold_below > self.invoice_at:
            raise ValueError("hold_below must not be above invoice_at")
        return self


class PrecisionTargets(Strict):
    invoice_precision: Share = Field(
        description="Share of automatically invoiced orders the analysts would also have invoiced."
    )
    hold_precision: Share = Field(description="Share of automatically held orders the analysts would also have held.")


class PolicyRules(Strict):
    """Each rule holds or sends to review the orders it fires on, before the model decides; `off`
    turns it off. Omitted rules keep their defaults."""

    new_customer: Action = Field("review", description="No order, credit limit or Serasa query before the order.")
    no_limit: Action = Field("off", description="No credit limit in force.")
    over_limit: Action = Field("review", description="Open invoiced amount plus this order exceed the limit in force.")
    bankruptcy: Action = Field("hold", description="The latest Serasa query shows bankruptcy filings.")
    stale_bureau: Action = Field("off", description="The latest Serasa query is older than `stale_bureau_days`.")
    max_amount: Action = Field("off", description="The amount is above `max_amount`.")


# Chosen with the data in mind (DESIGN §8; README, "How decisions are made"): on a history whose
# best AUC is about 0.78, 93% / 70% decides about half of the orders automatically, where 98% / 90%
# decides almost none.
DEFAULT_TARGETS = PrecisionTargets(invoice_precision=0.93, hold_precision=0.70)


class PolicyDocument(Strict):
    """Exactly one of `cutoffs` and `targets`."""

    model_config = ConfigDict(json_schema_extra={"oneOf": [
        {"required": ["cutoffs"], "properties": {"cutoffs": {"type": "object"}, "targets": {"type": "null"}}},
        {"required": ["targets"], "properties": {"targets": {"type": "object"}, "cutoffs": {"type": "null"}}},
    ]})

    cutoffs: CutoffValues | None = None
    targets: Annotated[PrecisionTargets | None, Field(validate_default=True)] = None
    rules: PolicyRules = Field(default_factory=PolicyRules)
    stale_bureau_days: integer(ge=1, le=3650) = 180
    max_amount: PositiveMoney | None = None

    @field_validator("targets")
    @classmethod
    def _one_of_cutoffs_and_targets(cls, targets: PrecisionTargets | None, info: ValidationInfo):
        if "cutoffs" not in info.data:
            return targets  # cutoffs were invalid: that error is reported on its own
        if (info.data["cutoffs"] is None) == (targets is None):
            raise ValueError("give exactly one of cutoffs and targets")
        return targets


DEFAULT_POLICY = PolicyDocument(targets=DEFAULT_TARGETS)


class CutoffsInForce(BaseModel):
    invoice_at: float
    hold_below: float
    model_version: int | None = Field(
        description="The active model, whose validation predictions turned the targets into these cutoffs."
    )


class PolicyAnswer(PolicyDocument):
    version: int = Field(description="0 for the default policy of a company that never saved one.")
    created_at: datetime | None
    cutoffs_in_force: CutoffsInForce | None = Field(
        description="The cutoffs decisions use now: the policy's own, or those the active model derived from its "
        "targets (null while the company has no active model)."
    )
