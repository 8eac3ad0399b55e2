"""Ingestion over HTTP: the size and input errors of DESIGN §4, and a clean upload."""

import uuid

from shared.sample_data import generate


def order(i: int) -> dict:
    return {"order_id": f"O{i}", "customer_id": "C1", "ordered_at": "2025-01-10T09:00:00Z", "amount": 10.5}


def test_batch_errors_are_problem_details(devhost):
    headers = devhost.signup()
    with devhost.client(headers=headers) as client:
        upload = client.post("/uploads", json={}).json()["upload_id"]
        url = f"/uploads/{upload}/orders"

        too_many = client.post(url, json={"batch": 1, "items": [order(i) for i in range(501)]})
        assert too_many.status_code == 413

        not_json = client.post(url, content=b"[1,2", headers={"Content-Type": "application/json"})
        assert not_json.status_code == 400

        unknown_dataset = client.post(f"/uploads/{upload}/invoices", json={"batch": 1, "items": [order(1)]})
        assert unknown_dataset.status_code == 404

        bad = client.post(url, json={"batch": 1, "items": [order(1), {**order(2), "amount": "lots"}, {**order(3), "typo": 1}]})
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert sorted(tuple(e["loc"]) for e in bad.json()["errors"]) == [("items", 1, "amount"), ("items", 2, "typo")]

        strange = client.post(f"/uploads/{uuid.uuid4()}/orders", json={"batch": 1, "items": [order(1)]})
        assert strange.status_code == 404
        assert client.get("/uploads/not-a-uuid").status_code == 404
        assert client.get(f"/uploads/{upload}").json()["datasets"] == {}


def test_another_tenants_upload_is_not_found(devhost):
    owner, stranger = devhost.signup(), devhost.signup()
    with devhost.client(headers=owner) as client:
        upload = client.post("/uploads", json={}).json()["upload_id"]
    with devhost.client(headers=stranger) as client:
        assert client.get(f"/uploads/{upload}").status_code == 404
        assert client.post(f"/uploads/{upload}/orders", json={"batch": 1, "items": [order(1)]}).status_code == 404
        assert client.post(f"/uploads/{upload}/commit").status_code == 404


def test_declared_batches_commit_by_themselves(devhost):
    sample = generate(orders=60, seed=2)
    batches = {name: list(sample.batches(name, size=50)) for name in ("customers", "orders")}
    with devhost.client(headers=devhost.signup()) as client:
        expected = {name: len(parts) for name, parts in batches.items()}
        upload = client.post("/uploads", json={"expected_batches": expected}).json()["upload_id"]
        answers = [
            client.post(f"/uploads/{upload}/{name}", json={"batch": n, "items": items})
            for name, parts in batches.items()
            for n, items in enumerate(parts, start=1)
        ]
        assert all(answer.status_code == 200 for answer in answers)
        assert answers[-1].json()["upload_status"] == "committed"
        status = client.get(f"/uploads/{upload}").json()
        assert status["status"] == "committed" and status["training_job_id"] == answers[-1].json()["training_job_id"]
        assert status["datasets"]["orders"] == {"batches": 2, "items": 60, "expected_batches": 2}
        late = client.post(f"/uploads/{upload}/orders", json={"batch": 3, "items": [order(1)]})
        assert late.status_code == 409
