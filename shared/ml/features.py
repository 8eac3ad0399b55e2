"""Point-in-time features: for an order at t, only what was known strictly before t.

`HistoryIndex` prepares a tenant's history once (each dataset in (customer, time) order, the
order ledger's running sums, the attributes flattened); features for any orders are then
lookups, which is what lets scoring keep one index per tenant and answer a request without
touching the history again. Counts that can be known to be zero are zero; context that does not
exist (no limit in force, no Serasa query, no labeled earlier order, no customer_since) stays NaN
and the models handle it; ratios to a zero limit are NaN too, `credit_limit` = 0 carries that
case. Every feature depends only on the order's own customer, so a history restricted to the
customers being scored gives the same values as the full one.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from shared.ml.frames import (
    DATASET_COLUMNS,
    SERASA_AMOUNT_COLUMNS,
    SERASA_COUNT_COLUMNS,
    Columns,
    FrameLike,
    TenantHistory,
    normalise_orders,
)
from shared.ml.lookups import Join, Timeline, last, take

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
    """`HistoryIndex(history).features(...)` of `orders`, by default of the stored orders."""
    index = HistoryIndex(history)
    return index.features(history.orders if orders is None else normalise_orders(orders))


class HistoryIndex:
    """A tenant's history prepared for point-in-time lookups; it keeps no reference to the history."""

    def __init__(
        self,
        history: TenantHistory,
        previous: HistoryIndex | None = None,
        rewritten: Mapping[str, tuple[pd.DataFrame, pd.DataFrame]] | None = None,
    ) -> None:
        """`previous`: an index of this history as it was before the `rewritten` rows (per
        dataset: the rows taken out and the rows put in, as `TenantHistory.replaced` gives them).
        While no customer comes in, the customer codes stay its own, and so can the lookups over
        the datasets not rewritten; rewritten orders are added to and taken from its ledger, so a
        batch of orders costs about what it brought (`_RewrittenOrders`)."""
        frames = dict(zip(DATASET_COLUMNS, history.frames))
        rewritten = rewritten or {}
        owners: dict[str, np.ndarray] = {}
        if previous is not None and all(previous._knows(rows["customer_id"]) for _, rows in rewritten.values()):
            self._ids, kept = previous._ids, set(frames) - set(rewritten)
        else:
            previous, kept = None, set()
            customer_ids = [frame["customer_id"].to_numpy(dtype=object) for frame in frames.values()]
            codes, ids = pd.factorize(np.concatenate(customer_ids))
            self._ids = pd.Index(ids, dtype=object)
            owners = dict(zip(frames, np.split(codes, np.cumsum([len(part) for part in customer_ids])[:-1])))

        def owner(name: str) -> np.ndarray:
            return owners[name] if owners else _positions(self._ids, frames[name]["customer_id"])

        n_codes = len(self._ids)
        self.rows = sum(len(frame) for frame in frames.values())
        if previous is not None:
            self._customers, self._limits, self._serasa = previous._customers, previous._limits, previous._serasa
            self._ledger: _PriorOrders = previous._ledger
        if "customers" not in kept:
            self._customers = _Customers(frames["customers"], owner("customers"), n_codes)
        if "credit_limits" not in kept:
            self._limits = _CreditLimits(frames["credit_limits"], owner("credit_limits"))
        if "serasa_queries" not in kept:
            self._serasa = _SerasaQueries(frames["serasa_queries"], owner("serasa_queries"))
        if "orders" not in kept:
            patched = previous is not None and _RewrittenOrders.after(previous._ledger, *rewritten["orders"], self._ids)
            self._ledger = patched or _OrderLedger(frames["orders"], owner("orders"), n_codes)

    def _knows(self, customer_ids: Iterable[str]) -> bool:
        return bool((_positions(self._ids, customer_ids) >= 0).all())

    def _codes(self, customer_ids: Iterable[str]) -> np.ndarray:
        """Customer codes; a customer with no stored row gets one that matches no row."""
        codes = _positions(self._ids, customer_ids)
        return np.where(codes >= 0, codes, len(self._ids))

    def has_customers(self, customer_ids: Iterable[str]) -> list[bool]:
        """Per id, whether the customers dataset has the customer."""
        return [customer_id in self._known_customers for customer_id in customer_ids]

    @functools.cached_property
    def _known_customers(self) -> frozenset[str]:
        # Built on first use; a request then asks per order without another code lookup.
        return frozenset(self._ids[self._customers.has(np.arange(len(self._ids)))])

    def features(self, orders: Columns) -> pd.DataFrame:
        """One row per order (index `order_id`, same order as given) with the point-in-time features.

        `orders` are normalised: a `normalise_orders` frame or a mapping of the same columns as
        arrays of those dtypes. Orders that are not the stored ones are each blind to the stored
        row with their own order_id and to each other (a prediction never depends on which other
        orders came in the same request).
        """
        index = pd.Index(np.asarray(orders["order_id"], dtype=object), name="order_id")
        return pd.DataFrame(self.columns(orders), index=index)

    def columns(self, orders: Columns) -> dict[str, np.ndarray]:
        """`features` as an array per feature: scoring a request needs no frame, whose building
        and per-column access cost a tenth of the request."""
        cust = self._codes(orders["customer_id"])
        t = _ns(orders["ordered_at"])
        amount = np.asarray(orders["amount"], dtype="float64")
        columns: dict[str, np.ndarray] = {
            "amount": amount,
            "payment_term_days": np.asarray(orders["payment_term_days"], dtype="float64"),
            "channel": np.asarray(orders["channel"], dtype=object),
        }
        customer_columns, customer_attributes = self._customers.at(cust, t)
        columns |= customer_columns
        limit = self._limits.at(cust, t)
        serasa_columns, serasa_attributes = self._serasa.at(cust, t)
        prior = self._ledger.before(orders["order_id"], cust, t)

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
        features = {name: columns[name] for name in FEATURE_LABELS} | customer_attributes
        order_attributes = _pick(_flatten(np.asarray(orders["attributes"], dtype=object)), "order_attr_")
        return features | order_attributes | serasa_attributes


