"""End-to-end smoke checks against the live server: auth, workspace isolation, error routing."""

from __future__ import annotations

import uuid

import pytest

from .helpers import (
    SCIM_CONTENT_TYPE,
    USER_SCHEMA,
    assert_scim_error,
    build_query,
    scim_request,
)


def _new_user_body() -> dict:
    suffix = uuid.uuid4().hex[:10]
    return {
        "schemas": [USER_SCHEMA],
        "userName": f"smoke.{suffix}@example.com",
        "name": {"givenName": "Smoke", "familyName": f"Test{suffix}"},
        "emails": [{"value": f"smoke.{suffix}@example.com", "type": "work", "primary": True}],
        "displayName": f"Smoke Test{suffix}",
        "active": True,
    }


def test_healthz_needs_no_auth(live_server):
    status, _, _ = scim_request(live_server, "GET", f"{live_server.root_url}/healthz", token=None)
    assert status == 200


@pytest.mark.parametrize("endpoint", ["/ServiceProviderConfig", "/Schemas", "/ResourceTypes"])
def test_discovery_without_token(live_server, endpoint):
    status, headers, data = scim_request(live_server, "GET", endpoint, token=None)
    assert status == 200, f"GET {endpoint} without a token -> {status}: {data!r}"
    assert headers.get("Content-Type", "").startswith(SCIM_CONTENT_TYPE), headers.get("Content-Type")
    assert isinstance(data, dict) and data.get("schemas"), data


@pytest.mark.parametrize(
    "method,path",
    [("GET", "/Users"), ("GET", "/Groups"), ("POST", "/Users"), ("POST", "/.search"), ("POST", "/Bulk")],
)
def test_missing_token_is_401(live_server, method, path):
    body = _new_user_body() if method == "POST" else None
    status, headers, data = scim_request(live_server, method, path, body=body, token=None)
    assert_scim_error(status, headers, data, 401, context=f"{method} {path} without a token")
    www_auth = headers.get("WWW-Authenticate", "")
    assert www_auth.split(" ", 1)[0].lower() == "bearer", (
        f"{method} {path}: WWW-Authenticate is {www_auth!r}, expected a Bearer challenge"
    )


@pytest.mark.parametrize("authorization", ["Bearer not-a-token", "Bearer token-one-but-longer", "non-token"])
def test_bad_token_is_401(live_server, authorization):
    status, headers, data = scim_request(
        live_server, "GET", "/Users", token=None, headers={"Authorization": authorization}
    )
    assert_scim_error(status, headers, data, 401, context=f"Authorization: {authorization}")
    assert headers.get("WWW-Authenticate", "").lower().startswith("bearer")


def test_workspace_isolation(live_server):
    body = _new_user_body()
    status, headers, created = scim_request(live_server, "POST", "/Users", body=body)
    assert status == 201, f"create in ws1 -> {status}: {created!r}"
    user_id = created["id"]
    try:
        # Visible to its own workspace ...
        status, _, data = scim_request(live_server, "GET", f"/Users/{user_id}")
        assert status == 200, f"GET own user in ws1 -> {status}: {data!r}"

        # ... invisible to the other one: by id, by filter, and not writable/deletable.
        status, headers, data = scim_request(
            live_server, "GET", f"/Users/{user_id}", token=live_server.other_token
        )
        assert_scim_error(status, headers, data, 404, context="GET ws1 user with ws2 token")

        query = build_query({"filter": f'userName eq "{body["userName"]}"'})
        status, _, data = scim_request(
            live_server, "GET", f"/Users?{query}", token=live_server.other_token
        )
        assert status == 200, data
        assert data["totalResults"] == 0 and data.get("Resources", []) == [], data

        status, headers, data = scim_request(
            live_server, "DELETE", f"/Users/{user_id}", token=live_server.other_token
        )
        assert_scim_error(status, headers, data, 404, context="DELETE ws1 user with ws2 token")

        # ws1's user survived ws2's attempts.
        status, _, data = scim_request(live_server, "GET", f"/Users/{user_id}")
        assert status == 200 and data["userName"] == body["userName"], data
    finally:
        scim_request(live_server, "DELETE", f"/Users/{user_id}")


def test_user_name_uniqueness_is_per_workspace(live_server):
    """A 409 in ws2 for a userName that only exists in ws1 would leak ws1's data."""
    body = _new_user_body()
    status, _, first = scim_request(live_server, "POST", "/Users", body=body)
    assert status == 201, f"create in ws1 -> {status}: {first!r}"
    try:
        status, _, second = scim_request(
            live_server, "POST", "/Users", body=body, token=live_server.other_token
        )
        assert status == 201, f"same userName in ws2 -> {status}: {second!r}"
        scim_request(
            live_server, "DELETE", f"/Users/{second['id']}", token=live_server.other_token
        )
    finally:
        scim_request(live_server, "DELETE", f"/Users/{first['id']}")


@pytest.mark.parametrize("path", ["/NoSuchEndpoint", "/Users/some-id/extra", "/Groupz"])
def test_unknown_route_is_scim_404(live_server, path):
    status, headers, data = scim_request(live_server, "GET", path)
    assert_scim_error(status, headers, data, 404, context=f"GET {path}", require_detail=False)


def test_wrong_method_is_scim_405(live_server):
    status, headers, data = scim_request(live_server, "DELETE", "/ServiceProviderConfig")
    assert_scim_error(
        status, headers, data, 405, context="DELETE /ServiceProviderConfig", require_detail=False
    )


def test_405_lists_allowed_methods(live_server):
    """RFC 9110 §15.5.6: a 405 response MUST carry an Allow header."""
    status, headers, data = scim_request(live_server, "DELETE", "/ServiceProviderConfig")
    assert status == 405, data
    allow = {m.strip().upper() for m in headers.get("Allow", "").split(",") if m.strip()}
    assert "GET" in allow, f"Allow header is {headers.get('Allow')!r}"

