"""A company's decision policy: versioned documents, and the policy in force for scoring (DESIGN §8).

Every PUT adds a version; the highest is in force. A company that never saved one has the
default (version 0). Scoring asks the database only for the number of the version in force (one
indexed lookup, a fraction of a millisecond) and keeps each version's document per worker:
versions never change, so another worker's PUT is seen on the very next request.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from cachetools import LRUCache
from sqlalchemy import bindparam, func, select

from shared.config import Settings
from shared.db import reading, transaction
from shared.db.models import PolicyVersion
from shared.db.retry import retry_on_conflict
from shared.errors import Conflict
from shared.schemas.policy import DEFAULT_POLICY, CutoffsInForce, PolicyAnswer, PolicyDocument
from shared.security import Principal
from shared.services import model_loader
from shared.services.models import find_artifact

if TYPE_CHECKING:
    from shared.ml.decisions import DecisionPolicy
    from shared.ml.model import CreditModel

DEFAULT_VERSION = 0
_tenant = PolicyVersion.tenant_id == bindparam("tenant_id")
# Built once, as the registry's lookups (`models._ARTIFACT`).
_IN_FORCE = select(PolicyVersion.version).where(_tenant).order_by(PolicyVersion.version.desc()).limit(1)
_DOCUMENT = select(PolicyVersion.document).where(_tenant, PolicyVersion.version == bindparam("version"))
_LATEST = (
    select(PolicyVersion.version, PolicyVersion.document, PolicyVersion.created_at)
    .where(_tenant).order_by(PolicyVersion.version.desc()).limit(1)
)
_documents: LRUCache[tuple[uuid.UUID, int], PolicyDocument] = LRUCache(maxsize=256)
_applied: LRUCache[tuple[uuid.UUID, int, int], DecisionPolicy] = LRUCache(maxsize=256)
_lock = threading.Lock()


def in_force(principal: Principal) -> tuple[int, PolicyDocument]:
    """The version in force and its document, for scoring."""
    bound = {"tenant_id": principal.tenant_id}
    with reading() as connection:
        version = connection.scalar(_IN_FORCE, bound)
        if version is None:
            return DEFAULT_VERSION, DEFAULT_POLICY
        key = (principal.tenant_id, version)
        with _lock:
            document = _documents.get(key)
        if document is None:
            document = PolicyDocument.model_validate(connection.scalar(_DOCUMENT, bound | {"version": version}))
            with _lock:
                _documents[key] = document
    return version, document


def for_scoring(principal: Principal, model_version: int, model: CreditModel) -> tuple[int, DecisionPolicy]:
    """The policy version in force and how `model` (of `model_version`) applies it, kept per worker
    for each pair (deriving cutoffs from targets and reading the document back cost a tenth of a
    millisecond per request)."""
    version, document = in_force(principal)
    key = (principal.tenant_id, version, model_version)
    with _lock:
        applied = _applied.get(key)
    if applied is None:
        applied = decision_policy(document, model)
        with _lock:
            _applied[key] = applied
    return version, applied


def decision_policy(document: PolicyDocument, model: CreditModel) -> DecisionPolicy:
    """The document as the model applies it: targets become the cutoffs the model derived from its
    validation predictions. A model trained before it kept them has its one threshold for both
    cutoffs (invoice or hold, as it decided before policies existed)."""
    from shared.ml.cutoffs import Cutoffs
    from shared.ml.decisions import DecisionPolicy

    if document.cutoffs is not None:
        cutoffs = Cutoffs(document.cutoffs.invoice_at, document.cutoffs.hold_below)
    elif model.validation_curve is not None:
        cutoffs = model.validation_curve.cutoffs(document.targets.invoice_precision, document.targets.hold_precision)
    else:
        cutoffs = Cutoffs(model.threshold, model.threshold)
    return DecisionPolicy(
        cutoffs=cutoffs,
        rules=document.rules.model_dump(),
        stale_bureau_days=document.stale_bureau_days,
        max_amount=float(document.max_amount) if document.max_amount is not None else None,
    )


def get_policy(settings: Settings, principal: Principal) -> PolicyAnswer:
    with reading() as connection:  # never the write lock (SQLite), nor held while a model loads
        row = connection.execute(_LATEST, {"tenant_id": principal.tenant_id}).one_or_none()
    if row is None:
        return _answer(settings, principal, DEFAULT_POLICY, DEFAULT_VERSION, None)
    return _answer(settings, principal, PolicyDocument.model_validate(row.document), row.version, row.created_at)


def put_policy(settings: Settings, principal: Principal, document: PolicyDocument) -> PolicyAnswer:
    """Saves `document` as the next version (two PUTs at once: both saved, one after the other)."""

    def save() -> PolicyVersion:
        with transaction() as session:
            latest = session.scalar(
                select(func.max(PolicyVersion.version)).where(PolicyVersion.tenant_id == principal.tenant_id)
            )
            row = PolicyVersion(
                tenant_id=principal.tenant_id, version=(latest or DEFAULT_VERSION) + 1,
                document=document.model_dump(mode="json"),
            )
            session.add(row)
            session.flush()
            return row

    row = retry_on_conflict(save)
    return _answer(settings, principal, document, row.version, row.created_at)


def _answer(
    settings: Settings, principal: Principal, document: PolicyDocument, version: int, created_at: datetime | None
) -> PolicyAnswer:
    in_force = _cutoffs_in_force(settings, principal, document)
    return PolicyAnswer(**dict(document), version=version, created_at=created_at, cutoffs_in_force=in_force)


def _cutoffs_in_force(settings: Settings, principal: Principal, document: PolicyDocument) -> CutoffsInForce | None:
    try:
        active = find_artifact(principal, None)
    except Conflict:  # no active model yet
        if document.cutoffs is None:
            return None
        return CutoffsInForce(**document.cutoffs.model_dump(), model_version=None)
    cutoffs = decision_policy(document, model_loader.load_version(settings, active)).cutoffs
    return CutoffsInForce(invoice_at=cutoffs.invoice_at, hold_below=cutoffs.hold_below, model_version=active.version)
