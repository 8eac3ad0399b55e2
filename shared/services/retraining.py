"""The company's retraining rule (DESIGN §9), the timer that applies it, and training by hand.

Every job goes through `training_jobs.queue_training`: the same outbox, event and `train` path as
a commit, on the company's latest committed upload. Each trigger fires once per occasion, kept
on the rule's row:
- `new_labels`: labeled orders now, less those the active model trained on or those counted when
  the last `new_labels` job was queued (whichever is more), reach `min_new_labeled`; the count
  is then marked, so the next job needs as many labels again.
- `age`: the active model is older than `max_model_age_days`; once per active version.
- `drift`: PSI >= 0.25 of the score or a feature over the last `DRIFT_WINDOW` against the
  active version's training data, on at least `MIN_DRIFT_ORDERS` orders; once per version. It is
  announced (`drift.detected`) for every company, a job queued only with `on_drift`.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.config import Settings
from shared.db import transaction
from shared.db.locking import locked
from shared.db.models import DriftCount, ModelVersion, Order, RetrainingRule, Upload
from shared.db.retry import retry_on_conflict
from shared.db.types import utcnow
from shared.errors import Conflict
from shared.ml.monitoring import PSI_DRIFT, SCORE
from shared.schemas.models import TimeRange
from shared.schemas.monitoring import RetrainingAnswer, TrainingJobQueued
from shared.schemas.monitoring import RetrainingRule as RuleDocument
from shared.security import Principal
from shared.services import webhooks
from shared.services.monitoring import counts_in, psi_by_feature
from shared.services.training_jobs import queue_training

log = logging.getLogger(__name__)
DRIFT_WINDOW = timedelta(days=1)  # counters are per day: today and yesterday
MIN_DRIFT_ORDERS = 100  # fewer scored orders say too little to call drift
_RULE_FIELDS = tuple(RuleDocument.model_fields)


def get_rule(principal: Principal) -> RetrainingAnswer:
    with transaction() as session:
        return _answer(session.get(RetrainingRule, principal.tenant_id))


def put_rule(principal: Principal, document: RuleDocument) -> RetrainingAnswer:
    with transaction() as session:
        rule = session.get(RetrainingRule, principal.tenant_id) or RetrainingRule(tenant_id=principal.tenant_id)
        for name in _RULE_FIELDS:
            setattr(rule, name, getattr(document, name))
        rule.updated_at = utcnow()
        session.add(rule)
        session.flush()
        return _answer(rule)


def _answer(rule: RetrainingRule | None) -> RetrainingAnswer:
    if rule is None or rule.updated_at is None:
        return RetrainingAnswer(updated_at=None)
    return RetrainingAnswer(updated_at=rule.updated_at, **{name: getattr(rule, name) for name in _RULE_FIELDS})


def auto_activate(session: Session, tenant_id: uuid.UUID) -> str:
    """`if_better`, `always` or `never`: whether training's new model takes over (`training._register`)."""
    return session.scalar(select(RetrainingRule.auto_activate).where(RetrainingRule.tenant_id == tenant_id)) or "if_better"


def start_training(settings: Settings, principal: Principal) -> TrainingJobQueued:
    """POST /api/training-jobs: a job with reason `manual`, or the company's job already waiting."""
    with transaction() as session:
        upload_id = _latest_upload(session, principal.tenant_id)
        if upload_id is None:
            raise Conflict("Nothing to train on yet: commit an upload first.")
        job = queue_training(session, settings, principal.tenant_id, upload_id, "manual")
        return TrainingJobQueued(job_id=job.id, status=job.status)


