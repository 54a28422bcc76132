"""Helpers for the robustness tests: raw JSON requests, the SCIM outcome rule, snapshots."""
from __future__ import annotations

import json
import os
import uuid

from tests.support import SCIM_JSON

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HAS_BULK = os.path.exists(os.path.join(REPO_ROOT, "scim_service", "blueprints", "bulk.py"))
HAS_MONGODB = os.path.exists(os.path.join(REPO_ROOT, "backends", "mongodb.py"))


def send(client, method: str, path: str, body=None, **kw):
    """A request whose body is encoded by the standard library, so it may hold anything JSON can:
    integers beyond 64 bits, lone surrogates (as ``\\ud800`` escapes), any key."""
    headers = dict(kw.pop("headers", None) or {})
    if body is not None:
        headers["Content-Type"] = SCIM_JSON
        kw["data"] = json.dumps(body).encode()
    return client.request(method, path, headers=headers, **kw)


def describe(method: str, path: str, body, response) -> str:
    sent = json.dumps(body)[:1500] if body is not None else ""
    return f"{method} {path} {sent}\n -> {response.status_code} {response.get_data(as_text=True)[:1500]}"


def assert_scim_outcome(response, what: str = "") -> dict | None:
    """The robustness rule: 2xx/3xx, or a SCIM 4xx error with a detail; never 5xx."""
    status = response.status_code
    assert status < 500, f"server error for {what}"
    body = response.get_json(force=True, silent=True) if response.get_data() else None
    if status >= 400:
        assert response.content_type.startswith(SCIM_JSON), f"content type {response.content_type!r} for {what}"
        assert isinstance(body, dict), f"error without a JSON object body for {what}"
        assert ERROR_URN in body.get("schemas", []), f"no Error schema for {what}"
        assert body.get("status") == str(status), f"status field {body.get('status')!r} for {what}"
        assert isinstance(body.get("detail"), str) and body["detail"].strip(), f"no detail for {what}"
    elif response.get_data():
        assert response.content_type.startswith(SCIM_JSON), f"content type {response.content_type!r} for {what}"
        assert body is not None, f"a 2xx body that is not JSON for {what}"
    return body


def snapshot(client, path: str) -> dict:
    """The resource as a GET returns it (members and meta.version included)."""
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def version_of(resource: dict) -> int:
    return int(resource["meta"]["version"].removeprefix("W/").strip('"'))


def rich_user_body(user_name: str | None = None) -> dict:
    """A user with every kind of attribute, for filters and PATCHes to bite on."""
    tag = uuid.uuid4().hex[:8]
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_URN],
        "userName": user_name or f"Rich.User-{tag}@Example.com",
        "externalId": f"ext-{tag}",
        "name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara",
                 "middleName": "Jane", "honorificPrefix": "Ms.", "honorificSuffix": "III"},
        "displayName": "Babs Jensen (*.+?)", "nickName": "Babs", "title": "Tour Guide",
        "profileUrl": "https://login.example.com/bjensen", "userType": "Employee",
        "preferredLanguage": "en-US", "locale": "en-US", "timezone": "America/Los_Angeles", "active": True,
        "emails": [{"value": f"bjensen-{tag}@example.com", "type": "work", "primary": True},
                   {"value": f"babs-{tag}@jensen.org", "type": "home"}],
        "phoneNumbers": [{"value": "555-555-5555", "type": "work"}, {"value": "555-555-4444", "type": "mobile"}],
        "ims": [{"value": "someaimhandle", "type": "aim"}],
        "photos": [{"value": "https://photos.example.com/profilephoto/72930000000Ccne/F", "type": "photo"}],
        "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood",
                       "region": "CA", "postalCode": "91608", "country": "USA", "primary": True}],
        "entitlements": [{"value": "admin"}], "roles": [{"value": "boss", "primary": True}],
        "x509Certificates": [{"value": "TUlJREp6Q0NB"}],
        ENTERPRISE_URN: {"employeeNumber": "701984", "costCenter": "4130", "organization": "Universal Studios",
                         "division": "Theme Park", "department": "Tour Operations",
                         "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}},
    }
