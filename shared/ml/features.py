"""Point-in-time features: for an order at t, only what was known strictly before t.

Everything is computed with sorts, per-customer cumulative sums and `merge_asof` on integer
nanosecond keys, so a million orders cost a handful of vectorised passes, never a Python loop
per order. Counts that can be known to be zero are zero; context that does not exist (no limit
in force, no Serasa query, no labeled earlier order, no customer_since) stays NaN and the models
handle it; ratios to a zero limit are NaN too, `credit_limit` = 0 carries that case. Every feature depends only on the order's own customer, so a history restricted to
the customers being scored gives the same values as the full one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shared.ml.frames import (
    SERASA_AMOUNT_COLUMNS,
    SERASA_COUNT_COLUMNS,
    TenantHistory,
    normalise_orders,
)

DAY_NS = 86_400 * 10**9
SERASA_WINDOW_NS = 90 * DAY_NS
NO_END = np.iinfo(np.int64).max

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


def build_features(history: TenantHistory, orders: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per order (index `order_id`, same order as given) with the point-in-time features.

    `orders` defaults to the stored orders; otherwise they are request orders scored against the
    stored history, each one blind to the stored row with its own order_id and to each other (a
    prediction never depends on which other orders came in the same request).
    """
    requests = history.orders if orders is None else normalise_orders(orders)
    ids = pd.Index(
        pd.unique(
            pd.concat(
                [
                    requests["customer_id"],
                    history.orders["customer_id"],
                    history.credit_limits["customer_id"],
                    history.serasa_queries["customer_id"],
                    history.customers["customer_id"],
                ],
                ignore_index=True,
            )
        )
    )
    t = _ns(requests["ordered_at"])
    left = pd.DataFrame(
        {"row": np.arange(len(requests)), "cust": ids.get_indexer(requests["customer_id"]), "t": t}
    )
    amount = requests["amount"].to_numpy(dtype="float64")
    columns: dict[str, np.ndarray] = {
        "amount": amount,
        "payment_term_days": requests["payment_term_days"].to_numpy(dtype="float64"),
        "channel": requests["channel"].to_numpy(dtype=object),
    }
    customers = _customer_context(history.customers, ids, left)
    columns |= customers.pop("columns")
    limit = _limit_in_force(history.credit_limits, ids, left)
    prior = _prior_orders(history.orders, requests, ids, left)
    serasa = _serasa_context(history.serasa_queries, ids, left)

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
        columns |= serasa.pop("columns")
        labeled = prior["labeled"]
        average = prior["amount_sum"] / np.where(prior["count"] > 0, prior["count"], np.nan)
        columns |= {
            "prior_orders": prior["count"],
            "prior_refused_orders": labeled - prior["invoiced"],
            "prior_invoice_rate": prior["invoiced"] / np.where(labeled > 0, labeled, np.nan),
            "prior_average_amount": average,
            "amount_to_prior_average": amount / average,
        }
    index = pd.Index(requests["order_id"].to_numpy(dtype=object), name="order_id")
    base = pd.DataFrame({name: columns[name] for name in FEATURE_LABELS}, index=index)
    attributes = [
        customers["attributes"],
        _attributes(requests["attributes"], "order_attr_"),
        serasa["attributes"],
    ]
    attributes = [frame.set_axis(index) for frame in attributes if frame.shape[1]]
    return pd.concat([base, *attributes], axis=1) if attributes else base


def _ns(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype="datetime64[ns]").view("int64")


def _asof(
    left: pd.DataFrame, right: pd.DataFrame, left_on: str, right_on: str, *, strict: bool
) -> pd.DataFrame:
    """Per left row, the latest right row of the same customer with key < (strict) or <= left key.

    Returns right's columns aligned to left["row"] (NaN where nothing matched). Ties in right keep
    the last row, which is what the cumulative sums below rely on.
    """
    ordered = left.sort_values(left_on, kind="stable")
    matched = pd.merge_asof(
        ordered[["row", "cust", left_on]],
        right.sort_values(right_on, kind="stable"),
        left_on=left_on,
        right_on=right_on,
        by="cust",
        allow_exact_matches=not strict,
        direction="backward",
    )
    return matched.set_index("row").reindex(np.arange(len(left)))