def apply_rules(settings: Settings) -> dict[uuid.UUID, str]:
    """The timer: every company with a rule, and every company that scored orders lately (whose
    drift is announced even without a rule), each in its own transaction; returns the reasons of
    the jobs it queued, by company."""
    with transaction() as session:
        recent = select(DriftCount.tenant_id).where(DriftCount.day >= (utcnow() - DRIFT_WINDOW).date())
        tenants = set(session.scalars(select(RetrainingRule.tenant_id).union(recent)))
    queued = {}
    for tenant_id in sorted(tenants, key=str):
        try:
            if reason := retry_on_conflict(lambda: _apply(settings, tenant_id)):
                queued[tenant_id] = reason
        except Exception:  # one company's fault must not keep the others' rules from running
            log.exception("retraining rule of company %s could not be applied", tenant_id)
    return queued


def _apply(settings: Settings, tenant_id: uuid.UUID) -> str | None:
    with transaction() as session:
        rule = session.scalars(
            locked(select(RetrainingRule).where(RetrainingRule.tenant_id == tenant_id), RetrainingRule, "update")
        ).one_or_none()
        if rule is None:  # the default rule, kept only for its marks (`updated_at` stays null)
            rule = RetrainingRule(tenant_id=tenant_id, on_drift=False, auto_activate="if_better", updated_at=None)
            session.add(rule)
        upload_id = _latest_upload(session, tenant_id)
        if upload_id is None:
            return None
        active = session.scalars(
            select(ModelVersion).where(ModelVersion.tenant_id == tenant_id, ModelVersion.active.is_(True))
        ).one_or_none()
        reason = _new_labels(session, rule, active) or _age(rule, active) or _drift(session, rule, active)
        if reason is not None:
            job = queue_training(session, settings, tenant_id, upload_id, reason)
            log.info("retraining rule of company %s queued job %s (%s)", tenant_id, job.id, reason)
        return reason


def _new_labels(session: Session, rule: RetrainingRule, active: ModelVersion | None) -> str | None:
    if rule.min_new_labeled is None:
        return None
    labeled = session.scalar(
        select(func.count()).select_from(Order).where(Order.tenant_id == rule.tenant_id, Order.invoiced.is_not(None))
    )
    trained_on = (active.row_counts or {}).get("labeled", 0) if active is not None else 0
    if labeled - max(trained_on, rule.labeled_mark or 0) < rule.min_new_labeled:
        return None
    rule.labeled_mark = labeled
    return "new_labels"


def _age(rule: RetrainingRule, active: ModelVersion | None) -> str | None:
    if rule.max_model_age_days is None or active is None or rule.age_version == active.version:
        return None
    if utcnow() - active.created_at < timedelta(days=rule.max_model_age_days):
        return None
    rule.age_version = active.version
    return "age"


def _drift(session: Session, rule: RetrainingRule, active: ModelVersion | None) -> str | None:
    if active is None or rule.drift_version == active.version:
        return None
    drifted = drifted_features(session, active)
    if not drifted:
        return None
    rule.drift_version = active.version
    webhooks.emit(session, rule.tenant_id, "drift.detected", {"model_version": active.version, "features": drifted})
    return "drift" if rule.on_drift else None


def drifted_features(session: Session, version: ModelVersion) -> list[dict]:
    """The score and features whose PSI over the last `DRIFT_WINDOW` reaches `PSI_DRIFT`, highest first."""
    reference = session.scalar(select(ModelVersion.drift_reference).where(ModelVersion.id == version.id))
    if not reference:
        return []
    now = utcnow()
    observed = counts_in(session.connection(), version.tenant_id, version.version, TimeRange(**{"from": now - DRIFT_WINDOW}))
    if sum(observed.get(SCORE, {}).values()) < MIN_DRIFT_ORDERS:
        return []
    found = [
        {"feature": feature, "psi": round(value, 4)}
        for feature, (value, _) in psi_by_feature(reference, observed).items() if value >= PSI_DRIFT
    ]
    return sorted(found, key=lambda item: -item["psi"])


def _latest_upload(session: Session, tenant_id: uuid.UUID) -> uuid.UUID | None:
    return session.scalar(
        select(Upload.id)
        .where(Upload.tenant_id == tenant_id, Upload.status == "committed")
        .order_by(Upload.committed_at.desc(), Upload.id)
        .limit(1)
    )
