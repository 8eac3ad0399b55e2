"""The decision log read back: filtered, cursor-paginated history and per-day or -week summaries.

Both index the tenant's pending logged batches first (`predictions.index_decisions`), so they
see every decision made so far.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Select, and_, case, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from shared.db import reading, transaction
from shared.db.models import PredictionLog
from shared.schemas.models import (
    PredictionHistory,
    PredictionHistoryQuery,
    PredictionRecord,
    PredictionSummary,
    PredictionSummaryQuery,
    TimeRange,
)
from shared.schemas.pages import Position, encode_cursor
from shared.security import Principal
from shared.services.predictions import index_decisions

DECISIONS = ("invoice", "review", "hold")


def history(principal: Principal, request: PredictionHistoryQuery) -> PredictionHistory:
    """Newest first; `cursor` (a page's `next_cursor`) continues after that page's last decision."""
    index_decisions(principal.tenant_id)
    log = PredictionLog
    query = _in_range(select(log).where(log.tenant_id == principal.tenant_id), request)
    for column, value in ((log.order_id, request.order_id), (log.customer_id, request.customer_id),
                          (log.decision, request.decision)):
        if value is not None:
            query = query.where(column == value)
    if (after := request.position) is not None:
        created_at, last_id = after
        query = query.where(or_(log.created_at < created_at, and_(log.created_at == created_at, log.id < last_id)))
    query = query.order_by(log.created_at.desc(), log.id.desc()).limit(request.limit + 1)
    with transaction() as session:
        rows = session.scalars(query).all()
        page = rows[: request.limit]
        return PredictionHistory(
            items=[PredictionRecord.model_validate(row, from_attributes=True) for row in page],
            next_cursor=encode_cursor(Position(page[-1].created_at, page[-1].id)) if len(rows) > request.limit else None,
        )


def summary(principal: Principal, request: PredictionSummaryQuery) -> PredictionSummary:
    """One grouped query: per bucket the count, decision mix, amount by decision and mean score."""
    index_decisions(principal.tenant_id)
    log = PredictionLog
    bucket = _BUCKETS[request.bucket](log.created_at).label("bucket")
    per_decision = [
        aggregate(case((log.decision == decision, value), else_=0)).label(f"{name}_{decision}")
        for name, aggregate, value in (("count", func.sum, 1), ("amount", func.sum, log.amount))
        for decision in DECISIONS
    ]
    query = _in_range(
        select(bucket, func.count().label("count"), func.avg(log.probability).label("mean"), *per_decision)
        .where(log.tenant_id == principal.tenant_id),
        request,
    ).group_by(bucket).order_by(bucket)
    with reading() as connection:
        rows = connection.execute(query).mappings().all()
    return PredictionSummary(
        bucket=request.bucket,
        items=[
            {
                "start": _day(row["bucket"]),
                "count": row["count"],
                "decisions": {decision: row[f"count_{decision}"] for decision in DECISIONS},
                "amount": {decision: round(float(row[f"amount_{decision}"] or 0), 2) for decision in DECISIONS},
                "mean_score": round(1000 * float(row["mean"]), 1),
            }
            for row in rows
        ],
    )


def _in_range(query: Select, request: TimeRange) -> Select:
    if request.from_ is not None:
        query = query.where(PredictionLog.created_at >= request.from_)
    if request.to is not None:
        query = query.where(PredictionLog.created_at < request.to)
    return query


def _day(value: date | datetime | str) -> date:
    """Drivers return the bucket as text (SQLite) or a date."""
    return date.fromisoformat(str(value)[:10])


class _Bucket(FunctionElement):
    """The first day (UTC) of the day (`_Day`) or ISO week (`_Week`, from Monday) of a stored UTC
    timestamp. One class per unit: the unit is then part of SQLAlchemy's statement cache key."""

    inherit_cache = True
    type = Date()
    unit = ""


class _Day(_Bucket):
    inherit_cache = True
    unit = "day"


class _Week(_Bucket):
    inherit_cache = True
    unit = "week"


_BUCKETS = {"day": _Day, "week": _Week}


@compiles(_Bucket)
def _bucket_default(element: _Bucket, compiler, **kw) -> str:  # PostgreSQL
    return f"CAST(date_trunc('{element.unit}', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(_Bucket, "sqlite")
def _bucket_sqlite(element: _Bucket, compiler, **kw) -> str:
    column = compiler.process(element.clauses, **kw)
    # 'weekday 0' moves to the next Sunday (or stays on one); six days back is that week's Monday.
    return f"date({column})" if element.unit == "day" else f"date({column}, 'weekday 0', '-6 days')"


@compiles(_Bucket, "mssql")
def _bucket_mssql(element: _Bucket, compiler, **kw) -> str:
    day = f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"
    # Monday-based whatever DATEFIRST says: days since Monday = (weekday + @@DATEFIRST - 2) % 7.
    if element.unit == "day":
        return day
    return f"DATEADD(day, -((DATEPART(weekday, {day}) + @@DATEFIRST - 2) % 7), {day})"
