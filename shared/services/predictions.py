"""Invoice or hold: score orders with the tenant's model, explain, and log every decision."""

from __future__ import annotations

from sqlalchemy import insert, select

from shared.config import Settings
from shared.db import get_engine, transaction
from shared.db.models import PredictionLog
from shared.db.types import utcnow
from shared.schemas.models import (
    PredictionHistory,
    PredictionHistoryQuery,
    PredictionRecord,
    PredictionRequest,
    PredictionResponse,
)
from shared.security import Principal
from shared.services import model_loader
from shared.services.models import find_version
from shared.services.scoring import context_for, features_for


def predict(settings: Settings, principal: Principal, request: PredictionRequest) -> PredictionResponse:
    with transaction() as session:
        version = find_version(session, principal, request.model_version)
    model = model_loader.load_version(settings, version)
    context = context_for(principal, request.orders)
    known = context.has_customers([order.customer_id for order in request.orders]).tolist()
    scored = model.predict(features_for(principal, request.orders, context)).records()
    predictions = [{**record, "unknown_customer": not has} for record, has in zip(scored, known, strict=True)]
    now = utcnow()
    with get_engine().begin() as connection:  # Core: the ORM's bulk-insert bookkeeping is not needed here
        connection.execute(
            insert(PredictionLog),
            [
                {"tenant_id": principal.tenant_id, "order_id": p["order_id"], "model_version": version.version,
                 "probability": p["probability"], "invoice": p["invoice"], "created_at": now}
                for p in predictions
            ],
        )
    return PredictionResponse.model_construct(model_version=version.version, predictions=predictions)


def history(principal: Principal, request: PredictionHistoryQuery) -> PredictionHistory:
    query = select(PredictionLog).where(PredictionLog.tenant_id == principal.tenant_id)
    if request.order_id:
        query = query.where(PredictionLog.order_id == request.order_id)
    query = query.order_by(PredictionLog.created_at.desc(), PredictionLog.id.desc()).limit(request.limit)
    with transaction() as session:
        return PredictionHistory(
            items=[PredictionRecord.model_validate(row, from_attributes=True) for row in session.scalars(query)]
        )
