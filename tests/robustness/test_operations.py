"""Safe operations: an access log without secrets, request ids, health checks, graceful shutdown."""
from __future__ import annotations

import json
import logging
import re
import signal
import socket
import time
import urllib.parse

import pytest

from scim_service import create_app
from tests.conftest import TOKEN_A
from tests.robustness.checks import HAS_BULK
from tests.robustness.live import TOKEN_A as LIVE_TOKEN, running_server
from tests.support import ScimClient, assert_scim_error, patch_op

PASSWORD = "Pa55-w0rd-7f3c9e-Sekrit"
USER_NAME = "zz.distinctive.4b1d@example.com"
EXTERNAL_ID = "ext-9c1e5a77d2"
DISPLAY_NAME = "Quixotic Name 8e41"
BAD_TOKEN = "not-a-token-51f0b2e6"
SECRETS = (TOKEN_A, BAD_TOKEN, PASSWORD, USER_NAME, EXTERNAL_ID, DISPLAY_NAME)
ACCESS_FIELDS = {"request_id", "workspace", "method", "path", "status", "duration_ms"}
BULK_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.format(record)   # fills exc_text when there is a traceback
        self.records.append(record)


@pytest.fixture
def logged(app_env):
    """A client of an app logging at DEBUG, and every record any logger emits meanwhile."""
    service_logger = logging.getLogger("scim_service")
    level = service_logger.level
    app = create_app({**app_env, "SCIM_LOG_LEVEL": "DEBUG"})
    collect = _Collect()
    # The root logger sees every propagating logger; "scim_service" does not propagate.
    loggers = [logging.getLogger(), service_logger]
    for logger in loggers:
        logger.addHandler(collect)
    try:
        yield ScimClient(app.test_client(), TOKEN_A), collect.records
    finally:
        for logger in loggers:
            logger.removeHandler(collect)
        service_logger.setLevel(level)
        app.extensions["scim_backend"].close()


def _requests_with_secrets(client) -> list:
    """A provisioning session that carries every secret in a token, a body or a query string."""
    anonymous = ScimClient(client.flask, BAD_TOKEN)
    query = urllib.parse.urlencode({"filter": f'userName eq "{USER_NAME}"'})
    responses = [client.post("/Users", json={"userName": USER_NAME, "password": PASSWORD,
                                             "externalId": EXTERNAL_ID, "displayName": DISPLAY_NAME})]
    uid = responses[0].get_json()["id"]
    responses += [
        client.get(f"/Users?{query}"),
        client.post("/Users/.search", json={"filter": f'displayName eq "{DISPLAY_NAME}"'}),
        client.post("/Users", json={"userName": USER_NAME, "password": PASSWORD}),          # 409
        client.get("/Users?" + urllib.parse.urlencode({"filter": f'userName eq "{USER_NAME}" and'})),   # 400
        client.patch(f"/Users/{uid}", json=patch_op({"op": "replace", "path": "password", "value": PASSWORD})),
        client.put(f"/Users/{uid}", json={"userName": USER_NAME, "password": PASSWORD, "displayName": DISPLAY_NAME}),
        anonymous.get(f"/Users?{query}"),                                                     # 401
        client.get(f"/scim/v2/Nope?{query}"),                                                 # 404
        client.request("POST", "/Users", data=f'{{"userName": "{USER_NAME}", "password": "{PASSWORD}"',
                       headers={"Content-Type": "application/scim+json"}),                   # broken JSON
    ]
    if HAS_BULK:
        responses.append(client.post("/Bulk", json={"schemas": [BULK_URN], "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "b",
             "data": {"userName": USER_NAME, "password": PASSWORD, "externalId": EXTERNAL_ID}}]}))
    responses.append(client.delete(f"/Users/{uid}"))
    return responses


def _text(record: logging.LogRecord) -> str:
    return " ".join(filter(None, (record.getMessage(), record.exc_text, str(record.args or ""))))


def test_the_access_log_has_one_line_per_request_with_its_facts(logged):
    client, records = logged
    responses = _requests_with_secrets(client)
    lines = [json.loads(r.getMessage()) for r in records if r.name == "scim_service.access"]
    assert len(lines) == len(responses)
    for line, response in zip(lines, responses):
        assert set(line) >= ACCESS_FIELDS, line
        assert line["request_id"] == response.headers["X-Request-Id"]
        assert line["status"] == response.status_code
        assert line["method"] in ("GET", "POST", "PUT", "PATCH", "DELETE")
        assert line["path"].startswith("/scim/v2/") and "?" not in line["path"]
        assert isinstance(line["duration_ms"], (int, float)) and line["duration_ms"] >= 0
        # No workspace before authentication: the 401, and the unknown endpoint that never authenticates.
        unauthenticated = response.status_code == 401 or line["path"] == "/scim/v2/Nope"
        assert line["workspace"] == (None if unauthenticated else "a"), line


def test_no_log_record_holds_a_token_a_password_a_query_or_a_body_value(logged):
    client, records = logged
    _requests_with_secrets(client)
    assert records, "nothing was logged: the test would prove nothing"
    for record in records:
        text = _text(record)
        for secret in SECRETS:
            assert secret not in text, f"{record.name} logged {secret!r}: {text[:300]}"
        assert "filter=" not in text and "userName eq" not in text, text[:300]