def _customer_context(customers: pd.DataFrame, ids: pd.Index, left: pd.DataFrame) -> dict:
    customers = customers.drop_duplicates("customer_id", keep="last").reset_index(drop=True)
    position = pd.Series(np.arange(len(customers)), index=ids.get_indexer(customers["customer_id"]))
    rows = position.reindex(left["cust"].to_numpy()).to_numpy()
    found = pd.Series(rows).notna().to_numpy()
    take = np.where(found, rows, 0).astype("int64")

    def pick(values: np.ndarray, empty: object) -> np.ndarray:
        out = np.full(len(left), empty, dtype=values.dtype if values.dtype != object else object)
        if len(values):
            out[found] = values[take[found]]
        return out

    known_since = customers["customer_since"].notna().to_numpy()
    since = pick(np.where(known_since, _ns(customers["customer_since"]), 0).astype("float64"), np.nan)
    since[~pick(known_since, False)] = np.nan
    attributes = _attributes(customers["attributes"], "customer_attr_")
    return {
        "columns": {
            "customer_segment": pick(customers["segment"].to_numpy(dtype=object), None),
            "customer_state": pick(customers["state"].to_numpy(dtype=object), None),
            "customer_tenure_days": (left["t"].to_numpy() - since) / DAY_NS,
        },
        "attributes": attributes.reindex(np.where(found, take, -1)).reset_index(drop=True),
    }


