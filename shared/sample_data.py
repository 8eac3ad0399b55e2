"""A synthetic tenant whose label follows a known, point-in-time rule.

Tests, the demo and the benchmarks need data where the best achievable model is known: the
`true_probability` of every order is the exact probability its label was drawn with, so a trained
model can be judged against the Bayes AUC instead of a guess.

The rule. For an order of customer c at time t (UTC), on date d = the UTC date of t:

    limit      the row of c with the latest valid_from <= d, if its valid_until is absent or >= d.
               None in force: z -= 0.8 and L = 20,000.00; otherwise L = max(limit, 100.00).
    serasa     the latest query of c with queried_at < t (strictly before).
    open       sum of the amounts of c's orders that were invoiced, ordered before t, and are not yet
               due at t (ordered_at + payment_term_days > t). Term-0 orders are never open.

    z = 3.4
        - 1.1 min(amount / L, 4)                     utilisation of the limit
        - 1.2 min(open / L, 4)                       open exposure against the limit
        + serasa: none  -> -0.9
                  else  -> score absent ? -0.3 : 1.6 (score - 550) / 250
                           - 0.25 min(negative_records, 6) - 0.4 min(protests, 5)
                           - 0.3 min(bounced_checks, 5) - 0.2 min(lawsuits, 5)
                           - 2.0 [bankruptcy_filings > 0] - 0.05 min(attributes.inquiries_90d, 20)
                           - 0.5 min(days since the query / 365, 2)
        - 0.012 payment_term_days - 0.03 attributes.discount_pct - 0.35 attributes.rush
        + channel: edi +0.4, sales_rep +0.2, phone 0, ecommerce -0.3, absent -0.1
        + customer: SECTOR_EFFECT[attributes.sector] + 0.12 ln(1 + attributes.employees)
    p = 1 / (1 + exp(-z)); invoiced ~ Bernoulli(p), drawn as logit(u) < z with u ~ U(0, 1) seeded.

Customer attributes are static (known since customer_since). Everything dated is used only when
dated before the order, so later data never changes an earlier order's p (`rule_probability`
recomputes p from the datasets alone; the tests rely on it). Labels are drawn in time order
because the open-exposure term depends on earlier labels. `unlabeled_fraction` hides the labels of
the most recent orders afterwards; their p and the exposure they create are unaffected.

A hidden customer quality drives the Serasa history and limit sizes, but never p directly.
"""

from __future__ import annotations

import argparse
import csv
import heapq
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.documents import cnpj_check_digits, cpf_check_digits, format_document

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

DATASETS = ("customers", "credit_limits", "serasa_queries", "orders")

SECTOR_EFFECT = {
    "alimentos": 0.25,
    "saude": 0.3,
    "tecnologia": 0.1,
    "metalurgia": 0.0,
    "agro": 0.05,
    "textil": -0.25,
    "transporte": -0.15,
    "construcao": -0.45,
}
CHANNEL_EFFECT = {"edi": 0.4, "sales_rep": 0.2, "phone": 0.0, "ecommerce": -0.3}
NO_CHANNEL_EFFECT = -0.1

INTERCEPT = 3.4
NO_LIMIT = -0.8
NO_LIMIT_REFERENCE = 20_000.0
LIMIT_FLOOR = 100.0
RATIO_CAP = 4.0
UTILISATION = -1.1
EXPOSURE = -1.2
NO_QUERY = -0.9
NO_SCORE = -0.3
SCORE = 1.6 / 250
SCORE_CENTRE = 550
SERASA_COUNTS = {  # field: (weight, cap)
    "negative_records": (-0.25, 6),
    "protests": (-0.4, 5),
    "bounced_checks": (-0.3, 5),
    "lawsuits": (-0.2, 5),
    "inquiries_90d": (-0.05, 20),
}
BANKRUPTCY = -2.0
STALENESS = -0.5 / 365
STALENESS_CAP_DAYS = 730
TERM = -0.012
DISCOUNT = -0.03
RUSH = -0.35
EMPLOYEES = 0.12

