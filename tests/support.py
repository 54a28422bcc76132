"""Test helpers shared by every test module: a SCIM client and assertions."""
from __future__ import annotations

import uuid

import orjson

BASE = "/scim/v2"
SCIM_JSON = "application/scim+json"
_RELATIVE = ("/Users", "/Groups", "/Schemas", "/ResourceTypes", "/ServiceProviderConfig", "/Bulk", "/.search", "/Me")


class ScimClient:
    """The Flask test client with a workspace's bearer token and SCIM content type."""

    def __init__(self, flask_client, token: str | None):
        self.flask = flask_client
        self.token = token

    def request(self, method: str, path: str, json=None, headers=None, **kw):
        h = {"Accept": SCIM_JSON}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if json is not None:
            h["Content-Type"] = SCIM_JSON
            kw["data"] = orjson.dumps(json)
        h.update(headers or {})
        url = BASE + path if path.startswith(_RELATIVE) else path
        return self.flask.open(url, method=method, headers=h, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.request("PUT", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


def patch_op(*operations) -> dict:
    return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": list(operations)}


def assert_scim_error(response, status: int, scim_type: str | None = None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type.startswith(SCIM_JSON)
    body = response.get_json(force=True)
    assert "urn:ietf:params:scim:api:messages:2.0:Error" in body["schemas"]
    assert body["status"] == str(status)
    assert body.get("detail")
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
    return body


def make_user(client, user_name=None, **extra) -> dict:
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name or f"user-{uuid.uuid4().hex[:10]}@example.com", **extra}
    r = client.post("/Users", json=body)
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()


def make_group(client, display_name=None, **extra) -> dict:
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": display_name or f"group-{uuid.uuid4().hex[:10]}", **extra}
    r = client.post("/Groups", json=body)
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()


FIXTURES = __import__("pathlib").Path(__file__).parent / "fixtures"


def rfc_fixture(name: str) -> dict:
    """An RFC example payload, e.g. rfc_fixture("rfc7643-8.2-user-full")."""
    folder = "rfc7643" if name.startswith("rfc7643") else "rfc7644"
    return orjson.loads((FIXTURES / folder / f"{name}.json").read_bytes())
