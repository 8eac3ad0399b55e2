"""Webhooks over real HTTP through the devhost: the routes, tenant isolation of each, and on the
embedded default (where local receivers are allowed) an event delivered by the devhost's timer."""

import time
import uuid

from tests.webhook_receiver import receiver, signature_is_valid

PUBLIC = "https://93.184.216.34/creditgate"  # a literal public address: registering it needs no DNS


def test_register_list_delete_and_isolation_of_every_route(devhost):
    owner, other = devhost.signup(), devhost.signup()
    with devhost.client() as client:
        created = client.post("/webhooks", json={"url": PUBLIC, "events": ["drift.detected"]}, headers=owner)
        assert created.status_code == 201, created.text
        hook = created.json()
        assert hook["secret"].startswith("whsec_") and hook["events"] == ["drift.detected"]

        listed = client.get("/webhooks", headers=owner)
        assert [item["id"] for item in listed.json()["items"]] == [hook["id"]]
        assert hook["secret"] not in listed.text and "secret" not in listed.json()["items"][0]
        deliveries = client.get(f"/webhooks/{hook['id']}/deliveries", headers=owner)
        assert deliveries.json() == {"items": [], "next_cursor": None}

        assert client.get("/webhooks", headers=other).json() == {"items": []}
        assert client.get(f"/webhooks/{hook['id']}/deliveries", headers=other).status_code == 404
        assert client.delete(f"/webhooks/{hook['id']}", headers=other).status_code == 404
        assert client.get(f"/webhooks/{uuid.uuid4()}/deliveries", headers=owner).status_code == 404
        assert client.delete("/webhooks/not-an-id", headers=owner).status_code == 404

        bad = client.post("/webhooks", json={"url": "ftp://x", "events": []}, headers=owner)
        assert bad.status_code == 422
        assert sorted(error["loc"] for error in bad.json()["errors"]) == [["events"], ["url"]]

        assert client.delete(f"/webhooks/{hook['id']}", headers=owner).status_code == 204
        assert client.get("/webhooks", headers=owner).json() == {"items": []}
        assert client.delete(f"/webhooks/{hook['id']}", headers=owner).status_code == 404


def test_a_local_receiver_gets_the_commit_from_the_timer_or_is_refused_outside_local_development(devhost, request):
    owner = devhost.signup()
    with receiver() as local, devhost.client(headers=owner) as client:
        created = client.post("/webhooks", json={"url": f"{local.url}/erp", "events": ["upload.committed"]})
        if request.node.callspec.params["devhost"] == "postgresql":  # not the embedded default: the guard is on
            loopback = client.post("/webhooks", json={"url": "https://localhost/erp", "events": ["upload.committed"]})
            for refused, why in ((created, "must be an https URL"), (loopback, "must resolve to public addresses only")):
                assert refused.status_code == 422, refused.text
                assert [error["loc"] for error in refused.json()["errors"]] == [["url"]]
                assert refused.json()["errors"][0]["msg"].startswith(f"cannot deliver to this URL: {why}")
            assert client.get("/webhooks").json() == {"items": []}
            return
        assert created.status_code == 201, created.text
        upload = client.post("/uploads", json={}).json()["upload_id"]
        assert client.post(f"/uploads/{upload}/commit", json={"train": False}).status_code == 202

        (sent,) = local.wait_for(1, timeout=30)
        assert sent.event["type"] == "upload.committed" and sent.event["data"]["upload_id"] == upload
        assert signature_is_valid(created.json()["secret"], sent.headers["CreditGate-Signature"], sent.body)
        deadline = time.monotonic() + 10  # the attempt is logged just after the receiver answered
        while not (log := client.get(f"/webhooks/{created.json()['id']}/deliveries").json()["items"]):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert [(a["attempt"], a["status_code"], a["outcome"]) for a in log] == [(1, 200, "delivered")]
        assert log[0]["event_id"] == sent.event["id"]
