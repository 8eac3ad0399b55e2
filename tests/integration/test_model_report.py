"""The model report on real databases: built by a real training, stored with the version, served
with the decision mix of the cutoffs in force; absent for versions trained before reports."""

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, precision_recall_curve, roc_curve
from sqlalchemy import update

from shared.config import get_settings
from shared.db import transaction
from shared.db.models import ModelVersion
from shared.errors import NotFound
from shared.ml.training import TrainingData, train_model
from shared.security import Principal
from shared.schemas.policy import PolicyDocument
from shared.services import models, policy, reports, training
from shared.services.history import load_history
from tests.integration.conftest import new_company, upload_sample


@pytest.fixture
def trained(tenant) -> Principal:
    training.run_job(get_settings(), upload_sample(tenant, orders=1000))
    return tenant


def holdout_of(principal: Principal) -> tuple[np.ndarray, np.ndarray]:
    """The holdout labels and scores, by training again on the same data (training is deterministic)."""
    data = TrainingData.from_history(load_history(principal.tenant_id))
    result = train_model(data, seed=training.SEED, threads=get_settings().training_threads)
    return result.holdout_labels, result.holdout_probability


def test_the_stored_report_is_the_holdouts_curves_as_sklearn_draws_them_and_its_decisions_at_the_policy(trained):
    report = reports.get_report(get_settings(), trained, 1)
    detail = models.get_model(trained, 1)
    y, p = holdout_of(trained)
    assert report.version == 1 and report.holdout_orders == len(y) == detail.row_counts["holdout"]

    fpr, tpr, _ = roc_curve(y, p)
    assert set(zip(report.roc.fpr, report.roc.tpr)) <= set(zip(fpr.tolist(), tpr.tolist()))
    assert (report.roc.fpr[-1], report.roc.tpr[-1]) == (1.0, 1.0) and len(report.roc.fpr) <= 200
    precision, recall, _ = precision_recall_curve(y, p)
    assert set(zip(report.pr.recall, report.pr.precision)) <= set(zip(recall.tolist(), precision.tolist()))
    observed, predicted = calibration_curve(y, p, n_bins=10)
    assert report.calibration.invoiced_rate == pytest.approx(observed.tolist(), abs=1e-12)
    assert report.calibration.mean_probability == pytest.approx(predicted.tolist(), abs=1e-12)
    assert report.calibration.brier == pytest.approx(brier_score_loss(y, p), abs=1e-12) == pytest.approx(detail.metrics["brier"])
    assert report.ks.ks == pytest.approx(detail.metrics["ks"])
    assert sum(report.score_histogram.invoiced) == y.sum() and sum(report.score_histogram.refused) == (~y).sum()
    assert {entry.feature for entry in report.feature_importance} == {feature["name"] for feature in detail.features}
    assert report.headline.precision == 0.98

    # The mix is at the cutoffs in force: by default those the version derived from the targets.
    in_force = policy.get_policy(get_settings(), trained).cutoffs_in_force
    assert (report.decision_mix.invoice_at, report.decision_mix.hold_below) == (in_force.invoice_at, in_force.hold_below)
    assert report.decision_mix.counts.reviewed > 0

    # The threshold as both cutoffs: invoiced and held make the confusion matrix.
    cutoffs = {"invoice_at": detail.threshold, "hold_below": detail.threshold}
    policy.put_policy(get_settings(), trained, PolicyDocument.model_validate({"cutoffs": cutoffs}))
    mix, matrix = reports.get_report(get_settings(), trained, 1).decision_mix, detail.metrics["confusion_matrix"]
    assert mix.invoice_at == mix.hold_below == detail.threshold
    assert mix.counts.model_dump() == {"invoiced": matrix["tp"] + matrix["fp"], "reviewed": 0, "held": matrix["tn"] + matrix["fn"]}
    assert mix.invoice_precision == pytest.approx(detail.metrics["precision"])
    assert mix.automation_rate == 1.0


def test_only_the_company_reads_its_report_which_versions_before_reports_lack(trained):
    with transaction() as session:
        row = models.find_version(session, trained, 1)
        assert "report" not in row.__dict__, "deferred: reading a version does not load its report"
    with pytest.raises(NotFound):
        reports.get_report(get_settings(), new_company(), 1)
    with pytest.raises(NotFound, match="No model version 2"):
        reports.get_report(get_settings(), trained, 2)

    with transaction() as session:  # as a version trained before this change
        session.execute(update(ModelVersion).where(ModelVersion.tenant_id == trained.tenant_id).values(report=None))
    with pytest.raises(NotFound, match="trained before reports existed; retrain"):
        reports.get_report(get_settings(), trained, 1)
    assert models.get_model(trained, 1).version == 1, "the version itself still reads"

