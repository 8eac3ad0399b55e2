"""Point-in-time features: for an order at t, only what was known strictly before t.

Each dataset is put in (customer, time) order once (`_Timeline`); "the customer's rows before t"
is then one binary search per order, and sums over those rows are per-customer running sums read
at the row found. So a million orders cost a handful of sorts, never a Python loop per order, and
one order costs a few dozen small numpy calls rather than pandas joins, whose fixed cost per call
dominated the prediction path. Counts that can be known to be zero are zero; context that does not
exist (no limit in force, no Serasa query, no labeled earlier order, no customer_since) stays NaN
and the models handle it; ratios to a zero limit are NaN too, `credit_limit` = 0 carries that
case. Every feature depends only on the order's own customer, so a history restricted to the
customers being scored gives the same values as the full one.
"""

from __future__ import annotations

import functools
import json

import numpy as np
import pandas as pd

from shared.ml.frames import (
    SERASA_AMOUNT_COLUMNS,
    SERASA_COUNT_COLUMNS,
    FrameLike,
    TenantHistory,
    normalise_orders,
)

DAY_NS = 86_400 * 10**9
SERASA_WINDOW_NS = 90 * DAY_NS
NO_END = np.iinfo(np.int64).max
ATTRIBUTE_CHUNK = 100_000

CATEGORICAL = "categorical"
NUMERIC = "numeric"
BASE_CATEGORICAL = ("channel", "customer_segment", "customer_state")
ATTRIBUTE_PREFIXES = {"customer_attr_": "customer", "order_attr_": "order", "serasa_attr_": "Serasa query"}

FEATURE_LABELS = {
    "amount": "Order amount",
    "payment_term_days": "Payment term in days",
    "channel": "Sales channel",
    "customer_segment": "Customer segment",
    "customer_state": "Customer state",
    "customer_tenure_days": "Days as a customer",
    "credit_limit": "Credit limit in force",
    "amount_to_limit": "Order amount as a share of the credit limit",
    "open_exposure": "Invoiced amount not yet due",
    "open_orders": "Invoiced orders not yet due",
    "exposure_to_limit": "Amount not yet due as a share of the credit limit",
    "utilisation_after_order": "Credit limit used including this order",
    "serasa_score": "Serasa score",
    "serasa_negative_records": "Serasa negative records",
    "serasa_negative_amount": "Serasa negative records amount",
    "serasa_protests": "Serasa protests",
    "serasa_protests_amount": "Serasa protests amount",
    "serasa_bounced_checks": "Serasa bounced checks",
    "serasa_lawsuits": "Serasa lawsuits",
    "serasa_bankruptcy_filings": "Serasa bankruptcy filings",
    "serasa_days_since_query": "Days since the last Serasa query",
    "serasa_queries_90d": "Serasa queries in the last 90 days",
    "prior_orders": "Previous orders of the customer",
    "prior_refused_orders": "Previous orders refused",
    "prior_invoice_rate": "Share of previous orders invoiced",
    "prior_average_amount": "Average amount of previous orders",
    "amount_to_prior_average": "Order amount relative to the customer's average",
}
# What another order's features read from a stored order: its channel and attributes only
# describe the order itself, so a scoring context can leave them out.
CONTEXT_ORDER_COLUMNS = ("order_id", "customer_id", "ordered_at", "amount", "payment_term_days", "invoiced")
_NUMERIC_INFERRED = {"integer", "floating", "mixed-integer-float", "boolean", "decimal", "empty"}


def feature_label(name: str) -> str:
    """Plain-English name of a feature, attributes included (e.g. "Customer attribute 'sector'")."""
    if name in FEATURE_LABELS:
        return FEATURE_LABELS[name]
    for prefix, owner in ATTRIBUTE_PREFIXES.items():
        if name.startswith(prefix):
            return f"{owner.capitalize()} attribute '{name.removeprefix(prefix)}'"
    return name.replace("_", " ").capitalize()


def feature_kind(name: str, values: pd.Series) -> str:
    """Attributes are numeric only when every present value is a number or boolean."""
    if name in BASE_CATEGORICAL:
        return CATEGORICAL
    if name.startswith(tuple(ATTRIBUTE_PREFIXES)):
        inferred = pd.api.types.infer_dtype(values, skipna=True)
        return NUMERIC if inferred in _NUMERIC_INFERRED else CATEGORICAL
    return NUMERIC