def _limit_in_force(limits: pd.DataFrame, ids: pd.Index, left: pd.DataFrame) -> np.ndarray:
    """Limit with valid_from <= day(t) <= valid_until; overlapping ones: the latest valid_from wins.

    The in-force limit only changes where some limit starts or ends, so it is resolved once per
    such boundary (a small per-customer self-join of limits) and orders are matched to the last
    boundary on or before their day.
    """
    limits = pd.DataFrame(
        {
            "cust": ids.get_indexer(limits["customer_id"]),
            "start": _ns(limits["valid_from"]),
            "end": np.where(limits["valid_until"].isna(), NO_END, _ns(limits["valid_until"]) + DAY_NS),
            "limit": limits["limit"].to_numpy(dtype="float64"),
        }
    )
    boundaries = pd.concat(
        [
            limits[["cust", "start"]].rename(columns={"start": "at"}),
            limits.loc[limits["end"] != NO_END, ["cust", "end"]].rename(columns={"end": "at"}),
        ],
        ignore_index=True,
    ).drop_duplicates()
    pairs = boundaries.merge(limits, on="cust")
    active = pairs.loc[(pairs["start"] <= pairs["at"]) & (pairs["at"] < pairs["end"])]
    in_force = active.sort_values("start").drop_duplicates(["cust", "at"], keep="last")
    resolved = boundaries.merge(in_force[["cust", "at", "limit"]], on=["cust", "at"], how="left")
    days = left.assign(day=left["t"] // DAY_NS * DAY_NS)
    return _asof(days, resolved, "day", "at", strict=False)["limit"].to_numpy(dtype="float64")


def _prior_orders(
    context: pd.DataFrame, requests: pd.DataFrame, ids: pd.Index, left: pd.DataFrame
) -> dict[str, np.ndarray]:
    """Counts, labels and open exposure of the customer's stored orders placed strictly before t.

    Open exposure = invoiced orders with a term whose due time (ordered_at + term) is after t:
    the cumulative amount ordered before t minus the cumulative amount already due by t.
    Term-0 orders are due when placed, so they are never open.
    """
    label = context["invoiced"]
    invoiced = label.fillna(False).to_numpy(dtype=bool)
    amount = context["amount"].to_numpy(dtype="float64")
    opens = invoiced & (context["payment_term_days"].to_numpy() > 0)
    orders = pd.DataFrame(
        {
            "order_id": context["order_id"].to_numpy(dtype=object),
            "cust": ids.get_indexer(context["customer_id"]),
            "t": _ns(context["ordered_at"]),
            "labeled": label.notna().to_numpy(dtype="int64"),
            "invoiced": invoiced.astype("int64"),
            "amount": amount,
            "open_amount": np.where(opens, amount, 0.0),
            "open": opens.astype("int64"),
        }
    )
    orders["due"] = orders["t"] + context["payment_term_days"].to_numpy(dtype="int64") * DAY_NS
    sums = ["labeled", "invoiced", "amount", "open_amount", "open"]
    placed = orders.sort_values("t", kind="stable")
    running = placed.groupby("cust")[sums].cumsum()
    running["count"] = placed.groupby("cust").cumcount() + 1
    before = _asof(left, pd.concat([placed[["cust", "t"]], running], axis=1), "t", "t", strict=True)
    due = orders.loc[orders["open"] == 1, ["cust", "due", "open_amount", "open"]].sort_values(
        "due", kind="stable"
    )
    due[["open_amount", "open"]] = due.groupby("cust")[["open_amount", "open"]].cumsum()
    settled = _asof(left, due, "t", "due", strict=False)
    out = {name: before[name].fillna(0).to_numpy(dtype="float64", copy=True) for name in [*sums, "count"]}
    out["open_amount"] -= settled["open_amount"].fillna(0).to_numpy(dtype="float64")
    out["open"] -= settled["open"].fillna(0).to_numpy(dtype="float64")

    # A request order that is also stored must not count itself (it may be stored with an earlier time).
    itself = left.assign(order_id=requests["order_id"].to_numpy(dtype=object)).merge(
        orders, on="order_id", suffixes=("", "_stored")
    )
    itself = itself.loc[(itself["cust"] == itself["cust_stored"]) & (itself["t_stored"] < itself["t"])]
    rows = itself["row"].to_numpy()
    still_open = (itself["due"] > itself["t"]).to_numpy() * itself["open"].to_numpy()
    for name in ("labeled", "invoiced", "amount"):
        out[name][rows] -= itself[name].to_numpy()
    out["count"][rows] -= 1
    out["open_amount"][rows] -= itself["open_amount"].to_numpy() * still_open
    out["open"][rows] -= still_open
    return {
        "count": out["count"],
        "labeled": out["labeled"],
        "invoiced": out["invoiced"],
        "amount_sum": out["amount"],
        "open_exposure": np.round(out["open_amount"], 2),
        "open_orders": out["open"],
    }


def _serasa_context(queries: pd.DataFrame, ids: pd.Index, left: pd.DataFrame) -> dict:
    """Latest query strictly before t, and how many fell in [t - 90 days, t)."""
    fields = ["score", *SERASA_COUNT_COLUMNS, *SERASA_AMOUNT_COLUMNS]
    table = pd.DataFrame(
        {"cust": ids.get_indexer(queries["customer_id"]), "at": _ns(queries["queried_at"])}
        | {name: queries[name].to_numpy(dtype="float64") for name in fields}
    )
    table["position"] = np.arange(len(table))
    table = table.sort_values("at", kind="stable")
    table["seen"] = table.groupby("cust").cumcount() + 1
    latest = _asof(left, table, "t", "at", strict=True)
    window = left.assign(start=left["t"] - SERASA_WINDOW_NS)
    older = _asof(window, table[["cust", "at", "seen"]], "start", "at", strict=True)
    seen = latest["seen"].fillna(0).to_numpy() - older["seen"].fillna(0).to_numpy()
    columns = {f"serasa_{name}": latest[name].to_numpy(dtype="float64") for name in fields}
    columns["serasa_days_since_query"] = (left["t"].to_numpy() - latest["at"].to_numpy()) / DAY_NS
    columns["serasa_queries_90d"] = seen.astype("float64")
    attributes = _attributes(queries["attributes"], "serasa_attr_")
    return {
        "columns": columns,
        "attributes": attributes.reindex(latest["position"].fillna(-1).to_numpy(dtype="int64")).reset_index(
            drop=True
        ),
    }


def _attributes(values: pd.Series, prefix: str) -> pd.DataFrame:
    """Flatten `attributes` dicts into prefixed columns (sorted by name), keeping the given index."""
    present = values.notna().to_numpy()
    if not present.any():
        return pd.DataFrame(index=pd.RangeIndex(len(values)))
    flat = pd.DataFrame.from_records(values[present].tolist(), index=np.flatnonzero(present))
    flat = flat.reindex(index=np.arange(len(values)), columns=sorted(flat.columns))
    return flat.add_prefix(prefix)
