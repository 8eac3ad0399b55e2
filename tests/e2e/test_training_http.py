"""The whole product over HTTP: upload -> commit -> event -> training -> models -> predictions."""

import pytest
from sklearn.metrics import roc_auc_score

from shared.demo import upload_sample, wait_for_job
from shared.sample_data import generate

METRICS = {"roc_auc", "pr_auc", "ks", "gini", "brier", "accuracy", "precision", "recall", "f1", "confusion_matrix", "threshold"}


def undecided(sample) -> list[dict]:
    return [order for order in sample.records("orders") if "invoiced" not in order]


@pytest.fixture(scope="module")
def trained(devhost):
    """A tenant with one trained model; most recent orders are left undecided for predictions."""
    headers = devhost.signup()
    sample = generate(orders=1500, seed=21, unlabeled_fraction=0.05)
    with devhost.client(headers=headers) as client:
        commit = upload_sample(client, sample)
        job = wait_for_job(client, commit["training_job_id"], timeout=300)
    assert job["status"] == "succeeded", job
    return headers, sample, job


def test_the_committed_upload_was_trained_and_listed_with_metrics(devhost, trained):
    headers, _, job = trained
    with devhost.client(headers=headers) as client:
        models = client.get("/models").json()["items"]
        assert [(m["version"], m["active"]) for m in models] == [(job["model_version"], True)]
        detail = client.get(f"/models/{job['model_version']}").json()
    assert METRICS <= set(detail["metrics"])
    assert detail["metrics"]["roc_auc"] > 0.7
    assert len(detail["leaderboard"]) >= 2 and detail["features"]
    assert detail["row_counts"]["holdout"] > 0


def test_predictions_decide_with_signed_reasons_and_are_logged(devhost, trained):
    headers, sample, _ = trained
    pending = undecided(sample)[:20]
    stranger = {**pending[0], "order_id": "NEW-1", "customer_id": "NEVER-SEEN"}
    with devhost.client(headers=headers) as client:
        answer = client.post("/predictions", json={"orders": [*pending, stranger]})
        assert answer.status_code == 200, answer.text
        predictions = answer.json()["predictions"]
        history = client.get("/predictions", params={"order_id": pending[0]["order_id"]}).json()["items"]
    assert [p["order_id"] for p in predictions] == [o["order_id"] for o in [*pending, stranger]]
    for prediction in predictions:
        assert 0 <= prediction["probability"] <= 1
        assert prediction["score"] == round(1000 * prediction["probability"])
        assert len(prediction["reasons"]) == 3
        assert all(isinstance(r["impact"], float) and r["description"] for r in prediction["reasons"])
    assert [p["unknown_customer"] for p in predictions] == [False] * len(pending) + [True]
    assert history[0]["order_id"] == pending[0]["order_id"]
    assert history[0]["probability"] == pytest.approx(predictions[0]["probability"])


def test_evaluate_matches_a_direct_sklearn_computation(devhost, trained):
    headers, sample, job = trained
    labeled = [order for order in sample.records("orders") if "invoiced" in order][-300:]
    unlabeled = [{k: v for k, v in order.items() if k != "invoiced"} for order in labeled]
    with devhost.client(headers=headers) as client:
        evaluated = client.post(f"/models/{job['model_version']}/evaluate", json={"orders": labeled}).json()
        scored = client.post("/predictions", json={"orders": unlabeled}).json()["predictions"]
    expected = roc_auc_score([o["invoiced"] for o in labeled], [p["probability"] for p in scored])
    assert evaluated["orders"] == 300
    assert evaluated["metrics"]["roc_auc"] == pytest.approx(expected, abs=1e-9)


def test_a_version_spelled_with_unicode_space_or_digits_names_no_version(devhost, trained):
    headers, _, job = trained
    version = job["model_version"]
    with devhost.client(headers=headers) as client:
        assert client.get(f"/models/{version}").status_code == 200
        for spelled in (f"%C2%A0{version}", f"{version}%E2%80%83", chr(0x660 + version)):
            assert client.get(f"/models/{spelled}").status_code == 404, spelled
            assert client.post(f"/models/{spelled}/activate").status_code == 404, spelled


def test_without_a_model_predictions_conflict_and_other_tenants_versions_are_not_found(devhost, trained):
    _, sample, job = trained
    order = undecided(sample)[0]
    with devhost.client(headers=devhost.signup()) as client:
        answer = client.post("/predictions", json={"orders": [order]})
        assert answer.status_code == 409 and "upload" in answer.json()["detail"]
        assert client.get(f"/models/{job['model_version']}").status_code == 404
        assert client.post(f"/models/{job['model_version']}/activate").status_code == 404


def test_prediction_requests_are_checked_before_any_model_is_looked_for(devhost, trained):
    _, sample, _ = trained
    order = undecided(sample)[0]
    with devhost.client(headers=devhost.signup()) as client:  # no model: only the request is judged
        too_many = client.post("/predictions", json={"orders": [order] * 501})
        assert too_many.status_code == 413 and "501" in too_many.json()["detail"]
        not_json = client.post("/predictions", content=b'{"orders": [', headers={"Content-Type": "application/json"})
        assert not_json.status_code == 400
        empty = client.post("/predictions", content=b"", headers={"Content-Type": "application/json"})
        assert empty.status_code == 422 and [e["loc"] for e in empty.json()["errors"]] == [["orders"]]
        bad = client.post("/predictions", json={"orders": [order, {**order, "amount": -5, "order_id": "x\u0001"}]})
        assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
        assert sorted(e["loc"] for e in bad.json()["errors"]) == [["orders", 1, "amount"], ["orders", 1, "order_id"]]