def build_features(history: TenantHistory, orders: FrameLike = None) -> pd.DataFrame:
    """One row per order (index `order_id`, same order as given) with the point-in-time features.

    `orders` defaults to the stored orders; otherwise they are request orders scored against the
    stored history, each one blind to the stored row with its own order_id and to each other (a
    prediction never depends on which other orders came in the same request).
    """
    requests = history.orders if orders is None else normalise_orders(orders)
    sources = (requests, history.customers, history.credit_limits, history.serasa_queries, history.orders)
    codes, ids = pd.factorize(np.concatenate([frame["customer_id"].to_numpy(dtype=object) for frame in sources]))
    cust, *customers_of = np.split(codes, np.cumsum([len(frame) for frame in sources])[:-1])
    t = _ns(requests["ordered_at"])
    amount = requests["amount"].to_numpy(dtype="float64")
    columns: dict[str, np.ndarray] = {
        "amount": amount,
        "payment_term_days": requests["payment_term_days"].to_numpy(dtype="float64"),
        "channel": requests["channel"].to_numpy(dtype=object),
    }
    customer_columns, customer_attributes = _customer_context(history.customers, customers_of[0], len(ids), cust, t)
    columns |= customer_columns
    limit = _limit_in_force(history.credit_limits, customers_of[1], cust, t)
    serasa_columns, serasa_attributes = _serasa_context(history.serasa_queries, customers_of[2], cust, t)
    prior = _prior_orders(history.orders, customers_of[3], requests, cust, t)

    with np.errstate(divide="ignore", invalid="ignore"):
        usable_limit = np.where(limit > 0, limit, np.nan)
        exposure = prior["open_exposure"]
        columns |= {
            "credit_limit": limit,
            "amount_to_limit": amount / usable_limit,
            "open_exposure": exposure,
            "open_orders": prior["open_orders"],
            "exposure_to_limit": exposure / usable_limit,
            "utilisation_after_order": (exposure + amount) / usable_limit,
        }
        columns |= serasa_columns
        labeled = prior["labeled"]
        average = prior["amount_sum"] / np.where(prior["count"] > 0, prior["count"], np.nan)
        columns |= {
            "prior_orders": prior["count"],
            "prior_refused_orders": labeled - prior["invoiced"],
            "prior_invoice_rate": prior["invoiced"] / np.where(labeled > 0, labeled, np.nan),
            "prior_average_amount": average,
            "amount_to_prior_average": amount / average,
        }
    attributes = [
        customer_attributes,
        _attributes(requests["attributes"].to_numpy(dtype=object), "order_attr_"),
        serasa_attributes,
    ]
    features = pd.concat(
        [pd.DataFrame({name: columns[name] for name in FEATURE_LABELS}), *(a for a in attributes if a.shape[1])],
        axis=1,
    )
    features.index = pd.Index(requests["order_id"].to_numpy(dtype=object), name="order_id")
    return features


def _ns(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype="datetime64[ns]").view("int64")


class _Timeline:
    """A dataset's rows sorted by (customer, time), for "the customer's rows up to t" lookups.

    Customer and time are packed into one sortable integer: customer * n + the rank of the time
    among the rows' distinct times (odd: one of them, even: between two), so one `searchsorted`
    answers for every customer at once.
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


def _pairs(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (i, j) with left[i] == right[j], for integer keys: an equi-join without a DataFrame."""
    by_key = np.argsort(right, kind="stable")
    first = np.searchsorted(right[by_key], left, "left")
    size = np.searchsorted(right[by_key], left, "right") - first
    i = np.repeat(np.arange(len(left)), size)
    return i, by_key[np.repeat(first - np.cumsum(size) + size, size) + np.arange(len(i))]