def _positions(index: pd.Index, values: Iterable[str]) -> np.ndarray:
    """`index.get_indexer(values)`, asked with an object Index: a bare array of text is first
    inferred to be pandas' string dtype, which cost more than the lookup itself."""
    return index.get_indexer(pd.Index(np.asarray(values, dtype=object), dtype=object, copy=False))


def _ns(values: pd.Series | np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[ns]").view("int64")


class _Customers:
    """The customer's row (the last one given, if repeated); tenure counts from customer_since."""

    def __init__(self, customers: pd.DataFrame, owner: np.ndarray, n_codes: int) -> None:
        kept = np.sort(len(owner) - 1 - np.unique(owner[::-1], return_index=True)[1])
        self._position = np.full(n_codes + 1, -1)
        self._position[owner[kept]] = np.arange(len(kept))
        since = customers["customer_since"]
        self._since = np.where(since.notna().to_numpy(), _ns(since), np.nan)[kept]
        self._segment = customers["segment"].to_numpy(dtype=object)[kept]
        self._state = customers["state"].to_numpy(dtype=object)[kept]
        self._attributes = _flatten(customers["attributes"].to_numpy(dtype=object)[kept])

    def has(self, cust: np.ndarray) -> np.ndarray:
        return self._position[cust] >= 0

    def at(self, cust: np.ndarray, t: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        rows = self._position[cust]
        columns = {
            "customer_segment": take(self._segment, rows, None),
            "customer_state": take(self._state, rows, None),
            "customer_tenure_days": (t - take(self._since, rows)) / DAY_NS,
        }
        return columns, _pick(self._attributes, "customer_attr_", rows)


class _CreditLimits:
    """Limit with valid_from <= day(t) <= valid_until; overlapping ones: the latest valid_from wins.

    The in-force limit only changes where some limit starts or ends, so it is resolved once per
    such boundary (against the other limits of the same customer) and orders are matched to the
    last boundary on or before their day.
    """

    def __init__(self, limits: pd.DataFrame, owner: np.ndarray) -> None:
        start = _ns(limits["valid_from"])
        until = limits["valid_until"]
        end = np.where(until.isna().to_numpy(), NO_END, _ns(until) + DAY_NS)
        value = limits["limit"].to_numpy(dtype="float64")
        finite = end != NO_END
        boundary_cust = np.concatenate([owner, owner[finite]])
        boundary_at = np.concatenate([start, end[finite]])

        boundary, limit = Join(owner).pairs(boundary_cust)  # a customer has few limits
        active = (start[limit] <= boundary_at[boundary]) & (boundary_at[boundary] < end[limit])
        boundary, limit = boundary[active], limit[active]
        # Per boundary, the active limit with the latest valid_from (equal ones: the later row).
        ranked = np.lexsort((limit, start[limit], boundary))
        boundary, limit = boundary[ranked], limit[ranked]
        final = np.ones(len(boundary), dtype=bool)
        final[:-1] = boundary[1:] != boundary[:-1]
        resolved = np.full(len(boundary_at), np.nan)
        resolved[boundary[final]] = value[limit[final]]

        self._timeline = Timeline(boundary_cust, boundary_at)
        self._resolved = resolved[self._timeline.order]

    def at(self, cust: np.ndarray, t: np.ndarray) -> np.ndarray:
        found = last(*self._timeline.span(cust, t // DAY_NS * DAY_NS, strict=False))
        return take(self._resolved, found)


class _SerasaQueries:
    """Latest query strictly before t, and how many fell in [t - 90 days, t)."""

    FIELDS = ("score", *SERASA_COUNT_COLUMNS, *SERASA_AMOUNT_COLUMNS)

    def __init__(self, queries: pd.DataFrame, owner: np.ndarray) -> None:
        self._timeline = Timeline(owner, _ns(queries["queried_at"]))
        order = self._timeline.order
        self._values = np.column_stack([queries[name].to_numpy(dtype="float64") for name in self.FIELDS])[order]
        # float arithmetic, as for tenure: the same expression whether or not every order has a query
        self._at = self._timeline.at.astype("float64")
        self._attributes = _pick(_flatten(queries["attributes"].to_numpy(dtype=object)), "", order)

    def at(self, cust: np.ndarray, t: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        begin, end = self._timeline.span(cust, t, strict=True)
        window_start = self._timeline.span(cust, t - SERASA_WINDOW_NS, strict=True)[1]
        latest = last(begin, end)
        values = take(self._values, latest)
        columns = {f"serasa_{name}": values[:, position] for position, name in enumerate(self.FIELDS)}
        columns["serasa_days_since_query"] = (t - take(self._at, latest)) / DAY_NS
        columns["serasa_queries_90d"] = (end - window_start).astype("float64")
        return columns, _pick(self._attributes, "serasa_attr_", latest)


class _PriorOrders:
    """What an order's features read from the customer's stored orders placed strictly before t,
    from `sums`: per order, [count, labeled, invoiced, amount, open amount, open count] with
    amounts in cents, so every sum is a whole number, whatever order it was added up in."""

    def sums(self, order_ids: Iterable[str], cust: np.ndarray, t: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def before(self, order_ids: Iterable[str], cust: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        count, labeled, invoiced, cents, open_cents, open_orders = self.sums(order_ids, cust, t).T
        return {
            "count": count,
            "labeled": labeled,
            "invoiced": invoiced,
            "amount_sum": cents / 100,
            "open_exposure": open_cents / 100,
            "open_orders": open_orders,
        }


class _OrderLedger(_PriorOrders):
    """Counts, labels and open exposure of the customer's stored orders placed strictly before t.

    Open exposure = invoiced orders with a term whose due time (ordered_at + term) is after t:
    the cumulative amount ordered before t minus the cumulative amount already due by t.
    Term-0 orders are due when placed, so they are never open.
    """

    OPEN = slice(4, 6)  # of the summed columns, the part that is settled when due

    def __init__(self, orders: pd.DataFrame, owner: np.ndarray, n_codes: int) -> None:
        label = orders["invoiced"]
        invoiced = label.to_numpy(dtype=bool, na_value=False)
        cents = np.round(orders["amount"].to_numpy(dtype="float64") * 100)
        term = orders["payment_term_days"].to_numpy(dtype="int64")
        opens = invoiced & (term > 0)
        self.rows = len(owner)
        self._owner = owner
        self._placed_at = _ns(orders["ordered_at"])
        self._due_at = self._placed_at + term * DAY_NS
        # count, labeled, invoiced, amount | open amount, open count
        labeled = ~label.isna().to_numpy()
        stored = np.column_stack([np.ones(len(owner)), labeled, invoiced, cents, np.where(opens, cents, 0.0), opens])
        self._stored = stored.astype("float64", copy=False)

        # One ledger, so one sort and one running sum: every order when placed, and every open one
        # again when due (its open part only), under a second group of its customer.
        self._due = n_codes + 1
        settling = np.zeros((opens.sum(), stored.shape[1]))
        settling[:, self.OPEN] = self._stored[opens, self.OPEN]
        self._timeline = Timeline(
            np.concatenate([owner, owner[opens] + self._due]), np.concatenate([self._placed_at, self._due_at[opens]])
        )
        self._running = self._timeline.running(np.vstack([self._stored, settling]))
        codes, ids = pd.factorize(orders["order_id"].to_numpy(dtype=object))
        self._order_ids = pd.Index(ids, dtype=object)
        self._twins = Join(codes)

    def sums(self, order_ids: Iterable[str], cust: np.ndarray, t: np.ndarray) -> np.ndarray:
        open_part = self.OPEN
        sums = take(self._running, last(*self._timeline.span(cust, t, strict=True)), 0.0)
        settled = take(self._running, last(*self._timeline.span(cust + self._due, t, strict=False)), 0.0)
        sums[:, open_part] -= settled[:, open_part]

        # An order that is also stored must not count itself (it may be stored with an earlier time).
        rows, twins = self._twins.pairs(_positions(self._order_ids, order_ids))
        itself = (cust[rows] == self._owner[twins]) & (self._placed_at[twins] < t[rows])
        rows, twins = rows[itself], twins[itself]
        still_open = self._due_at[twins] > t[rows]
        sums[rows, : open_part.start] -= self._stored[twins, : open_part.start]
        sums[rows, open_part] -= self._stored[twins, open_part] * still_open[:, None]
        return sums


class _RewrittenOrders(_PriorOrders):
    """A ledger and the stored orders rewritten since it was built: its sums, less those of the
    versions of those orders it holds, plus those of their versions now. Every sum is a whole
    number, so this gives exactly what a ledger built anew gives; once the orders rewritten reach
    REWRITTEN_SHARE of the ledger's, it is built anew instead."""

    REWRITTEN_SHARE = 1 / 8

    def __init__(self, base: _OrderLedger, old: pd.DataFrame, new: pd.DataFrame, ids: pd.Index) -> None:
        self.base, self.old, self.new = base, old, new
        n_codes = len(ids)
        self._old = _OrderLedger(old, _positions(ids, old["customer_id"]), n_codes)
        self._new = _OrderLedger(new, _positions(ids, new["customer_id"]), n_codes)

    @classmethod
    def after(
        cls, ledger: _PriorOrders, gone: pd.DataFrame, came: pd.DataFrame, ids: pd.Index
    ) -> _RewrittenOrders | None:
        """`ledger` with the orders `gone` (the versions it holds) replaced by those that `came`;
        None when that is no longer the cheaper way."""
        if isinstance(ledger, _RewrittenOrders):
            base, old, new = ledger.base, ledger.old, ledger.new
        else:
            base, old, new = ledger, gone.iloc[:0], gone.iloc[:0]
        # The base's version of an order rewritten before is already in `old`.
        old = pd.concat([old, gone.loc[~gone["order_id"].isin(new["order_id"])]], ignore_index=True)
        new = pd.concat([new.loc[~new["order_id"].isin(came["order_id"])], came], ignore_index=True)
        if len(old) + len(new) > cls.REWRITTEN_SHARE * base.rows:
            return None
        return cls(base, old, new, ids)

    def sums(self, order_ids: Iterable[str], cust: np.ndarray, t: np.ndarray) -> np.ndarray:
        order_ids = np.asarray(order_ids, dtype=object)
        held = self.base.sums(order_ids, cust, t)
        return held - self._old.sums(order_ids, cust, t) + self._new.sums(order_ids, cust, t)


# Attribute texts repeat (a handful of sectors, flags and small counts), so most parses are
# lookups. The dicts are shared: they are only read.
_parsed = functools.lru_cache(maxsize=65_536)(json.loads)


def _flatten(values: np.ndarray) -> dict[str, np.ndarray]:
    """`attributes` (dicts or JSON text) as one array per name (sorted), an entry per value
    (missing where it has none); nothing when no value has any.

    The text is parsed a chunk at a time: a dict for each of a million orders at once would be
    the training job's memory peak.
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
    rows = None
    if len(present) < len(values):
        rows = np.full(len(values), -1)
        rows[present] = np.arange(len(present))
    return _pick({name: flat[name].to_numpy() for name in sorted(flat.columns)}, "", rows)


def _pick(flat: dict[str, np.ndarray], prefix: str, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Entries of `_flatten` arrays (-1: a missing one; None: all), names prefixed.

    Which rows are picked never changes the names, only, where one is missing, the dtype of
    those that cannot hold a missing value (as pandas' reindex: integers become floats,
    booleans objects).
    """
    if rows is None:
        return {prefix + name: values for name, values in flat.items()}
    found = rows >= 0
    if found.all():
        return {prefix + name: values[rows] for name, values in flat.items()}
    picked = {}
    for name, values in flat.items():
        out = np.full(len(rows), np.nan, dtype="float64" if values.dtype.kind in "iuf" else object)
        out[found] = values[rows[found]]
        picked[prefix + name] = out
    return picked
