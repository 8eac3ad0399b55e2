"""The training data's support: what a model has seen, so that it is never left alone on the rest.

Recorded at training over every labeled order's encoded features: per feature whether it was
ever missing, and for numeric ones the range of values. An order is outside the support when a
feature is missing that never was in training (the model's handling of it was never fitted to
anything), or a value lies far outside the range: more than `MARGIN` times the range's width
beyond its minimum or maximum (for a payment term seen from 0 to 120 days, below -60 or above
180). Inside the range, and a little beyond it, the models extrapolate sensibly; far beyond it,
a tree model answers as for the largest value it saw, which says nothing about the order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shared.ml.features import feature_label

MARGIN = 0.5

# Features that go missing together, named by what is missing (the first matching prefix wins).
_GROUPS = (
    (("serasa_",), "no Serasa query before the order"),
    (("credit_limit", "amount_to_limit", "exposure_to_limit", "utilisation_after_order"), "no credit limit in force"),
    (("prior_",), "no earlier labeled order"),
    (("customer_",), "no customer record"),
)


@dataclass(frozen=True)
class Support:
    names: list[str]
    missing_seen: np.ndarray  # per feature
    minimum: np.ndarray  # NaN: not range-checked (categorical codes)
    maximum: np.ndarray
    margin: float = MARGIN

    @classmethod
    def of(cls, X: np.ndarray, names: list[str], numeric: np.ndarray, margin: float = MARGIN) -> Support:
        """`X`: the encoded training matrix (`FeatureEncoder.transform`), columns `names`; the
        encoder keeps no column that is missing throughout, so every range exists."""
        missing = np.isnan(X)
        low, high = np.nanmin(X, axis=0), np.nanmax(X, axis=0)
        numeric = np.asarray(numeric, dtype=bool)
        return cls(
            names=list(names),
            missing_seen=missing.any(axis=0),
            minimum=np.where(numeric, low, np.nan),
            maximum=np.where(numeric, high, np.nan),
            margin=margin,
        )

    def gaps(self, X: np.ndarray) -> list[str | None]:
        """Per row of `X` (same encoding), what puts it outside the support in plain words, or None."""
        missing = np.isnan(X)
        width = (self.maximum - self.minimum) * self.margin
        with np.errstate(invalid="ignore"):
            above = X > self.maximum + width
            below = X < self.minimum - width
        unseen = missing & ~self.missing_seen
        outside = unseen | above | below
        flagged = np.flatnonzero(outside.any(axis=1))
        notes: list[str | None] = [None] * len(X)
        for row in flagged.tolist():
            parts = dict.fromkeys(_group(self.names[f]) for f in np.flatnonzero(unseen[row]).tolist())
            parts |= dict.fromkeys(
                f"{feature_label(self.names[f])} {_number(X[row, f])} is far "
                f"{'above' if above[row, f] else 'below'} anything in training "
                f"({_number(self.minimum[f])} to {_number(self.maximum[f])})"
                for f in np.flatnonzero(above[row] | below[row]).tolist()
            )
            notes[row] = "Outside what the model was trained on: " + "; ".join(parts) + "."
        return notes


def _group(name: str) -> str:
    for prefixes, missing in _GROUPS:
        if name.startswith(prefixes):
            return f"{missing} (every training order had one)"
    return f"{feature_label(name)} is missing (it never was in training)"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"