def test_an_unexpected_error_logs_its_traceback_but_not_the_request(logged, monkeypatch):
    client, records = logged
    backend = client.flask.application.extensions["scim_backend"]

    def explode(*args, **kwargs):
        raise RuntimeError("backend exploded")
    monkeypatch.setattr(backend, "create", explode)
    response = client.post("/Users", json={"userName": USER_NAME, "password": PASSWORD, "externalId": EXTERNAL_ID})
    body = assert_scim_error(response, 500)
    assert "exploded" not in body["detail"] and "Traceback" not in response.get_data(as_text=True)
    logged_text = "\n".join(_text(r) for r in records)
    assert "backend exploded" in logged_text and "Traceback" in logged_text
    for secret in SECRETS:
        assert secret not in logged_text, f"the error log holds {secret!r}"


def test_a_request_id_is_returned_and_a_sane_incoming_one_is_echoed(client, anonymous):
    ids = {client.get("/Users").headers["X-Request-Id"] for _ in range(5)}
    assert len(ids) == 5 and all(re.fullmatch(r"[A-Za-z0-9._:-]{8,128}", i) for i in ids), ids
    for sane in ("abc-123", "0f8fad5b-d9cb-469f-a165-70867728950e", "req.1:2_3"):
        assert client.get("/Users", headers={"X-Request-Id": sane}).headers["X-Request-Id"] == sane
    # Errors carry one too: a 401, an unknown endpoint, a method not allowed.
    for response in (anonymous.get("/Users"), client.get("/scim/v2/Nope"), client.request("DELETE", "/Users")):
        assert response.status_code >= 400 and response.headers.get("X-Request-Id")


@pytest.mark.parametrize("insane", ["has space", "x" * 129, "<script>alert(1)</script>", "a\tb", "id;rm -rf",
                                    "\u00e9t\u00e9", ""])
def test_an_unsafe_incoming_request_id_is_replaced(client, insane):
    returned = client.get("/Users", headers={"X-Request-Id": insane}).headers["X-Request-Id"]
    assert returned != insane and re.fullmatch(r"[A-Za-z0-9._:-]{8,128}", returned), returned


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_checks_answer_without_auth_and_without_data(client, anonymous, app, path):
    client.post("/Users", json={"userName": USER_NAME, "password": PASSWORD})
    for who in (anonymous, ScimClient(app.test_client(), BAD_TOKEN), client):
        response = who.get(path)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert set(body) <= {"status", "backend"}, body
        text = response.get_data(as_text=True)
        assert all(secret not in text for secret in SECRETS) and "workspace" not in text
        assert "Set-Cookie" not in response.headers


def test_readyz_answers_503_when_the_backend_is_down(anonymous, app, monkeypatch):
    def unreachable():
        raise ConnectionError("mongodb://admin:hunter2@db.internal:27017 refused")
    monkeypatch.setattr(app.extensions["scim_backend"], "ping", unreachable)
    response = anonymous.get("/readyz")
    body = assert_scim_error(response, 503)
    assert "hunter2" not in response.get_data(as_text=True) and "db.internal" not in body["detail"]
    assert anonymous.get("/healthz").status_code == 200   # liveness does not depend on the backend


# --- live server ------------------------------------------------------------------------------
def test_a_live_server_logs_every_request_and_no_secret(tmp_path):
    with running_server(tmp_path) as server:
        status, _, user = server.request("POST", "/Users", {"userName": USER_NAME, "password": PASSWORD,
                                                            "externalId": EXTERNAL_ID})
        assert status == 201, user
        query = urllib.parse.quote(f'userName eq "{USER_NAME}"')
        statuses = [201,
                    server.request("GET", f"/Users?filter={query}")[0],
                    server.request("GET", "/Users", token=BAD_TOKEN)[0],
                    server.request("PATCH", f"/Users/{user['id']}", {"schemas": [
                        "urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
                        {"op": "replace", "path": "displayName", "value": DISPLAY_NAME}]})[0]]
        assert statuses == [201, 200, 401, 200], statuses
    log = server.stderr()
    for secret in (LIVE_TOKEN, BAD_TOKEN, PASSWORD, USER_NAME, EXTERNAL_ID, DISPLAY_NAME, "filter="):
        assert secret not in log, f"the server log holds {secret!r}"
    access = [json.loads(line.split("scim_service.access ", 1)[1]) for line in log.splitlines()
              if "scim_service.access " in line]
    scim = [line for line in access if line["path"].startswith("/scim/v2")]
    assert [line["status"] for line in scim] == statuses


def _http_head(method: str, path: str, length: int) -> bytes:
    return (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {LIVE_TOKEN}\r\n"
            f"Content-Type: application/scim+json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n").encode()


def test_sigterm_lets_an_in_flight_request_finish(tmp_path):
    if HAS_BULK:
        path = "/scim/v2/Bulk"
        body = json.dumps({"schemas": [BULK_URN], "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": f"u{i}", "data": {"userName": f"drain-{i}"}}
            for i in range(50)]}).encode()
    else:
        path, body = "/scim/v2/Users", json.dumps({"userName": "drain-0"}).encode()
    with running_server(tmp_path) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            sock.sendall(_http_head("POST", path, len(body)) + body[: len(body) // 2])
            time.sleep(0.3)                            # the worker is now reading this request's body
            server.process.send_signal(signal.SIGTERM)
            time.sleep(0.5)                            # shutdown has begun while the body still trickles in
            sock.sendall(body[len(body) // 2:])
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        status_line = answer.split(b"\r\n", 1)[0].decode()
        assert re.match(r"HTTP/1\.[01] 20[01] ", status_line), answer[:500]
        reply = json.loads(answer.split(b"\r\n\r\n", 1)[1])
        if HAS_BULK:
            assert [op["status"] for op in reply["Operations"]] == ["201"] * 50
        assert server.process.wait(timeout=15) == 0, server.stderr()[-2000:]
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
