"""The feature frame as one float matrix that every candidate model (and its explainer) shares.

Numbers stay numbers (NaN = missing); categories become integer codes over a vocabulary learned
at fit time: the most frequent values, everything rarer or unseen sharing one "other" code, so
a tenant attribute full of free text can neither blow up the one-hot width of the linear model
nor exceed the 255 categories the gradient boosting supports natively.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from shared.ml.features import CATEGORICAL, feature_kind
from shared.ml.frames import Columns


class FeatureEncoder(TransformerMixin, BaseEstimator):
    """Learns which columns exist, their kind and category vocabularies; columns never seen in
    fit are ignored in transform and columns missing in transform are treated as missing values."""

    def __init__(self, max_categories: int = 50, min_category_count: int = 5) -> None:
        self.max_categories = max_categories
        self.min_category_count = min_category_count

    def fit(self, X: pd.DataFrame, y: object = None) -> FeatureEncoder:
        # A column that is empty in the training data carries no information and would only
        # appear in reasons as noise.
        self.columns_ = [name for name in X.columns if X[name].notna().any()]
        self.kinds_ = [feature_kind(name, X[name]) for name in self.columns_]
        self.categories_ = {
            name: self._vocabulary(X[name])
            for name, kind in zip(self.columns_, self.kinds_)
            if kind == CATEGORICAL
        }
        return self

    def _vocabulary(self, values: pd.Series) -> list[str]:
        counts = values.dropna().astype(str).value_counts()
        counts = counts[counts >= self.min_category_count]
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return [category for category, _ in ranked[: self.max_categories]]

    def transform(self, X: Columns) -> np.ndarray:
        """X: a frame, or a mapping of column name to array (what scoring a request builds)."""
        rows = len(X) if isinstance(X, pd.DataFrame) else len(next(iter(X.values()), ()))
        out = np.full((rows, len(self.columns_)), np.nan)
        for position, name in enumerate(self.columns_):
            if name in X:
                lookup = self._lookup(name) if name in self.categories_ else None
                out[:, position] = _numbers(X[name]) if lookup is None else self._codes(X[name], lookup)
        return out

    def _lookup(self, name: str) -> pd.Index:
        """The column's vocabulary as a str Index, kept after first use: matching against a new
        Index (hashing it, casting between object and str) cost most of a small transform."""
        lookups = self.__dict__.setdefault("_lookups", {})
        if name not in lookups:
            lookups[name] = pd.Index(self.categories_[name], dtype=str)
        return lookups[name]

    def __getstate__(self) -> dict:
        # Lookups are derived data: rebuilt on first use instead of pickled into the artifact.
        return {name: value for name, value in super().__getstate__().items() if name != "_lookups"}

    @staticmethod
    def _codes(values: pd.Series | np.ndarray, vocabulary: pd.Index) -> np.ndarray:
        raw = np.asarray(values, dtype=object)
        present = pd.notna(raw)
        codes = np.full(len(raw), np.nan)
        known = vocabulary.get_indexer(pd.array(raw[present], dtype=str))  # str() of each, as in fit
        codes[present] = np.where(known >= 0, known, len(vocabulary))
        return codes

    @property
    def categorical_mask_(self) -> np.ndarray:
        return np.array([kind == CATEGORICAL for kind in self.kinds_], dtype=bool)

    @property
    def features_(self) -> list[dict[str, str]]:
        return [{"name": name, "kind": kind} for name, kind in zip(self.columns_, self.kinds_)]


def _numbers(values: pd.Series | np.ndarray) -> np.ndarray:
    """Floats from float, int, boolean or object values (None or NA: NaN); a stray string becomes missing."""
    try:
        return np.asarray(values, dtype="float64")
    except (TypeError, ValueError):
        return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
