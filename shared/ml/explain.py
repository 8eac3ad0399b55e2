"""Per-order reasons: exact additive contributions on the logit scale, then probability impacts.

Both explainers return `raw` (the model's logit) and `contributions` (n_orders x n_features) with
raw == bias + contributions.sum(axis=1), so the reasons always account for the actual score.

* Linear model: contribution of a feature = sum over its transformed columns (scaled value,
  missing-indicator, one-hot levels) of coef * (column value - column mean on the fit data).
* Gradient boosting: Saabas path attribution. Every node gets the sample-count-weighted mean of
  the leaf values below it; walking from the root to the leaf an order lands in, each split
  credits its feature with the change of that mean. The per-leaf sums are tabulated once per
  model, so explaining an order costs one pass over the trees (the same pass a prediction
  needs) plus a sparse row gather.

Impact of a feature on the probability = p - sigmoid(raw - contribution): how much lower/higher
the probability would be without that feature's push, the rest held as it is. It has the sign of
the contribution, is bounded by +-1, and the top-3 reasons are the largest |impact|.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import expit
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from shared.ml.features import feature_label
from shared.ml.frames import Columns

RAW_TOLERANCE = 1e-6


class LinearExplainer:
    def __init__(self, pipeline: Pipeline, X_fit: np.ndarray) -> None:
        self._prepare = pipeline.named_steps["prepare"]
        model = pipeline.named_steps["model"]
        origins = linear_origins(self._prepare)
        mean = _transformed_mean(self._prepare, X_fit)
        weights = model.coef_.ravel()
        n_features = X_fit.shape[1]
        self._by_feature = sparse.csr_matrix(
            (weights, (np.arange(len(weights)), origins)), shape=(len(weights), n_features)
        )
        self._offset = np.bincount(origins, weights=weights * mean, minlength=n_features)
        self.bias = float(model.intercept_[0] + weights @ mean)

    def __getstate__(self) -> dict:
        return self.__dict__ | {"_parts": None}  # derived: rebuilt on first use

    def explain(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        contributions = np.tile(-self._offset, (len(X), 1))
        for part in self._split():
            part.add_to(contributions, X)
        return self.bias + contributions.sum(axis=1), contributions

    def _split(self) -> list[_TransformedPart | _OneHotPart]:
        """The pipeline's branches, each scored on its own columns.

        A one-hot branch (unknown categories ignored, nothing dropped) gives each feature the
        weight of the level it matches, looked up directly: through the ColumnTransformer and
        OneHotEncoder, input checks cost ~1.5 ms per call, most of explaining a single order.
        """
        if getattr(self, "_parts", None) is None:
            parts: list[_TransformedPart | _OneHotPart] = []
            for name, transformer, columns in self._prepare.transformers_:
                span = self._prepare.output_indices_[name]
                if span.stop == span.start:
                    continue
                weights = self._by_feature[span]
                if _plain_one_hot(transformer):
                    starts = np.cumsum([0, *(len(levels) for levels in transformer.categories_)])
                    parts += [
                        _OneHotPart(column, levels, weights[start : start + len(levels), column].toarray().ravel())
                        for column, levels, start in zip(columns, transformer.categories_, starts)
                    ]
                else:
                    parts.append(_TransformedPart(transformer, np.asarray(columns), weights))
            self._parts = parts
        return self._parts


def _plain_one_hot(transformer: object) -> bool:
    return (
        isinstance(transformer, OneHotEncoder)
        and transformer.handle_unknown == "ignore"
        and transformer.drop is None
        and not transformer._infrequent_enabled
    )


@dataclass(frozen=True)
class _TransformedPart:
    """A branch scored through its own fitted transformer (the numeric pipeline)."""

    transformer: object
    columns: np.ndarray
    weights: sparse.csr_matrix

    def add_to(self, contributions: np.ndarray, X: np.ndarray) -> None:
        contributions += _dense(self.transformer.transform(X[:, self.columns]) @ self.weights)


@dataclass(frozen=True)
class _OneHotPart:
    """One categorical feature: its levels as OneHotEncoder sorted them (NaN last, if seen) and
    the weight of each; a value matching no level (unknown) contributes nothing."""

    column: int
    levels: np.ndarray
    weights: np.ndarray

    def add_to(self, contributions: np.ndarray, X: np.ndarray) -> None:
        values = X[:, self.column]
        level, equal = _level_positions(self.levels, values)
        matched = equal | (np.isnan(self.levels[level]) & np.isnan(values))  # NaN is a level here
        contributions[:, self.column] += np.where(matched, self.weights[level], 0.0)


def _level_positions(levels: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each value falls among a fitted encoder's sorted levels (NaN last), and whether the
    level there equals it (never, for NaN)."""
    position = np.minimum(np.searchsorted(levels, values), len(levels) - 1)
    return position, levels[position] == values


