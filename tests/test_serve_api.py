"""`kiosk serve`'s HTTP API through a real uvicorn on a loopback port (issue 19): keys and
scopes, every error status as one JSON line, the verbs, the event stream and its resume
after Last-Event-ID, a call made by the command line reaching a stream, and no need ever
leaving the store."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from .serve_support import Served


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Served]:
    served = Served(tmp_path_factory.mktemp("serve"),
                    replace={"rate_per_minute = 120": "rate_per_minute = 40"})
    for counter in ("1", "2"):
        served.kiosk("counter", "open", "--counter", counter)
    served.keys = {scope: served.key(f"k-{scope}", scope)  # type: ignore[attr-defined]
                   for scope in ("issue", "read", "staff", "admin")}
    served.start()
    yield served
    served.stop()


def keys(site: Served) -> dict[str, str]:
    return site.keys  # type: ignore[attr-defined,no-any-return]


def one_error(response: httpx.Response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"] and "\n" not in body["error"], body
    for word in words:
        assert word in body["error"], body


def test_health_services_and_metrics(site: Served):
    health = site.get("/healthz")
    assert health.status_code == 200
    assert {"ok", "store", "printers", "announcers"} <= set(health.json())
    services = site.get("/api/v1/services").json()
    assert [s["prefix"] for s in services] == ["A", "B", "C", "D", "E"]
    assert services[0]["name"] == {"id": "Keanggotaan", "en": "Membership"}
    assert {"waiting", "estimated_wait_min", "open"} <= set(services[0])
    metrics = site.get("/metrics")
    assert metrics.status_code == 200 and "kiosk_waiting{" in metrics.text
    assert "kiosk_tickets_today" in metrics.text


def test_keys_and_scopes(site: Served):
    k = keys(site)
    one_error(site.get("/api/v1/status"), 401, "API key")
    one_error(site.get("/api/v1/status", key="not-a-key"), 401, "unknown or revoked")
    one_error(site.get("/api/v1/status", key=k["issue"]), 403, '"read" scope')
    assert site.get("/api/v1/status", key=k["read"]).status_code == 200
    assert site.get("/api/v1/status", key=k["admin"]).status_code == 200  # admin implies all
    one_error(site.post("/api/v1/counters/1/call", key=k["read"]), 403, "staff")
    one_error(site.post("/api/v1/tickets", json={"service": "A"}), 401)  # key before body
    listed = json.loads(site.kiosk("api-key", "list", "--json").stdout)
    assert {entry["name"] for entry in listed} >= {"k-issue", "k-read"}
    assert all("hash" not in entry and "key" not in entry for entry in listed)
    gone = site.key("k-gone", "read")
    site.kiosk("api-key", "revoke", "k-gone")
    one_error(site.get("/api/v1/status", key=gone), 401, "revoked")


def test_issue_call_transfer_and_the_need_never_leaves(site: Served):
    k = keys(site)
    made = site.post("/api/v1/tickets", key=k["issue"], json={"service": "b", "need": "lansia"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert {"label", "token", "url", "service", "state", "people_ahead",
            "estimated_wait_min", "issued_at"} <= set(body)
    assert body["service"] == "B" and body["priority"] is True and "need" not in body
    assert "lansia" not in made.text
    called = site.post("/api/v1/counters/2/call", key=k["staff"])
    assert called.status_code == 200 and called.json()["label"] == body["label"]
    assert "lansia" not in called.text
    regular = site.post("/api/v1/tickets", key=k["issue"], json={"service": "A"}).json()
    moved = site.post(f"/api/v1/tickets/{regular['label']}/transfer", key=k["staff"],
                      json={"service": "C"})
    assert moved.status_code == 200 and moved.json()["service"] == "C"
    paused = site.post("/api/v1/counters/2/pause", key=k["staff"], json={"minutes": 5})
    assert paused.json() == {"counter": 2, "state": "paused"}
    assert site.post("/api/v1/counters/2/resume", key=k["staff"]).json()["state"] == "open"
    status = site.get("/api/v1/status", key=k["read"]).json()
    assert status["day"] == "2026-11-27"
    report = site.get("/api/v1/report?from=2026-11-27&to=2026-11-27", key=k["admin"])
    assert report.status_code == 200 and report.json()["overall"]["issued"] >= 2
    export = json.loads(site.kiosk("export", "events", "--format", "json").stdout)["events"]
    actors = {(e["kind"], e["actor"]) for e in export}
    assert ("called", "api:k-staff") in actors and ("api_report", "api:k-admin") in actors


def test_every_error_is_one_json_line_with_its_status(site: Served):
    k = keys(site)
    post = site.post
    one_error(post("/api/v1/tickets", key=k["issue"], content=b'{"service":',
                   headers={"content-type": "application/json"}), 400, "not valid JSON")
    one_error(post("/api/v1/tickets", key=k["issue"], json={"service": "A", "colour": 1}),
              422, "colour")
    one_error(post("/api/v1/tickets", key=k["issue"], json={"service": "Z"}), 404, '"Z"')
    one_error(post("/api/v1/tickets", key=k["issue"], content=b"x" * (10 << 20),
                   headers={"content-type": "application/json"}), 413, "too large")
    one_error(post("/api/v1/counters/9/call", key=k["staff"]), 404, "unknown counter 9")
    one_error(post("/api/v1/counters/1/dance", key=k["staff"]), 404, "unknown counter verb")
    one_error(post("/api/v1/counters/1/recall", key=k["staff"]), 409)  # nothing called
    one_error(site.get("/api/v1/report?from=yesterday", key=k["admin"]), 400, "YYYY-MM-DD")
    one_error(site.get("/nowhere"), 404, "/nowhere")
    one_error(httpx.delete(site.url + "/healthz"), 405)


def test_the_event_stream_resumes_and_carries_cli_calls(site: Served):
    k = keys(site)
    received: list[tuple[int, str, dict]] = []
    ready = threading.Event()

    def listen() -> None:
        with httpx.stream("GET", site.url + "/api/v1/events",
                          headers={"Authorization": f"Bearer {k['read']}"},
                          timeout=httpx.Timeout(30, read=30)) as response:
            assert response.status_code == 200
            event: dict[str, str] = {}
            ready.set()
            for line in response.iter_lines():
                if line.startswith(("id:", "event:", "data:")):
                    name, _, value = line.partition(":")
                    event[name] = value.strip()
                elif not line and "data" in event:
                    received.append((int(event["id"]), event["event"],
                                     json.loads(event["data"])))
                    event = {}
                    if any(kind == "called" for _, kind, _d in received):
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert ready.wait(10)
    time.sleep(0.3)
    site.kiosk("issue", "D", "--no-print", "--need", "hamil")
    site.kiosk("counter", "open", "--counter", "4")
    started = time.monotonic()
    site.kiosk("call", "--counter", "4")  # another process: the command line
    listener.join(15)
    assert any(kind == "called" for _, kind, _d in received), received
    reached = time.monotonic() - started
    assert reached < 10
    issued = [d for _, kind, d in received if kind == "issued"]
    assert issued and issued[0]["detail"]["need"] == "priority"
    assert "hamil" not in json.dumps([d for _, _, d in received])
    # A client that lost the stream resumes after the last id it saw: nothing missed.
    first = received[0][0]
    with httpx.stream("GET", site.url + "/api/v1/events",
                      headers={"Authorization": f"Bearer {k['read']}",
                               "Last-Event-ID": str(first - 1)},
                      timeout=httpx.Timeout(10, read=10)) as response:
        ids = []
        for line in response.iter_lines():
            if line.startswith("id:"):
                ids.append(int(line[3:]))
                if len(ids) == len(received):
                    break
    assert ids == [i for i, _, _ in received]
    one_error(site.get("/api/v1/events", key=k["read"], headers={"Last-Event-ID": "x"}), 400)


def test_a_stuck_or_vanished_stream_client_holds_up_no_one(site: Served):
    """A client that opens the event stream and never reads, and one that vanishes
    mid-stream: tickets go on being issued at once and the vanished one is let go."""
    import socket

    k = keys(site)
    request = (f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:{site.port}\r\n"
               f"Authorization: Bearer {k['read']}\r\n\r\n").encode()
    before = site.get("/healthz").json()["streams"]
    stuck = socket.create_connection(("127.0.0.1", site.port))
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.sendall(request)
    gone = socket.create_connection(("127.0.0.1", site.port))
    gone.sendall(request)
    time.sleep(0.5)
    gone.close()
    slowest = 0.0
    with httpx.Client(base_url=site.url, headers={"Authorization": f"Bearer {k['issue']}"}) \
            as client:
        for n in range(300):
            started = time.monotonic()
            made = client.post("/api/v1/tickets", json={"service": "ABCDE"[n % 5]})
            slowest = max(slowest, time.monotonic() - started)
            assert made.status_code == 201, made.text
    assert slowest < 1.0, slowest
    deadline = time.monotonic() + 10
    while site.get("/healthz").json()["streams"] > before + 1:
        assert time.monotonic() < deadline, "the vanished client's stream was not let go"
        time.sleep(0.5)
    stuck.close()


def test_a_store_that_cannot_be_read_is_503_with_its_sentence(site: Served):
    """The store file removed under the running server (kiosk.store.faults): health says
    so with 503, a verb answers 503 with the store's own sentence, nothing is made, and
    both work again once the file is back."""
    k = keys(site)
    path = site.tmp_path / "data" / "kiosk.db"
    aside = path.with_name("aside.db")
    path.rename(aside)
    try:
        health = site.get("/healthz")
        assert health.status_code == 503 and health.json()["ok"] is False
        assert "missing" in health.json()["store"]
        one_error(site.post("/api/v1/tickets", key=k["issue"], json={"service": "A"}), 503,
                  "missing", str(path))
        assert not path.exists()
    finally:
        aside.rename(path)
    assert site.get("/healthz").status_code == 200
    assert site.post("/api/v1/tickets", key=k["issue"], json={"service": "A"}).status_code == 201


def test_public_endpoints_are_rate_limited(site: Served):
    codes = [site.get("/api/v1/services").status_code for _ in range(45)]
    assert 429 in codes
    one_error(site.get("/api/v1/services"), 429, "too many requests")
