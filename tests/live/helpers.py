"""Standard-library HTTP helpers for the live-server tests.

Only ``http.client`` / ``urllib`` are used here so that these helpers keep
working whatever HTTP client library the project (or scim2-tester) depends on.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from typing import Any, Mapping

SCIM_CONTENT_TYPE = "application/scim+json"

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class _DefaultToken:
    """Sentinel: "use the server's first workspace token"."""

    def __repr__(self) -> str:  # pragma: no cover - cosmetic
        return "DEFAULT_TOKEN"


DEFAULT_TOKEN: Any = _DefaultToken()

# Elapsed wall-clock time (seconds) of the last scim_request() call, for tests
# that assert on response time (Okta SPEC step 10).
last_elapsed: float = 0.0


def build_query(params: Mapping[str, Any]) -> str:
    """Encode query parameters the way IdPs do (spaces as %20, quotes as %22)."""
    return urllib.parse.urlencode(
        {k: str(v) for k, v in params.items()}, quote_via=urllib.parse.quote
    )


def _resolve_url(server: Any, path: str) -> urllib.parse.SplitResult:
    if path.startswith(("http://", "https://")):
        url = path
    else:
        if path and not path.startswith(("/", "?")):
            path = "/" + path
        url = server.base_url.rstrip("/") + path
    return urllib.parse.urlsplit(url)


def scim_request(
    server: Any,
    method: str,
    path: str,
    body: Any = None,
    token: Any = DEFAULT_TOKEN,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> tuple[int, http.client.HTTPMessage, Any]:
    """Send one HTTP request to the live server.

    :param server: the ``live_server`` fixture value (needs ``.base_url`` and ``.token``).
    :param path: path relative to ``server.base_url`` (e.g. ``"/Users?count=1"``),
        or an absolute ``http://`` URL (e.g. for ``/healthz``).
    :param body: ``dict``/``list`` (JSON-encoded, Content-Type
        ``application/scim+json`` unless ``headers`` sets one), ``str``/``bytes``
        (sent as is), or ``None`` (no body).
    :param token: bearer token; default ``server.token``; ``None`` sends no
        ``Authorization`` header. Set ``headers={"Authorization": ...}`` to send
        an arbitrary Authorization value.
    :returns: ``(status, headers, json_or_None)``; headers is an
        :class:`http.client.HTTPMessage` (case-insensitive ``.get``). The JSON is
        ``None`` if the body is empty or is not JSON.
    """
    global last_elapsed

    parts = _resolve_url(server, path)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query

    send_headers: dict[str, str] = {"Accept": SCIM_CONTENT_TYPE}
    if token is DEFAULT_TOKEN:
        token = server.token
    if token is not None:
        send_headers["Authorization"] = f"Bearer {token}"

    payload: bytes | None
    if body is None:
        payload = None
    elif isinstance(body, bytes):
        payload = body
    elif isinstance(body, str):
        payload = body.encode("utf-8")
    else:
        payload = json.dumps(body).encode("utf-8")
        send_headers["Content-Type"] = SCIM_CONTENT_TYPE

    # Caller-supplied headers win (case-insensitively).
    for name, value in (headers or {}).items():
        for existing in [k for k in send_headers if k.lower() == name.lower()]:
            del send_headers[existing]
        send_headers[name] = value
    send_headers["Connection"] = "close"

    conn_cls = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    conn = conn_cls(parts.hostname, parts.port, timeout=timeout)
    started = time.perf_counter()
    try:
        conn.request(method, target, body=payload, headers=send_headers)
        response = conn.getresponse()
        raw = response.read()
        last_elapsed = time.perf_counter() - started
        status = response.status
        resp_headers = response.headers
    finally:
        conn.close()

    data: Any = None
    if raw:
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            data = None
    return status, resp_headers, data


def describe(method: str, path: str, status: int, headers: Any, data: Any) -> str:
    """One-line-ish description of an exchange, for assertion messages."""
    ctype = headers.get("Content-Type") if headers is not None else None
    text = json.dumps(data, indent=None, default=str) if data is not None else "<no JSON body>"
    if len(text) > 2000:
        text = text[:2000] + "…"
    return f"{method} {path} -> {status} (Content-Type: {ctype}) {text}"


def assert_scim_error(
    status: int,
    headers: Any,
    data: Any,
    expected_status: int,
    context: str = "",
    require_detail: bool = True,
) -> None:
    """Assert that a response is a well-formed RFC 7644 §3.12 error.

    ``detail`` is optional in the RFC, but Okta's SPEC test requires it on 401
    and 404, and the project's error rule always sends one.
    """
    where = f"{context}: " if context else ""
    assert status == expected_status, f"{where}expected HTTP {expected_status}, got {status}: {data!r}"
    ctype = headers.get("Content-Type", "")
    assert ctype.startswith(SCIM_CONTENT_TYPE), f"{where}Content-Type is {ctype!r}"
    assert isinstance(data, dict), f"{where}body is not a JSON object"
    assert ERROR_SCHEMA in data.get("schemas", []), f"{where}Error URN missing: {data!r}"
    assert data.get("status") == str(expected_status), (
        f"{where}'status' must be the string {str(expected_status)!r}, got {data.get('status')!r}"
    )
    if require_detail:
        assert data.get("detail"), f"{where}'detail' is empty: {data!r}"