def _transformed_mean(prepare, X: np.ndarray, chunk: int = 65_536) -> np.ndarray:
    """Column means of the transformed matrix, in chunks: its dense form can exceed the whole budget."""
    total = sum(
        np.asarray(prepare.transform(X[start : start + chunk]).sum(axis=0)).ravel()
        for start in range(0, len(X), chunk)
    )
    return total / len(X)


def linear_origins(prepare) -> np.ndarray:
    """Which encoder column each transformed column came from (scaled+indicators, one-hot levels)."""
    width = max(span.stop for span in prepare.output_indices_.values())
    origins = np.full(width, -1)
    for name, transformer, columns in prepare.transformers_:
        span = prepare.output_indices_[name]
        if span.stop == span.start:
            continue
        columns = np.asarray(columns)
        if name == "numeric":
            indicator = transformer.named_steps["impute"].indicator_
            flagged = columns[indicator.features_] if indicator is not None else columns[:0]
            origins[span] = np.concatenate([columns, flagged])
        else:
            origins[span] = np.repeat(columns, [len(levels) for levels in transformer.categories_])
    if (origins < 0).any():
        raise RuntimeError("linear explainer could not map every transformed column to a feature")
    return origins


class TreeExplainer:
    def __init__(self, model: HistGradientBoostingClassifier, n_features: int) -> None:
        self._model = model
        trees = [predictor for iteration in model._predictors for predictor in iteration]
        sizes = np.array([len(tree.nodes) for tree in trees])
        self._offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        nodes = np.concatenate([tree.nodes for tree in trees])
        shift = np.repeat(self._offsets, sizes)
        leaf = nodes["is_leaf"].astype(bool)
        left = np.where(leaf, -1, nodes["left"].astype(np.int64) + shift)
        right = np.where(leaf, -1, nodes["right"].astype(np.int64) + shift)
        count = nodes["count"].astype("float64")

        expected = np.where(leaf, nodes["value"], 0.0)
        for depth in range(int(nodes["depth"].max()), -1, -1):
            level = np.flatnonzero(~leaf & (nodes["depth"] == depth))
            lc, rc = count[left[level]], count[right[level]]
            expected[level] = (lc * expected[left[level]] + rc * expected[right[level]]) / (lc + rc)

        parent = np.full(len(nodes), -1)
        internal = np.flatnonzero(~leaf)
        parent[left[internal]] = internal
        parent[right[internal]] = internal
        to_original = _boosting_feature_map(model)
        rows, columns, values = [np.empty(0, np.int64)], [np.empty(0, np.int64)], [np.empty(0)]
        leaves = np.flatnonzero(leaf)
        current = leaves.copy()
        while True:
            up = parent[current]
            keep = up >= 0
            if not keep.any():
                break
            leaves, current, up = leaves[keep], current[keep], up[keep]
            rows.append(leaves)
            columns.append(to_original[nodes["feature_idx"][up]])
            values.append(expected[current] - expected[up])
            current = up
        self._leaf_table = sparse.csr_matrix(
            (np.concatenate(values), (np.concatenate(rows), np.concatenate(columns))),
            shape=(len(nodes), n_features),
        )
        self._leaf_value = nodes["value"].astype("float64")
        self._n_trees = len(trees)
        self.bias = float(model._baseline_prediction.ravel()[0] + expected[self._offsets].sum())
        self._walk: _LeafWalk | None = None

    def __getstate__(self) -> dict:
        # The walk is derived data: rebuilt on first use instead of doubling the artifact.
        return self.__dict__ | {"_walk": None}

    def __setstate__(self, state: dict) -> None:
        state.pop("_locators", None)  # what artifacts written before the walk kept instead
        self.__dict__.update(state, _walk=None)

    def _leaf_walk(self) -> _LeafWalk:
        if self._walk is None:
            self._walk = _LeafWalk(self._model, self._offsets, self._leaf_table, self._leaf_value)
        return self._walk

    def prepared(self, X: np.ndarray) -> np.ndarray:
        """What the model's own preprocessing makes of X, done directly: categories become the
        codes its OrdinalEncoder learned (unknown or missing: NaN), categorical columns first.
        Through its ColumnTransformer, input checks cost ~2 ms a call, more than one order's trees.
        """
        model = self._model
        if model._preprocessor is None:
            return np.asarray(X, dtype=np.float64)
        categorical = model.is_categorical_
        out = np.empty(X.shape, dtype=np.float64)
        levels_of = model._preprocessor.named_transformers_["encoder"].categories_
        for position, (column, levels) in enumerate(zip(np.flatnonzero(categorical), levels_of)):
            code, known = _level_positions(levels, X[:, column])
            out[:, position] = np.where(known, code, np.nan)
        out[:, len(levels_of) :] = X[:, ~categorical]
        return out

    def explain(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        walk = self._leaf_walk()
        leaves = walk.leaves(self.prepared(X))
        n = leaves.shape[0]
        raw = self._model._baseline_prediction.ravel()[0] + walk.value[leaves].sum(axis=1)
        membership = sparse.csr_matrix(
            (np.ones(leaves.size), leaves.ravel(), np.arange(0, leaves.size + 1, self._n_trees)),
            shape=(n, len(walk.value)),
        )
        return raw, membership @ walk.table


class _LeafWalk:
    """The trees as copies whose leaves 'predict' their own number among all the trees' leaves,
    and per leaf its value and dense row of path contributions (leaves x features: a few MB at
    most for the candidates' sizes, and a sparse-times-dense product is 3x the sparse one's speed).

    Explained inputs are small (a request, a fit-check sample), so each tree runs on one thread:
    waking an OpenMP team for every tree cost more than the trees (10 ms against 2 ms for one
    order). A large input's trees are shared with one helper thread instead, tree by tree as each
    thread is free, so a slower or busier core takes fewer; the tree code releases the GIL.
    """

    SHARED_FROM_ROWS = 64
    _helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="explain")

    def __init__(self, model: HistGradientBoostingClassifier, offsets: np.ndarray, table, value: np.ndarray) -> None:
        self._model = model
        trees = [predictor for iteration in model._predictors for predictor in iteration]
        self._locators, leaf_ids, numbered = [], [], 0
        for tree, offset in zip(trees, offsets):
            nodes = tree.nodes.copy()
            leaf = np.flatnonzero(nodes["is_leaf"])
            nodes["value"][leaf] = numbered + np.arange(len(leaf))
            numbered += len(leaf)
            leaf_ids.append(leaf + offset)
            self._locators.append(TreePredictor(nodes, tree.binned_left_cat_bitsets, tree.raw_left_cat_bitsets))
        leaf_ids = np.concatenate(leaf_ids)
        self.value = value[leaf_ids]
        self.table = _dense(table[leaf_ids])

    def leaves(self, prepared: np.ndarray) -> np.ndarray:
        """Per row and tree, the number of the leaf the row lands in."""
        known_categories, category_map = self._model._bin_mapper.make_known_categories_bitsets()
        leaves = np.empty((prepared.shape[0], len(self._locators)), dtype=np.int64)
        trees = iter(range(len(self._locators)))  # shared: each thread takes the next tree left

        def walk() -> None:
            for k in trees:
                leaves[:, k] = self._locators[k].predict(prepared, known_categories, category_map, 1)

        if prepared.shape[0] < self.SHARED_FROM_ROWS:
            walk()
            return leaves
        helped = self._helper.submit(walk)
        walk()
        helped.result()
        return leaves


