"""Monitoring and retraining over HTTP: problems name the field, and every route is the company's own."""


def test_monitoring_and_retraining_routes_answer_for_the_callers_company_only(devhost):
    first, second = devhost.signup(), devhost.signup()
    with devhost.client(headers=first) as client:
        assert client.get("/monitoring").json() == {"bucket": "day", "versions": []}
        missing = client.get("/monitoring", params={"model_version": 1})
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
        bad = client.get("/monitoring", params={"bucket": "month"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["loc"][-1] == "bucket"
        refused = client.put("/retraining", json={"min_new_labeled": 0})
        assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["min_new_labeled"]
        saved = client.put("/retraining", json={"min_new_labeled": 300, "on_drift": True}).json()
        assert client.get("/retraining").json() == saved and saved["auto_activate"] == "if_better"
        assert client.post("/training-jobs").status_code == 409, "nothing committed yet"
        upload = client.post("/uploads", json={}).json()["upload_id"]
        client.post(f"/uploads/{upload}/customers", json={"batch": 1, "items": [{"customer_id": "C1"}]}).raise_for_status()
        commit = client.post(f"/uploads/{upload}/commit", json={"train": False}).raise_for_status().json()
        started = client.post("/training-jobs", json={})
        assert started.status_code == 202 and started.json()["status"] == "queued"
        job = client.get(f"/training-jobs/{started.json()['job_id']}").json()
        assert job["reason"] == "manual" and commit["training_job_id"] is None
    with devhost.client(headers=second) as client:
        assert client.get("/retraining").json()["updated_at"] is None
        assert client.get(f"/training-jobs/{started.json()['job_id']}").status_code == 404
        assert client.post("/training-jobs").status_code == 409, "the other company's upload is not this one's"