def test_an_api_key_caller_gets_predictions(devhost, trained):
    headers, sample, _ = trained
    with devhost.client(headers=headers) as client:
        key = client.post("/api-keys", json={"name": "erp webhook"}).json()["key"]
    with devhost.client(headers={"X-API-Key": key}) as client:
        answer = client.post("/predictions", json={"orders": undecided(sample)[:1]})
    assert answer.status_code == 200 and len(answer.json()["predictions"]) == 1


def test_the_model_report_and_the_lists_answer_the_company_and_no_other(devhost, trained):
    headers, _, job = trained
    version = job["model_version"]
    with devhost.client(headers=headers) as client:
        report = client.get(f"/models/{version}/report")
        detail = client.get(f"/models/{version}").json()
        jobs = client.get("/training-jobs", params={"limit": 1}).json()
        single_job = client.get(f"/training-jobs/{job['job_id']}").json()
        uploads = client.get("/uploads").json()
        bad_cursor = client.get("/uploads", params={"cursor": "nope"})
        too_many = client.get("/training-jobs", params={"limit": 101})
        in_force = client.get("/policy").json()["cutoffs_in_force"]
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["holdout_orders"] == detail["row_counts"]["holdout"]
    assert body["ks"]["ks"] == pytest.approx(detail["metrics"]["ks"])
    assert 0 < len(body["roc"]["fpr"]) <= 200 and body["feature_importance"]
    assert body["decision_mix"]["invoice_at"] == in_force["invoice_at"] and body["headline"]["precision"] == 0.98
    assert jobs["items"] == [single_job] and jobs["next_cursor"] is None
    assert [item["training_job_id"] for item in uploads["items"]] == [job["job_id"]]
    for answer, field in ((bad_cursor, "cursor"), (too_many, "limit")):
        assert answer.status_code == 422 and answer.headers["content-type"].startswith("application/problem+json")
        assert [error["loc"] for error in answer.json()["errors"]] == [[field]]

    with devhost.client(headers=devhost.signup()) as client:
        assert client.get(f"/models/{version}/report").status_code == 404
        assert client.get("/uploads").json() == {"items": [], "next_cursor": None}
        assert client.get("/training-jobs").json() == {"items": [], "next_cursor": None}


def test_a_commit_without_new_data_is_skipped_naming_the_trained_model(devhost, trained):
    headers, _, job = trained
    with devhost.client(headers=headers) as client:
        upload = client.post("/uploads", json={}).json()["upload_id"]
        commit = client.post(f"/uploads/{upload}/commit").json()
        skipped = wait_for_job(client, commit["training_job_id"], timeout=60)
        assert [m["version"] for m in client.get("/models").json()["items"]] == [job["model_version"]]
    assert skipped["status"] == "skipped" and skipped["reason"] == "commit", skipped
    assert skipped["model_version"] == job["model_version"] and skipped["error"] is None


def test_a_policy_put_decides_the_next_predictions_and_no_other_company_sees_any_of_it(devhost, trained):
    headers, sample, job = trained
    pending = undecided(sample)[:12]
    everything_invoiced = {"cutoffs": {"invoice_at": 0, "hold_below": 0}, "rules": dict.fromkeys(
        ("new_customer", "no_limit", "over_limit", "bankruptcy", "stale_bureau", "max_amount"), "off")}
    with devhost.client(headers=headers) as client:
        current = client.get("/policy").json()
        assert current["cutoffs_in_force"]["model_version"] == job["model_version"] or current["cutoffs"]
        saved = client.put("/policy", json=everything_invoiced)
        assert saved.status_code == 200 and saved.json()["version"] == current["version"] + 1
        impossible = client.put("/policy", json={"cutoffs": {"invoice_at": 0.2, "hold_below": 0.5}})
        assert impossible.status_code == 422
        assert impossible.headers["content-type"].startswith("application/problem+json")
        assert [e["loc"] for e in impossible.json()["errors"]] == [["cutoffs"]]
        unknown = client.put("/policy", json={"targets": {"invoice_precision": 0.9, "hold_precision": 0.8},
                                              "rules": {"credit_score": "hold"}})
        assert unknown.status_code == 422
        assert [e["loc"] for e in unknown.json()["errors"]] == [["rules", "credit_score"]]
        assert client.get("/policy").json()["version"] == saved.json()["version"], "nothing written by a 422"

        answer = client.post("/predictions", json={"orders": pending}).json()
        assert answer["policy_version"] == saved.json()["version"]
        assert all(p["decision"] == "invoice" for p in answer["predictions"] if not p["rules"])
        customer = pending[0]["customer_id"]
        decision = answer["predictions"][0]["decision"]
        mine = client.get("/predictions", params={"customer_id": customer, "decision": decision})
        assert mine.status_code == 200 and mine.json()["items"][0]["customer_id"] == customer
        summary = client.get("/predictions/summary", params={"bucket": "week"}).json()["items"]
        assert sum(item["count"] for item in summary) >= len(pending)

    with devhost.client(headers=devhost.signup()) as other:
        assert other.get("/policy").json()["version"] == 0
        assert other.put("/policy", json=everything_invoiced).json()["version"] == 1
        assert other.get("/predictions", params={"customer_id": customer}).json()["items"] == []
        assert other.get("/predictions/summary").json()["items"] == []
    with devhost.client(headers=headers) as client:
        assert client.get("/policy").json()["version"] == saved.json()["version"]
