"""A model version's holdout report, with the decision mix at the company's policy in force now.

The curves are stored at training; only the mix is recomputed per request, because a policy can
change after training (a new PUT, or targets that this version turns into its own cutoffs).
"""

from __future__ import annotations

from shared.config import Settings
from shared.db import transaction
from shared.errors import NotFound
from shared.schemas.reports import ModelReport
from shared.security import Principal
from shared.services import model_loader, policy
from shared.services.models import find_artifact, find_version


def get_report(settings: Settings, principal: Principal, version: int) -> ModelReport:
    from shared.ml.report import decision_mix, expand_holdout

    with transaction() as session:
        stored = find_version(session, principal, version).report
    if stored is None:
        raise NotFound(
            f"Model version {version} was trained before reports existed; retrain (commit an upload) to get one."
        )
    _, document = policy.in_force(principal)
    model = model_loader.load_version(settings, find_artifact(principal, version))
    cutoffs = policy.decision_policy(document, model).cutoffs
    labels, probability = expand_holdout(stored["holdout"])
    mix = decision_mix(labels, probability, cutoffs.invoice_at, cutoffs.hold_below)
    return ModelReport.model_validate({**stored, "version": version, "decision_mix": mix})
