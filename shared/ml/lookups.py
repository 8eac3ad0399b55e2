"""Vectorised "rows of this customer up to time t" lookups, the machinery of point-in-time features.

Each dataset is put in (customer, time) order once; "the customer's rows before t" is then one
binary search per query, and sums over those rows are per-customer running sums read at the row
found. So a million orders cost a handful of sorts, never a Python loop per order, and a prepared
dataset answers a few orders with a few small numpy calls.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


class Timeline:
    """A dataset's rows sorted by (customer, time), for "the customer's rows up to t" lookups.

    Customer and time are packed into one sortable integer: customer * n + the rank of the time
    among the rows' distinct times (odd: one of them, even: between two), so one `searchsorted`
    answers for every customer at once. Customers are integer codes; a code above every row's
    matches no row.
    """

    def __init__(self, cust: np.ndarray, at: np.ndarray) -> None:
        self._times, ranks = np.unique(at, return_inverse=True)
        self._width = 2 * len(self._times) + 1
        packed = cust * self._width + 2 * ranks + 1
        self.order = np.argsort(packed, kind="stable")  # rows with equal times keep their given order
        self._rows = packed[self.order]
        self.cust = cust[self.order]
        self.at = at[self.order]

    def span(self, cust: np.ndarray, at: np.ndarray, *, strict: bool) -> tuple[np.ndarray, np.ndarray]:
        """Per query, [begin, end) in timeline order: its customer's rows with time < at (strict) or <= at."""
        # Every search runs over queries in sorted order, each one starting where the previous one
        # ended: in random order, the binary searches of a million orders cost more than the rest.
        by_time = np.argsort(at)
        earlier = np.empty(len(at), dtype="int64")
        earlier[by_time] = np.searchsorted(self._times, at[by_time])
        known = earlier < len(self._times)
        exact = np.zeros(len(at), dtype="int64")
        exact[known] = self._times[earlier[known]] == at[known]
        queries = cust * self._width + 2 * earlier + exact
        by_query = np.argsort(queries)
        begin, end = np.empty_like(queries), np.empty_like(queries)
        begin[by_query] = np.searchsorted(self.cust, cust[by_query], "left")
        end[by_query] = np.searchsorted(self._rows, queries[by_query], "left" if strict else "right")
        return begin, end

    def running(self, values: np.ndarray) -> np.ndarray:
        """Per-customer running sums of the columns of `values` (rows in given order), in timeline
        order: the row at a span's end holds the sums over the span. pandas' grouped cumsum
        compensates rounding, so long histories do not drift."""
        return pd.DataFrame(values[self.order]).groupby(self.cust, sort=False).cumsum().to_numpy()


class Join:
    """Equi-join of integer keys against one fixed side, sorted once."""

    def __init__(self, right: np.ndarray) -> None:
        self._by_key = np.argsort(right, kind="stable")
        self._sorted = right[self._by_key]

    def pairs(self, left: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every (i, j) with left[i] == right[j]."""
        first = np.searchsorted(self._sorted, left, "left")
        size = np.searchsorted(self._sorted, left, "right") - first
        i = np.repeat(np.arange(len(left)), size)
        return i, self._by_key[np.repeat(first - np.cumsum(size) + size, size) + np.arange(len(i))]


def last(begin: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The last row of each span (timeline position), -1 for an empty one."""
    return np.where(end > begin, end - 1, -1)


def take(values: np.ndarray, rows: np.ndarray, empty: object = np.nan) -> np.ndarray:
    """values[rows] (rows of a matrix), `empty` where rows is -1."""
    found = rows >= 0
    dtype = object if values.dtype == object else np.result_type(values, type(empty))
    out = np.full((len(rows), *values.shape[1:]), empty, dtype=dtype)
    out[found] = values[rows[found]]
    return out
