"""The model registry as tenants see it: list, inspect, activate (rollback) and evaluate versions."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import ColumnElement, Row, bindparam, select, update
from sqlalchemy.orm import Session

from shared.config import Settings
from shared.db import reading, transaction
from shared.db.models import ModelVersion
from shared.errors import Conflict, NotFound
from shared.schemas.models import EvaluateRequest, EvaluateResult, ModelDetail, ModelList, ModelSummary
from shared.security import Principal
from shared.services import model_loader, webhooks
from shared.services.scoring import features_for

T = TypeVar("T")
NO_MODEL = "No active model yet: upload the company's history and commit it to train one."


def find_version(session: Session, principal: Principal, version: int | None) -> ModelVersion:
    """The requested version, or the active one; another tenant's version is simply not found."""
    query = select(ModelVersion).where(*_which(by_version=version is not None))
    return _found(session.scalars(query, _bound(principal, version)).one_or_none(), version)


def find_artifact(principal: Principal, version: int | None) -> Row:
    """`find_version`'s artifact columns (`model_loader.Registered`) only, for scoring: decoding
    the row's JSON reports was most of a prediction's registry lookup."""
    with reading() as connection:
        found = connection.execute(_ARTIFACT[version is not None], _bound(principal, version))
        return _found(found.one_or_none(), version)


def _which(*, by_version: bool) -> tuple[ColumnElement[bool], ...]:
    """The bound `version` of the bound `tenant_id`, or its active one."""
    requested = ModelVersion.version == bindparam("version") if by_version else ModelVersion.active.is_(True)
    return ModelVersion.tenant_id == bindparam("tenant_id"), requested


def _bound(principal: Principal, version: int | None) -> dict:
    return {"tenant_id": principal.tenant_id, "version": version}


# Built once: SQLAlchemy derives the cache key of every new statement it runs, which cost twice
# the query itself on each prediction.
_ARTIFACT = {
    by_version: select(ModelVersion.tenant_id, ModelVersion.version, ModelVersion.artifact_uri, ModelVersion.sha256)
    .where(*_which(by_version=by_version))
    for by_version in (False, True)
}


def _found(row: T | None, version: int | None) -> T:
    if row is None:
        if version is None:
            raise Conflict(NO_MODEL)
        raise NotFound(f"No model version {version}.")
    return row


def _summary(row: ModelVersion) -> dict:
    return {
        "version": row.version, "algorithm": row.algorithm, "active": row.active, "created_at": row.created_at,
        "training_job_id": row.training_job_id, "roc_auc": row.metrics.get("roc_auc"),
    }


def list_models(principal: Principal) -> ModelList:
    with transaction() as session:
        rows = session.scalars(
            select(ModelVersion).where(ModelVersion.tenant_id == principal.tenant_id).order_by(ModelVersion.version.desc())
        ).all()
        return ModelList(items=[ModelSummary(**_summary(row)) for row in rows])


def get_model(principal: Principal, version: int) -> ModelDetail:
    with transaction() as session:
        row = find_version(session, principal, version)
        return ModelDetail(
            **_summary(row), threshold=row.threshold, metrics=row.metrics, leaderboard=row.leaderboard,
            features=row.features, row_counts=row.row_counts, data_from=row.data_from, data_to=row.data_to,
            champion_comparison=row.champion_comparison, sha256=row.sha256,
        )


def activate(principal: Principal, version: int) -> ModelDetail:
    with transaction() as session:
        row = find_version(session, principal, version)
        session.execute(
            update(ModelVersion).where(ModelVersion.tenant_id == principal.tenant_id, ModelVersion.id != row.id)
            .values(active=False)
        )
        if not row.active:
            webhooks.model_activated(session, principal.tenant_id, version, by="activation")
        row.active = True
    model_loader.forget_tenant(principal.tenant_id)
    return get_model(principal, version)


def evaluate(settings: Settings, principal: Principal, version: int, request: EvaluateRequest) -> EvaluateResult:
    """Metrics of a version on labeled orders the tenant sends now ("teste com o modelo")."""
    labels = [order.invoiced for order in request.orders]
    row = find_artifact(principal, version)
    model = model_loader.load_version(settings, row)
    metrics = model.evaluate(features_for(principal, request.orders), labels)
    return EvaluateResult(model_version=row.version, orders=len(labels), metrics=metrics)