def _boosting_feature_map(model: HistGradientBoostingClassifier) -> np.ndarray:
    """HGB reorders columns (categoricals first) when it encodes categories itself; undo that."""
    n = model.n_features_in_
    if model._preprocessor is None:
        return np.arange(n)
    mapping = np.full(n, -1)
    for name, _, columns in model._preprocessor.transformers_:
        span = model._preprocessor.output_indices_[name]
        mapping[span] = np.flatnonzero(columns) if np.asarray(columns).dtype == bool else columns
    return mapping


def _dense(matrix) -> np.ndarray:
    return matrix.toarray() if sparse.issparse(matrix) else np.asarray(matrix)


def explainer_for(estimator, X_fit: np.ndarray) -> LinearExplainer | TreeExplainer:
    """Build the explainer and prove on the fit data that bias + contributions equal the logit."""
    if isinstance(estimator, Pipeline):
        explainer: LinearExplainer | TreeExplainer = LinearExplainer(estimator, X_fit)
    else:
        explainer = TreeExplainer(estimator, X_fit.shape[1])
    sample = X_fit[: min(len(X_fit), 2000)]
    raw, contributions = explainer.explain(sample)
    expected = estimator.decision_function(sample)
    gap = max(
        float(np.max(np.abs(raw - expected), initial=0.0)),
        float(np.max(np.abs(explainer.bias + contributions.sum(axis=1) - expected), initial=0.0)),
    )
    if gap > RAW_TOLERANCE:
        raise RuntimeError(f"explanations do not reproduce the model's scores (gap {gap:.2e})")
    return explainer


