"""Outcomes of decisions, kept as counts (`decision_counts`) that GET /api/monitoring reads.

An order's `invoiced` label, uploaded after it was decided, is the outcome of every logged
decision of that order. Joining a million decisions with the orders at each query took seconds,
so the counts per model version, day, decision, outcome and probability bin are kept instead:
- when decisions are indexed (`predictions.index_decisions`), each is counted with its order's
  label at that moment (`count_decisions`);
- when labels arrive later, `sync` (run by each monitoring query for its company first) takes the order batches uploaded since the company's mark, moves each
  decision whose stored outcome differs from its order's label to its new count, and records it.
  Comparing stored with current makes a batch taken in twice harmless: the mark stays below
  batches younger than `SETTLE_SECONDS`, so one whose transaction committed after a later one
  (ids are given at insert) is never skipped.
Both hold the company's row lock (`training_jobs.lock_company`), so a label committed while
decisions were being indexed is seen by the next `sync`. A company's first `sync` counts its
whole decision log (decisions logged before counting existed).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from shared.db import transaction
from shared.db.counters import add_to_counters
from shared.db.models import DecisionCount, Order, OutcomeMark, PredictionLog, Upload, UploadBatch
from shared.db.retry import retry_on_conflict
from shared.db.types import utcnow
from shared.ml.monitoring import score_bin
from shared.services.training_jobs import lock_company

KEY = ("tenant_id", "model_version", "day", "decision", "outcome", "bin")
SETTLE_SECONDS = 60
LOOKUP_CHUNK = 1000
_SET_OUTCOME = update(PredictionLog.__table__).where(PredictionLog.__table__.c.id == bindparam("w_id")).values(
    outcome=bindparam("v_outcome")
)


def outcome_code(invoiced: bool | None) -> int:
    return -1 if invoiced is None else int(invoiced)


def labels(session: Session, tenant_id: uuid.UUID, order_ids: Iterable[str]) -> dict[str, bool]:
    """The labels of those of `order_ids` that have one."""
    wanted = sorted(set(order_ids))
    found = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = bindparam("ids", wanted[start:start + LOOKUP_CHUNK], expanding=True, literal_execute=True)
        found.update(session.execute(
            select(Order.order_id, Order.invoiced)
            .where(Order.tenant_id == tenant_id, Order.order_id.in_(chunk), Order.invoiced.is_not(None))
        ).all())
    return found


def count_decisions(session: Session, rows: list[dict]) -> None:
    """Sets each new decision log row's `outcome` from its order's label (before the rows are
    written) and counts them."""
    by_tenant: dict[uuid.UUID, list[dict]] = defaultdict(list)
    for row in rows:
        by_tenant[row["tenant_id"]].append(row)
    added = _Counts()
    for tenant_id in sorted(by_tenant, key=str):
        lock_company(session, tenant_id)
        known = labels(session, tenant_id, (row["order_id"] for row in by_tenant[tenant_id]))
        for row in by_tenant[tenant_id]:
            row["outcome"] = known.get(row["order_id"])
            added.add(row, row["outcome"], 1)
    add_to_counters(session, DecisionCount.__table__, KEY, 3, added.rows)


def sync(tenant_id: uuid.UUID) -> None:
    retry_on_conflict(lambda: _sync(tenant_id))


def _sync(tenant_id: uuid.UUID) -> None:
    with transaction() as session:
        lock_company(session, tenant_id)
        mark = session.get(OutcomeMark, tenant_id)
        batches = session.execute(
            select(UploadBatch.id, UploadBatch.written_keys, UploadBatch.created_at)
            .join(Upload)
            .where(Upload.tenant_id == tenant_id, UploadBatch.dataset == "orders",
                   UploadBatch.id > (mark.upload_batch_id if mark else 0))
            .order_by(UploadBatch.id)
        ).all()
        if mark is None:
            _recount(session, tenant_id)
            mark = OutcomeMark(tenant_id=tenant_id, upload_batch_id=0)
            session.add(mark)
        elif batches:
            if any(keys is None for _, keys, _ in batches):  # stored before keys were recorded
                _recount(session, tenant_id)
            else:
                _move(session, tenant_id, {key for _, keys, _ in batches for key in keys})
        settled = utcnow() - timedelta(seconds=SETTLE_SECONDS)
        for batch_id, _, created_at in batches:
            if created_at >= settled:
                break
            mark.upload_batch_id = batch_id


def _move(session: Session, tenant_id: uuid.UUID, order_ids: set[str]) -> None:
    """Decisions of `order_ids` whose stored outcome is not their order's label any more."""
    log = PredictionLog
    current = labels(session, tenant_id, order_ids)
    wanted = sorted(order_ids)
    moved, changes = _Counts(), []
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = bindparam("ids", wanted[start:start + LOOKUP_CHUNK], expanding=True, literal_execute=True)
        for row in session.execute(
            select(log.id, log.tenant_id, log.model_version, log.created_at, log.decision, log.probability,
                   log.amount, log.outcome, log.order_id)
            .where(log.tenant_id == tenant_id, log.order_id.in_(chunk))
        ).mappings():
            label = current.get(row["order_id"])
            if label != row["outcome"]:
                moved.add(row, row["outcome"], -1)
                moved.add(row, label, 1)
                changes.append({"w_id": row["id"], "v_outcome": label})
    if changes:
        session.connection().execute(_SET_OUTCOME, changes)
        add_to_counters(session, DecisionCount.__table__, KEY, 3, moved.rows)


def _recount(session: Session, tenant_id: uuid.UUID) -> None:
    """The company's counts rebuilt from its whole decision log, with the labels of now."""
    log = PredictionLog
    session.execute(delete(DecisionCount).where(DecisionCount.tenant_id == tenant_id))
    label = select(Order.invoiced).where(Order.tenant_id == log.tenant_id, Order.order_id == log.order_id).scalar_subquery()
    session.execute(
        update(log).where(log.tenant_id == tenant_id).values(outcome=label),
        execution_options={"synchronize_session": False},
    )
    counts = _Counts()
    rows = session.execute(
        select(log.tenant_id, log.model_version, log.created_at, log.decision, log.probability, log.amount, log.outcome)
        .where(log.tenant_id == tenant_id)
    ).mappings()
    for row in rows:
        counts.add(row, row["outcome"], 1)
    add_to_counters(session, DecisionCount.__table__, KEY, 3, counts.rows)


class _Counts:
    """Additions to `decision_counts`, by key."""

    def __init__(self) -> None:
        self.rows: dict[tuple, dict] = defaultdict(lambda: {"count": 0, "amount": Decimal(0)})

    def add(self, decision, outcome: bool | None, sign: int) -> None:
        key = (decision["tenant_id"], decision["model_version"], decision["created_at"].date(), decision["decision"],
               outcome_code(outcome), score_bin(decision["probability"]))
        entry = self.rows[key]
        entry["count"] += sign
        entry["amount"] += sign * Decimal(str(decision["amount"] or 0))