_UFS = "SP MG RJ PR RS SC BA GO PE CE ES DF MT MS PA AM MA PB RN AL PI SE RO TO AC AP RR".split()
_UF_WEIGHTS = [30, 10, 9, 7, 7, 6, 5, 4, 3, 3, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
_TERMS = [0, 7, 14, 21, 28, 30, 45, 60, 90, 120]
_TERM_WEIGHTS = [8, 4, 5, 6, 14, 25, 12, 14, 8, 4]
_CHANNELS = list(CHANNEL_EFFECT)
_SEGMENTS = ["varejo", "atacado", "industria", "servicos"]
_TRADES = (
    "Comercial Distribuidora Industria Atacadao Mercado Construtora Farmacia Transportes Agropecuaria".split()
)
_SUFFIXES = ["Ltda", "S.A.", "ME", "EPP"]
_FIRST_NAMES = "Ana Bruno Carla Diego Eduarda Felipe Gabriela Henrique Isabela Joao Larissa Marcos".split()
_SURNAMES = "Silva Santos Oliveira Souza Lima Pereira Costa Ferreira Almeida Ribeiro Carvalho Gomes".split()
_ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DAY = 86_400


@dataclass(frozen=True, eq=False)
class SampleTenant:
    """Columns are the API fields; datetimes are tz-aware UTC, dates are naive midnight, money is
    float with 2 places, `invoiced` is a nullable boolean (NA = not decided yet)."""

    customers: pd.DataFrame
    credit_limits: pd.DataFrame
    serasa_queries: pd.DataFrame
    orders: pd.DataFrame
    true_probability: pd.Series

    def records(self, dataset: str) -> Iterator[dict[str, Any]]:
        """JSON-ready API items; absent (None/NA) fields are left out."""
        if dataset not in DATASETS:
            raise ValueError(f"unknown dataset {dataset!r}; expected one of {DATASETS}")
        frame: pd.DataFrame = getattr(self, dataset)
        names = list(frame.columns)
        columns = [_json_values(frame[name]) for name in names]
        for row in zip(*columns):
            yield {name: value for name, value in zip(names, row) if value is not None}

    def batches(self, dataset: str, size: int = 500) -> Iterator[list[dict[str, Any]]]:
        items = self.records(dataset)
        while batch := list(islice(items, size)):
            yield batch

    def bayes_auc(self) -> float:
        """The ROC AUC no model can beat on average: the generator's own p against the labels."""
        from sklearn.metrics import roc_auc_score

        labeled = self.orders[self.orders["invoiced"].notna()]
        truth = self.true_probability.loc[labeled["order_id"]]
        return float(roc_auc_score(labeled["invoiced"].astype(bool), truth.to_numpy()))

    def write(self, directory: Path, file_format: str = "jsonl") -> None:
        """One file per dataset plus truth: JSON lines, or CSV as a Brazilian spreadsheet saves it
        (`;`-separated, decimal commas, `attributes.<name>` columns; DESIGN §10)."""
        directory.mkdir(parents=True, exist_ok=True)
        writer = {"jsonl": _write_lines, "csv": _write_csv}[file_format]
        for dataset in DATASETS:
            writer(directory / f"{dataset}.{file_format}", self.records(dataset))
        truth = (
            {"order_id": order_id, "true_probability": float(p)}
            for order_id, p in self.true_probability.items()
        )
        writer(directory / f"truth.{file_format}", truth)


def generate(
    orders: int = 10_000,
    customers: int | None = None,
    seed: int = 7,
    unlabeled_fraction: float = 0.0,
    start: date = date(2024, 1, 1),
    days: int = 730,
) -> SampleTenant:
    """A tenant with `orders` orders over `days` days from `start`; the same seed gives the same data."""
    import numpy as np
    import pandas as pd

    n_customers = customers if customers is not None else max(20, orders // 25)
    if orders < 1 or n_customers < 1 or days < 90 or not 0.0 <= unlabeled_fraction < 1.0:
        raise ValueError("need orders >= 1, customers >= 1, days >= 90 and 0 <= unlabeled_fraction < 1")
    rng = np.random.default_rng(seed)
    first_day = int(np.datetime64(start, "D").astype(np.int64))
    population = _Population.draw(rng, n_customers, first_day, first_day + days)
    customer_frame = population.customers(rng)
    limits = population.credit_limits(rng)
    queries = population.serasa_queries(rng)
    order_frame = population.orders(rng, orders)

    static, denominator = _static_logit(customer_frame, limits, queries, order_frame)
    amount_cents = np.rint(order_frame["amount"].to_numpy() * 100).astype(np.int64)
    seconds = _epoch_seconds(order_frame["ordered_at"])
    due = seconds + order_frame["payment_term_days"].to_numpy(np.int64) * _DAY
    u = rng.random(orders)
    invoiced, exposure = _draw_labels(
        _codes(order_frame["customer_id"]),
        seconds,
        due,
        amount_cents,
        static,
        denominator,
        np.log(u) - np.log1p(-u),
    )
    probability = _sigmoid(_logit(static, denominator, exposure))

    labels = pd.array(invoiced, dtype="boolean")
    hidden = round(unlabeled_fraction * orders)
    if hidden:
        labels[orders - hidden :] = pd.NA  # orders are in time order
    order_frame["invoiced"] = labels
    truth = pd.Series(
        probability, index=pd.Index(order_frame["order_id"], name="order_id"), name="true_probability"
    )
    return SampleTenant(customer_frame, limits, queries, order_frame, truth)


def rule_probability(
    customers: pd.DataFrame, credit_limits: pd.DataFrame, serasa_queries: pd.DataFrame, orders: pd.DataFrame
) -> pd.Series:
    """p of the module rule recomputed from the datasets alone (NA labels count as not invoiced),
    indexed by order_id in `orders` row order."""
    import pandas as pd

    static, denominator = _static_logit(customers, credit_limits, serasa_queries, orders)
    exposure = _open_exposure(orders)
    return pd.Series(
        _sigmoid(_logit(static, denominator, exposure)),
        index=pd.Index(orders["order_id"], name="order_id"),
        name="true_probability",
    )


# --- the rule ---------------------------------------------------------------------------------


def _logit(static: np.ndarray, denominator: np.ndarray, exposure: np.ndarray) -> np.ndarray:
    """Must stay the exact float expression `_draw_labels` evaluates per order."""
    import numpy as np

    return static + EXPOSURE * np.minimum(exposure / denominator, RATIO_CAP)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    import numpy as np

    return 1.0 / (1.0 + np.exp(-z))


def _draw_labels(
    customer: np.ndarray,
    seconds: np.ndarray,
    due: np.ndarray,
    cents: np.ndarray,
    static: np.ndarray,
    denominator: np.ndarray,
    threshold: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Labels and open exposure (cents) in time order; a heap per customer holds its open invoices.

    Plain Python over lists: one pass of ~1 us per order beats any vectorised rewrite of a
    recurrence whose every step depends on the previous labels of the same customer.
    """
    import numpy as np

    order = np.lexsort((customer, seconds))
    heaps: dict[int, list[tuple[int, int]]] = {}
    open_cents: dict[int, int] = {}
    invoiced = np.zeros(len(order), dtype=bool)
    exposure = np.zeros(len(order), dtype=np.int64)
    columns = zip(
        order.tolist(),
        customer[order].tolist(),
        seconds[order].tolist(),
        due[order].tolist(),
        cents[order].tolist(),
        static[order].tolist(),
        denominator[order].tolist(),
        threshold[order].tolist(),
    )
    for i, c, t, d, amount, s, denom, logit_u in columns:
        heap = heaps.setdefault(c, [])
        e = open_cents.get(c, 0)
        while heap and heap[0][0] <= t:
            e -= heapq.heappop(heap)[1]
        ratio = e / denom
        if s + EXPOSURE * (ratio if ratio < RATIO_CAP else RATIO_CAP) > logit_u:
            invoiced[i] = True
            if d > t:
                heapq.heappush(heap, (d, amount))
                open_cents[c] = e + amount
                exposure[i] = e
                continue
        open_cents[c] = e
        exposure[i] = e
    return invoiced, exposure


def _open_exposure(orders: pd.DataFrame) -> np.ndarray:
    """Vectorised twin of the exposure in `_draw_labels`: invoiced amounts started before t minus
    those already due at t, both as per-customer running sums found with merge_asof."""
    import numpy as np
    import pandas as pd

    seconds = _epoch_seconds(orders["ordered_at"])
    term = orders["payment_term_days"].to_numpy(np.int64)
    counted = orders["invoiced"].fillna(False).to_numpy(bool) & (term > 0)
    cents = np.where(counted, np.rint(orders["amount"].to_numpy(float) * 100), 0).astype(np.int64)
    frame = pd.DataFrame(
        {
            "customer_id": orders["customer_id"].astype(str).to_numpy(),
            "t": seconds,
            "due": seconds + term * _DAY,
            "cents": cents,
            "row": np.arange(len(orders)),
        }
    )

    def running(key: str) -> pd.DataFrame:
        events = frame.sort_values(key, kind="stable")[["customer_id", key, "cents"]]
        return events.assign(total=events.groupby("customer_id")["cents"].cumsum())[
            ["customer_id", key, "total"]
        ]

    left = frame.sort_values("t", kind="stable")[["customer_id", "t", "row"]]
    started = pd.merge_asof(left, running("t"), on="t", by="customer_id", allow_exact_matches=False)
    settled = pd.merge_asof(left, running("due"), left_on="t", right_on="due", by="customer_id")
    open_cents = started["total"].fillna(0).to_numpy(np.int64) - settled["total"].fillna(0).to_numpy(np.int64)
    result = np.empty(len(orders), dtype=np.int64)
    result[left["row"].to_numpy()] = open_cents
    return result


def _static_logit(
    customers: pd.DataFrame, credit_limits: pd.DataFrame, serasa_queries: pd.DataFrame, orders: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Every term of z but open exposure, and the exposure denominator L in cents; `orders` row order."""
    import numpy as np
    import pandas as pd

    o = pd.DataFrame(
        {
            "row": np.arange(len(orders)),
            "customer_id": orders["customer_id"].astype(str).to_numpy(),
            "ordered_at": orders["ordered_at"]
            .dt.tz_convert("UTC")
            .astype("datetime64[ns, UTC]")
            .reset_index(drop=True),
        }
    )
    o["day"] = o["ordered_at"].dt.tz_localize(None).dt.floor("D")
    limits = credit_limits.assign(
        customer_id=credit_limits["customer_id"].astype(str),
        valid_from=credit_limits["valid_from"].astype("datetime64[ns]"),
        valid_until=credit_limits["valid_until"].astype("datetime64[ns]"),
    ).sort_values("valid_from", kind="stable")
    o = pd.merge_asof(
        o.sort_values("day", kind="stable"),
        limits[["customer_id", "valid_from", "valid_until", "limit"]],
        left_on="day",
        right_on="valid_from",
        by="customer_id",
    )
    in_force = o["valid_from"].notna() & (o["valid_until"].isna() | (o["valid_until"] >= o["day"]))
    o["limit"] = o["limit"].where(in_force)

    queries = serasa_queries.assign(
        customer_id=serasa_queries["customer_id"].astype(str),
        queried_at=serasa_queries["queried_at"].dt.tz_convert("UTC").astype("datetime64[ns, UTC]"),
        score=serasa_queries["score"].astype(float),
        inquiries_90d=[_attribute(a, "inquiries_90d", 0) for a in serasa_queries["attributes"]],
    ).sort_values("queried_at", kind="stable")
    query_fields = ["customer_id", "queried_at", "score", "bankruptcy_filings", *SERASA_COUNTS]
    o = pd.merge_asof(
        o.sort_values("ordered_at", kind="stable"),
        queries[query_fields],
        left_on="ordered_at",
        right_on="queried_at",
        by="customer_id",
        allow_exact_matches=False,
    )
    o = o.sort_values("row").reset_index(drop=True)

    limit = o["limit"].to_numpy(float)
    has_limit = ~np.isnan(limit)
    denominator = np.where(has_limit, np.maximum(limit, LIMIT_FLOOR), NO_LIMIT_REFERENCE)
    amount = orders["amount"].to_numpy(float)
    z = (
        INTERCEPT
        + np.where(has_limit, 0.0, NO_LIMIT)
        + UTILISATION * np.minimum(amount / denominator, RATIO_CAP)
    )

    queried = o["queried_at"].notna().to_numpy()
    score = o["score"].to_numpy(float)
    serasa = np.where(np.isnan(score), NO_SCORE, SCORE * (score - SCORE_CENTRE))
    for field, (weight, cap) in SERASA_COUNTS.items():
        serasa += weight * np.minimum(o[field].fillna(0).to_numpy(float), cap)
    serasa += BANKRUPTCY * (o["bankruptcy_filings"].fillna(0).to_numpy(float) > 0)
    age_days = (o["ordered_at"] - o["queried_at"]).dt.total_seconds().fillna(0).to_numpy() / _DAY
    serasa += STALENESS * np.minimum(age_days, STALENESS_CAP_DAYS)
    z += np.where(queried, serasa, NO_QUERY)

    attributes = orders["attributes"].tolist()
    z += TERM * orders["payment_term_days"].to_numpy(float)
    z += DISCOUNT * np.array([_attribute(a, "discount_pct", 0.0) for a in attributes], dtype=float)
    z += RUSH * np.array([bool(_attribute(a, "rush", False)) for a in attributes], dtype=float)
    z += (
        orders["channel"]
        .map(
            lambda channel: (
                CHANNEL_EFFECT.get(channel, 0.0) if isinstance(channel, str) else NO_CHANNEL_EFFECT
            )
        )
        .to_numpy(float)
    )

    effect = pd.Series(
        [
            SECTOR_EFFECT.get(_attribute(a, "sector", None), 0.0)
            + EMPLOYEES * np.log1p(_attribute(a, "employees", 0))
            for a in customers["attributes"]
        ],
        index=customers["customer_id"].astype(str).to_numpy(),
    )
    z += effect.reindex(o["customer_id"].to_numpy()).fillna(0.0).to_numpy()
    return z, denominator * 100


def _attribute(attributes: Any, name: str, default: Any) -> Any:
    return attributes.get(name, default) if isinstance(attributes, dict) else default


def _epoch_seconds(column: pd.Series) -> np.ndarray:
    import numpy as np

    return column.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[s]").astype(np.int64)


def _codes(column: pd.Series) -> np.ndarray:
    import pandas as pd

    return pd.factorize(column)[0]


# --- the population ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Population:
    """Hidden per-customer traits; days are integers since 1970-01-01."""

    first_day: int
    end_day: int
    ids: np.ndarray
    quality: np.ndarray
    person: np.ndarray
    since: np.ndarray
    active_from: np.ndarray
    active_until: np.ndarray
    ticket: np.ndarray
    employees: np.ndarray
    sector: np.ndarray
    term: np.ndarray
    channel: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int, first_day: int, end_day: int) -> _Population:
        import numpy as np

        days = end_day - first_day
        person = rng.random(n) < 0.12
        existing = rng.random(n) < 0.65
        since = np.where(
            existing, first_day - rng.integers(30, 3650, n), first_day + rng.integers(0, int(days * 0.85), n)
        )
        active_from = np.maximum(first_day, since + 1 + rng.integers(0, 30, n))
        churned = rng.random(n) < 0.1
        active_until = np.where(
            churned, np.minimum(end_day, active_from + rng.integers(60, days, n)), end_day
        )
        employees = np.where(
            person, rng.integers(1, 4, n), np.maximum(1, rng.lognormal(2.8, 1.3, n).astype(int))
        )
        ticket = (
            rng.lognormal(np.log(2500), 0.9, n) * np.where(person, 0.3, 1.0) * (1 + 0.1 * np.log1p(employees))
        )
        term = rng.choice(len(_TERMS), n, p=np.array(_TERM_WEIGHTS) / sum(_TERM_WEIGHTS))
        channel = np.where(person | (employees < 5), 3, rng.integers(0, 3, n))  # small buyers use e-commerce
        return cls(
            first_day=first_day,
            end_day=end_day,
            ids=np.array([f"C{i:06d}" for i in range(1, n + 1)], dtype=object),
            quality=rng.normal(0, 1, n),
            person=person,
            since=since,
            active_from=active_from,
            active_until=np.maximum(active_until, active_from + 1),
            ticket=ticket,
            employees=employees,
            sector=rng.choice(list(SECTOR_EFFECT), n),
            term=term,
            channel=channel,
        )

    def customers(self, rng: np.random.Generator) -> pd.DataFrame:
        import numpy as np
        import pandas as pd

        n = len(self.ids)
        kind = np.where(self.person, 0, np.where(rng.random(n) < 0.05, 2, 1))
        documents = _documents(rng, kind)
        masked = rng.random(n) < 0.55
        documents = [format_document(d) if m else d for d, m in zip(documents, masked.tolist())]
        first, surname, trade, suffix = (
            rng.integers(0, len(words), n) for words in (_FIRST_NAMES, _SURNAMES, _TRADES, _SUFFIXES)
        )
        names = [
            f"{_FIRST_NAMES[f]} {_SURNAMES[s]}" if p else f"{_TRADES[t]} {_SURNAMES[s]} {_SUFFIXES[x]}"
            for p, f, s, t, x in zip(
                self.person.tolist(), first.tolist(), surname.tolist(), trade.tolist(), suffix.tolist()
            )
        ]
        segment = np.where(self.person, "pessoa_fisica", np.array(_SEGMENTS)[rng.integers(0, 4, n)]).astype(
            object
        )
        segment[rng.random(n) < 0.02] = None
        state = np.array(_UFS, dtype=object)[
            rng.choice(len(_UFS), n, p=np.array(_UF_WEIGHTS) / sum(_UF_WEIGHTS))
        ]
        state[rng.random(n) < 0.01] = None
        return pd.DataFrame(
            {
                "customer_id": self.ids,
                "document": documents,
                "name": names,
                "segment": segment,
                "state": state,
                "customer_since": _dates(self.since),
                "attributes": [
                    {"sector": s, "employees": e}
                    for s, e in zip(self.sector.tolist(), self.employees.tolist())
                ],
            }
        )

    def credit_limits(self, rng: np.random.Generator) -> pd.DataFrame:
        import numpy as np
        import pandas as pd

        n = len(self.ids)
        owner = np.flatnonzero(rng.random(n) < np.where(self.person, 0.6, 0.88))
        rows = 1 + np.minimum(rng.poisson(1.6, len(owner)), 6)
        customer = np.repeat(owner, rows)
        first = np.where(
            self.since[owner] < self.first_day,
            self.first_day - rng.integers(0, 400, len(owner)),
            self.since[owner] + rng.integers(0, 60, len(owner)),
        )
        position = _position_in_group(rows)
        gaps = np.where(position == 0, 0, rng.integers(60, 300, len(customer)))
        valid_from = np.repeat(first, rows) + _group_cumsum(gaps, rows)
        log_step = np.where(
            position == 0,
            rng.normal(1.3 + 0.45 * self.quality[customer], 0.4),
            rng.normal(0.08, 0.3, len(customer)),
        )
        amount = np.round(self.ticket[customer] * np.exp(_group_cumsum(log_step, rows)), -2)
        amount[rng.random(len(customer)) < 0.03] = 0.0  # blocked customers
        last = position == np.repeat(rows - 1, rows)
        next_from = np.roll(valid_from, -1)
        until = np.where(
            rng.random(len(customer)) < 0.8, next_from - 1, next_from - rng.integers(5, 45, len(customer))
        )
        open_ended = rng.random(len(customer)) < 0.75
        until = np.where(
            last, np.where(open_ended, -1, valid_from + rng.integers(60, 365, len(customer))), until
        )
        keep = (valid_from <= self.end_day) | (position == 0)
        frame = pd.DataFrame(
            {
                "customer_id": self.ids[customer],
                "limit": amount,
                "valid_from": _dates(valid_from),
                "valid_until": _dates(np.where(until < 0, np.iinfo(np.int64).min, until)),
            }
        )
        return frame[keep].reset_index(drop=True)

    def serasa_queries(self, rng: np.random.Generator) -> pd.DataFrame:
        import numpy as np
        import pandas as pd

        n = len(self.ids)
        queried = np.flatnonzero(rng.random(n) < 0.88)
        first = np.where(
            self.since[queried] < self.first_day,
            self.first_day - rng.integers(0, 120, len(queried)),
            self.since[queried] - rng.integers(0, 20, len(queried)),
        )
        cadence = rng.uniform(35, 200, len(queried))
        rows = 1 + np.minimum(((self.end_day - first) / cadence).astype(int), 40)
        customer = np.repeat(queried, rows)
        m = len(customer)
        position = _position_in_group(rows)
        gaps = np.where(position == 0, 0, np.repeat(cadence, rows) * rng.uniform(0.5, 1.5, m))
        day = np.repeat(first, rows) + _group_cumsum(gaps, rows).astype(np.int64)
        seconds = day * _DAY + rng.integers(9 * 3600, 21 * 3600, m)
        current = self.quality[customer] + _group_cumsum(rng.normal(0, 0.25, m), rows)
        score = np.clip(np.rint(520 + 160 * current + rng.normal(0, 30, m)), 0, 1000)
        negatives = rng.poisson(np.exp(-1.0 - 1.2 * current))
        protests = rng.poisson(np.exp(-2.0 - 1.0 * current))
        inquiries = rng.poisson(np.exp(0.6 - 0.3 * current))
        frame = pd.DataFrame(
            {
                "customer_id": self.ids[customer],
                "queried_at": pd.to_datetime(seconds, unit="s", utc=True),
                "score": pd.array(np.where(rng.random(m) < 0.04, np.nan, score), dtype="Int64"),
                "negative_records": negatives,
                "negative_amount": np.round(negatives * rng.lognormal(np.log(1800), 0.9, m), 2),
                "protests": protests,
                "protests_amount": np.round(protests * rng.lognormal(np.log(2500), 0.9, m), 2),
                "bounced_checks": rng.poisson(
                    np.exp(-2.6 - 0.8 * current) * np.where(self.person[customer], 2, 1)
                ),
                "lawsuits": rng.poisson(np.exp(-2.8 - 0.6 * current)),
                "bankruptcy_filings": (rng.random(m) < 1 / (1 + np.exp(5.5 + 1.5 * current))).astype(
                    np.int64
                ),
                "attributes": [{"inquiries_90d": i} for i in inquiries.tolist()],
            }
        )
        return frame[day <= self.end_day].reset_index(drop=True)

    def orders(self, rng: np.random.Generator, count: int) -> pd.DataFrame:
        import numpy as np
        import pandas as pd

        span = self.active_until - self.active_from
        weight = rng.lognormal(0, 0.9, len(self.ids)) * span * np.where(self.person, 0.5, 1.0)
        customer = np.repeat(np.arange(len(self.ids)), rng.multinomial(count, weight / weight.sum()))
        day = self.active_from[customer] + (rng.random(count) * span[customer]).astype(np.int64)
        seconds = day * _DAY + rng.integers(11 * 3600, 22 * 3600, count)
        # Nudge equal timestamps of one customer apart: "strictly before" must order its orders.
        position = _position_in_group(np.bincount(customer, minlength=len(self.ids)))
        by_customer = np.lexsort((seconds, customer))
        seconds[by_customer] = (
            pd.Series(seconds[by_customer] - position).groupby(customer[by_customer]).cummax().to_numpy()
            + position
        )
        chronological = np.lexsort((customer, seconds))
        customer, seconds = customer[chronological], seconds[chronological]

        amount = np.maximum(10.0, np.round(self.ticket[customer] * rng.lognormal(0, 0.55, count), 2))
        term_index = np.where(
            rng.random(count) < 0.7,
            self.term[customer],
            rng.choice(len(_TERMS), count, p=np.array(_TERM_WEIGHTS) / sum(_TERM_WEIGHTS)),
        )
        channel_index = np.where(rng.random(count) < 0.8, self.channel[customer], rng.integers(0, 4, count))
        channel = np.array(_CHANNELS, dtype=object)[channel_index]
        channel[rng.random(count) < 0.03] = None
        discount = np.where(
            rng.random(count) < 0.35, 0.0, np.minimum(25.0, np.round(rng.gamma(2.0, 2.5, count), 1))
        )
        rush = rng.random(count) < 0.08
        return pd.DataFrame(
            {
                "order_id": np.array([f"O{i:07d}" for i in range(1, count + 1)], dtype=object),
                "customer_id": self.ids[customer],
                "ordered_at": pd.to_datetime(seconds, unit="s", utc=True),
                "amount": amount,
                "payment_term_days": np.array(_TERMS, dtype=np.int64)[term_index],
                "channel": channel,
                "attributes": [
                    {"discount_pct": d, "rush": r} for d, r in zip(discount.tolist(), rush.tolist())
                ],
            }
        )


def _documents(rng: np.random.Generator, kind: np.ndarray) -> list[str]:
    """Unique documents: kind 0 CPF, 1 numeric CNPJ, 2 alphanumeric CNPJ (at least one letter)."""
    import numpy as np

    alphabet = np.array(list(_ALPHANUMERIC))
    seen: set[str] = set()
    documents: list[str] = []
    for k in kind.tolist():
        while True:
            if k == 0:
                base = "".join(alphabet[rng.integers(0, 10, 9)])
                document = base + cpf_check_digits(base)
            else:
                branch = "0001" if rng.random() < 0.9 else f"{int(rng.integers(2, 10)):04d}"
                base = "".join(alphabet[rng.integers(0, 36 if k == 2 else 10, 8)]) + branch
                document = base + cnpj_check_digits(base)
            if document not in seen and len(set(document)) > 1 and (k != 2 or not base.isdigit()):
                break
        seen.add(document)
        documents.append(document)
    return documents


def _position_in_group(sizes: np.ndarray) -> np.ndarray:
    import numpy as np

    starts = np.repeat(np.cumsum(sizes) - sizes, sizes)
    return np.arange(int(sizes.sum())) - starts


def _group_cumsum(values: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Running sum that restarts at each group of consecutive rows."""
    import numpy as np

    total = np.cumsum(values)
    offsets = np.repeat(total[np.cumsum(sizes) - sizes] - values[np.cumsum(sizes) - sizes], sizes)
    return total - offsets


def _dates(days: np.ndarray) -> pd.Series:
    """Days since 1970 as naive midnight datetimes; the int64 minimum becomes NaT (absent)."""
    import numpy as np
    import pandas as pd

    return pd.Series(np.asarray(days, dtype=np.int64).view("datetime64[D]").astype("datetime64[s]"))


# --- output -----------------------------------------------------------------------------------


def _json_values(column: pd.Series) -> list[Any]:
    """One column as JSON-ready Python values, None where absent."""
    import numpy as np
    import pandas as pd

    if isinstance(column.dtype, pd.DatetimeTZDtype):
        stamps = column.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[s]")
        values = [s + "Z" for s in np.datetime_as_string(stamps, unit="s").tolist()]
    elif pd.api.types.is_datetime64_dtype(column.dtype):
        values = np.datetime_as_string(column.to_numpy("datetime64[D]"), unit="D").tolist()
    elif pd.api.types.is_float_dtype(column.dtype):  # every float field of the contract is money
        values = column.round(2).tolist()
    else:
        values = column.astype(object).tolist()
    for i in np.flatnonzero(column.isna().to_numpy()).tolist():
        values[i] = None
    return values


def _write_lines(path: Path, items: Iterator[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n")


def _write_csv(path: Path, items: Iterator[dict[str, Any]]) -> None:
    rows = [_flat(item) for item in items]
    columns = list(dict.fromkeys(name for row in rows for name in row))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, delimiter=";")
        writer.writeheader()
        writer.writerows(rows)


def _flat(item: dict[str, Any]) -> dict[str, str]:
    """A record as CSV cells: attributes as `attributes.<name>`, numbers with a decimal comma."""
    cells = {name: value for name, value in item.items() if name != "attributes"}
    cells.update({f"attributes.{name}": value for name, value in (item.get("attributes") or {}).items()})
    return {name: _cell(value) for name, value in cells.items()}


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    return str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.sample_data", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="directory for the files")
    parser.add_argument(
        "--format", choices=["jsonl", "csv"], default="jsonl", help="JSON lines, or CSV with ; and decimal commas"
    )
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--unlabeled-fraction", type=float, default=0.0)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    tenant = generate(args.orders, args.customers, args.seed, args.unlabeled_fraction)
    tenant.write(args.out, args.format)
    for dataset in DATASETS:
        print(f"{dataset}: {len(getattr(tenant, dataset))}")
    labeled = tenant.orders["invoiced"].dropna().astype(bool)
    print(f"labeled orders: {len(labeled)} (invoiced rate {labeled.mean():.3f})")
    print(f"bayes_auc: {tenant.bayes_auc():.4f}")
    print(f"written to {args.out} in {time.perf_counter() - began:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