def _last(begin: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The last row of each span (timeline position), -1 for an empty one."""
    return np.where(end > begin, end - 1, -1)


def _take(values: np.ndarray, rows: np.ndarray, empty: object = np.nan) -> np.ndarray:
    """values[rows] (rows of a matrix), `empty` where rows is -1."""
    found = rows >= 0
    dtype = object if values.dtype == object else np.result_type(values, type(empty))
    out = np.full((len(rows), *values.shape[1:]), empty, dtype=dtype)
    out[found] = values[rows[found]]
    return out


def _customer_context(
    customers: pd.DataFrame, owner: np.ndarray, n_ids: int, cust: np.ndarray, t: np.ndarray
) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """The customer's row (the last one given, if repeated); tenure counts from customer_since."""
    kept = np.sort(len(owner) - 1 - np.unique(owner[::-1], return_index=True)[1])
    position = np.full(n_ids, -1)
    position[owner[kept]] = np.arange(len(kept))
    rows = position[cust]
    since = customers["customer_since"]
    since = np.where(since.notna().to_numpy(), _ns(since), np.nan)[kept]
    columns = {
        "customer_segment": _take(customers["segment"].to_numpy(dtype=object)[kept], rows, None),
        "customer_state": _take(customers["state"].to_numpy(dtype=object)[kept], rows, None),
        "customer_tenure_days": (t - _take(since, rows)) / DAY_NS,
    }
    return columns, _attributes(customers["attributes"].to_numpy(dtype=object)[kept], "customer_attr_", rows)


def _limit_in_force(limits: pd.DataFrame, owner: np.ndarray, cust: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Limit with valid_from <= day(t) <= valid_until; overlapping ones: the latest valid_from wins.

    The in-force limit only changes where some limit starts or ends, so it is resolved once per
    such boundary (against the other limits of the same customer) and orders are matched to the
    last boundary on or before their day.
    """
    start = _ns(limits["valid_from"])
    until = limits["valid_until"]
    end = np.where(until.isna().to_numpy(), NO_END, _ns(until) + DAY_NS)
    value = limits["limit"].to_numpy(dtype="float64")
    finite = end != NO_END
    boundary_cust = np.concatenate([owner, owner[finite]])
    boundary_at = np.concatenate([start, end[finite]])

    boundary, limit = _pairs(boundary_cust, owner)  # a customer has few limits
    active = (start[limit] <= boundary_at[boundary]) & (boundary_at[boundary] < end[limit])
    boundary, limit = boundary[active], limit[active]
    # Per boundary, the active limit with the latest valid_from (equal ones: the later row).
    ranked = np.lexsort((limit, start[limit], boundary))
    boundary, limit = boundary[ranked], limit[ranked]
    last = np.ones(len(boundary), dtype=bool)
    last[:-1] = boundary[1:] != boundary[:-1]
    resolved = np.full(len(boundary_at), np.nan)
    resolved[boundary[last]] = value[limit[last]]

    timeline = _Timeline(boundary_cust, boundary_at)
    found = _last(*timeline.span(cust, t // DAY_NS * DAY_NS, strict=False))
    return _take(resolved[timeline.order], found)


def _prior_orders(
    context: pd.DataFrame, owner: np.ndarray, requests: pd.DataFrame, cust: np.ndarray, t: np.ndarray
) -> dict[str, np.ndarray]:
    """Counts, labels and open exposure of the customer's stored orders placed strictly before t.

    Open exposure = invoiced orders with a term whose due time (ordered_at + term) is after t:
    the cumulative amount ordered before t minus the cumulative amount already due by t.
    Term-0 orders are due when placed, so they are never open.
    """
    label = context["invoiced"]
    invoiced = label.to_numpy(dtype=bool, na_value=False)
    amount = context["amount"].to_numpy(dtype="float64")
    term = context["payment_term_days"].to_numpy(dtype="int64")
    opens = invoiced & (term > 0)
    placed_at = _ns(context["ordered_at"])
    due_at = placed_at + term * DAY_NS
    # labeled, invoiced, amount | open amount, open count (the part that is settled when due)
    stored = np.column_stack([~label.isna().to_numpy(), invoiced, amount, np.where(opens, amount, 0.0), opens])
    stored = stored.astype("float64", copy=False)
    open_part = slice(3, 5)

    # One ledger, so one sort and one running sum: every order when placed, and every open one
    # again when due (its open part only), under a second group of its customer.
    due = max(owner.max(initial=-1), cust.max(initial=-1)) + 1
    settling = np.zeros((opens.sum(), stored.shape[1]))
    settling[:, open_part] = stored[opens, open_part]
    ledger = _Timeline(np.concatenate([owner, owner[opens] + due]), np.concatenate([placed_at, due_at[opens]]))
    running = ledger.running(np.vstack([stored, settling]))
    begin, end = ledger.span(cust, t, strict=True)
    sums = _take(running, _last(begin, end), 0.0)
    sums[:, open_part] -= _take(running, _last(*ledger.span(cust + due, t, strict=False)), 0.0)[:, open_part]
    count = (end - begin).astype("float64")

    # A request order that is also stored must not count itself (it may be stored with an earlier time).
    requested = requests["order_id"].to_numpy(dtype=object)
    order_codes = pd.factorize(np.concatenate([requested, context["order_id"].to_numpy(dtype=object)]))[0]
    rows, twins = _pairs(order_codes[: len(requested)], order_codes[len(requested) :])
    itself = (cust[rows] == owner[twins]) & (placed_at[twins] < t[rows])
    rows, twins = rows[itself], twins[itself]
    still_open = due_at[twins] > t[rows]
    sums[rows, : open_part.start] -= stored[twins, : open_part.start]
    sums[rows, open_part] -= stored[twins, open_part] * still_open[:, None]
    count[rows] -= 1
    labeled, invoiced_sum, amount_sum, open_amount, open_orders = sums.T
    return {
        "count": count,
        "labeled": labeled,
        "invoiced": invoiced_sum,
        "amount_sum": amount_sum,
        "open_exposure": np.round(open_amount, 2),
        "open_orders": open_orders,
    }


def _serasa_context(
    queries: pd.DataFrame, owner: np.ndarray, cust: np.ndarray, t: np.ndarray
) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """Latest query strictly before t, and how many fell in [t - 90 days, t)."""
    fields = ["score", *SERASA_COUNT_COLUMNS, *SERASA_AMOUNT_COLUMNS]
    timeline = _Timeline(owner, _ns(queries["queried_at"]))
    begin, end = timeline.span(cust, t, strict=True)
    window_start = timeline.span(cust, t - SERASA_WINDOW_NS, strict=True)[1]
    last = _last(begin, end)
    latest = _take(timeline.order, last, -1)
    values = _take(np.column_stack([queries[name].to_numpy(dtype="float64") for name in fields]), latest)
    columns = {f"serasa_{name}": values[:, position] for position, name in enumerate(fields)}
    # float arithmetic, as for tenure: the same expression whether or not every order has a query
    at = _take(timeline.at.astype("float64"), last)
    columns["serasa_days_since_query"] = (t - at) / DAY_NS
    columns["serasa_queries_90d"] = (end - window_start).astype("float64")
    return columns, _attributes(queries["attributes"].to_numpy(dtype=object), "serasa_attr_", latest)


# Attribute texts repeat (a handful of sectors, flags and small counts), so most parses are
# lookups. The dicts are shared: they are only read.
_parsed = functools.lru_cache(maxsize=65_536)(json.loads)


def _attributes(values: np.ndarray, prefix: str, rows: np.ndarray | None = None) -> pd.DataFrame:
    """`attributes` (dicts or JSON text) as prefixed columns (sorted by name), one row per value or per `rows` entry.

    Columns and dtypes come from flattening all of `values`; `rows` then picks rows of it (-1:
    none, a missing row), so which rows are picked never changes the columns. The text is parsed
    a chunk at a time: a dict for each of a million orders at once would be the job's memory peak.
    """
    present = np.flatnonzero(pd.notna(values))
    given = values[present]
    parts = [
        pd.DataFrame.from_records(
            [(_parsed(value) or {}) if isinstance(value, str) else value for value in given[start : start + ATTRIBUTE_CHUNK]]
        )
        for start in range(0, len(given), ATTRIBUTE_CHUNK)
    ]
    flat = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0] if parts else pd.DataFrame()
    if not flat.shape[1]:
        return pd.DataFrame()
    names = sorted(flat.columns)
    flat = flat[names]
    if len(present) < len(values):
        flat.index = present
        flat = flat.reindex(np.arange(len(values)))
    if rows is not None:
        # take keeps the dtypes, as reindex does when it has no missing row to add
        flat = flat.take(rows) if (rows >= 0).all() else flat.reindex(rows)
    flat.columns = [prefix + name for name in names]
    flat.index = pd.RangeIndex(len(flat))
    return flat
