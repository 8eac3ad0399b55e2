"""Precision targets turned into probability cutoffs, on the validation slice's predictions.

A company states how sure it wants the automatic decisions to be ("98% of auto-invoiced orders
are ones the analysts would have invoiced too") rather than a number on the model's own scale.
Training keeps, for every cutoff on a grid of 0.001, how many validation orders score at or
above it and how many of those were invoiced: that curve (a few kB, stored with the model)
answers any pair of targets later, so a new policy applies to the active model without
retraining, and cutoffs never fall between grid points a person would not write.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GRID = 1000  # cutoffs k / GRID, k = 0..GRID


@dataclass(frozen=True)
class Cutoffs:
    """invoice when probability >= invoice_at; hold when probability < hold_below; review between."""

    invoice_at: float
    hold_below: float


@dataclass(frozen=True)
class PrecisionCurve:
    """Per grid cutoff c: orders with probability >= c (`at_or_above`) and how many of those were
    invoiced (`invoiced_at_or_above`); everything else is derived from these and the totals."""

    at_or_above: np.ndarray
    invoiced_at_or_above: np.ndarray

    @classmethod
    def of(cls, probability: np.ndarray, invoiced: np.ndarray) -> PrecisionCurve:
        """Counted with the comparison scoring makes (`probability >= cutoff`), so a cutoff's
        precision here is exactly what deciding with it on these orders gives."""
        order = np.argsort(probability, kind="stable")
        ranked = np.asarray(probability, dtype="float64")[order]
        labels = np.asarray(invoiced, dtype=bool)[order]
        below = np.searchsorted(ranked, cutoff_grid(), side="left")  # orders under each cutoff
        invoiced_below = np.concatenate([[0], np.cumsum(labels)])[below]
        return cls(at_or_above=len(ranked) - below, invoiced_at_or_above=int(labels.sum()) - invoiced_below)

    @property
    def orders(self) -> int:
        return int(self.at_or_above[0])

    @property
    def invoiced(self) -> int:
        return int(self.invoiced_at_or_above[0])

    def invoice_precision(self) -> np.ndarray:
        """Per grid cutoff, the share invoiced among orders at or above it (NaN where none is)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.invoiced_at_or_above / np.where(self.at_or_above > 0, self.at_or_above, np.nan)

    def hold_precision(self) -> np.ndarray:
        """Per grid cutoff, the share refused among orders below it (NaN where none is)."""
        below = self.orders - self.at_or_above
        refused_below = (self.orders - self.invoiced) - (self.at_or_above - self.invoiced_at_or_above)
        with np.errstate(invalid="ignore", divide="ignore"):
            return refused_below / np.where(below > 0, below, np.nan)

    def cutoffs(self, invoice_precision: float, hold_precision: float) -> Cutoffs:
        """The lowest invoice_at whose auto-invoices meet `invoice_precision` (none does: 1.0,
        nothing invoiced automatically) and the highest hold_below whose holds meet
        `hold_precision` (none: 0.0, nothing held), hold_below capped at invoice_at."""
        grid = cutoff_grid()
        meets_invoice = np.flatnonzero(self.invoice_precision() >= invoice_precision)
        meets_hold = np.flatnonzero(self.hold_precision() >= hold_precision)
        invoice_at = float(grid[meets_invoice[0]]) if len(meets_invoice) else 1.0
        hold_below = float(grid[meets_hold[-1]]) if len(meets_hold) else 0.0
        return Cutoffs(invoice_at=invoice_at, hold_below=min(hold_below, invoice_at))


def cutoff_grid() -> np.ndarray:
    return np.arange(GRID + 1) / GRID