def probability_impacts(raw: np.ndarray, contributions: np.ndarray) -> np.ndarray:
    return expit(raw)[:, None] - expit(raw[:, None] - contributions)


def top_reasons(
    features: Columns,
    names: list[str],
    raw: np.ndarray,
    contributions: np.ndarray,
    count: int = 3,
    missing: np.ndarray | None = None,
) -> list[list[dict]]:
    """The `count` features that moved each order's probability most, in plain English.

    `names` are the features of the columns of `contributions`; their original (un-encoded) values
    are read from `features` (a name it lacks: unknown). Each feature shown is converted and
    formatted once for all the orders it is a reason of: per reason, only the dict and its
    sentence are built.

    `missing` (orders x features) marks absent values: an absence is never given as a reason to
    invoice (that nothing is known about a customer's Serasa record is no argument for trusting
    it): such a reason is ranked last and left out, so an order may have fewer than `count`.
    One that lowered the chance is said as such ("none on record"), not as a value.
    """
    impacts = probability_impacts(raw, contributions)
    count = min(count, impacts.shape[1])
    if count == 0:
        return [[] for _ in raw]
    strength = np.abs(impacts)
    if missing is not None:
        strength[missing & (impacts >= 0)] = -1.0  # ranked last, and dropped below
    top = np.argpartition(-strength, count - 1, axis=1)[:, :count]
    order = np.argsort(-np.take_along_axis(strength, top, axis=1), axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)
    impact = np.round(np.take_along_axis(impacts, top, axis=1), 6).ravel()
    top = top.ravel()  # reason i: order i // count's (i % count + 1)-th
    by_feature = np.argsort(top, kind="stable")
    starts = np.flatnonzero(np.diff(top[by_feature], prepend=-1))
    reasons: list[dict | None] = [None] * len(top)
    dropped = False
    for f, positions in zip(top[by_feature[starts]].tolist(), np.split(by_feature, starts[1:])):
        name = names[f]
        rows = positions // count
        values, shown = _shown(np.asarray(features[name])[rows] if name in features else np.full(len(rows), None))
        label = feature_label(name)
        for position, value, text, change in zip(positions.tolist(), values, shown, impact[positions].tolist()):
            if value is None:
                if change >= 0:
                    dropped = True
                    continue
                sentence = f"{label}: none on record, which lowered the chance of invoicing"
            else:
                sentence = f"{label} ({text}) {'raised' if change >= 0 else 'lowered'} the chance of invoicing"
            reasons[position] = {"feature": name, "description": sentence, "value": value, "impact": change}
    grouped = [reasons[start : start + count] for start in range(0, len(reasons), count)]
    if dropped:
        grouped = [[reason for reason in group if reason is not None] for group in grouped]
    return grouped


def _shown(values: np.ndarray) -> tuple[list, list[str]]:
    """JSON-able scalars (whole numbers as int, other numbers as float, NaN/None/NA as None) and
    how a sentence shows each ("1,234", "0.38", "yes", "unknown")."""
    if values.dtype.kind in "fiu":
        numbers = values.astype("float64")
        whole = np.isfinite(numbers) & (numbers == np.trunc(numbers)) & (np.abs(numbers) < 2**53)
        plain = numbers.astype(object)
        plain[whole] = numbers[whole].astype(np.int64).astype(object)
        plain[np.isnan(numbers)] = None
        plain = plain.tolist()
    else:
        plain = [_plain(value) for value in values]
    return plain, [_FORMATS[type(value)](value) for value in plain]


def _plain(value: object) -> object:
    """JSON-able scalar: numpy numbers to Python, NaN/None/NA to None."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if math.isnan(number):
            return None
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return str(value)


_FORMATS = {
    type(None): lambda value: "unknown",
    bool: lambda value: "yes" if value else "no",
    int: lambda value: f"{value:,}",
    float: lambda value: f"{value:,.2f}",
    str: str,
}
