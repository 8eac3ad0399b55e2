"""Invoice, review or hold: score orders with the tenant's model and policy, explain, log each decision.

A request's decisions are logged as one `prediction_batches` row, committed before the answer
leaves. Writing them straight into the order-indexed `prediction_log` cost a third of a 500-order
request (each decision lands on its own index page); `index_decisions` moves them there later,
run by a timer for every tenant and by each history or summary query (`decision_history`) for
its own tenant first, so the history is always complete.
"""

from __future__ import annotations

import time
import uuid

from sqlalchemy import delete, insert, select

from shared.config import Settings
from shared.db import get_engine, transaction
from shared.db.locking import locked
from shared.db.retry import retry_on_conflict
from shared.db.models import PredictionBatch, PredictionLog
from shared.db.types import utcnow
from shared.schemas.models import PredictionRequest, PredictionResponse
from shared.security import Principal
from shared.services import drift, model_loader, outcomes, policy
from shared.services.models import find_artifact
from shared.services.scoring import context_for, features_for

INDEXED_PER_TRANSACTION = 20  # batches: up to 10,000 decisions, about 0.1 s of SQLite's write lock
# The timer pauses between its transactions to let other writers in: on SQLite, a writer that finds
# the lock taken retries after sleeping (up to 0.1 s at a time), so a timer going straight on took
# the lock back first, and a prediction's log write waited out the whole backlog (2 s for 200,000).
TIMER_PAUSE_SECONDS = 0.05
_LOG_BATCH = insert(PredictionBatch)  # built once, as the registry's lookups (`models._ARTIFACT`)
# Core, not the ORM's bulk insert: its per-row bookkeeping was a quarter of indexing a decision.
_LOG_ROWS = insert(PredictionLog.__table__)


def predict(settings: Settings, principal: Principal, request: PredictionRequest) -> PredictionResponse:
    """Scores, then applies the company's policy in force (`policy`): each answer says the decision,
    the rules that fired and the policy version; `invoice` is `decision == "invoice"`."""
    import numpy as np

    from shared.ml.decisions import decide

    version = find_artifact(principal, request.model_version)
    model = model_loader.load_version(settings, version)
    policy_version, applied = policy.for_scoring(principal, version.version, model)
    orders = request.orders
    context = context_for(principal, orders)
    known = context.has_customers([order.customer_id for order in orders])
    features = features_for(principal, orders, context)
    scored = model.predict(features, [order.order_id for order in orders])
    decisions, fired = decide(applied, scored.probability, features, ~np.array(known, dtype=bool), scored.support_gaps)
    predictions = scored.records()
    invoice = [decision == "invoice" for decision in decisions]
    for prediction, has, decision, invoiced, rules in zip(predictions, known, decisions, invoice, fired, strict=True):
        prediction.update(decision=decision, invoice=invoiced, rules=rules, unknown_customer=not has)
    logged = {
        "order_id": scored.order_ids, "probability": scored.probability.tolist(), "invoice": invoice,
        "decision": decisions, "customer_id": [order.customer_id for order in orders],
        "amount": features["amount"].tolist(),
    }
    if scored.drift_counts is not None:  # added to the day's drift counters when the batch is indexed
        logged["drift"] = scored.drift_counts
    with get_engine().begin() as connection:
        connection.execute(
            _LOG_BATCH,
            {"tenant_id": principal.tenant_id, "model_version": version.version, "policy_version": policy_version,
             "decisions": logged, "created_at": utcnow()},
        )
    return PredictionResponse.model_construct(
        model_version=version.version, policy_version=policy_version, predictions=predictions
    )


def index_decisions(tenant_id: uuid.UUID | None = None) -> int:
    """Moves logged batches into `prediction_log`, a row per decision; returns how many decisions.

    For one tenant (before its history is read) it waits for batches another run is moving, so
    that what follows sees them; for every tenant (the timer) it skips those instead, and pauses
    between transactions.
    """
    moved = 0
    while True:
        count, full = retry_on_conflict(lambda: _index_some(tenant_id))
        moved += count
        if not full:
            return moved
        if tenant_id is None:
            time.sleep(TIMER_PAUSE_SECONDS)


def _index_some(tenant_id: uuid.UUID | None) -> tuple[int, bool]:
    """One transaction of `index_decisions`: decisions moved, and whether a full set of batches
    was found (more may wait). The decisions are counted for monitoring (`outcomes`) and their
    drift counts added (`drift`); retried whole when it loses a race for a new counter."""
    with transaction() as session:
        query = select(PredictionBatch).order_by(PredictionBatch.id).limit(INDEXED_PER_TRANSACTION)
        if tenant_id is not None:
            query = query.where(PredictionBatch.tenant_id == tenant_id)
        mode = "skip_locked" if tenant_id is None else "update"
        batches = session.scalars(locked(query, PredictionBatch, mode)).all()
        if not batches:
            return 0, False
        rows = [row for batch in batches for row in _logged_rows(batch)]
        outcomes.count_decisions(session, rows)
        session.connection().execute(_LOG_ROWS, rows)
        drift.add_counts(session, batches)
        session.execute(
            delete(PredictionBatch).where(PredictionBatch.id.in_([batch.id for batch in batches])),
            execution_options={"synchronize_session": False},
        )
        return len(rows), len(batches) == INDEXED_PER_TRANSACTION


def _logged_rows(batch: PredictionBatch) -> list[dict]:
    """A batch's decisions as `prediction_log` rows. Batches logged before policies existed have
    no decision column (theirs was `invoice`: invoice or hold), customers or amounts. Amounts go
    in as the floats the request scored (2 decimal places; the column keeps them exact)."""
    decisions = batch.decisions
    count = len(decisions["order_id"])
    decision = decisions.get("decision") or ["invoice" if invoice else "hold" for invoice in decisions["invoice"]]
    customer_id, amount = decisions.get("customer_id") or [None] * count, decisions.get("amount") or [None] * count
    shared = {"tenant_id": batch.tenant_id, "model_version": batch.model_version,
              "policy_version": batch.policy_version, "created_at": batch.created_at}
    return [
        shared | {"order_id": order, "probability": probability, "invoice": invoice, "decision": decided,
                  "customer_id": customer, "amount": money}
        for order, probability, invoice, decided, customer, money in zip(
            decisions["order_id"], decisions["probability"], decisions["invoice"], decision, customer_id, amount,
            strict=True,
        )
    ]
